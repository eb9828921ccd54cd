"""Forum attendance by roster id: the facilitator ticks who came in the recorder; the ticks are
kept in the session notebook's metadata (atomically, under its lock); the records count them
as participation and hours (the session's ``hours``, 1.5 by default); the pseudonymous dataset
holds only their number."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chwkit.assess import roster
from chwkit.cli import main
from chwkit.core import nbstore
from chwkit.forum import attendance
from chwkit.forum.dataset import build
from chwkit.forum.model import DEFAULT_SESSION_HOURS, ForumValueError, make_session
from chwkit.forum.recorder import Recorder
from chwkit.forum.session import (
    SessionError,
    new_session,
    read_session,
    read_session_file,
    set_present,
)

from .conftest import assert_valid_notebook


@pytest.fixture
def people(project, monkeypatch):
    """A facilitator leading g-norte (two learners), a learner of another group, and a
    facilitator who is also a member of g-norte."""
    monkeypatch.setitem(roster._SCRYPT, "n", 2)  # codes checked in this process only
    codes = {"fac-1": roster.add("fac-1", role="facilitator", leads=["g-norte"])}
    roster.add("a1", name="Ana Norte", groups=["g-norte"])
    roster.add("a2", groups=["g-norte"])
    roster.add("b1", groups=["g-sur"])
    roster.add("sup-1", role="facilitator", groups=["g-norte"])
    roster.set_group("g-norte", name="Grupo Norte")
    return codes


def group_session(forum_dir, group="g-norte", hours=None, date="2026-11-05", site="norte"):
    return new_session(
        make_session(date, site, "Autocuidado", "fac-1", group=group, hours=hours), forum_dir
    )


def signed_in(path, code, lang="es") -> Recorder:
    r = Recorder(path, lang=lang)
    r.code.value = code
    r._on_signin()
    assert r.person == "fac-1"
    return r


# -- the session's parameters -------------------------------------------------------------------
def test_group_and_hours_are_session_parameters_with_a_default_of_one_and_a_half(forum_dir):
    path = group_session(forum_dir, hours="2")
    s = read_session(path)
    assert (s.group, s.hours, s.credited_hours) == ("g-norte", 2.0, 2.0)
    source = "".join(assert_valid_notebook(path).cells[1].source)
    assert "group = 'g-norte'" in source and "hours = 2.0" in source
    plain = read_session(group_session(forum_dir, group=None, site="sin-grupo"))
    assert (plain.group, plain.hours, plain.credited_hours) == (None, None, 1.5)
    assert DEFAULT_SESSION_HOURS == 1.5


def test_a_notebook_older_than_the_parameters_reads_with_no_group_and_default_hours(
    session_file,
):
    nb = json.loads(session_file.read_text())
    for cell in nb["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            cell["source"] = [
                line for line in cell["source"] if not line.startswith(("group", "hours"))
            ]
    session_file.write_text(json.dumps(nb))
    s = read_session(session_file)
    assert s.group is None and s.credited_hours == 1.5


@pytest.mark.parametrize(
    ("changes", "es", "en"),
    [
        ({"hours": "0"}, "mayor que 0 y de hasta 12", "above 0 and up to 12"),
        ({"hours": 13}, "mayor que 0 y de hasta 12", "above 0 and up to 12"),
        ({"hours": "nan"}, "mayor que 0", "above 0"),
        ({"hours": "dos"}, "mayor que 0", "above 0"),
        ({"group": "../g"}, "no es un identificador de grupo", "is not a roster group id"),
    ],
)
def test_bad_group_or_hours_are_refused_in_both_languages(changes, es, en):
    values = {"group": None, "hours": None, **changes}
    with pytest.raises(ForumValueError) as caught:
        make_session("2026-11-05", "norte", "Tema", "fac-1", **values)
    assert es in caught.value.message("es") and en in caught.value.message("en")


def test_forum_new_takes_group_and_hours_and_warns_about_an_empty_group(people, capsys):
    argv = ["forum", "new", "--date", "2026-12-03", "--site", "norte", "--topic", "Duelo",
            "--facilitator", "fac-1", "--group", "g-norte"]  # fmt: skip
    assert main(argv) == 0
    s = read_session(capsys.readouterr().out.strip().splitlines()[-1])
    assert (s.group, s.hours) == ("g-norte", 1.5), "the command writes its default down"
    argv = ["forum", "new", "--date", "2026-12-04", "--site", "vacio", "--topic", "Duelo",
            "--facilitator", "fac-1", "--group", "g-nadie", "--hours", "2.5"]  # fmt: skip
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "no members in group g-nadie" in captured.err
    assert read_session(captured.out.strip().splitlines()[-1]).hours == 2.5


# -- saving who came ----------------------------------------------------------------------------
def test_ticks_are_kept_in_the_notebook_metadata_and_other_ids_stay(forum_dir, people):
    path = group_session(forum_dir)
    assert set_present(path, ["a1"], ["a1", "a2"], "fac-1") == ("a1",)
    nb = assert_valid_notebook(path)
    entry = nb.metadata["chwkit"]["attendance"]
    assert entry["present"] == ["a1"] and entry["recorded_by"] == "fac-1"
    assert entry["updated"].endswith("Z")
    # Someone recorded earlier who is not on this checklist (another list, since removed from
    # the group) stays; who is on it is as ticked now.
    assert set_present(path, ["b1"], ["b1"], "fac-1") == ("a1", "b1")
    assert set_present(path, ["a2"], ["a1", "a2"], "fac-1") == ("a2", "b1")
    assert read_session_file(path).present == ("a2", "b1")


def test_a_refused_save_writes_nothing(forum_dir, people):
    path = group_session(forum_dir)
    set_present(path, ["a1"], ["a1", "a2"], "fac-1")
    before = path.read_bytes()
    for ticked, shown in ((["b1"], ["a1"]), (["../x"], ["../x"]), ("a1", ["a1"])):
        with pytest.raises(SessionError) as caught:
            set_present(path, ticked, shown, "fac-1")
        assert "no está en la lista" in caught.value.message("es")
    assert path.read_bytes() == before


def test_the_save_waits_for_the_notebooks_lock(forum_dir, people, monkeypatch):
    from filelock import Timeout

    path = group_session(forum_dir)
    monkeypatch.setattr(nbstore, "LOCK_TIMEOUT_S", 0.2)
    with nbstore.locked(path), pytest.raises(Timeout):  # another writer holds the session
        set_present(path, ["a1"], ["a1"], "fac-1")
    assert read_session_file(path).present == ()


def test_bad_attendance_metadata_is_reported_and_counts_for_nobody(forum_dir, people):
    path = group_session(forum_dir)
    nb = json.loads(path.read_text())
    nb["metadata"]["chwkit"]["attendance"] = {"present": ["a1", "../etc", 7]}
    path.write_text(json.dumps(nb))
    record = read_session_file(path)
    assert record.present == ("a1",) and any("not roster ids" in p for p in record.problems)
    nb["metadata"]["chwkit"]["attendance"] = {"present": "a1"}
    path.write_text(json.dumps(nb))
    assert read_session_file(path).present == ()


# -- the recorder's checklist -------------------------------------------------------------------
def test_the_checklist_lists_the_groups_members_ticked_as_saved(forum_dir, people):
    path = group_session(forum_dir)
    set_present(path, ["a2"], ["a2"], "fac-1")
    r = Recorder(path, lang="es")
    assert r.present == {} and r.present_list.children == (), "nothing before sign-in"
    r.code.value = people["fac-1"]
    r._on_signin()
    assert list(r.present) == ["a1", "a2", "sup-1"], "members of any role, no one else"
    assert r.present["a1"].description == "a1 · Ana Norte"
    assert [box.value for box in r.present.values()] == [False, True, False]
    assert "Integrantes del grupo Grupo Norte (3)" in r.present_help.value

    r.present["a1"].value = True
    r.present["a2"].value = False
    r._on_present()
    assert "Guardado: vinieron 1 de 3." in r.present_message.value
    assert read_session_file(path).present == ("a1",)
    again = signed_in(path, people["fac-1"], lang="en")  # a reload reads the notebook
    assert [box.value for box in again.present.values()] == [True, False, False]
    assert "Members of group Grupo Norte (3)" in again.present_help.value


def test_a_session_with_no_group_lists_every_learner(forum_dir, people):
    path = group_session(forum_dir, group=None, site="todos")
    r = signed_in(path, people["fac-1"])
    assert list(r.present) == ["a1", "a2", "b1"], "learners only: no facilitator"
    assert "no nombra un grupo" in r.present_help.value


def test_ticking_before_sign_in_saves_nothing(forum_dir, people):
    path = group_session(forum_dir)
    r = Recorder(path, lang="en")
    r._on_present()
    assert "sign in" in r.present_message.value.lower()
    assert read_session_file(path).present == ()


def test_an_empty_group_says_so_and_offers_no_save(forum_dir, people):
    r = signed_in(group_session(forum_dir, group="g-nadie", site="nadie"), people["fac-1"], "en")
    assert r.present == {} and r.present_button.layout.display == "none"
    assert "The roster has nobody for this list." in r.present_message.value


# -- the records and the dataset ----------------------------------------------------------------
def test_attendance_counts_as_participation_and_hours_in_the_records(forum_dir, people):
    one = group_session(forum_dir, hours=2, date="2026-03-05")
    two = group_session(forum_dir, group=None, date="2026-04-02", site="todos")
    old = group_session(forum_dir, date="2025-11-06", site="viejo")
    set_present(one, ["a1", "a2"], ["a1", "a2", "sup-1"], "fac-1")
    set_present(two, ["a1"], ["a1", "a2", "b1"], "fac-1")
    set_present(old, ["a1"], ["a1"], "fac-1")
    found = attendance.by_learner(forum_dir)
    assert [a.session_id for a in found["a1"]] == [
        "2025-11-06_viejo", "2026-03-05_norte", "2026-04-02_todos"]  # fmt: skip
    this_year = attendance.in_year(found["a1"], 2026)
    assert [a.hours for a in this_year] == [2.0, 1.5]
    assert this_year[0].date == dt.date(2026, 3, 5) and this_year[0].group == "g-norte"
    assert [a.session_id for a in found["a2"]] == ["2026-03-05_norte"]
    assert "b1" not in found

    from chwkit.program.export import collect
    from chwkit.program.store import RecordsStore

    store = RecordsStore(f"sqlite:///{forum_dir.parent / 'records.db'}")
    data = collect(store, results=[])
    rows = {(r["learner"], r["session_id"]): r for r in data["forum_attendance"]}
    assert set(rows) == {("a1", "2025-11-06_viejo"), ("a1", "2026-03-05_norte"),
                         ("a1", "2026-04-02_todos"), ("a2", "2026-03-05_norte")}  # fmt: skip
    assert rows[("a1", "2026-03-05_norte")]["hours"] == 2.0
    hours = {(r["learner"], r["year"]): r for r in data["hours"]}
    assert (hours[("a1", 2026)]["forum_sessions"], hours[("a1", 2026)]["forum_hours"]) == (2, 3.5)
    assert hours[("a1", 2025)]["forum_hours"] == 1.5 and hours[("a2", 2026)]["forum_hours"] == 2


def test_the_records_export_of_attendance_is_valid(forum_dir, people, tmp_path):
    from frictionless import validate

    from chwkit.program.export import export
    from chwkit.program.store import RecordsStore

    set_present(group_session(forum_dir), ["a1"], ["a1"], "fac-1")
    store = RecordsStore(f"sqlite:///{tmp_path / 'records.db'}")
    report = export(store, tmp_path / "out", results=[])
    assert report.rows["forum_attendance"] == 1 and report.rows["hours"] == 1
    result = validate(str(tmp_path / "out" / "datapackage.json"))
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_dataset_holds_the_count_of_who_came_never_their_ids(forum_dir, people, tmp_path):
    from frictionless import validate

    path = group_session(forum_dir, hours=2)
    set_present(path, ["a1", "a2"], ["a1", "a2"], "fac-1")
    group_session(forum_dir, site="nadie-vino")
    out = tmp_path / "dataset"
    build(out_dir=out, progress=False)
    import pandas as pd

    sessions = pd.read_csv(out / "sessions.csv").set_index("session_id")
    assert sessions.loc["2026-11-05_norte", "roster_attendees"] == 2
    assert sessions.loc["2026-11-05_norte", "hours"] == 2.0
    assert sessions.loc["2026-11-05_nadie-vino", "roster_attendees"] == 0
    assert sessions.loc["2026-11-05_nadie-vino", "hours"] == 1.5
    for table in ("sessions", "contributions", "contribution_themes", "codebook"):
        for frame in (pd.read_csv(out / f"{table}.csv"), pd.read_parquet(out / f"{table}.parquet")):
            cells = {str(value) for value in frame.to_numpy().ravel()}
            assert not cells & {"a1", "a2", "Ana Norte"}, table
    result = validate(str(out / "datapackage.json"))
    assert result.valid, result.flatten(["rowNumber", "fieldName", "type", "note"])
    # A rebuild from the cache gives the same count, and a new tick changes it.
    set_present(path, ["a1"], ["a1", "a2"], "fac-1")
    build(out_dir=out, progress=False)
    assert pd.read_csv(out / "sessions.csv").set_index("session_id").loc[
        "2026-11-05_norte", "roster_attendees"] == 1  # fmt: skip
