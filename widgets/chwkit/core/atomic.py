"""Replace a file whole, or not at all: the one atomic writer every part of the kit uses.

``write(path, data)`` writes ``data`` to a temporary file beside ``path``, flushes and fsyncs
it, sets its permissions (``mode``) before anyone can see it, renames it over ``path`` (or,
with ``exclusive=True``, links it to ``path`` and fails if ``path`` exists), then fsyncs the
folder so the rename itself survives a power cut. A reader, or a crash at any moment, sees
the old file or the new one, never half of one.

A writer killed mid-write leaves its temporary file behind. Temporary files carry the
writing process's id (``.<name>.<pid>.<random>.tmp``); every write, and ``clean(path)``,
removes those of processes that are gone, so a withdrawn forum contribution's words do not
survive in a stale copy. A live writer's file is never touched.

``write_with(path, fill)`` is the same for libraries that write to a path themselves
(pyarrow's CSV and Parquet writers): ``fill(tmp_path)`` writes the temporary file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

SUFFIX = ".tmp"
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp$")


def temp_path(path: Path) -> Path:
    """A fresh temporary name beside ``path`` that says which process writes it."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def leftovers(path: Path) -> list[Path]:
    """Temporary files of ``path`` whose writer is gone."""
    path = Path(path)
    found = []
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            match = _TEMP.match(entry.name)
            if match and match["name"] == path.name and not _alive(int(match["pid"])):
                found.append(entry)
    return found


def clean(path: Path) -> int:
    """Remove what dead writers of ``path`` left; how many files were removed."""
    removed = 0
    for entry in leftovers(path):
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
            removed += 1
    return removed


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new link in it) to disk, where supported."""
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _fsync_file(tmp: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, path: Path, exclusive: bool) -> None:
    if not exclusive:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists: two creators cannot both win
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(tmp, path)


def write_with(
    path: Path,
    fill: Callable[[str], None],
    *,
    mode: int | None = None,
    exclusive: bool = False,
) -> None:
    """Replace ``path`` with what ``fill(tmp)`` writes to a temporary path beside it (given as
    a ``str``, which C-backed writers such as pyarrow's want)."""
    path = Path(path)
    clean(path)
    tmp = temp_path(path)
    try:
        fill(str(tmp))
        if mode is not None:
            os.chmod(tmp, mode)
        _fsync_file(tmp)
        _publish(tmp, path, exclusive)
    finally:  # after a link the name stays; after a rename or a failure this is a no-op
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)


def _write_data(handle, data: str | bytes) -> None:
    """Write the file's content (a seam for the tests that stop a write midway)."""
    handle.write(data)


def write(
    path: Path,
    data: str | bytes,
    *,
    mode: int | None = None,
    exclusive: bool = False,
) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    clean(path)
    tmp = temp_path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(tmp, flags, 0o600 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_data(handle, payload)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if mode is None:  # as an ordinary new file: the umask decides
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        _publish(tmp, path, exclusive)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    fsync_dir(path.parent)


def write_json(path: Path, data: object, *, mode: int | None = None, **dump) -> None:
    """Replace ``path`` with ``data`` as JSON (indent 1, UTF-8 unless told otherwise)."""
    options = {"indent": 1, "ensure_ascii": False, **dump}
    write(path, json.dumps(data, **options) + "\n", mode=mode)
