"""The work plan: which group learns which module when, from a plan file a coordinator edits.

A plan file (YAML) names a date range, the country whose public holidays are avoided (the
``holidays`` library, never a hand list), blackout dates, a default cadence, an optional
monthly forum, and the groups: each with the track it follows, its facilitator, its time
zone, and its own cadence or range if it differs::

    start: 2023-07-01
    end: 2024-06-30
    country: MX
    time_zone: America/Mexico_City
    blackout:
      - 2023-12-18 .. 2024-01-05
      - {from: 2024-03-25, to: 2024-04-05, reason: {es: Semana Santa, en: Holy Week}}
    cadence: {every: monthly, week: 2, weekday: tuesday, time: "10:00"}
    forum: {every: monthly, week: last, weekday: friday, time: "16:00", minutes: 90}
    groups:
      - id: g1                      # a group in the roster (chwkit roster groups)
        track: acompanantes_bienestar
        facilitator: s1             # optional when the roster names the group's leader
        cadence: {weekday: monday, week: 1}

Each module of a group's track gets one session, in the track's order, on the group's next
cadence slot. A slot on a public holiday or a blackout date moves to the next working day
of its period (the week, the two weeks or the month); when the period has none, the slot
is lost and reported. A session that finds no slot before the end is reported as not
fitting: it is in every output, never dropped.

``load(path, lang)`` reads and checks a plan against the roster and the tracks, and raises
``PlanError`` with every problem found, each naming its line in the file and written in the
coordinator's language. ``schedule(plan)`` computes the sessions; it does not write.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from chwkit.core.i18n import LANGS, normalize_lang, t
from chwkit.learn.spec import ModuleError, ModuleSpec
from chwkit.learn.spec import find as find_module
from chwkit.learn.tracks import TRACK_ID, TrackSpec, tracks_dir

EVERY = ("weekly", "biweekly", "monthly")
_EVERY_ALIASES = {
    "weekly": "weekly",
    "semanal": "weekly",
    "biweekly": "biweekly",
    "fortnightly": "biweekly",
    "quincenal": "biweekly",
    "catorcenal": "biweekly",
    "monthly": "monthly",
    "mensual": "monthly",
}
_WEEKDAYS = {
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{
        name: i
        for i, name in enumerate(
            ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
        )
    },
}
_LAST = -1
_HOLIDAY_LANGUAGE = {"es": "es", "en": "en_US"}
GROUP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

_PLAN_KEYS = (
    "id",
    "title",
    "program",
    "start",
    "end",
    "country",
    "subdivision",
    "time_zone",
    "place",
    "blackout",
    "cadence",
    "forum",
    "groups",
)
_GROUP_KEYS = (
    "id",
    "name",
    "track",
    "facilitator",
    "time_zone",
    "place",
    "start",
    "end",
    "cadence",
)
_CADENCE_KEYS = ("every", "weekday", "week", "time", "minutes")
_FORUM_KEYS = (*_CADENCE_KEYS, "title", "facilitator", "place", "groups", "time_zone")


class PlanError(ValueError):
    """The plan file cannot be used; ``problems`` are messages for the coordinator, each
    naming the line of the plan file, in their language."""

    def __init__(self, problems: list[str], lang: str = "es"):
        self.problems = list(problems)
        self.lang = lang
        super().__init__("\n".join(self.problems))

    def report(self) -> str:
        return t("plan.error.header", self.lang) + "\n  " + "\n  ".join(self.problems)


# -- a YAML loader that remembers lines --------------------------------------------------------
class Located(dict):
    """A mapping from the plan file that knows the line of each of its keys."""

    line: int = 0
    lines: dict


class LocatedList(list):
    line: int = 0
    lines: list


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader; mappings and lists keep their lines; ``10:00`` stays text (YAML
    1.1 would read it as the sexagesimal integer 600)."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    data = Located()
    data.line, data.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            data[key] = loader.construct_object(value_node, deep=True)
        except TypeError:  # an unhashable key (a list as a key)
            continue
        data.lines[key] = key_node.start_mark.line + 1
    return data


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    data = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    data.line = node.start_mark.line + 1
    data.lines = [child.start_mark.line + 1 for child in node.value]
    return data


def _int(loader: _Loader, node: yaml.ScalarNode):
    if ":" in node.value:
        return node.value
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _timestamp(loader: _Loader, node: yaml.ScalarNode):
    """A date; one that cannot be (2024-13-01) stays text, for the checks to name its line."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


# -- what a plan holds -------------------------------------------------------------------------
@dataclass(frozen=True)
class Cadence:
    every: str  # weekly | biweekly | monthly
    weekday: int  # 0 = Monday
    time: dt.time
    week: int | None = None  # monthly: 1..4, or -1 for the last
    minutes: int | None = None  # None: each module's own duration

    def describe(self, lang: str) -> str:
        day = t(f"plan.weekday.{self.weekday}", lang)
        when = self.time.strftime("%H:%M")
        if self.every == "monthly":
            week = t("plan.week.last" if self.week == _LAST else f"plan.week.{self.week}", lang)
            return t("plan.cadence.monthly", lang, week=week, weekday=day, time=when)
        return t(f"plan.cadence.{self.every}", lang, weekday=day, time=when)


@dataclass(frozen=True)
class Blackout:
    first: dt.date
    last: dt.date
    reason: dict[str, str] = field(default_factory=dict)

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class GroupPlan:
    id: str
    name: dict[str, str]
    track: TrackSpec
    modules: tuple[ModuleSpec, ...]
    facilitator: str
    learners: tuple[str, ...]
    time_zone: str
    cadence: Cadence
    start: dt.date
    end: dt.date
    place: str | None = None
    line: int = 0


@dataclass(frozen=True)
class ForumPlan:
    title: dict[str, str]
    cadence: Cadence
    minutes: int
    groups: tuple[str, ...]
    time_zone: str
    facilitator: str | None = None
    place: str | None = None


@dataclass(frozen=True)
class Plan:
    id: str
    path: Path
    title: dict[str, str]
    start: dt.date
    end: dt.date
    country: str | None
    subdivision: str | None
    blackouts: tuple[Blackout, ...]
    groups: tuple[GroupPlan, ...]
    forum: ForumPlan | None = None
    names: dict[str, str] = field(default_factory=dict)  # person id -> name, where known
    warnings: tuple[str, ...] = ()  # worth a look, not wrong (in the language it was read in)

    def holidays(self, lang: str) -> dict[dt.date, str]:
        """The country's public holidays over the plan's years, named in ``lang``."""
        if not self.country:
            return {}
        return dict(_holidays(self.country, self.subdivision, self.start, self.end, lang))

    def group(self, group_id: str) -> GroupPlan:
        return next(g for g in self.groups if g.id == group_id)


@functools.cache
def _holidays(
    country: str, subdivision: str | None, start: dt.date, end: dt.date, lang: str
) -> dict[dt.date, str]:
    import holidays

    years = range(start.year, end.year + 1)
    cls = holidays.country_holidays(country, subdiv=subdivision, years=years)
    wanted = _HOLIDAY_LANGUAGE.get(lang)
    language = wanted if wanted in (cls.supported_languages or ()) else None
    found = holidays.country_holidays(country, subdiv=subdivision, years=years, language=language)
    return {day: name for day, name in sorted(found.items()) if start <= day <= end}


# -- reading and checking ------------------------------------------------------------------
class _Problems:
    """Collects messages, each prefixed with the file and line, in the coordinator's language."""

    def __init__(self, path: Path, lang: str):
        self.path, self.lang, self.items = path, lang, []

    def where(self, line: int, message_key: str, /, **values: object) -> str:
        message = t(message_key, self.lang, **values)
        return t("plan.error.where", self.lang, file=self.path.name, line=line, message=message)

    def add(self, line: int, message_key: str, /, **values: object) -> None:
        self.items.append(self.where(line, message_key, **values))

    def raise_if_any(self) -> None:
        if self.items:
            raise PlanError(self.items, self.lang)


def _line(data: object, key: object, default: int) -> int:
    lines = getattr(data, "lines", None)
    if isinstance(lines, dict):
        return lines.get(key, getattr(data, "line", default))
    if isinstance(lines, list) and isinstance(key, int) and key < len(lines):
        return lines[key]
    return getattr(data, "line", default)


def _check_keys(data: Located, known: tuple[str, ...], problems: _Problems) -> None:
    for key in data:
        if key not in known:
            problems.add(
                _line(data, key, data.line),
                "plan.error.unknown_key",
                field=key,
                known=", ".join(known),
            )


def _date(value: object, line: int, problems: _Problems) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(line, "plan.error.date", value=value)
        return None


def _text(value: object, line: int, key: str, problems: _Problems) -> dict[str, str] | None:
    """A text the people read: one string (both languages) or ``{es: ..., en: ...}``."""
    if value is None:
        return None
    if isinstance(value, str | int | float) and str(value).strip():
        return dict.fromkeys(LANGS, str(value).strip())
    if isinstance(value, dict) and all(
        isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGS
    ):
        return {lang: value[lang].strip() for lang in LANGS}
    problems.add(line, "plan.error.text", field=key)
    return None


def _zone(value: object, line: int, problems: _Problems) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", value):
        try:
            ZoneInfo(value)
            return value
        except (ZoneInfoNotFoundError, ValueError):
            pass
    problems.add(line, "plan.error.time_zone", value=value)
    return None


def _blackouts(raw: object, line: int, lang: str, problems: _Problems) -> list[Blackout]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(line, "plan.error.blackout_list")
        return []
    found = []
    for index, item in enumerate(raw):
        where = _line(raw, index, line)
        reason: dict[str, str] = {}
        if isinstance(item, dict):
            unknown = [k for k in item if k not in ("from", "to", "date", "reason")]
            if unknown or not ({"from", "to"} <= set(item) or "date" in item):
                problems.add(where, "plan.error.blackout", value=dict(item))
                continue
            first = _date(item.get("from", item.get("date")), where, problems)
            last = _date(item.get("to", item.get("date")), where, problems)
            reason = _text(item.get("reason"), where, "reason", problems) or {}
        elif isinstance(item, dt.date):
            first = last = item
        elif isinstance(item, str) and ".." in item:
            left, _, right = item.partition("..")
            first, last = _date(left, where, problems), _date(right, where, problems)
        else:
            problems.add(where, "plan.error.blackout", value=item)
            continue
        if first is None or last is None:
            continue
        if last < first:
            problems.add(where, "plan.error.blackout_order", first=first, last=last)
            continue
        found.append(Blackout(first, last, reason))
    return found


def _cadence(layers: list[tuple[object, int]], problems: _Problems) -> Cadence | None:
    """One cadence from the plan's default and a group's own keys (later layers win); each
    problem names the line where its value was written."""
    values: dict[str, tuple[object, int]] = {}
    for layer, line in layers:
        if layer is None:
            continue
        if not isinstance(layer, dict):
            problems.add(line, "plan.error.cadence_mapping")
            return None
        for key in _CADENCE_KEYS:
            if key in layer:
                values[key] = (layer[key], _line(layer, key, line))
    last_line = layers[-1][1]
    ok = True

    def need(key: str) -> tuple[object, int] | None:
        nonlocal ok
        if key not in values:
            problems.add(last_line, "plan.error.missing", field=f"cadence: {key}")
            ok = False
            return None
        return values[key]

    every = weekday = when = week = minutes = None
    if found := need("every"):
        every = _EVERY_ALIASES.get(str(found[0]).strip().lower())
        if every is None:
            problems.add(found[1], "plan.error.every", value=found[0])
            ok = False
    if found := need("weekday"):
        weekday = _WEEKDAYS.get(_fold(str(found[0])))
        if weekday is None:
            problems.add(found[1], "plan.error.weekday", value=found[0])
            ok = False
    if found := need("time"):
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(found[0]).strip())
        if match:
            when = dt.time(int(match[1]), int(match[2]))
        else:
            problems.add(found[1], "plan.error.time", value=found[0])
            ok = False
    if "week" in values:
        raw, line = values["week"]
        if every not in (None, "monthly"):
            problems.add(line, "plan.error.week_not_monthly")
            ok = False
        elif _fold(str(raw)) in ("last", "ultima", "ultimo"):
            week = _LAST
        elif isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 4:
            week = raw
        else:
            problems.add(line, "plan.error.week", value=raw)
            ok = False
    elif every == "monthly":
        week = 1
    if "minutes" in values:
        raw, line = values["minutes"]
        if isinstance(raw, int) and not isinstance(raw, bool) and 5 <= raw <= 600:
            minutes = raw
        else:
            problems.add(line, "plan.error.minutes", value=raw)
            ok = False
    if not ok:
        return None
    return Cadence(every=every, weekday=weekday, time=when, week=week, minutes=minutes)


def _fold(text: str) -> str:
    """Lower case without accents: ``Miércoles`` -> ``miercoles``."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _load_track(track_id: str, root: Path | None) -> TrackSpec | None:
    path = (Path(root) if root else tracks_dir()) / f"{track_id}.yaml"
    if not TRACK_ID.match(track_id) or not path.is_file():
        return None
    return TrackSpec.load(path)


def _known_tracks(root: Path | None) -> str:
    base = Path(root) if root else tracks_dir()
    return ", ".join(sorted(p.stem for p in base.glob("*.yaml"))) or "-"


def _fits_in_day(cadence: Cadence, minutes: int) -> bool:
    start = dt.datetime.combine(dt.date(2000, 1, 1), cadence.time)
    return (start + dt.timedelta(minutes=minutes)).date() == start.date()


def load(
    path: Path,
    lang: str = "es",
    *,
    roster_data: dict | None = None,
    tracks_root: Path | None = None,
    modules_root: Path | None = None,
) -> Plan:
    """Read and check the plan file at ``path``; raise ``PlanError`` listing every problem.

    ``roster_data`` is the roster as ``chwkit.assess.roster.load()`` returns it (read from
    the data directory when not given).
    """
    lang = normalize_lang(lang) or "es"
    path = Path(path)
    problems = _Problems(path, lang)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        problems.add(1, "plan.error.read", reason=exc.strerror or exc)
        problems.raise_if_any()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        problems.add(mark.line + 1 if mark else 1, "plan.error.yaml", reason=reason)
        problems.raise_if_any()
    if not isinstance(data, Located):
        problems.add(1, "plan.error.not_mapping")
        problems.raise_if_any()
    _check_keys(data, _PLAN_KEYS, problems)

    if roster_data is None:
        from chwkit.assess import roster

        try:
            roster_data = roster.load()
        except roster.RosterError as exc:
            problems.add(1, "plan.error.roster", reason=exc)
            problems.raise_if_any()
    people = roster_data.get("people", {})
    names = {pid: e.get("name") for pid, e in people.items() if e.get("name")}
    roster_groups = dict(roster_data.get("groups", {}))
    for entry in people.values():
        for gid in entry.get("groups", ()):
            roster_groups.setdefault(gid, {})

    plan_id = str(data.get("id") or path.stem)
    if not TRACK_ID.match(plan_id.replace("-", "_")):
        problems.add(_line(data, "id", 1), "plan.error.id", value=plan_id)
    title = _text(data.get("title"), _line(data, "title", 1), "title", problems)
    title = title or {lang_: t("plan.page.title", lang_) for lang_ in LANGS}

    start = end = None
    for key in ("start", "end"):
        if key not in data:
            problems.add(data.line, "plan.error.missing", field=key)
    if "start" in data:
        start = _date(data["start"], _line(data, "start", 1), problems)
    if "end" in data:
        end = _date(data["end"], _line(data, "end", 1), problems)
    if start and end and end < start:
        problems.add(_line(data, "end", 1), "plan.error.end_before_start", start=start, end=end)
        end = None

    country = data.get("country")
    subdivision = data.get("subdivision")
    if country is not None:
        import holidays

        country, subdivision = str(country), None if subdivision is None else str(subdivision)
        if country.upper() not in holidays.list_supported_countries():
            problems.add(_line(data, "country", 1), "plan.error.country", value=country)
            country = None
        else:
            country = country.upper()
            try:
                holidays.country_holidays(country, subdiv=subdivision)
            except NotImplementedError:
                problems.add(
                    _line(data, "subdivision", 1), "plan.error.subdivision", value=subdivision
                )
                country = None

    default_zone = "UTC"
    if "time_zone" in data:
        default_zone = _zone(data["time_zone"], _line(data, "time_zone", 1), problems) or "UTC"
    default_place = data.get("place")
    blackouts = _blackouts(data.get("blackout"), _line(data, "blackout", 1), lang, problems)
    default_cadence = data.get("cadence")
    if default_cadence is not None and not isinstance(default_cadence, dict):
        problems.add(_line(data, "cadence", 1), "plan.error.cadence_mapping")
        default_cadence = None
    elif isinstance(default_cadence, Located):
        _check_keys(default_cadence, _CADENCE_KEYS, problems)

    groups_raw = data.get("groups")
    groups: list[GroupPlan] = []
    warnings: list[str] = []
    modules_cache: dict[str, ModuleSpec | None] = {}  # a module.yaml is slow to parse
    if not isinstance(groups_raw, list) or not groups_raw:
        problems.add(_line(data, "groups", data.line), "plan.error.groups")
        groups_raw = []
    seen: set[str] = set()
    for index, raw in enumerate(groups_raw):
        line = _line(groups_raw, index, data.line)
        if not isinstance(raw, Located):
            problems.add(line, "plan.error.group_mapping")
            continue
        _check_keys(raw, _GROUP_KEYS, problems)
        gid = raw.get("id")
        if not isinstance(gid, str) or not GROUP_ID.fullmatch(gid):
            problems.add(_line(raw, "id", line), "plan.error.group_id", value=gid)
            continue
        if gid in seen:
            problems.add(_line(raw, "id", line), "plan.error.group_twice", group=gid)
            continue
        seen.add(gid)
        group = _group(
            raw,
            gid,
            line,
            problems,
            people=people,
            roster_groups=roster_groups,
            default_cadence=(default_cadence, _line(data, "cadence", 1)),
            default_zone=default_zone,
            default_place=default_place,
            plan_range=(start, end),
            tracks_root=tracks_root,
            modules_root=modules_root,
            blackouts=blackouts,
            country=(country, subdivision),
            warnings=warnings,
            modules_cache=modules_cache,
        )
        if group is not None:
            groups.append(group)

    forum = None
    if data.get("forum") is not None:
        forum = _forum(
            data["forum"],
            _line(data, "forum", 1),
            problems,
            people=people,
            group_ids=seen,
            default_zone=default_zone,
            default_place=default_place,
            plan_range=(start, end),
            blackouts=blackouts,
            country=(country, subdivision),
        )
    problems.raise_if_any()
    return Plan(
        id=plan_id,
        path=path,
        title=title,
        start=start,
        end=end,
        country=country,
        subdivision=subdivision,
        blackouts=tuple(blackouts),
        groups=tuple(groups),
        forum=forum,
        names=names,
        warnings=tuple(warnings),
    )


def _group(
    raw: Located,
    gid: str,
    line: int,
    problems: _Problems,
    *,
    people: dict,
    roster_groups: dict,
    default_cadence: tuple[object, int],
    default_zone: str,
    default_place: object,
    plan_range: tuple[dt.date | None, dt.date | None],
    tracks_root: Path | None,
    modules_root: Path | None,
    blackouts: list[Blackout],
    country: tuple[str | None, str | None],
    warnings: list[str],
    modules_cache: dict[str, ModuleSpec | None],
) -> GroupPlan | None:
    before = len(problems.items)
    id_line = _line(raw, "id", line)
    learners: tuple[str, ...] = ()
    if gid not in roster_groups:
        problems.add(id_line, "plan.error.group_not_in_roster", group=gid)
    else:
        learners = tuple(sorted(p for p, e in people.items() if gid in e.get("groups", ())))
        if not learners:
            problems.add(id_line, "plan.error.no_learners", group=gid)

    track = None
    modules: list[ModuleSpec] = []
    track_line = _line(raw, "track", line)
    track_id = raw.get("track")
    if track_id is None:
        problems.add(line, "plan.error.missing", field="track")
    else:
        try:
            track = _load_track(str(track_id), tracks_root)
        except ModuleError as exc:
            problems.add(track_line, "plan.error.bad_track", track=track_id, reason=exc)
        else:
            if track is None:
                problems.add(
                    track_line,
                    "plan.error.unknown_track",
                    track=track_id,
                    known=_known_tracks(tracks_root),
                )
        if track is not None:
            for module_id in track.modules:
                try:
                    spec = modules_cache.get(module_id) or find_module(module_id, modules_root)
                    modules_cache[module_id] = spec
                except ModuleError as exc:
                    problems.add(track_line, "plan.error.bad_track", track=track.id, reason=exc)
                    continue
                if spec is None:
                    problems.add(
                        track_line, "plan.error.missing_module", track=track.id, module=module_id
                    )
                else:
                    modules.append(spec)

    facilitator = raw.get("facilitator") or roster_groups.get(gid, {}).get("facilitator")
    if facilitator is None:
        problems.add(id_line, "plan.error.no_facilitator", group=gid)
    elif facilitator not in people:
        problems.add(
            _line(raw, "facilitator", line), "plan.error.not_in_roster", person=facilitator
        )

    zone = default_zone
    if "time_zone" in raw:
        zone = _zone(raw["time_zone"], _line(raw, "time_zone", line), problems) or zone
    name = _text(raw.get("name"), _line(raw, "name", line), "name", problems)
    name = name or dict.fromkeys(LANGS, roster_groups.get(gid, {}).get("name") or gid)
    led_by = roster_groups.get(gid, {}).get("facilitator")
    if raw.get("facilitator") and led_by and led_by != raw["facilitator"]:
        warnings.append(
            problems.where(
                _line(raw, "facilitator", line),
                "plan.warn.roster_facilitator",
                group=gid,
                plan=raw["facilitator"],
                roster=led_by,
            )
        )

    start, end = plan_range
    if "start" in raw:
        start = _date(raw["start"], _line(raw, "start", line), problems)
    if "end" in raw:
        end = _date(raw["end"], _line(raw, "end", line), problems)
    plan_start, plan_end = plan_range
    for key, value in (("start", start), ("end", end)):
        if key in raw and value and plan_start and plan_end and not plan_start <= value <= plan_end:
            problems.add(
                _line(raw, key, line),
                "plan.error.outside_range",
                value=value,
                start=plan_start,
                end=plan_end,
            )
    if start and end and end < start and ("start" in raw or "end" in raw):
        where = _line(raw, "end" if "end" in raw else "start", line)
        problems.add(where, "plan.error.end_before_start", start=start, end=end)
        end = None

    cadence_line = _line(raw, "cadence", line)
    if isinstance(raw.get("cadence"), Located):
        _check_keys(raw["cadence"], _CADENCE_KEYS, problems)
    cadence = _cadence([default_cadence, (raw.get("cadence"), cadence_line)], problems)
    if cadence is not None and modules:
        longest = max(cadence.minutes or m.duration_min for m in modules)
        if not _fits_in_day(cadence, longest):
            problems.add(
                cadence_line if "cadence" in raw else default_cadence[1],
                "plan.error.past_midnight",
                minutes=longest,
                time=cadence.time.strftime("%H:%M"),
            )
        elif start and end and not _any_slot(cadence, start, end, blackouts, country):
            problems.add(
                cadence_line if "cadence" in raw else default_cadence[1],
                "plan.error.no_slot",
                cadence=cadence.describe(problems.lang),
                start=start,
                end=end,
            )
    if len(problems.items) > before or track is None or cadence is None:
        return None
    place = raw.get("place", default_place)
    return GroupPlan(
        id=gid,
        name=name,
        track=track,
        modules=tuple(modules),
        facilitator=str(facilitator),
        learners=learners,
        time_zone=zone,
        cadence=cadence,
        start=start,
        end=end,
        place=None if place is None else str(place),
        line=line,
    )


def _forum(
    raw: object,
    line: int,
    problems: _Problems,
    *,
    people: dict,
    group_ids: set[str],
    default_zone: str,
    default_place: object,
    plan_range: tuple[dt.date | None, dt.date | None],
    blackouts: list[Blackout],
    country: tuple[str | None, str | None],
) -> ForumPlan | None:
    if not isinstance(raw, Located):
        problems.add(line, "plan.error.cadence_mapping")
        return None
    before = len(problems.items)
    _check_keys(raw, _FORUM_KEYS, problems)
    defaults = {"every": "monthly", "week": "last", "weekday": "friday", "time": "16:00"}
    if "every" in raw and "week" not in raw:
        defaults.pop("week")
    cadence = _cadence([(defaults, line), (raw, line)], problems)
    title = _text(raw.get("title"), _line(raw, "title", line), "title", problems)
    title = title or {lang: t("plan.forum.title", lang) for lang in LANGS}
    facilitator = raw.get("facilitator")
    if facilitator is not None and facilitator not in people:
        problems.add(
            _line(raw, "facilitator", line), "plan.error.not_in_roster", person=facilitator
        )
    wanted = raw.get("groups", "all")
    if wanted == "all":
        groups = tuple(sorted(group_ids))
    elif isinstance(wanted, list):
        groups = tuple(str(g) for g in wanted)
        for index, gid in enumerate(groups):
            if gid not in group_ids:
                problems.add(_line(wanted, index, line), "plan.error.forum_group", group=gid)
    else:
        problems.add(_line(raw, "groups", line), "plan.error.forum_groups")
        groups = ()
    zone = default_zone
    if "time_zone" in raw:
        zone = _zone(raw["time_zone"], _line(raw, "time_zone", line), problems) or zone
    minutes = (cadence.minutes if cadence else None) or 90
    if cadence is not None:
        start, end = plan_range
        if not _fits_in_day(cadence, minutes):
            problems.add(
                line,
                "plan.error.past_midnight",
                minutes=minutes,
                time=cadence.time.strftime("%H:%M"),
            )
        elif start and end and not _any_slot(cadence, start, end, blackouts, country):
            problems.add(
                line,
                "plan.error.no_slot",
                cadence=cadence.describe(problems.lang),
                start=start,
                end=end,
            )
    if len(problems.items) > before or cadence is None:
        return None
    place = raw.get("place", default_place)
    return ForumPlan(
        title=title,
        cadence=cadence,
        minutes=minutes,
        groups=groups,
        time_zone=zone,
        facilitator=None if facilitator is None else str(facilitator),
        place=None if place is None else str(place),
    )


# -- the calendar ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One turn of a cadence: its nominal day and the last day it may move to."""

    nominal: dt.date
    period_end: dt.date


def _month_day(year: int, month: int, weekday: int, week: int) -> dt.date:
    if week == _LAST:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        day = following - dt.timedelta(days=1)
        return day - dt.timedelta(days=(day.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))


def slots(cadence: Cadence, start: dt.date, end: dt.date) -> list[Slot]:
    """Every nominal slot of ``cadence`` from ``start`` to ``end`` (inclusive)."""
    found = []
    if cadence.every in ("weekly", "biweekly"):
        step = 7 if cadence.every == "weekly" else 14
        day = start + dt.timedelta(days=(cadence.weekday - start.weekday()) % 7)
        while day <= end:
            found.append(Slot(day, min(day + dt.timedelta(days=step - 1), end)))
            day += dt.timedelta(days=step)
        return found
    year, month = start.year, start.month
    while dt.date(year, month, 1) <= end:
        day = _month_day(year, month, cadence.weekday, cadence.week or 1)
        month_end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        if start <= day <= end:
            found.append(Slot(day, min(month_end, end)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


@dataclass(frozen=True)
class Closed:
    """Days no session is held: public holidays and blackout dates."""

    holidays: dict[dt.date, str]
    blackouts: tuple[Blackout, ...]
    lang: str

    def reason(self, day: dt.date) -> str | None:
        if day in self.holidays:
            return self.holidays[day]
        for blackout in self.blackouts:
            if blackout.covers(day):
                return blackout.reason.get(self.lang) or t("plan.blackout.default", self.lang)
        return None


def place_slot(slot: Slot, closed: Closed, weekend_ok: bool) -> tuple[dt.date | None, str | None]:
    """The day a slot is held and, when it is not its nominal day, why; (None, why) when no
    day of its period is open."""
    why = closed.reason(slot.nominal)
    if why is None:
        return slot.nominal, None
    day = slot.nominal + dt.timedelta(days=1)
    while day <= slot.period_end:
        if (weekend_ok or day.weekday() < 5) and closed.reason(day) is None:
            return day, why
        day += dt.timedelta(days=1)
    return None, why


def _any_slot(
    cadence: Cadence,
    start: dt.date,
    end: dt.date,
    blackouts: list[Blackout],
    country: tuple[str | None, str | None],
) -> bool:
    code, subdivision = country
    found = _holidays(code, subdivision, start, end, "en") if code else {}
    closed = Closed(found, tuple(blackouts), "en")
    weekend_ok = cadence.weekday >= 5
    return any(place_slot(s, closed, weekend_ok)[0] is not None for s in slots(cadence, start, end))


@dataclass(frozen=True)
class Session:
    """One planned session: a module for a group, or a forum session for several groups."""

    kind: str  # module | forum
    group: str | None  # None for a forum session
    seq: int  # 1-based, within the group (or among forum sessions)
    total: int
    module: ModuleSpec | None
    title: dict[str, str]
    facilitator: str | None
    time_zone: str
    minutes: int
    status: str  # scheduled | moved | does_not_fit
    start: dt.datetime | None = None  # aware, in the time zone
    moved_from: dt.date | None = None
    reason: str | None = None  # why it moved
    place: str | None = None
    groups: tuple[str, ...] = ()  # who attends (a forum session: several groups)

    @property
    def end(self) -> dt.datetime | None:
        return None if self.start is None else self.start + dt.timedelta(minutes=self.minutes)

    @property
    def date(self) -> dt.date | None:
        return None if self.start is None else self.start.date()

    @property
    def uid(self) -> str:
        what = self.module.id if self.module else "forum"
        return f"{self.group or 'forum'}-{self.seq:02d}-{what}"


@dataclass(frozen=True)
class LostSlot:
    """A cadence turn with no open day in its period (every day a holiday or blacked out)."""

    group: str | None  # None: the forum
    nominal: dt.date
    reason: str


@dataclass(frozen=True)
class Clash:
    person: str
    first: Session
    second: Session


@dataclass
class Schedule:
    plan: Plan
    lang: str
    sessions: list[Session]
    lost: list[LostSlot]
    clashes: list[Clash]
    holidays: dict[dt.date, str]

    def for_group(self, group_id: str, forum: bool = False) -> list[Session]:
        return [
            s
            for s in self.sessions
            if s.group == group_id or (forum and s.kind == "forum" and group_id in s.groups)
        ]

    @property
    def forum(self) -> list[Session]:
        return [s for s in self.sessions if s.kind == "forum"]

    @property
    def unfit(self) -> list[Session]:
        return [s for s in self.sessions if s.status == "does_not_fit"]

    def avoided_holidays(self) -> dict[dt.date, str]:
        """The holidays a session was moved away from, or a slot lost to."""
        hit = {s.moved_from for s in self.sessions if s.moved_from} | {
            lost.nominal for lost in self.lost
        }
        return {day: name for day, name in self.holidays.items() if day in hit}


def _start(day: dt.date, cadence: Cadence, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, cadence.time, tzinfo=ZoneInfo(zone))


def schedule(plan: Plan, lang: str = "es") -> Schedule:
    """Every session of the plan: scheduled, moved, or reported as not fitting."""
    lang = normalize_lang(lang) or "es"
    closed = Closed(plan.holidays(lang), plan.blackouts, lang)
    sessions: list[Session] = []
    lost: list[LostSlot] = []
    for group in plan.groups:
        weekend_ok = group.cadence.weekday >= 5
        open_days: list[tuple[dt.date, Slot, str | None]] = []
        for slot in slots(group.cadence, group.start, group.end):
            day, why = place_slot(slot, closed, weekend_ok)
            if day is None:
                lost.append(LostSlot(group.id, slot.nominal, why))
            else:
                open_days.append((day, slot, why))
        total = len(group.modules)
        for seq, module in enumerate(group.modules, start=1):
            common = dict(
                kind="module",
                group=group.id,
                seq=seq,
                total=total,
                module=module,
                title=module.title,
                facilitator=group.facilitator,
                time_zone=group.time_zone,
                minutes=group.cadence.minutes or module.duration_min,
                place=group.place,
                groups=(group.id,),
            )
            if seq > len(open_days):
                sessions.append(Session(status="does_not_fit", **common))
                continue
            day, slot, why = open_days[seq - 1]
            sessions.append(
                Session(
                    status="moved" if why else "scheduled",
                    start=_start(day, group.cadence, group.time_zone),
                    moved_from=slot.nominal if why else None,
                    reason=why,
                    **common,
                )
            )
    if plan.forum is not None:
        forum = plan.forum
        held: list[tuple[dt.date, Slot, str | None]] = []
        for slot in slots(forum.cadence, plan.start, plan.end):
            day, why = place_slot(slot, closed, forum.cadence.weekday >= 5)
            if day is None:
                lost.append(LostSlot(None, slot.nominal, why))
            else:
                held.append((day, slot, why))
        for seq, (day, slot, why) in enumerate(held, start=1):
            sessions.append(
                Session(
                    kind="forum",
                    group=None,
                    seq=seq,
                    total=len(held),
                    module=None,
                    title=forum.title,
                    facilitator=forum.facilitator,
                    time_zone=forum.time_zone,
                    minutes=forum.minutes,
                    status="moved" if why else "scheduled",
                    start=_start(day, forum.cadence, forum.time_zone),
                    moved_from=slot.nominal if why else None,
                    reason=why,
                    place=forum.place,
                    groups=forum.groups,
                )
            )
    return Schedule(
        plan=plan,
        lang=lang,
        sessions=sessions,
        lost=lost,
        clashes=_clashes(sessions),
        holidays=closed.holidays,
    )


def _clashes(sessions: list[Session]) -> list[Clash]:
    """Sessions one facilitator would lead at overlapping times."""
    by_person: dict[str, list[Session]] = {}
    for session in sessions:
        if session.facilitator and session.start is not None:
            by_person.setdefault(session.facilitator, []).append(session)
    found = []
    for person, own in sorted(by_person.items()):
        own.sort(key=lambda s: s.start)
        for first, second in zip(own, own[1:], strict=False):
            if second.start < first.end:
                found.append(Clash(person, first, second))
    return found


# -- the class a module page should expect now -----------------------------------------------
OPEN_BEFORE = dt.timedelta(hours=1)  # kernels preheated this long before a session starts


@dataclass(frozen=True)
class ExpectedClass:
    """A module session on or about to start: who and how many will open the page at once."""

    module: str
    learners: int
    sessions: tuple[Session, ...]


def expected_classes(
    plan_files: list[Path],
    now: dt.datetime,
    *,
    before: dt.timedelta = OPEN_BEFORE,
    roster_data: dict | None = None,
) -> tuple[dict[str, ExpectedClass], list[str]]:
    """The module sessions of the work plans that are on at ``now`` (aware) or start within
    ``before``: module id -> the learners expected (the groups' sizes added up, when several
    groups meet on the same module at once). Also the plans that could not be read, as
    ``"file: first problem"`` (in English, for the server log), so one broken plan does not
    hide the others."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    found: dict[str, list[Session]] = {}
    sizes: dict[str, int] = {}
    problems: list[str] = []
    for path in plan_files:
        try:
            plan = load(path, "en", roster_data=roster_data)
        except PlanError as exc:
            problems.append(f"{Path(path).name}: {exc.problems[0]}")
            continue
        learners = {group.id: len(group.learners) for group in plan.groups}
        for session in schedule(plan, "en").sessions:
            if session.kind != "module" or session.start is None or session.module is None:
                continue
            if session.start - before <= now < session.end:
                found.setdefault(session.module.id, []).append(session)
                sizes[session.module.id] = sizes.get(session.module.id, 0) + max(
                    1, learners.get(session.group, 0)
                )
    return (
        {m: ExpectedClass(m, sizes[m], tuple(found[m])) for m in sorted(found)},
        problems,
    )
