"""Practice-question widgets: instant feedback with an explanation, in the learner's language.

Each question is a composite ``VBox`` whose labels follow its ``lang`` trait. The answer key
stays in the kernel: only labels and feedback ever reach the browser. Practice answers are the
learner's own check: not graded, not stored.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
from traitlets import Bool, Int, observe

from chwkit.core.i18n import DEFAULT_LANG, LANGS, t
from chwkit.core.lang import Lang
from chwkit.core.text import fold, matches
from chwkit.learn.spec import QuestionSpec

MAX_ANSWER_CHARS = 200


_shared: dict[tuple, widgets.Widget] = {}


def shared(kind: type[widgets.Widget], **traits) -> widgets.Widget:
    """One Layout or Style model for all the widgets a page draws alike.

    ipywidgets gives every widget Layout and Style models of its own: 82 of a module page's
    126 models, each sent to the browser and built there before the page is ready. The kit
    never changes a layout or style once made, so alike widgets share one.
    """
    key = (kind, tuple(sorted(traits.items())))
    model = _shared.get(key)
    if model is None or model.comm is None:  # none yet, or closed
        model = _shared[key] = kind(**traits)
    return model


def shared_style(widget: type[widgets.DOMWidget]) -> widgets.Widget:
    """The shared Style model of a kind of widget (not every Style class is exported)."""
    return shared(widget.class_traits()["style"].klass)


def _html() -> widgets.HTML:
    return widgets.HTML(layout=shared(widgets.Layout), style=shared_style(widgets.HTML))


class Question(widgets.VBox):
    """Base of the practice questions: prompt, input, check button, feedback."""

    lang = Lang()
    number = Int(1)
    attempted = Bool(False)
    solved = Bool(False)

    def __init__(self, spec: QuestionSpec, number: int = 1, lang: str = DEFAULT_LANG, **kwargs):
        self.spec = spec
        self.prompt = _html()
        self.instructions = _html()
        self.input = self._make_input()
        self.check = widgets.Button(
            button_style="primary",
            layout=shared(widgets.Layout),
            style=shared_style(widgets.Button),
        )
        self.feedback = _html()
        self.check.on_click(self._on_check)
        kwargs.setdefault("layout", shared(widgets.Layout))
        super().__init__(
            children=[self.prompt, self.instructions, self.input, self.check, self.feedback],
            **kwargs,
        )
        self.add_class("chwkit-question")
        self.add_class(f"chwkit-question-{spec.kind}")
        self.number = number
        self.lang = lang
        self._relabel()

    @observe("lang", "number")
    def _on_lang(self, change):
        if hasattr(self, "input"):
            self._relabel()

    # -- subclasses fill these in ------------------------------------------------------------
    def _make_input(self) -> widgets.Widget:
        raise NotImplementedError

    def _relabel_input(self) -> None:
        raise NotImplementedError

    def _instructions_key(self) -> str:
        raise NotImplementedError

    def answer_value(self) -> object:
        raise NotImplementedError

    def is_empty(self, value: object) -> bool:
        return not value

    def is_correct(self, value: object) -> bool:
        raise NotImplementedError

    # -- shared behaviour --------------------------------------------------------------------
    def _relabel(self) -> None:
        lang = self.lang
        heading = html.escape(t("quiz.question_n", lang, n=self.number))
        self.prompt.value = (
            f"<div class='chwkit-q-heading'>{heading}</div>"
            f"<p class='chwkit-q-prompt'>{html.escape(self.spec.prompt[lang])}</p>"
        )
        self.instructions.value = (
            f"<small>{html.escape(t(self._instructions_key(), lang))} "
            f"{html.escape(t('quiz.practice_note', lang))}</small>"
        )
        self.check.description = t("quiz.check", lang)
        self._relabel_input()
        if self._last is not None:
            self._show_feedback(*self._last)

    _last: tuple[str, bool] | None = None

    def _on_check(self, _button=None) -> None:
        value = self.answer_value()
        if self.is_empty(value):
            self._last = ("empty", False)
        elif isinstance(value, str) and len(value) > MAX_ANSWER_CHARS:
            self._last = ("too_long", False)
        else:
            ok = self.is_correct(value)
            self.attempted = True
            self.solved = self.solved or ok
            self._last = ("answered", ok)
        self._show_feedback(*self._last)

    def _show_feedback(self, state: str, ok: bool) -> None:
        lang = self.lang
        if state == "empty":
            self.feedback.value = (
                f"<p class='chwkit-fb-empty'>{html.escape(t('quiz.empty', lang))}</p>"
            )
            return
        if state == "too_long":
            text = t("quiz.too_long", lang, limit=MAX_ANSWER_CHARS)
            self.feedback.value = f"<p class='chwkit-fb-empty'>{html.escape(text)}</p>"
            return
        verdict = (
            t("quiz.correct", lang)
            if ok
            else f"{t('quiz.incorrect', lang)} {t('quiz.try_again', lang)}"
        )
        css = "chwkit-fb-correct" if ok else "chwkit-fb-incorrect"
        self.feedback.value = (
            f"<div class='chwkit-feedback {css}' role='status'>"
            f"<strong>{html.escape(verdict)}</strong> "
            f"{html.escape(self.spec.explanation[lang])}</div>"
        )

    def submit(self, value: object) -> None:
        """Set the input to ``value`` and check it (used by tests and keyboard shortcuts)."""
        self._set_value(value)
        self._on_check()

    def _set_value(self, value: object) -> None:
        raise NotImplementedError


class SingleChoiceQuestion(Question):
    def _make_input(self):
        return widgets.RadioButtons(
            options=[],
            value=None,
            layout=shared(widgets.Layout, width="auto"),
            style=shared_style(widgets.RadioButtons),
        )

    def _relabel_input(self):
        value = self.input.value
        self.input.options = [(o[self.lang], i) for i, o in enumerate(self.spec.options)]
        self.input.value = value

    def _instructions_key(self):
        return "quiz.choose_one"

    def answer_value(self):
        return self.input.value

    def is_empty(self, value):
        return value is None

    def is_correct(self, value):
        return isinstance(value, int) and (value,) == self.spec.answer

    def _set_value(self, value):
        self.input.value = value


class MultipleChoiceQuestion(Question):
    def _make_input(self):
        boxes = [
            widgets.Checkbox(
                value=False,
                indent=False,
                layout=shared(widgets.Layout, width="auto"),
                style=shared_style(widgets.Checkbox),
            )
            for _ in self.spec.options
        ]
        return widgets.VBox(boxes, layout=shared(widgets.Layout))

    def _relabel_input(self):
        for box, option in zip(self.input.children, self.spec.options, strict=True):
            box.description = option[self.lang]

    def _instructions_key(self):
        return "quiz.choose_many"

    def answer_value(self):
        return tuple(i for i, box in enumerate(self.input.children) if box.value is True)

    def is_correct(self, value):
        return tuple(sorted(value)) == self.spec.answer

    def _set_value(self, value):
        chosen = set(value)
        for i, box in enumerate(self.input.children):
            box.value = i in chosen


class ShortAnswerQuestion(Question):
    def _make_input(self):
        return widgets.Text(
            value="",
            continuous_update=False,
            layout=shared(widgets.Layout, width="min(100%, 28em)"),
            style=shared_style(widgets.Text),
        )

    def _relabel_input(self):
        self.input.placeholder = t("quiz.placeholder", self.lang)

    def _instructions_key(self):
        return "quiz.type_answer"

    def answer_value(self):
        value = self.input.value
        return value if isinstance(value, str) else ""

    def is_empty(self, value):
        return not fold(value)

    def is_correct(self, value):
        return matches(value, [a for answers in self.spec.accept.values() for a in answers])

    def _set_value(self, value):
        self.input.value = value


_KINDS = {
    "single": SingleChoiceQuestion,
    "multiple": MultipleChoiceQuestion,
    "short": ShortAnswerQuestion,
}


def make_question(spec: QuestionSpec, number: int = 1, lang: str = DEFAULT_LANG) -> Question:
    return _KINDS[spec.kind](spec, number=number, lang=lang)


class LanguageSwitch(widgets.ToggleButtons):
    """es / en toggle. The kit's page template also listens to it to switch the page text."""

    def __init__(self, lang: str = DEFAULT_LANG, **kwargs):
        super().__init__(
            options=[(t(f"lang.name.{code}", code), code) for code in LANGS],
            value=lang if lang in LANGS else DEFAULT_LANG,
            **kwargs,
        )
        self.add_class("chwkit-lang-switch")
        # What the browser sends is an index; ipywidgets refuses one outside the options.


class ModuleProgress(widgets.HBox):
    """How many of a module's practice questions the learner has solved."""

    lang = Lang()
    done = Int(0)
    total = Int(0)

    def __init__(self, questions: list[Question], lang: str = DEFAULT_LANG, **kwargs):
        self.bar = widgets.IntProgress(min=0, max=max(len(questions), 1), value=0)
        self.label = widgets.HTML()
        super().__init__(children=[self.bar, self.label], **kwargs)
        self.add_class("chwkit-progress")
        self.questions: list[Question] = []
        self.lang = lang
        for q in questions:
            self.track(q)
        self._refresh()

    def track(self, question: Question) -> None:
        self.questions.append(question)
        question.observe(lambda _change: self._refresh(), names="solved")
        self._refresh()

    @observe("lang")
    def _on_lang(self, _change):
        if hasattr(self, "label"):
            self._refresh()

    def _refresh(self) -> None:
        if not hasattr(self, "questions"):
            return
        self.total = len(self.questions)
        self.done = sum(q.solved for q in self.questions)
        self.bar.max = max(self.total, 1)
        self.bar.value = self.done
        text = t("progress.label", self.lang, done=self.done, total=self.total)
        if self.total and self.done == self.total:
            text += " " + t("progress.done", self.lang)
        self.label.value = f"<span class='chwkit-progress-label'>{html.escape(text)}</span>"
