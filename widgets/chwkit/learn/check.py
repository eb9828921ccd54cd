"""``chwkit modules check``: every module and track, as a reviewer would check them.

A module's problems: its ``module.yaml`` (``chwkit.learn.spec``), its notebook's bilingual
structure, objectives and dated sources, and its assessment's alignment with it
(``chwkit.assess.author``). Warnings: a module past its ``review_by`` date.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys

from chwkit.core import paths
from chwkit.learn.scaffold import TODO, todo_problems
from chwkit.learn.spec import ModuleError, ModuleSpec

_HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)
_QUESTION_CALL = re.compile(r"module\.question\(\s*['\"]([a-z0-9_]+)['\"]\s*\)")


def check_structure(spec: ModuleSpec) -> list[str]:
    """Problems in the notebook's bilingual structure (empty list when sound).

    Markdown cells come in (lang-es, lang-en) pairs with the same heading levels; every
    question in module.yaml is shown exactly once; no cell holds outputs.
    """
    problems: list[str] = []
    try:
        nb = json.loads(spec.notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{spec.notebook}: cannot read: {exc}"]
    markdown = [c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]
    shown: list[str] = []
    for index, cell in enumerate(nb.get("cells", [])):
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "code":
            shown += _QUESTION_CALL.findall(source)
            if cell.get("outputs"):
                problems.append(f"{spec.notebook} cell {index}: committed with outputs")
    tags = [tuple(c.get("metadata", {}).get("tags", [])) for c in markdown]
    for i in range(0, len(markdown), 2):
        pair = markdown[i : i + 2]
        if len(pair) != 2 or "lang-es" not in tags[i] or "lang-en" not in tags[i + 1]:
            problems.append(
                f"{spec.notebook}: markdown cell {i} must be a lang-es cell followed by its "
                "lang-en twin"
            )
            break
        levels = [[len(h) for h in _HEADING.findall("".join(c.get("source", "")))] for c in pair]
        if levels[0] != levels[1]:
            problems.append(
                f"{spec.notebook}: markdown pair {i // 2} has headings {levels[0]} in es "
                f"but {levels[1]} in en"
            )
    wanted = [q.id for q in spec.questions]
    if sorted(shown) != sorted(wanted):
        problems.append(f"{spec.notebook}: shows questions {shown}, module.yaml has {wanted}")
    return problems


MIN_SOURCES = 2
MIN_QUESTIONS = 4


def content_problems(spec: ModuleSpec) -> list[str]:
    """What a reviewer needs and the module lacks: objectives, dated sources, review dates,
    enough practice, facilitator notes in both languages or in neither."""
    where = spec.folder / "module.yaml"
    problems = []
    if not 2 <= len(spec.objectives) <= 8:
        problems.append(f"{where}: list 2 to 8 learning objectives (objectives: [{{es, en}}])")
    if len(spec.sources) < MIN_SOURCES:
        problems.append(
            f"{where}: cite at least {MIN_SOURCES} sources (title, publisher, url, consulted)"
        )
    if spec.reviewed is None or spec.review_by is None:
        problems.append(f"{where}: give the reviewed and review_by dates (YYYY-MM-DD)")
    elif spec.review_by <= spec.reviewed:
        problems.append(f"{where}: review_by must come after reviewed")
    if len(spec.questions) < MIN_QUESTIONS:
        problems.append(f"{where}: at least {MIN_QUESTIONS} practice questions")
    problems += todo_problems(spec.folder)
    notes = spec.facilitator_notes
    if notes and len(notes) != 2:
        problems.append(
            f"{spec.folder}: facilitator notes need both facilitator.es.md and facilitator.en.md"
        )
    return problems


def review_warnings(spec: ModuleSpec, today: datetime.date | None = None) -> list[str]:
    today = today or datetime.date.today()
    if spec.review_by is not None and spec.review_by < today:
        return [
            f"warning: {spec.id} was due for review on {spec.review_by.isoformat()}: check its "
            "sources again, update it, and move reviewed and review_by"
        ]
    return []


def assessment_problems(spec: ModuleSpec) -> list[str]:
    from chwkit.assess import author

    names = [a for a in author.all_assignments() if a == f"{spec.id}_check"]
    if not names:
        return [f"{spec.folder}: no assessment (assessments/items/{spec.id}_check.yaml)"]
    items = author.items_file(names[0])
    if TODO in items.read_text(encoding="utf-8"):
        return [f"{items}: still has {TODO} to write"]
    return author.check(names[0])


def track_problems(modules: dict[str, ModuleSpec]) -> tuple[int, list[str]]:
    from chwkit.learn.tracks import discover, tracks_dir

    problems: list[str] = []
    try:
        tracks = discover()
    except ModuleError as exc:  # TrackError, or a field's text missing in one language
        return 0, [str(exc)]
    ids = {t.id for t in tracks}
    for track in tracks:
        missing = [m for m in track.modules if m not in modules]
        if missing:
            problems.append(f"{track.path}: no such modules: {', '.join(missing)}")
            continue
        minutes = sum(modules[m].duration_min for m in track.modules)
        if abs(track.hours - minutes / 60) > 0.1:
            problems.append(
                f"{track.path}: hours is {track.hours:g} but its modules add up to "
                f"{minutes / 60:.1f} hours ({minutes} minutes)"
            )
        unknown = [p for p in track.prerequisites if p not in ids or p == track.id]
        if unknown:
            problems.append(f"{track.path}: unknown prerequisites: {', '.join(unknown)}")
    if not tracks_dir().is_dir():
        problems.append(f"{tracks_dir()}: no tracks folder")
    return len(tracks), problems


def run(today: datetime.date | None = None) -> tuple[list[str], list[str], int, int]:
    """(problems, warnings, modules checked, tracks checked) for the whole project."""
    problems: list[str] = []
    warnings: list[str] = []
    modules: dict[str, ModuleSpec] = {}
    for folder in sorted(paths.modules_dir().glob("*/module.yaml")):
        try:
            spec = ModuleSpec.load(folder.parent)
        except ModuleError as exc:
            problems.append(str(exc))
            continue
        modules[spec.id] = spec
        problems += check_structure(spec)
        problems += content_problems(spec)
        problems += assessment_problems(spec)
        warnings += review_warnings(spec, today)
    tracks, track_issues = track_problems(modules)
    return problems + track_issues, warnings, len(modules), tracks


def register(subparsers) -> None:
    parser = subparsers.add_parser("modules", help="check modules, tracks and their assessments")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="report what is wrong with every module and track")
    check.set_defaults(func=cmd_check)
    new = sub.add_parser("new", help="write a new module's files, to fill in, at a track's end")
    new.add_argument("module_id", help="e.g. clinic_diabetes (lowercase letters, digits, _)")
    new.add_argument("--track", required=True, help="the track it belongs to (notebooks/tracks)")
    new.set_defaults(func=cmd_new)


def cmd_check(_args: argparse.Namespace) -> int:
    problems, warnings, modules, tracks = run()
    for line in problems + warnings:
        print(line)
    summary = f"{modules} modules and {tracks} tracks checked: {len(problems)} problems"
    # Say "warning" only when there is one: scripts look for the word.
    print(summary + (f", {len(warnings)} to review (warnings)" if warnings else ", all current"))
    return 1 if problems else 0


def cmd_new(args: argparse.Namespace) -> int:
    from chwkit.cli import UserError
    from chwkit.learn.scaffold import ScaffoldError, new_module

    try:
        written = new_module(args.module_id, args.track)
    except ScaffoldError as exc:
        raise UserError(str(exc)) from None
    for path in written:
        print(f"wrote {path}")
    print(
        f"Fill in every {TODO}, then run `chwkit assess build {args.module_id}_check` and "
        "`chwkit modules check` (README: Writing a module)."
    )
    return 0


if __name__ == "__main__":
    from chwkit.cli import main

    sys.exit(main(["modules", *sys.argv[1:]]))
