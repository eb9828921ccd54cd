"""Pages everyone can use, in real Chromium at phone size, in both languages.

- axe-core (axe-playwright-python) finds no violation, of any impact, on the landing page,
  a module page, the assessment page before and after sign-in, and a forum session page;
- a learner who uses only the keyboard answers a practice question and submits an
  assessment;
- pages load with no error in the browser console (the kernel connection asks the kernel for
  nothing Voila refuses), and the server logs no refused message;
- the tab says what the page is, in the page's language; times show in the learner's
  language and time zone; an error is said next to the item it is about.

The demo (``chwkit demo``) provides a released assessment, a forum session and their codes.
"""

from __future__ import annotations

import re

import pytest
from conftest import PHONE

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
LANGS = ("es", "en")
SIGN_IN = {"es": "Entrar", "en": "Sign in"}


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:5]]}"
        for v in results.response["violations"]
    ]


def module_path(demo, lang: str) -> str:
    return f"voila/render/notebooks/modules/chw_role/chw_role.ipynb?lang={lang}"


def assessment_path(demo, lang: str) -> str:
    return f"voila/render/notebooks/assessment.ipynb?a={demo.assessment}&lang={lang}"


def forum_path(demo, lang: str) -> str:
    return f"voila/render/forum_sessions/{demo.session}?lang={lang}"


def settled(page) -> None:
    """The page's widgets are drawn and the loading bar is gone."""
    page.wait_for_selector("#loading", state="detached", timeout=TIMEOUT)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("lang", LANGS)
def test_landing_page_has_no_accessibility_violation(new_page, demo, lang):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + f"?lang={lang}")
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", LANGS)
def test_module_page_has_no_accessibility_violation(new_page, demo, lang):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + module_path(demo, lang))
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    settled(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", LANGS)
def test_assessment_page_has_no_accessibility_violation_before_and_after_sign_in(
    new_page, demo, lang
):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + assessment_path(demo, lang))
    page.locator(".chwkit-code input").wait_for(timeout=TIMEOUT)
    settled(page)
    assert axe_violations(page) == []
    page.locator(".chwkit-code input").fill(demo.codes["demo-learner-2"])
    page.get_by_role("button", name=SIGN_IN[lang]).click()
    page.locator(".chwkit-question input").first.wait_for(timeout=TIMEOUT)
    assert axe_violations(page) == []


@pytest.mark.parametrize("lang", LANGS)
def test_forum_page_has_no_accessibility_violation(new_page, demo, lang):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + forum_path(demo, lang))
    page.locator(".chwkit-code input").wait_for(timeout=TIMEOUT)
    settled(page)
    assert axe_violations(page) == []
    page.locator(".chwkit-code input").fill(demo.codes["demo-facilitator"])
    page.get_by_role("button", name=SIGN_IN[lang]).click()
    page.locator(".chwkit-forum-text-input textarea").wait_for(timeout=TIMEOUT)
    assert axe_violations(page) == []


# -- the keyboard alone -------------------------------------------------------------------------
def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_practice_question_is_answered_with_the_keyboard_only(new_page, demo):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + module_path(demo, "es"))
    first = page.locator(".chwkit-question").first
    first.locator("input[type=radio]").first.wait_for(timeout=TIMEOUT)
    settled(page)
    tab_to(page, ".chwkit-question input[type=radio]")
    page.keyboard.press("Space")  # chooses the focused option
    assert first.locator("input[type=radio]:checked").count() == 1
    tab_to(page, ".chwkit-question button")
    page.keyboard.press("Enter")
    first.locator(".chwkit-feedback").wait_for(timeout=TIMEOUT)
    assert re.search(r"¡Correcto!|Todavía no", first.locator(".chwkit-feedback").inner_text())


def test_an_assessment_is_signed_into_and_submitted_with_the_keyboard_only(new_page, demo):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + assessment_path(demo, "es"))
    page.locator(".chwkit-code input").wait_for(timeout=TIMEOUT)
    settled(page)
    tab_to(page, ".chwkit-code input")
    code = demo.codes["demo-learner-1"]
    page.keyboard.type(code, delay=40)
    # Every character reached the box (and so the kernel) before the button is pressed.
    page.wait_for_function(
        "c => document.activeElement && document.activeElement.value === c", arg=code
    )
    settled(page)
    tab_to(page, ".chwkit-sign-in")
    page.keyboard.press("Enter")
    page.locator(".chwkit-question input[type=radio]").first.wait_for(timeout=TIMEOUT)
    tab_to(page, ".chwkit-question input[type=radio]")
    page.keyboard.press("ArrowDown")  # moves to, and chooses, the next option
    assert page.locator(".chwkit-question input[type=radio]:checked").count() == 1
    tab_to(page, ".chwkit-submit")
    page.keyboard.press("Enter")
    confirm_blank_items(page, keyboard=True)
    confirmation = page.locator(".chwkit-confirmation")
    confirmation.wait_for(timeout=TIMEOUT)
    assert "¡Listo! Recibimos sus respuestas" in confirmation.inner_text()


def confirm_blank_items(page, keyboard: bool = False) -> None:
    """Items left blank may be confirmed before the answers go: confirm, if asked."""
    confirm = page.locator(".chwkit-confirm-send")
    try:
        confirm.wait_for(state="visible", timeout=3000)
    except Exception:  # not asked: the answers went
        return
    if keyboard:
        tab_to(page, ".chwkit-confirm-send")
        page.keyboard.press("Enter")
    else:
        confirm.click()


# -- what the page says -------------------------------------------------------------------------
def test_tab_titles_are_the_pages_titles_in_the_pages_language(new_page, demo):
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + module_path(demo, "es"))
    assert page.title().startswith("El rol de la promotora")
    page.goto(demo.server.url + assessment_path(demo, "en"))
    assert page.title().startswith("Self-assessment")
    page.goto(demo.server.url + forum_path(demo, "es"))
    assert page.title().startswith("Foro del ")
    for title in (page.title(),):
        assert ".ipynb" not in title and "_" not in title


def test_an_answer_the_page_refuses_is_said_beside_its_item(new_page, demo):
    """A number that is not a number (or a short answer far too long), refused at submission:
    the message is an alert inside that item, styled, not plain text under the button."""
    page = new_page(viewport=PHONE)
    page.goto(demo.server.url + assessment_path(demo, "es"))
    page.locator(".chwkit-code input").fill(demo.codes["demo-learner-2"])
    page.get_by_role("button", name="Entrar").click()
    page.locator(".chwkit-question input").first.wait_for(timeout=TIMEOUT)
    if page.locator(".chwkit-assess-numeric").count():
        item, answer, said = page.locator(".chwkit-assess-numeric").first, "diez", "número"
    else:
        item, answer, said = page.locator(".chwkit-assess-short").first, "x" * 400, "larga"
    item.locator("input").fill(answer)
    item.locator("input").press("Tab")
    page.get_by_role("button", name="Enviar mis respuestas").click()
    confirm_blank_items(page)
    alert = item.get_by_role("alert")
    alert.wait_for(timeout=TIMEOUT)
    assert said in alert.inner_text()
    assert alert.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"
    assert page.locator(".chwkit-confirmation").count() == 0


def test_the_submission_time_is_local_and_human(new_page, demo, browser):
    context = browser.new_context(viewport=PHONE, timezone_id="America/Los_Angeles")
    try:
        page = context.new_page()
        page.goto(demo.server.url + assessment_path(demo, "es"))
        page.locator(".chwkit-code input").fill(demo.codes["demo-learner-2"])
        page.get_by_role("button", name="Entrar").click()
        page.get_by_role("button", name="Enviar mis respuestas").click()
        confirm_blank_items(page)
        when = page.locator(".chwkit-confirmation time")
        when.wait_for(timeout=TIMEOUT)
        shown = when.inner_text()
        assert re.search(r"\d{1,2} de [a-z]+ de \d{4}", shown), shown  # "1 de diciembre de 2026"
        assert "UTC" not in shown and not re.search(r"\d{2}:\d{2}:\d{2}", shown)
        stamp = when.get_attribute("datetime")
        local = page.evaluate(
            "s => new Intl.DateTimeFormat('es', {timeStyle: 'short'}).format(new Date(s))", stamp
        )
        assert local in shown  # Los Angeles time, not the server's UTC
    finally:
        context.close()


# -- no console error ---------------------------------------------------------------------------
def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.fixture
def console_session(server, monkeypatch):
    from chwkit.forum.model import make_session
    from chwkit.forum.session import new_session

    path = new_session(
        make_session("2026-10-01", "console-check", "Cobertura", "fac-console"),
        server.root / "forum_sessions",
    )
    yield path.name
    path.unlink()


def test_module_and_forum_pages_load_without_console_errors(new_page, server, console_session):
    """On the preheated server: nothing refused by Voila (kernel subshells were, a thousand
    times a page), nothing thrown."""
    before = server.log_text().count("not allowed")
    for path in (
        "voila/render/notebooks/modules/chw_role/chw_role.ipynb?lang=es",
        f"voila/render/forum_sessions/{console_session}?lang=es",
    ):
        page = new_page(viewport=PHONE)
        errors = console_errors(page)
        page.goto(server.url + path)
        page.locator("#rendered_cells .jupyter-widgets").first.wait_for(timeout=TIMEOUT)
        settled(page)
        page.wait_for_timeout(1500)
        assert errors == [], f"{path}: {errors[:5]}"
    log = server.log_text()
    assert "create_subshell_request" not in log
    assert log.count("not allowed") == before
