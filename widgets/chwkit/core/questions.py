"""What a question is, for practice and for graded items alike.

A practice question (``module.yaml``) and an assessment item (``assessments/items/*.yaml``,
and the item metadata of a released notebook) share their shape: an id, a kind, a bilingual
prompt and, for choices, bilingual options with the index (single) or indices (multiple) of
the right ones; short answers list what is accepted (matched with ``chwkit.core.text``). The
rules that read those fields live here once; each flow adds only what is its own (a practice
question's explanation; an item's points, hint and objectives).
"""

from __future__ import annotations

from chwkit.core.i18n import LANGS

KINDS = ("single", "multiple", "numeric", "short", "reflection")
CHOICE_KINDS = ("single", "multiple")


def bilingual(value: object, where: str, error: type[ValueError] = ValueError) -> dict[str, str]:
    """``{es: ..., en: ...}`` with text in every language, stripped; ``error`` otherwise."""
    if not isinstance(value, dict):
        raise error(f"{where}: expected {{es: ..., en: ...}}, got {type(value).__name__}")
    out = {}
    for lang in LANGS:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise error(f"{where}: missing text in {lang!r}")
        out[lang] = text.strip()
    return out


def options(value: object, where: str, error: type[ValueError] = ValueError) -> tuple:
    """A choice's options: at least two, each bilingual."""
    if not isinstance(value, list) or len(value) < 2:
        raise error(f"{where}: needs at least two options")
    return tuple(bilingual(option, f"{where} option {i}", error) for i, option in enumerate(value))


def choice_key(
    kind: str, answer: object, n_options: int, where: str, error: type[ValueError] = ValueError
) -> tuple[int, ...]:
    """The right options' indices, sorted: one for ``single``, one or more for ``multiple``."""
    keys = list(answer) if isinstance(answer, list | tuple) else [answer]
    if not keys or not all(type(k) is int and 0 <= k < n_options for k in keys):
        raise error(f"{where}: answer {answer!r} is not an option index")
    if kind == "single" and (len(keys) != 1 or isinstance(answer, list | tuple)):
        raise error(f"{where}: a single-choice question has exactly one answer (an index)")
    if len(set(keys)) != len(keys):
        raise error(f"{where}: repeated answer index")
    return tuple(sorted(keys))
