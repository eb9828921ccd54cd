"""Competency coverage (chwkit report coverage): a track's planned hours per C3 role and
skill, and a learner's and a group's from the modules completed in the records store."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

from chwkit.cli import main
from chwkit.learn.spec import C3_ROLES, C3_SKILLS
from chwkit.program.store import RecordsStore

from .conftest import REPO

TRACK = "acompanantes_bienestar"
TRACK_FILE = yaml.safe_load((REPO / "notebooks" / "tracks" / f"{TRACK}.yaml").read_text())
MODULE_YAML = {
    m: yaml.safe_load((REPO / "notebooks" / "modules" / m / "module.yaml").read_text())
    for m in TRACK_FILE["modules"]
}


def hours(modules, kind: str, code: str) -> float:
    key = "c3_roles" if kind == "role" else "c3_skills"
    value = int(code) if kind == "role" else code
    return round(
        sum(MODULE_YAML[m]["duration_min"] for m in modules if value in MODULE_YAML[m][key]) / 60, 2
    )


def rows_of(text: str) -> dict[tuple[str, str], dict]:
    return {(r["kind"], r["code"]): r for r in csv.DictReader(io.StringIO(text))}


def complete(home, learner: str, modules) -> None:
    """Mark ``modules`` completed for ``learner`` through the records store's own API."""
    store = RecordsStore(f"sqlite:///{home / 'records.db'}")
    store.create()
    events = [{"kind": "opened", "module": m, "visit": f"{learner}-{m}"} for m in modules]
    assert sorted(store.record_events(learner, events, completion=lambda *_: True)) == sorted(
        modules
    )
    store.close()


def test_a_tracks_coverage_is_its_modules_hours_per_role_and_skill(home, capsys):
    assert main(["report", "coverage", "--track", TRACK, "--lang", "en", "--csv", "-"]) == 0
    out = capsys.readouterr()
    rows = rows_of(out.out)
    assert len(rows) == len(C3_ROLES) + len(C3_SKILLS)
    modules = TRACK_FILE["modules"]
    for (kind, code), row in rows.items():
        expected = hours(modules, kind, code)
        assert float(row["planned_hours"]) == pytest.approx(expected), (kind, code)
        assert row["status"] == ("covered" if expected else "gap")
        assert row["covered_hours"] == "" and row["learners"] == ""
    assert "C3 competency coverage of track 'Acompañante wellbeing'" in out.err


def test_the_terminal_table_is_in_the_coordinators_language_with_the_gaps(home, capsys):
    assert main(["report", "coverage", "--track", TRACK, "--lang", "es"]) == 0
    out = capsys.readouterr().out
    assert "Competencia C3" in out and "Horas en la ruta" in out
    gaps = [str(r) for r in C3_ROLES if not hours(TRACK_FILE["modules"], "role", str(r))]
    assert f"Funciones C3 sin cubrir: {', '.join(gaps) or 'ninguna'}" in out
    assert "Función: 4. Orientación (coaching) y apoyo social" in out


def test_a_learners_coverage_comes_from_the_modules_they_completed(small_roster, tmp_path, capsys):
    modules = TRACK_FILE["modules"]
    done = modules[:2]
    complete(small_roster, "p1", done)
    table = tmp_path / "p1.csv"
    assert (
        main(["report", "coverage", "--learner", "p1", "--track", TRACK, "--csv", str(table)]) == 0
    )
    assert "2 módulos completados" in capsys.readouterr().out
    rows = rows_of(table.read_text())
    for (kind, code), row in rows.items():
        planned, covered = hours(modules, kind, code), hours(done, kind, code)
        assert float(row["planned_hours"]) == pytest.approx(planned)
        assert float(row["covered_hours"]) == pytest.approx(covered)
        if planned == 0:
            assert row["status"] == ("covered" if covered else "gap")
        elif covered >= planned:
            assert row["status"] == "done"
        else:
            assert row["status"] == ("partial" if covered else "pending")
    role4 = rows[("role", "4")]
    assert set(role4["covered_modules"].split(";")) <= set(done)


def test_a_groups_coverage_counts_its_members_and_their_mean_hours(small_roster, capsys):
    modules = TRACK_FILE["modules"]
    complete(small_roster, "p1", modules)  # p1 finished the track; p2 has not started
    assert main(["report", "coverage", "--group", "g1", "--track", TRACK, "--csv", "-"]) == 0
    rows = rows_of(capsys.readouterr().out)
    for (kind, code), row in rows.items():
        planned = hours(modules, kind, code)
        assert row["learners"] == "2"
        assert row["learners_covered"] == ("1" if planned else "0")
        assert float(row["covered_hours"]) == pytest.approx(round(planned / 2, 2))
        assert row["status"] == ("partial" if planned else "gap")


def test_without_records_a_report_says_so_and_creates_no_database(small_roster, capsys):
    assert main(["report", "coverage", "--group", "g1", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "There are no progress records yet" in out and "0/2" in out
    assert not (small_roster / "records.db").exists()


def test_a_report_needs_one_subject_that_exists(small_roster, capsys):
    assert main(["report", "coverage", "--lang", "en"]) == 2
    assert "name a track (--track), a group (--group) or a learner" in capsys.readouterr().err
    assert main(["report", "coverage", "--group", "g9"]) == 2
    assert (
        "no hay un grupo «g9» en el padrón; los grupos son: g1, g2, vacio"
        in capsys.readouterr().err
    )
    assert main(["report", "coverage", "--learner", "nadie", "--lang", "en"]) == 2
    assert "'nadie' is not in the roster" in capsys.readouterr().err
    assert main(["report", "coverage", "--track", "nada", "--lang", "en"]) == 2
    assert "there is no track 'nada'" in capsys.readouterr().err
