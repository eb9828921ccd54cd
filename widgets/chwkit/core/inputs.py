"""One input widget per kind of question: practice questions and graded items draw alike.

    box = make_input("single", n_options=4)
    relabel_input(box, "single", options, lang, placeholder)
    read_input(box, "multiple")  -> [0, 2]
    write_input(box, "short", "diez")

Kinds (``chwkit.core.questions``): ``single`` (radio buttons, the value an option's index or
None), ``multiple`` (a checkbox per option, the value a sorted list of indexes), ``short`` and
``numeric`` (a one-line text box), ``reflection`` (a text area). Values read back are raw and
untrusted: the caller checks them (practice: ``core.text.matches``; graded items: the
submission writer).

Alike widgets share one Layout and one Style model (``shared``): ipywidgets gives each widget
models of its own, every one sent to the browser and built there before a page is ready.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

TEXT_KINDS = ("short", "numeric", "reflection")
KINDS = ("single", "multiple", *TEXT_KINDS)

_shared: dict[tuple, widgets.Widget] = {}


def shared(kind: type[widgets.Widget], **traits) -> widgets.Widget:
    """One Layout or Style model for all the widgets a page draws alike.

    82 of a module page's 126 models were Layouts and Styles of their own. The kit never
    changes a layout or style once made, so alike widgets share one."""
    key = (kind, tuple(sorted(traits.items())))
    model = _shared.get(key)
    if model is None or model.comm is None:  # none yet, or closed
        model = _shared[key] = kind(**traits)
    return model


def shared_style(widget: type[widgets.DOMWidget]) -> widgets.Widget:
    """The shared Style model of a kind of widget (not every Style class is exported)."""
    return shared(widget.class_traits()["style"].klass)


def _check(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


def make_input(kind: str, n_options: int = 0) -> widgets.Widget:
    """The empty input of a question of ``kind`` (labels come from ``relabel_input``)."""
    _check(kind)
    if kind == "single":
        return widgets.RadioButtons(
            options=[],
            value=None,
            layout=shared(widgets.Layout, width="auto"),
            style=shared_style(widgets.RadioButtons),
        )
    if kind == "multiple":
        boxes = [
            widgets.Checkbox(
                value=False,
                indent=False,
                layout=shared(widgets.Layout, width="auto"),
                style=shared_style(widgets.Checkbox),
            )
            for _ in range(n_options)
        ]
        return widgets.VBox(boxes, layout=shared(widgets.Layout))
    if kind == "reflection":
        return widgets.Textarea(
            value="",
            layout=shared(widgets.Layout, width="min(100%, 40em)", height="8em"),
            style=shared_style(widgets.Textarea),
        )
    return widgets.Text(
        value="",
        continuous_update=False,
        layout=shared(widgets.Layout, width="min(100%, 28em)"),
        style=shared_style(widgets.Text),
    )


def relabel_input(
    box: widgets.Widget,
    kind: str,
    options: Sequence[dict[str, str]],
    lang: str,
    placeholder: str = "",
) -> None:
    """Label ``box`` in ``lang``, keeping what the learner chose or typed."""
    if kind == "single":
        value = box.value
        box.options = [(option[lang], i) for i, option in enumerate(options)]
        box.value = value
    elif kind == "multiple":
        for check, option in zip(box.children, options, strict=True):
            check.description = option[lang]
    else:
        box.placeholder = placeholder


def read_input(box: widgets.Widget, kind: str) -> object:
    """What the learner chose or typed, as it is (unchecked)."""
    if kind == "multiple":
        return [i for i, check in enumerate(box.children) if check.value is True]
    value = box.value
    if kind in TEXT_KINDS:
        return value if isinstance(value, str) else ""
    return value


def write_input(box: widgets.Widget, kind: str, value: object) -> None:
    """Fill ``box`` with ``value`` (an earlier answer); None or "" empties it."""
    if kind == "multiple":
        chosen = set(value or ())
        for i, check in enumerate(box.children):
            check.value = i in chosen
    elif kind == "single":
        box.value = value
    else:
        box.value = "" if value is None else str(value)
