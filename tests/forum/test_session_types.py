"""Session types: a forum, a conference or an exchange, from ``chwkit forum new`` to the dataset.

Session notebooks written before the field existed read as forum sessions.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from frictionless import Package, validate

from chwkit.cli import main
from chwkit.forum import landing_entries
from chwkit.forum.dataset import build
from chwkit.forum.model import SESSION_TYPES, ForumValueError, make_session
from chwkit.forum.recorder import Recorder
from chwkit.forum.session import new_session, read_session, save_contribution

from .conftest import assert_valid_notebook, contribution


def _conference(forum_dir, lang="es"):
    session = make_session(
        "2027-03-12", "oakland", "Salud y migración", "fac-1", lang, 140, "conference"
    )
    return new_session(session, forum_dir)


def _drop_session_type(path):
    """Make ``path`` look like a session notebook written before session types existed."""
    nb = json.loads(path.read_text())
    [params] = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    source = "".join(params["source"])
    params["source"] = "".join(
        line for line in source.splitlines(keepends=True) if not line.startswith("session_type")
    )
    assert "session_type" not in params["source"]
    path.write_text(json.dumps(nb, indent=1))


def test_the_types_and_the_default():
    assert SESSION_TYPES == ("forum", "conference", "exchange")
    assert make_session("2026-11-05", "mission", "T", "fac-1").session_type == "forum"
    for kind in SESSION_TYPES:
        s = make_session("2026-11-05", "mission", "T", "fac-1", session_type=kind)
        assert s.session_type == kind and s.as_params()["session_type"] == kind


def test_an_unknown_type_is_refused_in_both_languages():
    with pytest.raises(ForumValueError) as info:
        make_session("2026-11-05", "mission", "T", "fac-1", session_type="gala")
    assert info.value.key == "forum.error.session_type"
    assert "«gala»" in info.value.message("es") and "tipo de sesión" in info.value.message("es")
    assert "forum, conference, exchange" in info.value.message("en")


def test_a_conference_notebook_says_so_and_keeps_the_type_in_its_parameters(forum_dir):
    path = _conference(forum_dir)
    nb = assert_valid_notebook(path)
    [params] = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert "session_type = 'conference'" in params.source
    intro = nb.cells[0].source
    assert intro.startswith("# Conferencia: aportes compartidos")
    assert "**Tipo de sesión:** Conferencia" in intro
    assert "{session" not in intro and "Foro mensual" not in intro
    assert read_session(path).session_type == "conference"

    en = new_session(
        make_session("2027-03-13", "oakland", "T", "fac-1", "en", session_type="exchange"),
        forum_dir,
    )
    intro = assert_valid_notebook(en).cells[0].source
    assert intro.startswith("# Exchange: shared contributions")
    assert "**Session type:** Exchange" in intro


def test_a_forum_notebook_keeps_the_forum_heading(session_file):
    intro = assert_valid_notebook(session_file).cells[0].source
    assert intro.startswith("# Foro mensual de aprendizaje")
    assert "**Tipo de sesión:** Foro mensual" in intro


def test_an_older_notebook_without_the_field_reads_as_a_forum(session_file):
    _drop_session_type(session_file)
    assert read_session(session_file).session_type == "forum"
    saved = save_contribution(session_file, contribution())  # still writable
    assert saved.uuid in session_file.read_text()


def test_a_hand_edited_type_is_explained(session_file):
    nb = json.loads(session_file.read_text())
    [params] = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    params["source"] = "".join(params["source"]).replace("'forum'", "'fiesta'")
    session_file.write_text(json.dumps(nb, indent=1))
    report = build(progress=False)
    assert report.sessions == 0
    assert any("fiesta" in p and "session type" in p for p in report.problems), report.problems


def test_the_dataset_has_the_type_with_an_enum_and_old_notebooks_as_forum(
    forum_dir, session_file, tmp_path
):
    _drop_session_type(session_file)
    save_contribution(session_file, contribution())
    conference = _conference(forum_dir)
    shared = save_contribution(
        conference,
        contribution(
            kind="best_practice",
            themes=["em_health_system_mx", "em_occupational_health", "em_life_course", "em_grief"],
        ),
    )
    exchange = new_session(
        make_session("2027-05-02", "tijuana", "Intercambio", "fac-2", session_type="exchange"),
        forum_dir,
    )
    save_contribution(exchange, contribution())
    report = build(progress=False)
    assert report.sessions == 3 and not report.problems
    out = tmp_path / "home" / "forum_dataset"
    sessions = pd.read_csv(out / "sessions.csv", keep_default_na=False).set_index("session_id")
    assert sessions["session_type"].to_dict() == {
        "2026-11-05_mission": "forum",
        "2027-03-12_oakland": "conference",
        "2027-05-02_tijuana": "exchange",
    }
    assert list(sessions.columns)[:3] == ["date", "site", "session_type"]
    themes = pd.read_csv(out / "contribution_themes.csv")
    assert list(themes.loc[themes["contribution_id"] == shared.uuid, "theme_code"]) == [
        "em_health_system_mx", "em_occupational_health", "em_life_course", "em_grief"]  # fmt: skip
    parquet = pd.read_parquet(out / "sessions.parquet")
    assert set(parquet["session_type"]) == set(SESSION_TYPES)

    package = Package(str(out / "datapackage.json"))
    field = package.get_resource("sessions").schema.get_field("session_type")
    assert field.constraints == {"required": True, "enum": list(SESSION_TYPES)}
    assert validate(str(out / "datapackage.json")).valid

    # The enum is checked: a type outside it makes the package invalid.
    text = (out / "sessions.csv").read_text()
    (out / "sessions.csv").write_text(text.replace('"exchange"', '"fiesta"'))
    report = validate(str(out / "datapackage.json"))
    assert not report.valid
    assert "constraint-error" in {e.type for task in report.tasks for e in task.errors}


def test_forum_new_takes_a_type(project, capsys):
    def new(site, *more):
        return main(["forum", "new", "--date", "2027-03-12", "--site", site, "--topic", "Salud",
                     "--facilitator", "fac-1", *more])  # fmt: skip

    assert new("oakland", "--type", "conference") == 0
    folder = project / "forum_sessions"
    assert read_session(folder / "2027-03-12_oakland.ipynb").session_type == "conference"
    assert new("mission") == 0  # no --type: a forum
    assert read_session(folder / "2027-03-12_mission.ipynb").session_type == "forum"
    capsys.readouterr()
    assert new("bayview", "--type", "gala") == 2
    assert "session type “gala” is not valid" in capsys.readouterr().err
    assert not (folder / "2027-03-12_bayview.ipynb").exists()
    assert main(["forum", "list"]) == 0
    listed = capsys.readouterr().out
    assert "2027-03-12_oakland.ipynb\t2027-03-12\toakland\tconference\t" in listed
    assert "2027-03-12_mission.ipynb\t2027-03-12\tmission\tforum\t" in listed


def test_the_landing_and_the_recorder_say_what_the_session_is(forum_dir, session_file):
    _conference(forum_dir)
    entries = {e["href"].split("/")[-1].split("?")[0]: e for e in landing_entries("es")}
    assert entries["2027-03-12_oakland.ipynb"]["title"] == "Conferencia del 2027-03-12 (oakland)"
    assert entries["2026-11-05_mission.ipynb"]["title"] == "Foro del 2026-11-05 (mission)"
    assert entries["2027-03-12_oakland.ipynb"]["session_type"] == "conference"
    english = {e["title"] for e in landing_entries("en")}
    assert "Conference of 2027-03-12 (oakland)" in english

    header = Recorder(forum_dir / "2027-03-12_oakland.ipynb").header.value
    assert "<h2>Conferencia: aportes compartidos</h2>" in header
    assert "Conferencia · 2027-03-12 · oakland · Salud y migración" in header
    header = Recorder(session_file, lang="en").header.value
    assert "<h2>Monthly learning forum</h2>" in header
    assert "Monthly forum · 2026-11-05 · mission · Cobertura" in header


def test_forum_sample_spreads_sessions_over_months_and_types(project, tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["forum", "sample", "--out", str(out), "--sessions", "12", "--contributions", "2",
            "--months", "18"]  # fmt: skip
    assert main(argv) == 0
    assert "12 invented sessions" in capsys.readouterr().out
    sessions = [read_session(p) for p in sorted(out.glob("2*.ipynb"))]
    assert len(sessions) == 12
    assert {s.session_type for s in sessions} == set(SESSION_TYPES)
    first, last = pd.Timestamp(sessions[0].date), pd.Timestamp(sessions[-1].date)
    assert (last - first).days >= 16 * 30 and (last - first).days <= 18 * 31
    assert len({s.site for s in sessions}) >= 6
