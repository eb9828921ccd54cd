"""Saves from many processes at once, and writers killed mid-save."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from chwkit.forum.session import read_session_file

from .conftest import assert_valid_notebook

WRITER = Path(__file__).with_name("writer.py")


def saved_uuids(path: Path) -> set[str]:
    record = read_session_file(path)
    assert record.problems == []
    return {data["uuid"] for _, data in record.contributions}


def test_ten_processes_fifty_saves_each_lose_nothing(session_file):
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(session_file), "50", f"w{n}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(10)
    ]
    reported = set()
    for proc in procs:
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0
        reported |= set(out.split())
    assert len(reported) == 500
    assert saved_uuids(session_file) == reported
    nb = assert_valid_notebook(session_file)
    pseudonyms = {c.metadata["chwkit"]["contribution"]["pseudonym"] for c in nb.cells[4:]}
    assert pseudonyms == {f"w{n}-{i}" for n in range(10) for i in range(50)}


def test_writer_killed_mid_save_never_corrupts_or_loses_a_saved_contribution(session_file):
    rng = random.Random(4)
    confirmed: set[str] = set()
    for round_ in range(12):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(session_file), "1000", f"k{round_}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        first = proc.stdout.readline()  # the writer is up and saving
        assert first.strip()
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate()
        confirmed |= set((first + rest).split())
        on_disk = saved_uuids(session_file)  # parses, or this fails
        assert confirmed <= on_disk, f"round {round_}: lost {confirmed - on_disk}"
    assert_valid_notebook(session_file)
    assert len(confirmed) >= 12
