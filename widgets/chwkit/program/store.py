"""The records store: one SQL database for sign-in sessions, progress and certificates.

SQLAlchemy, as nbgrader's gradebook: a SQLite file in the data directory by default
(``<data>/records.db``), or any URL in ``db_url`` (``postgresql+psycopg://...`` when a program
outgrows one machine). nbgrader's gradebook stays the grader of record for scores; this store
keeps what nbgrader does not: who opened which module, practice attempts, completion, active
time, sign-in sessions and failed tries, and certificates.

Every write is one transaction: committed whole or not at all, so a killed server loses
nothing that was acknowledged. On SQLite the file is in WAL mode with ``synchronous=FULL``
and each transaction takes the write lock when it begins (``BEGIN IMMEDIATE``), so writers
from several processes queue for the lock instead of failing halfway; on PostgreSQL, counters
are updated in single ``INSERT ... ON CONFLICT DO UPDATE`` statements and rows read before
a write are locked (``FOR UPDATE``). A transaction that still meets a lock or a serialization
conflict is retried.

Learners appear only by their pseudonymous roster id; no name, no code, no answer text.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from chwkit.core import paths

SCHEMA_VERSION = 1
RETRIES = 8
# A gap between two events of one page longer than this counts as this much active time:
# a page left open over lunch is not five hours of study.
IDLE_CAP_S = 300.0

metadata = MetaData()

meta = Table(
    "records_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)
sessions = Table(
    "sign_in_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 of the cookie's session token
    Column("learner", String(64), nullable=False, index=True),
    Column("code_stamp", String(32), nullable=False),  # changes when the code is reset
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
)
failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(80), nullable=False),  # "code:<selector>": per code, not per page
    Column("at", DateTime, nullable=False),
    Index("ix_sign_in_failures_key_at", "key", "at"),
)
modules = Table(
    "module_progress",
    metadata,
    Column("learner", String(64), primary_key=True),
    Column("module", String(64), primary_key=True),
    Column("first_opened_at", DateTime, nullable=False),
    Column("last_opened_at", DateTime, nullable=False),
    Column("visits", Integer, nullable=False, default=0),
    Column("active_seconds", Float, nullable=False, default=0.0),
    Column("completed_at", DateTime),
)
practice = Table(
    "practice_attempts",
    metadata,
    Column("learner", String(64), primary_key=True),
    Column("module", String(64), primary_key=True),
    Column("question", String(32), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("first_try_right", Boolean, nullable=False),
    Column("right_once", Boolean, nullable=False),
    Column("first_at", DateTime, nullable=False),
    Column("last_at", DateTime, nullable=False),
)
visits = Table(
    "page_visits",
    metadata,
    Column("id", String(40), primary_key=True),  # chosen by the page's kernel, per page load
    Column("learner", String(64), nullable=False),
    Column("module", String(64), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("last_event_at", DateTime, nullable=False),
)
certificates = Table(
    "certificates",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("learner", String(64), nullable=False, index=True),
    Column("track", String(64), nullable=False),
    Column("program", String(64), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("hours", Float, nullable=False),
    Column("details", Text, nullable=False),  # JSON: modules, roles, skills, scores
    Column("issued_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("revoked_reason", String(300)),
)

T = TypeVar("T")


class RecordsError(RuntimeError):
    """The records store cannot be opened or written; the message says what to do."""


def now_utc() -> datetime:
    """The time as the store keeps it: UTC, naive (the same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def default_url() -> str:
    return f"sqlite:///{paths.data_dir() / 'records.db'}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    learner: str
    code_stamp: str
    created_at: datetime


@dataclass(frozen=True)
class ModuleRecord:
    module: str
    first_opened_at: datetime
    last_opened_at: datetime
    visits: int
    active_seconds: float
    completed_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    module: str
    question: str
    attempts: int
    first_try_right: bool
    right_once: bool


@dataclass(frozen=True)
class Certificate:
    code: str
    learner: str
    track: str
    program: str
    lang: str
    hours: float
    details: dict
    issued_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # We say when transactions begin (below); pysqlite's own guess would begin them late.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA busy_timeout=30000",
    ):
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(connection) -> None:
    # Take the write lock at the start: a transaction that read under a shared lock and then
    # wants to write can only fail at once ("database is locked"), whatever the timeout.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _retryable(exc: DBAPIError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(
        word in text
        for word in ("database is locked", "busy", "deadlock", "could not serialize", "serializ")
    )


class RecordsStore:
    """The records of one program. Thread-safe; open one per process and keep it."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        self.engine = self._engine(self.url)
        self._lock = threading.Lock()
        self._ready = False

    @staticmethod
    def _engine(url: str) -> Engine:
        if url.startswith("sqlite"):
            database = url.split("///", 1)[-1]
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        try:
            return create_engine(url, pool_pre_ping=True)
        except Exception as exc:  # a driver not installed, a malformed URL
            raise RecordsError(f"cannot open the records database {_safe(url)}: {exc}") from exc

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def create(self) -> None:
        """Create the tables if they do not exist (every opening does; it is cheap)."""
        with self._lock:
            if self._ready:
                return
            try:
                metadata.create_all(self.engine, checkfirst=True)
                self._write(self._stamp_version)
            except OperationalError as exc:
                raise RecordsError(
                    f"cannot open the records database {_safe(self.url)}: {exc.orig}"
                ) from exc
            self._ready = True

    def _stamp_version(self, conn: Connection) -> None:
        found = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        if found is None:
            conn.execute(meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif int(found[0]) > SCHEMA_VERSION:
            raise RecordsError(
                f"the records database was written by a newer chwkit (schema {found[0]}); "
                "upgrade chwkit"
            )

    # -- transactions ------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        self.create()
        with self.engine.connect() as conn:
            yield conn

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction; retry it whole if it meets a lock or a conflict."""
        for attempt in range(RETRIES):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if attempt == RETRIES - 1 or not _retryable(exc):
                    raise
                time.sleep(0.05 * (2**attempt) + secrets.randbelow(50) / 1000)
        raise AssertionError("unreachable")

    def write(self, work: Callable[[Connection], T]) -> T:
        self.create()
        return self._write(work)

    def _upsert(self, table: Table, keys: dict, insert: dict, update_on_conflict: dict):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = dialect_insert(table).values(**keys, **insert)
        return statement.on_conflict_do_update(index_elements=list(keys), set_=update_on_conflict)

    # -- sign-in: failed tries and sessions ----------------------------------------------------
    def failures(self, key: str, window_s: float, now: datetime | None = None) -> int:
        since = (now or now_utc()) - timedelta(seconds=window_s)
        with self._reading() as conn:
            query = select(func.count()).where(failures.c.key == key, failures.c.at > since)
            return int(conn.execute(query).scalar_one())

    def note_failure(self, key: str, now: datetime | None = None) -> None:
        moment = now or now_utc()

        def work(conn: Connection) -> None:
            conn.execute(failures.insert().values(key=key, at=moment))
            # Old failures say nothing any more: keep the table small.
            conn.execute(failures.delete().where(failures.c.at < moment - timedelta(days=1)))

        self.write(work)

    def clear_failures(self, key: str) -> None:
        self.write(lambda conn: conn.execute(failures.delete().where(failures.c.key == key)))

    def open_session(self, learner: str, code_stamp: str) -> str:
        """A new session for ``learner``; returns its token (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        moment = now_utc()
        self.write(
            lambda conn: conn.execute(
                sessions.insert().values(
                    token_hash=hash_token(token),
                    learner=learner,
                    code_stamp=code_stamp,
                    created_at=moment,
                    last_seen_at=moment,
                )
            )
        )
        return token

    def session(self, token: str) -> Session | None:
        """The open session of ``token``, or None (unknown, ended)."""
        if not isinstance(token, str) or not token:
            return None
        return self.session_by_hash(hash_token(token))

    def session_by_hash(self, token_hash: str) -> Session | None:
        if not isinstance(token_hash, str) or len(token_hash) != 64:
            return None
        with self._reading() as conn:
            row = conn.execute(
                select(sessions).where(
                    sessions.c.token_hash == token_hash, sessions.c.ended_at.is_(None)
                )
            ).first()
        if row is None:
            return None
        return Session(row.learner, row.code_stamp, row.created_at)

    def end_session(self, token: str) -> None:
        self.write(
            lambda conn: conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == hash_token(token), sessions.c.ended_at.is_(None))
                .values(ended_at=now_utc())
            )
        )

    def end_sessions_of(self, learner: str) -> int:
        """End every open session of ``learner`` (their code was reset or they left)."""
        return self.write(
            lambda conn: (
                conn.execute(
                    update(sessions)
                    .where(sessions.c.learner == learner, sessions.c.ended_at.is_(None))
                    .values(ended_at=now_utc())
                ).rowcount
            )
        )

    # -- progress ------------------------------------------------------------------------------
    def record_events(
        self,
        learner: str,
        events: list[dict],
        completion: Callable[[str, list[Attempt]], bool] | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """Record a page's events in one transaction; return the modules completed by them.

        Events (already validated): ``{"kind": "opened"|"attempt"|"left", "module", "visit",
        "question", "right"}``. ``completion(module, attempts)`` is the module's mastery rule.
        """
        moment = now or now_utc()

        def work(conn: Connection) -> list[str]:
            completed = []
            touched = []
            for ev in events:
                module = ev["module"]
                if ev["kind"] == "opened":
                    self._opened(conn, learner, module, ev["visit"], moment)
                else:
                    self._active(conn, learner, module, ev["visit"], moment)
                if ev["kind"] == "attempt":
                    self._attempt(conn, learner, module, ev["question"], ev["right"], moment)
                if module not in touched:
                    touched.append(module)
            if completion is not None:
                for module in touched:
                    if self._complete(conn, learner, module, completion, moment):
                        completed.append(module)
            return completed

        return self.write(work)

    def _opened(self, conn, learner, module, visit, moment) -> None:
        conn.execute(
            self._upsert(
                modules,
                {"learner": learner, "module": module},
                {
                    "first_opened_at": moment,
                    "last_opened_at": moment,
                    "visits": 1,
                    "active_seconds": 0.0,
                },
                {"last_opened_at": moment, "visits": modules.c.visits + 1},
            )
        )
        conn.execute(
            self._upsert(
                visits,
                {"id": visit},
                {
                    "learner": learner,
                    "module": module,
                    "started_at": moment,
                    "last_event_at": moment,
                },
                {"last_event_at": moment},
            )
        )

    def _active(self, conn, learner, module, visit, moment) -> None:
        """Add the time since the page's previous event (up to IDLE_CAP_S) to active time."""
        row = conn.execute(
            select(visits.c.last_event_at)
            .where(visits.c.id == visit, visits.c.learner == learner, visits.c.module == module)
            .with_for_update()
        ).first()
        if row is None:  # an event of a page whose opening we never heard of: open it now
            self._opened(conn, learner, module, visit, moment)
            return
        gap = max(0.0, min((moment - row.last_event_at).total_seconds(), IDLE_CAP_S))
        conn.execute(update(visits).where(visits.c.id == visit).values(last_event_at=moment))
        conn.execute(
            update(modules)
            .where(modules.c.learner == learner, modules.c.module == module)
            .values(active_seconds=modules.c.active_seconds + gap)
        )

    def _attempt(self, conn, learner, module, question, right, moment) -> None:
        conn.execute(
            self._upsert(
                practice,
                {"learner": learner, "module": module, "question": question},
                {
                    "attempts": 1,
                    "first_try_right": bool(right),
                    "right_once": bool(right),
                    "first_at": moment,
                    "last_at": moment,
                },
                {
                    "attempts": practice.c.attempts + 1,
                    "right_once": practice.c.right_once | bool(right),
                    "last_at": moment,
                },
            )
        )

    def _complete(self, conn, learner, module, completion, moment) -> bool:
        row = conn.execute(
            select(modules.c.completed_at)
            .where(modules.c.learner == learner, modules.c.module == module)
            .with_for_update()
        ).first()
        if row is None or row.completed_at is not None:
            return False
        attempts = [
            Attempt(r.module, r.question, r.attempts, r.first_try_right, r.right_once)
            for r in conn.execute(
                select(practice).where(practice.c.learner == learner, practice.c.module == module)
            )
        ]
        if not completion(module, attempts):
            return False
        conn.execute(
            update(modules)
            .where(modules.c.learner == learner, modules.c.module == module)
            .values(completed_at=moment)
        )
        return True

    def module_records(self, learner: str) -> dict[str, ModuleRecord]:
        with self._reading() as conn:
            rows = conn.execute(select(modules).where(modules.c.learner == learner)).all()
        return {
            r.module: ModuleRecord(
                r.module,
                r.first_opened_at,
                r.last_opened_at,
                r.visits,
                r.active_seconds,
                r.completed_at,
            )
            for r in rows
        }

    def attempts(self, learner: str, module: str | None = None) -> list[Attempt]:
        query = select(practice).where(practice.c.learner == learner)
        if module is not None:
            query = query.where(practice.c.module == module)
        with self._reading() as conn:
            rows = conn.execute(query.order_by(practice.c.module, practice.c.question)).all()
        return [
            Attempt(r.module, r.question, r.attempts, r.first_try_right, r.right_once) for r in rows
        ]

    # -- certificates --------------------------------------------------------------------------
    def issue_certificate(
        self,
        learner: str,
        track: str,
        program: str,
        lang: str,
        hours: float,
        details: dict,
        code: str,
    ) -> Certificate:
        """Issue a certificate, or return the valid one ``learner`` already holds for ``track``."""
        moment = now_utc()

        def work(conn: Connection) -> Certificate:
            found = conn.execute(
                select(certificates)
                .where(
                    certificates.c.learner == learner,
                    certificates.c.track == track,
                    certificates.c.revoked_at.is_(None),
                )
                .with_for_update()
            ).first()
            if found is not None:
                return _certificate(found)
            conn.execute(
                certificates.insert().values(
                    code=code,
                    learner=learner,
                    track=track,
                    program=program,
                    lang=lang,
                    hours=hours,
                    details=json.dumps(details, ensure_ascii=False, sort_keys=True),
                    issued_at=moment,
                )
            )
            return Certificate(code, learner, track, program, lang, hours, details, moment)

        return self.write(work)

    def certificate(self, code: str) -> Certificate | None:
        with self._reading() as conn:
            row = conn.execute(select(certificates).where(certificates.c.code == code)).first()
        return _certificate(row) if row is not None else None

    def certificates(self, learner: str | None = None) -> list[Certificate]:
        query = select(certificates).order_by(certificates.c.issued_at, certificates.c.code)
        if learner is not None:
            query = query.where(certificates.c.learner == learner)
        with self._reading() as conn:
            return [_certificate(r) for r in conn.execute(query)]

    def revoke_certificate(self, code: str, reason: str) -> bool:
        return bool(
            self.write(
                lambda conn: (
                    conn.execute(
                        update(certificates)
                        .where(certificates.c.code == code, certificates.c.revoked_at.is_(None))
                        .values(revoked_at=now_utc(), revoked_reason=reason[:300])
                    ).rowcount
                )
            )
        )

    # -- export --------------------------------------------------------------------------------
    def rows(self, table: Table) -> list[dict]:
        with self._reading() as conn:
            return [dict(r._mapping) for r in conn.execute(select(table))]


def _certificate(row) -> Certificate:
    return Certificate(
        code=row.code,
        learner=row.learner,
        track=row.track,
        program=row.program,
        lang=row.lang,
        hours=row.hours,
        details=json.loads(row.details),
        issued_at=row.issued_at,
        revoked_at=row.revoked_at,
        revoked_reason=row.revoked_reason,
    )


def _safe(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(malformed URL)"


_stores: dict[str, RecordsStore] = {}
_stores_lock = threading.Lock()


def open_store(url: str | None = None) -> RecordsStore:
    """The process's store for ``url`` (default: the data directory's SQLite file)."""
    url = url or default_url()
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = RecordsStore(url)
    store.create()
    return store
