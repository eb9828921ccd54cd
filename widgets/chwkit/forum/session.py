"""Session notebooks: the forum's record and its minutes.

A session notebook is ``forum_sessions/<date>_<site>.ipynb``. Its parameters cell (tagged
``parameters``) holds the session's values; each contribution is one markdown cell appended
after the template's cells: readable minutes in the session's language, with the structured
record in ``cell.metadata["chwkit"]["contribution"]``.

Writes go through ``chwkit.core.nbstore`` (lock + atomic replace). Reads for the dataset and the
landing page use plain ``json`` (no schema validation: it is the slow part), and report
problems by file and cell instead of raising.
"""

from __future__ import annotations

import ast
import copy
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from chwkit.core import atomic, nbstore, paths
from chwkit.core.i18n import t
from chwkit.forum.codebook import Codebook, codebook
from chwkit.forum.model import (
    PERSON_ID,
    SESSION_ID,
    Contribution,
    ForumValueError,
    Session,
    make_session,
    now_iso,
)

TEMPLATE_NAME = "_template.ipynb"
PARAMETERS_TAG = "parameters"
CONTRIBUTION_TAG = "chwkit-contribution"
MINUTES_TAG = "chwkit-minutes"
PARAM_NAMES = ("session_id", "date", "site", "session_type", "topic", "facilitator", "language",
               "attendance", "group", "hours")  # fmt: skip
# Who came, by roster id: ``nb.metadata["chwkit"]["attendance"]`` = {"present": [ids],
# "recorded_by": id, "updated": ISO time}, written by ``set_present``.
ATTENDANCE_KEY = "attendance"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~$!])")


class SessionError(ValueError):
    """A session notebook cannot be created, read or changed.

    Like ``ForumValueError`` it carries a catalog key and its values, so the recorder says
    what is wrong in the page's language; ``str()`` is the English text (logs, the CLI).
    A value that is itself such an error (it has ``message(lang)``) is shown in that language.
    """

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        # A nested message goes mid-sentence: its closing period is the outer one's.
        values = {
            name: value.message(lang).rstrip(".") if hasattr(value, "message") else value
            for name, value in self.values.items()
        }
        return t(self.key, lang, **values)


# -- markdown -----------------------------------------------------------------------------------
def md_escape(value: str) -> str:
    """Text safe inside a markdown line: HTML escaped, markdown and math markers escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(value).split()), quote=False))


def text_block(text: str) -> str:
    """The contribution's words as one escaped HTML block (never markdown, never math)."""
    escaped = html.escape(text, quote=False).replace("\n", "<br>")
    return f'<div class="chwkit-forum-text tex2jax_ignore mathjax_ignore">{escaped}</div>'


def render_markdown(c: Contribution, lang: str, book: Codebook | None = None) -> str:
    """The minutes of one contribution, in the session's language."""
    book = book or codebook()
    heading = (
        f"#### {md_escape(t('forum.kind.' + c.kind, lang))} · {md_escape(c.pseudonym)}"
        f" ({md_escape(t('forum.role.' + c.role, lang))})"
    )
    themes = "; ".join(md_escape(book.label(code, lang)) for code in c.themes)
    yes, no = t("forum.md.yes", lang), t("forum.md.no", lang)
    consent = " · ".join(
        f"{md_escape(t('forum.consent.' + key, lang))}: {yes if on else no}"
        for key, on in c.consent.as_dict().items()
    )
    recorded = md_escape(
        t("forum.md.recorded", lang, person=c.recorded_by or "?", when=c.updated or c.created)
    )
    body = f"*{md_escape(t('forum.md.withdrawn', lang))}*" if c.withdrawn else text_block(c.text)
    return "\n\n".join(
        [
            heading,
            f"**{md_escape(t('forum.md.themes', lang))}:** {themes}",
            body,
            f"<small>{md_escape(t('forum.md.consent', lang))}: {consent} · {c.language}"
            f" · {recorded}</small>",
        ]
    )


def session_title(session: Session, lang: str) -> str:
    """What the session is, as a heading: "Foro mensual de aprendizaje", "Conferencia", ..."""
    return t(f"forum.session_title.{session.session_type}", lang)


# -- parameters ---------------------------------------------------------------------------------
def parameters_source(session: Session) -> str:
    lines = [f"{name} = {value!r}" for name, value in session.as_params().items()]
    return "\n".join(lines)


def parse_parameters(source: str) -> dict:
    """Literal ``name = value`` assignments of a parameters cell (anything else is ignored)."""
    values: dict = {}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SessionError("forum.error.parameters_syntax", line=exc.lineno or 1) from None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _tags(cell: dict) -> list:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return tags if isinstance(tags, list) else []


def find_parameters_cell(cells: list) -> int | None:
    for index, cell in enumerate(cells):
        if (
            isinstance(cell, dict)
            and cell.get("cell_type") == "code"
            and PARAMETERS_TAG in _tags(cell)
        ):
            return index
    return None


def session_from_cells(cells: list) -> Session:
    index = find_parameters_cell(cells)
    if index is None:
        raise SessionError("forum.error.no_parameters")
    values = parse_parameters(_source(cells[index]))
    missing = [n for n in ("date", "site", "topic", "facilitator") if n not in values]
    if missing:
        raise SessionError("forum.error.parameters_missing", cell=index, names=", ".join(missing))
    try:
        return make_session(
            values["date"],
            values["site"],
            values["topic"],
            values["facilitator"],
            values.get("language", "es"),
            values.get("attendance"),
            values.get("session_type"),  # missing in notebooks older than the field: a forum
            values.get("group"),  # missing in older notebooks: no group, no hours given
            values.get("hours"),
        )
    except ForumValueError as exc:
        raise SessionError("forum.error.parameters_value", cell=index, reason=exc) from None


def contribution_data(cell: object) -> dict | None:
    """The raw contribution record of a cell, or None if the cell is not a contribution."""
    if not isinstance(cell, dict):
        return None
    meta = cell.get("metadata")
    if not isinstance(meta, dict):
        return None
    kit = meta.get("chwkit")
    if not isinstance(kit, dict) or "contribution" not in kit:
        return None
    data = kit["contribution"]
    return data if isinstance(data, dict) else {"_invalid": data}


# -- reading ------------------------------------------------------------------------------------
@dataclass
class SessionRecord:
    """What a session file holds, read without raising: problems are listed instead."""

    path: Path
    session: Session | None = None
    # (cell index, raw contribution dict) in notebook order
    contributions: list[tuple[int, dict]] = field(default_factory=list)
    present: tuple[str, ...] = ()  # roster ids ticked present (``set_present``)
    problems: list[str] = field(default_factory=list)  # English, by file and cell (logs)
    error: SessionError | None = None  # why ``session`` is None, for a page in any language


def read_session_file(path: Path) -> SessionRecord:
    """Read a session notebook quickly (plain JSON); never raises for a bad file."""
    path = Path(path)
    record = SessionRecord(path)
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        record.problems.append(f"{path.name}: not a readable notebook ({exc})")
        record.error = SessionError("forum.error.not_a_notebook", name=path.name)
        return record
    cells = raw.get("cells") if isinstance(raw, dict) else None
    if not isinstance(cells, list):
        record.problems.append(f"{path.name}: not a notebook (no list of cells)")
        record.error = SessionError("forum.error.not_a_notebook", name=path.name)
        return record
    try:
        record.session = session_from_cells(cells)
    except SessionError as exc:
        record.problems.append(f"{path.name}: {exc}")
        record.error = SessionError("forum.error.in_file", name=path.name, reason=exc)
        return record
    for index, cell in enumerate(cells):
        data = contribution_data(cell)
        if data is not None:
            record.contributions.append((index, data))
    record.present = present_ids(raw.get("metadata"), record.problems, path.name)
    return record


def present_ids(metadata: object, problems: list[str] | None = None, name: str = "") -> tuple:
    """The roster ids a notebook's metadata says were present (sorted; bad entries left out
    and, given ``problems``, reported)."""
    kit = metadata.get("chwkit") if isinstance(metadata, dict) else None
    entry = kit.get(ATTENDANCE_KEY) if isinstance(kit, dict) else None
    if entry is None:
        return ()
    listed = entry.get("present") if isinstance(entry, dict) else None
    if not isinstance(listed, list):
        if problems is not None:
            problems.append(f"{name}: the attendance in its metadata is not a list; left out")
        return ()
    good = [value for value in listed if isinstance(value, str) and PERSON_ID.match(value)]
    if len(good) != len(listed) and problems is not None:
        problems.append(f"{name}: attendance entries that are not roster ids were left out")
    return tuple(sorted(set(good)))


def read_session(path: Path) -> Session:
    """The session's values, or SessionError naming the file."""
    record = read_session_file(path)
    if record.session is None:
        raise record.error or SessionError("forum.error.not_a_notebook", name=path.name)
    return record.session


# -- creating -----------------------------------------------------------------------------------
def template_path() -> Path:
    return paths.forum_dir() / TEMPLATE_NAME


def session_path(session_id: str, folder: Path | None = None) -> Path:
    if not (SESSION_ID.match(session_id) or session_id == TEMPLATE_NAME[:-6]):
        raise SessionError("forum.error.session_id", value=str(session_id)[:60])
    return (folder or paths.forum_dir()) / f"{session_id}.ipynb"


def session_notebook(session: Session, template: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A new session notebook from the template: the session's language, its values filled in."""
    nb = copy.deepcopy(template)
    cells = []
    values = {k: md_escape(str(v)) for k, v in session.as_params().items()}
    values["session_title"] = md_escape(session_title(session, session.language))
    values["session_type_label"] = md_escape(
        t(f"forum.session_type.{session.session_type}", session.language)
    )
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        langs = [tag[5:] for tag in tags if tag.startswith("lang-")]
        if langs and session.language not in langs:
            continue
        tags = [tag for tag in tags if not tag.startswith("lang-")]
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        if PARAMETERS_TAG in tags:
            cell.source = parameters_source(session)
        elif cell.cell_type == "markdown":
            for key, value in values.items():
                cell.source = cell.source.replace("{" + key + "}", value)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.setdefault("chwkit", {})["forum_session"] = True
    return nb


def read_template(path: Path | None = None) -> nbformat.NotebookNode:
    path = Path(path or template_path())
    if not path.is_file():
        raise SessionError("forum.error.template_missing", path=str(path))
    return nbstore.read(path)


def new_session(session: Session, folder: Path | None = None, template: Path | None = None) -> Path:
    """Write ``<folder>/<date>_<site>.ipynb`` from the template, in the session's language.

    Written by ``chwkit.core.atomic`` with ``exclusive=True``: the name is linked to a whole,
    fsynced notebook and the link fails if the session exists (two people creating it at once
    cannot both win); a crash leaves nothing to block a retry.
    """
    folder = Path(folder or paths.forum_dir())
    nb = session_notebook(session, read_template(template or folder / TEMPLATE_NAME))
    target = session_path(session.id, folder)
    folder.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise SessionError("forum.error.duplicate_session", name=target.name)
    try:
        atomic.write(target, nbstore.dumps(nb) + "\n", exclusive=True)
    except FileExistsError:
        raise SessionError("forum.error.duplicate_session", name=target.name) from None
    return target


# -- writing ------------------------------------------------------------------------------------
def _new_cell(c: Contribution, lang: str, book: Codebook) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(render_markdown(c, lang, book))
    cell.id = f"contrib-{c.uuid}"
    cell.metadata = {"tags": [CONTRIBUTION_TAG], "chwkit": {"contribution": c.as_metadata()}}
    return cell


def _find(cells: list, uuid: str) -> int | None:
    for index, cell in enumerate(cells):
        data = contribution_data(cell)
        if data is not None and data.get("uuid") == uuid:
            return index
    return None


def save_contribution(path: Path, c: Contribution, book: Codebook | None = None) -> Contribution:
    """Add ``c`` to the session, or replace the contribution with the same uuid.

    When replacing, the first ``created`` and ``recorded_by`` are kept. Returns what was saved.
    """
    book = book or codebook()
    with nbstore.editing(Path(path)) as nb:
        session = session_from_cells(nb.cells)
        index = _find(nb.cells, c.uuid)
        if index is not None:
            old = contribution_data(nb.cells[index]) or {}
            if old.get("withdrawn") is True:
                raise SessionError("forum.error.not_found")
            created = old.get("created") if isinstance(old.get("created"), str) else None
            c = _with_times(c, created or c.created or now_iso(), now_iso(), old)
            nb.cells[index] = _new_cell(c, session.language, book)
        else:
            stamp = c.created or now_iso()
            c = _with_times(c, stamp, c.updated or stamp, {})
            nb.cells.append(_new_cell(c, session.language, book))
    return c


def _with_times(c: Contribution, created: str, updated: str, old: dict) -> Contribution:
    from dataclasses import replace

    recorded_by = old.get("recorded_by") if isinstance(old.get("recorded_by"), str) else None
    return replace(c, created=created, updated=updated, recorded_by=recorded_by or c.recorded_by)


def withdraw_contribution(path: Path, uuid: str, book: Codebook | None = None) -> None:
    """Mark a contribution withdrawn and delete its words from the record and the minutes."""
    from chwkit.forum.model import make_contribution

    book = book or codebook()
    with nbstore.editing(Path(path)) as nb:
        session = session_from_cells(nb.cells)
        index = _find(nb.cells, uuid)
        if index is None:
            raise SessionError("forum.error.not_found")
        data = dict(contribution_data(nb.cells[index]) or {})
        data.update(text="", withdrawn=True, flags=[])
        try:
            c = make_contribution(data, book).withdraw()
        except ForumValueError:
            # A hand-edited record we cannot fully read: still take its words out.
            data["updated"] = now_iso()
            nb.cells[index].metadata["chwkit"]["contribution"] = data
            nb.cells[index].source = f"*{md_escape(t('forum.md.withdrawn', session.language))}*"
            return
        nb.cells[index] = _new_cell(c, session.language, book)


def set_attendance(path: Path, attendance: int | None) -> Session:
    """Record how many people came; rewrites the parameters cell."""
    from dataclasses import replace

    from chwkit.forum.model import check_attendance

    attendance = check_attendance(attendance)
    with nbstore.editing(Path(path)) as nb:
        session = replace(session_from_cells(nb.cells), attendance=attendance)
        nb.cells[find_parameters_cell(nb.cells)].source = parameters_source(session)
    return session


def set_present(path: Path, ticked: object, shown: object, recorded_by: str) -> tuple[str, ...]:
    """Record who came by roster id: of the people ``shown`` on the facilitator's checklist,
    those ``ticked`` are present; anyone else already recorded stays as they were (another
    checklist, someone since removed from the group). Saved in the notebook's metadata under
    its lock, in one atomic write; returns everyone present."""
    ticked_ids, shown_ids = _person_ids(ticked), _person_ids(shown)
    if not ticked_ids <= shown_ids:
        raise SessionError("forum.error.attendee", value=sorted(ticked_ids - shown_ids)[0][:64])
    with nbstore.editing(Path(path)) as nb:
        session_from_cells(nb.cells)  # a notebook that is not a session is refused
        kit = nb.metadata.setdefault("chwkit", {})
        before = set(present_ids(nb.metadata))
        present = tuple(sorted((before - shown_ids) | ticked_ids))
        kit[ATTENDANCE_KEY] = {
            "present": list(present),
            "recorded_by": recorded_by,
            "updated": now_iso(),
        }
    return present


def _person_ids(values: object) -> set[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise SessionError("forum.error.attendee", value=str(values)[:64])
    for value in values:
        if not isinstance(value, str) or not PERSON_ID.match(value):
            raise SessionError("forum.error.attendee", value=str(value)[:64])
    return set(values)


def contributions(path: Path, book: Codebook | None = None) -> list[Contribution]:
    """The session's readable contributions, in order (unreadable records are skipped)."""
    from chwkit.forum.model import make_contribution

    book = book or codebook()
    record = read_session_file(path)
    result = []
    for _, data in record.contributions:
        try:
            result.append(make_contribution(data, book))
        except ForumValueError:
            continue
    return result
