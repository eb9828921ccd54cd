"""``chwkit roster``: add learners and facilitators, import a CSV, list, issue new codes.

Learners are also entered in nbgrader's gradebook (pseudonymous id; a name only if given),
so formgrader and the grade export know them.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sys
from pathlib import Path

from chwkit.assess import roster
from chwkit.cli import UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser("roster", help="learners, facilitators and access codes")
    sub = parser.add_subparsers(dest="roster_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="add a person and print their access code")
    add.add_argument("id", help="pseudonymous id, e.g. p017")
    add.add_argument("--name", help="optional display name")
    add.add_argument("--role", choices=roster.ROLES, default="learner")
    add.set_defaults(func=cmd_add)

    imp = sub.add_parser("import", help="add everyone in a CSV with columns id[,name][,role]")
    imp.add_argument("csv", type=Path)
    imp.add_argument(
        "--codes",
        type=Path,
        help="write id,code to this CSV instead of the screen (hand it out, then delete it)",
    )
    imp.set_defaults(func=cmd_import)

    lst = sub.add_parser("list", help="list people (never their codes)")
    lst.set_defaults(func=cmd_list)

    reset = sub.add_parser("reset-code", help="issue a new code; the old one stops working")
    reset.add_argument("id")
    reset.set_defaults(func=cmd_reset)


def _gradebook_add(people: list[tuple[str, str | None]]) -> None:
    """Enter learners in nbgrader's gradebook (before any code is issued: see ``cmd_add``)."""
    from chwkit.assess import course

    try:
        with course.gradebook() as gb:
            for person_id, name in people:
                gb.update_or_create_student(person_id, first_name=name)
    except Exception as exc:  # sqlite, a damaged or locked gradebook, a full disk...
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise UserError(
            f"cannot enter learners in nbgrader's gradebook ({reason}); no code was issued"
        ) from exc


def cmd_add(args: argparse.Namespace) -> int:
    # Order matters: a code is shown once and stored only hashed, so nothing may fail between
    # issuing it and printing it. Check, enter the gradebook, then issue and print at once.
    try:
        roster.validate_id(args.id)
        name = roster.validate_name(args.name)
        if roster.get(args.id) is not None:
            raise roster.RosterError(f"{args.id} is already in the roster; use reset-code")
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    if args.role == "learner":
        _gradebook_add([(args.id, name)])
    try:
        code = roster.add(args.id, role=args.role, name=name)
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    print(f"{args.id}\t{code}", flush=True)
    return 0


def _read_csv(path: Path) -> list[dict]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{path}: cannot read: {exc}") from exc
    if rows and "id" not in rows[0]:
        raise UserError(f"{path}: the first line must name the columns: id[,name][,role]")
    return rows


def cmd_import(args: argparse.Namespace) -> int:
    rows = _read_csv(args.csv)
    problems, planned, seen = [], [], set()
    existing = {p.id for p in roster.people()}
    for line, row in enumerate(rows, start=2):
        person_id = (row.get("id") or "").strip()
        role = (row.get("role") or "learner").strip() or "learner"
        try:
            roster.validate_id(person_id)
            name = roster.validate_name(row.get("name"))
        except roster.RosterError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        if role not in roster.ROLES:
            problems.append(f"line {line}: role must be one of {', '.join(roster.ROLES)}")
        elif person_id in seen:
            problems.append(f"line {line}: {person_id} appears twice")
        elif person_id in existing:
            problems.append(f"line {line}: {person_id} is already in the roster")
        seen.add(person_id)
        planned.append((person_id, name, role))
    if problems:  # all or nothing: a half-imported class is harder to fix
        raise UserError("nothing imported:\n  " + "\n  ".join(problems))
    # Codes are shown once and stored only hashed: open where they go and enter the gradebook
    # first, then write each code as soon as it is issued, so none can be lost.
    # An existing codes file may hold the codes of an earlier import: never overwrite it.
    if args.codes:
        try:
            fd = os.open(args.codes, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise UserError(f"{args.codes} already exists; name a new file") from None
        except OSError as exc:
            raise UserError(f"{args.codes}: cannot write the codes there: {exc}") from exc
        out = os.fdopen(fd, "w", newline="", encoding="utf-8")
    else:
        out = sys.stdout
    issued = 0
    try:
        _gradebook_add([(pid, name) for pid, name, role in planned if role == "learner"])
        writer = csv.writer(out)
        writer.writerow(["id", "code"])
        for pid, name, role in planned:
            try:
                code = roster.add(pid, role=role, name=name)
            except roster.RosterError as exc:
                where = f"in {args.codes}" if args.codes else "above"
                raise UserError(
                    f"{pid}: {exc}; {issued} of {len(planned)} people were added (their codes "
                    f"are {where}); fix the rest and import them again"
                ) from exc
            try:
                writer.writerow([pid, code])
                out.flush()
            except OSError as exc:  # the code exists now: show it rather than lose it
                print(f"{pid}\t{code}", file=sys.stderr)
                raise UserError(
                    f"cannot write the codes ({exc}); {pid}'s code is printed above; "
                    f"{len(planned) - issued - 1} people were not added"
                ) from exc
            issued += 1
    finally:
        if args.codes:
            with contextlib.suppress(OSError):
                out.close()
            if issued == 0:
                with contextlib.suppress(OSError):
                    args.codes.unlink()
    if args.codes:
        print(f"{issued} people added; their codes are in {args.codes}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    writer = csv.writer(sys.stdout)
    writer.writerow(["id", "role", "name"])
    for person in roster.people():
        writer.writerow([person.id, person.role, person.name or ""])
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    try:
        code = roster.reset_code(args.id)
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    print(f"{args.id}\t{code}")
    return 0
