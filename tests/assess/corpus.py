"""A corpus of broken submissions: each entry damages a good submission one way.

Each function takes the submission folder (``submitted/<id>/<assignment>/``) that the kit's
writer produced and breaks it; ``EXPECTED`` says which words the grader's message must hold.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

import nbformat

ASSIGNMENT = "grading_check"
REPO = Path(__file__).resolve().parents[2]
# Files the tampered cells below try to write, were nbgrader to run them: in the temporary
# folder and at the repository root. None may exist after grading.
_TOKEN = f"chwkit-pwned-{os.getpid()}"
PWNED = (Path(tempfile.gettempdir()) / _TOKEN, Path("/tmp") / _TOKEN, REPO / _TOKEN)
_WRITE = "".join(f"open({str(path)!r}, 'w').write('x')\n" for path in PWNED)


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


def _insert_code_cell(folder: Path, before: str, source: str) -> None:
    """A code cell without nbgrader metadata, as a notebook editor would add it."""

    def change(nb):
        cell = nbformat.v4.new_code_cell(source)
        nb.cells.insert(nb.cells.index(_cell(nb, before)), cell)

    _edit(folder, change)


def extra_cell_writes_files(folder: Path) -> None:
    _insert_code_cell(folder, "test_q1", _WRITE + "answer_q1 = 1")


def extra_cell_loops_forever(folder: Path) -> None:
    _insert_code_cell(folder, "test_q3", _WRITE + "answer_q3 = 10\nwhile True:\n    pass")


def extra_markdown_cell(folder: Path) -> None:
    def change(nb):
        cell = nbformat.v4.new_markdown_cell("<script>alert('formgrader')</script>")
        nb.cells.insert(nb.cells.index(_cell(nb, "prompt_q2")), cell)

    _edit(folder, change)


def edited_test_cell(folder: Path) -> None:
    _edit(folder, lambda nb: setattr(_cell(nb, "test_q4"), "source", _WRITE + "assert True"))


def edited_setup_cell(folder: Path) -> None:
    def change(nb):
        cell = _cell(nb, "setup")
        cell.source = cell.source + "\n" + _WRITE + "_fold = lambda text: 'promotora'"

    _edit(folder, change)


def markdown_made_code(folder: Path) -> None:
    """The title cell (locked markdown) turned into code, its nbgrader settings kept."""

    def change(nb):
        cell = _cell(nb, "intro")
        code = nbformat.v4.new_code_cell(_WRITE, metadata=copy.deepcopy(cell.metadata))
        nb.cells[nb.cells.index(cell)] = code

    _edit(folder, change)


def answer_made_graded(folder: Path) -> None:
    """An answer cell's nbgrader settings changed to make it a 10-point graded cell."""
    _edit(
        folder,
        lambda nb: _cell(nb, "answer_q1").metadata.nbgrader.update(grade=True, points=10),
    )


def moved_test_cell(folder: Path) -> None:
    """The test of q1 moved before its answer (it would run on the unset answer)."""

    def change(nb):
        test = _cell(nb, "test_q1")
        nb.cells.remove(test)
        nb.cells.insert(nb.cells.index(_cell(nb, "answer_q1")), test)

    _edit(folder, change)


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
    "c-extra-write": (extra_cell_writes_files, "is an extra code cell"),
    "c-extra-loop": (extra_cell_loops_forever, "is an extra code cell"),
    "c-extra-md": (extra_markdown_cell, "is an extra markdown cell"),
    "c-edit-test": (edited_test_cell, "'test_q4' was edited"),
    "c-edit-setup": (edited_setup_cell, "'setup' was edited"),
    "c-md-code": (markdown_made_code, "'intro' changed type to code"),
    "c-meta": (answer_made_graded, "'answer_q1' has changed nbgrader settings"),
    "c-moved": (moved_test_cell, "not in the released order"),
}
# Graded anyway, with a warning naming the learner.
WARNED = {"c-types": (wrong_types, "item q1: the answer is str")}
