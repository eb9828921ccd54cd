"""The assessment page with the records: a learner the server signed in needs no code; blank
items ask for confirmation first; coming back fills in the last submitted answers (fixing one
answer never wipes the others); a submission is graded at once by nbgrader, consistently
with the gradebook and ``chwkit grade``."""

from __future__ import annotations

import pytest
from assess.conftest import ASSIGNMENT, RIGHT, add_learner, course_home  # noqa: F401

from chwkit.assess import course
from chwkit.assess.grading import grade
from chwkit.assess.page import AssessmentPage
from chwkit.program.client import RecordsClient
from chwkit.program.results import grade_now

pytestmark = [pytest.mark.nbgrader, pytest.mark.usefixtures("course_home")]


def signed_in_page(learner: str) -> AssessmentPage:
    """The page as the server opens it for ``learner`` (identity from the server)."""
    calls = []

    def transport(path, payload, timeout):
        calls.append(path)
        return {"ok": True}

    page = AssessmentPage()
    page.load(ASSIGNMENT, "en")
    page.use_records(RecordsClient(learner, transport, sign_in_url="/chwkit/sign-in"))
    page.calls = calls
    return page


def answer(page: AssessmentPage, answers: dict) -> None:
    for widget in page.items:
        if widget.item.id in answers:
            value = answers[widget.item.id]
            if widget.item.kind in ("numeric", "short", "reflection"):
                value = str(value)  # what a text box holds
            widget.set_value(value)


def test_a_learner_signed_in_by_the_server_types_no_code():
    add_learner("r001")
    page = signed_in_page("r001")
    assert page.person.id == "r001" and page._code is None
    assert page.sign_in_box.layout.display == "none" and page.form.layout.display is None
    assert page.sign_out_button.layout.display == "none", "signing out is the server's"


def test_someone_not_in_the_roster_is_not_signed_in_and_nothing_is_written():
    page = signed_in_page("ghost-01")
    assert page.person is None and page.form.layout.display == "none"
    assert not page.submit(confirmed=True)
    assert not course.submitted_dir("ghost-01", ASSIGNMENT).exists()


def test_blank_items_ask_for_confirmation_first():
    add_learner("r002")
    page = signed_in_page("r002")
    answer(page, {"q1": RIGHT["q1"]})
    assert not page.submit()
    assert page.confirm_box.layout.display is None
    assert "Questions left blank: " in page.confirm_text.value
    assert not course.submitted_dir("r002", ASSIGNMENT).exists(), "nothing sent before yes"
    page.confirm_back.click()
    assert page.confirm_box.layout.display == "none"
    page.confirm_send.click()
    assert course.submitted_dir("r002", ASSIGNMENT).exists()
    assert page.confirm_box.layout.display == "none"


def test_coming_back_finds_the_last_answers_and_fixing_one_keeps_the_others():
    add_learner("r003")
    first = signed_in_page("r003")
    wrong_q1 = {**RIGHT, "q1": 0}
    answer(first, wrong_q1)
    assert first.submit()
    again = signed_in_page("r003")
    assert {w.item.id: w.value() for w in again.items}["q2"] == RIGHT["q2"]
    assert "last submitted answers" in again.message.value
    answer(again, {"q1": RIGHT["q1"]})  # fix the one wrong answer only
    assert again.submit()
    third = signed_in_page("r003")
    values = {w.item.id: w.value() for w in third.items}
    assert values["q1"] == RIGHT["q1"] and values["q2"] == RIGHT["q2"]
    assert values["q3"] == str(RIGHT["q3"])


def test_a_submission_is_graded_at_once_as_chwkit_grade_grades_it():
    from nbgrader.api import Gradebook

    add_learner("r004")
    page = signed_in_page("r004")
    page.grader = lambda assignment, student: grade_now(assignment, [student])[student]
    answer(page, RIGHT)
    assert page.submit()
    page._grading.join(timeout=300)
    panel = page.feedback.value
    assert "chwkit-fb-score" in panel and "Waiting for review" in panel, panel
    with Gradebook(course.db_url(), course.COURSE_ID) as gb:
        submission = gb.find_submission(ASSIGNMENT, "r004")
        graded_score = submission.score
        assert submission.needs_manual_grade, "the reflection waits for the trainer"
    assert f"Score: {graded_score:g} out of" in panel
    report = grade(ASSIGNMENT, workers=1, progress=False)
    assert "r004" in report.up_to_date, "the bulk run finds it graded already"
