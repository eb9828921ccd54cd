"""The kit's log inside a learner kernel: to the server's log, never to the browser.

ipykernel replaces ``sys.stderr`` with a stream it publishes to the page, so a traceback
printed there would show a learner server paths and Python's words. ``kernel_log`` writes to
the kernel process's own stderr (``sys.__stderr__``), which the server's log receives.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "[chwkit %(asctime)s %(levelname)s %(name)s] %(message)s"


def kernel_log(name: str) -> logging.Logger:
    """A logger under ``chwkit`` whose records reach the server's log only."""
    root = logging.getLogger("chwkit")
    if not any(getattr(h, "_chwkit", False) for h in root.handlers):
        stream = sys.__stderr__
        handler = logging.StreamHandler(stream) if stream is not None else logging.NullHandler()
        handler._chwkit = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False  # not through the root logger, whatever the kernel set up there
    return logging.getLogger(name if name.startswith("chwkit") else f"chwkit.{name}")
