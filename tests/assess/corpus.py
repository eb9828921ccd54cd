"""A corpus of broken submissions: each entry damages a good submission one way.

Each function takes the submission folder (``submitted/<id>/<assignment>/``) that the kit's
writer produced and breaks it; ``EXPECTED`` says which words the grader's message must hold.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat

ASSIGNMENT = "chw_role_check"


def _nb_path(folder: Path) -> Path:
    return folder / f"{ASSIGNMENT}.ipynb"


def _edit(folder: Path, change) -> None:
    nb = nbformat.read(_nb_path(folder), 4)
    change(nb)
    _nb_path(folder).write_text(nbformat.writes(nb))


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def corrupted_json(folder: Path) -> None:
    text = _nb_path(folder).read_text()
    _nb_path(folder).write_text(text[: len(text) // 2])


def deleted_cell(folder: Path) -> None:
    _edit(folder, lambda nb: nb.cells.remove(_cell(nb, "test_q3")))


def duplicated_cell(folder: Path) -> None:
    def change(nb):
        cell = _cell(nb, "answer_q2")
        twin = copy.deepcopy(cell)
        twin["id"] = "twin-of-answer-q2"
        nb.cells.insert(nb.cells.index(cell) + 1, twin)

    _edit(folder, change)


def changed_grade_id(folder: Path) -> None:
    _edit(folder, lambda nb: _cell(nb, "test_q1").metadata.nbgrader.update(grade_id="test_q1x"))


def loops_forever(folder: Path) -> None:
    _edit(folder, lambda nb: setattr(_cell(nb, "answer_q3"), "source", "while True:\n    pass"))


def prints_megabytes(folder: Path) -> None:
    _edit(
        folder,
        lambda nb: setattr(_cell(nb, "answer_q4"), "source", "print('x' * 10_000_000)"),
    )


def stderr_warning(folder: Path) -> None:
    source = "import warnings\nwarnings.warn('deprecated')\nanswer_q1 = 1"
    _edit(folder, lambda nb: setattr(_cell(nb, "answer_q1"), "source", source))


def wrong_types(folder: Path) -> None:
    """Plain data, but a string where a choice number belongs: graded, q1 scores 0."""
    _edit(folder, lambda nb: setattr(_cell(nb, "answer_q1"), "source", "answer_q1 = '1'"))


def malformed_timestamp(folder: Path) -> None:
    (folder / "timestamp.txt").write_text("yesterday around noon")


def not_a_notebook(folder: Path) -> None:
    _nb_path(folder).write_text(json.dumps({"cells": "nope"}))


CORPUS = {
    "c-json": (corrupted_json, "corrupted json"),
    "c-deleted": (deleted_cell, "'test_q3' is missing"),
    "c-duplicated": (duplicated_cell, "'answer_q2' appears 2 times"),
    "c-gradeid": (changed_grade_id, "unknown cell id 'test_q1x'"),
    "c-loop": (loops_forever, "item q3: the answer cell holds code"),
    "c-print": (prints_megabytes, "item q4: the answer cell holds code"),
    "c-stderr": (stderr_warning, "item q1: the answer cell holds code"),
    "c-time": (malformed_timestamp, "timestamp.txt is malformed"),
    "c-shape": (not_a_notebook, "not a valid notebook"),
}
# Graded anyway, with a warning naming the learner.
WARNED = {"c-types": (wrong_types, "item q1: the answer is str")}
