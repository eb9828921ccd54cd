"""Printed modules for sessions without devices: ``chwkit print MODULE`` / ``--track TRACK``.

A module's PDF holds what its page shows in one language: the notebook's markdown cells of
that language, in order, with each practice question where the notebook shows it (the
prompt, its options to tick or lines to write on, never the answer). The answers and their
explanations come last, on a page of their own headed for the facilitator, so the learners'
pages can be copied without them. Facilitator notes (``facilitator.<lang>.md``), where the
module has them, make a PDF of their own: they never reach a learner page, printed or not.

Markdown is rendered with raw HTML escaped (mistune, as Jupyter's own converter uses);
relative images resolve inside the module's folder only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from chwkit.core.i18n import t
from chwkit.learn.spec import ModuleSpec, QuestionSpec
from chwkit.learn.tracks import TrackSpec
from chwkit.program import paper

_QUESTION_CALL = re.compile(r"module\.question\(\s*['\"]([a-z0-9_]+)['\"]\s*\)")


class PrintError(ValueError):
    """A module cannot be printed; the message says why, in the coordinator's language."""


def markdown(text: str) -> str:
    """Markdown as HTML, raw HTML escaped (module text is content, not markup to trust)."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return render(text)


@dataclass(frozen=True)
class Block:
    """A piece of the printed module: text (HTML) or a practice question."""

    html: str = ""
    question: QuestionSpec | None = None
    number: int = 0


def blocks(spec: ModuleSpec, lang: str) -> list[Block]:
    """The module's text in ``lang`` and its questions, in the notebook's order."""
    try:
        nb = json.loads(spec.notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PrintError(t("print.error.notebook", lang, path=spec.notebook, reason=exc)) from exc
    numbers = {q.id: i for i, q in enumerate(spec.questions, start=1)}
    found: list[Block] = []
    for cell in nb.get("cells", []):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            if f"lang-{lang}" in cell.get("metadata", {}).get("tags", []):
                found.append(Block(html=markdown(source)))
        elif cell.get("cell_type") == "code":
            for qid in _QUESTION_CALL.findall(source):
                if qid in numbers:
                    found.append(Block(question=spec.question(qid), number=numbers[qid]))
    if not any(b.html for b in found):
        raise PrintError(
            t("print.error.no_text", lang, module=spec.id, lang_name=t(f"lang.name.{lang}", lang))
        )
    return found


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def answers(question: QuestionSpec, lang: str) -> list[str]:
    """The key: ``["C. The right option"]`` (choices) or the accepted answers (short)."""
    if question.kind == "short":
        return [t("print.accepted", lang, answers=" · ".join(question.accept[lang]))]
    return [f"{_letter(i)}. {question.options[i][lang]}" for i in question.answer]


def module_html(spec: ModuleSpec, lang: str, track: TrackSpec | None = None) -> str:
    """The printable page of a module in ``lang``: its text and questions, then the answers."""
    parts = blocks(spec, lang)
    asked = [b for b in parts if b.question is not None]
    return paper.render(
        "module.html",
        lang,
        doc_title=spec.title[lang],
        spec=spec,
        track=track,
        blocks=parts,
        asked=asked,
        letter=_letter,
        answers=answers,
    )


def facilitator_html(spec: ModuleSpec, lang: str) -> str | None:
    """The facilitator notes of ``spec`` in ``lang`` as a printable page, or None if absent."""
    path = spec.facilitator_notes.get(lang)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PrintError(t("print.error.notebook", lang, path=path, reason=exc)) from exc
    return paper.render(
        "facilitator.html",
        lang,
        doc_title=t("print.facilitator.title", lang, module=spec.title[lang]),
        spec=spec,
        notes=markdown(text),
    )


def module_files(
    spec: ModuleSpec, lang: str, track: TrackSpec | None = None, prefix: str = ""
) -> dict[str, bytes]:
    """The module's PDF and, where it has them, its facilitator notes' PDF, by file name."""
    files = {
        f"{prefix}{spec.id}.{lang}.pdf": paper.to_pdf(module_html(spec, lang, track), spec.folder)
    }
    notes = facilitator_html(spec, lang)
    if notes is not None:
        files[f"{prefix}{spec.id}.facilitator.{lang}.pdf"] = paper.to_pdf(notes, spec.folder)
    return files


def track_files(track: TrackSpec, specs: list[ModuleSpec], lang: str) -> dict[str, bytes]:
    """Every module of a track, numbered in the track's order (``01_<id>.es.pdf``, ...)."""
    files: dict[str, bytes] = {}
    for number, spec in enumerate(specs, start=1):
        files.update(module_files(spec, lang, track, prefix=f"{number:02d}_"))
    return files
