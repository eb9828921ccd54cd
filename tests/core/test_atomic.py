"""The one atomic writer: whole or nothing, durable, private when asked, no leftovers."""

from __future__ import annotations

import multiprocessing
import os
import signal
import stat
from pathlib import Path

import pytest

from chwkit.core import atomic

FORK = multiprocessing.get_context("fork")


def test_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "data.json"
    target.write_text("old")
    atomic.write(target, "new ñ")
    assert target.read_text(encoding="utf-8") == "new ñ"
    assert list(tmp_path.iterdir()) == [target]


def test_mode_is_set_before_the_file_is_visible(tmp_path):
    target = tmp_path / "codes.json"
    atomic.write_json(target, {"a": 1}, mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().strip() == '{\n "a": 1\n}'


def test_without_mode_the_umask_decides(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write(tmp_path / "plain.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o644


def test_exclusive_refuses_an_existing_file_and_leaves_it(tmp_path):
    target = tmp_path / "session.ipynb"
    atomic.write(target, "first", exclusive=True)
    with pytest.raises(FileExistsError):
        atomic.write(target, "second", exclusive=True)
    assert target.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.ipynb"]


def test_a_failing_fill_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")

    def fill(tmp):
        Path(tmp).write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic.write_with(target, fill)
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def _killed_writer(target, point):
    real_replace = os.replace
    if point == "mid-write":

        def half(handle, data):
            handle.write(data[: len(data) // 2])
            handle.flush()
            _die()

        atomic._write_data = half
    elif point == "before-fsync":
        os.fsync = lambda fd: _die()
    elif point == "before-rename":
        os.replace = lambda src, dst: _die()
    elif point == "after-rename":

        def replace_then_die(src, dst):
            real_replace(src, dst)
            _die()

        os.replace = replace_then_die
    atomic.write(target, "new " * 1000)


@pytest.mark.parametrize("point", ["mid-write", "before-fsync", "before-rename", "after-rename"])
def test_a_kill_at_each_step_keeps_old_or_new_and_the_next_write_cleans_up(tmp_path, point):
    target = tmp_path / "record.json"
    atomic.write(target, "old")
    proc = FORK.Process(target=_killed_writer, args=(target, point))
    proc.start()
    proc.join()
    assert proc.exitcode == -signal.SIGKILL
    assert target.read_text() in ("old", "new " * 1000)
    assert (target.read_text() == "old") is (point != "after-rename")
    left = atomic.leftovers(target)
    assert len(left) == (point != "after-rename"), left
    atomic.write(target, "next")
    assert target.read_text() == "next"
    assert list(tmp_path.iterdir()) == [target]  # the dead writer's copy is gone


def test_clean_spares_a_live_writers_temporary_file(tmp_path):
    target = tmp_path / "f.txt"
    mine = atomic.temp_path(target)
    mine.write_text("being written")
    assert atomic.clean(target) == 0 and mine.exists()
    dead = tmp_path / f".f.txt.{2**22 + 12345}.deadbeef.tmp"  # above any pid_max default
    dead.write_text("left by a dead writer")
    other = tmp_path / ".g.txt.1.deadbeef.tmp"  # another file's: not ours to judge
    other.write_text("x")
    assert atomic.clean(target) == 1
    assert mine.exists() and other.exists() and not dead.exists()
