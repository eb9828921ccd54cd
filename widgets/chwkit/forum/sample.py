"""Invented forum sessions for tests, benchmarks and the analyst notebook's demo.

All content is made up and holds no identifiers. Sessions are written in one go (not one
save per contribution) so a thousand of them take seconds.

The sessions spread evenly over ``months`` (24 by default) across several sites; every
twelfth session is a conference and another in twelve an exchange. What people talk about
changes over time and by session type (``theme_weights``), so the analyst's plots over time
and by session type have something to show: migration and health-system themes grow, some
access barriers fade, heat at work peaks in the summer, and conferences and exchanges talk
more about migration and both countries' health systems than the monthly forums do.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from chwkit.core import nbstore
from chwkit.forum.codebook import Codebook, codebook
from chwkit.forum.model import KINDS, ROLES, SESSION_TYPES, Consent, Contribution, make_session
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
ENGLISH_SITES = ("chinatown", "bayview")
# Where conferences and exchanges take place, in turn.
EVENT_SITES = {"conference": ("oakland", "tijuana"), "exchange": ("tijuana", "sierra-chiapas")}
MONTHS = 24
TOPICS = {
    "forum": {
        "es": ("Inscripción en la cobertura", "Bienestar de las promotoras", "Visitas a domicilio",
               "Manejo de la diabetes", "Trabajo en equipo", "Acceso lingüístico"),
        "en": ("Coverage enrollment", "CHW wellbeing", "Home visits", "Diabetes management",
               "Teamwork", "Language access"),
    },
    "conference": {
        "es": ("Conferencia binacional de promotores: salud y migración",
               "Conferencia binacional: los sistemas de salud de México y Estados Unidos"),
        "en": ("Binational promotores conference: migration and health",
               "Binational conference: the health systems of Mexico and the United States"),
    },
    "exchange": {
        "es": ("Intercambio binacional: la salud de las familias jornaleras",
               "Intercambio binacional: seguir la atención de un lado al otro"),
        "en": ("Binational exchange: the health of farmworker families",
               "Binational exchange: care that continues across the border"),
    },
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
           "agradecer en voz alta al final del día mejora el ánimo del grupo",
           "con el calor del verano varias trabajadoras del campo se sintieron mal y no sabían "
           "a quién avisar",
           "una familia no sabía que podía atenderse en el centro de salud comunitario sin seguro",
           "quienes regresan a su pueblo no saben cómo afiliarse a los servicios de salud de allá",
           "un señor perdió a su madre lejos de aquí y no pudo ir a despedirse",
           "los adolescentes que llegan nuevos se sienten solos en la escuela"),
    "en": ("many families do not renew coverage because the forms are long",
           "getting patients to appointments is hard without nearby public transit",
           "breathing together for five minutes before starting helps the team",
           "we need materials in more languages for people who just arrived",
           "some people are afraid to give their information at the clinic",
           "afternoon visits work better for people who work in the fields",
           "paperwork takes time away from accompanying people",
           "saying thanks out loud at the end of the day lifts the group's mood",
           "in the summer heat several farmworkers felt sick and did not know whom to tell",
           "a family did not know they could be seen at the community health center without "
           "insurance",
           "people going back home do not know how to sign up for health services there",
           "a man lost his mother far away and could not go to say goodbye",
           "teenagers who just arrived feel alone at school"),
}  # fmt: skip
# How themes change in the invented sample (factors on a base weight of 1).
RISING = ("em_immigration_fear", "em_coverage_enrollment", "em_health_system_us",
          "em_health_system_mx", "em_binational", "em_occupational_health", "em_burnout")  # fmt: skip
FADING = ("em_digital_access", "em_transportation", "em_documentation_burden", "wb_creativity")
SUMMER = ("em_occupational_health",)  # heat at work: June to September
EVENT_THEMES = ("em_health_system_us", "em_health_system_mx", "em_binational",
                "em_occupational_health", "em_life_course", "em_grief", "em_immigration_fear",
                "em_mental_health", "em_srh", "c3_role_1", "c3_role_5")  # fmt: skip
KIND_WEIGHTS = dict(
    zip(SESSION_TYPES, ((3, 3, 2, 1, 1), (2, 1, 5, 1, 1), (4, 1, 3, 1, 1)), strict=True)
)  # forum, conference, exchange; each in the order of KINDS


def theme_weights(leaves: tuple[str, ...], progress: float, month: int, session_type: str):
    """Weights of the pickable themes for a session ``progress`` (0..1) through the sample,
    in calendar ``month`` (1..12), of ``session_type``."""
    weights = []
    for code in leaves:
        w = 1.0
        if code in RISING:
            w *= 0.3 + 2.7 * progress
        if code in FADING:
            w *= 2.5 - 2.2 * progress
        if code in SUMMER and 6 <= month <= 9:
            w *= 3.0
        if session_type != "forum" and code in EVENT_THEMES:
            w *= 6.0
        weights.append(w)
    return weights


def _pick(rng: random.Random, codes: tuple[str, ...], weights: list[float], k: int):
    """``k`` different codes, drawn by weight."""
    pool, w, picked = list(codes), list(weights), []
    for _ in range(min(k, len(pool))):
        [i] = rng.choices(range(len(pool)), weights=w)
        picked.append(pool.pop(i))
        w.pop(i)
    return tuple(picked)


def session_type_of(i: int) -> str:
    """Every twelfth session is a conference, and another in twelve an exchange."""
    return {6: "conference", 9: "exchange"}.get(i % 12, "forum")


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
    months: int = MONTHS,
) -> list[Path]:
    """Write ``sessions`` invented session notebooks with ``per_session`` contributions each,
    spread evenly over ``months`` from ``start`` (see the module's docstring)."""
    book = book or codebook()
    rng = random.Random(seed)
    leaves = book.leaves()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    template_nb = read_template(template or folder / TEMPLATE_NAME)
    span = max(1, round(months * 365.25 / 12))
    used: set[tuple[date, str]] = set()
    events = {kind: 0 for kind in EVENT_SITES}
    written = []
    for i in range(sessions):
        kind_of_session = session_type_of(i)
        if kind_of_session in EVENT_SITES:
            choices = EVENT_SITES[kind_of_session]
            site = choices[events[kind_of_session] % len(choices)]
            events[kind_of_session] += 1
        else:
            site = SITES[i % len(SITES)]
        day = start + timedelta(days=i * span // max(sessions, 1))
        while (day, site) in used:  # many sessions in a short span: one per site and day
            day += timedelta(days=1)
        used.add((day, site))
        progress = (day - start).days / span
        lang = "en" if site in ENGLISH_SITES else "es"
        session = make_session(
            day.isoformat(),
            site,
            rng.choice(TOPICS[kind_of_session][lang]),
            f"fac-{1 + i % 3}",
            lang,
            rng.randint(80, 300) if kind_of_session == "conference" else rng.randint(6, 30),
            kind_of_session,
        )
        weights = theme_weights(leaves, min(progress, 1.0), day.month, kind_of_session)
        path = session_path(session.id, folder)
        nb = session_notebook(session, template_nb)
        for j in range(per_session):
            roll = rng.random()
            stamp = f"{session.date}T{10 + j // 60:02d}:{j % 60:02d}:00Z"
            c = Contribution(
                uuid=f"{rng.getrandbits(128):032x}",
                pseudonym=f"P{rng.randint(1, 60):02d}",
                role=rng.choice(ROLES[:3]),
                kind=rng.choices(KINDS, weights=KIND_WEIGHTS[kind_of_session])[0],
                themes=_pick(rng, leaves, weights, rng.randint(1, 3)),
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
