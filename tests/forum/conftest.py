"""Forum fixtures: a throwaway project (CHWKIT_ROOT) and data directory (CHWKIT_HOME)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from chwkit.forum.codebook import codebook
from chwkit.forum.model import make_contribution, make_session, new_uuid
from chwkit.forum.session import new_session

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "project"
    (root / "forum_sessions").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "forum_sessions" / "_template.ipynb", root / "forum_sessions")
    monkeypatch.setenv("CHWKIT_ROOT", str(root))
    monkeypatch.setenv("CHWKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    return root


@pytest.fixture
def forum_dir(project) -> Path:
    return project / "forum_sessions"


@pytest.fixture
def session_file(forum_dir) -> Path:
    return new_session(make_session("2026-11-05", "mission", "Cobertura", "fac-1"), forum_dir)


@pytest.fixture
def facilitator_code(project) -> str:
    from chwkit.assess import roster

    return roster.add("fac-1", role="facilitator")


def contribution(**changes):
    """A valid contribution, with ``changes`` applied to its record first."""
    data = {
        "uuid": new_uuid(),
        "pseudonym": "P07",
        "role": "chw",
        "kind": "challenge",
        "themes": ["em_coverage_enrollment", "c3_role_3"],
        "language": "es",
        "text": "Muchas familias no renuevan la cobertura porque los formularios son largos.",
        "consent": {"dataset": True, "quote": True, "share_outside": False},
        "recorded_by": "fac-1",
    }
    data.update(changes)
    return make_contribution(data, codebook())


def assert_valid_notebook(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb
