"""The assessments themselves: nbgrader format, bilingual, mixed item kinds, safe answers."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from chwkit.assess import author, course
from chwkit.assess.items import (
    AnswerError,
    assessment_from_notebook,
    clean_answer,
    parse_answer_cell,
)
from chwkit.core.i18n import LANGS

from .conftest import REPO

FILES = Path(__file__).parent / "files"
SOURCES = sorted((REPO / "assessments" / "source").glob("*/*.ipynb"))


def test_there_is_one_assessment_per_module():
    modules = {p.name for p in (REPO / "notebooks" / "modules").iterdir() if p.is_dir()}
    assessed = {assessment_from_notebook(nbformat.read(p, 4)).module for p in SOURCES}
    assert {p.parent.name for p in SOURCES} == set(course.assignments())
    assert modules <= assessed


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_source_is_nbgrader_format_with_every_kind_and_hidden_tests(path):
    nb = nbformat.read(path, 4)
    nbformat.validate(nb)
    assert not any(c.get("outputs") for c in nb.cells), "commit notebooks without outputs"
    spec = assessment_from_notebook(nb)
    assert spec.id == path.parent.name
    kinds = [i.kind for i in spec.items]
    assert "single" in kinds and kinds.count("reflection") == 1 and len(set(kinds)) >= 3
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    for item in spec.items:
        answer = cells[item.var]
        assert answer.metadata["nbgrader"]["solution"] is True
        assert "### BEGIN SOLUTION" in answer.source
        if item.manual:  # an nbgrader "manually graded answer"
            assert answer.metadata["nbgrader"]["grade"] is True
            continue
        test = cells[f"test_{item.id}"]
        assert test.metadata["nbgrader"]["grade"] is True and test.metadata["nbgrader"]["locked"]
        if item.completion:  # answered is enough: nothing to hide
            assert "HIDDEN" not in test.source and item.var in test.source
            continue
        visible, _, hidden = test.source.partition("### BEGIN HIDDEN TESTS")
        assert visible.strip() and hidden.strip(), f"{item.id}: needs visible and hidden tests"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_both_languages_carry_the_same_items(path):
    nb = nbformat.read(path, 4)
    spec = assessment_from_notebook(nb)
    for lang in LANGS:
        assert spec.title[lang].strip() and spec.intro[lang].strip()
    prompts = {
        c.metadata["chwkit"]["item"]: c.source
        for c in nb.cells
        if "item" in c.metadata.get("chwkit", {})
    }
    for item in spec.items:
        for lang in LANGS:
            assert item.prompt[lang] in prompts[item.id], f"{item.id}: markdown lacks {lang} prompt"
            assert item.hint[lang].strip()
            for option in item.options:
                assert option[lang] in prompts[item.id]
    # A choice's visible test checks the very range of options the learner is shown.
    tests = {
        c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata
    }
    singles = [i for i in spec.items if i.kind == "single"]
    assert singles
    for item in singles:
        assert f"0 <= {item.var} < {len(item.options)}" in tests[f"test_{item.id}"], item.id


_run_checks = author.run_checks
_solution = author.solution


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_the_solution_passes_every_test_and_a_wrong_answer_fails(path):
    nb = nbformat.read(path, 4)
    solution = _solution(nb)
    assert all(_run_checks(nb, solution).values())
    assert not any(_run_checks(nb, {}).values()), "an unanswered item must score 0"


def tiny():
    """The edge-case assessment of tests/assess/files (every kind of item), built as the kit
    builds every assessment."""
    import nbformat as nbf

    spec = author.AssessmentSpec.load(FILES / "tiny_check.yaml")
    return nbf.reads(author.render(spec), as_version=4)


@pytest.mark.parametrize(
    "answer, accepted",
    [
        ("promotora", True),
        ("Promotóra!", True),
        ("Promotora de salud", True),
        ("la promotora", True),  # a leading article is not a wrong answer
        ("La Mediación cultural.", True),
        ("el hogar médico", True),
        ("the medical home", True),
        ("una promotora de salud", True),
        ("enfermera", False),
        ("de salud", False),
        ("la", False),
        ("promotora la", False),  # only a leading article is dropped
    ],
)
def test_short_answers_accept_natural_answers_and_nothing_else(answer, accepted):
    nb = tiny()
    assert _run_checks(nb, {**_solution(nb), "q4": answer})["q4"] is accepted


def test_practice_and_graded_short_answers_share_one_rule():
    from chwkit.core.text import matches
    from chwkit.learn.practice import ShortAnswerQuestion
    from chwkit.learn.spec import QuestionSpec

    accept = ("mediación cultural", "hogar médico")
    spec = QuestionSpec(
        "q1",
        "short",
        {"es": "?", "en": "?"},
        {"es": "e", "en": "e"},
        accept={"es": accept, "en": accept},
    )
    widget = ShortAnswerQuestion(spec)
    nb = tiny()
    for typed in ("La mediación cultural", "el Hogar Medico", "mediación", "la"):
        graded = _run_checks(nb, {**_solution(nb), "q4": typed})["q4"]
        assert widget.is_correct(typed) is matches(typed, accept)
        assert graded is matches(
            typed, author.AssessmentSpec.load(FILES / "tiny_check.yaml").items[3].accept
        )


def test_answers_are_validated_plain_data():
    spec = assessment_from_notebook(tiny())
    single, multiple, numeric, short, reflection, personal = spec.items
    assert personal.completion and not personal.manual and reflection.manual
    assert clean_answer(single, 1) == 1
    assert clean_answer(multiple, (3, 0, 3)) == [0, 3]
    assert clean_answer(numeric, " 1,5 ") == 1.5
    assert clean_answer(numeric, "10") == 10
    assert clean_answer(short, "  ") is None
    assert clean_answer(reflection, "línea\r\notra\x00") == "línea\notra"
    for item, bad in [
        (single, "1"),
        (single, True),
        (single, 9),
        (multiple, [0, "1"]),
        (multiple, "0,1"),
        (numeric, "diez"),
        (numeric, float("nan")),
        (numeric, 1e300),
        (short, "x" * 201),
        (short, ["a"]),
        (reflection, "x" * 4001),
    ]:
        with pytest.raises(AnswerError):
            clean_answer(item, bad)


@pytest.mark.parametrize(
    "source",
    [
        "while True:\n    pass",
        "answer_q1 = __import__('os').system('true')",
        "print('x' * 10_000_000)",
        "import warnings; warnings.warn('boo')",
        "answer_q1 = 1\nanswer_q2 = 2",
        "answer_q1 = [i for i in range(3)]",
        "answer_q1 = (",
    ],
)
def test_answer_cells_holding_code_are_refused(source):
    spec = assessment_from_notebook(tiny())
    with pytest.raises(AnswerError):
        parse_answer_cell(spec.items[0], source)


def test_answer_cell_literals_read_back():
    spec = assessment_from_notebook(tiny())
    assert parse_answer_cell(spec.items[0], "answer_q1 = 2") == 2
    assert parse_answer_cell(spec.items[4], "reflection_q5 = 'a \"b\"\\n'") == 'a "b"\n'
