"""The roster: who may sign in, with which access code.

Learners and facilitators are known by a pseudonymous id (``p017``, ``sfccc-04``); a name is
optional. Each person gets an access code such as ``K7QF-9XM2-HT4P``. The code is shown once,
when it is issued, and stored only hashed:

- the first block is a *selector*, stored in clear, so a code can be looked up without
  trying every hash;
- the rest is the *verifier*, stored as a salted scrypt hash.

People belong to groups (a cohort, "Grupo 4 – Sierra", "Supervisores"), each led by one
facilitator or supervisor. A person's entry lists its group ids (``"groups"``, left out when
there are none); the file's top-level ``"groups"`` maps each group id to its display name and
its facilitator. Both keys are optional, so rosters written before groups existed read as they
are, and code that only reads ``"people"`` still works.

The roster file lives in the data directory (``<data>/roster.json``), written atomically
under a lock. Learners are also entered in nbgrader's gradebook by ``chwkit roster`` (see
``roster_cli``); this module stays import-light because learner kernels call ``verify_code``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from chwkit.core import atomic, paths

ROLES: tuple[str, ...] = ("learner", "facilitator")
# No 0/O, 1/I/L, U/V: easy to read aloud and to type on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
SELECTOR_LEN = 4
VERIFIER_LEN = 8
PERSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MAX_NAME_CHARS = 120
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class RosterError(ValueError):
    """A roster operation cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Person:
    id: str
    role: str
    name: str | None = None


@dataclass(frozen=True)
class Group:
    """A group of people learning together, led by one facilitator or supervisor."""

    id: str
    name: str | None = None
    facilitator: str | None = None
    members: tuple[str, ...] = ()


def roster_path() -> Path:
    return paths.data_dir() / "roster.json"


def validate_id(value: object) -> str:
    """Return ``value`` if it is a safe pseudonymous id, else raise RosterError.

    Ids become folder names in nbgrader's course (``submitted/<id>/``), so nothing path-like
    (``../x``, ``a/b``, ``.hidden``) is accepted.
    """
    if not isinstance(value, str) or not PERSON_ID.fullmatch(value):
        raise RosterError(
            f"invalid id {value!r}: use 1-64 letters, digits, '-' or '_', starting with a "
            "letter or digit (no spaces, dots or slashes)"
        )
    return value


def validate_group_id(value: object) -> str:
    """Return ``value`` if it can be a group id (the same rule as a person's id)."""
    if not isinstance(value, str) or not PERSON_ID.fullmatch(value):
        raise RosterError(
            f"invalid group id {value!r}: use 1-64 letters, digits, '-' or '_', starting with "
            "a letter or digit (for example g4-sierra); give it a display name with "
            "'chwkit roster group ID --name ...'"
        )
    return value


def validate_name(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RosterError("a name must be text")
    name = " ".join(value.split())
    if len(name) > MAX_NAME_CHARS:
        raise RosterError(f"a name has at most {MAX_NAME_CHARS} characters")
    if any(ord(ch) < 32 for ch in name):
        raise RosterError("a name cannot hold control characters")
    return name or None


def normalize_code(code: object) -> str | None:
    """``" k7qf 9xm2-ht4p "`` -> ``"K7QF9XM2HT4P"``; None if it cannot be a code."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    compact = re.sub(r"[\s\-]+", "", code).upper()
    if len(compact) != SELECTOR_LEN + VERIFIER_LEN or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def format_code(compact: str) -> str:
    return "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _hash(verifier: str, salt: bytes) -> bytes:
    return hashlib.scrypt(verifier.encode("ascii"), salt=salt, **_SCRYPT)


def _new_code(taken_selectors: set[str]) -> tuple[str, str]:
    while True:
        compact = "".join(secrets.choice(ALPHABET) for _ in range(SELECTOR_LEN + VERIFIER_LEN))
        selector = compact[:SELECTOR_LEN]
        if selector not in taken_selectors:
            return selector, compact


# -- the roster file ---------------------------------------------------------------------------
def _empty() -> dict:
    return {"version": 1, "people": {}}


def load() -> dict:
    path = roster_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty()
    except (OSError, ValueError) as exc:
        raise RosterError(f"{path}: cannot read the roster: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("people"), dict):
        raise RosterError(f"{path}: not a chwkit roster")
    if not isinstance(data.get("groups", {}), dict):
        raise RosterError(f"{path}: its groups are not a mapping; not a chwkit roster")
    return data


def _write(data: dict) -> None:
    atomic.write_json(roster_path(), data, mode=0o600, sort_keys=True, ensure_ascii=True)


@contextlib.contextmanager
def _editing() -> Iterator[dict]:
    path = roster_path()
    with FileLock(str(path.with_name(".roster.json.lock")), timeout=30):
        data = load()
        yield data
        _write(data)


def _issue(entry: dict, taken: set[str]) -> str:
    selector, compact = _new_code(taken)
    salt = secrets.token_bytes(16)
    entry.update(
        selector=selector,
        salt=salt.hex(),
        hash=_hash(compact[SELECTOR_LEN:], salt).hex(),
        issued=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return format_code(compact)


def _group_ids(values: object) -> list[str]:
    if isinstance(values, str):
        values = [values]
    return sorted({validate_group_id(v) for v in values or ()})


def _set_groups(entry: dict, group_ids: list[str]) -> None:
    if group_ids:
        entry["groups"] = group_ids
    else:
        entry.pop("groups", None)


def _lead(data: dict, person_id: str, group_ids: list[str]) -> None:
    """Make ``person_id`` the facilitator of each group, refusing to replace another one."""
    table = data.setdefault("groups", {})
    for gid in group_ids:
        current = table.get(gid, {}).get("facilitator")
        if current not in (None, person_id):
            raise RosterError(
                f"group {gid} is already led by {current}; change it with "
                f"'chwkit roster group {gid} --facilitator {person_id}'"
            )
        table.setdefault(gid, {"name": None, "facilitator": None})["facilitator"] = person_id


# -- public API ---------------------------------------------------------------------------------
def add(
    person_id: str,
    role: str = "learner",
    name: str | None = None,
    groups: tuple[str, ...] | list[str] = (),
    leads: tuple[str, ...] | list[str] = (),
) -> str:
    """Add a person and return their new access code (shown once, never stored in clear).

    ``groups``: the groups they belong to; ``leads``: the groups they facilitate or supervise.
    """
    person_id = validate_id(person_id)
    if role not in ROLES:
        raise RosterError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = validate_name(name)
    member_of, leading = _group_ids(groups), _group_ids(leads)
    with _editing() as data:
        people = data["people"]
        if person_id in people:
            raise RosterError(f"{person_id} is already in the roster; use reset-code")
        entry = {"role": role, "name": name}
        _set_groups(entry, member_of)
        table = data.setdefault("groups", {})
        for gid in member_of:
            table.setdefault(gid, {"name": None, "facilitator": None})
        _lead(data, person_id, leading)
        code = _issue(entry, {p.get("selector") for p in people.values()})
        people[person_id] = entry
    return code


def _group_from(data: dict, gid: str) -> Group:
    info = data.get("groups", {}).get(gid) or {}
    members = tuple(
        pid for pid, entry in sorted(data["people"].items()) if gid in entry.get("groups", ())
    )
    return Group(gid, info.get("name"), info.get("facilitator"), members)


def groups() -> list[Group]:
    """Every group, by id: those with a name or facilitator and those named only by members."""
    data = load()
    ids = set(data.get("groups", {}))
    for entry in data["people"].values():
        ids.update(entry.get("groups", ()))
    return [_group_from(data, gid) for gid in sorted(ids)]


def group(group_id: str) -> Group | None:
    return next((g for g in groups() if g.id == group_id), None)


def groups_of(person_id: str) -> tuple[str, ...]:
    """The groups ``person_id`` belongs to (not those they lead)."""
    entry = load()["people"].get(person_id) or {}
    return tuple(entry.get("groups", ()))


def members(group_id: str) -> list[Person]:
    """The people in ``group_id``, by id (its facilitator only if they are also a member)."""
    data = load()
    return [
        Person(id=pid, role=entry.get("role", "learner"), name=entry.get("name"))
        for pid, entry in sorted(data["people"].items())
        if group_id in entry.get("groups", ())
    ]


_KEEP = object()


def set_group(
    group_id: str,
    *,
    name: object = _KEEP,
    facilitator: object = _KEEP,
    join: tuple[str, ...] | list[str] = (),
    leave: tuple[str, ...] | list[str] = (),
) -> Group:
    """Create or change a group: its display name, its facilitator (a person in the roster, or
    None for none), and who joins or leaves it. Everything is checked before anything is
    written."""
    gid = validate_group_id(group_id)
    with _editing() as data:
        people = data["people"]
        for pid in [*join, *leave]:
            if pid not in people:
                raise RosterError(f"{pid} is not in the roster; add them first")
        if facilitator not in (_KEEP, None) and facilitator not in people:
            raise RosterError(f"{facilitator} is not in the roster; add them first")
        info = data.setdefault("groups", {}).setdefault(gid, {"name": None, "facilitator": None})
        if name is not _KEEP:
            info["name"] = validate_name(name)
        if facilitator is not _KEEP:
            info["facilitator"] = facilitator
        for pid in join:
            _set_groups(people[pid], sorted({*people[pid].get("groups", ()), gid}))
        for pid in leave:
            _set_groups(people[pid], [g for g in people[pid].get("groups", ()) if g != gid])
        result = _group_from(data, gid)
    return result


def reset_code(person_id: str) -> str:
    """Issue a new code for ``person_id``; the old one stops working."""
    person_id = validate_id(person_id)
    with _editing() as data:
        people = data["people"]
        if person_id not in people:
            raise RosterError(f"{person_id} is not in the roster; add them first")
        taken = {p.get("selector") for pid, p in people.items() if pid != person_id}
        code = _issue(people[person_id], taken)
    return code


def people() -> list[Person]:
    data = load()
    return [
        Person(id=pid, role=entry.get("role", "learner"), name=entry.get("name"))
        for pid, entry in sorted(data["people"].items())
    ]


def get(person_id: str) -> Person | None:
    entry = load()["people"].get(person_id)
    if entry is None:
        return None
    return Person(id=person_id, role=entry.get("role", "learner"), name=entry.get("name"))


def verify_code(code: str, role: str | None = None) -> Person | None:
    """The person whose current access code is ``code`` (and whose role is ``role``, if given).

    Returns None for a malformed, unknown, replaced or wrong-role code. Never raises on bad
    input: codes come from a text box.
    """
    compact = normalize_code(code)
    if compact is None:
        return None
    selector, verifier = compact[:SELECTOR_LEN], compact[SELECTOR_LEN:]
    try:
        data = load()
    except RosterError:
        return None
    for pid, entry in data["people"].items():
        if entry.get("selector") != selector:
            continue
        try:
            expected = bytes.fromhex(entry["hash"])
            salt = bytes.fromhex(entry["salt"])
        except (KeyError, ValueError, TypeError):
            return None
        if not hmac.compare_digest(_hash(verifier, salt), expected):
            return None
        person = Person(id=pid, role=entry.get("role", "learner"), name=entry.get("name"))
        if role is not None and person.role != role:
            return None
        return person
    return None
