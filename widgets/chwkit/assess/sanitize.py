"""Feedback sanitising: what a learner receives never shows hidden tests (nbgrader #917).

``StripHiddenTests`` runs first in nbgrader's ``GenerateFeedback`` (see ``course.configure``):
in every cell it drops the hidden-test region, and it replaces error outputs with a bare
error line, because a traceback quotes the failing line, which may be a hidden test.
``leaks`` is the check the tests (and the grader, as a last guard) run over any text that
leaves the trainer's side.
"""

from __future__ import annotations

import html
import re

from nbformat.notebooknode import NotebookNode

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
MARKERS = (
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN MARK SCHEME",
)


def strip_hidden(source: str) -> tuple[str, bool]:
    """``source`` without its hidden-test regions, and whether it had any."""
    out, inside, had = [], False, False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside, had = True, True
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out).rstrip("\n"), had


def sanitize_cell(cell: NotebookNode) -> NotebookNode:
    source, _ = strip_hidden(cell.get("source", ""))
    cell.source = source
    if cell.get("cell_type") != "code":
        return cell
    outputs = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename = str(output.get("ename", "Error"))
            evalue = str(output.get("evalue", ""))
            # Keep a message only if the visible source shows it (a visible check's message).
            evalue = evalue if evalue and evalue in source else ""
            outputs.append(
                NotebookNode(
                    output_type="error",
                    ename=ename,
                    evalue=evalue,
                    traceback=[f"{ename}: {evalue}" if evalue else ename],
                )
            )
        else:
            outputs.append(output)
    cell.outputs = outputs
    return cell


def sanitize_notebook(nb: NotebookNode) -> NotebookNode:
    for cell in nb.cells:
        sanitize_cell(cell)
    return nb


def leaks(text: str, secrets: tuple[str, ...] = ()) -> list[str]:
    """The markers and ``secrets`` (known answers, hidden-test lines) found in ``text``."""
    # Also search the text as a reader sees it: HTML highlighting splits code into spans.
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    found = [m for m in MARKERS if m.lower() in text.lower() or m.lower() in plain.lower()]
    found += [s for s in secrets if s and (s in text or s in plain)]
    return found


try:  # the preprocessor exists only where nbgrader is installed (never in learner kernels)
    from nbgrader.preprocessors import NbGraderPreprocessor

    class StripHiddenTests(NbGraderPreprocessor):
        """nbgrader preprocessor: remove hidden tests and tracebacks before feedback."""

        def preprocess(self, nb, resources):
            return sanitize_notebook(nb), resources

except ImportError:  # pragma: no cover
    pass
