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

import pytest

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
    rounds = 30
    confirmed: set[str] = set()
    for round_ in range(rounds):
        proc, conn = start(session_file, 10_000, f"k{round_}")
        confirmed.add(conn.recv())  # the writer is up and saving
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        assert proc.exitcode == -signal.SIGKILL, f"round {round_}: the writer was not killed"
        confirmed |= drain(conn)
        on_disk = saved_uuids(session_file)  # parses, or this fails
        assert confirmed <= on_disk, f"round {round_}: lost {confirmed - on_disk}"
        # A kill can land after a save returned and before it was reported: at most one such
        # save per round, never a contribution nobody saved.
        assert len(on_disk - confirmed) <= round_ + 1
    nb = assert_valid_notebook(session_file)
    # Each writer saved k<round>-0, -1, -2... in order: what is on disk is a gap-free prefix.
    per_round: dict[str, list[int]] = {}
    for cell in nb.cells:
        data = cell.metadata.get("chwkit", {}).get("contribution")
        if data:
            tag, index = data["pseudonym"].split("-")
            per_round.setdefault(tag, []).append(int(index))
    assert sorted(per_round) == sorted(f"k{r}" for r in range(rounds))
    for tag, indexes in per_round.items():
        assert indexes == list(range(len(indexes))), f"{tag}: gap or duplicate in {indexes}"


# -- a kill at a chosen point inside the atomic write ---------------------------------------
KILL_POINTS = ("lock-held", "mid-write", "before-fsync", "before-rename", "after-rename")


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def killed_writer(path: Path, point: str, conn) -> None:
    """Save 5 contributions, report them, then die at ``point`` during the 6th save."""
    from chwkit.core import nbstore

    book = codebook()

    def one(i):
        return make_contribution(
            {
                "uuid": new_uuid(),
                "pseudonym": f"x-{i}",
                "role": "chw",
                "kind": "experience",
                "themes": ["wb_team"],
                "language": "es",
                "text": f"Aporte {i}: el equipo se apoya.",
                "consent": {"dataset": True, "quote": False, "share_outside": False},
            },
            book,
        )

    for i in range(5):
        c = one(i)
        save_contribution(path, c, book)
        conn.send(("saved", c.uuid))
    real_fdopen, real_replace = os.fdopen, os.replace

    class HalfThenDie:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, text):
            self.handle.write(text[: len(text) // 2])
            self.handle.flush()
            os.fsync(self.handle.fileno())  # half a notebook really is on disk
            _die()

    def replace_then_die(src, dst):
        real_replace(src, dst)
        _die()

    if point == "lock-held":
        nbstore.read = lambda path: _die()
    elif point == "mid-write":
        os.fdopen = lambda fd, *a, **k: HalfThenDie(real_fdopen(fd, *a, **k))
    elif point == "before-fsync":
        os.fsync = lambda fd: _die()
    elif point == "before-rename":
        os.replace = lambda src, dst: _die()
    elif point == "after-rename":
        os.replace = replace_then_die
    c = one(5)
    conn.send(("trying", c.uuid))
    save_contribution(path, c, book)
    conn.send(("survived", c.uuid))  # never reached: the test fails if it is


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_kill_at_each_point_of_the_atomic_write_keeps_the_notebook_whole(
    session_file, point, monkeypatch
):
    from chwkit.core import nbstore

    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=killed_writer, args=(session_file, point, send), daemon=True)
    proc.start()
    send.close()
    messages = []
    while True:
        try:
            messages.append(receive.recv())
        except (EOFError, OSError):
            break
    proc.join()
    assert proc.exitcode == -signal.SIGKILL, (point, proc.exitcode, messages)
    saved = [uuid for what, uuid in messages if what == "saved"]
    [trying] = [uuid for what, uuid in messages if what == "trying"]
    assert len(saved) == 5 and not any(what == "survived" for what, _ in messages)

    nb = assert_valid_notebook(session_file)  # never half a notebook
    on_disk = saved_uuids(session_file)
    assert set(saved) <= on_disk
    # Only a kill after the rename keeps the 6th contribution; before it, the old file stays.
    assert (trying in on_disk) is (point == "after-rename")
    assert len(on_disk) == 5 + (point == "after-rename")
    minutes = [c for c in nb.cells if "chwkit-contribution" in c.metadata.get("tags", [])]
    assert len(minutes) == len(on_disk) and all(c.cell_type == "markdown" for c in minutes)

    # The dead writer's lock does not block the next save, and its temporary file is ignored.
    monkeypatch.setattr(nbstore, "LOCK_TIMEOUT_S", 5.0)
    c = make_contribution(
        {
            "uuid": new_uuid(),
            "pseudonym": "after-1",
            "role": "chw",
            "kind": "question",
            "themes": ["wb_team"],
            "language": "es",
            "text": "Aporte después del fallo.",
            "consent": {"dataset": True, "quote": False, "share_outside": False},
        },
        codebook(),
    )
    save_contribution(session_file, c)
    assert saved_uuids(session_file) == on_disk | {c.uuid}
    assert_valid_notebook(session_file)
    # The dead writer's temporary copy (which may hold withdrawn words) is gone with that save.
    leftovers = [p.name for p in session_file.parent.glob(f".{session_file.name}.*.tmp")]
    assert leftovers == []
