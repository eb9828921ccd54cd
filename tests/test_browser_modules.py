"""A learner's path in real Chromium against a real ``chwkit serve``: landing page, Spanish,
every module, a practice question answered right and wrong, at desktop and phone sizes.

``make test`` opens the first module of every track (and any module in no track) in both
tests that go through every module; the others are marked slow and run in ``make bench``
(each module's notebook also runs under nbval in ``make test``, and its questions are checked
in test_modules.py)."""

import pytest

from chwkit.learn.spec import discover
from chwkit.learn.tracks import discover as discover_tracks

pytestmark = pytest.mark.browser
MODULES = discover()
TRACKS = discover_tracks()
IN_A_TRACK = {m for track in TRACKS for m in track.modules}
SAMPLED = {track.modules[0] for track in TRACKS} | ({m.id for m in MODULES} - IN_A_TRACK)


def each_module(spec, *values, id: str):
    """A case for one module: slow (make bench) unless it is one of the sampled modules."""
    marks = () if spec.id in SAMPLED else (pytest.mark.slow,)
    return pytest.param(spec, *values, id=id, marks=marks)


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone
TIMEOUT = 90_000


def open_module_from_landing(new_page, server, spec, viewport):
    page = new_page(viewport=viewport)
    page.goto(server.url + "?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="Español").click()
    page.wait_for_url("**/?lang=es")
    assert page.get_by_role("heading", name="Módulos de capacitación").is_visible()
    page.get_by_role("link", name=spec.title["es"]).click()
    page.wait_for_selector(".chwkit-question", timeout=TIMEOUT)
    return page


def choose(question, label):
    question.locator("label", has_text=label).first.click()


# Every module at phone size (where learners are); the desktop layout once.
CASES = [each_module(spec, PHONE, id=f"{spec.id}-phone") for spec in MODULES] + [
    pytest.param(MODULES[0], DESKTOP, id=f"{MODULES[0].id}-desktop")
]


@pytest.mark.parametrize("spec, viewport", CASES)
def test_learner_answers_a_practice_question_in_spanish(new_page, server, spec, viewport):
    page = open_module_from_landing(new_page, server, spec, viewport)
    assert "lang=es" in page.url
    # Only the Spanish text shows.
    assert page.locator(".celltag_lang-es").first.is_visible()
    assert page.locator(".celltag_lang-en").first.is_hidden()

    index, q = next((i, q) for i, q in enumerate(spec.questions) if q.kind == "single")
    question = page.locator(".chwkit-question").nth(index)
    question.get_by_text(q.prompt["es"][:30]).wait_for(timeout=TIMEOUT)
    wrong = next(i for i in range(len(q.options)) if i != q.answer[0])
    choose(question, q.options[wrong]["es"])
    question.get_by_role("button", name="Revisar mi respuesta").click()
    feedback = question.locator(".chwkit-feedback")
    feedback.wait_for(timeout=TIMEOUT)
    assert "Todavía no." in feedback.inner_text()
    assert q.explanation["es"][:40] in feedback.inner_text()

    choose(question, q.options[q.answer[0]]["es"])
    question.get_by_role("button", name="Revisar mi respuesta").click()
    # The feedback widget redraws its content: watch the question, not the old element.
    page.wait_for_function(
        "el => el.innerText.includes('¡Correcto!')", arg=question.element_handle(), timeout=TIMEOUT
    )
    progress = page.locator(".chwkit-progress-label")
    assert f"1 de {len(spec.questions)}" in progress.inner_text()


def test_short_answer_is_matched_leniently_in_the_browser(new_page, server):
    spec = MODULES[0]
    index, q = next((i, q) for i, q in enumerate(spec.questions) if q.kind == "short")
    page = new_page()
    page.goto(server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang=es")
    question = page.locator(".chwkit-question").nth(index)
    box = question.locator("input[type=text]")
    box.wait_for(timeout=TIMEOUT)
    answer = q.accept["es"][0]
    box.fill("  " + answer.upper() + " ")
    box.press("Enter")
    question.get_by_role("button", name="Revisar mi respuesta").click()
    page.wait_for_function(
        "el => el.innerText.includes('¡Correcto!')",
        arg=question.element_handle(),
        timeout=TIMEOUT,
    )


def test_language_switch_turns_the_whole_page_to_english(new_page, server):
    spec = MODULES[-1]
    page = new_page(viewport=PHONE)
    page.goto(server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang=es")
    page.wait_for_selector(".chwkit-question", timeout=TIMEOUT)
    page.locator(".chwkit-lang-switch").get_by_role("button", name="English").click()
    page.get_by_role("button", name="Check my answer").first.wait_for(timeout=TIMEOUT)
    assert page.locator(".celltag_lang-en").first.is_visible()
    assert page.locator(".celltag_lang-es").first.is_hidden()
    assert "lang=en" in page.url
    assert page.get_by_text(spec.questions[0].prompt["en"][:30]).first.is_visible()
    back = page.locator("a.chwkit-back")
    assert back.get_attribute("href").endswith("?lang=en")


@pytest.mark.parametrize("spec", [each_module(spec, id=spec.id) for spec in MODULES])
def test_preheated_page_opened_in_english_asks_in_english(new_page, server, spec):
    """The kernel ran before the visitor came: their ?lang= must still reach every widget."""
    page = new_page(viewport=PHONE)
    page.goto(server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang=en")
    page.get_by_role("button", name="Check my answer").first.wait_for(timeout=TIMEOUT)
    buttons = page.locator(".chwkit-question").get_by_role("button", name="Check my answer")
    assert buttons.count() == len(spec.questions)
    assert page.get_by_role("button", name="Revisar mi respuesta").count() == 0
    assert page.get_by_text(spec.questions[0].prompt["en"][:30]).first.is_visible()
