"""Assessments written as data: the item file, the built nbgrader notebook, its alignment."""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

from chwkit.assess import author

FILES = Path(__file__).parent / "files"


def test_the_built_notebook_is_valid_nbgrader_with_keys_only_in_solution_and_hidden_regions():
    spec = author.AssessmentSpec.load(FILES / "tiny_check.yaml")
    nb = nbformat.reads(author.render(spec), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("chwkit", {})
        assert "answer" not in meta and "accept" not in meta  # keys never in metadata
    prompts = [c for c in nb.cells if "item" in c.metadata.get("chwkit", {})]
    assert [c.metadata["chwkit"]["hint"]["es"] for c in prompts][0] == (
        "Repase la sección «Uno» del módulo."
    )
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert "rubric_q5" in grade_ids and "test_q5" not in grade_ids  # trainer-graded
    assert "test_q6" in grade_ids  # a personal reflection: scored for being answered


def _module(tmp_path, heading_es="Uno", heading_en="One", objectives=2):
    from chwkit.learn.spec import ModuleSpec

    folder = tmp_path / "tiny"
    folder.mkdir()
    objs = "".join(f"  - {{es: o{i}, en: o{i}}}\n" for i in range(objectives))
    (folder / "module.yaml").write_text(
        textwrap.dedent(
            """\
            id: tiny
            level: entry
            duration_min: 10
            c3_roles: [1]
            c3_skills: [communication]
            title: {es: T, en: T}
            summary: {es: S, en: S}
            """
        )
        + "objectives:\n"
        + objs,
        encoding="utf-8",
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# T\n\n## {heading_es}", metadata={"tags": ["lang-es"]}),
        nbformat.v4.new_markdown_cell(f"# T\n\n## {heading_en}", metadata={"tags": ["lang-en"]}),
    ]
    nbformat.write(nb, folder / "tiny.ipynb")
    return ModuleSpec.load(folder)


def _spec(tmp_path, **item):
    text = (FILES / "tiny_check.yaml").read_text()
    path = tmp_path / "tiny_check.yaml"
    path.write_text(text)
    spec = author.AssessmentSpec.load(path)
    if item:
        import dataclasses

        first = dataclasses.replace(spec.items[0], **item)
        spec = dataclasses.replace(spec, items=(first, *spec.items[1:]))
    return spec


def test_an_untested_objective_and_a_missing_section_are_named(tmp_path):
    module = _module(tmp_path, heading_es="Dos")
    problems = author.alignment_problems(_spec(tmp_path), module)
    assert any("objective 1 is tested by no autograded item" in p for p in problems)
    assert any("section «Uno» is not a heading" in p and "(es)" in p for p in problems)
    assert not any("(en)" in p for p in problems)


def test_an_aligned_assessment_has_no_problem(tmp_path):
    import dataclasses

    module = _module(tmp_path, objectives=1)
    spec = _spec(tmp_path, objectives=(1,))
    one_reflection = dataclasses.replace(spec, items=spec.items[:5])
    assert author.alignment_problems(one_reflection, module) == []
    assert any("at most one reflection" in p for p in author.alignment_problems(spec, module))


def test_a_prompt_that_gives_away_its_short_answer_is_named(tmp_path):
    import dataclasses

    module = _module(tmp_path, objectives=0)
    spec = _spec(tmp_path)
    short = dataclasses.replace(
        spec.items[3], prompt={"es": "La promotora de salud es…", "en": "The CHW is…"}
    )
    spec = dataclasses.replace(spec, items=(*spec.items[:3], short, *spec.items[4:]))
    assert any("gives away" in p for p in author.alignment_problems(spec, module))


@pytest.mark.parametrize(
    "change, message",
    [
        ("answer: 2\n", "answer: 7\n"),
        ("kind: numeric", "kind: essay"),
        ('example: "Un ejemplo."', "example: ''"),
    ],
)
def test_a_malformed_item_file_says_which_item_and_what_to_fix(tmp_path, change, message):
    path = tmp_path / "tiny_check.yaml"
    path.write_text((FILES / "tiny_check.yaml").read_text().replace(change, message, 1))
    with pytest.raises(author.AuthorError) as info:
        author.AssessmentSpec.load(path)
    assert "tiny_check.yaml" in str(info.value) and " q" in str(info.value)


def test_every_committed_source_is_what_its_item_file_builds():
    for name in author.all_assignments():
        assert not author.stale(name), f"run: chwkit assess build {name}"
