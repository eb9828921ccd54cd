"""The acompañantes program's work plan (notebooks/plans/acompanantes_2023_2024.yaml): 9 groups
on the wellbeing track, the 3 supervisors on the supervision track, July 2023 to June 2024,
Mexican public holidays. Expected counts come from the track files, which grow."""

from __future__ import annotations

import csv
import datetime as dt
import io

import holidays
import pytest
import yaml
from icalendar import Calendar
from pypdf import PdfReader

from chwkit.cli import main
from chwkit.learn.spec import ModuleSpec
from chwkit.learn.tracks import TrackSpec
from chwkit.program import plan

from .conftest import ACOMP_PLAN, REPO

RAW = yaml.safe_load(ACOMP_PLAN.read_text(encoding="utf-8"))
START, END = RAW["start"], RAW["end"]
MX = holidays.country_holidays("MX", years=range(START.year, END.year + 1))


def blackout_days() -> set[dt.date]:
    days = set()
    for item in RAW["blackout"]:
        first, last = item.get("from", item.get("date")), item.get("to", item.get("date"))
        days |= {first + dt.timedelta(n) for n in range((last - first).days + 1)}
    return days


def name_es(group: dict) -> str:
    return group["name"] if isinstance(group["name"], str) else group["name"]["es"]


def track(group: dict) -> TrackSpec:
    return TrackSpec.load(REPO / "notebooks" / "tracks" / f"{group['track']}.yaml")


@pytest.fixture(scope="module")
def result(acomp_home):
    return plan.schedule(plan.load(ACOMP_PLAN, "es"), "es")


@pytest.fixture(scope="module")
def written(acomp_home, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan-out")
    assert main(["plan", str(ACOMP_PLAN), "--lang", "es", "--out", str(out)]) == 0
    return out


def test_the_example_is_the_program_9_groups_and_the_supervisors():
    tracks = [g["track"] for g in RAW["groups"]]
    assert tracks.count("acompanantes_bienestar") == 9
    assert tracks.count("acompanantes_supervision") == 1
    assert (dt.date(2023, 7, 1), dt.date(2024, 6, 30)) == (START, END) and RAW["country"] == "MX"


def test_every_module_of_every_group_is_planned_once_in_track_order(result):
    for group in RAW["groups"]:
        own = [s for s in result.sessions if s.group == group["id"]]
        assert [s.module.id for s in own] == list(track(group).modules), group["id"]
        fitted = [s for s in own if s.status != "does_not_fit"]
        # a session that does not fit is reported at the end, never dropped
        assert own[: len(fitted)] == fitted
        dates = [s.date for s in fitted]
        assert dates == sorted(dates) and len(set(dates)) == len(dates)
        first = group.get("start", START)
        assert all(first <= d <= END for d in dates)


def test_no_session_on_a_mexican_public_holiday_or_a_blackout_date(result):
    closed = blackout_days()
    dated = [s for s in result.sessions if s.date]
    assert dated
    assert not [s for s in dated if s.date in MX], "a session on a public holiday"
    assert not [s for s in dated if s.date in closed], "a session on a blackout date"
    # the plan does meet holidays: 20 Nov 2023 and 18 Mar 2024 are Group 3's Mondays
    moved = {s.moved_from: s for s in dated if s.status == "moved"}
    assert {dt.date(2023, 11, 20), dt.date(2024, 3, 18)} <= set(moved)
    assert moved[dt.date(2023, 11, 20)].date == dt.date(2023, 11, 21)
    assert moved[dt.date(2023, 11, 20)].reason == "Día de la Revolución"


def test_sessions_keep_the_cadence_weekday_and_time_unless_moved(result):
    weekdays = {"monday": 0, "wednesday": 2, "thursday": 3, "friday": 4}
    for group in RAW["groups"]:
        cadence = {**RAW["cadence"], **group.get("cadence", {})}
        for s in result.sessions:
            if s.group == group["id"] and s.status == "scheduled":
                assert s.date.weekday() == weekdays[cadence["weekday"]]
                assert f"{s.start:%H:%M}" == cadence["time"]
                assert str(s.start.tzinfo) == "America/Mexico_City"


def last_friday(year: int, month: int) -> dt.date:
    day = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return day - dt.timedelta(days=(day.weekday() - 4) % 7)


def test_the_monthly_forum_is_on_the_last_friday_of_each_open_month(result):
    held = {s.date for s in result.forum}
    closed = blackout_days() | set(MX)
    months = sorted({(d.year, d.month) for d in (START + dt.timedelta(n) for n in range(366))})
    assert len(months) == 12
    for year, month in months:
        day = last_friday(year, month)
        if day in closed:  # no weekday is left after a last Friday: that month has no forum
            assert not [d for d in held if (d.year, d.month) == (year, month)]
        else:
            assert day in held, day
    assert all(s.facilitator == "coord01" and s.minutes == 90 for s in result.forum)


def test_the_ics_files_parse_and_hold_each_groups_events(result, written):
    all_events = Calendar.from_ical((written / "acompanantes_2023_2024.ics").read_bytes()).events
    dated = [s for s in result.sessions if s.start is not None]
    assert len(all_events) == len(dated)
    assert len({str(e["UID"]) for e in all_events}) == len(all_events)
    forum = len(result.forum)
    for group in RAW["groups"]:
        path = written / f"acompanantes_2023_2024.{group['id']}.ics"
        cal = Calendar.from_ical(path.read_bytes())
        events = cal.events
        own = [s for s in dated if s.group == group["id"]]
        assert len(events) == len(own) + forum, group["id"]
        assert "America/Mexico_City" in cal.get_used_tzids()
        assert [tz.tz_name for tz in cal.timezones] == ["America/Mexico_City"]
        starts = sorted(e.start for e in events if "forum" not in e.categories)
        assert starts == [s.start for s in own]
        assert all(e.start.tzinfo is not None and e.end > e.start for e in events)
        titles = {str(e["SUMMARY"]) for e in events}
        assert {f"{name_es(group)}: {s.module.title['es']}" for s in own} <= titles


def test_the_csv_has_one_row_per_session_with_its_status(result, written):
    rows = list(
        csv.DictReader(io.StringIO((written / "acompanantes_2023_2024.es.csv").read_text()))
    )
    assert len(rows) == len(result.sessions)
    by_group = {}
    for row in rows:
        by_group.setdefault(row["group"], []).append(row)
    for group in RAW["groups"]:
        assert len(by_group[group["id"]]) == len(track(group).modules)
    moved = [r for r in rows if r["status"] == "moved"]
    assert moved and all(r["moved_from"] and "se movió del" in r["note"] for r in moved)
    assert {r["kind"] for r in rows} == {"module", "forum"}


def test_the_printable_plan_is_a_pdf_with_every_group_and_module(result, written):
    reader = PdfReader(written / "acompanantes_2023_2024.es.pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Plan de trabajo de acompañantes 2023-2024" in text
    assert "Del sábado 1 de julio de 2023 al domingo 30 de junio de 2024" in text
    for group in RAW["groups"]:
        assert name_es(group) in text
    for module_id in track(RAW["groups"][0]).modules:
        title = ModuleSpec.load(REPO / "notebooks" / "modules" / module_id).title["es"]
        assert " ".join(title.split()) in text
    assert "martes 21 de noviembre de 2023" in text and "Día de la Revolución" in text
    assert "Foro mensual de acompañantes" in text
    html = (written / "acompanantes_2023_2024.es.html").read_text()
    assert 'lang="es"' in html and "https://" not in html


def test_the_plan_reads_in_english_too(acomp_home, tmp_path, capsys):
    assert main(["plan", str(ACOMP_PLAN), "--lang", "en", "--out", str(tmp_path), "--no-pdf"]) == 0
    out = capsys.readouterr().out
    assert "Grupo 3 (acompanantes_bienestar; 8 learners; facilitator s1)" in out
    assert "Tuesday, November 21, 2023" in (tmp_path / "acompanantes_2023_2024.en.html").read_text()
    assert not list(tmp_path.glob("*.pdf"))
