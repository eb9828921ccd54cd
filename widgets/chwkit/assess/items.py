"""An assessment's items, read from a notebook, and the validation of learner answers.

How a bilingual assessment is represented (one nbgrader notebook per assessment):

- the first markdown cell carries ``metadata.chwkit = {assessment, module, title, intro}``;
- each item is a locked markdown cell (``grade_id`` ``prompt_qN``) whose text shows the prompt
  in both languages, and whose ``metadata.chwkit`` carries the item for the widgets:
  ``{item, kind, var, points, prompt: {es, en}, options: [{es, en}...], hint: {es, en}}``
  (no answer key: the key lives only in the source's solution and hidden-test regions);
- then an answer cell (``grade_id`` = ``var``): ``answer_qN = None`` in the release version.
  The learner's answer is written there as one Python literal of plain data;
- then, for autograded items, a locked test cell (``test_qN``) with visible checks of the
  answer's type and hidden checks of its value. Reflections are nbgrader "manually graded
  answers": the answer cell itself is the grade cell.

Answers by kind: single -> int (option index); multiple -> list[int] (sorted, unique);
numeric -> int | float; short -> str (<= 200 chars); reflection -> str (<= 4000 chars).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from pathlib import Path

from chwkit.core import questions

KINDS = questions.KINDS
MAX_SHORT_CHARS = 200
MAX_REFLECTION_CHARS = 4000
MAX_NUMBER = 1e9
MAX_CELL_CHARS = 4 * MAX_REFLECTION_CHARS + 100  # repr() of text may escape characters
# What a completion-only reflection's answer cell holds when the learner keeps it private:
# it counts as answered, and the words stay on the learner's page, never in a submission.
PRIVATE_REFLECTION = "(reflexión privada · private reflection)"
VAR = re.compile(r"^(answer|reflection)_q[0-9]{1,3}$")


class AssessmentFormatError(ValueError):
    """The notebook is not a kit assessment (or was damaged)."""


class AnswerError(ValueError):
    """A learner's answer does not fit its item; ``key`` is a catalog key for the learner."""

    def __init__(self, item: str, key: str, detail: str):
        super().__init__(f"{item}: {detail}")
        self.item = item
        self.key = key


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    var: str
    points: float
    prompt: dict[str, str]
    hint: dict[str, str]
    options: tuple[dict[str, str], ...] = ()
    unit: dict[str, str] | None = None
    completion: bool = False  # a reflection that scores for having been answered

    @property
    def manual(self) -> bool:
        return self.kind == "reflection" and not self.completion

    @property
    def test_id(self) -> str | None:
        """The grade cell that scores this item."""
        return self.var if self.manual else f"test_{self.id}"


@dataclass(frozen=True)
class Assessment:
    id: str
    module: str
    title: dict[str, str]
    intro: dict[str, str]
    items: tuple[Item, ...]

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _bilingual(value: object, where: str) -> dict[str, str]:
    return questions.bilingual(value, where, AssessmentFormatError)


def _item(meta: dict, where: str) -> Item:
    kind = meta.get("kind")
    if kind not in KINDS:
        raise AssessmentFormatError(f"{where}: unknown kind {kind!r}")
    var = meta.get("var")
    item_id = meta.get("item")
    if not isinstance(var, str) or not VAR.fullmatch(var) or not str(var).endswith(f"_{item_id}"):
        raise AssessmentFormatError(f"{where}: bad answer variable {var!r}")
    options = tuple(
        _bilingual(o, f"{where} option {i}") for i, o in enumerate(meta.get("options") or ())
    )
    if kind in ("single", "multiple") and len(options) < 2:
        raise AssessmentFormatError(f"{where}: a choice item needs options")
    points = meta.get("points")
    if not isinstance(points, int | float) or points <= 0:
        raise AssessmentFormatError(f"{where}: bad points {points!r}")
    return Item(
        id=item_id,
        kind=kind,
        var=var,
        points=float(points),
        prompt=_bilingual(meta.get("prompt"), f"{where} prompt"),
        hint=_bilingual(meta.get("hint"), f"{where} hint"),
        options=options,
        unit=_bilingual(meta["unit"], f"{where} unit") if meta.get("unit") else None,
        completion=kind == "reflection" and meta.get("completion") is True,
    )


def assessment_from_notebook(nb) -> Assessment:
    header, items = None, []
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("chwkit")
        if not isinstance(meta, dict):
            continue
        if "assessment" in meta and header is None:
            header = meta
        elif "item" in meta:
            items.append(_item(meta, f"cell {index}"))
    if header is None:
        raise AssessmentFormatError("no assessment header cell (metadata.chwkit.assessment)")
    if not items or len({i.id for i in items}) != len(items):
        raise AssessmentFormatError("items are missing or repeated")
    return Assessment(
        id=str(header["assessment"]),
        module=str(header.get("module", "")),
        title=_bilingual(header.get("title"), "title"),
        intro=_bilingual(header.get("intro"), "intro"),
        items=tuple(items),
    )


def load_assessment(path: Path) -> Assessment:
    from chwkit.core import nbstore

    return assessment_from_notebook(nbstore.read(Path(path)))


# -- learner answers ----------------------------------------------------------------------------
def clean_answer(item: Item, value: object) -> object:
    """The plain-data answer for ``item`` from a widget value, or None if unanswered.

    Raises AnswerError for a value of the wrong type, out of range, or too long.
    """
    if value is None:
        return None
    kind = item.kind
    if kind == "single":
        if type(value) is not int or not 0 <= value < len(item.options):
            raise AnswerError(item.id, "assess.bad_choice", f"not an option index: {value!r}")
        return value
    if kind == "multiple":
        if not isinstance(value, list | tuple) or not all(
            type(v) is int and 0 <= v < len(item.options) for v in value
        ):
            raise AnswerError(item.id, "assess.bad_choice", f"not option indices: {value!r}")
        chosen = sorted(set(value))
        return chosen or None
    if kind == "numeric":
        if isinstance(value, str):
            text = value.strip().replace(",", ".").replace("$", "").strip()
            if not text:
                return None
            try:
                value = float(text)
            except ValueError:
                raise AnswerError(item.id, "assess.bad_number", "not a number") from None
        if type(value) not in (int, float) or not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise AnswerError(item.id, "assess.bad_number", f"not a number: {value!r}")
        return int(value) if float(value).is_integer() else float(value)
    # short, reflection
    if not isinstance(value, str):
        raise AnswerError(item.id, "assess.bad_text", "not text")
    text = value.replace("\r\n", "\n").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)
    limit = MAX_SHORT_CHARS if kind == "short" else MAX_REFLECTION_CHARS
    if len(text) > limit:
        raise AnswerError(item.id, "assess.too_long", f"longer than {limit} characters")
    return text or None


def answer_source(item: Item, value: object) -> str:
    """The answer cell's source: one assignment of a literal (``repr`` of validated data)."""
    return f"{item.var} = {value!r}"


def parse_answer_cell(item: Item, source: str) -> object:
    """Read back the literal in an answer cell; AnswerError if it holds anything but data.

    Used by the grader to refuse tampered submissions before any code runs.
    """
    if len(source) > MAX_CELL_CHARS:
        raise AnswerError(item.id, "assess.too_long", "the answer cell is too long")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise AnswerError(item.id, "assess.bad_cell", "the answer cell is not valid") from None
    body = list(tree.body)
    if not body:
        raise AnswerError(item.id, "assess.bad_cell", "the answer cell is empty")
    value: object = None
    for node in body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == item.var
        ):
            raise AnswerError(
                item.id, "assess.bad_cell", "the answer cell holds code, not only an answer"
            )
        try:
            value = ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise AnswerError(
                item.id, "assess.bad_cell", "the answer cell holds code, not only an answer"
            ) from None
    if isinstance(value, str) and len(value) > MAX_REFLECTION_CHARS:
        raise AnswerError(item.id, "assess.too_long", "the answer is too long")
    return value
