"""Preheated kernels: the kernel side of Voila's visitor protocol, against Voila's own handler,
and a real preheated page proven to have used a kernel started before its visitor came.

``chwkit.core.request`` speaks Voila's protocol (one message on ``voila/query/<kernel id>``)
without importing Voila's server side; here the other end is Voila's real
``RequestInfoSocketHandler``, fed as Voila's render handler feeds it (``send_updates``).
"""

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid

import psutil
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from voila.request_info_handler import RequestInfoSocketHandler

from chwkit.core import request as preheat
from chwkit.learn.spec import discover

TIMEOUT = 90_000
# The route Voila registers when it preheats (voila.app.Voila.init_handlers).
QUERY_ROUTE = r"/voila/query/(?P<kernel_id>\w+-\w+-\w+-\w+-\w+)"


@pytest.fixture
def voila_query_server():
    """Voila's own query handler on a loopback port; yields (port, send) where ``send(kernel
    id, request)`` is what Voila's render handler does when a visitor takes that kernel."""
    ready = threading.Event()
    state = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application([(QUERY_ROUTE, RequestInfoSocketHandler)])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        tornado.httpserver.HTTPServer(app).add_sockets(sockets)
        state["port"] = sockets[0].getsockname()[1]
        state["loop"] = loop
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)

    def send(kernel_id: str, payload: dict) -> None:
        state["loop"].call_soon_threadsafe(
            RequestInfoSocketHandler.send_updates, {"kernel_id": kernel_id, "payload": payload}
        )

    yield state["port"], send
    state["loop"].call_soon_threadsafe(state["loop"].stop)
    thread.join(10)


@pytest.fixture
def preheated_kernel_env(voila_query_server, monkeypatch):
    port, send = voila_query_server
    kernel_id = str(uuid.uuid4())
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_KERNEL_ID", kernel_id)
    monkeypatch.setenv("VOILA_SERVER_URL", "/")
    monkeypatch.delenv("VOILA_WS_BASE_URL", raising=False)
    monkeypatch.setenv("QUERY_STRING", "lang=es")  # what the kernel had when preheated
    return kernel_id, send


def test_a_kernel_waiting_for_its_visitor_gets_their_request(preheated_kernel_env):
    kernel_id, send = preheated_kernel_env
    waiting = threading.Thread(target=preheat.wait_for_request)
    waiting.start()
    deadline = time.monotonic() + 10
    while kernel_id not in RequestInfoSocketHandler._waiters and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kernel_id in RequestInfoSocketHandler._waiters, "the kernel never asked Voila"
    send(kernel_id, {"QUERY_STRING": "lang=en&a=chw_role_check", "SCRIPT_NAME": "/voila/"})
    waiting.join(10)
    assert not waiting.is_alive()
    assert preheat.os.environ["QUERY_STRING"] == "lang=en&a=chw_role_check"
    assert preheat.page_lang() == "en"


def test_a_visitor_who_came_first_is_kept_for_the_kernel(preheated_kernel_env):
    """Voila caches a request whose kernel has not asked yet (still running its notebook)."""
    kernel_id, send = preheated_kernel_env
    send(kernel_id, {"QUERY_STRING": "lang=en"})
    deadline = time.monotonic() + 10
    while kernel_id not in RequestInfoSocketHandler._cache and time.monotonic() < deadline:
        time.sleep(0.05)
    preheat.wait_for_request()
    assert preheat.os.environ["QUERY_STRING"] == "lang=en"


def test_without_preheat_nothing_is_asked(voila_query_server, monkeypatch):
    port, _send = voila_query_server
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_KERNEL_ID", "not-asked")
    before = dict(RequestInfoSocketHandler._waiters)
    preheat.wait_for_request()
    assert RequestInfoSocketHandler._waiters == before


def test_no_server_keeps_the_page_defaults(monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", "1")  # nothing listens there
    monkeypatch.setenv("QUERY_STRING", "lang=es")
    preheat.wait_for_request()  # refused: no exception, nothing changed
    assert preheat.os.environ["QUERY_STRING"] == "lang=es"


def test_a_module_kernel_does_not_load_voilas_server_side():
    """About 44 MB of jupyter_server, jupyterlab_server and nbconvert per kernel otherwise."""
    code = (
        "import sys; from chwkit.learn.page import Module; from chwkit.forum import Recorder;"
        "from chwkit.assess.page import AssessmentPage;"
        "print(sorted(m for m in ('voila', 'jupyter_server', 'nbconvert') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def kernels_in(server, folder) -> dict[int, float]:
    """Kernel processes of ``server`` working in ``folder``: pid -> start time."""
    found = {}
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if child.cwd() == str(folder) and any("kernel" in p for p in child.cmdline()):
                found[child.pid] = child.create_time()
        except psutil.Error:
            continue
    return found


def pid_of(server, kernel_id: str) -> int:
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if any(kernel_id in part for part in child.cmdline()):
                return child.pid
        except psutil.Error:
            continue
    raise AssertionError(f"no process for kernel {kernel_id}")


@pytest.mark.browser
def test_a_module_page_is_served_by_the_kernel_preheated_for_it(new_page, server):
    """The page's kernel is the process started for the module before the visitor came, not
    one started for the request."""
    spec = discover()[-1]
    folder = server.root / "notebooks" / "modules" / spec.id
    deadline = time.monotonic() + 120
    pooled: dict[int, float] = {}
    # A pooled kernel that has run its notebook for a few seconds (started, not starting).
    while time.monotonic() < deadline:
        pooled = {p: t for p, t in kernels_in(server, folder).items() if time.time() - t > 3}
        if pooled:
            break
        time.sleep(0.5)
    assert pooled, f"no kernel was preheated for {spec.id}"
    visit = time.time()
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url + f"voila/render/notebooks/modules/{spec.id}/{spec.id}.ipynb?lang=en")
    page.get_by_role("button", name="Check my answer").first.wait_for(timeout=TIMEOUT)
    kernel_id = json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]
    pid = pid_of(server, kernel_id)
    assert pid in pooled, "the page's kernel was started for the request, not taken from the pool"
    assert pooled[pid] < visit
    # ... and the visitor's ?lang= still reached it (it ran the notebook in the default one).
    assert page.get_by_role("button", name="Revisar mi respuesta").count() == 0
