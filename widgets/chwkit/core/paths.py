"""Where the project's content and its runtime data live.

Content (modules, forum sessions, the nbgrader course) lives in the repository.
Runtime state (gradebook, exchange, submissions, access codes, built dataset) lives in
one data directory: ``CHWKIT_HOME`` if set, else ``.chwkit/`` at the project root.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def package_dir() -> Path:
    return _PACKAGE_DIR


def project_root() -> Path:
    """The project folder: ``CHWKIT_ROOT`` if set, else the repository holding this package."""
    env = os.environ.get("CHWKIT_ROOT")
    if env:
        return Path(env).resolve()
    candidate = _PACKAGE_DIR.parent.parent
    if (candidate / "notebooks").is_dir():
        return candidate
    return Path.cwd().resolve()


def data_dir(create: bool = True) -> Path:
    """The runtime data directory; created on first use."""
    env = os.environ.get("CHWKIT_HOME")
    path = Path(env).resolve() if env else project_root() / ".chwkit"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def modules_dir() -> Path:
    return project_root() / "notebooks" / "modules"


def forum_dir() -> Path:
    return project_root() / "forum_sessions"


def assessments_dir() -> Path:
    return project_root() / "assessments"


def share_dir() -> Path:
    """The kit's Jupyter data folder (holds the Voila template)."""
    return _PACKAGE_DIR / "serve" / "share" / "jupyter"


@contextlib.contextmanager
def project_env(root: Path | None = None, home: Path | None = None) -> Iterator[None]:
    """Point the kit at another project folder (``CHWKIT_ROOT``) and data directory
    (``CHWKIT_HOME``) for the ``with`` block, and restore both after it."""
    saved = {key: os.environ.get(key) for key in ("CHWKIT_ROOT", "CHWKIT_HOME")}
    if root is not None:
        os.environ["CHWKIT_ROOT"] = str(root)
    if home is not None:
        os.environ["CHWKIT_HOME"] = str(home)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
