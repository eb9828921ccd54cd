"""A learner's progress: their tracks, modules done and in progress, scores, hours, what comes
next and their certificates, as the "My progress" page and the exports show them.

Modules come from the records store; scores from nbgrader's gradebook (the grader of record),
read only; an assessment belongs to a track when its module is one of the track's. A track
whose file names a module that does not exist is shown with that problem and counts for
nothing (no certificate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from chwkit.learn import spec as module_specs
from chwkit.learn import tracks as track_specs
from chwkit.program import mastery
from chwkit.program.store import Certificate, ModuleRecord, RecordsStore


@dataclass(frozen=True)
class Result:
    """A graded submission, as nbgrader's gradebook holds it."""

    assignment: str
    score: float
    max_score: float
    needs_manual_grade: bool
    timestamp: dt.datetime | None

    @property
    def share(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0


@dataclass
class ModuleStatus:
    id: str
    title: dict[str, str]
    duration_min: int
    status: str  # "done" | "in_progress" | "not_started"
    record: ModuleRecord | None
    right: int  # practice questions right at least once
    questions: int
    rule: mastery.Rule

    @property
    def href(self) -> str:
        return f"voila/render/notebooks/modules/{self.id}/{self.id}.ipynb"


@dataclass
class AssessmentStatus:
    assignment: str
    module: str
    title: dict[str, str]
    result: Result | None
    pass_mark: float

    @property
    def status(self) -> str:
        """``not_taken`` | ``waiting`` (reflections to grade) | ``passed`` | ``below``."""
        if self.result is None:
            return "not_taken"
        if self.result.needs_manual_grade:
            return "waiting"
        return "passed" if self.result.share >= self.pass_mark - 1e-9 else "below"

    @property
    def href(self) -> str:
        return f"voila/render/notebooks/assessment.ipynb?a={self.assignment}"


@dataclass
class TrackStatus:
    id: str
    title: dict[str, str]
    summary: dict[str, str]
    program: str
    hours: float
    pass_mark: float
    modules: list[ModuleStatus] = field(default_factory=list)
    assessments: list[AssessmentStatus] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # modules the track file names in vain
    certificate: Certificate | None = None
    revoked: Certificate | None = None

    @property
    def complete(self) -> bool:
        """Every module completed, every assessment at or above the pass mark, reflections
        graded, and nothing missing."""
        return (
            not self.missing
            and bool(self.modules)
            and all(m.status == "done" for m in self.modules)
            and all(a.status == "passed" for a in self.assessments)
        )

    @property
    def started(self) -> bool:
        return any(m.status != "not_started" for m in self.modules) or any(
            a.result for a in self.assessments
        )


@dataclass
class Progress:
    learner: str
    year: int
    tracks: list[TrackStatus]
    other_modules: list[ModuleStatus]
    hours_this_year: float  # the stated hours of the modules completed this year
    active_hours_this_year: float  # time measured on module pages this year
    certificates: list[Certificate]

    def next_step(self) -> tuple[str, object] | None:
        """What comes next: ``("module", ModuleStatus)`` or ``("assessment", ...)``."""
        tracks = sorted(self.tracks, key=lambda t: (not t.started, t.complete))
        for track in tracks:
            if track.complete or track.missing:
                continue
            for module in track.modules:
                if module.status != "done":
                    return "module", module
            for assessment in track.assessments:
                if assessment.status in ("not_taken", "below"):
                    return "assessment", assessment
        return None


def gradebook_results(learner: str) -> dict[str, Result]:
    """``learner``'s graded submissions, read from nbgrader's gradebook without writing it."""
    from chwkit.assess import course

    path = course.db_path()
    if not path.is_file():
        return {}
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    try:
        with Gradebook(url, course.COURSE_ID) as gb:
            try:
                student = gb.find_student(learner)
            except MissingEntry:
                return {}
            return {
                sub.assignment.name: Result(
                    sub.assignment.name,
                    float(sub.score or 0.0),
                    float(sub.max_score or 0.0),
                    bool(sub.needs_manual_grade),
                    sub.timestamp,
                )
                for sub in student.submissions
            }
    except Exception:  # a gradebook being created, or locked for long: no scores this time
        return {}


def released_assessments() -> list[tuple[str, str, dict[str, str]]]:
    """``(assignment, module, title)`` of every released assessment."""
    from chwkit.assess import course
    from chwkit.assess.items import load_assessment

    found = []
    for assignment in course.available():
        try:
            spec = load_assessment(course.release_notebook(assignment))
        except (ValueError, OSError):
            continue
        found.append((assignment, spec.module, dict(spec.title)))
    return found


def _module_status(
    spec: module_specs.ModuleSpec, record: ModuleRecord | None, attempts: list
) -> ModuleStatus:
    questions = tuple(q.id for q in spec.questions)
    right = sum(1 for a in attempts if a.question in questions and a.right_once)
    if record is not None and record.completed_at is not None:
        status = "done"
    elif record is not None:
        status = "in_progress"
    else:
        status = "not_started"
    return ModuleStatus(
        spec.id,
        dict(spec.title),
        spec.duration_min,
        status,
        record,
        right,
        len(questions),
        mastery.rule_for(spec.id),
    )


def learner_progress(
    store: RecordsStore,
    learner: str,
    results: dict[str, Result] | None = None,
    today: dt.date | None = None,
    tracks_root: Path | None = None,
) -> Progress:
    today = today or dt.datetime.now(dt.UTC).date()
    records = store.module_records(learner)
    attempts_by_module: dict[str, list] = {}
    for attempt in store.attempts(learner):
        attempts_by_module.setdefault(attempt.module, []).append(attempt)
    results = gradebook_results(learner) if results is None else results
    specs = {spec.id: spec for spec in module_specs.discover()}
    assessments = released_assessments()
    held = store.certificates(learner)

    statuses = {
        mid: _module_status(spec, records.get(mid), attempts_by_module.get(mid, []))
        for mid, spec in specs.items()
    }
    tracks = []
    in_tracks: set[str] = set()
    base = tracks_root or track_specs.tracks_dir()
    for track in track_specs.discover(base) if Path(base).is_dir() else []:
        status = TrackStatus(
            track.id,
            dict(track.title),
            dict(track.summary),
            track.program,
            track.hours,
            track.pass_mark,
        )
        for mid in track.modules:
            if mid in statuses:
                status.modules.append(statuses[mid])
                in_tracks.add(mid)
            else:
                status.missing.append(mid)
        for assignment, module, title in assessments:
            if module in track.modules:
                status.assessments.append(
                    AssessmentStatus(
                        assignment, module, title, results.get(assignment), track.pass_mark
                    )
                )
        for certificate in held:
            if certificate.track == track.id:
                if certificate.valid:
                    status.certificate = certificate
                else:
                    status.revoked = certificate
        tracks.append(status)
    others = [s for mid, s in statuses.items() if mid not in in_tracks]
    hours = sum(
        s.duration_min / 60
        for s in statuses.values()
        if s.record and s.record.completed_at and s.record.completed_at.year == today.year
    )
    active = sum(
        r.active_seconds / 3600 for r in records.values() if r.last_opened_at.year == today.year
    )
    return Progress(
        learner,
        today.year,
        tracks,
        others,
        round(hours, 2),
        round(active, 2),
        [c for c in held if c.valid],
    )
