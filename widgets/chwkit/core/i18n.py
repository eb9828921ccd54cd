"""The string catalog: every string a learner or facilitator reads, in es and en.

The catalog is the union of ``catalog/*.json`` (one file per area: core, forum, assess...).
Each file maps a key to ``{"es": ..., "en": ...}``. A key defined twice is an error.
"""

from __future__ import annotations

import datetime
import json
import string
from functools import cache
from pathlib import Path

LANGS: tuple[str, ...] = ("es", "en")
DEFAULT_LANG = "es"
CATALOG_DIR = Path(__file__).resolve().parent / "catalog"


class CatalogError(ValueError):
    """The catalog is malformed: a duplicate key, a missing language, a bad placeholder."""


def normalize_lang(value: object) -> str | None:
    """Return a supported language code for ``value`` ("ES", "es-MX", " en ") or None."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGS else None


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_catalog(directory: Path = CATALOG_DIR) -> dict[str, dict[str, str]]:
    """Read and check every catalog file in ``directory``."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, texts in entries.items():
            if key in merged:
                raise CatalogError(f"{path.name}: key {key!r} is already defined")
            if not isinstance(texts, dict):
                raise CatalogError(f"{path.name}: {key!r} must map languages to text")
            missing = [lang for lang in LANGS if not str(texts.get(lang, "")).strip()]
            if missing:
                raise CatalogError(f"{path.name}: {key!r} lacks {', '.join(missing)}")
            shapes = {lang: _placeholders(texts[lang]) for lang in LANGS}
            if len({frozenset(s) for s in shapes.values()}) != 1:
                raise CatalogError(f"{path.name}: {key!r} placeholders differ: {shapes}")
            merged[key] = {lang: texts[lang] for lang in LANGS}
    return merged


@cache
def catalog() -> dict[str, dict[str, str]]:
    return load_catalog()


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The text of ``key`` in ``lang`` (default language if unknown), formatted with ``values``."""
    entry = catalog()[key]
    text = entry[normalize_lang(lang) or DEFAULT_LANG]
    return text.format(**values) if values else text


def both(key: str, **values: object) -> dict[str, str]:
    """The text of ``key`` in every language, for pages that show both (error pages)."""
    return {lang: t(key, lang, **values) for lang in LANGS}


def format_date(day: datetime.date, lang: str | None = None) -> str:
    """A date as a person writes it: "1 de diciembre de 2026", "December 1, 2026"."""
    month = t(f"date.month.{day.month}", lang)
    return t("date.long", lang, day=day.day, month=month, year=day.year)
