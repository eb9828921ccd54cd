"""The learner's module page: what a module notebook calls.

    from chwkit.learn.page import Module
    module = Module.here()      # reads module.yaml beside the notebook
    module.header()             # language switch + progress
    ...markdown cells tagged lang-es / lang-en...
    module.question("q1")       # a practice question
    module.ready()              # last cell: takes the visitor's language

Under Voila's preheated kernels the notebook runs before the visitor arrives, so the
visitor's language (query string ``?lang=``) is read in ``ready()``, after
``chwkit.core.request.wait_for_request()``; every widget then relabels itself.
"""

from __future__ import annotations

import datetime
import html
from pathlib import Path

from IPython.display import display
from ipywidgets import HTML
from traitlets import HasTraits, link, observe

from chwkit.core.i18n import DEFAULT_LANG, format_date, t
from chwkit.core.lang import Lang
from chwkit.core.request import page_lang, wait_for_request
from chwkit.learn.practice import LanguageSwitch, ModuleProgress, Question, make_question
from chwkit.learn.spec import ModuleSpec
from chwkit.program.module_records import ModuleRecords


class ReviewNote(HTML):
    """ "Content reviewed on …", in the page's language."""

    lang = Lang()

    def __init__(self, reviewed: datetime.date, lang: str = DEFAULT_LANG):
        self.reviewed = reviewed
        super().__init__()
        self.add_class("chwkit-reviewed")
        self.lang = lang
        self._relabel()

    @observe("lang")
    def _relabel(self, _change=None) -> None:
        text = t("module.reviewed", self.lang, date=format_date(self.reviewed, self.lang))
        self.value = f"<p><small>{html.escape(text)}</small></p>"


class Module(HasTraits):
    lang = Lang()

    def __init__(self, spec: ModuleSpec, lang: str | None = None):
        super().__init__()
        self.spec = spec
        self.lang = lang or page_lang()
        self.questions: dict[str, Question] = {}
        self.records: ModuleRecords | None = None  # known once the visitor arrives (ready)
        self.switch = LanguageSwitch(self.lang)
        link((self, "lang"), (self.switch, "value"))
        self.progress = ModuleProgress([], lang=self.lang)
        link((self, "lang"), (self.progress, "lang"))

    @classmethod
    def here(cls, folder: str | Path | None = None) -> Module:
        """The module whose ``module.yaml`` sits in ``folder`` (default: the kernel's cwd)."""
        return cls(ModuleSpec.load(Path(folder) if folder else Path.cwd()))

    def header(self) -> None:
        """Show the language switch, the module's progress and when it was last reviewed."""
        from ipywidgets import HBox, VBox

        box = HBox([self.switch, self.progress])
        box.add_class("chwkit-header")
        if self.spec.reviewed is None:
            display(box)
            return
        note = ReviewNote(self.spec.reviewed, lang=self.lang)
        link((self, "lang"), (note, "lang"))
        display(VBox([box, note]))

    def make_question(self, qid: str) -> Question:
        spec = self.spec.question(qid)
        number = [q.id for q in self.spec.questions].index(qid) + 1
        question = make_question(spec, number=number, lang=self.lang)
        link((self, "lang"), (question, "lang"))
        self.questions[qid] = question
        self.progress.track(question)
        question.check.on_click(lambda _button: self._tried(qid, question))
        return question

    def _tried(self, qid: str, question: Question) -> None:
        """Record a practice try (right or not, never the text) for a signed-in learner."""
        outcome = getattr(question, "_last", None)  # set by the question's own check handler
        if self.records is not None and outcome and outcome[0] == "answered":
            self.records.attempt(qid, bool(outcome[1]))

    def question(self, qid: str) -> None:
        """Show practice question ``qid`` (the widget is kept in ``self.questions``)."""
        display(self.make_question(qid))

    def ready(self) -> None:
        """Wait for the visitor (under preheating) and switch to their language.

        Returns nothing: as a notebook's last expression a value would show on the page."""
        wait_for_request()
        self.lang = page_lang()
        # Who the learner is comes from the server, with the visitor's request.
        self.records = ModuleRecords.start(self.spec.id, lang=self.lang)
        link((self, "lang"), (self.records, "lang"))
        display(self.records)
