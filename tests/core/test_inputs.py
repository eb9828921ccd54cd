"""The one input widget per kind of question, shared by practice questions and graded items."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest

from chwkit.core import inputs

PACKAGE = Path(__file__).resolve().parents[2] / "widgets" / "chwkit"
OPTIONS = [{"es": "uno", "en": "one"}, {"es": "dos", "en": "two"}, {"es": "tres", "en": "three"}]


@pytest.mark.parametrize(
    "kind, cls, empty, value",
    [
        ("single", widgets.RadioButtons, None, 2),
        ("multiple", widgets.VBox, [], [0, 2]),
        ("short", widgets.Text, "", "diez"),
        ("numeric", widgets.Text, "", "10"),
        ("reflection", widgets.Textarea, "", "línea 1\nlínea 2"),
    ],
)
def test_each_kind_round_trips_and_keeps_its_value_across_languages(kind, cls, empty, value):
    box = inputs.make_input(kind, len(OPTIONS))
    assert isinstance(box, cls)
    inputs.relabel_input(box, kind, OPTIONS, "es", "Su respuesta")
    assert inputs.read_input(box, kind) == empty
    inputs.write_input(box, kind, value)
    inputs.relabel_input(box, kind, OPTIONS, "en", "Your answer")
    assert inputs.read_input(box, kind) == value
    if kind == "single":
        assert [label for label, _ in box.options] == ["one", "two", "three"]
    elif kind == "multiple":
        assert [c.description for c in box.children] == ["one", "two", "three"]
    else:
        assert box.placeholder == "Your answer"
    inputs.write_input(box, kind, None)
    assert inputs.read_input(box, kind) == empty


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        inputs.make_input("slider")


def test_practice_and_graded_items_draw_the_same_input():
    from chwkit.assess.items import Item
    from chwkit.assess.page import ItemInput
    from chwkit.learn.practice import make_question
    from chwkit.learn.spec import QuestionSpec

    options = tuple(OPTIONS)
    prompt = {"es": "¿?", "en": "?"}
    question = make_question(
        QuestionSpec("q1", "single", prompt, {"es": "Porque.", "en": "Because."}, options, (1,))
    )
    item = ItemInput(Item("q1", "single", "answer_q1", 1, prompt, prompt, options), 1)
    assert type(question.input) is type(item.input) is widgets.RadioButtons
    assert question.input.layout is item.input.layout, "one shared layout model"


def test_no_other_answer_widget_builder_in_the_package():
    offenders = []
    for room in ("learn", "assess"):  # where questions are asked
        for path in (PACKAGE / room).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(f"widgets.{name}(" in text for name in ("RadioButtons", "Textarea", "Text")):
                offenders.append(path.relative_to(PACKAGE).as_posix())
    assert offenders == []
