"""The learner's assessment page without a browser: widget state and messages."""

from __future__ import annotations

import html
import logging

import pytest

from chwkit.assess import course, roster
from chwkit.assess.page import AssessmentPage, parse_query

from .conftest import ASSIGNMENT, add_learner


def test_query_string_is_parsed_and_checked():
    assert parse_query("a=chw_role_check&lang=en") == ("chw_role_check", "en")
    assert parse_query("a=../../source/x&lang=fr") == (None, "es")
    assert parse_query("") == (None, "es")


def test_unknown_assessment_says_so_in_the_learners_language(course_home):
    page = AssessmentPage()
    page.ready("a=nope_check&lang=en")
    assert "does not exist" in page.header.value
    assert page.sign_in_box.layout.display == "none"


def test_wrong_code_then_sign_in_answer_and_submit(course_home):
    code = add_learner("w001")
    page = AssessmentPage()
    page.ready(f"a={ASSIGNMENT}&lang=es")
    assert "Autoevaluación" in page.header.value
    assert not page.sign_in("WXYZ-2345-6789")
    assert "no es válido" in page.sign_in_message.value
    assert not course.submitted_dir("w001", ASSIGNMENT).exists()
    assert page.sign_in(code)
    assert page.code.value == "", "the code is not kept in a widget"
    assert page.form.layout.display is None and "w001" in page.who.value

    page.items[0].set_value(1)
    page.items[1].set_value([0, 2])
    page.items[2].set_value("diez")
    assert not page.submit(confirmed=True)
    assert "Pregunta 3" in page.message.value
    assert not course.submitted_dir("w001", ASSIGNMENT).exists()

    page.items[2].set_value("10")
    page.items[5].set_value("<b>Mi reflexión</b>")
    assert page.submit(confirmed=True)
    assert "¡Listo!" in page.message.value and "4 de 6" in page.message.value
    page.lang = "en"
    assert "Done!" in page.message.value and "Question 1" in page.items[0].prompt.value
    assert page.items[0].input.options[1][0].startswith("A frontline health worker")


def test_too_many_wrong_tries_lock_the_code_and_a_reload_does_not_reset_them(course_home):
    from chwkit.core.signin import MAX_TRIES

    code = roster.add("w002")
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    for _ in range(MAX_TRIES):
        page = AssessmentPage()  # a new page each time, as after a reload
        page.ready(f"a={ASSIGNMENT}&lang=en")
        assert not page.sign_in(wrong)
    page = AssessmentPage()
    page.ready(f"a={ASSIGNMENT}&lang=en")
    assert not page.sign_in(code)
    assert "Too many tries" in page.sign_in_message.value and page.person is None
    other = roster.add("w009")  # another learner's code is not locked by these tries
    assert page.sign_in(other) and page.person.id == "w009"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_item_renders_in_both_languages(course_home, lang):
    for assignment in course.assignments():
        page = AssessmentPage()
        page.ready(f"a={assignment}&lang={lang}")
        assert len(page.items) == len(page.spec.items) >= 4
        for widget in page.items:
            assert html.escape(widget.item.prompt[lang]) in widget.prompt.value
            assert widget.prompt.value and widget.instructions.value


def test_an_unexpected_failure_on_submit_is_logged_and_told_in_both_languages(course_home, caplog):
    code = add_learner("w003")
    # The learner's history folder is a file: writing the submission fails (NotADirectoryError),
    # as a full disk or a stuck lock would, with an error that is not a SubmitError.
    history = course.history_dir("w003", ASSIGNMENT)
    history.parent.mkdir(parents=True)
    history.write_text("in the way")
    page = AssessmentPage()
    page.ready(f"a={ASSIGNMENT}&lang=es")
    assert page.sign_in(code)
    page.items[0].set_value(1)
    with caplog.at_level(logging.ERROR, logger="chwkit.assess.page"):
        assert not page.submit(confirmed=True)
    assert "Algo salió mal al guardar" in page.message.value
    assert "chwkit-error" in page.message.value
    page.lang = "en"
    assert "Something went wrong while saving" in page.message.value
    logged = [r for r in caplog.records if r.name == "chwkit.assess.page"]
    assert logged and "w003" in logged[0].getMessage()
    assert logged[0].exc_info and logged[0].exc_info[0] is NotADirectoryError
    assert not course.submitted_dir("w003", ASSIGNMENT).exists()


def test_sign_out_forgets_the_learner_and_their_answers(course_home):
    code = add_learner("w004")
    page = AssessmentPage()
    page.ready(f"a={ASSIGNMENT}&lang=es")
    assert "Volver a la lista" in page.back.value
    assert "href='../../../?lang=es'" in page.back.value  # the landing page, from Voila's URL
    assert page.sign_in(code)
    assert page.sign_out_button.description == "Salir"
    page.items[0].set_value(1)
    page.items[1].set_value([0, 2])
    page.items[2].set_value("10")
    page.items[5].set_value("Mi reflexión")
    page.sign_out_button.click()
    assert page.person is None and page.form.layout.display == "none"
    assert page.sign_in_box.layout.display is None
    assert page.answers() == {"q1": None, "q2": [], "q3": "", "q4": "", "q5": None, "q6": ""}
    assert "w004" not in page.who.value
    assert not page.submit(confirmed=True), "signed out: nothing can be submitted"
    assert not course.submitted_dir("w004", ASSIGNMENT).exists()
    page.lang = "en"
    assert "Back to the list" in page.back.value and "lang=en" in page.back.value
    assert page.sign_in(code) and "w004" in page.who.value


def test_a_personal_reflection_stays_private_unless_the_learner_shares_it():
    from chwkit.assess.items import PRIVATE_REFLECTION, Item
    from chwkit.assess.page import ItemInput

    item = Item(
        id="q7",
        kind="reflection",
        var="reflection_q7",
        points=1,
        prompt={"es": "¿Qué le ayuda?", "en": "What helps you?"},
        hint={"es": "h", "en": "h"},
        completion=True,
    )
    box = ItemInput(item, 7, "es")
    assert box.value() is None  # nothing written: unanswered
    box.input.value = "Hablar con mi hermana me ayuda."
    assert box.value() == PRIVATE_REFLECTION  # counts as answered; the words stay here
    assert "nadie la lee" in box.instructions.value and box.share.description.startswith(
        "Compartir"
    )
    box.share.value = True
    assert box.value() == "Hablar con mi hermana me ayuda."
    box.set_value(PRIVATE_REFLECTION)  # coming back to a private submission
    assert box.share.value is False
