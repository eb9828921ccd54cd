"""Who came to which forum session, by roster id, as the learner records count it.

The facilitator ticks who came in the recorder (``chwkit.forum.recorder``); the ticks are kept
in the session notebook's metadata (``chwkit.forum.session.set_present``): the notebook stays
the session's one record. The records read them from there:

- each roster member ticked present took part in the session (participation);
- and is credited the session's hours (its ``hours`` parameter; 1.5 h when it gives none,
  ``chwkit.forum.model.DEFAULT_SESSION_HOURS``), in the year of the session's date, beside
  the hours of the modules they completed.

The forum dataset never holds these ids (it is pseudonymous): its sessions table has only the
count (``roster_attendees``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from chwkit.core import paths
from chwkit.forum.session import TEMPLATE_NAME, read_session_file


@dataclass(frozen=True)
class Attended:
    """One session a learner was ticked present at."""

    session_id: str
    date: dt.date
    session_type: str
    hours: float
    group: str | None


def session_files(folder: Path | None = None) -> list[Path]:
    folder = Path(folder or paths.forum_dir())
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.glob("*.ipynb")
        if p.name != TEMPLATE_NAME and not p.name.startswith((".", "_"))
    )


def by_learner(folder: Path | None = None) -> dict[str, list[Attended]]:
    """Roster id -> the sessions they were ticked present at, oldest first. Session files
    that cannot be read count for nobody (``chwkit forum build`` reports them)."""
    found: dict[str, list[Attended]] = {}
    for path in session_files(folder):
        record = read_session_file(path)
        s = record.session
        if s is None or not record.present:
            continue
        seen = Attended(
            s.id, dt.date.fromisoformat(s.date), s.session_type, s.credited_hours, s.group
        )
        for learner in record.present:
            found.setdefault(learner, []).append(seen)
    for sessions in found.values():
        sessions.sort(key=lambda a: (a.date, a.session_id))
    return found


def in_year(sessions: list[Attended], year: int) -> list[Attended]:
    return [a for a in sessions if a.date.year == year]
