"""The recorder widget without a browser: sign-in, identifier review, edit, withdraw."""

from __future__ import annotations

import json

import pytest

from chwkit.forum import recorder as recorder_mod
from chwkit.forum.recorder import Recorder
from chwkit.forum.session import contributions


@pytest.fixture
def rec(session_file, facilitator_code):
    r = Recorder(session_file)
    r.code.value = facilitator_code
    r._on_signin()
    assert r.person == "fac-1"
    return r


def fill(r: Recorder, text="Las familias esperan meses la renovación.", **consent):
    r.pseudonym.value = "P12"
    r.kind.value = "experience"
    r.themes.value = ("em_coverage_enrollment", "wb_team")
    r.text.value = text
    for key, box in r.consent.items():
        box.value = consent.get(key, key == "dataset")


def test_wrong_or_learner_codes_do_not_sign_in(session_file, facilitator_code):
    from chwkit.assess import roster

    learner_code = roster.add("p001", role="learner")
    r = Recorder(session_file)
    for code in ("", "XXXX-XXXX-XXXX", learner_code, "<script>"):
        r.code.value = code
        r._on_signin()
        assert r.person == ""
        assert "no es válido" in r.signin_message.value, code
    assert r.main.layout.display == "none"


def test_repeated_failures_lock_the_code_even_after_a_reload(session_file, facilitator_code):
    from chwkit.core.signin import MAX_TRIES

    wrong = facilitator_code[:-1] + ("A" if facilitator_code[-1] != "A" else "B")
    for _ in range(MAX_TRIES):
        r = Recorder(session_file)  # a new page each time, as after a reload
        r.code.value = wrong
        r._on_signin()
    r = Recorder(session_file)
    r.code.value = facilitator_code
    r._on_signin()
    assert r.person == "" and "Espere 15 minutos" in r.signin_message.value
    assert "role='alert'" in r.signin_message.value


def test_saving_before_sign_in_is_refused(session_file):
    r = Recorder(session_file)
    fill(r)
    r._on_save()
    assert contributions(session_file) == []
    assert "Primero entre" in r.status.value


def test_add_appears_in_the_notebook_and_the_list(rec, session_file):
    fill(rec)
    rec._on_save()
    assert "Aporte guardado." in rec.status.value
    [c] = contributions(session_file)
    assert (c.pseudonym, c.kind, c.themes, c.recorded_by) == (
        "P12", "experience", ("em_coverage_enrollment", "wb_team"), "fac-1")  # fmt: skip
    assert c.consent.dataset and not c.consent.quote
    assert not c.reviewed and c.flags == ()
    assert len(rec.items.children) == 1 and rec.pseudonym.value == ""  # form reset


def test_invalid_values_are_explained_in_the_sessions_language(rec, session_file):
    fill(rec)
    rec.pseudonym.value = "María"
    rec._on_save()
    assert "seudónimo" in rec.status.value and contributions(session_file) == []


def test_identifiers_must_be_reviewed_before_saving(rec, session_file):
    fill(rec, text="La Sra. Gómez llamó del 415-555-0134.")
    assert rec.flags_box.layout.display is None
    assert "número de teléfono" in rec.flags_html.value and "Sra. Gómez" in rec.flags_html.value
    rec._on_save()
    assert contributions(session_file) == []
    rec.confirm.value = True
    rec._on_save()
    [c] = contributions(session_file)
    assert c.reviewed and {f["kind"] for f in c.flags} == {"name", "phone"}


def test_changing_the_text_asks_for_review_again(rec):
    fill(rec, text="La Sra. Gómez llamó.")
    rec.confirm.value = True
    rec.text.value = "La Sra. Pérez llamó."
    assert rec.confirm.value is False


def test_edit_and_withdraw(rec, session_file):
    fill(rec)
    rec._on_save()
    [c] = contributions(session_file)
    rec.start_edit(c.uuid)
    assert rec.text.value == c.text and rec.save_button.description == "Guardar los cambios"
    rec.text.value = "Texto nuevo sin datos."
    rec._on_save()
    assert "Cambios guardados." in rec.status.value
    [edited] = contributions(session_file)
    assert edited.uuid == c.uuid and edited.text == "Texto nuevo sin datos."
    rec.withdraw(c.uuid)
    [gone] = contributions(session_file)
    assert gone.withdrawn and gone.text == ""
    assert "Retirado" in rec.items.children[0].children[0].value


def test_list_is_read_fresh_from_the_notebook(session_file, facilitator_code):
    one, two = Recorder(session_file), Recorder(session_file)
    for r in (one, two):
        r.code.value = facilitator_code
        r._on_signin()
    fill(one)
    one._on_save()
    two.refresh()
    assert len(two.items.children) == 1


def test_html_in_values_is_shown_as_text(rec):
    fill(rec, text="<img src=x onerror=alert(1)> & <b>hola</b>")
    rec._on_save()
    shown = rec.items.children[0].children[0].value
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;" in shown


def test_english_session_speaks_english(forum_dir, facilitator_code):
    from chwkit.forum.model import make_session
    from chwkit.forum.session import new_session

    path = new_session(make_session("2026-11-07", "bayview", "Topic", "fac-1", "en"), forum_dir)
    r = Recorder(path)
    assert r.signin_button.description == "Sign in"
    assert Recorder(path, lang="es").signin_button.description == "Entrar"


def test_for_session_takes_the_page_language(session_file, monkeypatch):
    monkeypatch.chdir(session_file.parent)
    monkeypatch.setenv("QUERY_STRING", "lang=en")
    assert Recorder.for_session(session_file.stem).lang == "en"


# -- failures are explained in the page's language, without server paths --------------------
def _no_english_or_path(shown: str, session_file) -> None:
    assert ".." not in shown
    assert str(session_file.parent) not in shown and "/tmp" not in shown
    for english in ("Could not", "contribution", "refresh the list", "Error", "Traceback"):
        assert english not in shown


def test_saving_an_edit_of_a_withdrawn_contribution_says_why_in_spanish(rec, session_file):
    from chwkit.forum.session import withdraw_contribution

    fill(rec)
    rec._on_save()
    [c] = contributions(session_file)
    rec.start_edit(c.uuid)
    withdraw_contribution(session_file, c.uuid)  # another facilitator, meanwhile
    rec.text.value = "Texto corregido."
    rec._on_save()
    shown = rec.status.value
    assert "No se pudo guardar. Ese aporte ya no está en el acta; actualice la lista." in shown, (
        shown
    )
    _no_english_or_path(shown, session_file)


def test_a_busy_session_says_so_in_spanish(rec, session_file, monkeypatch):
    from chwkit.core import nbstore

    monkeypatch.setattr(nbstore, "LOCK_TIMEOUT_S", 0.05)
    fill(rec)
    lock = nbstore.locked(session_file)  # held by someone else's save
    with lock:
        rec._on_save()
    shown = rec.status.value
    assert "No se pudo guardar. Otra persona está guardando en esta sesión" in shown, shown
    _no_english_or_path(shown, session_file)
    assert contributions(session_file) == []
    rec._on_save()  # once the lock is free, the same form saves
    assert "Aporte guardado." in rec.status.value


def test_an_unreadable_notebook_gives_a_generic_reason_in_spanish(rec, session_file, capfd):
    fill(rec)
    session_file.write_text('{"cells": [', encoding="utf-8")  # broken by hand
    rec._on_save()
    shown = rec.status.value
    assert "No se pudo leer o escribir el cuaderno de la sesión" in shown, shown
    _no_english_or_path(shown, session_file)
    assert str(session_file) in capfd.readouterr().err  # the details go to the server log


def test_a_hand_broken_parameters_cell_is_explained_in_spanish(rec, session_file):
    import json

    nb = json.loads(session_file.read_text())
    nb["cells"][1]["source"] = "date = '2026-11-05'\n"
    session_file.write_text(json.dumps(nb), encoding="utf-8")
    rec.attendance.value = 12
    rec._on_attendance()
    shown = rec.attendance_message.value
    assert "celda 1: a la celda de parámetros le falta site, topic, facilitator" in shown, shown
    _no_english_or_path(shown, session_file)


def test_under_preheat_the_recorder_reads_after_the_visitor_arrives(
    session_file, facilitator_code, monkeypatch
):
    """A preheated kernel runs the notebook before anyone opens the page: the session, the
    page's language and the list must be read only after ``wait_for_request()`` returns."""
    from chwkit.core import request as preheat
    from chwkit.forum.session import save_contribution, set_attendance

    from .conftest import contribution

    events = []
    monkeypatch.chdir(session_file.parent)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("QUERY_STRING", "lang=es")  # what the kernel had when it was preheated

    def visitor_arrives(url=None):
        events.append("wait")
        # Meanwhile: another facilitator saved, attendance was set, the visitor asked for English.
        save_contribution(session_file, contribution(text="Guardado mientras esperaba."))
        set_attendance(session_file, 17)
        monkeypatch.setenv("QUERY_STRING", "lang=en")

    real_read = recorder_mod.read_session

    def recording_read(path):
        events.append("read")
        return real_read(path)

    monkeypatch.setattr(preheat, "wait_for_request", visitor_arrives)
    monkeypatch.setattr(recorder_mod, "read_session", recording_read)
    r = Recorder.for_session(session_file.stem)
    assert events == ["wait", "read"]
    assert r.lang == "en" and r.signin_button.description == "Sign in"
    assert r.attendance.value == 17
    r.code.value = facilitator_code
    r._on_signin()
    assert "Guardado mientras esperaba." in r.items.children[0].children[0].value
    assert "Contributions in this session (1)" in r.list_heading.value


def test_without_preheat_the_recorder_does_not_wait(session_file, monkeypatch):
    from chwkit.core import request as preheat

    monkeypatch.chdir(session_file.parent)
    monkeypatch.setattr(preheat, "_receive", lambda url: pytest.fail("waited for a visitor"))
    assert Recorder.for_session(session_file.stem).lang == "es"


@pytest.mark.parametrize(
    "text",
    [
        "\n" * 5 + "a" * 3991 + " FIN",  # 4000 once stripped: saved whole
        " " * 20 + "b" * 3990 + " FINAL",  # 3996 once stripped: saved whole
    ],
)
def test_text_near_the_limit_is_saved_whole_never_cut(rec, session_file, text):
    fill(rec, text=text)
    rec._on_save()
    assert "Aporte guardado." in rec.status.value, rec.status.value
    [saved] = contributions(session_file)
    assert saved.text == text.strip()


def test_text_over_the_limit_once_stripped_is_refused_not_cut(rec, session_file):
    fill(rec, text="\n" * 5 + "a" * 3999 + " FIN")  # 4003 once stripped
    rec._on_save()
    assert contributions(session_file) == []
    assert "4000" in rec.status.value and "guardado" not in rec.status.value
    assert rec.text.value.endswith(" FIN")  # nothing typed is lost from the form


def test_a_notebook_with_a_pasted_twin_cell_names_the_cause(rec, session_file, capfd):
    import nbformat

    fill(rec)
    rec._on_save()
    nb = nbformat.read(session_file, 4)
    twin = [c for c in nb.cells if "chwkit-contribution" in c.metadata.get("tags", [])][0]
    nb.cells.append(nbformat.from_dict(dict(twin)))  # pasted twice by hand: the same id
    session_file.write_text(json.dumps(nb), encoding="utf-8")
    fill(rec, text="Otro aporte.")
    rec._on_save()
    shown = rec.status.value
    assert twin.id in shown and "dos celdas con el mismo id" in shown, shown
    assert "No se pudo leer o escribir" not in shown
    assert twin.id in capfd.readouterr().err  # and the server log says it too


def test_the_live_list_keeps_a_contributions_line_breaks(rec):
    fill(rec, text="Primera línea.\nSegunda línea.")
    rec._on_save()
    shown = rec.items.children[0].children[0].value
    assert "Primera línea.\nSegunda línea." in shown and "chwkit-forum-item-text" in shown
    assert ".chwkit-forum-item-text{white-space:pre-line}" in recorder_mod.PAGE_STYLE
