"""``chwkit records export``: the records as tidy tables (CSV, Parquet, datapackage.json)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _db_url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db-url",
        default="",
        help="the records database (default: records.db in the data directory), as for "
        "chwkit serve --db-url",
    )


def register(subparsers) -> None:
    parser = subparsers.add_parser("records", help="the program's learner records")
    sub = parser.add_subparsers(dest="records_command", metavar="ACTION", required=True)
    export = sub.add_parser(
        "export",
        help="write module progress, practice tries, results, hours and certificates as CSV "
        "and Parquet with a datapackage.json (pseudonymous ids only)",
    )
    export.add_argument(
        "--out", type=Path, default=None, help="folder (default: <data>/records-export)"
    )
    _db_url_option(export)
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from chwkit.cli import UserError
    from chwkit.core import paths
    from chwkit.program.export import export
    from chwkit.program.store import RecordsError, open_store

    try:
        report = export(
            open_store(args.db_url or None), args.out or paths.data_dir() / "records-export"
        )
    except RecordsError as exc:
        raise UserError(str(exc)) from None
    counts = ", ".join(f"{name} {n}" for name, n in report.rows.items())
    print(f"records exported to {report.folder}: {counts}")
    return 0
