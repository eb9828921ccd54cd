"""The forum recorder: the widget a facilitator uses in Voila to capture contributions.

    from chwkit.forum import Recorder
    Recorder.for_session(session_id)   # the code cell of every session notebook

The facilitator signs in with their access code (checked against the roster in the kernel),
then adds, edits and withdraws contributions. Each save goes straight into the session
notebook (``session.save_contribution``). The list is read from the file after sign-in and
after every save, so it is always fresh, even in a kernel started before the visitor came.
Everything shown is escaped: widget values are untrusted.
"""

from __future__ import annotations

import html
from dataclasses import replace
from pathlib import Path

import ipywidgets as widgets
from filelock import Timeout as FileLockTimeout
from traitlets import Unicode

from chwkit.core import nbstore, paths
from chwkit.core import request as preheat
from chwkit.core.i18n import t
from chwkit.core.lang import Lang
from chwkit.core.log import kernel_log
from chwkit.core.signin import SignInBox
from chwkit.forum.codebook import Codebook, codebook
from chwkit.forum.model import (
    CONSENTS,
    KINDS,
    ROLES,
    Contribution,
    ForumValueError,
    make_contribution,
    new_uuid,
)
from chwkit.forum.privacy import Flag, find_identifiers, text_digest
from chwkit.forum.session import (
    SessionError,
    contributions,
    read_session,
    read_session_file,
    save_contribution,
    session_path,
    session_title,
    set_attendance,
    set_present,
    withdraw_contribution,
)

PREVIEW_CHARS = 400
# In Voila the live list replaces the static minutes rendered from the file.
PAGE_STYLE = (
    "<style>.celltag_chwkit-contribution,.celltag_chwkit-minutes{display:none!important}"
    ".chwkit-forum-recorder{max-width:46rem}"
    ".chwkit-forum-recorder textarea{min-height:8rem}"
    ".chwkit-forum-item{border-top:1px solid #ccc;padding:.5rem 0}"
    ".chwkit-forum-error{color:#a00000}.chwkit-forum-ok{color:#0a5d0a}"
    ".chwkit-forum-flags{border-left:4px solid #b35c00;padding-left:.5rem}"
    ".chwkit-forum-item-text{white-space:pre-line}"
    ".chwkit-forum-withdrawn{color:#555}</style>"
)


log = kernel_log(__name__)


def _msg(text: str, kind: str = "ok") -> str:
    return f'<p class="chwkit-forum-{kind}" role="status">{html.escape(text)}</p>'


def failure_reason(exc: BaseException, lang: str) -> str:
    """Why a save failed, in ``lang``, without server paths or Python's words.

    Errors that carry a catalog key say what they say; a lock held too long says the session
    is busy; anything else from storage (nbstore, the file system) gets a generic reason and
    its details go to the server's log only (``chwkit.core.log``), never to the page.
    """
    if isinstance(exc, SessionError | ForumValueError):
        return exc.message(lang)
    if isinstance(exc, FileLockTimeout):
        return t("forum.error.busy", lang)
    if isinstance(exc, nbstore.DuplicateCellIdError):
        log.error("forum recorder: %s", exc)
        return t("forum.error.duplicate_cell", lang, cell=exc.cell_id[:60])
    log.error("forum recorder: save failed: %r", exc)
    return t("forum.error.storage", lang)


def _label(text: str) -> widgets.HTML:
    return widgets.HTML(f"<strong>{html.escape(text)}</strong>")


class Recorder(widgets.VBox):
    """Sign-in, the contribution form and the session's live list of contributions."""

    lang = Lang("es")
    person = Unicode("")

    def __init__(
        self,
        path: Path,
        lang: str | None = None,
        store=None,
        book: Codebook | None = None,
    ):
        self.path = Path(path)
        self.book = book or codebook()
        self.store = store  # the records store (failed sign-ins); None: the process's own
        self.session = read_session(self.path)
        self.editing: Contribution | None = None
        self._flags: list[Flag] = []
        self._contribs: dict[str, Contribution] = {}
        super().__init__()
        self.lang = lang or self.session.language
        self.add_class("chwkit-forum-recorder")
        self._build()

    @classmethod
    def for_session(cls, session_id: str, **kwargs) -> Recorder:
        """The recorder of ``<session_id>.ipynb`` in the kernel's folder (Voila's cwd)."""
        preheat.wait_for_request()
        name = f"{session_id}.ipynb"
        folder = Path.cwd() if (Path.cwd() / name).is_file() else paths.forum_dir()
        path = session_path(session_id, folder)
        kwargs.setdefault("lang", preheat.page_lang(default=None))
        return cls(path, **kwargs)

    # -- layout ---------------------------------------------------------------------------------
    def _build(self) -> None:
        L = self.lang
        s = self.session
        self.header = widgets.HTML(
            PAGE_STYLE
            + f"<h2>{html.escape(session_title(s, L))}</h2><p>"
            + html.escape(
                t(
                    "forum.session_header",
                    L,
                    type=t(f"forum.session_type.{s.session_type}", L),
                    date=s.date,
                    site=s.site,
                    topic=s.topic,
                )
            )
            + "</p>"
        )
        # sign-in
        # the kit's one code box (chwkit.core.signin): tries counted in the records store
        self.signin_box = SignInBox(
            "facilitator", lambda person, _code: self.sign_in(person.id), L, self.store
        )
        self.signin_box.extra.value = f"<p>{html.escape(t('forum.signin.help', L))}</p>"
        self.code = self.signin_box.code
        self.signin_button = self.signin_box.button
        self.signin_message = self.signin_box.message
        self.whoami = widgets.HTML()

        # attendance
        self.attendance = widgets.BoundedIntText(value=s.attendance or 0, min=0, max=10_000)
        self.attendance.add_class("chwkit-forum-attendance")
        self.attendance_button = widgets.Button(description=t("forum.attendance_save", L))
        self.attendance_button.on_click(self._on_attendance)
        self.attendance_message = widgets.HTML()
        attendance_box = widgets.VBox(
            [
                _label(t("forum.attendance", L)),
                widgets.HBox([self.attendance, self.attendance_button]),
                self.attendance_message,
            ]
        )
        # who came, by roster id: filled in at sign-in, from the roster and the notebook
        self.present: dict[str, widgets.Checkbox] = {}
        self.present_help = widgets.HTML()
        self.present_list = widgets.VBox()
        self.present_list.add_class("chwkit-forum-present-list")
        self.present_button = widgets.Button(description=t("forum.present.save", L))
        self.present_button.add_class("chwkit-forum-present-save")
        self.present_button.on_click(self._on_present)
        self.present_message = widgets.HTML()
        self.present_box = widgets.VBox(
            [
                _label(t("forum.present.heading", L)),
                self.present_help,
                self.present_list,
                self.present_button,
                self.present_message,
            ]
        )
        self.present_box.add_class("chwkit-forum-present")

        # the form
        self.form_heading = widgets.HTML()
        self.pseudonym = widgets.Text(placeholder="P07")
        self.pseudonym.add_class("chwkit-forum-pseudonym")
        wide = {"width": "100%", "max_width": "32rem"}
        self.role = widgets.Dropdown(
            options=[(t(f"forum.role.{r}", L), r) for r in ROLES], layout=wide
        )
        self.role.add_class("chwkit-forum-role")
        self.kind = widgets.Dropdown(
            options=[(t(f"forum.kind.{k}", L), k) for k in KINDS], layout=wide
        )
        self.kind.add_class("chwkit-forum-kind")
        self.themes = widgets.SelectMultiple(
            options=[(self.book.group_label(c, L), c) for c in self.book.leaves()],
            rows=8,
            layout=widgets.Layout(width="100%"),
        )
        self.themes.add_class("chwkit-forum-themes")
        self.language = widgets.Dropdown(
            options=[(t(f"lang.name.{code}", L), code) for code in ("es", "en")],
            value=s.language,
        )
        self.language.add_class("chwkit-forum-language")
        self.text = widgets.Textarea(
            placeholder=t("forum.field.text_placeholder", L),
            continuous_update=False,
            layout=widgets.Layout(width="100%"),
        )
        self.text.add_class("chwkit-forum-text-input")
        self.text.observe(self._on_text, "value")
        self.consent = {
            key: widgets.Checkbox(description=t(f"forum.consent.{key}", L), indent=False)
            for key in CONSENTS
        }
        for key, box in self.consent.items():
            box.add_class(f"chwkit-forum-consent-{key}")
            box.layout = widgets.Layout(width="auto")
        self.flags_html = widgets.HTML()
        self.confirm = widgets.Checkbox(
            description=t("forum.flags.confirm", L), indent=False, layout={"width": "auto"}
        )
        self.confirm.add_class("chwkit-forum-confirm")
        self.flags_box = widgets.VBox([self.flags_html, self.confirm])
        self.flags_box.add_class("chwkit-forum-flags")
        self.flags_box.layout.display = "none"
        self.save_button = widgets.Button(button_style="primary")
        self.save_button.add_class("chwkit-forum-save")
        self.save_button.on_click(self._on_save)
        self.cancel_button = widgets.Button(description=t("forum.cancel", L))
        self.cancel_button.add_class("chwkit-forum-cancel")
        self.cancel_button.on_click(lambda _: self._reset_form())
        self.status = widgets.HTML()
        self.status.add_class("chwkit-forum-status")
        self.form = widgets.VBox(
            [
                self.form_heading,
                _label(t("forum.field.pseudonym", L)),
                widgets.HTML(f"<small>{html.escape(t('forum.field.pseudonym_help', L))}</small>"),
                self.pseudonym,
                _label(t("forum.field.role", L)),
                self.role,
                _label(t("forum.field.kind", L)),
                self.kind,
                _label(t("forum.field.themes", L)),
                widgets.HTML(f"<small>{html.escape(t('forum.field.themes_help', L))}</small>"),
                self.themes,
                _label(t("forum.field.language", L)),
                self.language,
                _label(t("forum.field.text", L)),
                self.text,
                self.flags_box,
                _label(t("forum.field.consent", L)),
                *self.consent.values(),
                widgets.HBox([self.save_button, self.cancel_button]),
                self.status,
            ]
        )
        self.form.add_class("chwkit-forum-form")

        # the list
        self.list_heading = widgets.HTML()
        self.refresh_button = widgets.Button(description=t("forum.list.refresh", L))
        self.refresh_button.add_class("chwkit-forum-refresh")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.items = widgets.VBox()
        self.items.add_class("chwkit-forum-list")
        self.main = widgets.VBox(
            [
                self.whoami,
                attendance_box,
                self.present_box,
                self.form,
                self.list_heading,
                self.refresh_button,
                self.items,
            ]
        )
        self.main.layout.display = "none"
        self.children = [self.header, self.signin_box, self.main]
        self._reset_form()

    # -- sign-in --------------------------------------------------------------------------------
    def _on_signin(self, _=None) -> None:
        self.signin_box.sign_in(self.code.value)

    def sign_in(self, person_id: str) -> None:
        """Open the form for ``person_id`` (already verified) and read the list fresh."""
        self.person = person_id
        self.signin_box.reset()
        self.signin_box.layout.display = "none"
        self.main.layout.display = None
        self.whoami.value = _msg(t("forum.signin.ok", self.lang, person=person_id))
        self.show_checklist()
        self.refresh()

    # -- who came -------------------------------------------------------------------------------
    def checklist_people(self) -> list:
        """Who the checklist lists: the session's group's members, or, for a session that
        names no group, every learner in the roster."""
        from chwkit.assess import roster

        if self.session.group:
            return roster.members(self.session.group)
        return [p for p in roster.people() if p.role == "learner"]

    def show_checklist(self) -> None:
        """The checklist, read fresh from the roster and the notebook (who is ticked)."""
        from chwkit.assess import roster

        L = self.lang
        self.present_message.value = ""
        group = self.session.group
        try:
            people = self.checklist_people()
            info = roster.group(group) if group else None
        except Exception:  # a broken roster: a message, never a traceback
            log.exception("forum recorder: the roster could not be read")
            self.present_help.value = _msg(t("forum.present.unavailable", L), "error")
            self.present, self.present_list.children = {}, []
            self.present_button.layout.display = "none"
            return
        ticked = set(read_session_file(self.path).present)
        if group:
            name = info.name if info is not None and info.name else group
            help_text = t("forum.present.group", L, group=name, count=len(people))
        else:
            help_text = t("forum.present.everyone", L, count=len(people))
        self.present_help.value = f"<p><small>{html.escape(help_text)}</small></p>"
        self.present = {}
        for person in people:
            label = f"{person.id} · {person.name}" if person.name else person.id
            box = widgets.Checkbox(
                value=person.id in ticked, description=label, indent=False, layout={"width": "auto"}
            )
            box.add_class("chwkit-forum-present-person")
            self.present[person.id] = box
        self.present_list.children = list(self.present.values())
        self.present_button.layout.display = None if people else "none"
        if not people:
            self.present_message.value = _msg(t("forum.present.none", L))

    def _on_present(self, _=None) -> None:
        L = self.lang
        if not self.person:
            self.present_message.value = _msg(t("forum.error.not_signed_in", L), "error")
            return
        ticked = [pid for pid, box in self.present.items() if box.value]
        try:
            present = set_present(self.path, ticked, list(self.present), self.person)
        except (SessionError, nbstore.NotebookStoreError, OSError) as exc:
            self._fail(self.present_message, exc)
            return
        on_list = sum(1 for pid in present if pid in self.present)
        self.present_message.value = _msg(
            t("forum.present.saved", L, count=on_list, listed=len(self.present))
        )

    # -- the list -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the session's contributions from the notebook and redraw the list."""
        L = self.lang
        found = contributions(self.path, self.book)
        self._contribs = {c.uuid: c for c in found}
        self.list_heading.value = (
            f"<h3>{html.escape(t('forum.list.heading', L, count=len(found)))}</h3>"
        )
        if not found:
            self.items.children = [widgets.HTML(f"<p>{html.escape(t('forum.list.empty', L))}</p>")]
            return
        self.items.children = [self._item(c) for c in reversed(found)]

    def describe(self, c: Contribution) -> str:
        """One contribution as escaped HTML."""
        L = self.lang
        e = html.escape
        themes = "; ".join(e(self.book.label(code, L)) for code in c.themes)
        head = (
            f"<strong>{e(t('forum.kind.' + c.kind, L))}</strong> · {e(c.pseudonym)}"
            f" ({e(t('forum.role.' + c.role, L))}) · {e(c.language)}"
        )
        if c.withdrawn:
            return (
                f'<div class="chwkit-forum-withdrawn">{head} · '
                f"<em>{e(t('forum.withdrawn_label', L))}</em></div>"
            )
        text = c.text if len(c.text) <= PREVIEW_CHARS else c.text[:PREVIEW_CHARS] + "…"
        consent = (
            ", ".join(e(t(f"forum.consent.{k}", L)) for k, on in c.consent.as_dict().items() if on)
            or "—"
        )
        reviewed = f" · {e(t('forum.flags.reviewed', L))}" if c.reviewed else ""
        return (
            f"<div>{head}</div><div><small>{e(t('forum.md.themes', L))}: {themes}</small></div>"
            f'<p class="chwkit-forum-item-text">{e(text)}</p>'
            f"<div><small>{e(t('forum.md.consent', L))}: {consent}{reviewed}</small></div>"
        )

    def _item(self, c: Contribution) -> widgets.VBox:
        L = self.lang
        body = widgets.HTML(self.describe(c))
        item = widgets.VBox([body])
        item.add_class("chwkit-forum-item")
        if c.withdrawn:
            return item
        edit = widgets.Button(description=t("forum.edit", L))
        edit.add_class("chwkit-forum-edit")
        edit.on_click(lambda _: self.start_edit(c.uuid))
        withdraw = widgets.Button(description=t("forum.withdraw", L), button_style="warning")
        withdraw.add_class("chwkit-forum-withdraw")
        confirm = widgets.Button(description=t("forum.withdraw_confirm", L), button_style="danger")
        confirm.add_class("chwkit-forum-withdraw-confirm")
        ask = widgets.VBox(
            [widgets.HTML(f"<p>{html.escape(t('forum.withdraw_ask', L))}</p>"), confirm]
        )
        ask.layout.display = "none"

        def show_ask(_):
            ask.layout.display = None

        withdraw.on_click(show_ask)
        confirm.on_click(lambda _: self.withdraw(c.uuid))
        item.children = [body, widgets.HBox([edit, withdraw]), ask]
        return item

    # -- the form -------------------------------------------------------------------------------
    def _reset_form(self) -> None:
        L = self.lang
        self.editing = None
        self.form_heading.value = f"<h3>{html.escape(t('forum.form.heading_new', L))}</h3>"
        self.pseudonym.value = ""
        self.role.value = ROLES[0]
        self.kind.value = KINDS[0]
        self.themes.value = ()
        self.language.value = self.session.language
        self.text.value = ""
        for box in self.consent.values():
            box.value = False
        self.confirm.value = False
        self._show_flags([])
        self.save_button.description = t("forum.save", L)
        self.cancel_button.layout.display = "none"

    def start_edit(self, uuid: str) -> None:
        """Load a contribution into the form."""
        c = self._contribs.get(uuid)
        if c is None or c.withdrawn:
            self.status.value = _msg(t("forum.error.not_found", self.lang), "error")
            return
        self.editing = c
        self.form_heading.value = f"<h3>{html.escape(t('forum.form.heading_edit', self.lang, pseudonym=c.pseudonym))}</h3>"
        self.pseudonym.value = c.pseudonym
        self.role.value = c.role
        self.kind.value = c.kind
        self.themes.value = tuple(code for code in c.themes if code in self.book.leaves())
        self.language.value = c.language
        self.text.value = c.text
        for key, box in self.consent.items():
            box.value = c.consent.as_dict()[key]
        self.confirm.value = c.reviewed
        self.save_button.description = t("forum.save_changes", self.lang)
        self.cancel_button.layout.display = None
        self.status.value = ""

    def _on_text(self, change) -> None:
        self.confirm.value = False
        self._show_flags(find_identifiers(change["new"] or ""))

    def _show_flags(self, flags: list[Flag]) -> None:
        self._flags = flags
        if not flags:
            self.flags_box.layout.display = "none"
            self.flags_html.value = ""
            return
        L = self.lang
        items = "".join(
            f"<li>{html.escape(t('forum.flag.' + f.kind, L))}: «{html.escape(f.text)}»</li>"
            for f in flags
        )
        self.flags_html.value = (
            f'<p role="alert"><strong>{html.escape(t("forum.flags.heading", L))}</strong></p>'
            f"<ul>{items}</ul><p>{html.escape(t('forum.flags.help', L))}</p>"
        )
        self.flags_box.layout.display = None

    def form_data(self) -> dict:
        """The form's values shaped like a contribution record."""
        editing = self.editing
        return {
            "uuid": editing.uuid if editing else new_uuid(),
            "pseudonym": self.pseudonym.value,
            "role": self.role.value,
            "kind": self.kind.value,
            "themes": list(self.themes.value),
            "language": self.language.value,
            "text": self.text.value,  # whole: the model refuses what is too long, never cuts
            "consent": {key: bool(box.value) for key, box in self.consent.items()},
            "recorded_by": self.person,
            "created": editing.created if editing else "",
        }

    def _on_save(self, _=None) -> None:
        L = self.lang
        if not self.person:
            self.status.value = _msg(t("forum.error.not_signed_in", L), "error")
            return
        try:
            c = make_contribution(self.form_data(), self.book)
        except ForumValueError as exc:
            self.status.value = _msg(exc.message(L), "error")
            return
        flags = find_identifiers(c.text)
        self._show_flags(flags)
        if flags and not self.confirm.value:
            self.status.value = _msg(t("forum.flags.must_review", L), "error")
            return
        c = replace(
            c,
            flags=tuple(f.as_dict() for f in flags),
            reviewed=bool(flags),
            flag_check=text_digest(c.text),
        )
        was_edit = self.editing is not None
        try:
            save_contribution(self.path, c, self.book)
        except (SessionError, nbstore.NotebookStoreError, OSError) as exc:
            self._fail(self.status, exc)
            return
        self._reset_form()
        self.status.value = _msg(t("forum.updated" if was_edit else "forum.saved", L))
        self.refresh()

    def _fail(self, where: widgets.HTML, exc: BaseException) -> None:
        reason = failure_reason(exc, self.lang)
        where.value = _msg(t("forum.save_failed", self.lang, reason=reason), "error")

    def withdraw(self, uuid: str) -> None:
        L = self.lang
        if not self.person:
            self.status.value = _msg(t("forum.error.not_signed_in", L), "error")
            return
        try:
            withdraw_contribution(self.path, uuid, self.book)
        except (SessionError, nbstore.NotebookStoreError, OSError) as exc:
            self._fail(self.status, exc)
            return
        if self.editing and self.editing.uuid == uuid:
            self._reset_form()
        self.status.value = _msg(t("forum.withdrawn_done", L))
        self.refresh()

    def _on_attendance(self, _=None) -> None:
        L = self.lang
        if not self.person:
            return
        try:
            self.session = set_attendance(self.path, self.attendance.value)
        except ForumValueError as exc:
            self.attendance_message.value = _msg(exc.message(L), "error")
            return
        except (SessionError, nbstore.NotebookStoreError, OSError) as exc:
            self._fail(self.attendance_message, exc)
            return
        self.attendance_message.value = _msg(
            t("forum.attendance_saved", L, count=self.session.attendance)
        )
