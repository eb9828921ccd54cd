"""``chwkit grade ASSIGNMENT``: autograde new submissions in parallel, feedback, export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chwkit.cli import UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "grade", help="autograde new submissions with nbgrader, write feedback, export grades"
    )
    parser.add_argument("assignment", help="e.g. chw_role_check")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--force", action="store_true", help="re-grade every submission")
    parser.add_argument("--export", type=Path, help="grades CSV (default <data>/course/grades.csv)")
    parser.add_argument(
        "--html-feedback",
        action="store_true",
        help="also write nbgrader's HTML feedback pages (hidden tests removed)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=cmd_grade)


def cmd_grade(args: argparse.Namespace) -> int:
    from chwkit.assess.course import CourseError
    from chwkit.assess.grading import GradingError, grade

    try:
        report = grade(
            args.assignment,
            workers=args.workers,
            progress=not args.no_progress,
            force=args.force,
            export=args.export,
            html_feedback=args.html_feedback,
        )
    except (GradingError, CourseError) as exc:
        raise UserError(str(exc)) from exc
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(
        f"{report.assignment}: graded {len(report.graded)}, already up to date "
        f"{len(report.up_to_date)}, problems {len(report.problems)}; grades in {report.export}"
    )
    return 1 if report.problems else 0
