"""Demo data for a newcomer's ``make demo``: the whole kit, in a folder of its own.

``prepare(folder)`` makes, in ``folder`` (``.chwkit-demo/`` by default, git-ignored):

- ``project/``: the project's content folders (linked, so edits show at once) with a
  ``forum_sessions/`` of its own holding one demo forum session;
- ``data/``: a demo data directory (CHWKIT_HOME) with one released assessment (nbgrader's
  own ``generate_assignment``), two demo learners and one demo facilitator in the roster.

It uses the kit's own code for each (the roster, nbgrader's release, ``forum new``'s
session writer). Access codes are stored only hashed, so each ``prepare`` issues the demo
people new ones, to print beside the address. A folder that holds anything but demo data is
refused: demo data never goes into a program's data directory, and ``chwkit serve`` never
calls this module.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

from chwkit.core import paths

MARKER = "CHWKIT-DEMO.txt"
LINKED = ("notebooks", "assessments")
ASSESSMENT = "chw_role_check"
LEARNERS = (("demo-learner-1", "Ana (demo)"), ("demo-learner-2", "Luis (demo)"))
FACILITATOR = ("demo-facilitator", "Rosa (demo)")
FORUM_SITE = "demo"
FORUM_TOPIC = "Demostración: barreras para usar la cobertura de salud"


class DemoError(ValueError):
    """The demo cannot be set up there; the message says why and what to do."""


@dataclass
class DemoSite:
    folder: Path
    root: Path
    home: Path
    assessment: str
    forum_session: Path
    codes: list[tuple[str, str, str]] = field(default_factory=list)  # (role, id, code)

    def activate(self) -> None:
        """Point this process (and the server it starts) at the demo."""
        os.environ["CHWKIT_ROOT"] = str(self.root)
        os.environ["CHWKIT_HOME"] = str(self.home)

    def announcement(self) -> tuple[str, ...]:
        """Lines printed beside the server's address."""
        lines = [
            f"chwkit demo: DEMO DATA ONLY, kept in {self.folder} (not a program's records).",
            f"chwkit demo: assessment {self.assessment} is released; forum session "
            f"{self.forum_session.stem}; demo access codes:",
        ]
        lines += [f"  {role:<12} {pid:<18} {code}" for role, pid, code in self.codes]
        return tuple(lines)


def default_dir() -> Path:
    return paths.project_root() / ".chwkit-demo"


def _claim(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.exists():
        if any(folder.iterdir()):
            raise DemoError(
                f"{folder} is not empty and holds no demo: choose another folder (--dir)"
            )
        marker.write_text(
            "Demo data made by `chwkit demo` (make demo): invented people and records.\n"
            "Delete this folder to start the demo afresh.\n",
            encoding="utf-8",
        )


def _project(folder: Path, content: Path) -> Path:
    root = folder / "project"
    root.mkdir(exist_ok=True)
    for name in LINKED:
        link = root / name
        if not link.is_symlink():
            link.symlink_to(content / name, target_is_directory=True)
    sessions = root / "forum_sessions"
    sessions.mkdir(exist_ok=True)
    template = sessions / "_template.ipynb"
    if not template.is_symlink():
        template.symlink_to(content / "forum_sessions" / "_template.ipynb")
    return root


def _release(assignment: str) -> None:

    from chwkit.assess import course

    source = course.source_dir() / assignment / f"{assignment}.ipynb"
    release = course.release_notebook(assignment)
    if release.exists() and release.stat().st_mtime >= source.stat().st_mtime:
        return
    try:
        course.release([assignment])
    except course.CourseError as exc:
        raise DemoError(str(exc)) from None


def _issue(person_id: str, role: str, name: str) -> str:
    """A fresh code for a demo person (added to the roster, and the gradebook, the first time)."""
    from chwkit.assess import roster, roster_cli

    if roster.get(person_id) is not None:
        return roster.reset_code(person_id)
    if role == "learner":
        roster_cli._gradebook_add([(person_id, name)])
    return roster.add(person_id, role=role, name=name)


def _forum_session(root: Path, facilitator: str) -> Path:
    from chwkit.forum.model import make_session
    from chwkit.forum.session import new_session

    folder = root / "forum_sessions"
    existing = sorted(folder.glob(f"*_{FORUM_SITE}.ipynb"))
    if existing:
        return existing[-1]
    session = make_session(datetime.date.today().isoformat(), FORUM_SITE, FORUM_TOPIC, facilitator)
    return new_session(session, folder)


def prepare(folder: Path, content: Path | None = None) -> DemoSite:
    """Set the demo up in ``folder`` (again: it keeps what it made, with new codes)."""
    folder = Path(folder).resolve()
    content = Path(content or paths.project_root()).resolve()
    _claim(folder)
    root = _project(folder, content)
    home = folder / "data"
    home.mkdir(exist_ok=True)
    with paths.project_env(root, home):
        from chwkit.assess import course

        assignment = ASSESSMENT if ASSESSMENT in course.assignments() else course.assignments()[0]
        _release(assignment)
        codes = [("learner", pid, _issue(pid, "learner", name)) for pid, name in LEARNERS]
        facilitator, name = FACILITATOR
        codes.append(("facilitator", facilitator, _issue(facilitator, "facilitator", name)))
        session = _forum_session(root, facilitator)
    return DemoSite(folder, root, home, assignment, session, codes)
