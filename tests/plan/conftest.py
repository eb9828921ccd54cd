"""Fixtures for the program tests: a private data directory with a roster of groups.

Access codes are hashed with scrypt at its real cost in the roster tests; here, where only
groups matter, the cost is lowered so that a roster of 76 people takes milliseconds.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chwkit.assess import roster

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "notebooks" / "plans"
ACOMP_PLAN = PLANS / "acompanantes_2023_2024.yaml"
ACOMP_ROSTER = PLANS / "acompanantes_roster.csv"


def _cell(value: str | None) -> list[str]:
    return [g.strip() for g in (value or "").split(";") if g.strip()]


def fill_roster(rows: list[dict]) -> None:
    """Add each row (id, role, group, leads as in a roster CSV) with the roster's own API."""
    for row in rows:
        roster.add(
            row["id"],
            role=row.get("role") or "learner",
            name=row.get("name") or None,
            groups=_cell(row.get("group")),
            leads=_cell(row.get("leads")),
        )


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CHWKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(roster._SCRYPT, "n", 2)
    return tmp_path / "home"


@pytest.fixture
def small_roster(home):
    """Two groups of learners, each led by a facilitator, and an empty group."""
    fill_roster(
        [
            {"id": "f1", "role": "facilitator", "name": "Fabiola", "leads": "g1;g2"},
            {"id": "f2", "role": "facilitator", "leads": "vacio"},
            {"id": "p1", "group": "g1"},
            {"id": "p2", "group": "g1"},
            {"id": "p3", "group": "g2"},
        ]
    )
    roster.set_group("vacio", name="Sin nadie")
    return home


@pytest.fixture(scope="module")
def acomp_home(tmp_path_factory):
    """The acompañantes program's example roster (notebooks/plans/acompanantes_roster.csv)."""
    home = tmp_path_factory.mktemp("acomp-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHWKIT_HOME", str(home))
        mp.setitem(roster._SCRYPT, "n", 2)
        with ACOMP_ROSTER.open(encoding="utf-8") as handle:
            fill_roster(list(csv.DictReader(handle)))
        yield home
