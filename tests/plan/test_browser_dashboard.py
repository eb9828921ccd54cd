"""The supervisor's dashboard in real Chromium against a real ``chwkit serve``.

The server runs with ``--require-sign-in`` (the dashboard has its own sign-in, a supervisor's
code) and ``--db-url`` naming a records database other than the data directory's default
file: the dashboard must read the one the server uses. Its data directory holds a roster of
three groups led by two supervisors, learners' module records written with the records
store's own API, a plan file, and a forum session of one group.

The walk: the supervisor ticks who came in the forum recorder; from the landing page's link
they open the dashboard on a phone, sign in, see only their own groups, find the learner
flagged below 6 hours (and the one the forum's hours lift above it), switch group, and
download the CSV, whose rows are read back. A learner's code opens nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import PHONE, copy_project, start_server, stop_server

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
TRACK = "acompanantes_bienestar"
FORUM_HOURS = 2.0
DASHBOARD = "voila/render/notebooks/dashboard.ipynb"


@dataclass
class Site:
    root: Path
    home: Path
    db_url: str
    codes: dict[str, str] = field(default_factory=dict)
    forum: Path | None = None
    track_hours: float = 0.0  # the stated hours of the track's modules (a02 completed them all)
    server: object = None


def prepare(base: Path) -> Site:
    """A project copy and a data directory, filled with the kit's own APIs (as an import and
    a term of sessions would): roster, records, plan, forum session."""
    root = copy_project(base / "project")
    home = base / "home"
    home.mkdir(parents=True)
    site = Site(root, home, f"sqlite:///{home / 'program-records.db'}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHWKIT_ROOT", str(root))
        mp.setenv("CHWKIT_HOME", str(home))
        from chwkit.assess import roster
        from chwkit.forum.model import make_session
        from chwkit.forum.session import new_session
        from chwkit.learn.tracks import TrackSpec, tracks_dir
        from chwkit.program.store import RecordsStore

        people = [
            ("sup-norte", "facilitator", "Sofía Supervisora", (), ("g-norte", "g-sur")),
            ("sup-este", "facilitator", None, (), ("g-este",)),
            ("a01", "learner", "Ana Norte", ("g-norte",), ()),
            ("a02", "learner", None, ("g-norte",), ()),
            ("a03", "learner", None, ("g-sur",), ()),
            ("e01", "learner", "Elena Este", ("g-este",), ()),
        ]
        for pid, role, name, groups, leads in people:
            site.codes[pid] = roster.add(pid, role=role, name=name, groups=groups, leads=leads)
        for gid, name in (
            ("g-norte", "Grupo Norte"),
            ("g-sur", "Grupo Sur"),
            ("g-este", "Grupo Este"),
        ):
            roster.set_group(gid, name=name)

        year = dt.date.today().year
        (root / "notebooks" / "plans" / "prueba.yaml").write_text(
            textwrap.dedent(
                f"""
                start: {year}-01-01
                end: {year}-12-31
                cadence: {{every: monthly, weekday: tuesday, time: "10:00"}}
                groups:
                  - {{id: g-norte, track: {TRACK}}}
                  - {{id: g-sur, track: {TRACK}}}
                  - {{id: g-este, track: {TRACK}}}
                """
            ).lstrip(),
            encoding="utf-8",
        )
        from chwkit.learn.spec import find

        modules = TrackSpec.load(tracks_dir() / f"{TRACK}.yaml").modules
        site.track_hours = round(sum(find(m).duration_min for m in modules) / 60, 2)
        store = RecordsStore(site.db_url)  # the server's database (--db-url), not records.db
        store.create()

        def completed(learner, done):
            events = [{"kind": "opened", "module": m, "visit": f"{learner}-{m}"} for m in done]
            store.record_events(learner, events, completion=lambda *_: True)

        completed("a01", modules[:2])  # far below 6 hours
        completed("a02", modules)  # the whole track (4.9 h), and the forum's 2 h: over 6
        completed("a03", modules[:1])
        completed("e01", modules[:3])
        store.close()
        site.forum = new_session(
            make_session(
                f"{year}-01-30", "norte", "Autocuidado en equipo", "sup-norte",
                group="g-norte", hours=FORUM_HOURS,
            ),
            root / "forum_sessions",
        )  # fmt: skip
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = prepare(tmp_path_factory.mktemp("chwkit-dashboard"))
    s.server = start_server(
        s.root, s.home, ("--no-preheat", "--require-sign-in", "--db-url", s.db_url)
    )
    yield s
    stop_server(s.server.process)


def sign_in_on_dashboard(page, code: str) -> None:
    page.locator(".chwkit-code input").fill(code)
    page.locator(".chwkit-dash").get_by_role("button", name="Entrar").click()


def test_the_supervisor_ticks_the_forum_then_reads_and_downloads_the_dashboard(
    site, new_page, tmp_path
):
    from chwkit.forum.session import read_session_file

    url = site.server.url
    page = new_page(viewport=PHONE)

    # The forum: tick who came (a02 only) from the group's checklist.
    page.goto(url + f"voila/render/forum_sessions/{site.forum.name}?lang=es")
    page.locator(".chwkit-code input").fill(site.codes["sup-norte"])
    page.get_by_role("button", name="Entrar").click()
    checklist = page.locator(".chwkit-forum-present")
    checklist.get_by_text("Integrantes del grupo Grupo Norte (2)").wait_for(timeout=TIMEOUT)
    assert checklist.locator(".chwkit-forum-present-person").all_inner_texts() == [
        "a01 · Ana Norte",
        "a02",
    ]
    checklist.locator(".chwkit-forum-present-person", has_text="a02").locator("input").check()
    checklist.get_by_role("button", name="Guardar quién vino").click()
    checklist.get_by_text("Guardado: vinieron 1 de 2.").wait_for(timeout=TIMEOUT)
    assert read_session_file(site.forum).present == ("a02",)

    # The landing page's link for supervisors, not redirected to the learners' sign-in.
    page.goto(url + "?lang=es")
    section = page.get_by_role("region", name="Supervisión y coordinación")
    section.get_by_role("link", name="Tablero de supervisión").click()
    page.locator(".chwkit-code input").wait_for(timeout=TIMEOUT)
    assert "/chwkit/sign-in" not in page.url
    sign_in_on_dashboard(page, site.codes["sup-norte"])
    grid = page.locator("table.chwkit-dash-grid")
    grid.wait_for(timeout=TIMEOUT)

    # Only the groups the roster says they lead.
    options = page.locator(".chwkit-dash select option").all_inner_texts()
    assert [" ".join(o.split()) for o in options] == ["Grupo Norte", "Grupo Sur"]
    body = page.inner_text("body")
    assert "e01" not in body and "Elena" not in body and "Grupo Este" not in body
    assert grid.get_attribute("data-group") == "g-norte"

    # Who is below 6 hours; the forum's hours count.
    a01 = page.locator('td[data-learner="a01"]')
    a02 = page.locator('td[data-learner="a02"]')
    assert "(menos de 6 h)" in a01.inner_text()
    assert "(menos de 6 h)" not in a02.inner_text()
    assert float(a02.inner_text().split()[0]) == pytest.approx(site.track_hours + FORUM_HOURS)
    assert page.locator('td[data-forum="a02"]').inner_text() == "1 · 2 h"
    assert "Con menos de 6 horas este año: a01" in body
    # Readable on a phone: the grid scrolls in its own box, the page does not.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # The CSV of what is shown.
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("link", name="Descargar esta tabla (CSV)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("g-norte-") and saved.suffix == ".csv"
    rows = {row["learner"]: row for row in csv.DictReader(saved.open(encoding="utf-8"))}
    year = dt.date.today().year
    assert set(rows) == {"a01", "a02"}
    assert rows["a01"]["below_6_hours"] == "yes" and rows["a02"]["below_6_hours"] == "no"
    assert rows["a02"][f"forum_sessions_{year}"] == "1"
    assert float(rows["a02"][f"forum_hours_{year}"]) == FORUM_HOURS
    assert float(rows["a02"][f"hours_{year}"]) == pytest.approx(site.track_hours + FORUM_HOURS)
    assert rows["a01"]["acompanante_wellbeing"] == "done"
    assert {row["group"] for row in rows.values()} == {"g-norte"}

    # The other group of theirs.
    page.locator(".chwkit-dash select").select_option(label="Grupo Sur")
    page.locator('table.chwkit-dash-grid[data-group="g-sur"]').wait_for(timeout=TIMEOUT)
    assert page.locator('td[data-learner="a03"]').count() == 1
    assert page.locator('td[data-learner="a01"]').count() == 0


def test_a_learners_code_cannot_open_the_dashboard(site, new_page):
    page = new_page(viewport=PHONE)
    page.goto(site.server.url + DASHBOARD + "?lang=es")
    sign_in_on_dashboard(page, site.codes["a01"])
    page.get_by_text("Ese código no es válido para facilitación o supervisión.").wait_for(
        timeout=TIMEOUT
    )
    assert page.locator("table.chwkit-dash-grid").count() == 0
    assert page.locator(".chwkit-dash-csv").count() == 0
    assert "a02" not in page.inner_text("body")
