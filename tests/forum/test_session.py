"""Session notebooks: made from the template, written as minutes, read back fresh."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbconvert import HTMLExporter

from chwkit.forum.model import make_session
from chwkit.forum.session import (
    SessionError,
    contributions,
    new_session,
    read_session,
    save_contribution,
    set_attendance,
    withdraw_contribution,
)

from .conftest import assert_valid_notebook, contribution


def test_new_session_keeps_only_the_sessions_language(forum_dir):
    path = new_session(make_session("2026-11-05", "mission", "Cobertura", "fac-1", "en"), forum_dir)
    assert path.name == "2026-11-05_mission.ipynb"
    nb = assert_valid_notebook(path)
    text = "\n".join(c.source for c in nb.cells)
    assert "Monthly learning forum" in text and "Foro mensual" not in text
    assert not any(t.startswith("lang-") for c in nb.cells for t in c.metadata.get("tags", []))
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert read_session(path).language == "en"


def test_duplicate_session_is_refused(session_file, forum_dir):
    with pytest.raises(SessionError, match="already exists"):
        new_session(make_session("2026-11-05", "mission", "Otro", "fac-1"), forum_dir)


def test_topic_with_markup_is_escaped_in_the_minutes(forum_dir):
    topic = "Cobertura <script>alert(1)</script> $x$"
    path = new_session(make_session("2026-11-06", "mission", topic, "fac-1"), forum_dir)
    nb = assert_valid_notebook(path)
    assert read_session(path).topic == topic
    assert "<script>" not in nb.cells[0].source


def test_save_then_edit_keeps_one_cell_and_the_first_created_time(session_file):
    first = save_contribution(session_file, contribution())
    changed = contribution(uuid=first.uuid, text="Texto corregido.", kind="best_practice")
    save_contribution(session_file, changed)
    [c] = contributions(session_file)
    assert (c.text, c.kind, c.created) == ("Texto corregido.", "best_practice", first.created)
    assert c.updated >= c.created
    nb = assert_valid_notebook(session_file)
    assert sum("chwkit-contribution" in c.metadata.get("tags", []) for c in nb.cells) == 1


def test_minutes_show_script_and_html_as_text(session_file):
    save_contribution(session_file, contribution(text="<script>alert('x')</script> y <b>z</b>"))
    nb = assert_valid_notebook(session_file)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert" in html
    assert "<b>z</b>" not in html


def test_withdraw_deletes_the_words_from_record_and_minutes(session_file):
    saved = save_contribution(session_file, contribution(text="Una historia única de frontera."))
    withdraw_contribution(session_file, saved.uuid)
    raw = session_file.read_text()
    assert "historia única" not in raw
    [c] = contributions(session_file)
    assert c.withdrawn and c.text == ""


def test_withdraw_of_an_unknown_contribution_says_so(session_file):
    with pytest.raises(SessionError, match="no longer in the minutes"):
        withdraw_contribution(session_file, "0e6f8f5c-3c1b-4b47-9a39-3d51a1f0a111")


def test_attendance_rewrites_the_parameters_cell(session_file):
    set_attendance(session_file, 14)
    assert read_session(session_file).attendance == 14
    nb = json.loads(session_file.read_text())
    assert "attendance = 14" in "".join(nb["cells"][1]["source"])


def test_session_notebook_runs_its_recorder(session_file, facilitator_code):
    from nbclient import NotebookClient

    nb = nbformat.read(session_file, as_version=4)
    NotebookClient(nb, resources={"metadata": {"path": str(session_file.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not any(o.output_type == "error" for o in outputs)
