"""The submission writer: a learner's widget answers -> a submission nbgrader accepts.

The submission is the *release* notebook with each answer written into its answer cell as
one literal of validated plain data (never code from the learner), plus ``timestamp.txt`` in
the exact format nbgrader parses. It lands in nbgrader's submitted layout,
``<data>/course/submitted/<id>/<assignment>/``; every submission is also kept under
``<data>/course/history/<id>/<assignment>/<stamp>/`` (the latest counts, earlier ones stay).
Writes are atomic (``chwkit.core.nbstore``) and serialised per learner and assignment with a lock
the grader also takes, so it never reads half a submission.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from chwkit.assess import course, roster
from chwkit.assess.items import (
    AnswerError,
    Assessment,
    answer_source,
    assessment_from_notebook,
    clean_answer,
    parse_answer_cell,
)
from chwkit.core import atomic, nbstore

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's; anything else crashes autograde


class SubmitError(ValueError):
    """The submission was refused; ``key`` is the catalog key of the learner's message."""

    def __init__(self, key: str, detail: str, item: str | None = None):
        super().__init__(detail)
        self.key = key
        self.item = item


@dataclass(frozen=True)
class Receipt:
    student: str
    assignment: str
    timestamp: str
    answered: int
    total: int


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def load_release(assignment: str) -> tuple[object, Assessment]:
    """The release notebook (never the source: it holds the answers) and its items."""
    try:
        path = course.release_notebook(assignment)
    except course.CourseError as exc:
        raise SubmitError("assess.unknown_assessment", str(exc)) from exc
    if not path.exists():
        raise SubmitError("assess.unknown_assessment", f"{assignment} is not released")
    nb = nbstore.read(path)
    return nb, assessment_from_notebook(nb)


def fill_answers(release_nb, spec: Assessment, answers: dict[str, object]):
    """A copy of the release notebook with ``answers`` (item id -> widget value) written in."""
    unknown = set(answers) - {item.id for item in spec.items}
    if unknown:
        raise SubmitError("assess.bad_answer", f"unknown items: {sorted(unknown)}")
    cleaned = {}
    for item in spec.items:
        try:
            cleaned[item.id] = clean_answer(item, answers.get(item.id))
        except AnswerError as exc:
            raise SubmitError(exc.key, str(exc), item=exc.item) from exc
    nb = copy.deepcopy(release_nb)
    by_var = {item.var: item for item in spec.items}
    filled = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        item = by_var.get(grade_id)
        if item is None or cell.cell_type != "code":
            continue
        value = cleaned[item.id]
        # An unanswered item keeps the release source, so nbgrader sees "no response".
        if value is not None:
            cell.source = answer_source(item, value)
        cell.outputs = []
        cell.execution_count = None
        filled.add(item.id)
    if filled != set(cleaned):
        raise SubmitError("assess.server_problem", "the release notebook lacks answer cells")
    return nb, cleaned


def _inside(path: Path, root: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SubmitError("assess.server_problem", f"refusing to write outside {root}")
    return path


def write_submission(student: str, assignment: str, nb, moment: datetime | None = None) -> str:
    """Write ``nb`` as ``student``'s submission (history + submitted); return the timestamp."""
    roster.validate_id(student)
    course.check_assignment_id(assignment)
    root = course.course_dir()
    stamp = format_timestamp(moment or datetime.now(UTC))
    with FileLock(str(course.lock_file(student, assignment)), timeout=30):
        history = course.history_dir(student, assignment)
        folder_name = stamp.replace(" UTC", "").replace(" ", "T").replace(":", "")
        kept = _inside(history / folder_name, root)
        n = 1
        while kept.exists():  # two submissions within a microsecond: keep both
            n += 1
            kept = history / f"{folder_name}-{n}"
        kept.mkdir(parents=True)
        nbstore.write_atomic(kept / f"{assignment}.ipynb", nb)
        atomic.write(kept / "timestamp.txt", stamp)

        target = _inside(course.submitted_dir(student, assignment), root)
        target.mkdir(parents=True, exist_ok=True)
        nbstore.write_atomic(target / f"{assignment}.ipynb", nb)
        atomic.write(target / "timestamp.txt", stamp)
    return stamp


def submit(assignment: str, code: str, answers: dict[str, object]) -> Receipt:
    """Check the access code, validate the answers, write the submission.

    A wrong or replaced code, or an invalid answer, raises SubmitError and writes nothing.
    """
    person = roster.verify_code(code, role="learner")
    if person is None:
        raise SubmitError("assess.wrong_code", "wrong access code")
    return submit_for(assignment, person.id, answers)


def submit_for(assignment: str, student: str, answers: dict[str, object]) -> Receipt:
    """Validate the answers and write ``student``'s submission: for a learner the server
    signed in (``chwkit.serve.identity``), whose id the kernel got from the server. A learner
    no longer in the roster is refused and nothing is written."""
    person = roster.get(student)
    if person is None or person.role != "learner":
        raise SubmitError("assess.wrong_code", f"{student!r} is not a learner in the roster")
    release_nb, spec = load_release(assignment)
    nb, cleaned = fill_answers(release_nb, spec, answers)
    stamp = write_submission(person.id, assignment, nb)
    answered = sum(value is not None for value in cleaned.values())
    return Receipt(person.id, assignment, stamp, answered, len(spec.items))


def last_answers(student: str, assignment: str) -> dict[str, object]:
    """``student``'s current submitted answers (item id -> value; unanswered ones left out),
    read back as plain data: what the page fills in when the learner comes back."""
    try:
        release_nb, spec = load_release(assignment)
        path = course.submitted_dir(student, assignment) / f"{assignment}.ipynb"
        if not path.is_file():
            return {}
        nb = nbstore.read(path)
    except (SubmitError, nbstore.NotebookStoreError, OSError, ValueError):
        return {}
    released = {
        cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell.source
        for cell in release_nb.cells
    }
    by_var = {item.var: item for item in spec.items}
    found: dict[str, object] = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        item = by_var.get(grade_id)
        if item is None or cell.cell_type != "code" or cell.source == released.get(grade_id):
            continue
        try:
            value = parse_answer_cell(item, cell.source)
        except AnswerError:
            continue
        if value is not None:
            found[item.id] = value
    return found


def latest_submission(student: str, assignment: str) -> str | None:
    """The timestamp of ``student``'s current submission, if any."""
    path = course.submitted_dir(student, assignment) / "timestamp.txt"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
