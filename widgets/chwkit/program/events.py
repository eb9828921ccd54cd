"""What a learner's page reports, checked before anything is recorded.

A module page sends small events: the page was opened, a practice question was tried (right
or not: never the text typed), the page was left. The server checks every field against the
module files (the module and question must exist, a visit id is a short token) and records
a batch in one transaction; anything malformed refuses the whole batch and writes nothing.
"""

from __future__ import annotations

import re

from chwkit.program import mastery
from chwkit.program.store import RecordsStore

KINDS = ("opened", "attempt", "left")
VISIT = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_EVENTS = 50


class EventError(ValueError):
    """A batch of events is malformed; nothing of it is recorded."""


def validate(events: object) -> list[dict]:
    if not isinstance(events, list) or not 0 < len(events) <= MAX_EVENTS:
        raise EventError(f"expected a list of 1 to {MAX_EVENTS} events")
    clean = []
    for event in events:
        if not isinstance(event, dict):
            raise EventError("an event must be an object")
        kind, module, visit = event.get("kind"), event.get("module"), event.get("visit")
        if kind not in KINDS:
            raise EventError(f"unknown event kind {kind!r}")
        if not isinstance(visit, str) or not VISIT.fullmatch(visit):
            raise EventError("a visit id is 8 to 40 letters, digits, '-' or '_'")
        questions = mastery.questions_of(module) if isinstance(module, str) else None
        if questions is None:
            raise EventError(f"no module {str(module)[:64]!r}")
        out = {"kind": kind, "module": module, "visit": visit}
        if kind == "attempt":
            question, right = event.get("question"), event.get("right")
            if question not in questions:
                raise EventError(f"module {module} has no practice question {str(question)[:32]!r}")
            if not isinstance(right, bool):
                raise EventError("right must be true or false")
            out.update(question=question, right=right)
        clean.append(out)
    return clean


def record(store: RecordsStore, learner: str, events: object) -> list[str]:
    """Validate and record ``events`` of ``learner``; the modules they completed."""
    return store.record_events(learner, validate(events), completion=mastery.completed)
