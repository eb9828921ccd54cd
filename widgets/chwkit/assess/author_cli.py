"""``chwkit assess build|check``: an assessment's source notebook from its item file."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "assess", help="build and check assessments from assessments/items/<assessment>.yaml"
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = sub.add_parser("build", help="write assessments/source/<a>/<a>.ipynb from its items")
    build.add_argument("assignments", nargs="*", help="e.g. chw_role_check (default: all)")
    build.set_defaults(func=cmd_build)
    check = sub.add_parser(
        "check", help="items aligned with the module; solution full marks, blank zero; up to date"
    )
    check.add_argument("assignments", nargs="*", help="default: all")
    check.set_defaults(func=cmd_check)


def _names(args) -> list[str]:
    from chwkit.assess.author import all_assignments

    return list(args.assignments) or all_assignments()


def cmd_build(args: argparse.Namespace) -> int:
    from chwkit.assess.author import AuthorError, build
    from chwkit.cli import UserError

    for name in _names(args):
        try:
            print(f"wrote {build(name)}")
        except AuthorError as exc:
            raise UserError(str(exc)) from None
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from chwkit.assess.author import check

    names = _names(args)
    problems = [problem for name in names for problem in check(name)]
    for problem in problems:
        print(problem)
    print(f"{len(names)} assessments checked, {len(problems)} problems")
    return 1 if problems else 0
