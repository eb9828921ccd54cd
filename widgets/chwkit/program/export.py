"""``chwkit records export``: the program's records as tidy tables for reporting.

One row per observation, one table per kind of thing, each as CSV and Parquet, described by
a Frictionless ``datapackage.json`` (``chwkit.core.tables``, as the forum dataset):

- ``module_progress``: learner x module: opened, visits, active minutes, completed;
- ``practice_attempts``: learner x module x practice question: tries, first try right;
- ``assessment_results``: learner x assessment, from nbgrader's gradebook (the grader of
  record): score, maximum, whether a reflection still waits for the trainer;
- ``hours``: learner x year: the stated hours of the modules completed that year, the time
  measured on module pages, and the forum sessions attended and their hours (the Medi-Cal
  CHW benefit asks for 6 hours a year);
- ``forum_attendance``: learner x forum session they were ticked present at in the recorder
  (from the session notebooks, ``chwkit.forum.attendance``), with the hours it counts for;
- ``certificates``: code, learner, track, hours, issued, revoked.

Learners appear by their pseudonymous roster id only: no names (not even the name printed on
a certificate), no access codes, no answer text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from chwkit.core import atomic, tables
from chwkit.core.tables import DATETIME_FORMAT, Column, ForeignKey, Table
from chwkit.forum.model import SESSION_TYPES
from chwkit.learn import spec as module_specs
from chwkit.program.store import RecordsStore, certificates, modules, practice

LEARNER = Column("learner", "string", "Pseudonymous roster id of the learner", required=True)
MODULE = Column("module", "string", "Module id (notebooks/modules/<id>/)", required=True)

MODULE_PROGRESS = Table(
    "module_progress",
    "Module progress per learner",
    (
        LEARNER,
        MODULE,
        Column("first_opened_at", "datetime", "First time the learner opened the module (UTC)", required=True),
        Column("last_opened_at", "datetime", "Last time the learner opened the module (UTC)", required=True),
        Column("visits", "integer", "Times the module page was opened", required=True, minimum=1),
        Column("active_minutes", "number", "Time on the module's page between its events, each gap counted up to 5 minutes", required=True, minimum=0),
        Column("completed", "boolean", "Completed by the module's mastery rule", required=True),
        Column("completed_at", "datetime", "When the mastery rule was met (UTC)"),
    ),
    primary_key=("learner", "module"),
)  # fmt: skip
PRACTICE_ATTEMPTS = Table(
    "practice_attempts",
    "Practice questions tried, per learner (never the text typed)",
    (
        LEARNER,
        MODULE,
        Column("question", "string", "Practice question id in the module", required=True),
        Column("attempts", "integer", "Times the learner checked an answer", required=True, minimum=1),
        Column("first_try_right", "boolean", "The first answer checked was right", required=True),
        Column("right_once", "boolean", "Answered right at least once", required=True),
        Column("first_at", "datetime", "First try (UTC)", required=True),
        Column("last_at", "datetime", "Last try (UTC)", required=True),
    ),
    primary_key=("learner", "module", "question"),
    # A try comes from an opened page: it belongs to a module progress row.
    foreign_keys=(ForeignKey(("learner", "module"), "module_progress", ("learner", "module")),),
)  # fmt: skip
ASSESSMENT_RESULTS = Table(
    "assessment_results",
    "Self-assessment results per learner, from nbgrader's gradebook",
    (
        LEARNER,
        Column("assessment", "string", "Assessment id (assessments/source/<id>/)", required=True),
        Column("module", "string", "The module the assessment checks"),
        Column("score", "number", "Points (automatic and manual grades)", required=True, minimum=0),
        Column("max_score", "number", "Points possible", required=True, minimum=0),
        Column("needs_manual_grade", "boolean", "A reflection waits for the trainer", required=True),
        Column("submitted_at", "datetime", "The graded submission's time (UTC)"),
    ),
    primary_key=("learner", "assessment"),
)  # fmt: skip
HOURS = Table(
    "hours",
    "Training hours per learner and year",
    (
        LEARNER,
        Column("year", "integer", "Calendar year", required=True, minimum=2000),
        Column("hours_completed", "number", "Stated hours (duration_min) of the modules completed that year", required=True, minimum=0),
        Column("active_hours", "number", "Time measured on module pages opened last that year", required=True, minimum=0),
        Column("modules_completed", "integer", "Modules completed that year", required=True, minimum=0),
        Column("forum_sessions", "integer", "Forum sessions that year the learner was ticked present at", required=True, minimum=0),
        Column("forum_hours", "number", "Hours of those forum sessions (each session's hours; 1.5 when it gives none)", required=True, minimum=0),
    ),
    primary_key=("learner", "year"),
)  # fmt: skip
FORUM_ATTENDANCE = Table(
    "forum_attendance",
    "Forum sessions each learner came to, as the facilitator ticked them in the recorder",
    (
        LEARNER,
        Column("session_id", "string", "The forum session (forum_sessions/<session_id>.ipynb)", required=True),
        Column("date", "date", "Date of the session", required=True),
        Column("session_type", "string", "forum, conference or exchange", required=True, enum=SESSION_TYPES),
        Column("hours", "number", "Hours the session counts for (its hours parameter; 1.5 when it gives none)", required=True, minimum=0),
    ),
    primary_key=("learner", "session_id"),
)  # fmt: skip
CERTIFICATES = Table(
    "certificates",
    "Certificates of completed tracks",
    (
        Column("code", "string", "Verification code", required=True, unique=True, pattern=r"CHW-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}"),
        LEARNER,
        Column("track", "string", "Track id (notebooks/tracks/<id>.yaml)", required=True),
        Column("program", "string", "The program the track serves", required=True),
        Column("lang", "string", "Language the certificate was issued in", required=True, enum=("es", "en")),
        Column("hours", "number", "The track's stated hours", required=True, minimum=0),
        Column("issued_at", "datetime", "Issued (UTC)", required=True),
        Column("revoked", "boolean", "Revoked by a trainer", required=True),
        Column("revoked_at", "datetime", "Revoked (UTC)"),
    ),
    primary_key=("code",),
)  # fmt: skip
TABLES = (
    MODULE_PROGRESS,
    PRACTICE_ATTEMPTS,
    ASSESSMENT_RESULTS,
    HOURS,
    FORUM_ATTENDANCE,
    CERTIFICATES,
)


@dataclass
class ExportReport:
    folder: Path
    rows: dict[str, int]


def gradebook_rows() -> list[dict]:
    """Every learner's graded submissions, read from nbgrader's gradebook (read only)."""
    from chwkit.assess import course

    path = course.db_path()
    if not path.is_file():
        return []
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)
    from chwkit.program.progress import released_assessments

    module_of = {a: m for a, m, _title in released_assessments()}
    rows = []
    with Gradebook(f"sqlite:///file:{path}?mode=ro&uri=true", course.COURSE_ID) as gb:
        for assignment in gb.assignments:
            for sub in gb.assignment_submissions(assignment.name):
                rows.append(
                    {
                        "learner": sub.student.id,
                        "assessment": assignment.name,
                        "module": module_of.get(assignment.name),
                        "score": float(sub.score or 0.0),
                        "max_score": float(sub.max_score or 0.0),
                        "needs_manual_grade": bool(sub.needs_manual_grade),
                        "submitted_at": sub.timestamp,
                    }
                )
    return rows


def collect(
    store: RecordsStore, results: list[dict] | None = None, attendance: dict | None = None
) -> dict[str, list[dict]]:
    """The rows of every table (``results``: the gradebook's, read if not given;
    ``attendance``: ``chwkit.forum.attendance.by_learner()``, read if not given)."""
    from chwkit.forum.attendance import by_learner

    durations = {spec.id: spec.duration_min for spec in module_specs.discover()}
    progress = []
    hours: dict[tuple[str, int], dict] = defaultdict(
        lambda: {
            "hours_completed": 0.0,
            "active_hours": 0.0,
            "modules_completed": 0,
            "forum_sessions": 0,
            "forum_hours": 0.0,
        }
    )
    for row in store.rows(modules):
        progress.append(
            {
                "learner": row["learner"],
                "module": row["module"],
                "first_opened_at": row["first_opened_at"],
                "last_opened_at": row["last_opened_at"],
                "visits": row["visits"],
                "active_minutes": round(row["active_seconds"] / 60, 2),
                "completed": row["completed_at"] is not None,
                "completed_at": row["completed_at"],
            }
        )
        hours[(row["learner"], row["last_opened_at"].year)]["active_hours"] += (
            row["active_seconds"] / 3600
        )
        if row["completed_at"] is not None:
            entry = hours[(row["learner"], row["completed_at"].year)]
            entry["hours_completed"] += durations.get(row["module"], 0) / 60
            entry["modules_completed"] += 1
    forum = []
    for learner, sessions in (by_learner() if attendance is None else attendance).items():
        for a in sessions:
            forum.append(
                {
                    "learner": learner,
                    "session_id": a.session_id,
                    "date": a.date,
                    "session_type": a.session_type,
                    "hours": a.hours,
                }
            )
            entry = hours[(learner, a.date.year)]
            entry["forum_sessions"] += 1
            entry["forum_hours"] += a.hours
    attempts = [{k: row[k] for k in PRACTICE_ATTEMPTS.names} for row in store.rows(practice)]
    issued = [
        {
            **{k: row[k] for k in ("code", "learner", "track", "program", "lang", "hours")},
            "issued_at": row["issued_at"],
            "revoked": row["revoked_at"] is not None,
            "revoked_at": row["revoked_at"],
        }
        for row in store.rows(certificates)
    ]
    hour_rows = [
        {
            "learner": learner,
            "year": year,
            "hours_completed": round(v["hours_completed"], 2),
            "active_hours": round(v["active_hours"], 2),
            "modules_completed": v["modules_completed"],
            "forum_sessions": v["forum_sessions"],
            "forum_hours": round(v["forum_hours"], 2),
        }
        for (learner, year), v in sorted(hours.items())
    ]

    def ordered(rows, *keys):
        return sorted(rows, key=lambda r: tuple(str(r[k]) for k in keys))

    return {
        "module_progress": ordered(progress, "learner", "module"),
        "practice_attempts": ordered(attempts, "learner", "module", "question"),
        "assessment_results": ordered(
            gradebook_rows() if results is None else results, "learner", "assessment"
        ),
        "hours": hour_rows,
        "forum_attendance": ordered(forum, "learner", "date", "session_id"),
        "certificates": ordered(issued, "issued_at", "code"),
    }


def _arrow(table: Table, rows: list[dict], typed: bool):
    """The table in Arrow: typed (Parquet), or with times as text (CSV, as the descriptor)."""
    import pyarrow as pa

    columns = {}
    for column in table.columns:
        values = [row.get(column.name) for row in rows]
        if column.type == "datetime":
            values = [_utc(v) for v in values]
            if not typed:
                values = [v.strftime(DATETIME_FORMAT) if v else None for v in values]
                columns[column.name] = pa.array(values, pa.string())
                continue
        columns[column.name] = pa.array(values, column.arrow_type())
    return pa.table(columns)


def _utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def datapackage() -> dict:
    return tables.datapackage(
        "chwkit-records",
        "Learner records",
        "Module progress, practice tries, self-assessment results, training hours, forum "
        "attendance and certificates of the program's learners, by pseudonymous roster id "
        "only (no names, no answers). Scores come from nbgrader's gradebook. Each table is "
        "also in Parquet (same name, .parquet).",
        list(TABLES),
    )


def export(store: RecordsStore, out_dir: Path, results: list[dict] | None = None) -> ExportReport:
    """Write every table as CSV and Parquet, and ``datapackage.json``, into ``out_dir``."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = collect(store, results)
    for table in TABLES:
        rows = data[table.name]
        text, typed = _arrow(table, rows, typed=False), _arrow(table, rows, typed=True)
        atomic.write_with(
            out_dir / f"{table.name}.csv", lambda tmp, t=text: pacsv.write_csv(t, tmp)
        )
        atomic.write_with(
            out_dir / f"{table.name}.parquet", lambda tmp, t=typed: pq.write_table(t, tmp)
        )
    atomic.write(
        out_dir / "datapackage.json", json.dumps(datapackage(), indent=2, ensure_ascii=False) + "\n"
    )
    return ExportReport(out_dir, {name: len(rows) for name, rows in data.items()})
