"""The supervisor's dashboard, driven as widgets (no browser): a supervisor's code shows only
their groups, a learner's code opens nothing, learners below 6 hours and needing help are
flagged, the CSV link holds what the grid shows, and failed tries survive a reload."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import math
import os
import re
import textwrap
import types

import pytest

from chwkit.assess import roster
from chwkit.core import signin
from chwkit.program import dashboard, progress
from chwkit.program.store import RecordsStore

TRACK = "acompanantes_bienestar"


@pytest.fixture
def setup(small_roster, tmp_path, monkeypatch):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "prueba.yaml").write_text(
        textwrap.dedent(
            f"""
            start: 2024-01-01
            end: 2024-12-31
            cadence: {{every: monthly, weekday: tuesday, time: "10:00"}}
            groups:
              - {{id: g1, track: {TRACK}}}
            """
        )
    )
    store = RecordsStore(f"sqlite:///{small_roster / 'records.db'}")
    store.create()
    from chwkit.learn.tracks import TrackSpec, tracks_dir

    modules = TrackSpec.load(tracks_dir() / f"{TRACK}.yaml").modules
    # p1 completed the first two modules
    done = [{"kind": "opened", "module": m, "visit": f"p1-{m}"} for m in modules[:2]]
    store.record_events("p1", done, completion=lambda *_: True)
    # p2 opened the first and got as many questions wrong on the first try as "needs help" takes
    from chwkit.learn.spec import find

    questions = [q.id for q in find(modules[0]).questions]
    wrong = max(dashboard.NEEDS_HELP_WRONG, math.ceil(len(questions) / 2))
    store.record_events(
        "p2",
        [{"kind": "opened", "module": modules[0], "visit": "p2-a"}]
        + [
            {
                "kind": "attempt",
                "module": modules[0],
                "visit": "p2-a",
                "question": q,
                "right": False,
            }
            for q in questions[:wrong]
        ],
    )
    assignment = f"{modules[0]}_check"
    monkeypatch.setattr(
        progress, "released_assessments", lambda: [(assignment, modules[0], {"es": "x", "en": "x"})]
    )
    graded = {
        "p1": {assignment: progress.Result(assignment, 4, 5, False, None)},
        "p2": {assignment: progress.Result(assignment, 1, 5, True, None)},
    }
    return {
        "store": store,
        "plans": plans,
        "modules": modules,
        "assignment": assignment,
        "results": lambda learner: graded.get(learner, {}),
        "codes": {pid: roster.reset_code(pid) for pid in ("f1", "f2", "p1")},
    }


def page(setup, lang="en") -> dashboard.SupervisorDashboard:
    return dashboard.SupervisorDashboard(
        lang=lang, store=setup["store"], results=setup["results"], plans_dir=setup["plans"]
    )


def sign_in(board, code: str) -> None:
    board.code.value = code
    board.signin_button.click()


def test_a_learners_code_opens_nothing(setup):
    board = page(setup)
    sign_in(board, setup["codes"]["p1"])
    assert board.person == "" and board.main.layout.display == "none"
    assert "not valid for a facilitator" in board.message.value
    assert board.grid.value == "" and board.code.value == "", "the code is not kept"


def test_a_supervisor_sees_only_the_groups_they_lead(setup):
    board = page(setup)
    sign_in(board, setup["codes"]["f1"])
    assert board.person == "f1" and board.main.layout.display is None
    assert [value for _, value in board.picker.options] == ["g1", "g2"]
    grid = board.grid.value
    assert 'data-group="g1"' in grid and ">p1<" in grid and ">p2<" in grid and ">p3<" not in grid
    board.picker.value = "g2"
    assert 'data-group="g2"' in board.grid.value and ">p3<" in board.grid.value
    board.picker.value = "g1"

    other = page(setup)
    sign_in(other, setup["codes"]["f2"])
    assert [value for _, value in other.picker.options] == ["vacio"]
    assert ">p1<" not in other.grid.value


def test_the_grid_flags_who_is_below_6_hours_and_who_needs_help(setup):
    board = page(setup)
    sign_in(board, setup["codes"]["f1"])
    view = board._views["g1"]
    rows = {row.id: row for row in view.learners}
    first, second = setup["modules"][:2]
    assert rows["p1"].cells[first] == rows["p1"].cells[second] == "done"
    assert rows["p2"].cells[first] == "needs_help"
    assert all(status == "not_started" for m, status in rows["p2"].cells.items() if m != first)
    from chwkit.learn.spec import find

    hours = (find(first).duration_min + find(second).duration_min) / 60
    if dt.date.today().year == dt.datetime.now(dt.UTC).year:
        assert rows["p1"].hours_this_year == pytest.approx(round(hours, 2))
    assert rows["p1"].below_floor and rows["p2"].below_floor  # the track holds under 6 hours
    cell = re.search(r'data-learner="p1">([^<]*)<', board.grid.value).group(1)
    assert "(below 6 h)" in cell
    assert "Need help in a module: p2" in board.grid.value
    assert rows["p1"].scores == {setup["assignment"]: 0.8}
    assert rows["p2"].scores == {setup["assignment"]: None} and rows["p2"].waiting == 1
    assert (
        f"Planned sessions so far: {view.planned_due} of {len(setup['modules'])}"
        in board.grid.value
    )
    assert view.delivered == 2


def test_the_csv_link_holds_what_the_grid_shows(setup):
    board = page(setup, lang="es")
    sign_in(board, setup["codes"]["f1"])
    link = re.search(r'href="data:text/csv;base64,([^"]+)"', board.grid.value).group(1)
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(link).decode("utf-8"))))
    assert [r["learner"] for r in rows] == ["p1", "p2"]
    assert rows[0][setup["modules"][0]] == "done" and rows[1][setup["modules"][0]] == "needs_help"
    year = dt.date.today().year
    assert rows[0]["below_6_hours"] == "yes" and float(rows[0][f"hours_{year}"]) > 0
    assert rows[1][f"score_{setup['assignment']}"] == "waiting"
    assert "Descargar esta tabla (CSV)" in board.grid.value


def test_failed_tries_are_counted_in_the_store_so_a_reload_cannot_reset_them(setup):
    code = setup["codes"]["f1"]
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    for _ in range(signin.MAX_TRIES):
        sign_in(page(setup), wrong)  # a new page each time, as after a reload
    board = page(setup)
    sign_in(board, code)  # even the right code waits for the window to pass
    assert board.person == "" and "Too many tries" in board.message.value


def test_needs_help_takes_many_wrong_first_tries_not_one():
    from chwkit.program.store import Attempt

    wrong = Attempt("m", "q1", 2, False, True)
    right = Attempt("m", "q2", 1, True, True)
    opened = types.SimpleNamespace(completed_at=None)
    assert dashboard.cell_status(None, [], 6) == "not_started"
    assert dashboard.cell_status(opened, [wrong, right], 6) == "in_progress"
    assert dashboard.cell_status(opened, [wrong] * 3, 6) == "needs_help"
    assert dashboard.cell_status(opened, [wrong] * 2, 3) == "needs_help"


def test_progress_over_time_cumulates_by_month_with_empty_months_kept():
    row = dashboard.LearnerRow("p1", None, {}, 0, {}, [dt.date(2024, 1, 5), dt.date(2024, 3, 2)])
    other = dashboard.LearnerRow("p2", None, {}, 0, {}, [dt.date(2024, 1, 20)])
    view = dashboard.GroupView("g1", "g1", None, [], [row, other], [])
    assert view.progress_by_month() == [("2024-01", 2), ("2024-02", 2), ("2024-03", 3)]


# -- forum attendance ------------------------------------------------------------------------
def test_forum_sessions_attended_count_in_the_hours_and_have_their_column(setup, tmp_path):
    from chwkit.forum.model import make_session
    from chwkit.forum.session import new_session, set_present

    forum = tmp_path / "forum_sessions"
    template = dashboard.paths.project_root() / "forum_sessions" / "_template.ipynb"
    year = dt.date.today().year
    board = page(setup)
    sign_in(board, setup["codes"]["f1"])
    module_hours = board._views["g1"].learners[0].hours_this_year
    assert board._views["g1"].learners[0].forum_sessions == 0

    extra = round(dashboard.HOURS_FLOOR - module_hours + 0.5, 2)  # enough to pass the floor
    this = new_session(
        make_session(f"{year}-01-15", "norte", "Autocuidado", "f1", group="g1", hours=extra),
        forum,
        template,
    )
    last = new_session(
        make_session(f"{year - 1}-11-20", "norte", "Duelo", "f1", group="g1"), forum, template
    )
    set_present(this, ["p1"], ["p1", "p2"], "f1")
    set_present(last, ["p1", "p2"], ["p1", "p2"], "f1")  # last year's: not this year's hours

    board = dashboard.SupervisorDashboard(
        lang="en",
        store=setup["store"],
        results=setup["results"],
        plans_dir=setup["plans"],
        forum_dir=forum,
    )
    sign_in(board, setup["codes"]["f1"])
    rows = {row.id: row for row in board._views["g1"].learners}
    assert (rows["p1"].forum_sessions, rows["p1"].forum_hours) == (1, extra)
    assert rows["p1"].hours_this_year == pytest.approx(module_hours + extra)
    assert not rows["p1"].below_floor and rows["p2"].below_floor
    assert rows["p2"].forum_sessions == 0
    grid = board.grid.value
    assert f'data-forum="p1">1 · {extra:g} h<' in grid and 'data-forum="p2">0<' in grid
    assert "(below 6 h)" not in re.search(r'data-learner="p1">([^<]*)<', grid).group(1)
    assert (
        "Forum sessions this year with someone from the group: 1; learners who came to at least one: 1 of 2"
        in grid
    )
    assert "1.5 h when the session does not say" in grid

    link = re.search(r'href="data:text/csv;base64,([^"]+)"', grid).group(1)
    csv_rows = {
        r["learner"]: r for r in csv.DictReader(io.StringIO(base64.b64decode(link).decode()))
    }
    assert csv_rows["p1"][f"forum_sessions_{year}"] == "1"
    assert float(csv_rows["p1"][f"forum_hours_{year}"]) == extra
    assert float(csv_rows["p1"][f"module_hours_{year}"]) == pytest.approx(module_hours)
    assert csv_rows["p1"]["below_6_hours"] == "no" and csv_rows["p2"]["below_6_hours"] == "yes"


# -- the store the server uses -----------------------------------------------------------------
def test_the_dashboard_opens_the_store_the_server_names(setup, tmp_path, monkeypatch):
    from chwkit.program.client import DB_URL_ENV

    url = f"sqlite:///{tmp_path / 'server-records.db'}"
    monkeypatch.setenv(DB_URL_ENV, url)
    board = dashboard.SupervisorDashboard(lang="en", results=setup["results"])
    assert board._records().url == url


def test_an_unreachable_database_is_an_error_never_another_file(setup, tmp_path, monkeypatch):
    from chwkit.core import paths
    from chwkit.program.client import DB_URL_ENV

    monkeypatch.setenv(DB_URL_ENV, "postgresql+psycopg://chwkit@127.0.0.1:9/records")
    default = paths.data_dir() / "records.db"
    default.unlink(missing_ok=True)
    board = dashboard.SupervisorDashboard(lang="es", results=setup["results"])
    sign_in(board, setup["codes"]["f1"])
    assert board.person == "" and "No se pudo revisar el código" in board.message.value
    assert not default.exists(), "no SQLite file of its own beside the server's database"


def test_the_server_passes_its_db_url_to_its_kernels(tmp_path, monkeypatch):
    from chwkit.assess import course
    from chwkit.program.client import DB_URL_ENV
    from chwkit.serve import identity
    from chwkit.serve.config import ChwkitConfiguration

    monkeypatch.setenv("CHWKIT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(course, "available", lambda: [])  # no graders to warm up
    for name in (DB_URL_ENV, "CHWKIT_RECORDS_URL"):
        monkeypatch.setenv(name, "")  # restored after the test
    url = f"sqlite:///{tmp_path / 'server.db'}"
    settings = identity.settings(ChwkitConfiguration(db_url=url), "127.0.0.1", 8866, "/")
    assert settings["chwkit_records"].url == url
    assert os.environ[DB_URL_ENV] == url
    identity.settings(ChwkitConfiguration(), "127.0.0.1", 8866, "/")
    assert DB_URL_ENV not in os.environ, "no db_url: the kernels use the data directory's file"


# -- the landing page ----------------------------------------------------------------------------
def test_the_landing_page_links_the_dashboard_for_trainers_and_supervisors():
    from chwkit.serve.landing import extra_sections

    for lang, heading, title in (
        ("es", "Supervisión y coordinación", "Tablero de supervisión"),
        ("en", "Supervisors and trainers", "Supervisor's dashboard"),
    ):
        sections = dict(extra_sections(lang))
        [entry] = sections[heading]
        assert entry.title == title
        assert entry.href == f"voila/render/notebooks/dashboard.ipynb?lang={lang}"
        assert ("código" if lang == "es" else "code") in entry.meta[0]


def test_the_dashboard_tab_is_titled_in_every_language():
    from chwkit.serve.titles import page_titles

    titles = page_titles("notebooks/dashboard.ipynb")
    assert titles["es"].startswith("Tablero de supervisión ·")
    assert titles["en"].startswith("Supervisor's dashboard ·")
