"""Fixtures for the records tests: a private data directory, and the store on SQLite and on a
real PostgreSQL server started for the session.

PostgreSQL refuses to run as root: the cluster is made and run by an unprivileged user
(``nobody``, through ``runuser``) in a temporary folder, listening on a Unix socket there
only (no TCP port), and stopped at the end. Debian's ``postgresql`` package provides it
(``make postgresql``).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PG_USER = "nobody"


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_pg_user(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", PG_USER, "--", *args]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL database on a temporary cluster: its SQLAlchemy URL."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL is not installed: run `make postgresql` (Debian's postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="chwkit-pg-"))
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, PG_USER)
        shutil.chown(sock, PG_USER)
    made = _as_pg_user([initdb, "-D", str(data), "-A", "trust", "-U", "chwkit", "-E", "UTF8"])
    assert made.returncode == 0, made.stderr
    options = f"-k {sock} -c listen_addresses='' -c fsync=on -c max_connections=80"
    started = _as_pg_user(
        [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
    )
    assert started.returncode == 0, started.stderr + (folder / "log").read_text()
    try:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(host=str(sock), user="chwkit", dbname="postgres") as conn:
                    conn.autocommit = True
                    conn.execute("CREATE DATABASE records")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield f"postgresql+psycopg://chwkit@/records?host={sock}"
    finally:
        _as_pg_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh data directory (CHWKIT_HOME); content from the repository."""
    monkeypatch.setenv("CHWKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CHWKIT_ROOT", raising=False)
    return tmp_path / "home"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, home):
    """The records store's URL: a SQLite file in the data directory, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'records.db'}"
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    from chwkit.program.store import metadata

    engine = create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def store(db_url):
    from chwkit.program.store import RecordsStore

    s = RecordsStore(db_url)
    s.create()
    yield s
    s.close()
