"""Flag likely identifiers in a contribution's text before it is saved.

HIPAA's Safe Harbor list is the floor: names, places smaller than a state, dates other than
the year, phone numbers, emails, URLs, record and policy numbers. The flagger is a heuristic
that errs on the side of asking: the facilitator sees each flag and fixes the text or
confirms it, and the contribution records that it was reviewed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Order is priority: an earlier kind wins where matches overlap.
FLAG_KINDS: tuple[str, ...] = ("email", "url", "date", "id_number", "phone", "address", "name")

_UPPER = "A-ZÁÉÍÓÚÜÑ"
_LOWER = "a-záéíóúüñ"
_CAP_WORD = rf"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}]?[{_LOWER}]+)?"
_MONTHS_ES = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
_MONTHS_EN = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan\.?|feb\.?|mar\.?|apr\.?|jun\.?|jul\.?|aug\.?|sept?\.?|oct\.?|nov\.?|dec\.?"
)
_HONORIFIC = (
    r"(?:sra?\.?|srta\.?|doña|don|dra?\.?|lic\.?|mrs?\.?|ms\.?|miss|señora|señor|señorita"
    r"|seño|tía|tío|abuela|abuelo|comadre|compadre)"
)
_INTRO = (
    r"(?:paciente|patient|named|called|llamad[oa]|se llama|nombre|name is|hij[oa] de"
    r"|espos[oa] de|mamá de|papá de|daughter of|son of|wife of|husband of)"
)
_STREET_ES = r"(?:calle|avenida|av\.|avda\.|colonia|col\.|boulevard|blvd\.?|callejón|privada|carretera|camino)"
_STREET_EN = (
    r"(?:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|way|ln|lane|ct|court|pl|place)\.?"
)
_ID_WORDS = (
    r"(?:mrn|expediente|récord|record|póliza|poliza|policy|member|miembro|folio|afiliación"
    r"|afiliacion|ssn|seguro social|social security|nss|curp|rfc|medi-cal|medicaid|medicare"
    r"|case|caso|cuenta|account|license|licencia|id)"
)
# Program words that are capitalised mid-sentence without naming anyone.
ALLOWED_CAPITALISED = frozenset(
    w.casefold()
    for w in [
        "Medi-Cal",
        "Medicaid",
        "Medicare",
        "Covered",
        "California",
        "CalFresh",
        "WIC",
        "SNAP",
        "COVID",
        "CHW",
        "CHWs",
        "Promotora",
        "Promotoras",
        "Promotores",
        "Acompañante",
        "Acompañantes",
        "CES",
        "PIH",
        "C3",
        "ACA",
        "ICE",
        "English",
        "Spanish",
        "Mexico",
        "México",
        "United",
        "States",
        "Estados",
        "Unidos",
        "Unidos",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "I",
        "I'm",
        "Facebook",
        "WhatsApp",
        "Zoom",
        "Excel",
        "Word",
        "PowerPoint",
        "Office",
        "Microsoft",
        # Capitalised for respect or as part of an institution's name, not a person.
        "Dios",
        "Virgen",
        "Salud",
        "Centro",
        "Clínica",
        "Clinica",
        "Hospital",
        "Seguro",
        "Popular",
        "Bienestar",
        "IMSS",
        "ISSSTE",
        "DIF",
    ]
)

# -- given names ---------------------------------------------------------------------------------
NAMES_PATH = Path(__file__).with_name("given_names.txt")
NAME_SECTIONS = ("any case", "capitalised", "pseudonym")
# Accents are optional when matching a name ("Maria" is María); ñ is kept ("tono" is not Toño).
_UNACCENT = str.maketrans("áéíóúüÁÉÍÓÚÜ", "aeiouuAEIOUU")
_WORD = re.compile(r"[^\W\d_]+")


@cache
def given_names() -> dict[str, frozenset[str]]:
    """The names of ``given_names.txt`` by section, casefolded, with and without accents."""
    sections: dict[str, set[str]] = {name: set() for name in NAME_SECTIONS}
    current = None
    for line in NAMES_PATH.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections[line[1:-1]]
        elif line and current is not None:
            for name in line.split():
                current.update({name.casefold(), name.translate(_UNACCENT).casefold()})
    return {name: frozenset(found) for name, found in sections.items()}


def is_given_name(word: str) -> bool:
    """Whether ``word`` (letters only, any case) is a common given name in the list."""
    folded = word.casefold()
    return any(folded in names for names in given_names().values())


def _name_words(text: str):
    """Given names from the list, wherever they are (a sentence's first word included)."""
    names = given_names()
    any_case, capitalised = names["any case"], names["capitalised"]
    for m in _WORD.finditer(text):
        word = m.group(0)
        folded = word.casefold()
        if folded in any_case or (word[0].isupper() and folded in capitalised):
            yield "name", m.start(), m.end()


_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I),
    "url": re.compile(r"\b(?:https?://|www\.)\S+", re.I),
    "date": re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        r"|\b\d{4}-\d{1,2}-\d{1,2}\b"
        rf"|\b\d{{1,2}}\s+(?:de\s+)?(?:{_MONTHS_ES}|{_MONTHS_EN})\b(?:,?\s+(?:de(?:l)?\s+)?\d{{4}})?"
        rf"|\b(?:{_MONTHS_ES}|{_MONTHS_EN})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)\s+of\s+(?:{_MONTHS_EN})(?:,?\s+\d{{4}})?",
        re.I,
    ),
    "id_number": re.compile(
        rf"\b{_ID_WORDS}\s*(?:#|no\.?|núm\.?|num\.?|número|number|nr\.?)?\s*[:#]?\s*"
        r"[A-Z]{0,4}-?\d[\dA-Z-]{3,}\b"
        r"|\b\d{3}-\d{2}-\d{4}\b"
        r"|\b[A-Z]{4}\d{6}[HM][A-Z]{5}[A-Z0-9]\d\b"
        r"|\b[A-Z]{0,4}\d{5,}[A-Z]?\b",
        re.I,
    ),
    "phone": re.compile(r"(?<![\w/])\+?\(?\d[\d\s().-]{5,}\d(?![\w/])"),
    "address": re.compile(
        rf"\b\d{{1,5}}\s+(?:[\w'.-]+\s+){{0,3}}(?i:{_STREET_EN})(?=\W|$)"
        rf"|\b(?i:{_STREET_ES})\s+(?:[\w'.-]+\s+){{0,3}}(?i:#\s*|no\.?\s*|número\s*)?\d{{1,5}}\b"
        rf"|\b(?i:{_STREET_ES})\s+{_CAP_WORD}(?:\s+{_CAP_WORD})*"
    ),
}
# Day and month without a year ("03/05", "el 5/3"): a leading zero or a word that introduces
# a date tells it from a fraction or a range ("3/4 de taza", "10-12 personas").
_DAY_MONTH = re.compile(r"(?<![\d/.-])(\d{1,2})[/-](\d{1,2})(?![\d/.-]*\d)")
_DATE_CUE = re.compile(
    r"\b(?i:el|del|día|dia|fecha|cita|desde|hasta|nació|nacio|on|date|born|since|until"
    r"|appointment|dob)\s+$"
)
# Case matters for the name itself: the honorific may be lowercase, the name is not.
_NAME_LEAD = re.compile(rf"\b(?i:{_HONORIFIC}|{_INTRO})\s+(?:is\s+|es\s+)?$")
_DIGIT = re.compile(r"\d")
_HONORIFIC_WORD = re.compile(rf"(?i:{_HONORIFIC})")
_STREET_WORD = re.compile(rf"\b(?i:{_STREET_ES})")
_CAP_RUN = re.compile(rf"{_CAP_WORD}(?:\s+(?:de\s+(?:la\s+)?|del\s+)?{_CAP_WORD})*")
_SENTENCE_END = re.compile(r"[.!?¿¡:;\n\"“«(]\s*$")


@dataclass(frozen=True)
class Flag:
    kind: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        """What the record keeps: the kind and where, not a second copy of the identifier."""
        return {"kind": self.kind, "start": self.start, "end": self.end}


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _skip(kind: str, text: str, has_digit: bool) -> bool:
    """Cheap tests that rule a pattern out before running it (the flagger runs per keystroke
    and per contribution of a build)."""
    if kind in ("date", "id_number", "phone"):
        return not has_digit
    if kind == "email":
        return "@" not in text
    if kind == "url":
        return "://" not in text and "www." not in text.casefold()
    if kind == "address":
        return not has_digit and _STREET_WORD.search(text) is None
    return False


def _candidates(text: str):
    has_digit = _DIGIT.search(text) is not None
    for kind, pattern in _PATTERNS.items():
        if _skip(kind, text, has_digit):
            continue
        for m in pattern.finditer(text):
            value = m.group(0)
            if kind == "phone" and not 7 <= _digits(value) <= 15:
                continue
            yield kind, m.start(), m.end()
    if has_digit:
        for m in _DAY_MONTH.finditer(text):
            first, second = int(m.group(1)), int(m.group(2))
            if not (1 <= first <= 31 and 1 <= second <= 31 and min(first, second) <= 12):
                continue
            padded = m.group(1).startswith("0") or m.group(2).startswith("0")
            if padded or _DATE_CUE.search(text[max(0, m.start() - 16) : m.start()]):
                yield "date", m.start(), m.end()
    yield from _name_words(text)
    # Capitalised words in the middle of a sentence: likely a person's or a place's name.
    for m in _CAP_RUN.finditer(text):
        words = m.group(0).split()
        if _HONORIFIC_WORD.fullmatch(words[-1]):
            continue  # "La Sra" + ". Gómez": the name after the honorific is flagged instead
        if all(w.casefold() in ALLOWED_CAPITALISED for w in words if w not in ("de", "la", "del")):
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        lead = _NAME_LEAD.search(before)
        if lead:
            yield "name", m.start() - len(before) + lead.start(), m.end()
            continue
        if (not before.strip() or _SENTENCE_END.search(before)) and len(words) < 2:
            continue  # a single word opening a sentence is just a capital letter
        yield "name", m.start(), m.end()


def text_digest(text: str) -> str:
    """Which text the flags were found in: a later hand edit shows as a different digest."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def find_identifiers(text: str) -> list[Flag]:
    """Likely identifiers in ``text``, in reading order, without overlaps."""
    if not text:
        return []
    priority = {kind: i for i, kind in enumerate(FLAG_KINDS)}
    found = sorted(set(_candidates(text)), key=lambda c: (priority[c[0]], c[1], -(c[2] - c[1])))
    taken: list[tuple[int, int]] = []
    flags: list[Flag] = []
    for kind, start, end in found:
        if any(start < e and s < end for s, e in taken):
            continue
        taken.append((start, end))
        flags.append(Flag(kind, start, end, text[start:end]))
    return sorted(flags, key=lambda f: f.start)
