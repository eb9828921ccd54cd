"""Admission: a class arriving at once gets pages, not a server that collapses.

:func:`admit` wraps the render of every learner page (``GuardedVoilaHandler``):

- a module page with a ready preheated kernel nobody has claimed is rendered at once;
- otherwise the learner gets, at once, a short page in their language saying the module is
  opening (:func:`waiting_page`). It holds a ticket: its script reloads the page with the
  ticket at once, and the server holds that request, without blocking anything, until a
  kernel is ready for the ticket (first come, first served), then renders the module in the
  same response. Without JavaScript a refresh every few seconds does the same. Meanwhile the
  pool (:mod:`chwkit.serve.pool`) starts one kernel for each waiting learner;
- pages Voila starts a kernel for (assessments, forum sessions) wait the same way when the
  server is at its cap of live kernels (``--max-kernels``, Voila issue #617) or already
  starting as many kernels as it has cores;
- at the cap the waiting page says the server is full and still continues by itself when a
  kernel frees up; a page whose kernel never comes tells the learner to reload, in their
  language, after a bounded time, instead of a blank wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jinja2

from chwkit.core import paths
from chwkit.core.i18n import DEFAULT_LANG, LANGS, normalize_lang, t
from chwkit.serve.pool import ClassroomKernelManager, current_claim

TICKET_ARG = "chwkit_ticket"
HOLD_S = 15.0  # a held request returns the waiting page again after this long
TICKET_GRACE_S = 8.0  # a ticket not seen for this long has been abandoned
FAILED_AFTER_S = 90.0  # a learner waiting this long while kernels fail is told to reload
RENDER_LIMIT_S = 120.0  # a page still not rendered then is ended with a message
REFRESH_S = 3  # the no-script fallback's refresh

_pages = jinja2.Environment(
    loader=jinja2.FileSystemLoader(
        str(paths.package_dir() / "serve" / "share" / "chwkit" / "pages")
    ),
    autoescape=True,
)
_sequence = itertools.count()


@dataclass
class Ticket:
    id: str
    notebook: str
    seq: int
    issued: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    held: int = 0

    def alive(self, now: float) -> bool:
        return self.held > 0 or now - self.seen < TICKET_GRACE_S


class Door:
    """The queue of learners waiting for kernels, for one kernel manager."""

    def __init__(self, km: ClassroomKernelManager):
        self.km = km
        self.tickets: dict[str, Ticket] = {}
        self.fresh = 0  # pages whose kernel Voila is starting now
        self.admitted = 0
        self.waited = 0

    def queue(self, notebook: str) -> list[Ticket]:
        now = time.monotonic()
        for key in [k for k, v in self.tickets.items() if not v.alive(now)]:
            del self.tickets[key]
        return sorted(
            (v for v in self.tickets.values() if v.notebook == notebook), key=lambda v: v.seq
        )

    def issue(self, notebook: str) -> Ticket:
        ticket = Ticket(secrets.token_urlsafe(9), notebook, next(_sequence))
        self.tickets[ticket.id] = ticket
        self.waited += 1
        self._count(notebook)
        return ticket

    def find(self, ticket_id: str | None, notebook: str) -> Ticket | None:
        ticket = self.tickets.get(ticket_id or "")
        if ticket is not None and ticket.notebook == notebook:
            ticket.seen = time.monotonic()
            return ticket
        return None

    def _count(self, notebook: str) -> None:
        if self.km.pooled(notebook):
            self.km.set_waiting(notebook, len(self.queue(notebook)))

    def done(self, ticket: Ticket) -> None:
        self.tickets.pop(ticket.id, None)
        self._count(ticket.notebook)

    def fresh_limit(self) -> int:
        return max(1, self.km.fill_parallel or os.cpu_count() or 1)

    def may_enter(self, notebook: str, ticket: Ticket | None) -> bool:
        """Whether the holder of ``ticket`` (or a newcomer) may have a kernel now."""
        km = self.km
        if km.pooled(notebook):
            ahead = [v for v in self.queue(notebook) if ticket is None or v.seq < ticket.seq]
            return km.available(notebook) > len(ahead)
        if km.at_capacity() or self.fresh >= self.fresh_limit():
            return False
        ahead = [v for v in self.queue(notebook) if ticket is None or v.seq < ticket.seq]
        return not ahead

    async def hold(self, ticket: Ticket, timeout: float) -> bool:
        """Wait (without blocking anything) until the ticket's turn; False on timeout."""
        ticket.held += 1
        self._count(ticket.notebook)
        deadline = time.monotonic() + timeout
        try:
            while not self.may_enter(ticket.notebook, ticket):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.km.wake()
                async with self.km.changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.km.changed.wait(), min(remaining, 0.5))
            return True
        finally:
            ticket.held -= 1
            ticket.seen = time.monotonic()


def door_for(km: ClassroomKernelManager) -> Door:
    door = getattr(km, "_chwkit_door", None)
    if door is None:
        door = Door(km)
        km._chwkit_door = door
    return door


def handler_lang(handler) -> str:
    return normalize_lang(handler.get_query_argument("lang", "")) or DEFAULT_LANG


def next_url(handler, ticket: Ticket) -> str:
    args = {k: v[-1].decode("utf-8", "replace") for k, v in handler.request.query_arguments.items()}
    args[TICKET_ARG] = ticket.id
    return handler.request.path + "?" + urlencode(args)


def waiting_page(handler, ticket: Ticket, state: str = "opening") -> None:
    """The short page a learner gets at once when their kernel is not ready yet."""
    lang = handler_lang(handler)
    key = {"opening": "opening.message", "full": "opening.full", "failed": "opening.failed"}[state]
    messages = {code: t(key, code) for code in LANGS}
    handler.set_status(200)
    handler.set_header("Content-Type", "text/html; charset=UTF-8")
    handler.set_header("Cache-Control", "no-store")
    handler.finish(
        _pages.get_template("opening.html").render(
            lang=lang,
            langs=LANGS,
            t=t,
            messages=messages,
            state=state,
            next_url=next_url(handler, ticket),
            refresh_s=REFRESH_S if state != "failed" else 10,
            ticket=ticket.id,
        )
    )


def _state(door: Door, ticket: Ticket) -> str:
    km = door.km
    if km.at_capacity():
        return "full"
    waited = time.monotonic() - ticket.issued
    if waited > FAILED_AFTER_S and getattr(km, "failures", 0):
        return "failed"
    return "opening"


async def admit(handler, path: str, render) -> None:
    """Render ``path`` with ``render(path)`` when a kernel can serve it; else the waiting page."""
    km = handler.kernel_manager
    if not isinstance(km, ClassroomKernelManager):
        return await render(path)
    door = door_for(km)
    notebook = path
    pooled = km.pooled(notebook)
    ticket = door.find(handler.get_query_argument(TICKET_ARG, None), notebook)
    if ticket is None:
        if not door.may_enter(notebook, None):
            ticket = door.issue(notebook)
            return waiting_page(handler, ticket, _state(door, ticket))
    elif not await door.hold(ticket, HOLD_S):
        return waiting_page(handler, ticket, _state(door, ticket))
    if ticket is not None:
        door.done(ticket)
    claim = km.claim(notebook) if pooled else None
    if not pooled:
        door.fresh += 1
    door.admitted += 1
    km.page_started()
    token = current_claim.set(claim)
    try:
        await asyncio.wait_for(render(path), RENDER_LIMIT_S)
    except TimeoutError:
        _end_unfinished_page(handler)
    finally:
        current_claim.reset(token)
        if claim is not None:
            km.release(claim)
        if not pooled:
            door.fresh -= 1
        km.page_finished()


def _end_unfinished_page(handler) -> None:
    """A page whose kernel never answered: say so in the page's language, and end it."""
    km = handler.kernel_manager
    km.log.warning("chwkit: a page was not ready after %.0f s; the learner is told", RENDER_LIMIT_S)
    parts = "".join(
        f'<p lang="{code}" class="chwkit-bi">{t("opening.failed", code)}</p>' for code in LANGS
    )
    with contextlib.suppress(Exception):
        handler.write(
            '<div id="chwkit-failed" role="alert" class="chwkit-cell-error">' + parts + "</div>"
            "<script>var l=document.getElementById('loading');if(l){l.remove();}</script>"
        )
        handler.finish()
