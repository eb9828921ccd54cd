"""Where the project's content and its runtime data live.

Content (modules, forum sessions, the nbgrader course) lives in the repository.
Runtime state (gradebook, exchange, submissions, access codes, built dataset) lives in
one data directory: ``CHWKIT_HOME`` if set, else ``.chwkit/`` at the project root.
"""

from __future__ import annotations

import os
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
