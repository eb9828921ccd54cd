"""``chwkit forum build``: every session notebook -> a tidy dataset for analysts.

Output, in ``<data dir>/forum_dataset/``: ``sessions``, ``contributions``,
``contribution_themes`` (one row per contribution and theme) and ``codebook``, each as CSV and
Parquet, and a Frictionless ``datapackage.json`` (Table Schema: types, enum constraints,
primary and foreign keys) describing the CSV files.

Left out, and counted in the summary: withdrawn contributions, contributions without consent
to be in the dataset, and contributions whose text holds likely identifiers nobody reviewed
(a hand-edited notebook). A bad notebook or cell is reported by file and cell; the rest builds.

Incremental: what each session file yields is cached in the data directory, keyed by the
file's size and modification time (and the codebook), so a rebuild re-reads only the
sessions that changed.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chwkit.core import atomic, paths, tables
from chwkit.core.i18n import LANGS
from chwkit.core.tables import Column, ForeignKey, Table
from chwkit.forum.codebook import CODEBOOK_PATH, SOURCES, Codebook, codebook
from chwkit.forum.model import (
    CONSENTS,
    KINDS,
    ROLES,
    SESSION_TYPES,
    ForumValueError,
    make_contribution,
)
from chwkit.forum.privacy import find_identifiers, text_digest
from chwkit.forum.session import TEMPLATE_NAME, read_session_file

CACHE_VERSION = 6
DEID_STATUSES = ("no_flags", "reviewed")
PROGRESS_MIN_FILES = 100

SESSIONS = Table(
    "sessions",
    "Forum sessions",
    (
        Column("session_id", "string", "date_site", required=True, unique=True,
               pattern=r"\d{4}-\d{2}-\d{2}_[a-z0-9][a-z0-9-]*"),
        Column("date", "date", "Date of the session", required=True),
        Column("site", "string", "Site (clinic, group or community)", required=True),
        Column("session_type", "string",
               "forum: a monthly learning forum; conference: a session of a conference (such as "
               "a binational promotores conference); exchange: an exchange between programs",
               required=True, enum=SESSION_TYPES),
        Column("facilitator", "string", "Facilitator's roster id", required=True),
        Column("topic", "string", "Topic of the session", required=True),
        Column("language", "string", "Language of the session", required=True, enum=LANGS),
        Column("attendance", "integer", "People who attended", minimum=0),
        Column("roster_attendees", "integer",
               "Roster members the facilitator ticked present: a count only (who came is in the "
               "learner records, never in this pseudonymous dataset)", required=True, minimum=0),
        Column("hours", "number",
               "Hours of training each attendee is credited (the session's hours parameter; "
               "1.5 when it gives none)", required=True, minimum=0),
        Column("notebook", "string", "The session notebook (the minutes)", required=True),
    ),
    ("session_id",),
)  # fmt: skip
CONTRIBUTIONS = Table(
    "contributions",
    "Contributions",
    (
        Column("contribution_id", "string", "Contribution id", required=True, unique=True),
        Column("session_id", "string", "Session", required=True),
        Column("pseudonym", "string", "Participant pseudonym (never a name)", required=True),
        Column("role", "string", "Participant's role", required=True, enum=ROLES),
        Column("kind", "string", "Kind of contribution", required=True, enum=KINDS),
        Column("language", "string", "Language of the contribution", required=True, enum=LANGS),
        Column("text", "string", "What the participant shared", required=True),
        Column("consent_dataset", "boolean", "Consent to be in the dataset", required=True),
        Column("consent_quote", "boolean", "Consent to be quoted", required=True),
        Column("consent_share_outside", "boolean", "Consent to share outside the program",
               required=True),
        Column("deid_status", "string",
               "no_flags: no likely identifiers found; reviewed: likely identifiers were shown "
               "to the facilitator, who confirmed the text", required=True, enum=DEID_STATUSES),
        Column("recorded_by", "string", "Facilitator who recorded it (roster id)"),
        Column("created", "datetime", "When it was recorded (UTC)"),
        Column("updated", "datetime", "When it was last changed (UTC)"),
    ),
    ("contribution_id",),
    (ForeignKey(("session_id",), "sessions", ("session_id",)),),
)  # fmt: skip
CONTRIBUTION_THEMES = Table(
    "contribution_themes",
    "Themes of each contribution",
    (
        Column("contribution_id", "string", "Contribution", required=True),
        Column("theme_code", "string", "Theme (codebook code)", required=True),
    ),
    ("contribution_id", "theme_code"),
    (
        ForeignKey(("contribution_id",), "contributions", ("contribution_id",)),
        ForeignKey(("theme_code",), "codebook", ("code",)),
    ),
)
CODEBOOK = Table(
    "codebook",
    "Codebook",
    (
        Column("code", "string", "Theme code", required=True, unique=True),
        Column("parent", "string", "Parent theme code"),
        Column("label_es", "string", "Label in Spanish", required=True),
        Column("label_en", "string", "Label in English", required=True),
        Column("definition_es", "string", "Definition in Spanish", required=True),
        Column("definition_en", "string", "Definition in English", required=True),
        Column("source", "string", "Where the theme comes from", required=True, enum=SOURCES),
    ),
    ("code",),
    (ForeignKey(("parent",), "", ("code",)),),
)
TABLES = (SESSIONS, CONTRIBUTIONS, CONTRIBUTION_THEMES, CODEBOOK)
SESSION_FIELDS = SESSIONS.names
CONTRIBUTION_FIELDS = CONTRIBUTIONS.names
THEME_FIELDS = CONTRIBUTION_THEMES.names
CODEBOOK_FIELDS = CODEBOOK.names


def dataset_dir() -> Path:
    return paths.data_dir() / "forum_dataset"


@dataclass
class Counts:
    withdrawn: int = 0
    no_consent: int = 0
    unreviewed_identifiers: int = 0
    invalid: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SessionRows:
    """What one session file yields (cached between builds)."""

    session: tuple | None = None
    contributions: list[tuple] = field(default_factory=list)
    themes: list[tuple] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)  # notebook cell of each contribution row
    theme_places: list[tuple[int, int]] = field(default_factory=list)  # (cell, position)
    counts: Counts = field(default_factory=Counts)
    problems: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    out_dir: Path
    sessions: int = 0
    contributions: int = 0
    theme_rows: int = 0
    left_out: Counts = field(default_factory=Counts)
    problems: list[str] = field(default_factory=list)
    files_read: int = 0
    files_cached: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        lo = self.left_out
        lines = [
            f"forum dataset: {self.sessions} sessions, {self.contributions} contributions, "
            f"{self.theme_rows} contribution themes -> {self.out_dir}",
            f"left out: {lo.no_consent} without consent to be included, {lo.withdrawn} withdrawn, "
            f"{lo.unreviewed_identifiers} with unreviewed identifiers, {lo.invalid} unreadable",
            f"read {self.files_read} session files ({self.files_cached} unchanged, from cache) "
            f"in {self.seconds:.2f} s",
        ]
        if self.problems:
            lines.append(f"{len(self.problems)} problems:")
            lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


# -- one session --------------------------------------------------------------------------------
def session_rows(path: Path, book: Codebook) -> SessionRows:
    """Read one session notebook into rows; problems name the file and the cell."""
    rows = SessionRows()
    record = read_session_file(path)
    rows.problems.extend(record.problems)
    s = record.session
    if s is None:
        return rows
    if path.stem != s.id:
        rows.problems.append(
            f"{path.name}: its parameters say session {s.id}; rename the file to {s.id}.ipynb"
        )
    rows.session = (s.id, s.date, s.site, s.session_type, s.facilitator, s.topic, s.language,
                    s.attendance, len(record.present), s.credited_hours, path.name)  # fmt: skip
    for index, data in record.contributions:
        where = f"{path.name}, cell {index}"
        if data.get("withdrawn") is True:
            rows.counts.withdrawn += 1
            continue
        unknown = [c for c in data.get("themes") or [] if isinstance(c, str) and c not in book]
        if unknown and isinstance(data.get("themes"), list):
            rows.problems.append(f"{where}: unknown theme codes {', '.join(unknown)} left out")
            data = {**data, "themes": [c for c in data["themes"] if c not in unknown]}
        try:
            c = make_contribution(data, book)
        except ForumValueError as exc:
            if exc.key == "forum.error.consent":
                rows.counts.no_consent += 1
                rows.problems.append(f"{where}: no consent recorded; left out of the dataset")
            else:
                rows.counts.invalid += 1
                rows.problems.append(f"{where}: left out of the dataset: {exc}")
            continue
        if not c.consent.dataset:
            rows.counts.no_consent += 1
            continue
        if c.flag_check and c.flag_check == text_digest(c.text):
            flagged, reviewed = bool(c.flags), c.reviewed
        else:  # the text changed outside the recorder: check it again
            flagged, reviewed = bool(find_identifiers(c.text)), False
        if flagged and not reviewed:
            rows.counts.unreviewed_identifiers += 1
            rows.problems.append(
                f"{where}: the text holds likely identifiers nobody reviewed; left out "
                "(fix it in the recorder, or review it there)"
            )
            continue
        consent = c.consent.as_dict()
        rows.contributions.append(
            (c.uuid, s.id, c.pseudonym, c.role, c.kind, c.language, c.text,
             *(consent[k] for k in CONSENTS), "reviewed" if flagged else "no_flags",
             c.recorded_by or None, c.created or None, c.updated or None)
        )  # fmt: skip
        rows.cells.append(index)
        rows.themes.extend((c.uuid, code) for code in c.themes)
        rows.theme_places.extend((index, pos) for pos in range(len(c.themes)))
    return rows


# -- the cache ----------------------------------------------------------------------------------
# ``index.json``: per session file, its (mtime, size), session row, counts and problems (plain
# data: a cache is read back as data, never as code, as a pickle would be).
# ``contributions.arrow`` / ``themes.arrow``: every session's rows with the file they came from
# (``_file``) and their place in it (``_cell``, ``_pos``), so a rebuild replaces one file's rows
# with a filter and a concatenation instead of re-reading everything.
def _codebook_key() -> str:
    return hashlib.sha256(CODEBOOK_PATH.read_bytes()).hexdigest()


def _load_cache(folder: Path, key: str):
    import pyarrow as pa

    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if not isinstance(index, dict) or index.get("version") != [CACHE_VERSION, key]:
            return {}, None, None
        files = {
            name: (
                tuple(stamp),
                tuple(session) if session is not None else None,
                Counts(**counts),
                list(problems),
            )
            for name, (stamp, session, counts, problems) in index["files"].items()
        }
        with pa.memory_map(str(folder / "contributions.arrow")) as src:
            contribs = pa.ipc.open_file(src).read_all()
        with pa.memory_map(str(folder / "themes.arrow")) as src:
            themes = pa.ipc.open_file(src).read_all()
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}, None, None
    except pa.ArrowException:
        return {}, None, None
    return files, contribs, themes


def _save_cache(folder: Path, key: str, files: dict, contribs, themes) -> None:
    import pyarrow as pa

    folder.mkdir(parents=True, exist_ok=True)
    for name, table in (("contributions.arrow", contribs), ("themes.arrow", themes)):

        def write(tmp, table=table):
            with pa.OSFile(tmp, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)

        _replace(folder / name, write)

    plain = {
        name: [list(stamp), session, asdict(counts), problems]
        for name, (stamp, session, counts, problems) in files.items()
    }
    atomic.write_json(folder / "index.json", {"version": [CACHE_VERSION, key], "files": plain})


# -- the tables ---------------------------------------------------------------------------------
def _columns(rows: list[tuple], names: tuple[str, ...]) -> dict[str, list]:
    if not rows:
        return {name: [] for name in names}
    return dict(zip(names, (list(col) for col in zip(*rows, strict=True)), strict=True))


def _schemas():
    import pyarrow as pa

    # The cache keeps times as text (as the CSV has them); Parquet gets them typed.
    contrib = pa.schema(
        [
            (c.name, pa.string() if c.type == "datetime" else c.arrow_type())
            for c in CONTRIBUTIONS.columns
        ]
        + [("_file", pa.string()), ("_cell", pa.int32())]
    )
    themes = pa.schema(
        [(c.name, c.arrow_type()) for c in CONTRIBUTION_THEMES.columns]
        + [("_file", pa.string()), ("_cell", pa.int32()), ("_pos", pa.int32())]
    )
    return contrib, themes


def _rows_tables(parsed: dict[str, SessionRows]):
    """New cache rows for the session files just read."""
    import pyarrow as pa

    contrib_schema, theme_schema = _schemas()
    c_rows, t_rows = [], []
    for name, rows in parsed.items():
        c_rows.extend(
            (*row, name, cell) for row, cell in zip(rows.contributions, rows.cells, strict=True)
        )
        t_rows.extend(
            (*row, name, cell, pos)
            for row, (cell, pos) in zip(rows.themes, rows.theme_places, strict=True)
        )
    c = _columns(c_rows, tuple(contrib_schema.names))
    th = _columns(t_rows, tuple(theme_schema.names))
    return (
        pa.table(
            {f.name: pa.array(c[f.name], f.type) for f in contrib_schema}, schema=contrib_schema
        ),
        pa.table({f.name: pa.array(th[f.name], f.type) for f in theme_schema}, schema=theme_schema),
    )


def _output_tables(sessions: list[tuple], contribs, themes, book: Codebook):
    """(typed tables for Parquet, tables for CSV) without the cache's bookkeeping columns."""
    import pyarrow as pa

    string = pa.string()
    s = _columns(sessions, SESSION_FIELDS)
    cb = {name: [getattr(x, name) for x in book.themes.values()] for name in CODEBOOK_FIELDS}
    sessions_table = pa.table(
        {
            c.name: pa.array(s[c.name], string).cast(c.arrow_type())
            if c.type == "date"
            else pa.array(s[c.name], c.arrow_type())
            for c in SESSIONS.columns
        }
    )
    contribs = contribs.select(list(CONTRIBUTION_FIELDS))
    as_text = {
        "sessions": sessions_table,
        "contributions": contribs,
        "contribution_themes": themes.select(list(THEME_FIELDS)),
        "codebook": pa.table({k: pa.array(cb[k], string) for k in CODEBOOK_FIELDS}),
    }
    typed = dict(as_text)
    for column in CONTRIBUTIONS.columns:  # times are text in the CSV, typed in Parquet
        if column.type == "datetime":
            index = CONTRIBUTION_FIELDS.index(column.name)
            typed_column = typed["contributions"].column(column.name).cast(column.arrow_type())
            typed["contributions"] = typed["contributions"].set_column(
                index, column.name, typed_column
            )
    return typed, as_text


def _replace(path: Path, write) -> None:
    atomic.write_with(path, write)


def datapackage(book: Codebook | None = None) -> dict:
    """The Frictionless descriptor of the dataset's CSV files (from ``TABLES``)."""
    return tables.datapackage(
        "chwkit-forum",
        "Learning forum, conference and exchange contributions",
        "Experiences, challenges, best practices, questions and reflections shared by "
        "community health workers in monthly learning forums, conferences and exchanges "
        "(each session's session_type), coded with the kit's codebook. Pseudonyms only. Only contributions with consent to be included are "
        "here. Each table is also in Parquet (same name, .parquet).",
        list(TABLES),
    )


# -- the build ----------------------------------------------------------------------------------
def session_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.glob("*.ipynb")
        if p.name != TEMPLATE_NAME and not p.name.startswith((".", "_"))
    )


def build(**kwargs) -> BuildReport:
    """Build the dataset; see the module's docstring. Returns what was built and left out.

    Keyword arguments: ``forum_dir``, ``out_dir``, ``book``, ``use_cache``, ``progress``.
    """
    # The build makes hundreds of thousands of small objects and frees none of them: the
    # cyclic garbage collector would walk them all, repeatedly, for nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(**kwargs)
    finally:
        if was_enabled:
            gc.enable()


def _build(
    forum_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    book: Codebook | None = None,
    use_cache: bool = True,
    progress: bool | None = None,
) -> BuildReport:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from tqdm import tqdm

    started = time.perf_counter()
    forum_dir = Path(forum_dir or paths.forum_dir())
    out_dir = Path(out_dir or dataset_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    book = book or codebook()
    report = BuildReport(out_dir=out_dir)

    key = f"{_codebook_key()}:{forum_dir.resolve()}"
    cache_dir = out_dir / ".cache"
    if use_cache:
        index, cached_c, cached_t = _load_cache(cache_dir, key)
    else:
        index, cached_c, cached_t = {}, None, None
    if cached_c is None:
        index = {}
    files = session_files(forum_dir) if forum_dir.is_dir() else []
    names = {path.name for path in files}
    todo = []
    for path in files:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        hit = index.get(path.name)
        if hit is None or hit[0] != stamp:
            todo.append((path, stamp))
    gone = [name for name in index if name not in names]
    # True: always show the bar; False: never; None (a long build): tqdm shows it on a
    # terminal and stays quiet when stderr is a log file.
    if progress is not None:
        disable = not progress
    else:
        disable = None if len(todo) >= PROGRESS_MIN_FILES else True
    parsed: dict[str, SessionRows] = {}
    for path, stamp in tqdm(todo, desc="forum sessions", unit="file", disable=disable):
        rows = session_rows(path, book)
        parsed[path.name] = rows
        index[path.name] = (stamp, rows.session, rows.counts, rows.problems)
    for name in gone:
        del index[name]
    report.files_read = len(todo)
    report.files_cached = len(files) - len(todo)

    if cached_c is None or todo or gone:
        new_c, new_t = _rows_tables(parsed)
        if cached_c is not None:
            stale = pa.array([*parsed, *gone], pa.string())
            cached_c = cached_c.filter(pc.invert(pc.is_in(cached_c["_file"], value_set=stale)))
            cached_t = cached_t.filter(pc.invert(pc.is_in(cached_t["_file"], value_set=stale)))
            new_c = pa.concat_tables([cached_c, new_c])
            new_t = pa.concat_tables([cached_t, new_t])
        cached_c, cached_t = new_c, new_t
        if use_cache:
            _save_cache(cache_dir, key, index, cached_c, cached_t)

    sessions, skip_files = [], []
    seen_sessions: dict[str, str] = {}

    # A file named for its session wins over a copy under another name.
    def named_right_first(path: Path):
        session = index[path.name][1]
        return (session is None or path.stem != session[0], path.name)

    for path in sorted(files, key=named_right_first):
        _, session, counts, problems = index[path.name]
        report.problems.extend(problems)
        report.left_out.add(counts)
        if session is None:
            continue
        if session[0] in seen_sessions:
            report.problems.append(
                f"{path.name}: session {session[0]} is already in "
                f"{seen_sessions[session[0]]}; left out"
            )
            skip_files.append(path.name)
            continue
        seen_sessions[session[0]] = path.name
        sessions.append(session)
    sessions.sort()
    contribs = cached_c.sort_by([("_file", "ascending"), ("_cell", "ascending")])
    themes = cached_t.sort_by(
        [("_file", "ascending"), ("_cell", "ascending"), ("_pos", "ascending")]
    )
    if skip_files:
        skip = pa.array(skip_files, pa.string())
        contribs = contribs.filter(pc.invert(pc.is_in(contribs["_file"], value_set=skip)))
        themes = themes.filter(pc.invert(pc.is_in(themes["_file"], value_set=skip)))
    # The same contribution in two files (a copied notebook): keep the first.
    ids = contribs.column("contribution_id").to_pylist()
    if len(set(ids)) != len(ids):
        first: dict[str, tuple] = {}
        keep = []
        files_col = contribs.column("_file").to_pylist()
        cells_col = contribs.column("_cell").to_pylist()
        for cid, fname, cell in zip(ids, files_col, cells_col, strict=True):
            if cid in first:
                keep.append(False)
                report.left_out.invalid += 1
                report.problems.append(
                    f"{fname}, cell {cell}: contribution {cid} is already in "
                    f"{first[cid][0]}, cell {first[cid][1]}; this copy left out"
                )
            else:
                first[cid] = (fname, cell)
                keep.append(True)
        contribs = contribs.filter(pa.array(keep))
        t_keys = zip(
            themes.column("contribution_id").to_pylist(),
            themes.column("_file").to_pylist(),
            themes.column("_cell").to_pylist(),
            strict=True,
        )
        themes = themes.filter(pa.array([first.get(cid) == (f, c) for cid, f, c in t_keys]))

    typed, as_text = _output_tables(sessions, contribs, themes, book)
    for name, table in as_text.items():
        _replace(out_dir / f"{name}.csv", lambda tmp, t=table: pacsv.write_csv(t, tmp))
    for name, table in typed.items():
        _replace(out_dir / f"{name}.parquet", lambda tmp, t=table: pq.write_table(t, tmp))
    descriptor = json.dumps(datapackage(book), indent=2, ensure_ascii=False) + "\n"
    _replace(out_dir / "datapackage.json", lambda tmp: Path(tmp).write_text(descriptor, "utf-8"))

    report.sessions = len(sessions)
    report.contributions = contribs.num_rows
    report.theme_rows = themes.num_rows
    report.seconds = time.perf_counter() - started
    return report
