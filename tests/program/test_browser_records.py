"""The learner's records in real Chromium against a real ``chwkit serve``.

The walk of the issue: sign in once on the landing page; open a module with no code asked;
finish its practice and see it completed on My progress; submit the assessment and see the
autograded score with no trainer step; once the trainer has graded the reflection (as in
formgrader), the small test track is complete: download the certificate, whose text is read
back from the PDF, and verify its code (command and page). Also: a forged or edited cookie
and a learner header sent by the browser are refused; two learners in two browser contexts
never see each other's records; the records and the sign-in survive kill -9 of the server;
--require-sign-in sends an anonymous visitor to the sign-in page.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_project, start_server, stop_server

from chwkit.learn.spec import ModuleSpec

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]
TIMEOUT = 90_000
ASSIGNMENT = "chw_role_check"  # the assessment of the walk's module
BIN = Path(sys.executable).parent
MODULE = "chw_role"
TRACK = """id: test_walk
title: {es: "Ruta de prueba", en: "Test track"}
summary: {es: "Un módulo y su autoevaluación.", en: "One module and its self-assessment."}
program: clinic_academy
level: entry
modules: [chw_role]
hours: 0.7
pass_mark: 0.5
"""


def run(site, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CHWKIT_HOME": str(site.home),
        "CHWKIT_ROOT": str(site.root),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        list(args), cwd=cwd or site.root, env=env, capture_output=True, text=True, timeout=300
    )


class Site:
    def __init__(self, root: Path, home: Path):
        self.root, self.home, self.server = root, home, None
        self.codes: dict[str, str] = {}

    def start(self, *args: str):
        self.server = start_server(self.root, self.home, args)
        return self.server

    def stop(self, kill: bool = False):
        if self.server is None:
            return
        if kill:
            os.killpg(self.server.process.pid, signal.SIGKILL)
            self.server.process.wait(timeout=30)
        else:
            stop_server(self.server.process)
        self.server = None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("chwkit-records")
    root = copy_project(base / "project")
    for track in (root / "notebooks" / "tracks").glob("*.yaml"):
        track.unlink()  # the walk's track only: the others need many more modules
    (root / "notebooks" / "tracks" / "test_walk.yaml").write_text(TRACK, encoding="utf-8")
    s = Site(root, base / "home")
    s.home.mkdir()
    released = run(
        s, str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, cwd=root / "assessments"
    )
    assert released.returncode == 0, released.stderr[-2000:]
    for learner, name in (
        ("walk-01", "Rosa Caminante"),
        ("walk-02", None),
        ("walk-03", None),
        ("walk-04", None),
    ):
        added = run(
            s, str(BIN / "chwkit"), "roster", "add", learner, *(["--name", name] if name else [])
        )
        assert added.returncode == 0, added.stderr
        s.codes[learner] = added.stdout.split()[1]
    s.start()
    yield s
    s.stop()


def sign_in_on_landing(page, site, learner: str, lang: str = "en") -> None:
    page.goto(site.server.url + f"?lang={lang}")
    page.locator("#chwkit-code").fill(site.codes[learner])
    page.get_by_role("button", name="Sign in" if lang == "en" else "Entrar").click()
    page.wait_for_url("**/chwkit/progress**")


def module_url(site, lang="en") -> str:
    return site.server.url + f"voila/render/notebooks/modules/{MODULE}/{MODULE}.ipynb?lang={lang}"


def answer_practice(page, spec: ModuleSpec, lang: str = "en") -> None:
    questions = page.locator(".chwkit-question")
    questions.first.wait_for(timeout=TIMEOUT)
    for index, q in enumerate(spec.questions):
        box = questions.nth(index)
        if q.kind == "single":
            box.locator("label", has_text=q.options[q.answer[0]][lang]).first.click()
        elif q.kind == "multiple":
            for i in q.answer:
                box.locator("label", has_text=q.options[i][lang]).first.click()
        else:
            box.locator("input[type=text]").fill(q.accept[lang][0])
            box.locator("input[type=text]").press("Tab")
        box.get_by_role("button", name="Check my answer").click()
        box.locator(".chwkit-fb-correct").wait_for(timeout=TIMEOUT)


def module_status(page) -> str:
    """The status My progress shows for the walk's module (on the page already open)."""
    return page.locator(f"li.module[data-module={MODULE}] .status").first.inner_text()


def progress_text(page, site) -> str:
    page.goto(site.server.url + "chwkit/progress?lang=en")
    return page.locator("main").inner_text()


def fill_assessment(page, answers: dict) -> None:
    from chwkit.assess.submit import load_release

    _nb, spec = load_release_for(page)
    for item in spec.items:
        box = page.locator(f".chwkit-item-{item.id}")
        value = answers.get(item.id)
        if value is None:
            continue
        if item.kind == "single":
            box.get_by_role("radio").nth(value).check()
        elif item.kind == "multiple":
            for i in value:
                box.get_by_role("checkbox").nth(i).check()
        elif item.kind == "reflection":
            box.locator("textarea").fill(str(value))
            box.locator("textarea").press("Tab")
        else:
            box.locator("input").fill(str(value))
            box.locator("input").press("Tab")
    del load_release


def load_release_for(_page):
    from chwkit.assess.submit import load_release

    return load_release(ASSIGNMENT)


def right_answers(root: Path) -> dict:
    """The assessment's key, from its item file (answers, first accepted text)."""
    import yaml

    data = yaml.safe_load((root / "assessments" / "items" / f"{ASSIGNMENT}.yaml").read_text())
    answers = {}
    for item in data["items"]:
        if "answer" in item:
            answers[item["id"]] = item["answer"]
        elif item["kind"] == "reflection":
            answers[item["id"]] = "Acompañé a una familia a su cita en la clínica."
        else:
            accept = item["accept"]
            answers[item["id"]] = (accept["en"] if isinstance(accept, dict) else accept)[0]
    return answers


def grade_reflections_as_formgrader(site) -> None:
    """What a trainer does in formgrader: give the reflection its points."""
    code = (
        "from chwkit.assess import course\n"
        "from chwkit.assess.submit import load_release\n"
        f"_nb, spec = load_release({ASSIGNMENT!r})\n"
        "with course.gradebook() as gb:\n"
        "    for item in spec.items:\n"
        "        if item.manual:\n"
        f"            g = gb.find_grade(item.test_id, {ASSIGNMENT!r}, {ASSIGNMENT!r}, 'walk-01')\n"
        "            g.manual_score = item.points\n"
        "            g.needs_manual_grade = False\n"
        "    gb.db.commit()\n"
    )
    done = run(site, sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_learner_walk_from_sign_in_to_a_verified_certificate(site, new_page, monkeypatch):
    from pypdf import PdfReader

    monkeypatch.setenv("CHWKIT_HOME", str(site.home))
    monkeypatch.setenv("CHWKIT_ROOT", str(site.root))
    spec = ModuleSpec.load(site.root / "notebooks" / "modules" / MODULE)
    page = new_page()
    sign_in_on_landing(page, site, "walk-01")
    assert "Signed in as Rosa Caminante." in page.locator("main").inner_text()

    page.goto(site.server.url + "?lang=en")
    page.get_by_role("link", name=spec.title["en"], exact=True).click()
    page.locator(".chwkit-records").wait_for(timeout=TIMEOUT)
    assert "Signed in as walk-01" in page.locator(".chwkit-records").inner_text()
    assert page.locator("#chwkit-code, .chwkit-code").count() == 0, "no code asked"
    answer_practice(page, spec)
    page.locator(".chwkit-module-completed").wait_for(timeout=TIMEOUT)
    progress_text(page, site)
    assert module_status(page) == "Completed"

    page.goto(site.server.url + f"voila/render/notebooks/assessment.ipynb?a={ASSIGNMENT}&lang=en")
    page.locator(".chwkit-item-q1").get_by_role("radio").first.wait_for(timeout=TIMEOUT)
    assert page.locator(".chwkit-code input").is_hidden(), "signed in: no code asked"
    fill_assessment(page, right_answers(site.root))
    started = time.monotonic()
    page.get_by_role("button", name="Submit my answers").click()
    score = page.locator(".chwkit-fb-score")
    score.wait_for(timeout=TIMEOUT)
    took = time.monotonic() - started
    assert "Score:" in score.inner_text(), "graded with no trainer step"
    panel = page.locator(".chwkit-feedback-panel").inner_text()
    assert "Waiting for review" in panel, "the reflection waits for the trainer"
    print(f"submit to score shown: {took:.1f} s")
    text = progress_text(page, site)
    assert "Your reflection is waiting for your trainer" in text
    assert page.locator(".cert").count() == 0, "not complete while the reflection waits"

    grade_reflections_as_formgrader(site)
    text = progress_text(page, site)
    assert "Passed" in text and "My certificates" in text
    code = page.locator(".cert-code").inner_text().strip()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    words = " ".join(words.split())
    for expected in (
        "Certificate of completion",
        "Rosa Caminante",
        "Test track",
        "0.7 hours",
        "Clinic community health worker academy",
        spec.title["en"],
        "Care coordination",
        code,
    ):
        assert expected in words, (expected, words)

    verified = run(site, str(BIN / "chwkit"), "certificate", "verify", code)
    assert verified.returncode == 0 and "walk-01" in verified.stdout
    page.goto(site.server.url + f"chwkit/verify?code={code}&lang=en")
    assert "Valid certificate." in page.locator(".verdict").inner_text()
    assert "Rosa Caminante" in page.locator(".verdict").inner_text()
    page.goto(site.server.url + "chwkit/verify?code=CHW-ZZZZ-ZZZZ-ZZZZ&lang=es")
    assert "No existe ningún certificado" in page.locator(".verdict").inner_text()


def test_a_forged_or_edited_cookie_and_a_sent_learner_header_are_refused(site, browser, new_page):
    page = new_page()
    sign_in_on_landing(page, site, "walk-02")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "chwkit-learner"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    value = cookie["value"]
    parts = value.strip('"').split("|")
    # The payload (base64 of the session token) edited by one character; then another
    # learner's cookie made up without the server's secret.
    edited = list(parts)
    edited[4] = edited[4][:-3] + ("A" if edited[4][-3] != "A" else "B") + edited[4][-2:]
    forged = "2|1:0|10:1796157972|14:chwkit-learner|12:eyJzIjogIngifQ==|" + "0" * 64
    for bad in ("|".join(edited), forged, "walk-02"):
        context = browser.new_context()
        context.add_cookies([{**cookie, "value": bad}])
        other = new_page(context=context)
        other.goto(site.server.url + "chwkit/progress?lang=en")
        assert "/chwkit/sign-in" in other.url, bad
        context.close()
    # A browser naming a learner in the headers the server gives kernels is not believed.
    context = browser.new_context(extra_http_headers={"X-Chwkit-Learner": "walk-02"})
    spoof = new_page(context=context)
    spoof.goto(module_url(site))
    spoof.locator(".chwkit-records").wait_for(timeout=TIMEOUT)
    assert "not signed in" in spoof.locator(".chwkit-records").inner_text()
    context.close()


def test_two_learners_in_two_browsers_never_see_each_others_records(site, browser, new_page):
    spec = ModuleSpec.load(site.root / "notebooks" / "modules" / MODULE)
    first = new_page(context=browser.new_context())
    second = new_page(context=browser.new_context())
    sign_in_on_landing(first, site, "walk-02")
    sign_in_on_landing(second, site, "walk-03", lang="es")
    first.goto(module_url(site))
    answer_practice(first, spec)
    first.locator(".chwkit-module-completed").wait_for(timeout=TIMEOUT)
    second.goto(module_url(site, "es"))
    second.locator(".chwkit-records").wait_for(timeout=TIMEOUT)
    assert "walk-03" in second.locator(".chwkit-records").inner_text()
    text_first = progress_text(first, site)
    second.goto(site.server.url + "chwkit/progress?lang=en")
    text_second = second.locator("main").inner_text()
    assert "walk-02" in text_first and "walk-03" not in text_first
    assert "walk-03" in text_second and "walk-02" not in text_second
    assert module_status(second) == "In progress"
    progress_text(first, site)
    assert module_status(first) == "Completed"
    for page in (first, second):
        page.context.close()


def test_records_and_sign_in_survive_kill_9_of_the_server(site, browser, new_page):
    page = new_page(context=browser.new_context())
    sign_in_on_landing(page, site, "walk-03")
    before = progress_text(page, site)
    assert "In progress" in before
    site.stop(kill=True)
    site.start()
    after = progress_text(page, site)
    assert "/chwkit/progress" in page.url, "the device is still signed in"
    assert after == before
    page.context.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_code(opener, url: str, code: str) -> tuple[int, str]:
    import http.cookiejar  # noqa: F401  (the opener holds the jar)
    import re
    from urllib.parse import urlencode

    with opener.open(url + "chwkit/sign-in?lang=en", timeout=30) as page:
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.read().decode()).group(1)
    body = urlencode({"_xsrf": xsrf, "code": code}).encode()
    try:
        with opener.open(url + "chwkit/sign-in?lang=en", data=body, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_failed_tries_are_limited_per_code_and_a_new_device_does_not_reset_them(site):
    import http.cookiejar

    def device():
        return urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    right = site.codes["walk-04"]
    wrong = right[:5] + ("A" if right[5] != "A" else "B") + right[6:]
    first = device()
    for _ in range(5):
        status, text = post_code(first, site.server.url, wrong)
        assert status == 403 and "That code is not valid" in text
    status, text = post_code(first, site.server.url, right)
    assert status == 429 and "Too many tries with this code" in text
    status, text = post_code(device(), site.server.url, right)  # another tab, another phone
    assert status == 429, "the count is the code's, kept by the server"
    status, _text = post_code(device(), site.server.url, site.codes["walk-02"])
    assert status == 302, "other codes are not held up"


def test_require_sign_in_sends_an_anonymous_visitor_to_sign_in(site):
    # Last of the module: the server is restarted with the option and left so.
    site.stop()
    site.start("--require-sign-in")
    request = urllib.request.Request(module_url(site))
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(request, timeout=30)
    assert refused.value.code == 302
    assert "/chwkit/sign-in?" in refused.value.headers["Location"]
    assert "required=1" in refused.value.headers["Location"]
    with urllib.request.urlopen(site.server.url + "?lang=en", timeout=30) as landing:
        assert landing.status == 200  # the landing page, with its sign-in form
