"""The forum codebook: the themes a contribution can be tagged with.

``codebook.csv`` beside this module holds one row per theme: ``code``, ``parent`` (a code of
the same file, or empty for a group at the top), ``label_es``, ``label_en``, ``definition_es``,
``definition_en`` and ``source`` (``c3_role``, ``c3_skill``, ``wellbeing`` or ``emergent``).
Codes are stored, labels shown. C3 labels are the catalog's (``c3.role.N``, ``c3.skill.KEY``),
word for word; C3 definitions follow the C3 Project's sub-roles and sub-skills.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CODEBOOK_PATH = Path(__file__).resolve().parent / "codebook.csv"
FIELDS = ("code", "parent", "label_es", "label_en", "definition_es", "definition_en", "source")
TEXTS = ("label_es", "label_en", "definition_es", "definition_en")
SOURCES = ("c3_role", "c3_skill", "wellbeing", "emergent")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class CodebookError(ValueError):
    """The codebook file is malformed; the message names the row."""


@dataclass(frozen=True)
class Theme:
    code: str
    parent: str | None
    label_es: str
    label_en: str
    definition_es: str
    definition_en: str
    source: str

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_es

    def definition(self, lang: str) -> str:
        return self.definition_en if lang == "en" else self.definition_es


class Codebook:
    """Themes by code, in file order."""

    def __init__(self, themes: list[Theme]):
        self.themes: dict[str, Theme] = {theme.code: theme for theme in themes}
        parents = {theme.parent for theme in themes if theme.parent}
        self._leaves = tuple(code for code in self.themes if code not in parents)

    def __contains__(self, code: object) -> bool:
        return code in self.themes

    def __getitem__(self, code: str) -> Theme:
        return self.themes[code]

    def __len__(self) -> int:
        return len(self.themes)

    def leaves(self) -> tuple[str, ...]:
        """Codes a facilitator can pick (themes without children)."""
        return self._leaves

    def label(self, code: str, lang: str) -> str:
        theme = self.themes.get(code)
        return theme.label(lang) if theme else code

    def group_label(self, code: str, lang: str) -> str:
        """``"Emergent themes › Housing"``-style label for pick lists."""
        theme = self.themes[code]
        if theme.parent and theme.parent in self.themes:
            return f"{self.themes[theme.parent].label(lang)} › {theme.label(lang)}"
        return theme.label(lang)


def load_codebook(path: Path = CODEBOOK_PATH) -> Codebook:
    """Read and check a codebook CSV file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read the codebook: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != FIELDS:
        raise CodebookError(f"{path}: the header must be {','.join(FIELDS)}")
    themes: list[Theme] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        where = f"{path.name}, line {line}"
        code = (row.get("code") or "").strip()
        if not CODE.match(code):
            raise CodebookError(f"{where}: invalid code {code!r} (lowercase letters, digits, _)")
        if code in seen:
            raise CodebookError(f"{where}: code {code!r} is already defined")
        seen.add(code)
        source = (row.get("source") or "").strip()
        if source not in SOURCES:
            raise CodebookError(f"{where}: source must be one of {', '.join(SOURCES)}")
        labels = [(row.get(k) or "").strip() for k in TEXTS]
        if not all(labels):
            raise CodebookError(f"{where}: {', '.join(TEXTS)} are required")
        themes.append(Theme(code, (row.get("parent") or "").strip() or None, *labels, source))
    for line, theme in enumerate(themes, start=2):
        if theme.parent and theme.parent not in seen:
            raise CodebookError(
                f"{path.name}, line {line}: parent {theme.parent!r} is not a code of the codebook"
            )
    return Codebook(themes)


@cache
def codebook() -> Codebook:
    """The kit's codebook (read once per process)."""
    return load_codebook()
