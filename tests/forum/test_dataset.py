"""``chwkit forum build``: capture -> notebook -> tidy dataset, and what is left out."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
from frictionless import Package, validate

from chwkit.forum.dataset import build
from chwkit.forum.recorder import Recorder
from chwkit.forum.sample import generate
from chwkit.forum.session import save_contribution

from .conftest import contribution


def read(out, name):
    return pd.read_csv(out / f"{name}.csv", keep_default_na=False)


@pytest.fixture
def out(project, tmp_path):
    return tmp_path / "home" / "forum_dataset"


def test_round_trip_capture_notebook_dataset(session_file, facilitator_code, out):
    r = Recorder(session_file)
    r.code.value = facilitator_code
    r._on_signin()
    text = 'Dijo: "no me alcanza", y luego\nse fue; <script>alert(1)</script> & 100% $5'
    r.pseudonym.value, r.role.value, r.kind.value = "P31", "acompanante", "best_practice"
    r.themes.value = ("wb_mindfulness", "c3_skill_communication")
    r.language.value = "en"
    r.text.value = text
    for box in r.consent.values():
        box.value = True
    r._on_save()
    r.attendance.value = 17
    r._on_attendance()

    report = build(progress=False)
    assert (report.sessions, report.contributions, report.theme_rows) == (1, 1, 2)
    [row] = read(out, "contributions").to_dict("records")
    assert row["session_id"] == "2026-11-05_mission"
    assert (row["pseudonym"], row["role"], row["kind"], row["language"]) == (
        "P31", "acompanante", "best_practice", "en")  # fmt: skip
    assert row["text"] == text
    assert row["consent_dataset"] and row["consent_quote"] and row["consent_share_outside"]
    assert row["deid_status"] == "no_flags" and row["recorded_by"] == "fac-1"
    themes = read(out, "contribution_themes")
    assert list(themes["theme_code"]) == ["wb_mindfulness", "c3_skill_communication"]
    [session] = read(out, "sessions").to_dict("records")
    assert (session["date"], session["site"], session["facilitator"], session["attendance"]) == (
        "2026-11-05", "mission", "fac-1", 17)  # fmt: skip
    parquet = pd.read_parquet(out / "contributions.parquet")
    assert parquet.loc[0, "text"] == text
    assert str(parquet["created"].dtype).startswith("datetime64[") and "UTC" in str(
        parquet["created"].dtype
    )
    assert pd.read_parquet(out / "sessions.parquet")["date"].iloc[0].isoformat() == "2026-11-05"


def test_frictionless_validates_the_package(forum_dir, out):
    generate(forum_dir, sessions=6, per_session=8, seed=3)
    build(progress=False)
    report = validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = Package(str(out / "datapackage.json"))
    contribs = package.get_resource("contributions").schema
    assert contribs.primary_key == ["contribution_id"]
    assert contribs.get_field("kind").constraints["enum"][0] == "experience"
    fks = package.get_resource("contribution_themes").schema.foreign_keys
    assert {fk["reference"]["resource"] for fk in fks} == {"contributions", "codebook"}


def test_a_broken_foreign_key_fails_validation(forum_dir, out):
    """The check is real: a theme pointing nowhere makes ``frictionless validate`` fail."""
    generate(forum_dir, sessions=2, per_session=3)
    build(progress=False)
    with open(out / "contribution_themes.csv", "a") as handle:
        handle.write('"00000000-0000-4000-a000-000000000000","em_housing"\n')
    assert not validate(str(out / "datapackage.json")).valid


def test_no_consent_and_withdrawn_are_left_out_and_counted(session_file, out):
    keep = save_contribution(session_file, contribution())
    save_contribution(
        session_file,
        contribution(consent={"dataset": False, "quote": True, "share_outside": True}),
    )
    from chwkit.forum.session import withdraw_contribution

    gone = save_contribution(session_file, contribution())
    withdraw_contribution(session_file, gone.uuid)
    report = build(progress=False)
    assert list(read(out, "contributions")["contribution_id"]) == [keep.uuid]
    assert (report.left_out.no_consent, report.left_out.withdrawn) == (1, 1)
    assert "1 without consent to be included, 1 withdrawn" in report.summary()


def edit_notebook(path, change):
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=1))


def test_bad_notebooks_are_named_and_the_rest_builds(forum_dir, session_file, out):
    good = save_contribution(session_file, contribution())
    (forum_dir / "2026-01-01_broken.ipynb").write_text('{"cells": [')
    (forum_dir / "2026-01-02_noparams.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    shutil.copy(session_file, forum_dir / "2026-01-03_copy.ipynb")  # same session, same uuids
    report = build(progress=False)
    text = "\n".join(report.problems)
    assert "2026-01-01_broken.ipynb: not a readable notebook" in text
    assert "2026-01-02_noparams.ipynb: no parameters cell" in text
    assert "2026-01-03_copy.ipynb: its parameters say session 2026-11-05_mission" in text
    assert "2026-01-03_copy.ipynb: session 2026-11-05_mission is already in" in text
    assert list(read(out, "contributions")["contribution_id"]) == [good.uuid]
    assert validate(str(out / "datapackage.json")).valid


def test_hand_edited_cells_are_reported_by_file_and_cell(session_file, out):
    ok = save_contribution(session_file, contribution())
    for _ in range(4):
        save_contribution(session_file, contribution())

    def hand_edit(nb):
        cells = nb["cells"]
        rec = [c["metadata"]["chwkit"]["contribution"] for c in cells[4:9]]
        rec[1]["themes"] = ["em_housing", "made_up_theme"]
        del rec[2]["consent"]
        rec[3]["kind"] = "gossip"
        rec[4]["text"] = "Me dio su teléfono 415-555-0134."

    edit_notebook(session_file, hand_edit)
    report = build(progress=False)
    text = "\n".join(report.problems)
    name = session_file.name
    assert f"{name}, cell 5: unknown theme codes made_up_theme left out" in text
    assert f"{name}, cell 6: no consent recorded" in text
    assert f"{name}, cell 7: " in text and "gossip" in text
    assert f"{name}, cell 8: the text holds likely identifiers nobody reviewed" in text
    ids = list(read(out, "contributions")["contribution_id"])
    assert ids[0] == ok.uuid and len(ids) == 2
    themes = read(out, "contribution_themes")
    assert "made_up_theme" not in set(themes["theme_code"])
    assert (report.left_out.invalid, report.left_out.unreviewed_identifiers) == (1, 1)


def test_rebuild_rereads_only_what_changed(forum_dir, out):
    paths = generate(forum_dir, sessions=10, per_session=5)
    first = build(progress=False)
    assert (first.files_read, first.files_cached) == (10, 0)
    before = read(out, "contributions")
    again = build(progress=False)
    assert (again.files_read, again.files_cached) == (0, 10)
    pd.testing.assert_frame_equal(read(out, "contributions"), before)

    save_contribution(paths[3], contribution(text="Un aporte nuevo."))
    paths[7].unlink()
    third = build(progress=False)
    assert (third.files_read, third.files_cached) == (1, 8)
    after = read(out, "contributions")
    assert "Un aporte nuevo." in set(after["text"])
    assert not (after["session_id"] == paths[7].stem).any()
    full = build(progress=False, use_cache=False)
    assert full.files_read == 9
    pd.testing.assert_frame_equal(read(out, "contributions"), after)


def test_touching_a_file_without_changes_gives_the_same_dataset(forum_dir, out):
    paths = generate(forum_dir, sessions=3, per_session=4)
    build(progress=False)
    before = read(out, "contributions")
    os.utime(paths[1], ns=(1, 1))
    assert build(progress=False).files_read == 1
    pd.testing.assert_frame_equal(read(out, "contributions"), before)


def test_progress_is_shown_on_stderr_when_asked(forum_dir, out, capsys):
    generate(forum_dir, sessions=4, per_session=2)
    build(forum_dir=forum_dir, out_dir=out, progress=True, use_cache=False)
    err = capsys.readouterr().err
    assert "forum sessions: 100%" in err and "4/4" in err and "file" in err
    build(forum_dir=forum_dir, out_dir=out, progress=False, use_cache=False)
    assert "forum sessions" not in capsys.readouterr().err


def test_the_cli_shows_progress_on_long_builds_unless_quiet(forum_dir, out, capsys, monkeypatch):
    from chwkit.cli import main
    from chwkit.forum import dataset

    generate(forum_dir, sessions=3, per_session=1)
    monkeypatch.setattr(dataset, "PROGRESS_MIN_FILES", 2)  # a long build, in miniature
    shown = []
    real_tqdm = __import__("tqdm").tqdm

    def recording_tqdm(*args, **kwargs):
        shown.append(kwargs.get("disable"))
        return real_tqdm(*args, **kwargs)

    monkeypatch.setattr("tqdm.tqdm", recording_tqdm)
    assert main(["forum", "build", "--out", str(out), "--no-cache"]) == 0
    assert main(["forum", "build", "--out", str(out), "--no-cache", "--quiet"]) == 0
    # None: tqdm shows the bar on a terminal and stays quiet in a log; --quiet: never.
    assert shown == [None, True]
    assert "forum sessions" not in capsys.readouterr().err  # captured stderr is no terminal
    monkeypatch.setattr(dataset, "PROGRESS_MIN_FILES", 100)
    assert main(["forum", "build", "--out", str(out), "--no-cache"]) == 0
    assert shown[-1] is True  # a short build: no bar


def test_the_codebook_table_holds_both_languages_and_the_migration_themes(forum_dir, out):
    from chwkit.forum.codebook import codebook

    generate(forum_dir, sessions=1, per_session=1)
    build(progress=False)
    table = read(out, "codebook").set_index("code")
    assert list(table.columns) == ["parent", "label_es", "label_en", "definition_es",
                                   "definition_en", "source"]  # fmt: skip
    assert list(table.index) == list(codebook().themes)
    new = ["em_life_course", "em_health_system_mx", "em_health_system_us",
           "em_occupational_health", "em_grief"]  # fmt: skip
    assert set(new) <= set(table.index)
    assert table.loc["em_grief", "label_es"] == "Duelo y pérdida"
    assert table.loc["em_health_system_mx", "parent"] == "em_health_systems"
    assert table.loc["c3_role_8", "label_es"] == "Valoraciones individuales y comunitarias"
    assert all(table["definition_es"] != table["definition_en"])
    assert validate(str(out / "datapackage.json")).valid
