"""End to end in real Chromium against a real ``chwkit serve``: a learner opens the
self-assessment from the landing page, signs in with their code, answers some items right
and some wrong, submits; ``chwkit grade`` runs; the gradebook holds exactly the expected
score; the learner signs in again and reads their feedback. Nothing the browser receives
(page HTML, websocket frames) holds the answer key or a hidden test."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from chwkit.assess.sanitize import leaks

from .conftest import ASSIGNMENT, install_course, secrets

pytestmark = [pytest.mark.browser, pytest.mark.nbgrader]
TIMEOUT = 90_000
BIN = Path(sys.executable).parent
TITLE_ES = "Autoevaluación de prueba: el rol de la promotora"


def run(server, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "CHWKIT_HOME": str(server.home),
        "CHWKIT_ROOT": str(server.root),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        list(args), cwd=cwd or server.root, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def learner_code(server):
    install_course(server.root)
    released = run(
        server,
        str(BIN / "nbgrader"),
        "generate_assignment",
        ASSIGNMENT,
        cwd=server.root / "assessments",
    )
    assert released.returncode == 0, released.stderr[-2000:]
    added = run(server, str(BIN / "chwkit"), "roster", "add", "e2e-01")
    assert added.returncode == 0, added.stderr
    return added.stdout.split()[1]


def watch_frames(page) -> list[str]:
    frames: list[str] = []

    def on_ws(ws):
        ws.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            ),
        )

    page.on("websocket", on_ws)
    return frames


def sign_in(page, code: str) -> None:
    box = page.locator(".chwkit-code input")
    box.wait_for(timeout=TIMEOUT)
    box.fill(code)
    page.get_by_role("button", name="Entrar").click()


def test_learner_submits_is_graded_and_reads_feedback(server, new_page, learner_code):
    from nbgrader.api import Gradebook

    key = secrets(ASSIGNMENT, server.root)
    page = new_page()
    frames = watch_frames(page)
    page.goto(server.url + "?lang=es")
    page.get_by_role("link", name=TITLE_ES).click()
    page.wait_for_url(f"**/assessment.ipynb?a={ASSIGNMENT}&lang=es", timeout=TIMEOUT)

    sign_in(page, "WXYZ-2345-6789")
    page.get_by_text("Ese código no es válido").wait_for(timeout=TIMEOUT)
    sign_in(page, learner_code)
    page.get_by_text("Entró como e2e-01").wait_for(timeout=TIMEOUT)

    q = {n: page.locator(f".chwkit-item-q{n}") for n in range(1, 7)}
    q[1].locator("label", has_text="Una trabajadora de salud de primera línea").click()  # right
    q[2].locator("label", has_text="Mediación cultural").click()  # wrong: misses two roles
    q[2].locator("label", has_text="Recetar medicamentos").click()  # and adds a wrong one
    q[3].locator("input").fill("10")  # right
    q[4].locator("input").fill("enfermera")  # wrong
    q[6].locator("textarea").fill("Acompañé a una familia a su cita y expliqué las instrucciones.")
    q[6].locator("textarea").press("Tab")
    page.get_by_role("button", name="Enviar mis respuestas").click()
    # q5 is blank: the page asks first, and sends only once the learner says yes.
    page.get_by_text("Preguntas en blanco: 1.").wait_for(timeout=TIMEOUT)
    page.get_by_role("button", name="Sí, enviar así").click()
    page.get_by_text("¡Listo! Recibimos sus respuestas (5 de 6").wait_for(timeout=TIMEOUT)

    graded = run(server, str(BIN / "chwkit"), "grade", ASSIGNMENT, "--no-progress")
    assert graded.returncode == 0, graded.stdout + graded.stderr[-2000:]
    db = server.home / "course" / "gradebook.db"
    with Gradebook(f"sqlite:///{db}", "chwkit") as gb:
        sub = gb.find_submission(ASSIGNMENT, "e2e-01")
        cells = {g.name: g.auto_score for nb in sub.notebooks for g in nb.grades}
        assert sub.score == 2.0
        assert cells == {
            "test_q1": 1.0,
            "test_q2": 0.0,
            "test_q3": 1.0,
            "test_q4": 0.0,
            "test_q5": 0.0,
            "reflection_q6": None,
        }
        assert sub.needs_manual_grade

    page.reload()
    sign_in(page, learner_code)
    panel = page.locator(".chwkit-feedback-panel")
    panel.get_by_text("Puntaje: 2 de 8").wait_for(timeout=TIMEOUT)
    text = panel.inner_text()
    assert "Correcta" in text and "Incorrecta" in text and "Sin respuesta" in text
    assert "Pendiente de revisión" in text

    served = page.content()
    with urllib.request.urlopen(page.url, timeout=60) as response:
        served_raw = response.read().decode("utf-8", "replace")
    assert frames, "the page's websocket traffic was not captured"
    for where, text in [
        ("page", served),
        ("served html", served_raw),
        *(("ws", f) for f in frames),
    ]:
        assert leaks(text, key) == [], f"{where} leaks the key"

    # Signing out hides the learner's results; the back link is a real link to the list.
    page.get_by_role("button", name="Salir").click()
    page.locator(".chwkit-code input").wait_for(timeout=TIMEOUT)
    assert (
        not panel.is_visible() and "e2e-01" not in page.locator(".chwkit-assessment").inner_text()
    )
    page.get_by_role("link", name="Volver a la lista").click()
    page.get_by_role("link", name=TITLE_ES).wait_for(timeout=TIMEOUT)
