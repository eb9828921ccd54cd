"""chwkit.core.request speaks Voila's visitor protocol without importing Voila's server side."""

import asyncio
import json
import subprocess
import sys
import threading

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

from chwkit.core import request as preheat


class QueryHandler(tornado.websocket.WebSocketHandler):
    """Voila's /voila/query/<kernel id>: one message, the visitor's request as JSON."""

    def open(self, kernel_id):
        self.application.settings["asked_for"].append(kernel_id)
        self.write_message(json.dumps({"QUERY_STRING": "lang=en", "SCRIPT_NAME": "/voila/"}))


@pytest.fixture
def voila_query_server():
    asked_for: list[str] = []
    ready = threading.Event()
    state = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application([(r"/voila/query/(.*)", QueryHandler)], asked_for=asked_for)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        tornado.httpserver.HTTPServer(app).add_sockets(sockets)
        state["port"] = sockets[0].getsockname()[1]
        state["loop"] = loop
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield state["port"], asked_for
    state["loop"].call_soon_threadsafe(state["loop"].stop)
    thread.join(10)


def test_a_preheated_kernel_receives_the_visitors_request(voila_query_server, monkeypatch):
    port, asked_for = voila_query_server
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-123")
    monkeypatch.setenv("VOILA_SERVER_URL", "/")
    monkeypatch.setenv("QUERY_STRING", "lang=es")  # what the kernel had when preheated
    preheat.wait_for_request()
    assert asked_for == ["k-123"]
    assert preheat.os.environ["QUERY_STRING"] == "lang=en"


def test_without_preheat_nothing_is_asked(voila_query_server, monkeypatch):
    port, asked_for = voila_query_server
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("VOILA_APP_PORT", str(port))
    preheat.wait_for_request()
    assert asked_for == []


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
