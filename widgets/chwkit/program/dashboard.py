"""The supervisor's dashboard: per group, who is where in the track, who needs help, hours
against the 6-hour continuing-training floor, scores and reflections waiting, the plan's
sessions so far, progress over time, and a CSV of what is shown.

A supervisor (or trainer) signs in on the page with their access code, checked in the kernel
against the roster (role ``facilitator``), as the forum recorder does; failed tries are
counted in the records store per code, so a reload cannot reset them. They see only the
groups the roster says they lead (``chwkit roster group G --facilitator ID``); a learner's
code opens nothing.

What each part reads:

- the roster: the groups and their members;
- the plan files (``notebooks/plans/*.yaml``): the track a group follows, and its planned
  sessions (``chwkit.program.plan``);
- the records store: module opened / completed, practice tries (``chwkit.program.store``);
- nbgrader's gradebook, read only: assessment scores (``chwkit.program.progress``);
- the forum session notebooks: who the facilitator ticked present (``chwkit.forum.attendance``).

A cell's status: ``done`` (completed by the module's mastery rule), ``needs_help`` (not done
and at least ``NEEDS_HELP_WRONG`` practice questions, and half of them, wrong on the first
try), ``in_progress`` (opened), ``not_started``. Hours this year are the stated hours of the
modules completed this calendar year, as on the learner's own progress page, plus the hours of
the forum sessions they were ticked present at this year (each session's ``hours`` parameter,
1.5 h when it gives none).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets
from IPython.display import display
from traitlets import Unicode

from chwkit.core import paths
from chwkit.core.i18n import t
from chwkit.core.lang import Lang
from chwkit.core.log import kernel_log
from chwkit.core.signin import SignInBox, records_store
from chwkit.learn.spec import ModuleSpec
from chwkit.learn.tracks import TrackSpec, tracks_dir

HOURS_FLOOR = 6.0  # Medi-Cal's CHW benefit: at least 6 hours of continuing training a year
NEEDS_HELP_WRONG = 2
STATUSES = ("not_started", "in_progress", "needs_help", "done")

log = kernel_log(__name__)


# -- what the dashboard shows --------------------------------------------------------------------
@dataclass
class LearnerRow:
    id: str
    name: str | None
    cells: dict[str, str]  # module id -> status
    hours_this_year: float  # modules completed and forum sessions attended, this year
    scores: dict[str, float | None]  # assignment -> share (None: waiting for a trainer)
    completed_on: list[dt.date] = field(default_factory=list)
    module_hours: float = 0.0
    forum_sessions: int = 0  # forum sessions ticked present at this year
    forum_hours: float = 0.0

    @property
    def below_floor(self) -> bool:
        return self.hours_this_year < HOURS_FLOOR

    @property
    def waiting(self) -> int:
        return sum(1 for share in self.scores.values() if share is None)


@dataclass
class GroupView:
    id: str
    name: str
    track: TrackSpec | None
    modules: list[ModuleSpec]
    learners: list[LearnerRow]
    assignments: list[str]
    planned_total: int = 0
    planned_due: int = 0  # planned sessions dated today or before
    delivered: int = 0  # modules of the track completed by at least one member
    year: int = 0
    forum_sessions: int = 0  # forum sessions this year at which a member was ticked present

    def progress_by_month(self) -> list[tuple[str, int]]:
        """Modules completed by the group, cumulated month by month (``YYYY-MM``, count)."""
        days = sorted(d for learner in self.learners for d in learner.completed_on)
        if not days:
            return []
        months: list[tuple[str, int]] = []
        year, month = days[0].year, days[0].month
        last = (days[-1].year, days[-1].month)
        while (year, month) <= last:
            count = sum(1 for d in days if (d.year, d.month) <= (year, month))
            months.append((f"{year}-{month:02d}", count))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def cell_status(record, attempts: list, questions: int) -> str:
    if record is not None and record.completed_at is not None:
        return "done"
    wrong = sum(1 for a in attempts if not a.first_try_right)
    if attempts and wrong >= max(NEEDS_HELP_WRONG, math.ceil(questions / 2)):
        return "needs_help"
    return "in_progress" if record is not None else "not_started"


def plan_tracks(plans_dir: Path | None = None) -> dict[str, tuple[str, Path]]:
    """group id -> (track id, plan file), from every plan file that names the group (the
    first, by file name); files that cannot be read are skipped."""
    import yaml

    found: dict[str, tuple[str, Path]] = {}
    base = plans_dir or paths.project_root() / "notebooks" / "plans"
    for path in sorted(Path(base).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        for group in (data or {}).get("groups") or [] if isinstance(data, dict) else []:
            if isinstance(group, dict) and isinstance(group.get("id"), str):
                found.setdefault(group["id"], (str(group.get("track")), path))
    return found


def _planned(group_id: str, plan_file: Path | None, today: dt.date) -> tuple[int, int]:
    if plan_file is None:
        return 0, 0
    from chwkit.program import plan

    try:
        result = plan.schedule(plan.load(plan_file, "en"), "en")
    except plan.PlanError:
        return 0, 0
    own = [s for s in result.sessions if s.group == group_id]
    return len(own), sum(1 for s in own if s.date is not None and s.date <= today)


def group_view(
    group,
    store,
    *,
    today: dt.date | None = None,
    results=None,
    plans_dir: Path | None = None,
    attendance: dict | None = None,
) -> GroupView:
    """Everything the dashboard shows of one roster group.

    ``results(learner) -> {assignment: Result}`` reads scores (nbgrader's gradebook by
    default); ``store`` is a records store (or None: nobody has started); ``attendance``:
    roster id -> forum sessions attended (``chwkit.forum.attendance.by_learner``, read from
    the session notebooks by default).
    """
    from chwkit.forum.attendance import by_learner, in_year
    from chwkit.learn import spec as module_specs
    from chwkit.program import progress

    today = today or dt.date.today()
    if attendance is None:
        attendance = by_learner()
    tracks = plan_tracks(plans_dir)
    track_id, plan_file = tracks.get(group.id, (None, None))
    track = None
    if track_id and (tracks_dir() / f"{track_id}.yaml").is_file():
        track = TrackSpec.load(tracks_dir() / f"{track_id}.yaml")
    specs = [s for s in (module_specs.find(m) for m in track.modules) if s] if track else []
    if results is None:
        results = progress.gradebook_results
    track_modules = {s.id for s in specs}
    assignments = sorted(
        a for a, module, _ in progress.released_assessments() if module in track_modules
    )
    learners = []
    every: dict[str, ModuleSpec] = {}  # every module's duration, read once if anyone has records
    for person_id in group.members:
        records = store.module_records(person_id) if store is not None else {}
        attempts = store.attempts(person_id) if store is not None else []
        cells = {
            s.id: cell_status(
                records.get(s.id), [a for a in attempts if a.module == s.id], len(s.questions)
            )
            for s in specs
        }
        if records and not every:
            every = {s.id: s for s in module_specs.discover()}
        completed = [r for r in records.values() if r.completed_at is not None]
        hours = sum(
            every[r.module].duration_min / 60
            for r in completed
            if r.completed_at.year == today.year and r.module in every
        )
        forums = in_year(attendance.get(person_id, []), today.year)
        forum_hours = sum(a.hours for a in forums)
        graded = results(person_id)
        scores = {}
        for assignment in assignments:
            result = graded.get(assignment)
            if result is not None:
                scores[assignment] = None if result.needs_manual_grade else round(result.share, 3)
        learners.append(
            LearnerRow(
                person_id,
                None,
                cells,
                round(hours + forum_hours, 2),
                scores,
                [r.completed_at.date() for r in completed if r.module in track_modules],
                module_hours=round(hours, 2),
                forum_sessions=len(forums),
                forum_hours=round(forum_hours, 2),
            )
        )
    met = {
        a.session_id
        for person_id in group.members
        for a in in_year(attendance.get(person_id, []), today.year)
    }
    total, due = _planned(group.id, plan_file, today)
    delivered = sum(1 for s in specs if any(row.cells.get(s.id) == "done" for row in learners))
    return GroupView(
        id=group.id,
        name=group.name or group.id,
        track=track,
        modules=specs,
        learners=learners,
        assignments=assignments,
        planned_total=total,
        planned_due=due,
        delivered=delivered,
        year=today.year,
        forum_sessions=len(met),
    )


def csv_text(view: GroupView, lang: str) -> str:
    """What the grid shows, one row per learner (statuses as codes, hours, scores)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    year = view.year
    writer.writerow(
        ["group", "learner", *[s.id for s in view.modules]]
        + [f"module_hours_{year}", f"forum_sessions_{year}", f"forum_hours_{year}"]
        + [f"hours_{year}", "below_6_hours"]
        + [f"score_{a}" for a in view.assignments]
        + ["reflections_waiting"]
    )
    for row in view.learners:
        writer.writerow(
            [view.id, row.id, *[row.cells[s.id] for s in view.modules]]
            + [f"{row.module_hours:g}", row.forum_sessions, f"{row.forum_hours:g}"]
            + [f"{row.hours_this_year:g}", "yes" if row.below_floor else "no"]
            + [
                ""
                if a not in row.scores
                else ("waiting" if row.scores[a] is None else row.scores[a])
                for a in view.assignments
            ]
            + [row.waiting]
        )
    return out.getvalue()


# -- the page ------------------------------------------------------------------------------------
STYLE = """<style>
.chwkit-dash { max-width: 72rem; }
.chwkit-dash .widget-html-content { white-space: normal; line-height: 1.4; min-width: 0; }
.chwkit-dash .summary p { margin: .3rem 0; }
.chwkit-dash .scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
.chwkit-dash table { border-collapse: collapse; font-size: .9rem; }
.chwkit-dash th, .chwkit-dash td { border: 1px solid #d9dde1; padding: .25rem .4rem; text-align: center; }
.chwkit-dash th.learner, .chwkit-dash td.learner { text-align: left; position: sticky; left: 0; background: #fff; }
.chwkit-dash td.done { background: #d6f0d8; } .chwkit-dash td.in_progress { background: #fff4c2; }
.chwkit-dash td.needs_help { background: #f8d0cc; font-weight: 700; } .chwkit-dash td.not_started { color: #52606d; }
.chwkit-dash td.below { background: #f8d0cc; font-weight: 700; } .chwkit-dash td.forum { white-space: nowrap; }
.chwkit-dash .error { color: #a00000; } .chwkit-dash .summary { margin: .5rem 0; }
</style>"""


def _html_grid(view: GroupView, lang: str) -> str:
    """The grid: each learner's hours and forums first (what a phone shows without scrolling),
    then their modules, scores and reflections waiting."""
    e = html.escape
    head = f"<th>{e(t('dash.col.hours', lang, year=view.year))}</th>"
    head += f"<th>{e(t('dash.col.forum', lang, year=view.year))}</th>"
    head += "".join(
        f'<th title="{e(s.title[lang])}">{i}. {e(s.title[lang])}</th>'
        for i, s in enumerate(view.modules, start=1)
    )
    head += "".join(f"<th>{e(a)}</th>" for a in view.assignments)
    head += f"<th>{e(t('dash.col.waiting', lang))}</th>"
    rows = []
    for row in view.learners:
        flag = f" {e(t('dash.below', lang))}" if row.below_floor else ""
        cells = (
            f'<td class="{"below" if row.below_floor else ""}" data-learner="{e(row.id)}">'
            f"{row.hours_this_year:g}{flag}</td>"
        )
        forum = f"{row.forum_sessions} · {row.forum_hours:g} h" if row.forum_sessions else "0"
        cells += f'<td class="forum" data-forum="{e(row.id)}">{e(forum)}</td>'
        cells += "".join(
            f'<td class="{row.cells[s.id]}">{e(t("dash.status." + row.cells[s.id], lang))}</td>'
            for s in view.modules
        )
        for a in view.assignments:
            share = row.scores.get(a, "")
            text = (
                "" if share == "" else t("dash.waiting", lang) if share is None else f"{share:.0%}"
            )
            cells += f"<td>{e(text)}</td>"
        cells += f"<td>{row.waiting or ''}</td>"
        rows.append(f'<tr><td class="learner">{e(row.id)}</td>{cells}</tr>')
    return (
        f'<div class="scroll"><table class="chwkit-dash-grid" data-group="{e(view.id)}">'
        f'<thead><tr><th class="learner">{e(t("dash.col.learner", lang))}</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _summary(view: GroupView, lang: str) -> str:
    e = html.escape
    below = [r.id for r in view.learners if r.below_floor]
    help_ = sorted({r.id for r in view.learners if "needs_help" in r.cells.values()})
    parts = [
        t(
            "dash.summary.track",
            lang,
            track=view.track.title[lang] if view.track else t("dash.no_track", lang),
            learners=len(view.learners),
        ),
        t(
            "dash.summary.sessions",
            lang,
            due=view.planned_due,
            total=view.planned_total,
            delivered=view.delivered,
            modules=len(view.modules),
        ),
        t("dash.summary.below", lang, floor=f"{HOURS_FLOOR:g}", learners=", ".join(below) or "—"),
        t("dash.summary.help", lang, learners=", ".join(help_) or "—"),
        t(
            "dash.summary.forum",
            lang,
            sessions=view.forum_sessions,
            came=sum(1 for r in view.learners if r.forum_sessions),
            learners=len(view.learners),
        ),
    ]
    return '<div class="summary">' + "".join(f"<p>{e(p)}</p>" for p in parts) + "</div>"


def _download_link(view: GroupView, lang: str) -> str:
    data = base64.b64encode(csv_text(view, lang).encode("utf-8")).decode("ascii")
    name = f"{view.id}-{dt.date.today().isoformat()}.csv"
    label = html.escape(t("dash.download", lang))
    return (
        f'<a class="chwkit-dash-csv" download="{html.escape(name)}" '
        f'href="data:text/csv;base64,{data}">{label}</a>'
    )


def _plot(view: GroupView, lang: str) -> widgets.Widget:
    """Modules completed by the group over time, as a picture (no script, works offline)."""
    months = view.progress_by_month()
    if not months:
        return widgets.HTML(f"<p>{html.escape(t('dash.plot.empty', lang))}</p>")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=90)
    ax.plot(range(len(months)), [c for _, c in months], marker="o", color="#0b6e69")
    step = math.ceil(len(months) / 6)  # at most six month labels: they never overlap
    ax.set_xticks(range(0, len(months), step), [m for m, _ in months][::step])
    ax.set_title(t("dash.plot.title", lang))
    ax.set_ylabel(t("dash.plot.y", lang))
    ax.set_xlabel(t("dash.plot.x", lang))
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    # At its own size (a wide screen would blur it), smaller where the screen is narrower.
    image = widgets.Image(value=buffer.getvalue(), format="png", width=str(6 * 90))
    image.layout.max_width = "100%"
    image.layout.height = "auto"
    image.add_class("chwkit-dash-plot")
    return image


class SupervisorDashboard(widgets.VBox):
    """The page: a code box, then the supervisor's own groups, one at a time."""

    lang = Lang().tag(sync=True)
    person = Unicode("").tag(sync=False)  # who signed in: set only by a verified code

    def __init__(
        self,
        lang: str = "es",
        *,
        store=None,
        results=None,
        plans_dir: Path | None = None,
        forum_dir: Path | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.lang = lang
        self._store = store
        self._results = results
        self._plans_dir = plans_dir
        self._forum_dir = forum_dir
        self._views: dict[str, GroupView] = {}
        L = self.lang
        self.add_class("chwkit-dash")
        # the kit's one code box (chwkit.core.signin): tries counted in the records store
        self.signin = SignInBox(
            "facilitator", lambda person, _code: self.sign_in(person.id), L, store
        )
        self.code, self.signin_button = self.signin.code, self.signin.button
        self.message = self.signin.message
        self.signin_box = widgets.VBox(
            [
                widgets.HTML(
                    f"<h2>{html.escape(t('dash.title', L))}</h2><p>{html.escape(t('dash.signin.help', L))}</p>"
                ),
                self.signin,
            ]
        )
        self.picker = widgets.Dropdown(description=t("dash.group", L), options=[])
        self.picker.observe(self._on_pick, names="value")
        self.grid = widgets.HTML()
        self.plot_box = widgets.VBox()
        self.main = widgets.VBox([self.picker, self.grid, self.plot_box])
        self.main.layout.display = "none"
        self.children = [widgets.HTML(STYLE), self.signin_box, self.main]

    # -- sign-in ---------------------------------------------------------------------------------
    def _records(self):
        """The server's records store (``chwkit.core.signin.records_store``) unless one was
        given. A database that cannot be opened is an error shown on the page, never a quiet
        fall back to another file."""
        if self._store is None:
            self._store = records_store()
        return self._store

    def sign_in(self, person_id: str) -> None:
        """Show ``person_id``'s groups (already verified): those the roster says they lead."""
        from chwkit.assess import roster

        self.person = person_id
        L = self.lang
        mine = [g for g in roster.groups() if g.facilitator == person_id]
        self.signin_box.layout.display = "none"
        self.main.layout.display = None
        if not mine:
            self.picker.layout.display = "none"
            self.grid.value = f"<p>{html.escape(t('dash.no_groups', L, person=person_id))}</p>"
            return
        self._groups = {g.id: g for g in mine}
        self.picker.options = [(g.name or g.id, g.id) for g in mine]
        self.picker.value = mine[0].id
        self._show(mine[0].id)

    def _on_pick(self, change) -> None:
        if self.person and change["new"] in getattr(self, "_groups", {}):
            self._show(change["new"])

    def _show(self, group_id: str) -> None:
        group = self._groups[group_id]  # only the supervisor's own groups are ever here
        started = time.monotonic()
        from chwkit.forum.attendance import by_learner

        view = group_view(
            group,
            self._records(),
            results=self._results,
            plans_dir=self._plans_dir,
            attendance=by_learner(self._forum_dir),  # read fresh: ticked since sign-in too
        )
        self._views[group_id] = view
        L = self.lang
        self.grid.value = (
            f"<h2>{html.escape(view.name)}</h2>"
            + _summary(view, L)
            + _html_grid(view, L)
            + f"<p><small>{html.escape(t('dash.hours_note', L, floor=f'{HOURS_FLOOR:g}'))}</small></p>"
            + f"<p>{_download_link(view, L)}</p>"
        )
        self.plot_box.children = [_plot(view, L)]
        log.info("dashboard %s shown in %.2f s", group_id, time.monotonic() - started)


def show() -> None:
    """The dashboard page: wait for the visitor (under preheating), then their language."""
    from chwkit.core.request import page_lang, wait_for_request

    wait_for_request()
    display(SupervisorDashboard(lang=page_lang()))
