"""Module content: metadata valid, both languages carry the same sections and questions."""

import json
import textwrap

import nbformat
import pytest

from chwkit.learn import check
from chwkit.learn import spec as modules

REAL_MODULES = modules.discover()
EXPECTED = {"chw_role", "health_coverage", "acompanante_wellbeing"}


def test_the_three_training_modules_are_there():
    assert {m.id for m in REAL_MODULES} >= EXPECTED


@pytest.mark.parametrize("spec", REAL_MODULES, ids=lambda m: m.id)
def test_module_is_bilingual_with_the_same_structure(spec):
    assert check.check_structure(spec) == []


@pytest.mark.parametrize("spec", REAL_MODULES, ids=lambda m: m.id)
def test_module_has_at_least_four_practice_questions_of_each_kind(spec):
    kinds = [q.kind for q in spec.questions]
    assert len(kinds) >= 4
    assert {"single", "multiple", "short"} <= set(kinds)


@pytest.mark.parametrize("spec", REAL_MODULES, ids=lambda m: m.id)
def test_module_has_objectives_a_scenario_and_sections(spec):
    nb = json.loads(spec.notebook.read_text(encoding="utf-8"))
    es = "\n".join(
        "".join(c["source"]) for c in nb["cells"] if "lang-es" in c["metadata"].get("tags", [])
    )
    en = "\n".join(
        "".join(c["source"]) for c in nb["cells"] if "lang-en" in c["metadata"].get("tags", [])
    )
    assert "Objetivos" in es and "objectives" in en.lower()
    assert "Escenario" in es and "Scenario" in en
    assert es.count("\n## ") >= 4 and en.count("\n## ") >= 4


def write_module(folder, yaml_text, cells):
    folder.mkdir(parents=True)
    (folder / "module.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, folder / f"{folder.name}.ipynb")


BASE_YAML = """\
id: tiny
level: entry
duration_min: 10
c3_roles: [1]
c3_skills: [communication]
title: {es: Título, en: Title}
summary: {es: Resumen, en: Summary}
questions:
  - id: q1
    kind: single
    prompt: {es: "¿Sí?", en: "Yes?"}
    options: [{es: Sí, en: "Yes"}, {es: "No", en: "No"}]
    answer: 0
    explanation: {es: Porque, en: Because}
"""


def md(text, lang):
    return nbformat.v4.new_markdown_cell(text, metadata={"tags": [f"lang-{lang}"]})


def test_check_structure_flags_headings_that_differ_between_languages(tmp_path):
    folder = tmp_path / "tiny"
    write_module(
        folder,
        BASE_YAML,
        [
            md("# Uno\n## Dos", "es"),
            md("# One", "en"),
            nbformat.v4.new_code_cell('module.question("q1")'),
        ],
    )
    problems = check.check_structure(modules.ModuleSpec.load(folder))
    assert len(problems) == 1 and "headings [1, 2] in es but [1] in en" in problems[0]


def test_check_structure_flags_a_question_not_shown(tmp_path):
    folder = tmp_path / "tiny"
    write_module(folder, BASE_YAML, [md("# Uno", "es"), md("# One", "en")])
    problems = check.check_structure(modules.ModuleSpec.load(folder))
    assert any("shows questions [], module.yaml has ['q1']" in p for p in problems)


def test_check_structure_flags_a_missing_english_twin(tmp_path):
    folder = tmp_path / "tiny"
    write_module(
        folder,
        BASE_YAML,
        [md("# Uno", "es"), md("# Dos", "es"), nbformat.v4.new_code_cell('module.question("q1")')],
    )
    problems = check.check_structure(modules.ModuleSpec.load(folder))
    assert any("lang-en twin" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("en: Title", "en: ''", "missing text in 'en'"),
        ("answer: 0", "answer: 5", "not an option index"),
        ("level: entry", "level: expert", "level must be"),
        ("c3_roles: [1]", "c3_roles: [11]", "c3_roles"),
        ("kind: single", "kind: essay", "kind must be"),
        ("id: tiny", "id: other", "must equal the folder name"),
    ],
)
def test_bad_module_yaml_gets_a_clear_message(tmp_path, old, new, message):
    folder = tmp_path / "tiny"
    write_module(folder, BASE_YAML.replace(old, new), [])
    with pytest.raises(modules.ModuleError, match=message.replace("[", r"\[")):
        modules.ModuleSpec.load(folder)


def test_find_refuses_path_like_module_ids():
    assert modules.find("../assessments") is None
    assert modules.find("no_such_module") is None
