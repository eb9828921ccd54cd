"""The ``chwkit`` command.

Each area registers its own subcommand from its own module, so this file only lists them.
Registration functions must import lightly; heavy imports go inside the command's handler.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> module holding ``register(subparsers)``
SUBCOMMANDS: dict[str, str] = {
    "serve": "chwkit.serve.cli",
    "modules": "chwkit.learn.check",
    "assess": "chwkit.assess.author_cli",
    "roster": "chwkit.assess.roster_cli",
    "grade": "chwkit.assess.grading_cli",
    "forum": "chwkit.forum.cli",
    "records": "chwkit.program.records_cli",
    "certificate": "chwkit.program.certificate_cli",
    "plan": "chwkit.program.plan_cli",
    "print": "chwkit.program.plan_cli",
    "report": "chwkit.program.plan_cli",
}


class UserError(Exception):
    """An error a person can fix; printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chwkit",
        description="Community health worker training kit: modules, assessments, forums.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if module_name.startswith(str(exc.name)):  # that area is not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"chwkit {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
