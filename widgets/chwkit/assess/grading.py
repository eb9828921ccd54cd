"""``chwkit grade``: nbgrader autograde for every new submission, in parallel, then feedback
and the grade export.

nbgrader grades one submission after another and its sqlite gradebook has one writer at a
time (nbgrader issue #174). Here each new submission is autograded by nbgrader itself
(``NbGraderAPI.autograde`` then ``generate_feedback``) in a worker process, against its own
scratch course: a copy of the gradebook and of that one submission. The main process then
merges each result into the course gradebook through nbgrader's API, one at a time, applying
the rule nbgrader's ``SaveAutoGrades`` applies, so the scores are exactly nbgrader's.

Before anything runs, each submission is checked against the release notebook: a folder
that is not a learner id, unreadable JSON, a malformed timestamp, deleted, duplicated,
renamed, moved or extra cells, an edited text, setup or test cell, or an answer cell
holding code instead of data is reported (naming the learner and the problem) and left
ungraded; every other learner is graded. So the only code nbgrader runs is the released
notebook's own, with plain-data answers.

One ``chwkit grade`` runs at a time per course (a lock file); a second one stops at once
with a message.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from filelock import FileLock

from chwkit.assess import course, roster
from chwkit.assess.feedback import FEEDBACK_JSON
from chwkit.assess.items import AnswerError, Assessment, assessment_from_notebook, parse_answer_cell
from chwkit.assess.submit import TIMESTAMP_FORMAT
from chwkit.core import atomic

MAX_NOTEBOOK_BYTES = 2_000_000


class GradingError(RuntimeError):
    """The assignment cannot be graded at all (not released, no gradebook entry, busy)."""


def grade_lock_file() -> Path:
    """Held for the whole of a ``chwkit grade`` run: one run at a time per course."""
    folder = course.course_dir() / ".locks"
    folder.mkdir(exist_ok=True)
    return folder / "grade.lock"  # learners' locks are <id>.<assignment>.lock


@dataclass
class Problem:
    student: str
    message: str

    def __str__(self) -> str:
        return f"learner {self.student}: {self.message}"


@dataclass
class Report:
    assignment: str
    graded: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    export: Path | None = None


# -- checking submissions -----------------------------------------------------------------------
def _grade_id(cell) -> str | None:
    """The cell's nbgrader id (None if it has none, or a tampered, non-text one)."""
    meta = cell.get("metadata", {}).get("nbgrader")
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _grade_ids(nb) -> list[str]:
    return [grade_id for grade_id in map(_grade_id, nb.cells) if grade_id]


def _kind_ok(kind: str, value: object) -> bool:
    if value is None:
        return True
    if kind == "single":
        return type(value) is int
    if kind == "multiple":
        return isinstance(value, list) and all(type(v) is int for v in value)
    if kind == "numeric":
        return type(value) in (int, float)
    return isinstance(value, str)


def _read_stamp(folder: Path) -> tuple[str | None, str | None]:
    """The submission's timestamp, or the problem with it (nbgrader crashes on a bad one)."""
    from nbgrader.utils import parse_utc

    try:
        stamp = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None, "timestamp.txt is missing or unreadable"
    try:
        parse_utc(stamp)
        datetime.strptime(stamp, TIMESTAMP_FORMAT)
    except (ValueError, OverflowError):
        shown = stamp[:40].encode("unicode_escape").decode("ascii")
        return None, f"timestamp.txt is malformed ({shown!r}); expected {TIMESTAMP_FORMAT}"
    return stamp, None


def check_submission(folder: Path, assignment: str, release_nb, spec: Assessment):
    """Problems that block grading, and warnings, for the submission in ``folder``."""

    errors: list[str] = []
    warnings: list[str] = []
    stamp, error = _read_stamp(folder)
    if error:
        return [error], warnings, None
    path = folder / f"{assignment}.ipynb"
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return [f"{path.name} is larger than {MAX_NOTEBOOK_BYTES} bytes"], warnings, stamp
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except FileNotFoundError:
        return [f"{path.name} is missing"], warnings, stamp
    except (OSError, ValueError, UnicodeDecodeError) as exc:  # JSON and schema errors
        reason = str(exc).splitlines()[0][:120]
        return [f"{path.name} is not a valid notebook (corrupted JSON?): {reason}"], [], stamp
    except Exception as exc:  # nbformat raises its own ValidationError types
        reason = str(exc).splitlines()[0][:120]
        return [f"{path.name} is not a valid notebook: {reason}"], warnings, stamp

    expected = Counter(_grade_ids(release_nb))
    found = Counter(_grade_ids(nb))
    for grade_id in sorted(expected):
        if found[grade_id] == 0:
            errors.append(f"cell {grade_id!r} is missing (deleted or its id changed)")
        elif found[grade_id] > 1:
            errors.append(f"cell {grade_id!r} appears {found[grade_id]} times (duplicated)")
    for grade_id in sorted(set(found) - set(expected)):
        errors.append(f"unknown cell id {grade_id!r} (changed grade id?)")
    if errors:
        return errors, warnings, stamp

    release_cells = {_grade_id(c): c for c in release_nb.cells if _grade_id(c)}
    # Cells without an nbgrader id (none in the kit's assessments) must be the release's own,
    # in turn: code would run as it stands, text would reach the trainer's views.
    plain_released = [_plain(c) for c in release_nb.cells if not _grade_id(c)]
    plain_seen = 0
    by_var = {item.var: item for item in spec.items}
    for index, cell in enumerate(nb.cells, start=1):
        grade_id = _grade_id(cell)
        if not grade_id:
            if plain_released[plain_seen : plain_seen + 1] != [_plain(cell)]:
                errors.append(
                    f"cell {index} is an extra {cell.cell_type} cell, not in the released "
                    "assessment" + (" (nbgrader would run it)" if cell.cell_type == "code" else "")
                )
            plain_seen += 1
            continue
        released = release_cells[grade_id]
        if cell.cell_type != released.cell_type:
            errors.append(f"cell {grade_id!r} changed type to {cell.cell_type}")
            continue
        if cell.metadata.get("nbgrader") != released.metadata.get("nbgrader"):
            errors.append(f"cell {grade_id!r} has changed nbgrader settings")
            continue
        if cell.cell_type != "code" or by_var.get(grade_id) is None:
            # text, setup and test cells: exactly as released
            if cell.source != released.source or cell.get("attachments") != released.get(
                "attachments"
            ):
                errors.append(f"cell {grade_id!r} was edited (it must stay as released)")
            continue
        item = by_var[grade_id]
        source = cell.source
        if source == released.source:
            continue  # unanswered: the release cell as issued
        try:
            value = parse_answer_cell(item, source)
        except AnswerError as exc:
            errors.append(f"item {item.id}: {exc.args[0].split(': ', 1)[1]}")
            continue
        if not _kind_ok(item.kind, value):
            warnings.append(
                f"item {item.id}: the answer is {type(value).__name__}, not a {item.kind} "
                "answer (it scores 0)"
            )
    # Every code cell is a released one, once each: it must also run in the released order.
    if not errors and _code_order(nb) != _code_order(release_nb):
        errors.append("the code cells are not in the released order (moved cells)")
    if not errors and nb.metadata.get("kernelspec", {}).get("name") != release_nb.metadata.get(
        "kernelspec", {}
    ).get("name"):
        warnings.append("the notebook's kernel was changed (nbgrader resets it)")
    return errors, warnings, stamp


def _plain(cell) -> tuple:
    return cell.cell_type, cell.source, cell.get("attachments")


def _code_order(nb) -> list[str]:
    return [_grade_id(c) or c.source for c in nb.cells if c.cell_type == "code"]


def _release_source(release_nb, grade_id: str) -> str | None:
    for cell in release_nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell.source
    return None


# -- the worker: plain nbgrader on a scratch course ---------------------------------------------
def _use_forked_kernels() -> None:
    """Start nbgrader's kernels by forking them from a pre-imported template
    (``chwkit.serve.kernels``): a grading kernel runs only the release's own code and the
    checked answer literals, and each forked kernel is its own process as a launched one.
    ``CHWKIT_GRADE_KERNELS=launch`` keeps the ordinary launch."""
    from chwkit.serve.kernels import PROVISIONER_NAME

    if os.environ.get("CHWKIT_GRADE_KERNELS", "fork") != "launch":
        os.environ.setdefault("JUPYTER_DEFAULT_PROVISIONER_NAME", PROVISIONER_NAME)


def _autograde_in_scratch(job: dict) -> dict:
    """Autograde one submission with nbgrader in ``job['scratch']``; return its scores."""
    import logging
    import warnings

    from sqlalchemy.exc import SAWarning

    # nbgrader's own ORM use warns on every submission; nothing for a trainer to act on.
    warnings.filterwarnings("ignore", category=SAWarning)

    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    assignment, student = job["assignment"], job["student"]
    _use_forked_kernels()
    # Copy the submission (under its lock) and check that very copy: what is checked is graded.
    scratch = _prepare_scratch(Path(job["base"]), Path(job["template"]), student, assignment)
    release_nb = nbformat.read(job["release"], as_version=4)
    errors, warns, _stamp = check_submission(
        scratch / "submitted" / student / assignment,
        assignment,
        release_nb,
        assessment_from_notebook(release_nb),
    )
    if errors:
        return {"student": student, "ok": False, "problems": errors, "warnings": warns}
    config = course.nbgrader_config(root=scratch)
    # The kernel's exit is not waited for: its outputs are already recorded (saves latency).
    config.Execute.shutdown_kernel = "immediate"
    api = NbGraderAPI(config=config)
    api.log.setLevel(logging.WARNING)
    result = api.autograde(assignment, student, force=True, create=True)
    if not result.get("success"):
        return {"student": student, "ok": False, "error": result.get("error") or result.get("log")}
    fb = api.generate_feedback(assignment, student, force=True) if job["html"] else None
    grades, comments, penalties = {}, {}, {}
    with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}", course.COURSE_ID) as gb:
        submission = gb.find_submission(assignment, student)
        timestamp = submission.timestamp.isoformat() if submission.timestamp else None
        for notebook in submission.notebooks:
            penalties[notebook.name] = notebook.late_submission_penalty
            for grade in notebook.grades:
                grades[f"{notebook.name}/{grade.name}"] = grade.auto_score
            for comment in notebook.comments:
                comments[f"{notebook.name}/{comment.name}"] = comment.auto_comment
    return {
        "student": student,
        "ok": True,
        "warnings": warns,
        "timestamp": timestamp,
        "grades": grades,
        "comments": comments,
        "penalties": penalties,
        "html": fb is not None,
        "feedback_ok": fb is None or bool(fb.get("success")),
    }


def _snapshot_gradebook(src: Path, dest: Path) -> None:
    """A consistent copy of the sqlite gradebook, even while another process writes to it."""
    with (
        contextlib.closing(sqlite3.connect(src)) as a,
        contextlib.closing(sqlite3.connect(dest)) as b,
    ):
        a.backup(b)


def _prepare_scratch(base: Path, template_db: Path, student: str, assignment: str) -> Path:
    scratch = base / student
    (scratch / "submitted" / student).mkdir(parents=True)
    shutil.copyfile(template_db, scratch / "gradebook.db")
    (scratch / "source").symlink_to(course.source_dir(), target_is_directory=True)
    with FileLock(str(course.lock_file(student, assignment)), timeout=30):
        shutil.copytree(
            course.submitted_dir(student, assignment), scratch / "submitted" / student / assignment
        )
    return scratch


def _replace_tree(src: Path, dest: Path) -> None:
    if not src.exists():
        return
    tmp = dest.with_name(f".{dest.name}.new")
    if tmp.exists():
        shutil.rmtree(tmp)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, tmp)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def _merge(gb, assignment: str, result: dict) -> None:
    """Record a worker's scores in the course gradebook, as nbgrader's SaveAutoGrades does."""
    from nbgrader.utils import parse_utc

    student = result["student"]
    gb.update_or_create_student(student)
    timestamp = parse_utc(result["timestamp"]) if result["timestamp"] else None
    if timestamp is not None:
        submission = gb.update_or_create_submission(assignment, student, timestamp=timestamp)
    else:
        submission = gb.update_or_create_submission(assignment, student)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            grade.auto_score = result["grades"].get(f"{notebook.name}/{grade.name}")
            # nbgrader: a previous manual grade, or no automatic score, needs a person's review
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        for comment in notebook.comments:
            comment.auto_comment = result["comments"].get(f"{notebook.name}/{comment.name}")
        notebook.late_submission_penalty = result["penalties"].get(notebook.name)
    gb.db.commit()


# -- the learner's feedback -----------------------------------------------------------------
def _answered(nb, release_nb, spec: Assessment) -> dict[str, bool]:
    out = {}
    for item in spec.items:
        src = _release_source(release_nb, item.var)
        for cell in nb.cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == item.var:
                try:
                    value = None if cell.source == src else parse_answer_cell(item, cell.source)
                except AnswerError:
                    value = None
                out[item.id] = value is not None
    return out


def learner_feedback(gb, assignment: str, student: str, spec: Assessment, release_nb) -> dict:
    """Score and per-item status for the learner's page: no answers, no tests, no key."""
    submission = gb.find_submission(assignment, student)
    notebook = submission.notebooks[0]
    grades = {g.name: g for g in notebook.grades}
    comments = {c.name: c for c in notebook.comments}
    try:
        graded_nb = nbformat.read(
            course.autograded_dir(student, assignment) / f"{assignment}.ipynb", as_version=4
        )
        answered = _answered(graded_nb, release_nb, spec)
    except (OSError, ValueError):
        answered = {}
    items = []
    for item in spec.items:
        grade = grades.get(item.test_id)
        comment = comments.get(item.var)
        score = grade.score if grade is not None else None
        if grade is None:
            status = "pending"
        elif item.manual and not answered.get(item.id, False):
            status = "unanswered"
            score = grade.auto_score  # not the manual score an earlier answer may have had
        elif item.manual and (grade.manual_score is None or grade.needs_manual_grade):
            # Not graded yet, or resubmitted since (nbgrader flags it for review again): the
            # manual score of the earlier answer is not this answer's.
            status = "pending"
        elif not item.manual and not answered.get(item.id, True):
            status = "unanswered"
        elif score is not None and score >= item.points:
            status = "correct"
        elif score:
            status = "partial"
        else:
            status = "incorrect"
        items.append(
            {
                "item": item.id,
                "status": status,
                "score": None if status == "pending" else score,
                "max_score": item.points,
                "comment": (comment.manual_comment or "")[:2000] if comment else "",
            }
        )
    return {
        "assignment": assignment,
        "student": student,
        "timestamp": submission.timestamp.strftime(TIMESTAMP_FORMAT)
        if submission.timestamp
        else None,
        "score": submission.score,
        "max_score": submission.max_score,
        "needs_manual_grade": bool(submission.needs_manual_grade),
        "items": items,
    }


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json(path, data)


# -- the command ----------------------------------------------------------------------------
def _known_learners() -> set[str]:
    try:
        return {p.id for p in roster.people() if p.role == "learner"}
    except roster.RosterError:
        return set()


def grade(
    assignment: str,
    workers: int | None = None,
    progress: bool = True,
    force: bool = False,
    export: Path | None = None,
    html_feedback: bool = False,
    students: Collection[str] | None = None,
    wait_s: float = 0,
    pool: Executor | None = None,
    on_graded: Callable[[str], None] | None = None,
) -> Report:
    """Autograde every new submission of ``assignment``; write feedback; export grades.

    The learner's feedback (``chwkit_feedback.json``, shown in Voila) is always written.
    ``html_feedback`` also makes nbgrader's HTML feedback pages (hidden tests stripped), for
    trainers who hand feedback out as files; it costs about as much as autograding.

    ``students`` limits the run to those learners (the server grading a submission at once:
    it writes their feedback and leaves the grades export to the next bulk run); ``wait_s``
    waits that long for a running grading to finish instead of stopping at once; ``pool``
    runs nbgrader in those (already started) worker processes; ``on_graded(student)`` is
    called as soon as that learner's feedback is written, before the others' are done.
    """
    from filelock import Timeout

    course.check_assignment_id(assignment)
    course.ensure_course()
    lock = FileLock(str(grade_lock_file()), timeout=wait_s)
    try:
        lock.acquire()
    except Timeout:
        raise GradingError(
            "another `chwkit grade` is running on this course; wait for it to finish, then "
            f"run this again (lock: {grade_lock_file()})"
        ) from None
    try:
        return _grade(
            assignment, workers, progress, force, export, html_feedback, students, pool, on_graded
        )
    finally:
        lock.release()


def _grade(
    assignment: str,
    workers: int | None,
    progress: bool,
    force: bool,
    export: Path | None,
    html_feedback: bool,
    students: Collection[str] | None = None,
    pool: Executor | None = None,
    on_graded: Callable[[str], None] | None = None,
) -> Report:
    import warnings

    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SAWarning
    from tqdm import tqdm

    warnings.filterwarnings("ignore", category=SAWarning)

    course.check_assignment_id(assignment)
    root = course.ensure_course()
    release = course.release_notebook(assignment)
    if not release.exists():
        raise GradingError(
            f"{assignment} has no release version: run `nbgrader generate_assignment "
            f"{assignment}` in assessments/ first"
        )
    release_nb = nbformat.read(release, as_version=4)
    spec = assessment_from_notebook(release_nb)
    report = Report(assignment)

    with course.gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise GradingError(
                f"{assignment} is not in the gradebook: run `nbgrader generate_assignment "
                f"{assignment}` in assessments/"
            ) from None
        graded_at = {}
        for sub in gb.assignment_submissions(assignment):
            graded_at[sub.student.id] = sub.timestamp

    learners = _known_learners()
    submitted = root / "submitted"
    todo: list[str] = []
    for entry in sorted(submitted.iterdir()) if submitted.is_dir() else []:
        if not (entry / assignment).exists():
            continue
        name = entry.name
        if students is not None and name not in students:
            continue
        try:
            roster.validate_id(name)
        except roster.RosterError:
            report.problems.append(Problem(name, "the folder name is not a valid learner id"))
            continue
        if entry.is_symlink() or (entry / assignment).is_symlink():
            report.problems.append(Problem(name, "the submission is a link, not a folder"))
            continue
        if name not in learners:
            report.problems.append(Problem(name, "not in the roster (chwkit roster add)"))
            continue
        stamp, error = _read_stamp(entry / assignment)
        if error:
            report.problems.append(Problem(name, f"{error}; not graded"))
            continue
        from nbgrader.utils import parse_utc

        up_to_date = (
            graded_at.get(name) is not None
            and graded_at[name] == parse_utc(stamp)
            and (course.autograded_dir(name, assignment) / f"{assignment}.ipynb").exists()
        )
        if up_to_date and not force:
            report.up_to_date.append(name)
        else:
            todo.append(name)

    base = Path(tempfile.mkdtemp(prefix=".scratch-", dir=root))
    try:
        template = base / "gradebook.template.db"
        _snapshot_gradebook(course.db_path(), template)
        jobs = [
            {
                "base": str(base),
                "template": str(template),
                "release": str(release),
                "assignment": assignment,
                "student": s,
                "html": html_feedback,
            }
            for s in todo
        ]
        workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
        bar = tqdm(
            total=len(jobs), desc=f"grading {assignment}", unit="learner", disable=not progress
        )
        told: set[str] = set()

        def tell(gb, student: str) -> None:  # this learner's feedback now, not after the batch
            if on_graded is None:
                return
            data = learner_feedback(gb, assignment, student, spec, release_nb)
            report.scores[student] = data["score"]
            _write_json(course.feedback_dir(student, assignment) / FEEDBACK_JSON, data)
            told.add(student)
            on_graded(student)

        with course.gradebook(root) as gb:
            if pool is not None:
                futures = {pool.submit(_autograde_in_scratch, j): j["student"] for j in jobs}
                results = (_result_of(f, futures[f]) for f in as_completed(futures))
                _collect(results, gb, assignment, base, report, bar, tell)
            elif workers == 1:
                results = (_run_here(job) for job in jobs)
                _collect(results, gb, assignment, base, report, bar, tell)
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    futures = {pool.submit(_autograde_in_scratch, j): j["student"] for j in jobs}
                    results = (_result_of(f, futures[f]) for f in as_completed(futures))
                    _collect(results, gb, assignment, base, report, bar, tell)
        bar.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    if html_feedback:
        _refresh_manual_feedback(assignment, report)
    with course.gradebook(root) as gb:
        for sub in gb.assignment_submissions(assignment):
            student = sub.student.id
            if (students is not None and student not in students) or student in told:
                continue
            if not (course.autograded_dir(student, assignment) / f"{assignment}.ipynb").exists():
                continue
            data = learner_feedback(gb, assignment, student, spec, release_nb)
            report.scores[student] = data["score"]
            _write_json(course.feedback_dir(student, assignment) / FEEDBACK_JSON, data)
        if students is None:
            report.export = export_grades(gb, export or root / "grades.csv")
    return report


def _failed(student: str, exc: BaseException) -> dict:
    reason = (str(exc).strip().splitlines() or [""])[0][:300]
    return {"student": student, "ok": False, "crashed": f"{type(exc).__name__}: {reason}"}


def _run_here(job: dict) -> dict:
    """One worker's job in this process (``--workers 1``); a failure is that learner's only."""
    try:
        return _autograde_in_scratch(job)
    except Exception as exc:
        return _failed(job["student"], exc)


def _result_of(future, student: str) -> dict:
    try:
        return future.result()
    except Exception as exc:  # the worker raised or died: report it for its learner, go on
        return _failed(student, exc)


def _collect(results, gb, assignment: str, base: Path, report: Report, bar, tell=None) -> None:
    for result in results:
        student = result["student"]
        bar.update(1)
        report.warnings += [Problem(student, w) for w in result.get("warnings", ())]
        if result.get("problems"):
            report.problems += [Problem(student, f"{e}; not graded") for e in result["problems"]]
            continue
        if result.get("crashed"):
            report.problems.append(
                Problem(student, f"grading stopped with an error: {result['crashed']}; not graded")
            )
            continue
        if not result["ok"]:
            last = (result.get("error") or "").strip().splitlines()[-1:] or ["unknown error"]
            report.problems.append(Problem(student, f"nbgrader could not grade it: {last[0]}"))
            continue
        _merge(gb, assignment, result)
        scratch = base / student
        _replace_tree(
            scratch / "autograded" / student / assignment,
            course.autograded_dir(student, assignment),
        )
        if result.get("html"):
            _replace_tree(
                scratch / "feedback" / student / assignment,
                course.feedback_dir(student, assignment),
            )
        else:  # an older HTML page would show an older score
            with contextlib.suppress(FileNotFoundError):
                (course.feedback_dir(student, assignment) / f"{assignment}.html").unlink()
        if not result.get("feedback_ok"):
            report.warnings.append(Problem(student, "nbgrader could not write the feedback page"))
        report.graded.append(student)
        if tell is not None:
            tell(gb, student)


def _refresh_manual_feedback(assignment: str, report: Report) -> None:
    """Re-make nbgrader's feedback page for learners whose reflections were graded since."""
    from nbgrader.apps import NbGraderAPI

    with course.gradebook() as gb:
        students = [
            sub.student.id
            for sub in gb.assignment_submissions(assignment)
            if sub.student.id not in report.graded
            and any(g.manual_score is not None for nb in sub.notebooks for g in nb.grades)
        ]
    if not students:
        return
    api = NbGraderAPI(config=course.nbgrader_config())
    for student in students:
        result = api.generate_feedback(assignment, student, force=True)
        if not result.get("success"):
            report.warnings.append(Problem(student, "nbgrader could not write the feedback page"))


def export_grades(gb, dest: Path) -> Path:
    """nbgrader's own CSV export of every assignment (score includes manual grades)."""
    from nbgrader.plugins import CsvExportPlugin

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    CsvExportPlugin(to=str(dest)).export(gb)
    return dest
