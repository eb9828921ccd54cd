"""The work plan's rules on small plans: cadences, holidays and blackouts, sessions that do not
fit, clashes, time zones, and bad plan files (a message naming the line, nothing written)."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from icalendar import Calendar

from chwkit.cli import main
from chwkit.learn.tracks import TrackSpec
from chwkit.program import plan, schedule

from .conftest import REPO

TRACK = "acompanantes_supervision"
MODULES = TrackSpec.load(REPO / "notebooks" / "tracks" / f"{TRACK}.yaml").modules


def write_plan(tmp_path, body: str, name: str = "prueba.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def line_of(path, marker: str) -> int:
    """The 1-based line of the plan file holding ``marker``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, start=1) if marker in text)


def test_a_weekly_plan_moves_a_holiday_to_the_next_working_day(small_roster, tmp_path):
    # 2024-03-18 (Monday) is Mexico's Natalicio de Benito Juárez; an unquoted 09:30 is a time.
    path = write_plan(
        tmp_path,
        f"""
        start: 2024-03-04
        end: 2024-06-30
        country: MX
        time_zone: America/Mexico_City
        cadence: {{every: weekly, weekday: lunes, time: 09:30}}
        groups:
          - {{id: g1, track: {TRACK}}}
        """,
    )
    result = plan.schedule(plan.load(path, "es"), "es")
    dates = [s.date for s in result.sessions]
    expected = [dt.date(2024, 3, 4), dt.date(2024, 3, 11), dt.date(2024, 3, 19)]
    expected += [dt.date(2024, 3, 25) + dt.timedelta(weeks=n) for n in range(len(MODULES))]
    assert dates == expected[: len(MODULES)]
    if len(MODULES) >= 3:
        third = result.sessions[2]
        assert third.status == "moved" and third.moved_from == dt.date(2024, 3, 18)
        assert third.reason == "Natalicio de Benito Juárez"
    assert all(f"{s.start:%H:%M}" == "09:30" for s in result.sessions)
    assert result.sessions[0].facilitator == "f1", "the roster names the group's leader"


def test_biweekly_and_last_weekday_of_the_month_cadences():
    biweekly = plan.Cadence("biweekly", weekday=2, time=dt.time(10))
    got = [s.nominal for s in plan.slots(biweekly, dt.date(2024, 1, 1), dt.date(2024, 2, 15))]
    assert got == [
        dt.date(2024, 1, 3),
        dt.date(2024, 1, 17),
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 14),
    ]
    last_friday = plan.Cadence("monthly", weekday=4, time=dt.time(16), week=-1)
    got = [s.nominal for s in plan.slots(last_friday, dt.date(2024, 1, 1), dt.date(2024, 3, 31))]
    assert got == [dt.date(2024, 1, 26), dt.date(2024, 2, 23), dt.date(2024, 3, 29)]
    second_tuesday = plan.Cadence("monthly", weekday=1, time=dt.time(10), week=2)
    got = plan.slots(second_tuesday, dt.date(2024, 1, 10), dt.date(2024, 3, 1))
    assert [s.nominal for s in got] == [dt.date(2024, 2, 13)]  # January's was before the start
    assert got[0].period_end == dt.date(2024, 2, 29)


def test_sessions_that_do_not_fit_are_reported_in_every_output_never_dropped(
    small_roster, tmp_path, capsys
):
    # Monthly from mid-April to May, with May blacked out: one session fits, the rest do not.
    path = write_plan(
        tmp_path,
        f"""
        start: 2024-04-01
        end: 2024-05-31
        blackout:
          - {{from: 2024-05-01, to: 2024-05-31, reason: {{es: Campaña de vacunación, en: Vaccination drive}}}}
        cadence: {{every: monthly, weekday: tuesday, week: 2, time: "10:00"}}
        groups:
          - {{id: g1, track: {TRACK}}}
        """,
    )
    out = tmp_path / "out"
    assert main(["plan", str(path), "--out", str(out), "--lang", "en"]) == 0
    stdout = capsys.readouterr().out
    assert f"1 of {len(MODULES)} sessions" in stdout
    assert f"session 2 of {len(MODULES)}" in stdout and "does not fit" in stdout
    assert "Vaccination drive" in stdout
    rows = (out / "prueba.en.csv").read_text().splitlines()[1:]
    assert len(rows) == len(MODULES)
    assert sum(",does_not_fit," in row for row in rows) == len(MODULES) - 1
    page = (out / "prueba.en.html").read_text()
    assert "Sessions that do not fit in the period" in page
    events = Calendar.from_ical((out / "prueba.g1.ics").read_bytes()).events
    assert len(events) == 1


def test_a_facilitator_in_two_places_at_once_is_reported(small_roster, tmp_path):
    path = write_plan(
        tmp_path,
        f"""
        start: 2024-01-01
        end: 2024-12-31
        cadence: {{every: monthly, weekday: tuesday, time: "10:00"}}
        groups:
          - {{id: g1, track: {TRACK}}}
          - {{id: g2, track: {TRACK}, cadence: {{time: "10:30"}}}}
        """,
    )
    result = plan.schedule(plan.load(path, "es"), "es")
    assert len(result.clashes) == len(MODULES)
    assert all(c.person == "f1" for c in result.clashes)
    assert "Fabiola (f1) tendría dos sesiones a la vez" in schedule.warnings(result)[0]


def test_each_group_keeps_its_own_time_zone_in_its_calendar(small_roster, tmp_path):
    path = write_plan(
        tmp_path,
        f"""
        start: 2024-01-01
        end: 2024-12-31
        time_zone: America/Mexico_City
        cadence: {{every: monthly, weekday: thursday, time: "17:00"}}
        groups:
          - {{id: g1, track: {TRACK}}}
          - {{id: g2, track: {TRACK}, time_zone: America/Los_Angeles, facilitator: f2}}
        """,
    )
    result = plan.schedule(plan.load(path, "en"), "en")
    for group, zone in (("g1", "America/Mexico_City"), ("g2", "America/Los_Angeles")):
        cal = Calendar.from_ical(schedule.calendar_bytes(result, group))
        assert cal.get_used_tzids() == {zone}
        assert all(e.start.hour == 17 and str(e.start.tzinfo) == zone for e in cal.events)
    both = Calendar.from_ical(schedule.calendar_bytes(result))
    assert both.get_used_tzids() == {"America/Mexico_City", "America/Los_Angeles"}
    assert not result.clashes, "17:00 in Mexico City and in Los Angeles are not the same time"


def test_the_plan_names_a_different_leader_than_the_roster_a_warning(small_roster, tmp_path):
    path = write_plan(
        tmp_path,
        f"""
        start: 2024-01-01
        end: 2024-12-31
        cadence: {{every: monthly, weekday: thursday, time: "17:00"}}
        groups:
          - id: g1
            track: {TRACK}
            facilitator: f2
        """,
    )
    loaded = plan.load(path, "en")
    assert loaded.groups[0].facilitator == "f2"
    assert loaded.warnings == (
        f"prueba.yaml, line {line_of(path, 'facilitator: f2')}: the plan has f2 facilitate "
        "group 'g1'; the roster says f1",
    )


# -- bad plan files ---------------------------------------------------------------------------
GOOD = f"""
start: 2024-01-01
end: 2024-12-31
country: MX
cadence: {{every: monthly, weekday: tuesday, time: "10:00"}}
groups:
  - id: g1
    track: {TRACK}
"""

BAD = {
    "unknown track": (
        ("track: " + TRACK, "track: no_such_track"),
        "track: no_such_track",
        {"es": "la ruta «no_such_track» no existe", "en": "there is no track 'no_such_track'"},
    ),
    "a group with no learners": (
        ("id: g1", "id: vacio"),
        "id: vacio",
        {"es": "el grupo «vacio» no tiene participantes", "en": "group 'vacio' has no learners"},
    ),
    "a group not in the roster": (
        ("id: g1", "id: g7"),
        "id: g7",
        {"es": "el grupo «g7» no está en el padrón", "en": "group 'g7' is not in the roster"},
    ),
    "end before start": (
        ("end: 2024-12-31", "end: 2023-12-31"),
        "end: 2023-12-31",
        {
            "es": "la fecha final (2023-12-31) es anterior a la inicial (2024-01-01)",
            "en": "the end date (2023-12-31) is before the start date (2024-01-01)",
        },
    ),
    "a cadence past midnight": (
        ('time: "10:00"', 'time: "23:45"'),
        "cadence:",
        {"es": "esta frecuencia no cabe", "en": "this cadence cannot fit"},
    ),
    "a cadence with no open day": (
        ("end: 2024-12-31", "end: 2024-01-01"),
        "cadence:",
        {"es": "no queda ningún día libre", "en": "leaves no open day"},
    ),
    "an unknown weekday": (
        ("weekday: tuesday", "weekday: tuesdya"),
        "cadence:",
        {"es": "día «tuesdya» desconocido", "en": "unknown day 'tuesdya'"},
    ),
    "a misspelt key": (
        ("    track:", "    trak:"),
        "trak:",
        {"es": "la clave «trak» no se conoce aquí", "en": "the key 'trak' is not known here"},
    ),
    "an unknown country": (
        ("country: MX", "country: Mexico"),
        "country:",
        {"es": "del país «Mexico»", "en": "of country 'Mexico'"},
    ),
    "a date that is not one": (
        ("start: 2024-01-01", "start: 2024-13-01"),
        "start:",
        {"es": "«2024-13-01» no es una fecha", "en": "'2024-13-01' is not a date"},
    ),
    "a YAML syntax error": (
        ("    track:", "   track: [unclosed"),
        "track: [unclosed",
        {"es": "el archivo no es YAML válido", "en": "the file is not valid YAML"},
    ),
}


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_plan_names_the_line_in_the_coordinators_language_and_writes_nothing(
    small_roster, tmp_path, capsys, case, lang
):
    (old, new), marker, expected = BAD[case]
    assert old in GOOD
    path = write_plan(tmp_path, GOOD.replace(old, new, 1))
    out = tmp_path / "out"
    assert main(["plan", str(path), "--out", str(out), "--lang", lang]) == 2
    err = capsys.readouterr().err
    where = {"es": "línea", "en": "line"}[lang]
    line = line_of(path, marker)
    assert f"prueba.yaml, {where} {line}: " in err, err
    assert expected[lang] in err, err
    header = {"es": "El plan no se escribió", "en": "The plan was not written"}[lang]
    assert header in err
    assert not out.exists(), "nothing is written from a bad plan"


def test_every_problem_is_listed_at_once(small_roster, tmp_path):
    body = GOOD.replace("end: 2024-12-31", "end: 2023-01-01").replace(TRACK, "nada")
    path = write_plan(tmp_path, body)
    with pytest.raises(plan.PlanError) as caught:
        plan.load(path, "en")
    assert len(caught.value.problems) == 2


def test_a_rerun_replaces_outputs_whole_and_a_bad_rerun_leaves_them(small_roster, tmp_path):
    path = write_plan(tmp_path, GOOD)
    out = tmp_path / "out"
    assert main(["plan", str(path), "--out", str(out), "--no-pdf"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    path.write_text(GOOD.replace(TRACK, "nada"), encoding="utf-8")
    assert main(["plan", str(path), "--out", str(out), "--no-pdf"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_check_writes_nothing(small_roster, tmp_path, capsys):
    path = write_plan(tmp_path, GOOD)
    out = tmp_path / "out"
    assert main(["plan", str(path), "--out", str(out), "--check", "--lang", "en"]) == 0
    assert "nothing was written" in capsys.readouterr().out and not out.exists()
