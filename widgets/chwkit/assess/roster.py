"""The roster: who may sign in, with which access code.

Learners and facilitators are known by a pseudonymous id (``p017``, ``sfccc-04``); a name is
optional. Each person gets an access code such as ``K7QF-9XM2-HT4P``. The code is shown once,
when it is issued, and stored only hashed:

- the first block is a *selector*, stored in clear, so a code can be looked up without
  trying every hash;
- the rest is the *verifier*, stored as a salted scrypt hash.

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


# -- public API ---------------------------------------------------------------------------------
def add(person_id: str, role: str = "learner", name: str | None = None) -> str:
    """Add a person and return their new access code (shown once, never stored in clear)."""
    person_id = validate_id(person_id)
    if role not in ROLES:
        raise RosterError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = validate_name(name)
    with _editing() as data:
        people = data["people"]
        if person_id in people:
            raise RosterError(f"{person_id} is already in the roster; use reset-code")
        entry = {"role": role, "name": name}
        code = _issue(entry, {p.get("selector") for p in people.values()})
        people[person_id] = entry
    return code


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
