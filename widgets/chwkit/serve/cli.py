"""``chwkit serve``: start the learner server; ``chwkit demo``: the same, on demo data.

The options are those of ``ChwkitConfiguration`` (``chwkit.serve.config``), generated from it:
their defaults and help live there only.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from chwkit.serve.config import add_arguments

    p = sub.add_parser("serve", help="start the learner server (Voila) and print its address")
    add_arguments(p)
    p.set_defaults(func=run)

    demo = sub.add_parser(
        "demo",
        help="serve the kit on demo data (a released assessment, a forum session, demo access "
        "codes) kept in its own folder, never a program's data directory",
    )
    demo.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="the demo's folder (default: .chwkit-demo/ beside the project)",
    )
    add_arguments(demo)
    demo.set_defaults(func=run_demo)


def run(args: argparse.Namespace) -> int:
    from chwkit.serve.app import serve
    from chwkit.serve.config import config_from_arguments

    serve(config_from_arguments(args))
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from chwkit.cli import UserError
    from chwkit.serve.app import serve
    from chwkit.serve.config import config_from_arguments
    from chwkit.serve.demo import DemoError, default_dir, prepare

    try:
        site = prepare(args.dir or default_dir())
    except DemoError as exc:
        raise UserError(str(exc)) from None
    site.activate()
    serve(config_from_arguments(args), announce=site.announcement())
    return 0
