"""The roster: pseudonymous ids, codes stored only hashed, verify_code, the CLI."""

from __future__ import annotations

import json

import pytest

from chwkit.assess import roster
from chwkit.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHWKIT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_code_verifies_and_is_stored_only_hashed(home):
    code = roster.add("p001", name="Ana")
    person = roster.verify_code(code)
    assert person == roster.Person("p001", "learner", "Ana")
    assert roster.verify_code(code.lower().replace("-", " ")) == person
    stored = (home / "roster.json").read_text()
    assert code not in stored and code.replace("-", "") not in stored
    assert code.replace("-", "")[4:] not in stored
    assert oct((home / "roster.json").stat().st_mode)[-3:] == "600"


def test_wrong_role_wrong_and_replaced_codes_are_refused(home):
    code = roster.add("f01", role="facilitator")
    assert roster.verify_code(code, role="facilitator").id == "f01"
    assert roster.verify_code(code, role="learner") is None
    assert roster.verify_code("ABCD-EFGH-JKMN") is None
    assert roster.verify_code(code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    for junk in ("", None, 42, "x" * 10_000, "../../etc/passwd"):
        assert roster.verify_code(junk) is None
    new = roster.reset_code("f01")
    assert roster.verify_code(code) is None, "a replaced code must stop working"
    assert roster.verify_code(new).id == "f01"


@pytest.mark.parametrize("bad", ["../x", "a/b", ".hidden", "", "x" * 65, "a b", "é", None])
def test_path_like_and_odd_ids_are_rejected(home, bad):
    with pytest.raises(roster.RosterError):
        roster.add(bad)
    assert (
        not (home / "roster.json").exists()
        or bad not in json.loads((home / "roster.json").read_text())["people"]
    )


def test_cli_add_import_list_reset(home, tmp_path, capsys):
    from nbgrader.api import Gradebook

    assert main(["roster", "add", "p001", "--name", "Ana"]) == 0
    code = capsys.readouterr().out.split()[1]
    assert roster.verify_code(code).id == "p001"
    assert main(["roster", "add", "p001"]) == 2
    assert "already" in capsys.readouterr().err
    assert main(["roster", "add", "../x"]) == 2
    assert "invalid id" in capsys.readouterr().err

    csv_in = tmp_path / "people.csv"
    csv_in.write_text("id,name,role\np002,,\np003,Bea,learner\nf01,,facilitator\n")
    codes = tmp_path / "codes.csv"
    assert main(["roster", "import", str(csv_in), "--codes", str(codes)]) == 0
    issued = dict(line.split(",") for line in codes.read_text().split()[1:])
    assert set(issued) == {"p002", "p003", "f01"}
    assert roster.verify_code(issued["f01"], role="facilitator").id == "f01"

    bad = tmp_path / "bad.csv"
    bad.write_text("id\np004\n../y\n")
    assert main(["roster", "import", str(bad)]) == 2
    assert "line 3" in capsys.readouterr().err and roster.get("p004") is None

    capsys.readouterr()
    assert main(["roster", "list"]) == 0
    listing = capsys.readouterr().out
    assert "p003,learner,Bea" in listing and "f01,facilitator" in listing
    assert all(c not in listing for c in issued.values())

    assert main(["roster", "reset-code", "p002"]) == 0
    assert roster.verify_code(issued["p002"]) is None

    with Gradebook(f"sqlite:///{home / 'course' / 'gradebook.db'}", "chwkit") as gb:
        students = {s.id: s.first_name for s in gb.students}
    assert students == {"p001": "Ana", "p002": None, "p003": "Bea"}  # learners only


def _break_gradebook(home):
    """A folder where the gradebook file belongs: nbgrader's sqlite cannot open it."""
    (home / "course").mkdir(parents=True, exist_ok=True)
    (home / "course" / "gradebook.db").mkdir()


def test_no_code_is_issued_when_the_gradebook_cannot_be_written(home, tmp_path, capsys):
    _break_gradebook(home)
    assert main(["roster", "add", "p001"]) == 2
    out, err = capsys.readouterr()
    assert "gradebook" in err and "no code was issued" in err and out == ""
    assert roster.get("p001") is None, "a code was issued and never shown"

    csv_in = tmp_path / "people.csv"
    csv_in.write_text("id\np002\np003\n")
    codes = tmp_path / "codes.csv"
    assert main(["roster", "import", str(csv_in), "--codes", str(codes)]) == 2
    assert "no code was issued" in capsys.readouterr().err
    assert roster.people() == [] and not codes.exists()

    (home / "course" / "gradebook.db").rmdir()  # repaired: the same commands now work
    assert main(["roster", "add", "p001"]) == 0
    assert roster.verify_code(capsys.readouterr().out.split()[1]).id == "p001"
    assert main(["roster", "import", str(csv_in), "--codes", str(codes)]) == 0
    issued = dict(line.split(",") for line in codes.read_text().split()[1:])
    assert {roster.verify_code(c).id for c in issued.values()} == {"p002", "p003"}


def test_import_never_overwrites_an_earlier_codes_file(home, tmp_path, capsys):
    codes = tmp_path / "codes.csv"
    codes.write_text("id,code\np001,K7QF-9XM2-HT4P\n")
    csv_in = tmp_path / "people.csv"
    csv_in.write_text("id\np002\n")
    assert main(["roster", "import", str(csv_in), "--codes", str(codes)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert "p001" in codes.read_text() and roster.get("p002") is None
