"""Groups in the roster: membership, a facilitator per group, import's group columns, list."""

from __future__ import annotations

import json

import pytest

from chwkit.assess import roster
from chwkit.cli import main


def test_a_roster_written_before_groups_reads_and_keeps_its_format(home):
    home.mkdir()
    old = {"version": 1, "people": {"p001": {"role": "learner", "name": "Ana"}}}
    (home / "roster.json").write_text(json.dumps(old))
    assert roster.people() == [roster.Person("p001", "learner", "Ana")]
    assert roster.groups() == [] and roster.groups_of("p001") == ()
    roster.add("p002")  # a person without groups adds no "groups" key to their entry
    data = json.loads((home / "roster.json").read_text())
    assert "groups" not in data["people"]["p002"] and data["people"]["p001"]["name"] == "Ana"


def test_people_belong_to_groups_each_led_by_one_facilitator(home):
    roster.add("s01", role="facilitator", name="Sofía", leads=["g1", "g2"])
    roster.add("a01", groups=["g1"])
    roster.add("a02", groups=["g1", "g2"])
    g1 = roster.group("g1")
    assert g1 == roster.Group("g1", None, "s01", ("a01", "a02"))
    assert roster.groups_of("a02") == ("g1", "g2")
    assert [p.id for p in roster.members("g2")] == ["a02"]
    with pytest.raises(roster.RosterError, match="already led by s01"):
        roster.add("s02", role="facilitator", leads=["g1"])
    assert roster.get("s02") is None, "a refused add writes nothing"

    group = roster.set_group("g2", name="Grupo 2 – Sierra", facilitator=None, join=["a01"])
    assert group == roster.Group("g2", "Grupo 2 – Sierra", None, ("a01", "a02"))
    group = roster.set_group("g2", leave=["a02"])
    assert group.members == ("a01",) and group.name == "Grupo 2 – Sierra"
    with pytest.raises(roster.RosterError, match="not in the roster"):
        roster.set_group("g2", facilitator="nobody")
    with pytest.raises(roster.RosterError, match="invalid group id"):
        roster.set_group("Grupo 2")


def test_import_takes_group_and_leads_columns_and_list_filters(home, tmp_path, capsys):
    people = tmp_path / "people.csv"
    people.write_text(
        "id,name,role,group,leads\n"
        "s01,Sofía,facilitator,supervisores,g1;g2\n"
        "a01,,learner,g1,\n"
        "a02,,,g2,\n"
        "a03,,,g1; g2,\n"
    )
    codes = tmp_path / "codes.csv"
    assert main(["roster", "import", str(people), "--codes", str(codes)]) == 0
    assert roster.group("g1").facilitator == "s01"
    assert roster.group("supervisores").members == ("s01",)
    capsys.readouterr()

    assert main(["roster", "list", "--group", "g1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["id,role,name,groups", "a01,learner,,g1", "a03,learner,,g1;g2"]
    assert main(["roster", "list", "--group", "g9"]) == 2
    assert "no group g9" in capsys.readouterr().err

    assert main(["roster", "group", "g1", "--name", "Grupo 1 – Costa", "--add", "a02"]) == 0
    assert "Grupo 1 – Costa; facilitator s01; 3 members" in capsys.readouterr().out
    assert main(["roster", "groups"]) == 0
    assert "g1,Grupo 1 – Costa,s01,3" in capsys.readouterr().out.splitlines()


def test_import_with_a_bad_group_or_a_second_leader_imports_nobody(home, tmp_path, capsys):
    roster.add("s01", role="facilitator", leads=["g1"])
    people = tmp_path / "people.csv"
    people.write_text("id,role,group,leads\na01,learner,Grupo 1,\ns02,facilitator,,g1\n")
    assert main(["roster", "import", str(people)]) == 2
    err = capsys.readouterr().err
    assert "line 2: invalid group id 'Grupo 1'" in err
    assert "line 3: group g1 is already led by s01" in err
    assert [p.id for p in roster.people()] == ["s01"]
