"""``chwkit forum``: new sessions, the dataset, invented samples.

chwkit forum new --date 2026-11-05 --site mission --topic "..." --facilitator sfccc-04
chwkit forum new --type conference --date 2027-03-12 --site oakland --topic "..." --facilitator f1
chwkit forum build
chwkit forum list
chwkit forum sample --sessions 12 --out /tmp/forum-demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    forum = subparsers.add_parser("forum", help="monthly learning forums: sessions and dataset")
    sub = forum.add_subparsers(dest="forum_command", metavar="ACTION")
    forum.set_defaults(func=lambda args: forum.print_help() or 1)

    new = sub.add_parser("new", help="create forum_sessions/<date>_<site>.ipynb from the template")
    new.add_argument("--date", required=True, help="session date, YYYY-MM-DD")
    new.add_argument("--site", required=True, help="site slug: lowercase, digits, hyphens")
    new.add_argument("--topic", required=True, help="the session's topic")
    new.add_argument("--facilitator", required=True, help="the facilitator's roster id")
    new.add_argument("--language", default="es", help="session language: es (default) or en")
    new.add_argument("--attendance", default=None, help="people who attended (can be set later)")
    new.add_argument(
        "--group",
        default=None,
        help="the roster group the session is for: its members are the recorder's attendance "
        "checklist (default: every learner in the roster)",
    )
    new.add_argument(
        "--hours",
        default="1.5",
        help="hours of training each roster member ticked present is credited (default: 1.5)",
    )
    new.add_argument(
        "--type",
        dest="session_type",
        default="forum",
        metavar="TYPE",
        help="forum (default: the monthly learning forum), conference or exchange",
    )
    new.set_defaults(func=cmd_new)

    build = sub.add_parser("build", help="build the tidy dataset from every session notebook")
    build.add_argument("--out", type=Path, default=None, help="output folder (default: data dir)")
    build.add_argument("--sessions", type=Path, default=None, help="folder of session notebooks")
    build.add_argument("--no-cache", action="store_true", help="re-read every session")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=cmd_build)

    ls = sub.add_parser("list", help="list the session notebooks")
    ls.set_defaults(func=cmd_list)

    sample = sub.add_parser("sample", help="write invented sessions (demos, benchmarks)")
    sample.add_argument("--out", type=Path, required=True, help="folder for the sessions")
    sample.add_argument("--sessions", type=int, default=12)
    sample.add_argument("--contributions", type=int, default=20, help="per session")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--months", type=int, default=24, help="months the sessions spread over")
    sample.set_defaults(func=cmd_sample)


def cmd_new(args: argparse.Namespace) -> int:
    from chwkit.cli import UserError
    from chwkit.forum.model import ForumValueError, make_session
    from chwkit.forum.session import SessionError, new_session

    try:
        session = make_session(
            args.date,
            args.site,
            args.topic,
            args.facilitator,
            args.language,
            args.attendance,
            args.session_type,
            args.group,
            args.hours,
        )
        path = new_session(session)
    except (ForumValueError, SessionError) as exc:
        raise UserError(str(exc)) from None
    for warning in (_facilitator_warning(session.facilitator), _group_warning(session.group)):
        if warning:
            print(f"chwkit forum new: warning: {warning}", file=sys.stderr)
    print(path)
    return 0


def _facilitator_warning(person_id: str) -> str | None:
    """A facilitator missing from a roster that has people is likely a typo."""
    from chwkit.assess import roster

    try:
        people = roster.people()
    except roster.RosterError:
        return None
    if not people:
        return None
    match = [p for p in people if p.id == person_id]
    if not match:
        return f"{person_id} is not in the roster (add them: chwkit roster add {person_id} --role facilitator)"
    if match[0].role != "facilitator":
        return f"{person_id} is in the roster as {match[0].role}, not facilitator"
    return None


def _group_warning(group_id: str | None) -> str | None:
    """A group the roster does not know gives the recorder an empty checklist."""
    from chwkit.assess import roster

    if group_id is None:
        return None
    try:
        known = roster.group(group_id)
    except roster.RosterError:
        return None
    if known is None or not known.members:
        return (
            f"the roster has no members in group {group_id}, so the attendance checklist will "
            f"be empty (chwkit roster group {group_id} --add ID ...)"
        )
    return None


def cmd_build(args: argparse.Namespace) -> int:
    from chwkit.forum.dataset import build

    report = build(
        forum_dir=args.sessions,
        out_dir=args.out,
        use_cache=not args.no_cache,
        progress=False if args.quiet else None,
    )
    print(report.summary())
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from chwkit.core import paths
    from chwkit.forum.dataset import session_files
    from chwkit.forum.session import read_session_file

    for path in session_files(paths.forum_dir()):
        record = read_session_file(path)
        if record.session is None:
            print(f"{path.name}\t(unreadable: {'; '.join(record.problems)})")
            continue
        s = record.session
        print(
            f"{path.name}\t{s.date}\t{s.site}\t{s.session_type}\t{s.language}\t"
            f"{len(record.contributions)}\t{s.topic}"
        )
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    import shutil

    from chwkit.forum.sample import generate
    from chwkit.forum.session import TEMPLATE_NAME, template_path

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    if not (out / TEMPLATE_NAME).exists():
        shutil.copy(template_path(), out / TEMPLATE_NAME)
    written = generate(out, args.sessions, args.contributions, seed=args.seed, months=args.months)
    print(f"{len(written)} invented sessions in {out}")
    return 0
