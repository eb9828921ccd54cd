from __future__ import annotations

import random

import pytest

from chwkit.forum.privacy import find_identifiers
from chwkit.forum.sample import BODIES, OPENERS, sample_text


@pytest.mark.parametrize(
    "text, kind, found",
    [
        ("Me dio su número 415-555-0134 para llamarla.", "phone", "415-555-0134"),
        ("Call (415) 555 0134 after five.", "phone", "(415) 555 0134"),
        ("Su correo es ana.p@example.org", "email", "ana.p@example.org"),
        ("La cita fue el 3 de marzo de 2024.", "date", "3 de marzo de 2024"),
        ("Born 5/12/1980 in the valley.", "date", "5/12/1980"),
        ("Her appointment is March 14th.", "date", "March 14th"),
        ("Su MRN 00123456 no aparecía.", "id_number", "MRN 00123456"),
        ("la póliza #AB-99812 venció", "id_number", "póliza #AB-99812"),
        ("Vive en Calle Hidalgo 45 con sus hijos.", "address", "Calle Hidalgo 45"),
        ("She lives at 1234 Mission Street now.", "address", "1234 Mission Street"),
        ("Visité a la Sra. Gómez ayer.", "name", "Sra. Gómez"),
        ("Hablé con doña Rosa sobre su diabetes.", "name", "doña Rosa"),
        ("My patient named Ana came back.", "name", "named Ana"),
        ("Fuimos con Rosa Martínez al centro.", "name", "Rosa Martínez"),
        ("See https://example.org/x for the form.", "url", "https://example.org/x"),
    ],
)
def test_flags_likely_identifiers(text, kind, found):
    flags = find_identifiers(text)
    assert (kind, found) in [(f.kind, f.text) for f in flags]
    for f in flags:
        assert text[f.start : f.end] == f.text


@pytest.mark.parametrize(
    "text",
    [
        "Muchas familias tienen miedo de inscribirse en Medi-Cal.",
        "In 2023 we visited 40 families; 3 of 10 had coverage.",
        "Respirar juntas cinco minutos ayuda al equipo.",
        "We need materials in Spanish and English.",
        "",
    ],
)
def test_leaves_ordinary_text_alone(text):
    assert find_identifiers(text) == []


def test_invented_sample_texts_hold_no_identifiers():
    rng = random.Random(0)
    for lang in ("es", "en"):
        for opener in OPENERS[lang]:
            for body in BODIES[lang]:
                assert find_identifiers(f"{opener} {body}.") == [], (opener, body)
        for _ in range(50):
            assert find_identifiers(sample_text(rng, lang, 3)) == []
