"""The submission writer: nbgrader's layout, plain-data answers, codes checked first."""

from __future__ import annotations

import copy
import re

import nbformat
import pytest

from chwkit.assess import course, roster
from chwkit.assess.submit import SubmitError, fill_answers, load_release, submit

from .conftest import ASSIGNMENT, RIGHT, add_learner

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} UTC$")


def files_under(path):
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


def test_submission_is_release_with_literal_answers(course_home):
    code = add_learner("s001")
    receipt = submit(ASSIGNMENT, code, RIGHT)
    assert (receipt.student, receipt.answered, receipt.total) == ("s001", 6, 6)
    folder = course.submitted_dir("s001", ASSIGNMENT)
    stamp = (folder / "timestamp.txt").read_text()
    assert STAMP.match(stamp) and stamp == receipt.timestamp
    nb = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", 4)
    sources = {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata
    }
    assert sources["answer_q1"] == "answer_q1 = 1"
    assert sources["answer_q2"] == "answer_q2 = [0, 2, 3]"
    assert sources["answer_q4"] == "answer_q4 = 'Promotóra'"
    assert "BEGIN SOLUTION" not in nbformat.writes(nb) and "HIDDEN" not in nbformat.writes(nb)


def test_resubmitting_keeps_every_submission_and_the_latest_counts(course_home):
    code = add_learner("s002")
    first = submit(ASSIGNMENT, code, {"q1": 0})
    second = submit(ASSIGNMENT, code, {"q1": 1})
    kept = sorted(course.history_dir("s002", ASSIGNMENT).iterdir())
    assert len(kept) == 2
    assert [(k / "timestamp.txt").read_text() for k in kept] == [first.timestamp, second.timestamp]
    current = (course.submitted_dir("s002", ASSIGNMENT) / "timestamp.txt").read_text()
    assert current == second.timestamp


@pytest.mark.parametrize(
    "answers, key",
    [
        ({"q1": "1"}, "assess.bad_choice"),
        ({"q2": [0, 99]}, "assess.bad_choice"),
        ({"q3": "ten"}, "assess.bad_number"),
        ({"q4": "x" * 500}, "assess.too_long"),
        ({"q6": {"a": 1}}, "assess.bad_text"),
        ({"zz": 1}, "assess.bad_answer"),
    ],
)
def test_invalid_answers_write_nothing(course_home, answers, key):
    code = roster.add(f"bad-{abs(hash(key)) % 10_000}-{len(str(answers))}")
    before = files_under(course_home / "course" / "submitted")
    with pytest.raises(SubmitError) as info:
        submit(ASSIGNMENT, code, answers)
    assert info.value.key == key
    assert files_under(course_home / "course" / "submitted") == before


def test_wrong_and_reused_codes_write_nothing(course_home):
    old = add_learner("s003")
    new = roster.reset_code("s003")
    before = files_under(course_home / "course")
    for code in ("WXYZ-2345-6789", old, "", "../s003"):
        with pytest.raises(SubmitError) as info:
            submit(ASSIGNMENT, code, RIGHT)
        assert info.value.key == "assess.wrong_code"
    assert files_under(course_home / "course") == before
    facilitator = roster.add("f-only", role="facilitator")
    with pytest.raises(SubmitError):
        submit(ASSIGNMENT, facilitator, RIGHT)
    assert submit(ASSIGNMENT, new, RIGHT).student == "s003"


def test_unknown_or_path_like_assessment_is_refused(course_home):
    code = add_learner("s004")
    for name in ("../source/chw_role_check", "nope_check", "CHW"):
        with pytest.raises(SubmitError) as info:
            submit(name, code, {})
        assert info.value.key == "assess.unknown_assessment"


def test_cells_without_nbgrader_ids_must_be_the_releases_own(course_home, tmp_path):
    """An assessment may hold ordinary cells (no nbgrader id): a submission keeps them as
    released; one added, edited or moved is refused before anything runs."""
    from chwkit.assess.grading import check_submission

    release_nb, spec = load_release(ASSIGNMENT)
    release_nb = copy.deepcopy(release_nb)
    at = next(i for i, c in enumerate(release_nb.cells) if c.cell_type == "code")
    release_nb.cells.insert(at, nbformat.v4.new_markdown_cell("Lea con calma."))
    release_nb.cells.insert(at + 1, nbformat.v4.new_code_cell("import math"))
    filled, _ = fill_answers(release_nb, spec, RIGHT)

    def check(nb):
        (tmp_path / f"{ASSIGNMENT}.ipynb").write_text(nbformat.writes(nb))
        (tmp_path / "timestamp.txt").write_text("2024-05-01 10:00:00.000000 UTC")
        return check_submission(tmp_path, ASSIGNMENT, release_nb, spec)[0]

    assert check(filled) == []
    edited = copy.deepcopy(filled)
    edited.cells[at + 1].source = "import os; os.system('true')"
    assert any("extra code cell" in e for e in check(edited))
    moved = copy.deepcopy(filled)
    moved.cells.insert(len(moved.cells), moved.cells.pop(at + 1))
    assert any("not in the released order" in e for e in check(moved))
    text = copy.deepcopy(filled)
    text.cells[at].source = "<img src=x onerror=alert(1)>"
    assert any("extra markdown cell" in e for e in check(text))
