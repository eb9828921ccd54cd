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


def test_session_errors_carry_a_catalog_key_shown_in_either_language(session_file):
    with pytest.raises(SessionError) as caught:
        withdraw_contribution(session_file, "0e6f8f5c-3c1b-4b47-9a39-3d51a1f0a111")
    assert caught.value.key == "forum.error.not_found"
    assert caught.value.message("es") == "Ese aporte ya no está en el acta; actualice la lista."
    assert caught.value.message("en") == str(caught.value)


def test_a_bad_value_in_the_parameters_cell_is_explained_in_spanish(forum_dir):
    path = forum_dir / "2026-11-09_x.ipynb"
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "date = '2026-02-30'\nsite = 'x'\ntopic = 'T'\nfacilitator = 'f'"
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# x"), cell]
    nbformat.write(nb, path)
    with pytest.raises(SessionError) as caught:
        read_session(path)
    assert caught.value.message("es") == (
        "El cuaderno 2026-11-09_x.ipynb tiene un problema: celda 1: La fecha «2026-02-30» no es"
        " válida: use AAAA-MM-DD, por ejemplo 2026-11-05. Avise a la coordinación."
    )
    assert "The date “2026-02-30” is not valid" in str(caught.value)


def test_a_crash_while_creating_a_session_leaves_nothing_behind(forum_dir, monkeypatch):
    from chwkit.core import atomic

    real_write = atomic._write_data
    target = forum_dir / "2026-11-05_mission.ipynb"

    def half_then_crash(handle, data):
        handle.write(data[: len(data) // 2])
        handle.flush()
        assert not target.exists()  # nothing under the session's name while writing
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "_write_data", half_then_crash)
    before = sorted(p.name for p in forum_dir.iterdir())
    s = make_session("2026-11-05", "mission", "Cobertura", "fac-1")
    with pytest.raises(OSError, match="No space left"):
        new_session(s, forum_dir)
    assert sorted(p.name for p in forum_dir.iterdir()) == before  # no target, no temp file

    monkeypatch.setattr(atomic, "_write_data", real_write)
    path = new_session(s, forum_dir)  # the retry is not told "already exists"
    assert path == target and read_session(path) == s
    assert_valid_notebook(path)
    assert sorted(p.name for p in forum_dir.iterdir()) == sorted([*before, target.name])


def test_a_creator_killed_mid_write_leaves_no_session_file(forum_dir):
    import multiprocessing
    import os
    import signal

    from chwkit.core import atomic

    def child():
        def half_then_die(handle, data):
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        atomic._write_data = half_then_die
        new_session(make_session("2026-11-05", "mission", "Cobertura", "fac-1"), forum_dir)

    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    proc.join()
    assert proc.exitcode == -signal.SIGKILL
    assert not (forum_dir / "2026-11-05_mission.ipynb").exists()
    leftovers = [p.name for p in forum_dir.glob(".2026-11-05_mission.ipynb.*.tmp")]
    assert len(leftovers) == 1, leftovers  # the killed writer's half copy...
    path = new_session(make_session("2026-11-05", "mission", "Cobertura", "fac-1"), forum_dir)
    assert read_session(path).topic == "Cobertura"
    assert not list(forum_dir.glob(".2026-11-05_mission.ipynb.*.tmp"))  # ...removed by the retry
