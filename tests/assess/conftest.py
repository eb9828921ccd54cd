"""Fixtures for the self-assessment tests: a private data directory with a released course.

The grading tests grade ``grading_check`` (``files/grading_check.yaml``: six items of every
kind), built by the kit's own assessment builder into a scratch project, so they do not follow
edits to the kit's content; the real assessments are graded by ``test_every_assessment.py``.
``course_home`` sets CHWKIT_HOME and CHWKIT_ROOT to fresh folders and runs nbgrader's own
``generate_assignment``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = "grading_check"
FILES = Path(__file__).parent / "files"
# The key of grading_check, as its item file says.
RIGHT = {
    "q1": 1,
    "q2": [0, 2, 3],
    "q3": 10,
    "q4": "Promotóra",
    "q5": 1,
    "q6": "Ayudé a una familia.",
}
WRONG = {"q1": 0, "q2": [0, 1], "q3": 12, "q4": "enfermera", "q5": 3}


def install_course(root: Path) -> Path:
    """Write ``grading_check``'s source notebook (and the course config) under ``root``."""
    import shutil

    from chwkit.assess import author

    spec = author.AssessmentSpec.load(FILES / f"{ASSIGNMENT}.yaml")
    target = root / "assessments" / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(author.render(spec), encoding="utf-8")
    shutil.copy(REPO / "assessments" / "nbgrader_config.py", root / "assessments")
    return target


@pytest.fixture(scope="module")
def course_home(tmp_path_factory):
    """A data directory with the test course released; env set for the module."""
    home = tmp_path_factory.mktemp("chwkit-home")
    root = tmp_path_factory.mktemp("chwkit-root")
    install_course(root)
    from chwkit.assess import course
    from chwkit.core import paths

    with paths.project_env(root, home):
        course.release(course.assignments())
        yield home


def add_learner(person_id: str) -> str:
    """Roster + gradebook, as ``chwkit roster add`` does; returns the access code."""
    from chwkit.assess import roster, roster_cli

    code = roster.add(person_id)
    roster_cli._gradebook_add([(person_id, None)])
    return code


def secrets(assignment: str, root: Path | None = None) -> tuple[str, ...]:
    """Every line of the source's solution and hidden-test regions: the answer key."""
    import nbformat

    from chwkit.core import paths

    root = root or paths.project_root()
    path = root / "assessments" / "source" / assignment / f"{assignment}.ipynb"
    found = []
    for cell in nbformat.read(path, 4).cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                inside = False
            elif re.fullmatch(r"\s*(answer|reflection)_q\d+,?\s*", line):
                continue  # the variable's name, on a line of its own: in the release too
            elif inside and len(line.strip().strip(",\"'[]()")) >= 3:
                found.append(line.strip().rstrip(","))  # a solution line or an accepted answer
    assert found
    return tuple(found)
