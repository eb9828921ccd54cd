"""A work plan's outputs: CSV, iCalendar (one file per group and one for everyone) and a
printable page (HTML and PDF), in the coordinator's language.

Everything is made in memory first (``outputs``), so a failure leaves no output half-made;
``write`` then replaces each file whole (``chwkit.core.atomic``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from chwkit.core import atomic
from chwkit.core.i18n import t
from chwkit.program import paper
from chwkit.program.plan import Schedule, Session

CSV_COLUMNS = (
    "plan",
    "group",
    "group_name",
    "track",
    "kind",
    "session",
    "of",
    "module",
    "title",
    "date",
    "weekday",
    "start",
    "end",
    "time_zone",
    "minutes",
    "facilitator",
    "facilitator_name",
    "place",
    "attendees",
    "learners",
    "status",
    "moved_from",
    "note",
)


def person(schedule: Schedule, person_id: str | None) -> str:
    """How a facilitator is shown: their roster name and id, or the id alone."""
    if not person_id:
        return t("plan.nobody", schedule.lang)
    name = schedule.plan.names.get(person_id)
    return f"{name} ({person_id})" if name else person_id


def note(schedule: Schedule, session: Session) -> str:
    lang = schedule.lang
    if session.status == "moved":
        return t(
            "plan.note.moved",
            lang,
            date=paper.long_date(session.moved_from, lang),
            reason=session.reason,
        )
    if session.status == "does_not_fit":
        return t("plan.status.does_not_fit", lang)
    return ""


def group_sessions(schedule: Schedule, group_id: str) -> list[Session]:
    return [s for s in schedule.sessions if s.group == group_id]


def summary_rows(schedule: Schedule) -> list[dict]:
    """Per group: learners, sessions scheduled of the track's total, first and last dates."""
    rows = []
    for group in schedule.plan.groups:
        own = group_sessions(schedule, group.id)
        dated = [s.date for s in own if s.date]
        rows.append(
            {
                "group": group.id,
                "name": group.name[schedule.lang],
                "track": group.track.id,
                "track_title": group.track.title[schedule.lang],
                "facilitator": group.facilitator,
                "learners": len(group.learners),
                "scheduled": len(dated),
                "total": len(own),
                "first": min(dated, default=None),
                "last": max(dated, default=None),
            }
        )
    return rows


def warnings(schedule: Schedule) -> list[str]:
    """What the coordinator should look at, one line each, in their language."""
    lang, plan = schedule.lang, schedule.plan
    names = {g.id: g.name[lang] for g in plan.groups}
    forum_title = plan.forum.title[lang] if plan.forum else ""
    lines = list(plan.warnings)
    for s in schedule.unfit:
        lines.append(
            t(
                "plan.warn.does_not_fit",
                lang,
                group=names[s.group],
                n=s.seq,
                total=s.total,
                module=s.title[lang],
                end=paper.long_date(plan.group(s.group).end, lang),
            )
        )
    for lost in schedule.lost:
        when = paper.long_date(lost.nominal, lang)
        if lost.group is None:
            line = t("plan.warn.lost_forum", lang, forum=forum_title, date=when, reason=lost.reason)
        else:
            line = t(
                "plan.warn.lost_slot", lang, group=names[lost.group], date=when, reason=lost.reason
            )
        lines.append(line)
    for clash in schedule.clashes:
        lines.append(clash_text(schedule, clash))
    return lines


def _label(schedule: Schedule, session: Session) -> str:
    lang = schedule.lang
    who = schedule.plan.group(session.group).name[lang] if session.group else ""
    when = f"{paper.long_date(session.date, lang)} {session.start:%H:%M}"
    return f"{who + ': ' if who else ''}{session.title[lang]} ({when})"


def clash_text(schedule: Schedule, clash) -> str:
    return t(
        "plan.warn.clash",
        schedule.lang,
        person=person(schedule, clash.person),
        first=_label(schedule, clash.first),
        second=_label(schedule, clash.second),
    )


# -- CSV ---------------------------------------------------------------------------------------
def csv_text(schedule: Schedule) -> str:
    """One row per session, in plan order (the forum last); dates ISO, times local."""
    lang, plan = schedule.lang, schedule.plan
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in schedule.sessions:
        group = plan.group(s.group) if s.group else None
        writer.writerow(
            [
                plan.id,
                s.group or "",
                group.name[lang] if group else "",
                group.track.id if group else "",
                s.kind,
                s.seq,
                s.total,
                s.module.id if s.module else "",
                s.title[lang],
                s.date.isoformat() if s.date else "",
                t(f"plan.weekday.{s.date.weekday()}", lang) if s.date else "",
                f"{s.start:%H:%M}" if s.start else "",
                f"{s.end:%H:%M}" if s.end else "",
                s.time_zone,
                s.minutes,
                s.facilitator or "",
                plan.names.get(s.facilitator or "", ""),
                s.place or "",
                ";".join(s.groups),
                len(group.learners) if group else "",
                s.status,
                s.moved_from.isoformat() if s.moved_from else "",
                note(schedule, s),
            ]
        )
    return out.getvalue()


# -- iCalendar ---------------------------------------------------------------------------------
def calendar_bytes(
    schedule: Schedule, group_id: str | None = None, now: dt.datetime | None = None
) -> bytes:
    """The iCalendar file of one group (its sessions and the forum sessions it attends), or of
    the whole plan (every session once) when ``group_id`` is None. Times carry the group's
    time zone (TZID, with its VTIMEZONE)."""
    from icalendar import Calendar, Event

    lang, plan = schedule.lang, schedule.plan
    stamp = now or dt.datetime.now(dt.UTC)
    if group_id is None:
        chosen = [s for s in schedule.sessions if s.start is not None]
        name = plan.title[lang]
    else:
        chosen = [
            s
            for s in schedule.sessions
            if s.start is not None
            and (s.group == group_id or (s.kind == "forum" and group_id in s.groups))
        ]
        name = t(
            "plan.ics.calendar", lang, plan=plan.title[lang], group=plan.group(group_id).name[lang]
        )
    cal = Calendar.new(prodid="-//chwkit//work plan//EN", name=name, language=lang)
    for s in chosen:
        group = plan.group(s.group) if s.group else None
        summary = f"{group.name[lang]}: {s.title[lang]}" if group else s.title[lang]
        lines = [t("plan.ics.session", lang, n=s.seq, total=s.total)]
        if s.module is not None:
            lines.append(s.module.summary[lang])
        lines.append(t("plan.ics.facilitator", lang, facilitator=person(schedule, s.facilitator)))
        if s.status == "moved":
            lines.append(note(schedule, s))
        event = Event.new(
            uid=f"{s.uid}.{plan.id}@chwkit",
            summary=summary,
            start=s.start,
            end=s.end,
            stamp=stamp,
            description="\n".join(lines),
            location=s.place,
            categories=[group.track.id if group else "forum"],
        )
        cal.add_component(event)
    cal.add_missing_timezones(
        first_date=plan.start - dt.timedelta(days=1), last_date=plan.end + dt.timedelta(days=1)
    )
    return cal.to_ical()


# -- the printable page -----------------------------------------------------------------------
def html(schedule: Schedule, today: dt.date | None = None) -> str:
    lang, plan = schedule.lang, schedule.plan
    groups = [
        {
            "plan": g,
            "facilitator": person(schedule, g.facilitator),
            "sessions": group_sessions(schedule, g.id),
        }
        for g in plan.groups
    ]
    return paper.render(
        "plan.html",
        lang,
        doc_title=plan.title[lang],
        plan=plan,
        today=today or dt.date.today(),
        summary=summary_rows(schedule),
        groups=groups,
        group_names={g.id: g.name[lang] for g in plan.groups},
        forum=schedule.forum,
        forum_facilitator=person(schedule, plan.forum.facilitator) if plan.forum else "",
        forum_groups=", ".join(plan.group(g).name[lang] for g in plan.forum.groups)
        if plan.forum
        else "",
        unfit=schedule.unfit,
        lost=schedule.lost,
        clashes=[clash_text(schedule, c) for c in schedule.clashes],
        notes={s.uid: note(schedule, s) for s in schedule.sessions},
        avoided=schedule.avoided_holidays(),
    )


def outputs(
    schedule: Schedule, *, pdf: bool = True, now: dt.datetime | None = None
) -> dict[str, bytes]:
    """Every output file's name and content, made in memory (nothing is written)."""
    plan, lang = schedule.plan, schedule.lang
    files = {f"{plan.id}.{lang}.csv": csv_text(schedule).encode("utf-8")}
    files[f"{plan.id}.ics"] = calendar_bytes(schedule, None, now)
    for group in plan.groups:
        files[f"{plan.id}.{group.id}.ics"] = calendar_bytes(schedule, group.id, now)
    page = html(schedule, (now or dt.datetime.now()).date())
    files[f"{plan.id}.{lang}.html"] = page.encode("utf-8")
    if pdf:
        files[f"{plan.id}.{lang}.pdf"] = paper.to_pdf(page)
    return files


def write(files: dict[str, bytes], folder: Path) -> list[Path]:
    """Write each file whole into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        atomic.write(folder / name, data)
        written.append(folder / name)
    return written
