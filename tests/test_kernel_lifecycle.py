"""Learner kernels come and go cleanly: a closed page frees its kernel, a lost one is said."""

import json
import time
import urllib.error
import urllib.request

import psutil
import pytest
from conftest import copy_project, start_jupyter_server, start_server, stop_server

from chwkit.learn.spec import discover

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
MODULES = discover()


def open_module(new_page, server, spec):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang=es")
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    return page, json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]


def kernel_pids(server, kernel_id: str) -> list[int]:
    found = []
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if any(kernel_id in part for part in child.cmdline()):
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


def process_ended(pid: int, seconds: float = 5.0) -> bool:
    """Whether the process is gone (or a zombie) within ``seconds``; it may end as we look."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def wait_until_gone(server, kernel_id: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while kernel_pids(server, kernel_id) and time.monotonic() < deadline:
        time.sleep(0.5)


def test_closing_the_page_shuts_its_kernel_down(new_page, server):
    """Voila's beforeunload beacon must be accepted (it posts the _xsrf cookie)."""
    page, kernel_id = open_module(new_page, server, MODULES[2])
    assert kernel_pids(server, kernel_id), "the page's kernel should be running"
    page.close(run_before_unload=True)
    wait_until_gone(server, kernel_id)
    assert not kernel_pids(server, kernel_id), "the closed page's kernel is still running"
    assert "'_xsrf' argument missing" not in server.log_text()


def test_a_lost_kernel_is_said_in_the_learners_language(new_page, server):
    """An idle cull shuts the kernel down under an open page: the learner is told to reload."""
    page, kernel_id = open_module(new_page, server, MODULES[1])
    assert page.locator("#chwkit-lost").count() == 0
    # What the culler does: the server shuts the kernel down.
    status = page.evaluate(
        """async (id) => {
            const xsrf = (document.cookie.match('\\\\b_xsrf=([^;]*)\\\\b') || [])[1] || '';
            const body = new FormData(); body.append('_xsrf', xsrf);
            const r = await fetch(`/voila/api/shutdown/${id}`, {method: 'POST', body});
            return r.status;
        }""",
        kernel_id,
    )
    assert status == 204
    # The learner comes back to the page (a phone picked up again).
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    lost = page.locator("#chwkit-lost")
    lost.wait_for(state="visible", timeout=TIMEOUT)
    assert lost.inner_text() == "Se perdió la conexión. Vuelva a cargar la página."
    lost.click()  # reloads: a new kernel, the questions work again
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    assert page.locator("#chwkit-lost").count() == 0


def kernel_known(server, kernel_id: str) -> bool:
    """Whether the server still has the kernel (its REST model), as the page would ask."""
    request = urllib.request.Request(
        f"{server.url}api/kernels/{kernel_id}", headers=server.headers()
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise


CULL_MINUTES = 0.1  # 6 s: the server checks every 3 s


@pytest.fixture(params=["chwkit serve", "jupyter server"])
def culling_server(request, tmp_path):
    """A server of each mode told, through the kit's option, to cull after a few seconds."""
    root = copy_project(tmp_path / "project")
    option = f"--cull-idle-minutes={CULL_MINUTES}"
    if request.param == "chwkit serve":
        srv = start_server(root, tmp_path / "home", ("--no-preheat", option))
    else:
        srv = start_jupyter_server(
            root,
            tmp_path / "home",
            args=(f"--ChwkitConfiguration.cull_idle_minutes={CULL_MINUTES}",),
        )
    yield srv
    stop_server(srv.process)


def test_an_idle_kernel_is_culled_under_an_open_page_and_the_learner_is_told(
    new_page, culling_server
):
    server = culling_server
    page = new_page(viewport={"width": 390, "height": 844})
    token = f"&token={server.token}" if server.token else ""
    spec = MODULES[0]
    page.goto(
        server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang=es{token}"
    )
    page.wait_for_selector(".chwkit-question input", timeout=TIMEOUT)
    kernel_id = json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]
    assert kernel_known(server, kernel_id)
    pids = kernel_pids(server, kernel_id)
    started = time.monotonic()
    deadline = started + 60
    while kernel_known(server, kernel_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    waited = time.monotonic() - started
    assert not kernel_known(server, kernel_id), "the idle kernel was not culled within a minute"
    assert waited >= CULL_MINUTES * 60 - 2, f"culled after {waited:.1f} s: before it was idle"
    for pid in pids:  # the process itself, not only the server's record of it
        assert process_ended(pid), f"the culled kernel's process {pid} still runs"
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    lost = page.locator("#chwkit-lost")
    lost.wait_for(state="visible", timeout=TIMEOUT)
    assert lost.inner_text() == "Se perdió la conexión. Vuelva a cargar la página."
