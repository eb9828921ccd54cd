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

    report = subparsers.add_parser("report", help="program reports: competency coverage")
    reports = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    cover = reports.add_parser(
        "coverage",
        help="C3 roles and skills covered, with hours, and the gaps (a track, group or learner)",
        description="The C3 roles and skills a track plans, or a group or a learner has "
        "completed (from the records), with hours and the gaps, as a table on the terminal "
        "and, with --csv, as CSV. With --group or --learner, --track names the track to "
        "compare against.",
    )
    cover.add_argument("--track", help="a track: its planned coverage (or the reference)")
    cover.add_argument("--group", help="a group in the roster: what its members completed")
    cover.add_argument("--learner", help="a learner's id: what they completed")
    cover.add_argument("--lang", default="es", choices=("es", "en"), help="language (es)")
    cover.add_argument("--csv", type=Path, help="also write the table as CSV here ('-': stdout)")
    cover.add_argument(
        "--db-url",
        default="",
        help="the records database (default: records.db in the data directory)",
    )
    cover.set_defaults(func=cmd_coverage)


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


def _track_specs(track_id: str, lang: str):
    from chwkit.core import paths
    from chwkit.core.i18n import t
    from chwkit.learn import spec as modules
    from chwkit.learn import tracks

    path = tracks.tracks_dir() / f"{track_id}.yaml"
    if not tracks.TRACK_ID.match(track_id) or not path.is_file():
        known = _known(tracks.tracks_dir(), "*.yaml")
        raise UserError(t("print.error.unknown_track", lang, track=track_id, known=known))
    track = tracks.TrackSpec.load(path)
    specs = []
    for module_id in track.modules:
        spec = modules.find(module_id)
        if spec is None:
            known = _known(paths.modules_dir(), "*/module.yaml")
            raise UserError(t("print.error.unknown_module", lang, module=module_id, known=known))
        specs.append(spec)
    return track, specs


def _completed(
    learners: list[str], db_url: str, lang: str
) -> tuple[dict[str, set[str]], str | None]:
    """Each learner's completed modules, from the records store, and a note when there is no
    store yet (a report never creates the database)."""
    from chwkit.core import paths
    from chwkit.core.i18n import t
    from chwkit.program import store

    if not db_url and not (paths.data_dir() / "records.db").is_file():
        note = t("coverage.no_records", lang, path=paths.data_dir() / "records.db")
        return {learner: set() for learner in learners}, note
    try:
        records = store.open_store(db_url or None)
        return {
            learner: {
                module
                for module, record in records.module_records(learner).items()
                if record.completed_at is not None
            }
            for learner in learners
        }, None
    except Exception as exc:  # a locked, damaged or unreachable database
        raise UserError(t("coverage.error.records", lang, reason=exc)) from exc


def cmd_coverage(args: argparse.Namespace) -> int:
    from chwkit.assess import roster
    from chwkit.core import atomic
    from chwkit.core.i18n import t
    from chwkit.learn import spec as modules
    from chwkit.program import coverage

    lang = args.lang
    if bool(args.group) + bool(args.learner) > 1 or not (args.track or args.group or args.learner):
        raise UserError(t("coverage.error.one", lang))
    try:
        track, track_specs = _track_specs(args.track, lang) if args.track else (None, None)
        everything = modules.discover()
    except modules.ModuleError as exc:
        raise UserError(t("print.error.bad", lang, reason=exc)) from exc
    try:
        if args.group:
            group = roster.group(args.group) if roster.PERSON_ID.fullmatch(args.group) else None
            if group is None:
                known = ", ".join(g.id for g in roster.groups()) or "-"
                raise UserError(t("coverage.error.group", lang, group=args.group, known=known))
        elif args.learner and (
            not roster.PERSON_ID.fullmatch(args.learner) or roster.get(args.learner) is None
        ):
            raise UserError(t("coverage.error.learner", lang, learner=args.learner))
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc

    if args.group:
        completed, note = _completed(list(group.members), args.db_url, lang)
        rows = coverage.group_coverage(completed, everything, track_specs)
        title = t(
            "coverage.title.group", lang, group=group.name or group.id, learners=len(group.members)
        )
    elif args.learner:
        by_learner, note = _completed([args.learner], args.db_url, lang)
        completed = by_learner[args.learner]
        rows = coverage.learner_coverage(completed, everything, track_specs)
        title = t("coverage.title.learner", lang, learner=args.learner, done=len(completed))
    else:
        note = None
        rows = coverage.track_coverage(track, track_specs)
        hours = round(sum(s.duration_min for s in track_specs) / 60, 2)
        title = t(
            "coverage.title.track",
            lang,
            track=track.title[lang],
            hours=f"{hours:g}",
            modules=len(track_specs),
        )
    to_stdout = args.csv is not None and str(args.csv) == "-"
    heading = sys.stderr if to_stdout else sys.stdout  # CSV on stdout stays only CSV
    print(title, file=heading)
    if track is not None and (args.group or args.learner):
        print(t("coverage.against", lang, track=track.title[lang]), file=heading)
    if note:
        print(note, file=heading)
    if to_stdout:
        sys.stdout.write(coverage.csv_text(rows, lang))
        return 0
    print()
    sys.stdout.write(coverage.table_text(rows, lang))
    if args.csv is not None:
        try:
            atomic.write(args.csv, coverage.csv_text(rows, lang))
        except OSError as exc:
            raise UserError(f"{args.csv}: {exc}") from exc
        print(t("coverage.written", lang, path=args.csv))
    return 0
