"""``chwkit modules new <id> --track <track>``: a module's files, ready to be written.

Writes ``notebooks/modules/<id>/`` (``module.yaml``, ``<id>.ipynb``, ``facilitator.es.md``,
``facilitator.en.md``) and ``assessments/items/<id>_check.yaml``, every place to fill marked
``TODO``, and adds the module to the end of the track (its hours follow). ``chwkit modules
check`` fails while a ``TODO`` is left, and passes once the module is written.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import yaml

from chwkit.core import atomic, paths
from chwkit.core.nbstore import notebook_dict
from chwkit.learn.spec import MODULE_ID

TODO = "TODO"
_TODO_TEXT = {"es": "TODO: escriba aquí", "en": "TODO: write here"}


class ScaffoldError(ValueError):
    """The module cannot be created; the message says why and what to do."""


def _yaml(module_id: str, today: datetime.date) -> str:
    def pair(es: str, en: str) -> str:
        return f'{{es: "{TODO}: {es}", en: "{TODO}: {en}"}}'

    def question(qid: str, kind: str) -> list[str]:
        lines = [
            f"  - id: {qid}",
            f"    kind: {kind}",
            f"    prompt: {pair('pregunta', 'question')}",
        ]
        if kind == "short":
            lines.append(f'    accept: {{es: ["{TODO}"], en: ["{TODO}"]}}')
        else:
            lines.append("    options:")
            lines += [f"      - {pair(f'opción {n}', f'option {n}')}" for n in (1, 2, 3)]
            lines.append("    answer: 0" if kind == "single" else "    answer: [0, 1]")
        why = pair("por qué es correcta y por qué no lo son las otras", "why")
        return [*lines, f"    explanation: {why}"]

    review_by = today + datetime.timedelta(days=365)
    source = (
        f'  - {{title: "{TODO}", publisher: "{TODO}", url: "https://example.org/{TODO}", '
        f"consulted: {today.isoformat()}}}"
    )
    return "\n".join(
        [
            f"id: {module_id}",
            "order: 99",
            "level: entry  # entry | mid | advanced",
            "duration_min: 50  # one group session: 45-60",
            f"c3_roles: [1]  # {TODO}: the C3 roles the module serves (1-10)",
            f"c3_skills: [communication]  # {TODO}: the C3 skills it builds",
            f"title: {pair('título', 'title')}",
            f"summary: {pair('resumen en una o dos frases', 'one or two sentences')}",
            "objectives:",
            f"  - {pair('objetivo 1', 'objective 1')}",
            f"  - {pair('objetivo 2', 'objective 2')}",
            "sources:  # each one found and read; consulted is the day you read it",
            source,
            source,
            f"reviewed: {today.isoformat()}",
            f"review_by: {review_by.isoformat()}  # 6 months if it states rules that change",
            "questions:",
            *question("q1", "single"),
            *question("q2", "multiple"),
            *question("q3", "short"),
            *question("q4", "single"),
            "",
        ]
    )


def _notebook(module_id: str) -> dict:
    def md(text: str, lang: str) -> dict:
        return {"cell_type": "markdown", "metadata": {"tags": [f"lang-{lang}"]}, "source": text}

    def code(text: str) -> dict:
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": text,
        }

    es, en = _TODO_TEXT["es"], _TODO_TEXT["en"]
    cells = [
        code("from chwkit import Module\n\nmodule = Module.here()\nmodule.header()"),
        md(
            f"# {TODO}: título\n\n{es}\n\n## Objetivos de aprendizaje\n\n- {TODO}\n\n**Duración:** 50 minutos.",
            "es",
        ),
        md(
            f"# {TODO}: title\n\n{en}\n\n## Learning objectives\n\n- {TODO}\n\n**Duration:** 50 minutes.",
            "en",
        ),
        md(f"## {TODO}: primera sección\n\n{es}", "es"),
        md(f"## {TODO}: first section\n\n{en}", "en"),
        code('module.question("q1")'),
        md(f"## {TODO}: segunda sección\n\n{es}", "es"),
        md(f"## {TODO}: second section\n\n{en}", "en"),
        code('module.question("q2")'),
        md(f"## Caso: {TODO}\n\n{es}", "es"),
        md(f"## Case: {TODO}\n\n{en}", "en"),
        code('module.question("q3")'),
        code('module.question("q4")'),
        md(f"## Fuentes\n\n- {TODO} (consultada el …)", "es"),
        md(f"## Sources\n\n- {TODO} (consulted on …)", "en"),
        code("module.ready()"),
    ]
    return notebook_dict(cells, module_id)


_FACILITATOR = {
    "es": (
        "# {TODO}: título — Guía para facilitar\n\n## Antes de la sesión\n\n{TODO}\n\n"
        "## Plan (50 min)\n\n| Minutos | Actividad | Qué hace quien facilita |\n|---|---|---|\n"
        "| {TODO} | {TODO} | {TODO} |\n\n## Actividad en grupo\n\n{TODO}\n\n"
        "## Preguntas para conversar\n\n{TODO}\n\n## Cierre\n\n{TODO}\n\n"
        "## Cuidado y seguridad\n\n{TODO}\n"
    ),
    "en": (
        "# {TODO}: title — Facilitator's guide\n\n## Before the session\n\n{TODO}\n\n"
        "## Plan (50 min)\n\n| Minutes | Activity | What the facilitator does |\n|---|---|---|\n"
        "| {TODO} | {TODO} | {TODO} |\n\n## Group activity\n\n{TODO}\n\n"
        "## Discussion questions\n\n{TODO}\n\n## Closing\n\n{TODO}\n\n## Care and safety\n\n{TODO}\n"
    ),
}


def _items(module_id: str) -> str:
    section = f'{{es: "{TODO}: primera sección", en: "{TODO}: first section"}}'
    return f"""\
assessment: {module_id}_check
module: {module_id}
title: {{es: "Autoevaluación: {TODO}", en: "Self-assessment: {TODO}"}}
intro: {{es: "{TODO}: cuántas preguntas, cuáles se califican solas; puede enviar más de una vez.", en: "{TODO}"}}
items:
  - id: q1
    kind: single
    points: 1
    objectives: [1]
    section: {section}
    prompt: {{es: "{TODO}", en: "{TODO}"}}
    options: [{{es: "{TODO}", en: "{TODO}"}}, {{es: "{TODO}", en: "{TODO}"}}]
    answer: 0
  - id: q2
    kind: short
    points: 1
    objectives: [2]
    section: {section}
    prompt: {{es: "{TODO}", en: "{TODO}"}}
    accept: ["{TODO}"]
  - id: q3
    kind: reflection
    points: 2
    completion: false  # true: points for answering (wellbeing and self-care reflections)
    section: {section}
    prompt: {{es: "{TODO}", en: "{TODO}"}}
    example: "{TODO}: an example answer (never shown to learners)"
    rubric: {{es: "{TODO}: 2 pts …; 1 pt …; 0 …", en: "{TODO}"}}
"""


def new_module(module_id: str, track: str, today: datetime.date | None = None) -> list[Path]:
    """Write a module's skeleton and add it to ``track``; the files written."""
    from chwkit.learn.tracks import tracks_dir

    if not MODULE_ID.match(module_id or ""):
        raise ScaffoldError(
            f"{module_id!r} is not a module id: lowercase letters, digits and _, starting "
            "with a letter (for example clinic_diabetes)"
        )
    folder = paths.modules_dir() / module_id
    items = paths.assessments_dir() / "items" / f"{module_id}_check.yaml"
    if folder.exists() or items.exists():
        raise ScaffoldError(f"{module_id} exists already ({folder}); choose another id")
    track_file = tracks_dir() / f"{track}.yaml"
    if not track_file.is_file():
        known = ", ".join(sorted(p.stem for p in tracks_dir().glob("*.yaml"))) or "none"
        raise ScaffoldError(f"no track {track!r} (tracks: {known})")
    today = today or datetime.date.today()
    written = []
    folder.mkdir(parents=True)
    for path, text in (
        (folder / "module.yaml", _yaml(module_id, today)),
        (
            folder / f"{module_id}.ipynb",
            json.dumps(_notebook(module_id), indent=1, ensure_ascii=False) + "\n",
        ),
        (folder / "facilitator.es.md", _FACILITATOR["es"].replace("{TODO}", TODO)),
        (folder / "facilitator.en.md", _FACILITATOR["en"].replace("{TODO}", TODO)),
        (items, _items(module_id)),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write(path, text, exclusive=True)
        written.append(path)
    _add_to_track(track_file, module_id, minutes=50)
    written.append(track_file)
    return written


def _add_to_track(track_file: Path, module_id: str, minutes: int) -> None:
    """Append the module to the track's list and its hours, keeping the file's comments."""
    text = track_file.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    modules = [*data["modules"], module_id]
    hours = round(float(data["hours"]) + minutes / 60, 1)
    flow = re.search(r"(?m)^modules:\s*\[.*\]\s*$", text)
    if flow:  # keep the author's layout and comments
        text = text[: flow.start()] + f"modules: [{', '.join(modules)}]" + text[flow.end() :]
        text = re.sub(r"(?m)^hours:.*$", f"hours: {hours:g}", text, count=1)
    else:
        text = yaml.safe_dump({**data, "modules": modules, "hours": hours}, allow_unicode=True)
    atomic.write(track_file, text)


def todo_problems(folder: Path) -> list[str]:
    """Places a skeleton marked ``TODO`` that are still to write."""
    problems = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".md", ".ipynb") and TODO in path.read_text(encoding="utf-8"):
            problems.append(f"{path}: still has {TODO} to write")
    return problems
