"""Saves from many processes at once, and writers killed mid-save.

Writers are forked from the test process (imports already done), so each round costs a save,
not an interpreter start.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from chwkit.forum.codebook import codebook
from chwkit.forum.model import make_contribution, new_uuid
from chwkit.forum.session import read_session_file, save_contribution

from .conftest import assert_valid_notebook

FORK = multiprocessing.get_context("fork")


def writer(path: Path, count: int, tag: str, conn) -> None:
    """Save ``count`` contributions; send each uuid once its save returned."""
    book = codebook()
    for i in range(count):
        c = make_contribution(
            {
                "uuid": new_uuid(),
                "pseudonym": f"{tag}-{i}",
                "role": "chw",
                "kind": "experience",
                "themes": ["wb_team"],
                "language": "es",
                "text": f"Aporte {i} del proceso {tag}: el equipo se apoya.",
                "consent": {"dataset": True, "quote": False, "share_outside": False},
            },
            book,
        )
        save_contribution(path, c, book)
        conn.send(c.uuid)
    conn.close()


def start(path: Path, count: int, tag: str):
    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=writer, args=(path, count, tag, send), daemon=True)
    proc.start()
    send.close()
    return proc, receive


def drain(conn) -> set[str]:
    got = set()
    while True:
        try:
            got.add(conn.recv())
        except (EOFError, OSError):
            return got


def saved_uuids(path: Path) -> set[str]:
    record = read_session_file(path)
    assert record.problems == []
    return {data["uuid"] for _, data in record.contributions}


def test_ten_processes_fifty_saves_each_lose_nothing(session_file):
    writers = [start(session_file, 50, f"w{n}") for n in range(10)]
    reported = set()
    for proc, conn in writers:
        reported |= drain(conn)
        proc.join(timeout=240)
        assert proc.exitcode == 0
    assert len(reported) == 500
    assert saved_uuids(session_file) == reported
    nb = assert_valid_notebook(session_file)
    pseudonyms = {c.metadata["chwkit"]["contribution"]["pseudonym"] for c in nb.cells[4:]}
    assert pseudonyms == {f"w{n}-{i}" for n in range(10) for i in range(50)}


def test_writer_killed_mid_save_never_corrupts_or_loses_a_saved_contribution(session_file):
    rng = random.Random(4)
    confirmed: set[str] = set()
    for round_ in range(30):
        proc, conn = start(session_file, 10_000, f"k{round_}")
        confirmed.add(conn.recv())  # the writer is up and saving
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        confirmed |= drain(conn)
        on_disk = saved_uuids(session_file)  # parses, or this fails
        assert confirmed <= on_disk, f"round {round_}: lost {confirmed - on_disk}"
    assert_valid_notebook(session_file)
    assert len(confirmed) >= 30
