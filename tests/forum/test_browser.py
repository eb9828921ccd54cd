"""A facilitator in real Chromium against a real ``chwkit serve``: the session from the
landing page in Spanish, sign in with an access code, add (after the identifier warning),
edit and withdraw a contribution. HTML typed into the form shows as text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chwkit.forum.model import make_session
from chwkit.forum.session import new_session, read_session_file

pytestmark = pytest.mark.browser
TIMEOUT = 90_000


@pytest.fixture
def browser_session(server, monkeypatch):
    from chwkit.assess import roster

    monkeypatch.setenv("CHWKIT_HOME", str(server.home))
    code = roster.add("fac-browser", role="facilitator")
    path = new_session(
        make_session("2026-11-05", "browser-test", "Barreras de cobertura", "fac-browser"),
        server.root / "forum_sessions",
    )
    return path, code


def test_facilitator_adds_edits_and_withdraws_in_spanish(new_page, server, browser_session):
    path, code = browser_session
    page = new_page()
    page.goto(server.url + "?lang=es")
    page.get_by_role("link", name="Foro del 2026-11-05 (browser-test)").click()
    page.wait_for_selector(".chwkit-code input", timeout=TIMEOUT)
    assert "Foro mensual de aprendizaje" in page.inner_text("body")

    page.locator(".chwkit-code input").fill("AAAA-BBBB-CCCC")
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("no es válido para facilitación").wait_for(timeout=TIMEOUT)
    page.locator(".chwkit-code input").fill(code)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Registrando como fac-browser").wait_for(timeout=TIMEOUT)
    page.get_by_text("Todavía no hay aportes.").wait_for(timeout=TIMEOUT)

    page.locator(".chwkit-forum-pseudonym input").fill("P07")
    page.locator(".chwkit-forum-kind select").select_option(label="Reto")
    page.locator(".chwkit-forum-themes select").select_option(
        label="Acceso a la atención › Barreras para inscribirse en la cobertura"
    )
    text = page.locator(".chwkit-forum-text-input textarea")
    text.fill("Llamé a la Sra. Gómez al 415-555-0134 para su renovación.")
    text.blur()
    page.locator(".chwkit-forum-consent-dataset input").check()
    page.get_by_role("button", name="Guardar el aporte").click()

    # The identifier warning, in Spanish, and nothing saved yet.
    flags = page.locator(".chwkit-forum-flags")
    flags.get_by_text("número de teléfono").wait_for(timeout=TIMEOUT)
    assert "Sra. Gómez" in flags.inner_text()
    page.get_by_text("Revise los posibles datos").wait_for(timeout=TIMEOUT)
    assert read_session_file(path).contributions == []

    markup = "Una paciente <b>no</b> pudo renovar <script>window.__pwned = 1</script> a tiempo."
    text.fill(markup)
    text.blur()
    page.get_by_role("button", name="Guardar el aporte").click()
    page.get_by_text("Aporte guardado.").wait_for(timeout=TIMEOUT)
    item = page.locator(".chwkit-forum-item").first
    item.get_by_text("<b>no</b> pudo renovar <script>").wait_for(timeout=TIMEOUT)
    assert item.locator("b, script").count() == 0
    assert page.evaluate("window.__pwned") is None

    item.get_by_role("button", name="Editar").click()
    # Wait until the kernel has loaded the contribution into the form: typing earlier races
    # with that update, which would then overwrite what was typed.
    page.get_by_role("button", name="Guardar los cambios").wait_for(timeout=TIMEOUT)
    expect(text).to_have_value(markup, timeout=TIMEOUT)
    text.fill("Una paciente no pudo renovar a tiempo por los formularios largos.")
    text.blur()
    page.get_by_role("button", name="Guardar los cambios").click()
    page.get_by_text("Cambios guardados.").wait_for(timeout=TIMEOUT)
    item.get_by_text("por los formularios largos").wait_for(timeout=TIMEOUT)

    item.get_by_role("button", name="Retirar").click()
    item.get_by_role("button", name="Sí, retirar y borrar el texto").click()
    page.get_by_text("Aporte retirado.").wait_for(timeout=TIMEOUT)
    page.locator(".chwkit-forum-item", has_text="Retirado").wait_for(timeout=TIMEOUT)

    [(_, record)] = read_session_file(path).contributions
    assert record["withdrawn"] is True and record["text"] == ""
    assert record["pseudonym"] == "P07" and record["kind"] == "challenge"
    assert record["themes"] == ["em_coverage_enrollment"]
    assert record["recorded_by"] == "fac-browser"
