"""``chwkit grade`` across runs, with real nbgrader: a resubmission regraded end to end, a
failing learner in a one-worker run, and two runs of the command at once."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from chwkit.assess import course
from chwkit.assess.feedback import read_feedback, render_feedback
from chwkit.assess.grading import grade, grade_lock_file
from chwkit.assess.items import load_assessment
from chwkit.assess.submit import submit
from chwkit.cli import main

from .conftest import ASSIGNMENT, RIGHT, WRONG, add_learner

pytestmark = pytest.mark.nbgrader


def _answers_in(folder) -> dict[str, str]:
    nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", 4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def test_resubmission_is_regraded_and_its_reflection_awaits_review(course_home):
    from nbgrader.api import Gradebook

    code = add_learner("r-001")
    first = submit(ASSIGNMENT, code, RIGHT)
    report = grade(ASSIGNMENT, workers=2, progress=False)
    assert report.graded == ["r-001"] and report.scores["r-001"] == 6.0

    # The trainer grades the reflection in formgrader (what its API handler does).
    with Gradebook(course.db_url(), course.COURSE_ID) as gb:
        g = gb.find_grade("reflection_q6", ASSIGNMENT, ASSIGNMENT, "r-001")
        g.manual_score, g.needs_manual_grade = 2.0, False
        gb.db.commit()
    grade(ASSIGNMENT, workers=2, progress=False)
    data = read_feedback("r-001", ASSIGNMENT)
    assert data["score"] == 8.0 and not data["needs_manual_grade"]
    assert {i["item"]: i["status"] for i in data["items"]}["q6"] == "correct"

    second = submit(ASSIGNMENT, code, {**WRONG, "q6": "Otra reflexión, escrita de nuevo."})
    report = grade(ASSIGNMENT, workers=1, progress=False)
    assert report.graded == ["r-001"] and report.problems == []

    with Gradebook(course.db_url(), course.COURSE_ID) as gb:
        sub = gb.find_submission(ASSIGNMENT, "r-001")
        cells = {g.name: (g.auto_score, g.manual_score) for nb in sub.notebooks for g in nb.grades}
        assert sub.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") == second.timestamp
        assert sub.needs_manual_grade
        score = sub.score
    assert cells == {
        "test_q1": (0.0, None),
        "test_q2": (0.0, None),
        "test_q3": (0.0, None),
        "test_q4": (0.0, None),
        "test_q5": (0.0, None),
        "reflection_q6": (None, 2.0),  # nbgrader keeps the earlier grade until reviewed
    }

    data = read_feedback("r-001", ASSIGNMENT)
    assert data["timestamp"] == second.timestamp and data["score"] == score
    assert data["needs_manual_grade"]
    q6 = next(i for i in data["items"] if i["item"] == "q6")
    assert q6["status"] == "pending" and q6["score"] is None
    assert all(i["status"] == "incorrect" for i in data["items"] if i["item"] != "q6")
    shown = render_feedback(
        data, load_assessment(course.release_notebook(ASSIGNMENT)), "en", second.timestamp
    )
    assert "Waiting for review" in shown and "waiting for your trainer" in shown

    kept = sorted(course.history_dir("r-001", ASSIGNMENT).iterdir())
    assert [(k / "timestamp.txt").read_text() for k in kept] == [first.timestamp, second.timestamp]
    assert _answers_in(kept[0])["answer_q1"] == "answer_q1 = 1"
    assert _answers_in(kept[1])["answer_q1"] == "answer_q1 = 0"
    graded_nb = course.autograded_dir("r-001", ASSIGNMENT)
    assert _answers_in(graded_nb)["reflection_q6"] == (
        "reflection_q6 = 'Otra reflexión, escrita de nuevo.'"
    )


def test_a_failing_learner_does_not_end_a_one_worker_run(course_home):
    submit(ASSIGNMENT, add_learner("one-bad"), RIGHT)
    submit(ASSIGNMENT, add_learner("one-ok"), RIGHT)
    folder = course.submitted_dir("one-bad", ASSIGNMENT)
    (folder / "notes.txt").symlink_to(course_home / "gone")  # copying it fails in the worker

    report = grade(ASSIGNMENT, workers=1, progress=False)
    assert "one-ok" in report.graded and report.scores["one-ok"] == 6.0
    messages = [str(p) for p in report.problems]
    assert any(
        m.startswith("learner one-bad:") and "grading stopped with an error" in m for m in messages
    ), messages
    assert not course.autograded_dir("one-bad", ASSIGNMENT).exists()


def test_a_second_grade_run_waits_for_none_and_says_why(course_home, capsys):
    submit(ASSIGNMENT, add_learner("lock-01"), RIGHT)
    # Another process holds the course's grading lock, as a running `chwkit grade` does.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); "
            "lock.acquire(); print('held', flush=True); sys.stdin.read()",
            str(grade_lock_file()),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["grade", ASSIGNMENT, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert "another `chwkit grade` is running on this course" in err
        assert not course.autograded_dir("lock-01", ASSIGNMENT).exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    report = grade(ASSIGNMENT, workers=1, progress=False)  # the lock was released: runs
    assert "lock-01" in report.graded
