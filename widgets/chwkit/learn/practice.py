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
from chwkit.core.inputs import (
    make_input,
    read_input,
    relabel_input,
    shared,
    shared_style,
    write_input,
)
from chwkit.core.lang import Lang
from chwkit.core.text import fold, matches
from chwkit.learn.spec import QuestionSpec

MAX_ANSWER_CHARS = 200


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

    # The input is the kit's one input of its kind (chwkit.core.inputs), as on graded items.
    def _make_input(self) -> widgets.Widget:
        return make_input(self.spec.kind, len(self.spec.options))

    def _relabel_input(self) -> None:
        relabel_input(
            self.input,
            self.spec.kind,
            self.spec.options,
            self.lang,
            t("quiz.placeholder", self.lang),
        )

    def answer_value(self) -> object:
        return read_input(self.input, self.spec.kind)

    def _set_value(self, value: object) -> None:
        write_input(self.input, self.spec.kind, value)

    # -- subclasses fill these in ------------------------------------------------------------
    def _instructions_key(self) -> str:
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


class SingleChoiceQuestion(Question):
    def _instructions_key(self):
        return "quiz.choose_one"

    def is_empty(self, value):
        return value is None

    def is_correct(self, value):
        return isinstance(value, int) and (value,) == self.spec.answer


class MultipleChoiceQuestion(Question):
    def _instructions_key(self):
        return "quiz.choose_many"

    def is_correct(self, value):
        return tuple(sorted(value)) == self.spec.answer


class ShortAnswerQuestion(Question):
    def _instructions_key(self):
        return "quiz.type_answer"

    def is_empty(self, value):
        return not fold(value)

    def is_correct(self, value):
        return matches(value, [a for answers in self.spec.accept.values() for a in answers])


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
