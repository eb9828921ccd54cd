"""A class at once, in real Chromium against a real ``chwkit serve`` (functional, not timed):
forked kernels serve module pages, the waiting page appears at the cap of live kernels and
continues to the module by itself, and SIGTERM stops the server and every kernel it
started. Timings are measured by ``benchmarks/burst.py`` (``make bench``)."""

from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest
from conftest import copy_project, start_server, stop_server

from chwkit.learn.spec import discover

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
MODULES = discover()
SPEC = next(m for m in MODULES if m.id == "chw_role")
PATH = f"voila/render/notebooks/modules/{SPEC.id}/{SPEC.id}.ipynb"


def kernel_process(server, kernel_id: str) -> psutil.Process | None:
    for proc in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if any(kernel_id in part for part in proc.cmdline()):
                return proc
        except psutil.Error:
            continue
    return None


def page_kernel(page) -> str:
    return json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]


def answer_first_question(page) -> None:
    index, q = next((i, q) for i, q in enumerate(SPEC.questions) if q.kind == "single")
    question = page.locator(".chwkit-question").nth(index)
    question.get_by_text(q.prompt["es"][:30]).wait_for(timeout=TIMEOUT)
    question.locator("label", has_text=q.options[q.answer[0]]["es"]).first.click()
    question.get_by_role("button", name="Revisar mi respuesta").click()
    page.wait_for_function(
        "el => el.innerText.includes('¡Correcto!')", arg=question.element_handle(), timeout=TIMEOUT
    )


def test_a_forked_kernel_runs_the_module_and_answers_in_chromium(new_page, server):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url + PATH + "?lang=es")
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    kernel = kernel_process(server, page_kernel(page))
    assert kernel is not None, "the page's kernel is not running"
    assert "chwkit.serve.kernel_template" in " ".join(kernel.parent().cmdline()), (
        "the page's kernel was not forked from the kernel template"
    )
    answer_first_question(page)


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """Every module keeps one preheated kernel, and the cap is exactly those kernels."""
    base = tmp_path_factory.mktemp("chwkit-capped")
    root = copy_project(base / "project")
    cap = len(discover(root / "notebooks" / "modules"))
    srv = start_server(root, base / "home", ("--max-kernels", str(cap)))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        kernels = [
            p
            for p in psutil.Process(srv.process.pid).children(recursive=True)
            if "ipykernel_launcher" in " ".join(p.cmdline())
        ]
        if len(kernels) >= cap:
            break
        time.sleep(0.5)
    yield srv
    stop_server(srv.process)


def test_at_the_cap_the_waiting_page_appears_and_continues_by_itself(new_page, capped_server):
    srv = capped_server
    first = new_page()
    first.goto(srv.url + PATH + "?lang=es")
    first.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)  # the preheated kernel

    second = new_page()
    second.goto(srv.url + PATH + "?lang=es", wait_until="commit")
    waiting = second.locator("#chwkit-opening")
    waiting.wait_for(timeout=TIMEOUT)
    assert waiting.get_attribute("data-state") == "full"
    assert "el servidor está lleno" in waiting.inner_text()
    assert "the server is full" in waiting.inner_text()  # the other language below

    first.close(run_before_unload=True)  # a place frees up: the second page continues
    second.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    assert "chwkit_ticket=" in second.url
    answer_first_question(second)


def test_sigterm_stops_the_server_and_every_kernel_it_started(capped_server):
    srv = capped_server
    tree = psutil.Process(srv.process.pid).children(recursive=True)
    kernels = [p for p in tree if "ipykernel_launcher" in " ".join(p.cmdline())]
    assert kernels, "no kernel to stop"
    os.kill(srv.process.pid, signal.SIGTERM)  # the server only, not its process group
    srv.process.wait(timeout=30)
    gone, alive = psutil.wait_procs(tree, timeout=15)
    assert not alive, f"left running after SIGTERM: {[p.pid for p in alive]}"
    stop_server(srv.process)
