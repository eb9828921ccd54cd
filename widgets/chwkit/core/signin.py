"""One sign-in for every page: the access-code rule and the code box.

    verdict = check_code(code, role="learner")      # the rule, for any caller
    box = SignInBox("facilitator", on_person=...)   # the widget, for any page

``check_code`` is the one rule: the server's sign-in page (``serve/identity``), the
assessment page, the forum recorder and the supervisor's dashboard all call it. Failed
tries are counted per code in the records store (``program/store``), so neither a reload
nor another device resets them: after ``MAX_TRIES`` wrong tries with one code within
``TRY_WINDOW_S`` the code is not even checked until the window has passed. A right code
clears its count.

``SignInBox`` is the one code box the kit's widget pages show (label, help, password field,
button, a message beside it in the page's language). A reload gives a new box, not new tries.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
from traitlets import observe

from chwkit.core.i18n import DEFAULT_LANG, t
from chwkit.core.lang import Lang
from chwkit.core.log import kernel_log

MAX_TRIES = 5
TRY_WINDOW_S = 15 * 60
ROLES = ("learner", "facilitator")

log = kernel_log(__name__)


@dataclass(frozen=True)
class Verdict:
    """What a sign-in came to: the person, or the catalog key of what went wrong."""

    person: object | None  # chwkit.assess.roster.Person
    problem: str | None = None  # "signin.wrong_code", "signin.too_many", "signin.unavailable"

    def message(self, lang: str, role: str = "learner") -> str:
        if self.problem is None:
            return ""
        if self.problem == "signin.too_many":
            return t(self.problem, lang, minutes=TRY_WINDOW_S // 60)
        if self.problem == "signin.wrong_code" and role == "facilitator":
            return t("signin.wrong_code_facilitator", lang)
        return t(self.problem, lang)


def records_store():
    """The records store of this process: the server's ``db_url`` (passed to its kernels in
    ``CHWKIT_DB_URL``), or the data directory's SQLite file. Imported late: a module page's
    kernel never pays for SQLAlchemy."""
    import os

    from chwkit.program.client import DB_URL_ENV
    from chwkit.program.store import open_store

    return open_store(os.environ.get(DB_URL_ENV) or None)


def failure_key(code: object) -> str | None:
    """The key failed tries of ``code`` are counted under (its selector), or None when
    ``code`` is not even shaped like a code (nothing to guess at: it cannot match)."""
    from chwkit.assess.roster import SELECTOR_LEN, normalize_code

    compact = normalize_code(code) if isinstance(code, str) else None
    return None if compact is None else "code:" + compact[:SELECTOR_LEN]


def check_code(code: object, role: str, store=None) -> Verdict:
    """Check ``code`` for a person of ``role``, counting a wrong try in ``store``.

    Never raises: a roster or store that cannot be read is ``signin.unavailable`` (logged to
    the server log, never shown). Slow on purpose (scrypt): servers call it off their event
    loop."""
    from chwkit.assess.roster import verify_code

    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    key = failure_key(code)
    if key is None:
        return Verdict(None, "signin.wrong_code")
    try:
        store = store if store is not None else records_store()
        if store.failures(key, TRY_WINDOW_S) >= MAX_TRIES:
            return Verdict(None, "signin.too_many")
        person = verify_code(code, role=role)
        if person is None:
            store.note_failure(key)
            return Verdict(None, "signin.wrong_code")
        store.clear_failures(key)
    except Exception:  # a broken roster or store: a message, never a traceback
        log.exception("sign-in could not be checked")
        return Verdict(None, "signin.unavailable")
    return Verdict(person)


class SignInBox(widgets.VBox):
    """The access-code box: ``on_person(person, code)`` is called after a right code."""

    lang = Lang()

    def __init__(
        self,
        role: str,
        on_person: Callable[[object, str], None],
        lang: str = DEFAULT_LANG,
        store=None,
    ):
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {role!r}")
        self.role = role
        self.on_person = on_person
        self.store = store
        self.verdict: Verdict | None = None
        self.label = widgets.HTML()
        self.code = widgets.Password(layout={"width": "min(100%, 16em)"})
        self.code.add_class("chwkit-code")
        self.button = widgets.Button(button_style="primary")
        self.button.add_class("chwkit-sign-in")
        self.message = widgets.HTML()
        self.message.add_class("chwkit-sign-in-message")
        self.extra = widgets.HTML()  # a page's own line under the box (a link, a hint)
        super().__init__(
            [self.label, widgets.HBox([self.code, self.button]), self.message, self.extra]
        )
        self.add_class("chwkit-sign-in-box")
        self.button.on_click(lambda _b: self.sign_in(self.code.value))
        self.lang = lang
        self._relabel()

    @observe("lang")
    def _on_lang(self, _change):
        if hasattr(self, "message"):
            self._relabel()

    def _relabel(self) -> None:
        lang, role = self.lang, self.role
        self.button.description = t("signin.submit", lang)
        self.code.placeholder = "ABCD-EFGH-JKMN"
        self.label.value = (
            f"<label><strong>{html.escape(t(f'signin.box.label.{role}', lang))}</strong></label>"
            f"<p>{html.escape(t(f'signin.box.help.{role}', lang))}</p>"
        )
        self.show(self.verdict)

    def show(self, verdict: Verdict | None) -> None:
        """Say what ``verdict`` came to beside the box (nothing for a right code)."""
        self.verdict = verdict
        text = verdict.message(self.lang, self.role) if verdict is not None else ""
        self.message.value = (
            f"<div class='chwkit-error' role='alert'>{html.escape(text)}</div>" if text else ""
        )

    def sign_in(self, code: object) -> bool:
        verdict = check_code(code, self.role, self.store)
        self.code.value = ""
        self.show(verdict)
        if verdict.person is None:
            return False
        self.on_person(verdict.person, str(code))
        return True

    def reset(self) -> None:
        self.code.value = ""
        self.show(None)
