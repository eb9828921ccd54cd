"""``chwkit roster``: add learners and facilitators, import a CSV, list, issue new codes,
and keep groups (who belongs to which group, and who leads it).

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
    add.add_argument("--group", action="append", default=[], help="a group they belong to")
    add.add_argument("--leads", action="append", default=[], help="a group they lead")
    add.set_defaults(func=cmd_add)

    imp = sub.add_parser(
        "import",
        help="add everyone in a CSV with columns id[,name][,role][,group][,leads]",
        description="Columns: id, and optionally name, role, group (the groups the person "
        "belongs to) and leads (the groups they facilitate or supervise); several groups "
        "in one cell are separated by ';'.",
    )
    imp.add_argument("csv", type=Path)
    imp.add_argument(
        "--codes",
        type=Path,
        help="write id,code to this CSV instead of the screen (hand it out, then delete it)",
    )
    imp.set_defaults(func=cmd_import)

    lst = sub.add_parser("list", help="list people (never their codes)")
    lst.add_argument("--group", help="only the members of this group")
    lst.set_defaults(func=cmd_list)

    grp = sub.add_parser(
        "group", help="create or change a group: its name, its facilitator, its members"
    )
    grp.add_argument("id", help="group id, e.g. g4-sierra")
    grp.add_argument("--name", help='display name, e.g. "Grupo 4 – Sierra"')
    grp.add_argument("--facilitator", help="the person who leads it ('' for none)")
    grp.add_argument("--add", nargs="+", default=[], metavar="ID", help="people who join it")
    grp.add_argument("--remove", nargs="+", default=[], metavar="ID", help="people who leave")
    grp.set_defaults(func=cmd_group)

    grps = sub.add_parser("groups", help="list groups with their facilitator and size")
    grps.set_defaults(func=cmd_groups)

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
        groups = [roster.validate_group_id(g) for g in args.group]
        leads = [roster.validate_group_id(g) for g in args.leads]
        for group in roster.groups():
            if group.id in leads and group.facilitator:
                raise roster.RosterError(f"group {group.id} is already led by {group.facilitator}")
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    if args.role == "learner":
        _gradebook_add([(args.id, name)])
    try:
        code = roster.add(args.id, role=args.role, name=name, groups=groups, leads=leads)
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
        raise UserError(
            f"{path}: the first line must name the columns: id[,name][,role][,group][,leads]"
        )
    return rows


def _cell_groups(value: str | None) -> list[str]:
    """``"g1; g2"`` -> ``["g1", "g2"]`` (each checked as a group id)."""
    return [roster.validate_group_id(g.strip()) for g in (value or "").split(";") if g.strip()]


def cmd_import(args: argparse.Namespace) -> int:
    rows = _read_csv(args.csv)
    problems, planned, seen = [], [], set()
    existing = {p.id for p in roster.people()}
    led = {g.id: g.facilitator for g in roster.groups() if g.facilitator}
    for line, row in enumerate(rows, start=2):
        person_id = (row.get("id") or "").strip()
        role = (row.get("role") or "learner").strip() or "learner"
        try:
            roster.validate_id(person_id)
            name = roster.validate_name(row.get("name"))
            groups, leads = _cell_groups(row.get("group")), _cell_groups(row.get("leads"))
        except roster.RosterError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        for gid in leads:
            if gid in led:
                problems.append(f"line {line}: group {gid} is already led by {led[gid]}")
            led[gid] = person_id
        if role not in roster.ROLES:
            problems.append(f"line {line}: role must be one of {', '.join(roster.ROLES)}")
        elif person_id in seen:
            problems.append(f"line {line}: {person_id} appears twice")
        elif person_id in existing:
            problems.append(f"line {line}: {person_id} is already in the roster")
        seen.add(person_id)
        planned.append((person_id, name, role, groups, leads))
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
        _gradebook_add([(pid, name) for pid, name, role, *_ in planned if role == "learner"])
        writer = csv.writer(out)
        writer.writerow(["id", "code"])
        for pid, name, role, groups, leads in planned:
            try:
                code = roster.add(pid, role=role, name=name, groups=groups, leads=leads)
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
    try:
        data = roster.load()
        if args.group is not None:
            roster.validate_group_id(args.group)
            if roster.group(args.group) is None:
                known = ", ".join(g.id for g in roster.groups()) or "none yet"
                raise roster.RosterError(f"no group {args.group} (groups: {known})")
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    writer = csv.writer(sys.stdout)
    writer.writerow(["id", "role", "name", "groups"])
    for pid, entry in sorted(data["people"].items()):
        groups = entry.get("groups", [])
        if args.group is None or args.group in groups:
            row = [pid, entry.get("role", "learner"), entry.get("name") or "", ";".join(groups)]
            writer.writerow(row)
    return 0


def cmd_group(args: argparse.Namespace) -> int:
    changes: dict = {"join": args.add, "leave": args.remove}
    if args.name is not None:
        changes["name"] = args.name
    if args.facilitator is not None:
        changes["facilitator"] = args.facilitator or None
    try:
        group = roster.set_group(args.id, **changes)
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    print(
        f"{group.id}: {group.name or '(no name)'}; facilitator {group.facilitator or '(none)'};"
        f" {len(group.members)} members"
    )
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    try:
        groups = roster.groups()
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    writer = csv.writer(sys.stdout)
    writer.writerow(["group", "name", "facilitator", "members"])
    for group in groups:
        writer.writerow([group.id, group.name or "", group.facilitator or "", len(group.members)])
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    try:
        code = roster.reset_code(args.id)
    except roster.RosterError as exc:
        raise UserError(str(exc)) from exc
    print(f"{args.id}\t{code}")
    return 0
