"""Tracks: a program's path through the modules, one file per track in ``notebooks/tracks/``.

id: acompanantes_bienestar
title: {es: ..., en: ...}
summary: {es: ..., en: ...}
program: acompanantes          # the program it serves (seeds/ in the design)
level: entry | mid | advanced
modules: [acompanante_wellbeing, ...]   # in order
hours: 4.5                     # the modules' durations added up
pass_mark: 0.7                 # share of an assessment's points needed to pass it
prerequisites: [other_track]   # optional
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from chwkit.core import paths
from chwkit.learn.spec import LEVELS, MODULE_ID, ModuleError, _bilingual

TRACK_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class TrackError(ModuleError):
    """A track file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class TrackSpec:
    id: str
    path: Path
    title: dict[str, str]
    summary: dict[str, str]
    program: str
    level: str
    modules: tuple[str, ...]
    hours: float
    pass_mark: float
    prerequisites: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> TrackSpec:
        where = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TrackError(f"{where}: cannot read: {exc}") from exc
        if not isinstance(data, dict):
            raise TrackError(f"{where}: expected a mapping")
        tid = str(data.get("id", ""))
        if tid != Path(path).stem or not TRACK_ID.match(tid):
            raise TrackError(f"{where}: id {tid!r} must equal the file name {Path(path).stem!r}")
        level = data.get("level")
        if level not in LEVELS:
            raise TrackError(f"{where}: level must be one of {', '.join(LEVELS)}, not {level!r}")
        modules = data.get("modules")
        if not isinstance(modules, list) or not modules:
            raise TrackError(f"{where}: modules must list module ids, in order")
        bad = [m for m in modules if not isinstance(m, str) or not MODULE_ID.match(m)]
        if bad:
            raise TrackError(f"{where}: not module ids: {bad}")
        if len(set(modules)) != len(modules):
            raise TrackError(f"{where}: a module is listed twice")
        hours = data.get("hours")
        if not isinstance(hours, int | float) or isinstance(hours, bool) or hours <= 0:
            raise TrackError(f"{where}: hours must be a positive number")
        pass_mark = data.get("pass_mark")
        if not isinstance(pass_mark, int | float) or not 0 < pass_mark <= 1:
            raise TrackError(f"{where}: pass_mark must be a share between 0 and 1 (e.g. 0.7)")
        program = data.get("program")
        if not isinstance(program, str) or not program.strip():
            raise TrackError(f"{where}: program must name the program the track serves")
        prerequisites = data.get("prerequisites") or []
        if not isinstance(prerequisites, list) or not all(
            isinstance(p, str) and TRACK_ID.match(p) for p in prerequisites
        ):
            raise TrackError(f"{where}: prerequisites must list track ids")
        return cls(
            id=tid,
            path=Path(path),
            title=_bilingual(data.get("title"), f"{where} title"),
            summary=_bilingual(data.get("summary"), f"{where} summary"),
            program=program.strip(),
            level=level,
            modules=tuple(modules),
            hours=float(hours),
            pass_mark=float(pass_mark),
            prerequisites=tuple(prerequisites),
        )


def tracks_dir() -> Path:
    return paths.project_root() / "notebooks" / "tracks"


def discover(root: Path | None = None) -> list[TrackSpec]:
    """Every track, entry level first, then by id."""
    base = Path(root) if root else tracks_dir()
    found = [TrackSpec.load(p) for p in sorted(base.glob("*.yaml"))]
    return sorted(found, key=lambda t: (LEVELS.index(t.level), t.id))
