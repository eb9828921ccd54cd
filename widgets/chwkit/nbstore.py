"""Write a widget's data into a notebook file, atomically and under a lock.

One small mechanism for the submission writer and the forum recorder (DESIGN.md):
- a lock file beside the notebook serialises writers across processes;
- the new notebook is written to a temporary file in the same folder, flushed and fsynced,
  then renamed over the old one, so a reader (or a crash at any moment) sees either the
  old notebook or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
from filelock import FileLock

LOCK_TIMEOUT_S = 30.0


class NotebookStoreError(RuntimeError):
    """A notebook could not be read or written."""


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook (version 4), raising NotebookStoreError with the file name on failure."""
    path = Path(path)
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:  # json errors are ValueErrors
        raise NotebookStoreError(f"{path}: cannot read notebook: {exc}") from exc


def write_atomic(path: Path, nb: nbformat.NotebookNode) -> None:
    """Replace ``path`` with ``nb`` in one rename; the caller holds the lock if needed."""
    path = Path(path)
    text = nbformat.writes(nb, version=4)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if not text.endswith("\n"):
                handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # Make the rename itself durable.
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def editing(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[nbformat.NotebookNode]:
    """Lock ``path``, yield its notebook for changes, then write it back atomically.

    If the body raises, nothing is written.
    """
    path = Path(path)
    with FileLock(str(lock_path(path)), timeout=timeout):
        nb = read(path)
        yield nb
        write_atomic(path, nb)
