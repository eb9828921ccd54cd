"""Competency coverage: which C3 roles and skills a track, a group or a learner has covered,
with hours, and the gaps.

Modules carry their C3 roles and skills (``module.yaml``); a module's hours are its
``duration_min``, counted in full for each role and skill it is tagged with (a 50-minute
module tagged with roles 4 and 6 gives 50 minutes to each: hours of modules touching a
competency, not a split of the time).

- a **track**'s coverage is planned: the hours of its modules per competency; a competency
  no module of the track touches is a gap;
- a **learner**'s is done: the hours of the modules they completed (the records store,
  ``chwkit.program.store``), against a track when one is named;
- a **group**'s is its members': how many covered each competency, and their mean hours.

Statuses: ``covered`` / ``gap`` (a track, or no track named); against a track, ``done``
(every planned hour completed), ``partial``, ``pending`` (planned, nothing completed yet)
and ``gap`` (neither planned nor completed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from chwkit.core.i18n import t
from chwkit.learn.spec import C3_ROLES, C3_SKILLS, ModuleSpec
from chwkit.learn.tracks import TrackSpec

CSV_COLUMNS = (
    "kind",
    "code",
    "label",
    "planned_hours",
    "planned_modules",
    "covered_hours",
    "covered_modules",
    "learners_covered",
    "learners",
    "status",
)


@dataclass(frozen=True)
class Competency:
    kind: str  # role | skill
    code: str  # "4", "communication"

    def label(self, lang: str) -> str:
        return t(f"c3.{self.kind}.{self.code}", lang)

    def tags(self, spec: ModuleSpec) -> bool:
        if self.kind == "role":
            return int(self.code) in spec.c3_roles
        return self.code in spec.c3_skills


COMPETENCIES: tuple[Competency, ...] = tuple(
    [Competency("role", str(r)) for r in C3_ROLES] + [Competency("skill", s) for s in C3_SKILLS]
)


@dataclass(frozen=True)
class Row:
    competency: Competency
    status: str
    planned_hours: float | None = None  # None: no track named
    planned_modules: tuple[str, ...] = ()
    covered_hours: float | None = None  # a learner's; a group's mean; None for a track
    covered_modules: tuple[str, ...] = ()
    learners_covered: int | None = None  # a group's
    learners: int | None = None


def _hours(specs: Iterable[ModuleSpec]) -> float:
    return round(sum(s.duration_min for s in specs) / 60, 2)


def _status(planned: float | None, covered: float) -> str:
    if planned is None:
        return "covered" if covered > 0 else "gap"
    if planned == 0:
        return "covered" if covered > 0 else "gap"
    if covered >= planned - 1e-9:
        return "done"
    return "partial" if covered > 0 else "pending"


def track_coverage(track: TrackSpec, specs: list[ModuleSpec]) -> list[Row]:
    """The hours each competency gets from the track's modules (``specs``, in its order)."""
    rows = []
    for c in COMPETENCIES:
        tagged = [s for s in specs if c.tags(s)]
        rows.append(
            Row(
                c,
                "covered" if tagged else "gap",
                planned_hours=_hours(tagged),
                planned_modules=tuple(s.id for s in tagged),
            )
        )
    return rows


def learner_coverage(
    completed: set[str], specs: list[ModuleSpec], track_specs: list[ModuleSpec] | None = None
) -> list[Row]:
    """A learner's coverage from the ids of the modules they ``completed``; against the
    track's modules when ``track_specs`` is given."""
    done = [s for s in specs if s.id in completed]
    rows = []
    for c in COMPETENCIES:
        tagged = [s for s in done if c.tags(s)]
        covered = _hours(tagged)
        planned = planned_modules = None
        if track_specs is not None:
            in_track = [s for s in track_specs if c.tags(s)]
            planned, planned_modules = _hours(in_track), tuple(s.id for s in in_track)
        rows.append(
            Row(
                c,
                _status(planned, covered),
                planned_hours=planned,
                planned_modules=planned_modules or (),
                covered_hours=covered,
                covered_modules=tuple(s.id for s in tagged),
            )
        )
    return rows


def group_coverage(
    completed_by: dict[str, set[str]],
    specs: list[ModuleSpec],
    track_specs: list[ModuleSpec] | None = None,
) -> list[Row]:
    """A group's coverage from each member's completed modules (``{learner: {module}}``).
    A competency is ``done`` when every member has done it, ``partial`` when some have."""
    per_learner = {
        learner: learner_coverage(modules, specs, track_specs)
        for learner, modules in completed_by.items()
    }
    members = len(per_learner)
    rows = []
    for index, c in enumerate(COMPETENCIES):
        mine = [rows_[index] for rows_ in per_learner.values()]
        covered = [r for r in mine if (r.covered_hours or 0) > 0]
        mean = round(sum(r.covered_hours or 0 for r in mine) / members, 2) if members else 0.0
        planned = mine[0].planned_hours if mine else None
        planned_modules = mine[0].planned_modules if mine else ()
        if track_specs is not None and not mine:
            in_track = [s for s in track_specs if c.tags(s)]
            planned, planned_modules = _hours(in_track), tuple(s.id for s in in_track)
        if planned:
            if mine and all(r.status == "done" for r in mine):
                status = "done"
            else:
                status = "partial" if covered else "pending"
        else:
            status = "covered" if covered else "gap"
        modules = sorted({m for r in mine for m in r.covered_modules})
        rows.append(
            Row(
                c,
                status,
                planned_hours=planned,
                planned_modules=planned_modules,
                covered_hours=mean,
                covered_modules=tuple(modules),
                learners_covered=len(covered),
                learners=members,
            )
        )
    return rows


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _short(text: str, width: int = 64) -> str:
    """A label cut to fit a terminal row (the CSV keeps it whole)."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def csv_text(rows: list[Row], lang: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.competency.kind,
                r.competency.code,
                r.competency.label(lang),
                _number(r.planned_hours),
                ";".join(r.planned_modules),
                _number(r.covered_hours),
                ";".join(r.covered_modules),
                "" if r.learners_covered is None else r.learners_covered,
                "" if r.learners is None else r.learners,
                r.status,
            ]
        )
    return out.getvalue()


def table_text(rows: list[Row], lang: str) -> str:
    """The rows as an aligned table for a terminal, headed and labelled in ``lang``."""
    show_planned = any(r.planned_hours is not None for r in rows)
    show_covered = any(r.covered_hours is not None for r in rows)
    show_group = any(r.learners is not None for r in rows)
    header = [t("coverage.col.competency", lang)]
    if show_planned:
        header.append(t("coverage.col.planned", lang))
    if show_covered:
        header.append(t("coverage.col.mean" if show_group else "coverage.col.covered", lang))
    if show_group:
        header.append(t("coverage.col.learners", lang))
    header.append(t("coverage.col.status", lang))
    lines = [header]
    for r in rows:
        kind = t(f"coverage.kind.{r.competency.kind}", lang)
        code = f"{r.competency.code}. " if r.competency.kind == "role" else ""
        cells = [_short(f"{kind}: {code}{r.competency.label(lang)}")]
        if show_planned:
            cells.append(_number(r.planned_hours))
        if show_covered:
            cells.append(_number(r.covered_hours))
        if show_group:
            cells.append(f"{r.learners_covered}/{r.learners}")
        cells.append(t(f"coverage.status.{r.status}", lang))
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = []
    for n, line in enumerate(lines):
        text.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) if i < len(line) - 1 else cell
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            text.append("  ".join("-" * w for w in widths))
    text.append("")
    for kind in ("role", "skill"):
        gaps = [
            r.competency.code if kind == "role" else r.competency.label(lang)
            for r in rows
            if r.competency.kind == kind and r.status in ("gap", "pending")
        ]
        listed = (", " if kind == "role" else "; ").join(gaps) or t("coverage.no_gaps", lang)
        text.append(t(f"coverage.gaps.{kind}s", lang, gaps=listed))
    return "\n".join(text) + "\n"
