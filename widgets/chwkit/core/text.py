"""Comparing what people type: one rule for practice questions and graded items.

``fold`` ignores accents, case, punctuation and spacing; ``answer_key`` also ignores a
leading article or determiner (es: el, la, los, las, un, una, unos, unas, lo; en: the, a, an),
so "la mediación cultural", "Mediación cultural." and "mediacion cultural" are one answer.
Assessment setup cells import ``matches`` from here, so nbgrader grades with the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

LEADING_WORDS = frozenset({"el", "la", "los", "las", "un", "una", "unos", "unas", "lo"}) | {
    "the",
    "a",
    "an",
}


def strip_accents(text: str) -> str:
    """'Mediación' -> 'Mediacion' (the ñ folds to n too)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Fold accents, case, punctuation and spacing: "  Promotóra!" -> "promotora"."""
    words = re.sub(r"[^\w]+", " ", strip_accents(text).casefold())
    return " ".join(words.split())


def answer_key(text: str) -> str:
    """``fold`` without one leading article: "La Mediación cultural" -> "mediacion cultural"."""
    words = fold(text).split()
    if len(words) > 1 and words[0] in LEADING_WORDS:
        words = words[1:]
    return " ".join(words)


def matches(given: object, accepted: Iterable[str]) -> bool:
    """Whether a typed answer is one of the accepted answers, under ``answer_key``."""
    if not isinstance(given, str) or not answer_key(given):
        return False
    return answer_key(given) in {answer_key(a) for a in accepted}
