"""Invented forum sessions for tests, benchmarks and the analyst notebook's demo.

All content is made up and holds no identifiers. Sessions are written in one go (not one
save per contribution) so a thousand of them take seconds.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from chwkit.core import nbstore
from chwkit.forum.codebook import Codebook, codebook
from chwkit.forum.model import KINDS, ROLES, Consent, Contribution, make_session
from chwkit.forum.privacy import text_digest
from chwkit.forum.session import (
    TEMPLATE_NAME,
    _new_cell,
    read_template,
    session_notebook,
    session_path,
)

SITES = ("mission", "tenderloin", "excelsior", "chinatown", "bayview", "oakland",
         "sierra-chiapas", "tijuana")  # fmt: skip
TOPICS = {
    "es": ("Inscripción en la cobertura", "Bienestar de las promotoras", "Visitas a domicilio",
           "Manejo de la diabetes", "Trabajo en equipo", "Acceso lingüístico"),
    "en": ("Coverage enrollment", "CHW wellbeing", "Home visits", "Diabetes management",
           "Teamwork", "Language access"),
}  # fmt: skip
OPENERS = {
    "es": ("Una promotora contó que", "Compartimos que", "En el grupo se habló de que",
           "Una acompañante dijo que", "Varias personas comentaron que"),
    "en": ("One promotora said that", "We shared that", "The group talked about how",
           "An acompañante said that", "Several people noted that"),
}  # fmt: skip
BODIES = {
    "es": ("muchas familias no renuevan la cobertura porque los formularios son largos",
           "llevar a las pacientes a sus citas es difícil sin transporte público cerca",
           "respirar juntas cinco minutos antes de empezar ayuda al equipo",
           "hace falta material en otros idiomas para las personas que llegan nuevas",
           "algunas personas tienen miedo de dar sus datos en la clínica",
           "las visitas en la tarde funcionan mejor para quienes trabajan en el campo",
           "el papeleo quita tiempo de acompañar a las personas",
           "agradecer en voz alta al final del día mejora el ánimo del grupo"),
    "en": ("many families do not renew coverage because the forms are long",
           "getting patients to appointments is hard without nearby public transit",
           "breathing together for five minutes before starting helps the team",
           "we need materials in more languages for people who just arrived",
           "some people are afraid to give their information at the clinic",
           "afternoon visits work better for people who work in the fields",
           "paperwork takes time away from accompanying people",
           "saying thanks out loud at the end of the day lifts the group's mood"),
}  # fmt: skip


def sample_text(rng: random.Random, lang: str, words: int = 1) -> str:
    parts = [f"{rng.choice(OPENERS[lang])} {rng.choice(BODIES[lang])}."]
    for _ in range(words - 1):
        body = rng.choice(BODIES[lang])
        parts.append(body[0].upper() + body[1:] + ".")
    return " ".join(parts)


def generate(
    folder: Path,
    sessions: int = 12,
    per_session: int = 20,
    seed: int = 0,
    start: date = date(2023, 7, 1),
    template: Path | None = None,
    book: Codebook | None = None,
) -> list[Path]:
    """Write ``sessions`` invented session notebooks with ``per_session`` contributions each."""
    book = book or codebook()
    rng = random.Random(seed)
    leaves = book.leaves()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    template_nb = read_template(template or folder / TEMPLATE_NAME)
    written = []
    for i in range(sessions):
        site = SITES[i % len(SITES)]
        month = i // len(SITES)
        day = start + timedelta(days=30 * month + (i % len(SITES)))
        lang = "en" if site in ("chinatown", "bayview") else "es"
        session = make_session(
            day.isoformat(),
            site,
            rng.choice(TOPICS[lang]),
            f"fac-{1 + i % 3}",
            lang,
            rng.randint(6, 30),
        )
        path = session_path(session.id, folder)
        nb = session_notebook(session, template_nb)
        for j in range(per_session):
            roll = rng.random()
            stamp = f"{session.date}T{10 + j // 60:02d}:{j % 60:02d}:00Z"
            c = Contribution(
                uuid=f"{rng.getrandbits(128):032x}",
                pseudonym=f"P{rng.randint(1, 60):02d}",
                role=rng.choice(ROLES[:3]),
                kind=rng.choice(KINDS),
                themes=tuple(rng.sample(leaves, rng.randint(1, 3))),
                language=lang,
                text=sample_text(rng, lang, rng.randint(1, 3)),
                consent=Consent(dataset=roll > 0.05, quote=roll > 0.5, share_outside=roll > 0.7),
                recorded_by=session.facilitator,
                created=stamp,
                updated=stamp,
                withdrawn=0.05 < roll < 0.08,
            )
            c = c.withdraw(stamp) if c.withdrawn else replace(c, flag_check=text_digest(c.text))
            u = c.uuid
            c = _fix_uuid(c, f"{u[:8]}-{u[8:12]}-4{u[13:16]}-a{u[17:20]}-{u[20:32]}")
            nb.cells.append(_new_cell(c, lang, book))
        # Invented data: no lock or fsync needed, and it keeps big samples quick.
        path.write_text(nbstore.dumps(nb) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _fix_uuid(c: Contribution, value: str) -> Contribution:
    return replace(c, uuid=value)
