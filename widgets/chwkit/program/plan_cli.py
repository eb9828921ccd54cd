"""``chwkit plan``, ``chwkit print`` and ``chwkit report``: running a program.

- ``chwkit plan PLAN.yaml``: the work plan on the calendar (``program.plan``), written as
  CSV, iCalendar and a printable page (``program.schedule``);
- ``chwkit print MODULE`` / ``--track TRACK``: PDFs for sessions without devices
  (``program.printing``);
- ``chwkit report coverage``: the C3 roles and skills covered, and the gaps
  (``program.coverage``).

Messages a coordinator reads come in their language (``--lang``). Registration imports
nothing heavy; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chwkit.cli import UserError

COMMANDS = ("plan", "print", "report")


def register(subparsers) -> None:
    """Add this module's commands (once: ``chwkit.cli`` lists each under its own name)."""
    if "plan" in subparsers.choices:
        return
    plan = subparsers.add_parser(
        "plan",
        help="the work plan: every group's sessions on the calendar (CSV, iCalendar, PDF)",
        description="Schedule every module session of every group in a plan file and write "
        "the plan as CSV, iCalendar (one file per group and one for all) and a printable "
        "page (HTML and PDF). Nothing is written unless the whole plan is sound.",
    )
    plan.add_argument("file", type=Path, help="the plan file (YAML), e.g. notebooks/plans/...")
    plan.add_argument("--lang", default="es", choices=("es", "en"), help="language (es)")
    plan.add_argument(
        "--out", type=Path, help="folder for the outputs (default: <data>/plans/<plan id>)"
    )
    plan.add_argument("--check", action="store_true", help="check and summarize; write nothing")
    plan.add_argument("--no-pdf", action="store_true", help="skip the PDF (faster)")
    plan.set_defaults(func=cmd_plan)

    printing = subparsers.add_parser(
        "print",
        help="PDFs of a module or a whole track for a session without devices",
        description="Write a module's PDF (its text, the practice questions with space to "
        "answer, and the answers on a separate page for the facilitator) and its facilitator "
        "notes' PDF where it has them; with --track, every module of the track.",
    )
    printing.add_argument("module", nargs="?", help="module id, e.g. acomp_mindfulness")
    printing.add_argument("--track", help="print every module of this track instead")
    printing.add_argument("--lang", default="es", choices=("es", "en"), help="language (es)")
    printing.add_argument("--out", type=Path, help="folder for the PDFs (default: <data>/print)")
    printing.set_defaults(func=cmd_print)


def _out_dir(args: argparse.Namespace, plan_id: str) -> Path:
    if args.out is not None:
        return args.out
    from chwkit.core import paths

    return paths.data_dir() / "plans" / plan_id


def cmd_plan(args: argparse.Namespace) -> int:
    from chwkit.core.i18n import t
    from chwkit.core.pdf import PdfError
    from chwkit.program import paper, plan, schedule

    lang = args.lang
    try:
        loaded = plan.load(args.file, lang)
    except plan.PlanError as exc:
        raise UserError(exc.report()) from exc
    result = plan.schedule(loaded, lang)
    for row in schedule.summary_rows(result):
        print(
            t(
                "plan.summary.group",
                lang,
                group=row["name"],
                track=row["track"],
                learners=row["learners"],
                facilitator=schedule.person(result, row["facilitator"]),
                scheduled=row["scheduled"],
                total=row["total"],
                first=paper.long_date(row["first"], lang),
                last=paper.long_date(row["last"], lang),
            )
        )
    if result.forum:
        dates = [s.date for s in result.forum]
        print(
            t(
                "plan.summary.forum",
                lang,
                count=len(dates),
                first=paper.long_date(min(dates), lang),
                last=paper.long_date(max(dates), lang),
            )
        )
    moved = sum(s.status == "moved" for s in result.sessions)
    if moved:
        print(t("plan.summary.moved", lang, count=moved))
    notes = schedule.warnings(result)
    if notes:
        print(t("plan.warn.header", lang))
        for line in notes:
            print(f"  {line}")
    if args.check:
        print(t("plan.summary.checked", lang))
        return 0
    try:
        files = schedule.outputs(result, pdf=not args.no_pdf)
    except PdfError as exc:
        raise UserError(str(exc)) from exc
    folder = _out_dir(args, loaded.id)
    try:
        written = schedule.write(files, folder)
    except OSError as exc:
        raise UserError(f"{folder}: {exc}") from exc
    print(t("plan.summary.written", lang, folder=folder))
    for path in written:
        print(f"  {path.name}")
    sys.stdout.flush()
    return 0


def _known(folder: Path, pattern: str) -> str:
    return (
        ", ".join(
            sorted(
                p.parent.name if p.name == "module.yaml" else p.stem for p in folder.glob(pattern)
            )
        )
        or "-"
    )


def cmd_print(args: argparse.Namespace) -> int:
    from chwkit.core import paths
    from chwkit.core.i18n import t
    from chwkit.core.pdf import PdfError
    from chwkit.learn import spec as modules
    from chwkit.learn import tracks
    from chwkit.program import printing, schedule

    lang = args.lang
    if bool(args.module) == bool(args.track):
        raise UserError(t("print.error.one", lang))
    try:
        if args.track:
            path = tracks.tracks_dir() / f"{args.track}.yaml"
            if not tracks.TRACK_ID.match(args.track) or not path.is_file():
                known = _known(tracks.tracks_dir(), "*.yaml")
                raise UserError(t("print.error.unknown_track", lang, track=args.track, known=known))
            track = tracks.TrackSpec.load(path)
            specs = []
            for module_id in track.modules:
                spec = modules.find(module_id)
                if spec is None:
                    known = _known(paths.modules_dir(), "*/module.yaml")
                    raise UserError(
                        t("print.error.unknown_module", lang, module=module_id, known=known)
                    )
                specs.append(spec)
            files = printing.track_files(track, specs, lang)
            folder = args.out or paths.data_dir() / "print" / track.id
        else:
            spec = modules.find(args.module)
            if spec is None:
                known = _known(paths.modules_dir(), "*/module.yaml")
                raise UserError(
                    t("print.error.unknown_module", lang, module=args.module, known=known)
                )
            files = printing.module_files(spec, lang)
            folder = args.out or paths.data_dir() / "print"
    except (modules.ModuleError, printing.PrintError, PdfError) as exc:
        raise UserError(t("print.error.bad", lang, reason=exc)) from exc
    try:
        written = schedule.write(files, folder)
    except OSError as exc:
        raise UserError(f"{folder}: {exc}") from exc
    print(t("plan.summary.written", lang, folder=folder))
    for path in written:
        print(f"  {path.name}")
    return 0
