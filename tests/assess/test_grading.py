"""``chwkit grade`` with real nbgrader: scores, a corpus of broken submissions, manual grades,
no leaks in feedback."""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from chwkit.assess import course, roster
from chwkit.assess.feedback import read_feedback, render_feedback
from chwkit.assess.grading import grade
from chwkit.assess.items import load_assessment
from chwkit.assess.sanitize import leaks
from chwkit.assess.submit import submit, write_submission

from .conftest import ASSIGNMENT, REPO, RIGHT, WRONG, add_learner, secrets
from .corpus import CORPUS, PWNED, WARNED

pytestmark = pytest.mark.nbgrader
GOOD = {
    "g-right": (RIGHT, 6.0),
    "g-wrong": (WRONG, 0.0),
    "c-types": (RIGHT, 5.0),
    "g-salud": ({**RIGHT, "q4": "Promotora de Salud"}, 6.0),  # what many CHWs write
}
CRASHED = "c-crash"  # its worker fails (a dangling link in the folder): reported, not fatal


def tree_state(path):
    return sorted((str(p), p.stat().st_mtime_ns) for p in path.rglob("*"))


@pytest.fixture(scope="module")
def graded(course_home, tmp_path_factory):
    for name, (answers, _) in GOOD.items():
        submit(ASSIGNMENT, add_learner(name), answers)
    for name, (damage, _) in {**CORPUS, **WARNED}.items():
        if name not in GOOD:
            submit(ASSIGNMENT, add_learner(name), RIGHT)
        damage(course.submitted_dir(name, ASSIGNMENT))
    release_nb = nbformat.read(course.release_notebook(ASSIGNMENT), 4)
    write_submission("ghost", ASSIGNMENT, release_nb)  # a folder nobody in the roster owns
    for odd in (".hidden", "a b"):
        folder = course.submitted_dir(odd, ASSIGNMENT)
        shutil.copytree(course.submitted_dir("g-wrong", ASSIGNMENT), folder)
    with pytest.raises(roster.RosterError):
        write_submission("../x", ASSIGNMENT, release_nb)
    submit(ASSIGNMENT, add_learner(CRASHED), RIGHT)
    (course.submitted_dir(CRASHED, ASSIGNMENT) / "notes.txt").symlink_to(course_home / "gone")

    cwd = tmp_path_factory.mktemp("cwd")
    before = tree_state(REPO / "assessments")
    repo_root = sorted(os.listdir(REPO))
    assert not any(p.exists() for p in PWNED)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        report = grade(ASSIGNMENT, workers=2, progress=False)
    finally:
        os.chdir(old)
    assert not any(cwd.iterdir()), "grading wrote into the working directory"
    assert tree_state(REPO / "assessments") == before, "grading wrote into assessments/"
    assert sorted(os.listdir(REPO)) == repo_root, "grading wrote into the repository root"
    assert not [p for p in PWNED if p.exists()], "a learner's code ran"
    # `../x` would have landed at course/x (submitted/../x): nothing may be there.
    landing = course.submitted_dir("../x", ASSIGNMENT).resolve().parent
    assert landing == (course_home / "course" / "x").resolve()
    assert not landing.exists()
    return report


def test_good_and_merely_odd_submissions_are_graded(graded):
    assert sorted(graded.graded) == sorted(GOOD)
    for name, (_, expected) in GOOD.items():
        assert graded.scores[name] == expected, name


def test_each_broken_submission_names_the_learner_and_the_problem(graded):
    messages = {str(p) for p in graded.problems}
    for name, (_, expected) in CORPUS.items():
        mine = [m for m in messages if m.startswith(f"learner {name}:")]
        assert mine, f"no message for {name}: {messages}"
        assert any(expected in m.lower() for m in mine), (name, mine)
    assert any(m.startswith("learner ghost:") and "roster" in m for m in messages)
    assert any(m.startswith("learner .hidden:") and "not a valid learner id" in m for m in messages)
    assert any(m.startswith("learner a b:") for m in messages)
    assert any(
        m.startswith(f"learner {CRASHED}:") and "grading stopped with an error" in m
        for m in messages
    ), messages
    assert not any(m.startswith("learner ?") for m in messages)
    for name, (_, expected) in WARNED.items():
        assert any(
            str(w).startswith(f"learner {name}:") and expected in str(w) for w in graded.warnings
        )
    for name in [*CORPUS, CRASHED]:
        assert not course.autograded_dir(name, ASSIGNMENT).exists()


def test_gradebook_matches_plain_nbgrader(graded, course_home, tmp_path):
    """Autograde the same submissions with nbgrader alone and compare every cell's score."""
    from nbgrader.api import Gradebook

    plain = tmp_path / "plain"
    shutil.copytree(course_home, plain, symlinks=True)
    for name in os.listdir(plain / "course" / "submitted"):
        if name not in GOOD:
            shutil.rmtree(plain / "course" / "submitted" / name)
    shutil.rmtree(plain / "course" / "autograded")
    env = {**os.environ, "CHWKIT_HOME": str(plain)}
    env["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{env.get('PATH', '')}"
    run = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", ASSIGNMENT],
        cwd=REPO / "assessments",
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]

    def cells(db):
        with Gradebook(f"sqlite:///{db}", "chwkit") as gb:
            return {
                (s.student.id, g.name): (g.auto_score, g.needs_manual_grade)
                for s in gb.assignment_submissions(ASSIGNMENT)
                if s.student.id in GOOD
                for nb in s.notebooks
                for g in nb.grades
            }

    assert cells(course_home / "course" / "gradebook.db") == cells(
        plain / "course" / "gradebook.db"
    )


def test_manual_grade_reaches_export_and_learner_feedback(graded):
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url(), course.COURSE_ID) as gb:
        g = gb.find_grade("reflection_q6", ASSIGNMENT, ASSIGNMENT, "g-right")
        g.manual_score = 2
        g.needs_manual_grade = False  # as formgrader does when a score is entered
        c = gb.find_comment("reflection_q6", ASSIGNMENT, ASSIGNMENT, "g-right")
        c.manual_comment = "¡Muy bien! <script>alert(1)</script>"
        gb.db.commit()
    report = grade(ASSIGNMENT, workers=2, progress=False)
    assert report.graded == [] and "g-right" in report.up_to_date
    with open(report.export, newline="") as handle:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(handle)}
    assert float(rows[(ASSIGNMENT, "g-right")]["score"]) == 8.0
    assert float(rows[(ASSIGNMENT, "g-wrong")]["score"]) == 0.0
    data = read_feedback("g-right", ASSIGNMENT)
    assert data["score"] == 8.0
    q6 = next(i for i in data["items"] if i["item"] == "q6")
    assert q6["status"] == "correct" and "Muy bien" in q6["comment"]
    spec = load_assessment(course.release_notebook(ASSIGNMENT))
    shown = render_feedback(data, spec, "en", None)
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "Score: 8 out of 8" in shown


def test_learner_feedback_statuses(graded):
    data = read_feedback("g-wrong", ASSIGNMENT)
    status = {i["item"]: i["status"] for i in data["items"]}
    assert status == {
        "q1": "incorrect",
        "q2": "incorrect",
        "q3": "incorrect",
        "q4": "incorrect",
        "q5": "incorrect",
        "q6": "unanswered",
    }
    html_es = render_feedback(
        data, load_assessment(course.release_notebook(ASSIGNMENT)), "es", None
    )
    assert "Puntaje: 0 de 8" in html_es and "Incorrecta" in html_es


def test_no_leak_in_release_feedback_or_learner_files(graded, course_home):
    from nbgrader.apps import NbGraderAPI

    for assignment in course.assignments():
        text = course.release_notebook(assignment).read_text()
        assert leaks(text, secrets(assignment)) == [], assignment
    key = secrets(ASSIGNMENT)
    autograded = (course.autograded_dir("g-wrong", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb").read_text()
    assert leaks(autograded, key), "the search must find the hidden tests where they are"
    # nbgrader's HTML feedback, through the kit's configuration (StripHiddenTests)
    api = NbGraderAPI(config=course.nbgrader_config())
    assert api.generate_feedback(ASSIGNMENT, "g-wrong", force=True)["success"]
    html_page = (course.feedback_dir("g-wrong", ASSIGNMENT) / f"{ASSIGNMENT}.html").read_text()
    assert "answer_q1 = 0" in html.unescape(re.sub(r"<[^>]+>", "", html_page))  # their answer...
    assert leaks(html_page, key) == []  # ...the key and hidden tests are not
    assert "Cell In[" not in html.unescape(re.sub(r"<[^>]+>", "", html_page))  # no tracebacks
    for path in (course_home / "course" / "feedback").rglob("*.json"):
        assert leaks(path.read_text(), key) == [], path
