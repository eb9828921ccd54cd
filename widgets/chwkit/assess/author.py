"""Writing an assessment: ``assessments/items/<assignment>.yaml`` -> the nbgrader source notebook.

An author writes the items once, as data (prompt, options, key, the module section a hint
points to, the objectives an item tests, a reflection's rubric). ``chwkit assess build`` turns
that into ``assessments/source/<assignment>/<assignment>.ipynb`` in the kit's nbgrader format
(see ``chwkit.assess.items``): a locked prompt cell with the item's metadata, an answer cell
with the key inside ``### BEGIN SOLUTION``, and a locked test cell whose value checks sit inside
``### BEGIN HIDDEN TESTS``. The YAML stays outside ``source/`` so nbgrader never copies a key
into a release. Short answers are graded with ``chwkit.core.text.matches``, the rule practice
questions use.

``chwkit assess check`` builds the notebook and grades two submissions with real nbgrader in a
scratch course: the solution must score full marks, a blank submission zero.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chwkit.core import paths, questions
from chwkit.core.i18n import LANGS
from chwkit.core.text import fold

KINDS = questions.KINDS
NBGRADER_SCHEMA = 3
_SECTION = re.compile(r"^#{2,3}\s+(.+?)\s*$", re.MULTILINE)


class AuthorError(ValueError):
    """The item file is malformed; the message names the file, the item and the fix."""


def items_dir() -> Path:
    return paths.assessments_dir() / "items"


def items_file(assignment: str) -> Path:
    return items_dir() / f"{assignment}.yaml"


def _bilingual(value: object, where: str) -> dict[str, str]:
    return questions.bilingual(value, where, AuthorError)


@dataclass(frozen=True)
class ItemSpec:
    id: str
    kind: str
    points: float
    prompt: dict[str, str]
    section: dict[str, str]
    objectives: tuple[int, ...] = ()
    options: tuple[dict[str, str], ...] = ()
    answer: object = None
    tolerance: float = 0.01
    accept: tuple[str, ...] = ()
    completion: bool = False  # reflection scored for having answered (wellbeing, self-care)
    example: str = ""
    rubric: dict[str, str] | None = None
    unit: dict[str, str] | None = None

    @property
    def var(self) -> str:
        return f"{'reflection' if self.kind == 'reflection' else 'answer'}_{self.id}"

    @property
    def autograded(self) -> bool:
        return self.kind != "reflection" or self.completion

    @property
    def hint(self) -> dict[str, str]:
        return {
            "es": f"Repase la sección «{self.section['es']}» del módulo.",
            "en": f"Review the section “{self.section['en']}” in the module.",
        }

    @classmethod
    def from_dict(cls, data: object, where: str) -> ItemSpec:
        if not isinstance(data, dict):
            raise AuthorError(f"{where}: an item must be a mapping")
        item_id = str(data.get("id", ""))
        if not re.fullmatch(r"q[0-9]{1,3}", item_id):
            raise AuthorError(f"{where}: item id must be q1, q2, ... not {item_id!r}")
        where = f"{where} {item_id}"
        kind = data.get("kind")
        if kind not in KINDS:
            raise AuthorError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        points = data.get("points", 1)
        if not isinstance(points, int | float) or isinstance(points, bool) or points <= 0:
            raise AuthorError(f"{where}: points must be a positive number")
        objectives = data.get("objectives") or []
        if not isinstance(objectives, list) or not all(
            isinstance(o, int) and o >= 1 for o in objectives
        ):
            raise AuthorError(f"{where}: objectives lists objective numbers (1, 2, ...)")
        common = dict(
            id=item_id,
            kind=kind,
            points=float(points),
            prompt=_bilingual(data.get("prompt"), f"{where} prompt"),
            section=_bilingual(data.get("section"), f"{where} section"),
            objectives=tuple(objectives),
            unit=_bilingual(data["unit"], f"{where} unit") if data.get("unit") else None,
        )
        answer = data.get("answer")
        if kind in ("single", "multiple"):
            options = questions.options(data.get("options"), where, AuthorError)
            keys = questions.choice_key(kind, answer, len(options), where, AuthorError)
            key = keys[0] if kind == "single" else list(keys)
            return cls(**common, options=options, answer=key)
        if kind == "numeric":
            if type(answer) not in (int, float):
                raise AuthorError(f"{where}: a numeric item needs answer: <number>")
            tolerance = data.get("tolerance", 0.01)
            if type(tolerance) not in (int, float) or tolerance < 0:
                raise AuthorError(f"{where}: tolerance must be a number >= 0")
            return cls(**common, answer=answer, tolerance=float(tolerance))
        if kind == "short":
            accept = data.get("accept")
            if isinstance(accept, dict):  # {es: [...], en: [...]} is accepted too
                accept = [a for lang in LANGS for a in accept.get(lang) or []]
            if (
                not isinstance(accept, list)
                or not accept
                or not all(isinstance(a, str) and fold(a) for a in accept)
            ):
                raise AuthorError(f"{where}: a short item needs accept: [answers, ...]")
            return cls(**common, accept=tuple(dict.fromkeys(accept)))
        rubric = data.get("rubric")
        completion = bool(data.get("completion", False))
        example = data.get("example")
        if not isinstance(example, str) or not example.strip():
            raise AuthorError(f"{where}: a reflection needs an example answer (example: ...)")
        return cls(
            **common,
            completion=completion,
            example=example.strip(),
            rubric=_bilingual(rubric, f"{where} rubric"),
        )


@dataclass(frozen=True)
class AssessmentSpec:
    id: str
    module: str
    title: dict[str, str]
    intro: dict[str, str]
    items: tuple[ItemSpec, ...] = field(default_factory=tuple)
    source: Path | None = None

    @classmethod
    def load(cls, path: Path) -> AssessmentSpec:
        where = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise AuthorError(f"{where}: cannot read: {exc}") from exc
        if not isinstance(data, dict):
            raise AuthorError(f"{where}: expected a mapping")
        assignment = str(data.get("assessment", ""))
        if assignment != Path(path).stem or not re.fullmatch(r"[a-z][a-z0-9_]{1,60}", assignment):
            raise AuthorError(f"{where}: assessment {assignment!r} must equal the file name")
        raw_items = data.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise AuthorError(f"{where}: no items")
        items = tuple(ItemSpec.from_dict(item, where) for item in raw_items)
        ids = [item.id for item in items]
        if len(set(ids)) != len(ids):
            raise AuthorError(f"{where}: item ids repeat")
        return cls(
            id=assignment,
            module=str(data.get("module", "")),
            title=_bilingual(data.get("title"), f"{where} title"),
            intro=_bilingual(data.get("intro"), f"{where} intro"),
            items=items,
            source=Path(path),
        )


# -- the notebook -------------------------------------------------------------------------------
def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=True, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _points(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _kind_line(item: ItemSpec) -> str:
    points = f"{_points(item.points)} pt"
    if item.kind == "reflection":
        if item.completion:
            return f"<small>Reflexión personal (cuenta al responder) · Personal reflection (counts when answered) · {points}</small>"
        return f"<small>Reflexión (la califica su capacitador/a) · Reflection (graded by your trainer) · {points}</small>"
    label = {
        "numeric": "Número · Number",
        "short": "Respuesta corta · Short answer",
        "single": "Una respuesta · One answer",
        "multiple": "Varias respuestas · Several answers",
    }[item.kind]
    return f"<small>{label} · {points}</small>"


def _prompt_cell(item: ItemSpec, number: int) -> dict:
    lines = [
        f"### {number}. {item.prompt['es']}",
        "",
        f"*{item.prompt['en']}*",
        "",
    ]
    for index, option in enumerate(item.options):
        lines.append(f"{index}. {option['es']} / *{option['en']}*")
    if item.options:
        lines.append("")
    lines.append(_kind_line(item))
    meta = {
        "item": item.id,
        "kind": item.kind,
        "var": item.var,
        "points": _points(item.points),
        "prompt": item.prompt,
        "hint": item.hint,
    }
    if item.options:
        meta["options"] = list(item.options)
    if item.unit:
        meta["unit"] = item.unit
    if item.completion:
        meta["completion"] = True
    return _markdown("\n".join(lines), {"chwkit": meta, "nbgrader": _nbgrader(f"prompt_{item.id}")})


def _answer_literal(item: ItemSpec) -> object:
    if item.kind == "reflection":
        return item.example
    return item.accept[0] if item.kind == "short" else item.answer


def _literal(value: object) -> str:
    """``value`` as Python source, quoted as ``ruff format`` quotes it (the built notebooks are
    formatted code, so ``make lint`` checks them like any other)."""
    if not isinstance(value, str):
        return repr(value)
    text = repr(value)
    if text.startswith('"') or ('"' in value and "'" not in value):
        return text
    return '"' + text[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'


def _answer_cell(item: ItemSpec) -> dict:
    source = (
        f"{item.var} = None\n### BEGIN SOLUTION\n{item.var} = {_literal(_answer_literal(item))}\n"
        "### END SOLUTION"
    )
    manual = item.kind == "reflection" and not item.completion
    meta = _nbgrader(
        item.var,
        grade=manual,
        solution=True,
        locked=False,
        points=_points(item.points) if manual else None,
    )
    return _code(source, {"nbgrader": meta})


def _test_source(item: ItemSpec) -> str:
    var = item.var
    visible = [f'assert {var} is not None, "no answer"']
    if item.kind == "single":
        visible += [
            f'assert type({var}) is int, "the answer is the number of one option"',
            f'assert 0 <= {var} < {len(item.options)}, "no such option"',
        ]
        hidden = [f"assert {var} == {item.answer!r}"]
    elif item.kind == "multiple":
        visible += [
            f'assert isinstance({var}, list), "the answer is a list of option numbers"',
            f'assert all(type(x) is int for x in {var}), "options are numbers"',
            f'assert {var}, "choose at least one option"',
        ]
        hidden = [f"assert sorted(set({var})) == {item.answer!r}"]
    elif item.kind == "numeric":
        visible.append(f'assert type({var}) in (int, float), "the answer is a number"')
        hidden = [f"assert abs({var} - {item.answer!r}) <= {item.tolerance!r}"]
    elif item.kind == "short":
        visible.append(f'assert isinstance({var}, str), "the answer is text"')
        accepted = "".join(f"        {_literal(a)},\n" for a in item.accept)
        hidden = [f"assert matches(\n    {var},\n    [\n{accepted}    ],\n)"]
    else:  # a completion-only reflection: answered is enough, the words are not judged
        visible.append(f'assert isinstance({var}, str) and {var}.strip(), "no answer"')
        return "\n".join(visible)
    return "\n".join([*visible, "### BEGIN HIDDEN TESTS", *hidden, "### END HIDDEN TESTS"])


def _test_cell(item: ItemSpec) -> dict:
    meta = _nbgrader(f"test_{item.id}", grade=True, points=_points(item.points))
    return _code(_test_source(item), {"nbgrader": meta})


def _rubric_cell(item: ItemSpec) -> dict:
    text = (
        f"**Rúbrica para el/la capacitador/a ({item.id})** · *Rubric for the trainer*\n\n"
        f"{item.rubric['es']}\n\n*{item.rubric['en']}*"
    )
    return _markdown(text, {"nbgrader": _nbgrader(f"rubric_{item.id}")})


def _markdown(source: str, metadata: dict) -> dict:
    return {"cell_type": "markdown", "metadata": metadata, "source": source}


def _code(source: str, metadata: dict) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": metadata,
        "outputs": [],
        "source": source,
    }


def notebook(spec: AssessmentSpec) -> dict:
    """The nbgrader source notebook (a plain nbformat 4 dict) for ``spec``."""
    header = {
        "assessment": spec.id,
        "module": spec.module,
        "title": spec.title,
        "intro": spec.intro,
    }
    intro = f"# {spec.title['es']}\n\n*{spec.title['en']}*\n\n{spec.intro['es']}\n\n*{spec.intro['en']}*"
    cells = [_markdown(intro, {"chwkit": header, "nbgrader": _nbgrader("intro")})]
    setup = "# Read-only: the rule short answers are graded with (the same as practice).\n"
    setup += "from chwkit.core.text import matches"
    cells.append(_code(setup, {"nbgrader": _nbgrader("setup")}))
    for number, item in enumerate(spec.items, start=1):
        cells.append(_prompt_cell(item, number))
        cells.append(_answer_cell(item))
        if item.autograded:
            cells.append(_test_cell(item))
        if item.rubric:
            cells.append(_rubric_cell(item))
    from chwkit.core.nbstore import notebook_dict

    return notebook_dict(cells, spec.id)


def render(spec: AssessmentSpec) -> str:
    return json.dumps(notebook(spec), indent=1, ensure_ascii=False) + "\n"


def target(assignment: str) -> Path:
    return paths.assessments_dir() / "source" / assignment / f"{assignment}.ipynb"


def build(assignment: str) -> Path:
    """Write the source notebook of ``assignment`` from its item file; return its path."""
    from chwkit.core import nbstore

    spec = AssessmentSpec.load(items_file(assignment))
    import nbformat

    nb = nbformat.reads(render(spec), as_version=4)
    out = target(assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbstore.write_atomic(out, nb)
    return out


def stale(assignment: str) -> bool:
    """Whether the committed source notebook differs from what its item file builds."""
    out = target(assignment)
    if not out.is_file():
        return True
    import nbformat

    built = nbformat.reads(render(AssessmentSpec.load(items_file(assignment))), as_version=4)
    return nbformat.writes(built) != nbformat.writes(nbformat.read(out, as_version=4))


def all_assignments() -> list[str]:
    return sorted(p.stem for p in items_dir().glob("*.yaml"))


def module_sections(notebook_path: Path) -> dict[str, set[str]]:
    """The ``##``/``###`` headings of a module notebook, per language."""
    nb = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {lang: set() for lang in LANGS}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        for lang in LANGS:
            if f"lang-{lang}" in tags:
                text = "".join(cell.get("source", ""))
                found[lang] |= {h.strip() for h in _SECTION.findall(text)}
    return found


def alignment_problems(spec: AssessmentSpec, module) -> list[str]:
    """What is wrong between an assessment and its module (``chwkit.learn.spec.ModuleSpec``).

    Every objective is tested by an autograded item; every item's section is a heading of the
    module in its language; no item names an objective the module does not have; no prompt or
    section quotes a short item's accepted answer.
    """
    where = str(spec.source or spec.id)
    problems: list[str] = []
    objectives = getattr(module, "objectives", ()) or ()
    sections = module_sections(module.notebook)
    tested: set[int] = set()
    for item in spec.items:
        for number in item.objectives:
            if number > len(objectives):
                problems.append(
                    f"{where} {item.id}: objective {number} does not exist "
                    f"(the module has {len(objectives)})"
                )
            elif item.autograded:
                tested.add(number)
        for lang in LANGS:
            if item.section[lang] not in sections[lang]:
                problems.append(
                    f"{where} {item.id}: section «{item.section[lang]}» is not a heading of "
                    f"{module.notebook.name} ({lang})"
                )
        if item.kind == "short":
            shown = fold(" ".join([*item.prompt.values(), *item.section.values()]))
            for accepted in item.accept:
                if len(fold(accepted)) > 3 and f" {fold(accepted)} " in f" {shown} ":
                    problems.append(f"{where} {item.id}: the prompt gives away «{accepted}»")
    for number in range(1, len(objectives) + 1):
        if number not in tested:
            problems.append(f"{where}: objective {number} is tested by no autograded item")
    if sum(1 for item in spec.items if item.kind == "reflection") > 1:
        problems.append(f"{where}: at most one reflection")
    return problems


# -- checking ------------------------------------------------------------------------------------
def _cells_by_grade_id(nb) -> dict[str, str]:
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata
    }


def run_checks(nb, answers: dict) -> dict[str, bool]:
    """Run the setup cell, then each autograded item's visible and hidden tests on ``answers``
    (item id -> value), as nbgrader does; which items pass. For the project's own sources."""
    from chwkit.assess.items import assessment_from_notebook

    cells = _cells_by_grade_id(nb)
    namespace: dict = {}
    exec(cells.get("setup", ""), namespace)  # noqa: S102 - the project's own source notebook
    passed = {}
    for item in assessment_from_notebook(nb).items:
        if item.manual:
            continue
        namespace[item.var] = answers.get(item.id)
        try:
            exec(cells[f"test_{item.id}"], namespace)  # noqa: S102
        except AssertionError:
            passed[item.id] = False
        else:
            passed[item.id] = True
    return passed


def solution(nb) -> dict:
    """Item id -> the answer the source's solution region sets."""
    from chwkit.assess.items import assessment_from_notebook

    cells = _cells_by_grade_id(nb)
    answers = {}
    for item in assessment_from_notebook(nb).items:
        namespace: dict = {}
        exec(cells[item.var], namespace)  # noqa: S102 - sets the variable to the solution
        answers[item.id] = namespace[item.var]
    return answers


def check(assignment: str) -> list[str]:
    """Everything wrong with one assessment: its file, its module, its solution, staleness."""
    import nbformat

    from chwkit.learn.spec import ModuleError, find

    try:
        spec = AssessmentSpec.load(items_file(assignment))
    except AuthorError as exc:
        return [str(exc)]
    problems: list[str] = []
    try:
        module = find(spec.module)
    except ModuleError as exc:
        return [str(exc)]
    if module is None:
        problems.append(f"{spec.source}: module {spec.module!r} does not exist")
    else:
        problems += alignment_problems(spec, module)
    nb = nbformat.reads(render(spec), as_version=4)
    key = solution(nb)
    failed = [item for item, ok in run_checks(nb, key).items() if not ok]
    if failed:
        problems.append(f"{spec.source}: the solution fails items {failed}")
    passed_blank = [item for item, ok in run_checks(nb, {}).items() if ok]
    if passed_blank:
        problems.append(f"{spec.source}: a blank submission scores on items {passed_blank}")
    if stale(assignment):
        problems.append(
            f"{target(assignment)}: out of date with {spec.source.name}: "
            f"run `chwkit assess build {assignment}`"
        )
    return problems
