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
        # given names from the list, also opening a sentence, with or without accents
        ("Ana no quería ir a la cita.", "name", "Ana"),
        ("Maria said she was afraid of the bill.", "name", "Maria"),
        ("José llegó tarde otra vez.", "name", "José"),
        ("Rosa no quería ir.", "name", "Rosa"),
        ("Guadalupe trajo a sus hijos.", "name", "Guadalupe"),
        ("hablé con maria ayer", "name", "maria"),
        ("Le dije: Juan, venga mañana.", "name", "Juan"),
        ("The nurse and Jennifer talked.", "name", "Jennifer"),
        # day and month without a year
        ("Nos vimos el 03/05 en la clínica.", "date", "03/05"),
        ("La cita del 12-3 se canceló.", "date", "12-3"),
        ("Her appointment on 4/7 was moved.", "date", "4/7"),
        ("Llega el 5 de marzo.", "date", "5 de marzo"),
        ("It was the 5th of March.", "date", "5th of March"),
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
        # words that are capitalised without naming anyone, and names that are also words
        "Gracias a Dios la familia ya tiene Medi-Cal.",
        "Salud es lo primero, dijo el grupo.",
        "Fuimos al Centro de Salud con el grupo.",
        "Ella no quería ir a la cita.",
        "Les dan comida en la escuela.",
        "Cuidar el tono de voz ayuda.",
        "La rosa y la luz del salón alegran.",
        "Will the forms be shorter next year?",
        "Usamos 3/4 de taza de azúcar.",
        "Llegaron 10-12 personas a la plática.",
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


def test_the_names_list_is_a_package_data_file_with_three_sections():
    from chwkit.forum.privacy import NAMES_PATH, given_names, is_given_name

    assert NAMES_PATH.parent.name == "forum" and NAMES_PATH.is_file()
    names = given_names()
    assert len(names["any case"]) >= 300 and {"maria", "maría", "jennifer"} <= names["any case"]
    assert "toño" in names["any case"] and "tono" not in names["any case"]  # ñ is kept
    assert "rosa" in names["capitalised"] and "will" in names["pseudonym"]
    assert is_given_name("ROSA") and is_given_name("Will") and not is_given_name("promotora")
    for word in ("salud", "dios", "ella", "tono", "medi", "cal", "chw", "grupo", "justo"):
        assert word not in names["any case"] | names["capitalised"], word
    for word in ("dan", "lisa", "rosa", "luz", "julio", "linda", "marco", "tomas", "lidia"):
        assert word not in names["any case"], word  # ordinary words in lowercase


def test_the_codebook_holds_no_given_name_flags():
    from chwkit.forum.codebook import codebook
    from chwkit.forum.privacy import is_given_name

    texts = []
    for theme in codebook().themes.values():
        texts += [theme.label_es + ".", theme.label_en + ".", theme.definition_es]
        texts.append(theme.definition_en)
    flagged = [
        f.text
        for text in texts
        for f in find_identifiers(text)
        if f.kind == "name" and any(is_given_name(w) for w in f.text.split())
    ]
    assert flagged == []
    assert len(texts) > 150  # the whole codebook was read
