"""The records client a learner's kernel uses: who the learner is, and where to send events.

The server tells the kernel who the learner is in the request it passes it (Voila hands a
kernel its visitor's request as environment variables, also to a preheated kernel once the
visitor arrives): ``HTTP_X_CHWKIT_LEARNER`` (the pseudonymous id, for the page to show) and
``HTTP_X_CHWKIT_RECORDS`` (a token the server signed for this sign-in session). The server
strips those headers from what the browser sends, so a browser cannot name a learner. The
kernel sends its events back to the server's records API (``CHWKIT_RECORDS_URL``, set by the
server for its kernels) with that token; only the server writes the records.

Kept import-light (the standard library only): every module kernel imports it. Without a
server (nbval, a notebook run by hand) there is no token: the client records nothing and
the page works as for an anonymous visitor. Tests give a client a local transport that
writes into a store in the same process.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

from chwkit.core.log import kernel_log

# Request headers the server sets for a page's kernel (never the browser's: it strips them),
# which Voila passes to the kernel as HTTP_X_CHWKIT_... variables.
LEARNER_HEADER = "X-Chwkit-Learner"
TOKEN_HEADER = "X-Chwkit-Records"
SIGN_IN_HEADER = "X-Chwkit-Sign-In"
KERNEL_HEADERS = (LEARNER_HEADER, TOKEN_HEADER, SIGN_IN_HEADER)
LEARNER_ENV = "HTTP_X_CHWKIT_LEARNER"
TOKEN_ENV = "HTTP_X_CHWKIT_RECORDS"
SIGN_IN_ENV = "HTTP_X_CHWKIT_SIGN_IN"
URL_ENV = "CHWKIT_RECORDS_URL"
# The records database the server uses (its db_url, set by the server for its kernels): the
# supervisor's dashboard reads the same store, never a SQLite file of its own beside it.
DB_URL_ENV = "CHWKIT_DB_URL"
TIMEOUT_S = 5.0

log = kernel_log(__name__)

# (path, payload, timeout) -> the server's JSON answer, or None when it could not be reached
Transport = Callable[[str, dict, float], dict | None]


def http_transport(base_url: str, token: str) -> Transport:
    def call(path: str, payload: dict, timeout: float) -> dict | None:
        body = json.dumps({**payload, "token": token}).encode("utf-8")
        req = urllib.request.Request(
            base_url.rstrip("/") + "/" + path,
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("records: %s failed: %s", path, exc)
            return None

    return call


class RecordsClient:
    """Sends a page's events to the records, in order, without holding up the page."""

    def __init__(
        self, learner: str | None, transport: Transport | None, sign_in_url: str | None = None
    ):
        self.learner = learner if transport is not None else None
        self.transport = transport if learner else None
        self.sign_in_url = sign_in_url
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_env(cls) -> RecordsClient:
        """The client for the visitor of this kernel's page (read after ``wait_for_request``)."""
        learner = os.environ.get(LEARNER_ENV) or None
        token = os.environ.get(TOKEN_ENV) or None
        url = os.environ.get(URL_ENV) or None
        sign_in = os.environ.get(SIGN_IN_ENV) or None
        transport = http_transport(url, token) if (learner and token and url) else None
        return cls(learner, transport, sign_in)

    @property
    def signed_in(self) -> bool:
        return self.learner is not None

    def call(self, path: str, payload: dict, timeout: float = TIMEOUT_S) -> dict | None:
        """One request to the records API, now (None if signed out or unreachable)."""
        if self.transport is None:
            return None
        return self.transport(path, payload, timeout)

    def send(
        self, events: list[dict], on_reply: Callable[[dict | None], None] | None = None
    ) -> None:
        """Queue ``events``; a background thread sends them in order (then ``on_reply``)."""
        if self.transport is None:
            return
        self._queue.put((events, on_reply))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="chwkit-records", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            events, on_reply = self._queue.get()
            try:
                reply = self.call("records", {"events": events})
                if on_reply is not None:
                    on_reply(reply)
            except Exception:  # a page's callback: never let it stop the sender
                log.exception("records: handling the reply failed")
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued event was sent (or failed)."""
        if self._thread is not None:
            self._queue.join()

    def send_at_exit(self, events: Callable[[], list[dict]]) -> None:
        """Send ``events()`` when the kernel shuts down (the page was closed or culled)."""
        if self.transport is None:
            return

        def leave() -> None:
            self.flush()
            self.call("records", {"events": events()}, timeout=2.0)

        atexit.register(leave)
