"""The learner's assessment page (``notebooks/assessment.ipynb``, served by Voila).

    page = AssessmentPage()   # first cell: displays a loading message
    page.ready()              # last cell: waits for the visitor (preheated kernels), reads
                              # ``?a=<assignment>&lang=es`` and loads the release notebook

The learner signs in with their access code, answers in widgets and submits; later, signed
in again, they see their score and per-item feedback. The kernel only ever reads the
*release* notebook (no answers) and the learner's feedback file (no answers, no tests).
Widget values are untrusted: the submission writer validates them before anything is written.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as widgets
from traitlets import link, observe

from chwkit.assess import course, roster
from chwkit.assess.feedback import read_feedback, render_feedback
from chwkit.assess.items import (
    MAX_REFLECTION_CHARS,
    MAX_SHORT_CHARS,
    PRIVATE_REFLECTION,
    Assessment,
    Item,
)
from chwkit.assess.submit import (
    SubmitError,
    last_answers,
    latest_submission,
    load_release,
    submit,
    submit_for,
)
from chwkit.core import request
from chwkit.core.i18n import DEFAULT_LANG, t
from chwkit.core.inputs import make_input, read_input, relabel_input, write_input
from chwkit.core.lang import Lang
from chwkit.core.log import kernel_log
from chwkit.core.request import wait_for_request
from chwkit.core.signin import SignInBox, Verdict
from chwkit.core.times import message_html
from chwkit.learn.practice import LanguageSwitch
from chwkit.program.client import RecordsClient

# The kit's landing page (the list of modules and assessments), from
# ``<server>/voila/render/notebooks/assessment.ipynb``.
LANDING_HREF = "../../../"

log = kernel_log(__name__)


def parse_query(query_string: str | None = None) -> tuple[str | None, str]:
    """``(assignment, lang)`` from a query string such as ``a=chw_role_check&lang=en``."""
    values = request.query(query_string)
    assignment = values.get("a")
    if assignment is not None and not course.ASSIGNMENT_ID.fullmatch(assignment):
        assignment = None
    return assignment, request.page_lang(query_string)


def _p(text: str, css: str = "") -> str:
    cls = f" class='{css}'" if css else ""
    role = " role='alert'" if "chwkit-error" in css else ""
    return f"<p{cls}{role}>{html.escape(text)}</p>"


class ItemInput(widgets.VBox):
    """One item: its heading and prompt, instructions, and an input widget."""

    lang = Lang()

    def __init__(self, item: Item, number: int, lang: str = DEFAULT_LANG):
        self.item = item
        self.number = number
        self.prompt = widgets.HTML()
        self.instructions = widgets.HTML()
        # the kit's one input of its kind (chwkit.core.inputs), as on practice questions
        self.input = make_input(item.kind, len(item.options))
        # What is wrong with this answer (a number that is not a number), said beside it.
        self.error = widgets.HTML()
        self.error.add_class("chwkit-item-error")
        self._error: tuple[str, dict] | None = None
        children = [self.prompt, self.instructions, self.input, self.error]
        # A personal (completion-only) reflection is the learner's own: its words reach the
        # trainer only if the learner ticks this box.
        self.share = None
        if item.completion:
            self.share = widgets.Checkbox(value=False, indent=False, layout={"width": "auto"})
            self.share.add_class("chwkit-share-reflection")
            children.append(self.share)
        super().__init__(children=children)
        self.add_class("chwkit-question")
        self.add_class(f"chwkit-assess-{item.kind}")
        self.add_class(f"chwkit-item-{item.id}")
        self.lang = lang
        self._relabel()

    @observe("lang")
    def _on_lang(self, _change):
        if hasattr(self, "input"):
            self._relabel()

    def _relabel(self) -> None:
        lang, item = self.lang, self.item
        heading = t("assess.question_n", lang, n=self.number, points=item.points)
        self.prompt.value = (
            f"<div class='chwkit-q-heading'>{html.escape(heading)}</div>"
            f"<p class='chwkit-q-prompt'>{html.escape(item.prompt[lang])}</p>"
        )
        key, limit = {
            "single": ("assess.choose_one", 0),
            "multiple": ("assess.choose_many", 0),
            "numeric": ("assess.type_number", 0),
            "short": ("assess.type_short", MAX_SHORT_CHARS),
            "reflection": ("assess.type_reflection", MAX_REFLECTION_CHARS),
        }[item.kind]
        self.instructions.value = f"<small>{html.escape(t(key, lang, limit=limit))}</small>"
        relabel_input(self.input, item.kind, item.options, lang, t("assess.placeholder", lang))
        self.show_error(*(self._error or (None, {})))
        if self.share is not None:
            self.share.description = t("assess.share_reflection", lang)
            self.instructions.value += (
                f"<br><small>{html.escape(t('assess.private_reflection', lang))}</small>"
            )

    def show_error(self, key: str | None, values: dict | None = None) -> None:
        """Say what is wrong with this item's answer (``key``), or nothing (None)."""
        self._error = (key, values or {}) if key else None
        self.error.value = (
            f"<div class='chwkit-error' role='alert'>"
            f"{html.escape(t(key, self.lang, **(values or {})))}</div>"
            if key
            else ""
        )

    def value(self) -> object:
        """The raw widget value (validated later by the submission writer)."""
        value = read_input(self.input, self.item.kind)
        if self.share is not None and not self.share.value:
            return PRIVATE_REFLECTION if value.strip() else None
        return value

    def set_value(self, value: object) -> None:
        if self.share is not None:
            self.share.value = value not in (None, "", PRIVATE_REFLECTION)
            if value == PRIVATE_REFLECTION:
                return  # its words were never sent: the box stays as the learner left it
        write_input(self.input, self.item.kind, value)

    def clear(self) -> None:
        self.set_value(None if self.item.kind in ("single", "multiple") else "")
        self.show_error(None)


class AssessmentPage(widgets.VBox):
    """Sign in, answer, submit, see feedback: one self-assessment for one learner."""

    lang = Lang()

    def __init__(self, lang: str = DEFAULT_LANG):
        self.assignment: str | None = None
        self.spec: Assessment | None = None
        self.person: roster.Person | None = None
        self._code: str | None = None
        # Who the learner is, when the server signed them in (chwkit.serve.identity), and how
        # to have a submission graded at once: ``grader(assignment, student) -> graded``.
        self.records = RecordsClient(None, None)
        self.grader = None
        self._grading: threading.Thread | None = None
        self.switch = LanguageSwitch(lang)
        self.header = widgets.HTML()
        self.back = widgets.HTML()
        self.back.add_class("chwkit-back")
        # The kit's one code box (chwkit.core.signin): tries are counted in the records
        # store, so a reload does not reset them. Shown only where the server has not
        # signed the learner in already.
        self.sign_in_box = SignInBox("learner", self._on_person, lang)
        self.code = self.sign_in_box.code
        self.sign_in_message = self.sign_in_box.message
        self.who = widgets.HTML()
        self.sign_out_button = widgets.Button()
        self.sign_out_button.add_class("chwkit-sign-out")
        self.items: list[ItemInput] = []
        self.items_box = widgets.VBox()
        self.submit_button = widgets.Button(button_style="success")
        self.submit_button.add_class("chwkit-submit")
        self.message = widgets.HTML()
        self.message.add_class("chwkit-submit-message")
        # Blank items: the learner confirms before anything is sent.
        self.confirm_text = widgets.HTML()
        self.confirm_send = widgets.Button(button_style="warning")
        self.confirm_send.add_class("chwkit-confirm-send")
        self.confirm_back = widgets.Button()
        self.confirm_back.add_class("chwkit-confirm-back")
        self.confirm_box = widgets.VBox(
            [self.confirm_text, widgets.HBox([self.confirm_send, self.confirm_back])],
            layout={"display": "none"},
        )
        self.confirm_box.add_class("chwkit-confirm-blank")
        self.feedback = widgets.HTML()
        self.feedback.add_class("chwkit-feedback-panel")
        self.form = widgets.VBox(
            [
                widgets.HBox([self.who, self.sign_out_button]),
                self.feedback,
                self.items_box,
                self.submit_button,
                self.confirm_box,
                self.message,
            ],
            layout={"display": "none"},
        )
        super().__init__(
            children=[self.switch, self.back, self.header, self.sign_in_box, self.form]
        )
        self.add_class("chwkit-assessment")
        link((self, "lang"), (self.switch, "value"))
        link((self, "lang"), (self.sign_in_box, "lang"))
        self.submit_button.on_click(lambda _b: self.submit())
        self.confirm_send.on_click(lambda _b: self.submit(confirmed=True))
        self.confirm_back.on_click(lambda _b: self._hide_confirmation())
        self.sign_out_button.on_click(lambda _b: self.sign_out())
        self.lang = lang
        self.header.value = _p(t("assess.loading", self.lang))
        self.sign_in_box.layout.display = "none"

    @observe("lang")
    def _on_lang(self, _change):
        if hasattr(self, "form"):
            self._relabel()

    # -- loading --------------------------------------------------------------------------
    def ready(self, query: str | None = None) -> None:
        """Wait for the visitor (under preheating), then load the assessment they asked for."""
        if query is None:
            wait_for_request()
        assignment, lang = parse_query(query)
        self.load(assignment, lang)
        self.use_records(RecordsClient.from_env())

    def use_records(self, client: RecordsClient) -> None:
        """Take the learner the server signed in (no code to type), or offer to sign in."""
        self.records = client
        if client.signed_in:
            self.grader = lambda assignment, _student: bool(
                (client.call("grade", {"assignment": assignment}, timeout=600) or {}).get("ok")
            )
            person = roster.get(client.learner)
            if person is not None and person.role == "learner" and self.spec is not None:
                self._enter(person, code=None)
        self._relabel()

    def load(self, assignment: str | None, lang: str = DEFAULT_LANG) -> None:
        self.lang = lang
        self.spec = None
        if assignment:
            try:
                _nb, self.spec = load_release(assignment)
            except (SubmitError, ValueError):
                self.spec = None
        if self.spec is None:
            self.header.value = _p(t("assess.unknown_assessment", self.lang), "chwkit-error")
            self.sign_in_box.layout.display = "none"
            return
        self.assignment = assignment
        self.items = [
            ItemInput(item, number, self.lang) for number, item in enumerate(self.spec.items, 1)
        ]
        for item in self.items:
            link((self, "lang"), (item, "lang"))
        self.items_box.children = self.items
        self.sign_in_box.layout.display = None
        self._relabel()

    def _relabel(self) -> None:
        lang = self.lang
        self.confirm_send.description = t("records.confirm_send", lang)
        self.confirm_back.description = t("records.confirm_back", lang)
        self.sign_in_box.extra.value = ""
        if self.records.sign_in_url:
            href = html.escape(self.records.sign_in_url, quote=True)
            self.sign_in_box.extra.value = (
                f"<p><a class='chwkit-sign-in-once' href='{href}'>"
                f"{html.escape(t('records.assess_sign_in', lang))}</a></p>"
            )
        self.sign_out_button.description = t("assess.sign_out", lang)
        href = html.escape(f"{LANDING_HREF}?lang={lang}", quote=True)
        self.back.value = (
            f"<a href='{href}' hreflang='{lang}'>← {html.escape(t('assess.back', lang))}</a>"
        )
        self.submit_button.description = t("assess.submit", lang)
        if self.spec is not None:
            self.header.value = f"<h1>{html.escape(self.spec.title[lang])}</h1>" + _p(
                self.spec.intro[lang], "chwkit-intro"
            )
        # Signed in by the server: signing out is the server's (My progress), for every page.
        self.sign_out_button.layout.display = "none" if self._code is None else None
        if self.person is not None:
            self.who.value = _p(t("assess.signed_in", lang, id=self.person.id), "chwkit-who")
            self.show_feedback()
        if getattr(self, "_last_message", None):
            self._show_message(*self._last_message)

    # -- signing in -----------------------------------------------------------------------
    def sign_in(self, code: object) -> bool:
        """Sign in with an access code typed on this page (the kit's one sign-in rule)."""
        if self.spec is None:
            return False
        return self.sign_in_box.sign_in(code)

    def _on_person(self, person: roster.Person, code: str) -> None:
        self._enter(person, code=code)

    def _enter(self, person: roster.Person, code: str | None) -> None:
        """Show the form to ``person``, their last submitted answers filled in."""
        self.person, self._code = person, code
        self.sign_in_box.reset()
        self.sign_in_box.layout.display = "none"
        self.form.layout.display = None
        previous = last_answers(person.id, self.assignment) if self.assignment else {}
        for widget in self.items:
            if widget.item.id in previous:
                value = previous[widget.item.id]
                if isinstance(value, int | float) and widget.item.kind not in (
                    "single",
                    "multiple",
                ):
                    value = f"{value:g}"  # a number typed in a text box
                widget.set_value(value)
        if previous:
            self._show_message("records.prefilled", "chwkit-prefilled", {})
        self._relabel()

    def sign_out(self) -> None:
        """Forget the learner and their unsent answers (phones and clinic laptops are shared)."""
        self.person, self._code = None, None
        self._last_message = None
        for widget in self.items:
            widget.clear()
        self.who.value = self.feedback.value = self.message.value = ""
        self.sign_in_box.reset()
        self.form.layout.display = "none"
        self.confirm_box.layout.display = "none"
        self.sign_in_box.layout.display = None if self.spec is not None else "none"

    # -- submitting -----------------------------------------------------------------------
    def answers(self) -> dict[str, object]:
        return {widget.item.id: widget.value() for widget in self.items}

    def _show_message(self, key: str, css: str, values: dict) -> None:
        self._last_message = (key, css, values)
        role = "alert" if "chwkit-error" in css else "status"
        if "when" in values:
            text = message_html(key, self.lang, **values)
        else:
            text = html.escape(t(key, self.lang, **values))
        self.message.value = f"<div class='{css}' role='{role}'>{text}</div>"

    def blank_items(self) -> list[ItemInput]:
        return [w for w in self.items if w.value() in (None, "", [], ())]

    def _hide_confirmation(self) -> None:
        self.confirm_box.layout.display = "none"

    def submit(self, confirmed: bool = False) -> bool:
        """Submit the answers; with blank items, only once the learner ``confirmed``."""
        if self.person is None or self.assignment is None:
            return False
        blank = self.blank_items()
        if blank and not confirmed:
            self.confirm_text.value = _p(
                t("records.confirm_blank", self.lang, missing=len(blank)), "chwkit-warning"
            )
            self.confirm_box.layout.display = None
            return False
        self._hide_confirmation()
        for widget in self.items:
            widget.show_error(None)
        try:
            if self._code is None:  # signed in by the server
                receipt = submit_for(self.assignment, self.person.id, self.answers())
            else:
                receipt = submit(self.assignment, self._code, self.answers())
        except SubmitError as exc:
            number = next((w.number for w in self.items if exc.item and w.item.id == exc.item), 0)
            for widget in self.items:
                if exc.item and widget.item.id == exc.item:
                    widget.show_error(exc.key, {"n": number})
            if exc.key == "assess.wrong_code":  # the code was replaced meanwhile
                self.person, self._code = None, None
                self.form.layout.display = "none"
                self.sign_in_box.layout.display = None
                self.sign_in_box.show(Verdict(None, "signin.wrong_code"))
                return False
            self._show_message(exc.key, "chwkit-error", {"n": number})
            return False
        except Exception:  # a lock timeout, a full disk...: tell the learner, log the details
            log.exception(
                "submission of %s by %s failed", self.assignment, self.person and self.person.id
            )
            self._show_message("assess.server_problem", "chwkit-error", {})
            return False
        self._show_message(
            "assess.submitted",
            "chwkit-fb-correct chwkit-confirmation",
            {"answered": receipt.answered, "total": receipt.total, "when": receipt.timestamp},
        )
        if self.grader is None:
            self.show_feedback()
        else:
            self.grade_now()
        return True

    def grade_now(self) -> None:
        """Have the submission graded now, in the background; show the results once they
        exist (the page's widgets update without a reload)."""
        if self.grader is None or self.person is None or self.assignment is None:
            return
        assignment, student = self.assignment, self.person.id
        self.feedback.value = (
            f"<p class='chwkit-grading' role='status'>"
            f"{html.escape(t('records.grading', self.lang))}</p>"
        )

        def run() -> None:
            try:
                graded = self.grader(assignment, student)
            except Exception:
                log.exception("instant grading of %s for %s failed", assignment, student)
                graded = False
            if self.person is None or self.person.id != student:
                return  # signed out meanwhile: show nothing of theirs
            self.show_feedback()
            if not graded:
                self._show_message("records.grading_later", "chwkit-warning", {})

        self._grading = threading.Thread(target=run, name="chwkit-grade-now", daemon=True)
        self._grading.start()

    # -- feedback -------------------------------------------------------------------------
    def show_feedback(self) -> None:
        if self.person is None or self.spec is None or self.assignment is None:
            return
        data = read_feedback(self.person.id, self.assignment)
        latest = latest_submission(self.person.id, self.assignment)
        if data is None and latest is None:
            self.feedback.value = ""
            return
        self.feedback.value = render_feedback(data, self.spec, self.lang, latest)
