"""What a forum session and a contribution are, and how their values are checked.

Values come from widgets, command lines and hand-edited notebooks: all untrusted. Checks
raise ``ForumValueError`` carrying a catalog key, so the recorder can say what is wrong in the
facilitator's language and the builder can say it in a log.
"""

from __future__ import annotations

import re
import uuid as uuid_mod
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from chwkit.core.i18n import LANGS, t
from chwkit.forum.codebook import Codebook
from chwkit.forum.privacy import find_identifiers, is_given_name

KINDS: tuple[str, ...] = ("experience", "challenge", "best_practice", "question", "reflection")
ROLES: tuple[str, ...] = ("chw", "acompanante", "supervisor", "facilitator", "other")
CONSENTS: tuple[str, ...] = ("dataset", "quote", "share_outside")
# What kind of gathering a session is: the monthly forum, a conference (such as a binational
# promotores conference) or an exchange between programs. Session notebooks written before
# the field existed are forum sessions.
SESSION_TYPES: tuple[str, ...] = ("forum", "conference", "exchange")
DEFAULT_SESSION_TYPE = "forum"
# Pseudonyms hold a digit ("P07", "promotora-3"): a real first name alone cannot pass, and
# none of their letter runs may be a common given name ("Rosa-3", "maria07").
PSEUDONYM = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
_LETTERS = re.compile(r"[A-Za-z]+")
SITE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PERSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SESSION_ID = re.compile(r"^\d{4}-\d{2}-\d{2}_[a-z0-9][a-z0-9-]{0,39}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DIGEST = re.compile(r"^[0-9a-f]{16}$")
MAX_TEXT_CHARS = 4000
MAX_TOPIC_CHARS = 200
MAX_THEMES = 12
MAX_ATTENDANCE = 10_000
# Hours of continuing training a session gives each roster member ticked present, when its
# parameters do not say (``hours``): a monthly forum runs about an hour and a half.
DEFAULT_SESSION_HOURS = 1.5
MAX_SESSION_HOURS = 12.0


class ForumValueError(ValueError):
    """A value that cannot be accepted; ``key`` and ``values`` give the catalog message."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def message(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean_text(value: object, limit: int, key_empty: str, key_long: str) -> str:
    if not isinstance(value, str):
        raise ForumValueError(key_empty)
    # Keep newlines and tabs, drop other control characters (they break CSV readers).
    text = _CONTROL.sub("", value.replace("\r\n", "\n")).strip()
    if not text:
        raise ForumValueError(key_empty)
    if len(text) > limit:
        raise ForumValueError(key_long, limit=limit)
    return text


# -- sessions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    date: str
    site: str
    topic: str
    facilitator: str
    language: str = "es"
    attendance: int | None = None
    session_type: str = DEFAULT_SESSION_TYPE
    group: str | None = None  # a roster group: its members are the attendance checklist
    hours: float | None = None  # hours each attendee is credited (None: the default)

    @property
    def id(self) -> str:
        return f"{self.date}_{self.site}"

    @property
    def credited_hours(self) -> float:
        """Hours of training each roster member ticked present gets for the session."""
        return DEFAULT_SESSION_HOURS if self.hours is None else self.hours

    def as_params(self) -> dict:
        return {
            "session_id": self.id,
            "date": self.date,
            "site": self.site,
            "session_type": self.session_type,
            "topic": self.topic,
            "facilitator": self.facilitator,
            "language": self.language,
            "attendance": self.attendance,
            "group": self.group,
            "hours": self.hours,
        }


def check_date(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ForumValueError("forum.error.date", value=str(value)[:40])
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        raise ForumValueError("forum.error.date", value=value[:40]) from None
    return value.strip()


def check_site(value: object) -> str:
    if not isinstance(value, str) or not SITE.match(value.strip()):
        raise ForumValueError("forum.error.site", value=str(value)[:40])
    return value.strip()


def check_language(value: object) -> str:
    if value not in LANGS:
        raise ForumValueError("forum.error.language", value=str(value)[:20])
    return str(value)


def check_session_type(value: object) -> str:
    """One of ``SESSION_TYPES``; nothing (an older notebook) is a forum session."""
    if value is None or value == "":
        return DEFAULT_SESSION_TYPE
    if value not in SESSION_TYPES:
        raise ForumValueError(
            "forum.error.session_type", value=str(value)[:40], choices=", ".join(SESSION_TYPES)
        )
    return str(value)


def check_attendance(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ForumValueError("forum.error.attendance", limit=MAX_ATTENDANCE)
    try:
        number = int(value)
    except ValueError:
        raise ForumValueError("forum.error.attendance", limit=MAX_ATTENDANCE) from None
    if not 0 <= number <= MAX_ATTENDANCE:
        raise ForumValueError("forum.error.attendance", limit=MAX_ATTENDANCE)
    return number


def check_group(value: object) -> str | None:
    """A roster group id, or None (the session names no group)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not PERSON_ID.match(value.strip()):
        raise ForumValueError("forum.error.group", value=str(value)[:40])
    return value.strip()


def check_hours(value: object) -> float | None:
    """Hours credited per attendee: more than 0 and at most ``MAX_SESSION_HOURS``; None for
    the default."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ForumValueError("forum.error.hours", limit=f"{MAX_SESSION_HOURS:g}")
    try:
        number = float(value)
    except ValueError:
        raise ForumValueError("forum.error.hours", limit=f"{MAX_SESSION_HOURS:g}") from None
    if not 0 < number <= MAX_SESSION_HOURS:  # NaN fails too
        raise ForumValueError("forum.error.hours", limit=f"{MAX_SESSION_HOURS:g}")
    return round(number, 2)


def make_session(
    date: object,
    site: object,
    topic: object,
    facilitator: object,
    language: object = "es",
    attendance: object = None,
    session_type: object = DEFAULT_SESSION_TYPE,
    group: object = None,
    hours: object = None,
) -> Session:
    """A checked ``Session``; raises ForumValueError on the first bad value."""
    topic_text = _clean_text(
        topic, MAX_TOPIC_CHARS, "forum.error.topic_empty", "forum.error.topic_long"
    )
    # The topic is shown on the landing page and lands in the dataset: the same identifier
    # check as a contribution's text, but refused outright (nobody reviews a topic).
    found = find_identifiers(topic_text)
    if found:
        raise ForumValueError(
            "forum.error.topic_identifier", found=", ".join(f"«{f.text}»" for f in found)
        )
    if not isinstance(facilitator, str) or not PERSON_ID.match(facilitator.strip()):
        raise ForumValueError("forum.error.facilitator", value=str(facilitator)[:40])
    return Session(
        date=check_date(date),
        site=check_site(site),
        topic=" ".join(topic_text.split()),
        facilitator=facilitator.strip(),
        language=check_language(language),
        attendance=check_attendance(attendance),
        session_type=check_session_type(session_type),
        group=check_group(group),
        hours=check_hours(hours),
    )


# -- contributions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Consent:
    dataset: bool = False
    quote: bool = False
    share_outside: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {"dataset": self.dataset, "quote": self.quote, "share_outside": self.share_outside}


@dataclass(frozen=True)
class Contribution:
    uuid: str
    pseudonym: str
    role: str
    kind: str
    themes: tuple[str, ...]
    language: str
    text: str
    consent: Consent = field(default_factory=Consent)
    reviewed: bool = False
    flags: tuple[dict, ...] = ()
    flag_check: str = ""  # privacy.text_digest of the text the flags were found in
    recorded_by: str = ""
    created: str = ""
    updated: str = ""
    withdrawn: bool = False

    def as_metadata(self) -> dict:
        return {
            "uuid": self.uuid,
            "pseudonym": self.pseudonym,
            "role": self.role,
            "kind": self.kind,
            "themes": list(self.themes),
            "language": self.language,
            "text": self.text,
            "consent": self.consent.as_dict(),
            "reviewed": self.reviewed,
            "flags": [dict(f) for f in self.flags],
            "flag_check": self.flag_check,
            "recorded_by": self.recorded_by,
            "created": self.created,
            "updated": self.updated,
            "withdrawn": self.withdrawn,
        }

    def withdraw(self, when: str | None = None) -> Contribution:
        """Withdrawn: the participant took it back. Its words leave the record too."""
        return replace(
            self, text="", flags=(), flag_check="", withdrawn=True, updated=when or now_iso()
        )


def check_uuid(value: object) -> str:
    try:
        return str(uuid_mod.UUID(str(value)))
    except ValueError:
        raise ForumValueError("forum.error.uuid", value=str(value)[:40]) from None


def check_pseudonym(value: object) -> str:
    if not isinstance(value, str) or not PSEUDONYM.match(value.strip()):
        raise ForumValueError("forum.error.pseudonym")
    value = value.strip()
    for letters in _LETTERS.findall(value):
        if len(letters) > 1 and is_given_name(letters):
            raise ForumValueError("forum.error.pseudonym_name", value=value)
    return value


def check_choice(value: object, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise ForumValueError(key, value=str(value)[:40])
    return str(value)


def check_themes(values: object, codebook: Codebook) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        raise ForumValueError("forum.error.themes_not_list", value=str(values)[:60])
    themes: list[str] = []
    for code in values:
        if code not in codebook:
            raise ForumValueError("forum.error.unknown_theme", code=str(code)[:48])
        if code not in themes:
            themes.append(code)
    if not themes:
        raise ForumValueError("forum.error.themes")
    if len(themes) > MAX_THEMES:
        raise ForumValueError("forum.error.too_many_themes", limit=MAX_THEMES)
    return tuple(themes)


def check_consent(value: object) -> Consent:
    if not isinstance(value, dict) or any(not isinstance(value.get(k), bool) for k in CONSENTS):
        raise ForumValueError("forum.error.consent")
    return Consent(**{k: value[k] for k in CONSENTS})


def make_contribution(data: dict, codebook: Codebook) -> Contribution:
    """A checked ``Contribution`` from a metadata-shaped dict (a widget's or a notebook's)."""
    if not isinstance(data, dict):
        raise ForumValueError("forum.error.not_a_contribution")
    withdrawn = data.get("withdrawn", False) is True
    text = data.get("text", "")
    if withdrawn:
        text = text if isinstance(text, str) else ""
    else:
        text = _clean_text(text, MAX_TEXT_CHARS, "forum.error.text_empty", "forum.error.text_long")
    flags = data.get("flags") or []
    if not isinstance(flags, list) or not all(isinstance(f, dict) for f in flags):
        flags = []
    recorded_by = data.get("recorded_by") or ""
    if not isinstance(recorded_by, str) or (recorded_by and not PERSON_ID.match(recorded_by)):
        recorded_by = ""
    stamps = []
    for key in ("created", "updated"):
        value = data.get(key) or ""
        stamps.append(value if isinstance(value, str) and _ISO.match(value) else "")
    return Contribution(
        uuid=check_uuid(data.get("uuid")),
        pseudonym=check_pseudonym(data.get("pseudonym")),
        role=check_choice(data.get("role"), ROLES, "forum.error.role"),
        kind=check_choice(data.get("kind"), KINDS, "forum.error.kind"),
        themes=check_themes(data.get("themes"), codebook),
        language=check_language(data.get("language")),
        text=text,
        consent=check_consent(data.get("consent")),
        reviewed=data.get("reviewed") is True,
        flags=tuple({k: f.get(k) for k in ("kind", "start", "end")} for f in flags),
        flag_check=check
        if isinstance(check := data.get("flag_check"), str) and _DIGEST.match(check)
        else "",
        recorded_by=recorded_by,
        created=stamps[0],
        updated=stamps[1] or stamps[0],
        withdrawn=withdrawn,
    )


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def new_uuid() -> str:
    return str(uuid_mod.uuid4())
