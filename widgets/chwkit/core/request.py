"""The visitor's request, as a kernel sees it: their query string and language, and waiting
for them in a preheated kernel, without importing Voila's server side.

``query()`` and ``page_lang()`` are the one place a kernel reads the page's query string
(``QUERY_STRING``, untrusted: unknown keys and languages are ignored).

Voila preheats kernels: it runs a page's notebook before anyone asks for it, and a notebook
that needs the visitor (their language, their query string) pauses in
``voila.utils.wait_for_request()`` until Voila hands the kernel to a request. Importing
``voila.utils`` pulls jupyter_server, jupyterlab_server and nbconvert into the learner's
kernel: measured on Voila 0.5.13, a module kernel held 101 MB with it and 57 MB without. This module speaks the same
small protocol (one message on ``voila/query/<kernel id>``, JSON of environment variables)
with tornado, which every IPython kernel has loaded already.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from urllib.parse import parse_qs

from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from chwkit.core.i18n import DEFAULT_LANG, normalize_lang

CONNECT_TIMEOUT_S = 5.0


def is_preheated() -> bool:
    """Whether this kernel was started ahead of its visitor."""
    return os.environ.get("VOILA_PREHEAT") == "True"


def query_url() -> str:
    """Voila's query websocket for this kernel, from the variables Voila gives the kernel."""
    protocol = os.environ.get("VOILA_WS_PROTOCOL", "ws")
    ip = os.environ.get("VOILA_APP_IP", "127.0.0.1")
    port = os.environ.get("VOILA_APP_PORT", "8866")
    base = os.environ.get("VOILA_WS_BASE_URL", os.environ.get("VOILA_SERVER_URL", "/"))
    return f"{protocol}://{ip}:{port}{base}voila/query/{os.environ.get('VOILA_KERNEL_ID', '')}"


async def _receive(url: str) -> str | None:
    connection = await websocket_connect(url, connect_timeout=CONNECT_TIMEOUT_S)
    try:
        return await connection.read_message()
    finally:
        connection.close()


def wait_for_request() -> None:
    """Block until Voila gives this kernel to a visitor; then their request is in os.environ.

    Does nothing in a kernel that was not preheated (its environment is already the
    visitor's). Runs in a thread with its own event loop: the kernel's loop is busy running
    the cell that called us.
    """
    if not is_preheated():
        return
    received: list[str | None] = []

    def run() -> None:
        try:
            received.append(asyncio.run(_receive(query_url())))
        except (OSError, TimeoutError, HTTPClientError):
            received.append(None)  # as Voila: no visitor info, the page keeps its defaults

    thread = threading.Thread(target=run, name="chwkit-wait-for-request")
    thread.start()
    thread.join()
    if received and received[0]:
        for key, value in json.loads(received[0]).items():
            os.environ[key] = value


def query(query_string: str | None = None) -> dict[str, str]:
    """The page's query values (first of each), from ``QUERY_STRING`` unless given."""
    if query_string is None:
        query_string = os.environ.get("QUERY_STRING", "")
    return {key: values[0] for key, values in parse_qs(query_string or "").items() if values}


def page_lang(query_string: str | None = None, default: str | None = DEFAULT_LANG) -> str | None:
    """The ``?lang=`` the visitor asked for if the kit speaks it, else ``default``."""
    return normalize_lang(query(query_string).get("lang", "")) or default
