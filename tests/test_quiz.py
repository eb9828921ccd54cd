"""Question widgets tested through their state, without a browser."""

import html

import pytest
from traitlets import TraitError

from chwkit.core.request import page_lang as request_lang
from chwkit.core.text import fold
from chwkit.learn.page import Module
from chwkit.learn.practice import (
    MAX_ANSWER_CHARS,
    LanguageSwitch,
    ModuleProgress,
    make_question,
)
from chwkit.learn.spec import QuestionSpec

SINGLE = QuestionSpec.from_dict(
    {
        "id": "q1",
        "kind": "single",
        "prompt": {"es": "¿Quién <b>decide</b>?", "en": "Who <b>decides</b>?"},
        "options": [
            {"es": "El paciente", "en": "The patient"},
            {"es": "La promotora", "en": "The CHW"},
        ],
        "answer": 0,
        "explanation": {"es": "La persona decide.", "en": "The person decides."},
    },
    "test",
)
MULTIPLE = QuestionSpec.from_dict(
    {
        "id": "q2",
        "kind": "multiple",
        "prompt": {"es": "Elija", "en": "Choose"},
        "options": [{"es": f"o{i}", "en": f"o{i}"} for i in range(4)],
        "answer": [0, 2],
        "explanation": {"es": "Cero y dos.", "en": "Zero and two."},
    },
    "test",
)
SHORT = QuestionSpec.from_dict(
    {
        "id": "q3",
        "kind": "short",
        "prompt": {"es": "¿Cómo se llama?", "en": "What is it called?"},
        "accept": {"es": ["promotora de salud"], "en": ["community health worker"]},
        "explanation": {"es": "Así se llama.", "en": "That is its name."},
    },
    "test",
)


def test_single_choice_right_answer_says_correct_in_spanish():
    q = make_question(SINGLE, lang="es")
    q.submit(0)
    assert "¡Correcto!" in q.feedback.get_state()["value"]
    assert "La persona decide." in q.feedback.get_state()["value"]
    assert q.solved and q.attempted


def test_single_choice_wrong_answer_explains_and_invites_a_retry():
    q = make_question(SINGLE, lang="es")
    q.submit(1)
    value = q.feedback.get_state()["value"]
    assert "Todavía no." in value and "La persona decide." in value
    assert q.attempted and not q.solved


def test_switching_language_relabels_options_and_feedback_keeping_the_choice():
    q = make_question(SINGLE, lang="es")
    q.submit(1)
    q.lang = "en"
    state = q.input.get_state()
    assert state["_options_labels"] == ("The patient", "The CHW")
    assert state["index"] == 1
    assert "Not yet." in q.feedback.get_state()["value"]
    assert q.check.get_state()["description"] == "Check my answer"


def test_prompt_html_is_escaped():
    q = make_question(SINGLE, lang="en")
    assert "&lt;b&gt;decides&lt;/b&gt;" in q.prompt.get_state()["value"]
    assert "<b>" not in q.prompt.get_state()["value"]


def test_nothing_chosen_asks_for_an_answer_without_counting_an_attempt():
    q = make_question(SINGLE, lang="en")
    q.submit(None)
    assert "First choose or type an answer." in q.feedback.get_state()["value"]
    assert not q.attempted


@pytest.mark.parametrize(("chosen", "ok"), [((0, 2), True), ((0,), False), ((0, 1, 2), False)])
def test_multiple_choice_needs_exactly_the_correct_set(chosen, ok):
    q = make_question(MULTIPLE, lang="en")
    q.submit(chosen)
    assert q.solved is ok


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("Promotora de Salud", True),
        ("  promotóra   de  salud!! ", True),
        ("COMMUNITY health-worker", True),
        ("promotor", False),
    ],
)
def test_short_answer_ignores_accents_case_spacing_and_punctuation(typed, ok):
    q = make_question(SHORT, lang="es")
    q.submit(typed)
    assert q.solved is ok


def test_short_answer_too_long_is_refused_with_a_message():
    q = make_question(SHORT, lang="en")
    q.submit("x" * (MAX_ANSWER_CHARS + 1))
    assert "too long" in q.feedback.get_state()["value"]
    assert not q.attempted


def test_short_answer_never_echoes_the_learner_text():
    q = make_question(SHORT, lang="en")
    q.submit("<script>alert(1)</script>")
    assert "<script>" not in q.feedback.get_state()["value"]


def test_fold():
    assert fold(" Ácompañante\tComunitaria. ") == "acompanante comunitaria"


def test_language_switch_only_takes_known_languages():
    switch = LanguageSwitch("en")
    assert switch.get_state()["_options_labels"] == ("Español", "English")
    assert LanguageSwitch("fr").value == "es"  # an unknown language asked for: the default
    for index in (7, -1):  # the browser sends an index: one out of range is refused
        with pytest.raises(TraitError):
            switch.set_state({"index": index})
    with pytest.raises(TraitError):
        switch.value = "fr"
    assert switch.value == "en"
    switch.set_state({"index": 0})
    assert switch.value == "es"


def test_progress_counts_solved_questions_in_the_learner_language():
    questions = [make_question(SINGLE), make_question(MULTIPLE)]
    progress = ModuleProgress(questions, lang="es")
    questions[0].submit(0)
    assert progress.bar.get_state()["value"] == 1
    assert "1 de 2" in progress.label.get_state()["value"]
    questions[1].submit((0, 2))
    progress.lang = "en"
    assert "2 of 2" in progress.label.value and "You finished" in progress.label.value


@pytest.mark.parametrize(
    ("query", "lang"),
    [("lang=en", "en"), ("lang=ES", "es"), ("lang=fr", "es"), ("", "es"), ("a=1&lang=en", "en")],
)
def test_request_lang_reads_the_query_string(query, lang):
    assert request_lang(query) == lang


def test_module_ready_switches_every_widget_to_the_visitor_language(monkeypatch):
    from chwkit.learn.spec import discover

    spec = discover()[0]
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "")
    module = Module(spec)
    first = module.make_question(spec.questions[0].id)
    assert module.lang == "es" and first.lang == "es"
    monkeypatch.setenv("QUERY_STRING", "lang=en")
    assert module.ready() is None  # a value would show at the foot of the page
    assert module.lang == "en"
    assert first.lang == "en" and module.switch.value == "en" and module.progress.lang == "en"
    assert html.escape(spec.questions[0].prompt["en"]) in first.prompt.value


def test_a_module_page_shares_layout_and_style_models():
    """Each model is sent to the learner's browser and built there before the page is ready."""
    from chwkit.learn.spec import discover

    spec = discover()[0]
    module = Module(spec)
    for question in spec.questions:
        module.make_question(question.id)

    def tree(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from tree(child)

    drawn = [w for q in module.questions.values() for w in tree(q)]
    layouts = {id(w.layout) for w in drawn}
    styles = {id(w.style) for w in drawn if hasattr(w, "style")}
    assert len(drawn) > 30
    assert len(layouts) <= 4 and len(styles) <= 6, (len(layouts), len(styles))
    # Shared, yet each question still checks its own answer.
    first, second = (module.questions[q.id] for q in spec.questions[:2])
    first.submit(spec.questions[0].answer[0] if spec.questions[0].kind == "single" else ())
    assert first.attempted and not second.attempted


def test_a_module_page_says_when_it_was_reviewed_in_the_page_language():
    import datetime

    from chwkit.learn.page import ReviewNote

    note = ReviewNote(datetime.date(2026, 12, 1), lang="es")
    assert "revisado el 1 de diciembre de 2026" in note.value
    note.lang = "en"
    assert "reviewed on December 1, 2026" in note.value
    note.lang = "fr"  # an untrusted value falls back to the default language
    assert "diciembre" in note.value
