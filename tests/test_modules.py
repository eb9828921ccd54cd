"""Module content: metadata valid, both languages carry the same sections and questions."""

import json
import re
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
    assert re.search(r"^## (Caso|Escenario)\b", es, re.M) and re.search(
        r"^## (Case|Scenario)\b", en, re.M
    )
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


# -- the whole project, as a reviewer checks it --------------------------------------------------
def test_every_module_and_track_passes_the_check_with_no_warning():
    problems, warnings, modules_checked, tracks_checked = check.run()
    assert problems == [] and warnings == []
    assert modules_checked == len(REAL_MODULES) and tracks_checked >= 4


def test_every_module_is_in_exactly_one_track_and_tracks_name_their_program():
    from chwkit.learn.tracks import discover

    tracks = discover()
    placed = [m for track in tracks for m in track.modules]
    assert sorted(placed) == sorted(m.id for m in REAL_MODULES)
    assert {t.program for t in tracks} >= {
        "acompanantes",
        "clinic_academy",
        "binational_promotores",
    }


REVIEWED_YAML = (
    BASE_YAML
    + """\
objectives:
  - {es: "Decir sí", en: "Say yes"}
  - {es: "Decir no", en: "Say no"}
sources:
  - {title: "Una fuente", publisher: "OMS", url: "https://www.who.int/x", consulted: 2026-01-05}
  - {title: "Otra", publisher: "OPS", url: "https://www.paho.org/y", consulted: 2026-01-05}
reviewed: 2026-01-05
review_by: 2026-07-05
"""
)


def test_a_module_past_its_review_date_warns_and_one_without_sources_fails(tmp_path):
    import datetime

    folder = tmp_path / "tiny"
    write_module(folder, REVIEWED_YAML, [])
    spec = modules.ModuleSpec.load(folder)
    assert check.content_problems(spec) == [
        f"{folder / 'module.yaml'}: at least 4 practice questions"
    ]
    assert check.review_warnings(spec, datetime.date(2026, 7, 4)) == []
    [warning] = check.review_warnings(spec, datetime.date(2026, 7, 6))
    assert "tiny" in warning and "2026-07-05" in warning
    bare = tmp_path / "bare"
    write_module(bare, BASE_YAML.replace("id: tiny", "id: bare"), [])
    problems = check.content_problems(modules.ModuleSpec.load(bare))
    assert any("sources" in p for p in problems) and any("review_by" in p for p in problems)
    assert any("objectives" in p for p in problems)


@pytest.mark.parametrize(
    "bad, message",
    [
        ('url: "www.who.int"', "not a web address"),
        ("consulted: ayer", "not a date"),
    ],
)
def test_a_malformed_source_is_named(tmp_path, bad, message):
    folder = tmp_path / "tiny"
    key = bad.split(":")[0]
    text = REVIEWED_YAML.replace(
        'url: "https://www.who.int/x", consulted: 2026-01-05',
        {
            "url": 'url: "www.who.int", consulted: 2026-01-05',
            "consulted": 'url: "https://www.who.int/x", consulted: ayer',
        }[key],
    )
    write_module(folder, text, [])
    with pytest.raises(modules.ModuleError, match=message):
        modules.ModuleSpec.load(folder)


TRACK = """\
id: t1
title: {es: Ruta, en: Track}
summary: {es: Resumen, en: Summary}
program: acompanantes
level: entry
modules: [tiny]
hours: HOURS
pass_mark: 0.7
"""


def test_a_track_whose_hours_do_not_add_up_or_that_names_a_missing_module_fails(
    tmp_path, monkeypatch
):
    from chwkit.core import paths

    root = tmp_path / "project"
    write_module(root / "notebooks" / "modules" / "tiny", REVIEWED_YAML, [])
    tracks = root / "notebooks" / "tracks"
    tracks.mkdir()
    monkeypatch.setattr(paths, "project_root", lambda: root)
    spec = modules.ModuleSpec.load(root / "notebooks" / "modules" / "tiny")
    (tracks / "t1.yaml").write_text(TRACK.replace("HOURS", "0.2"))
    assert check.track_problems({"tiny": spec}) == (1, [])  # 10 minutes: 0.2 h is close enough
    (tracks / "t1.yaml").write_text(TRACK.replace("HOURS", "2"))
    [problem] = check.track_problems({"tiny": spec})[1]
    assert "add up to 0.2 hours" in problem
    (tracks / "t1.yaml").write_text(TRACK.replace("HOURS", "0.2").replace("[tiny]", "[tiny, gone]"))
    [problem] = check.track_problems({"tiny": spec})[1]
    assert "no such modules: gone" in problem
    (tracks / "t1.yaml").write_text(TRACK.replace("HOURS", "0.2").replace("es: Ruta, ", ""))
    [problem] = check.track_problems({"tiny": spec})[1]
    assert "title" in problem and "es" in problem


def test_modules_new_writes_a_skeleton_that_the_check_guides_to_completion(tmp_path, monkeypatch):
    import datetime

    from chwkit.core import paths
    from chwkit.learn import scaffold

    root = tmp_path / "project"
    (root / "notebooks" / "tracks").mkdir(parents=True)
    (root / "notebooks" / "modules").mkdir()
    (root / "notebooks" / "tracks" / "t1.yaml").write_text(
        "# a comment kept\n" + TRACK.replace("HOURS", "0.2").replace("[tiny]", "[]")
    )
    monkeypatch.setattr(paths, "project_root", lambda: root)
    written = scaffold.new_module("nuevo_modulo", "t1", today=datetime.date(2026, 12, 1))
    assert {p.name for p in written} >= {
        "module.yaml", "nuevo_modulo.ipynb", "facilitator.es.md", "facilitator.en.md",
        "nuevo_modulo_check.yaml", "t1.yaml",
    }  # fmt: skip
    spec = modules.ModuleSpec.load(root / "notebooks" / "modules" / "nuevo_modulo")
    nbformat.validate(nbformat.read(spec.notebook, 4))
    assert check.check_structure(spec) == []  # the bilingual skeleton is sound as it is
    assert spec.review_by == datetime.date(2027, 12, 1)
    todo = check.content_problems(spec)
    assert todo and all("TODO" in p for p in todo)
    assert "TODO" in check.assessment_problems(spec)[0]
    track = (root / "notebooks" / "tracks" / "t1.yaml").read_text()
    assert track.startswith("# a comment kept") and "modules: [nuevo_modulo]" in track
    assert "hours: 1" in track  # 0.2 + 50 minutes
    with pytest.raises(scaffold.ScaffoldError, match="exists already"):
        scaffold.new_module("nuevo_modulo", "t1")
    with pytest.raises(scaffold.ScaffoldError, match="no track 'nope'.*t1"):
        scaffold.new_module("otro", "nope")
    with pytest.raises(scaffold.ScaffoldError, match="not a module id"):
        scaffold.new_module("Otro Modulo", "t1")


def test_a_module_is_read_again_when_its_yaml_changes_and_only_then(tmp_path):
    import shutil

    source = modules.discover()[0].folder
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    first = modules.ModuleSpec.load(folder)
    assert modules.ModuleSpec.load(folder) is first, "unchanged: not parsed again"
    yaml_path = folder / "module.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    yaml_path.write_text(text.replace(first.title["en"], "A title changed today", 1), "utf-8")
    again = modules.ModuleSpec.load(folder)
    assert again.title["en"] == "A title changed today"
    assert again.title["es"] == first.title["es"]
    yaml_path.write_text("id: [broken", encoding="utf-8")
    with pytest.raises(modules.ModuleError):
        modules.ModuleSpec.load(folder)
