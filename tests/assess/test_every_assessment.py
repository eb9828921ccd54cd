"""Every assessment the kit ships, graded by real nbgrader: its solution earns every automatic
point, a blank submission none, and no key reaches the release or the learner's feedback."""

from __future__ import annotations

import nbformat
import pytest

from chwkit.assess import author, course
from chwkit.assess.feedback import read_feedback
from chwkit.assess.items import assessment_from_notebook
from chwkit.assess.sanitize import leaks

from .conftest import REPO, add_learner, secrets

pytestmark = pytest.mark.nbgrader
NAMES = author.all_assignments()


@pytest.fixture(scope="module")
def shipped_course(tmp_path_factory):
    home = tmp_path_factory.mktemp("chwkit-home")
    from chwkit.core import paths

    with paths.project_env(REPO, home):
        course.release(course.assignments())
        yield home


@pytest.fixture(scope="module")
def workers(shipped_course):
    """Two grading workers for every assessment, started once, as the learner server keeps
    them (``program.results.InstantGrader``): each test grades with real nbgrader in them."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def test_every_assessment_has_an_item_file():
    assert sorted(course.assignments()) == NAMES and len(NAMES) >= 10


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks_and_blank_zero_under_nbgrader(shipped_course, workers, name):
    from chwkit.assess.grading import grade
    from chwkit.assess.submit import submit

    source = nbformat.read(course.source_dir() / name / f"{name}.ipynb", 4)
    spec = assessment_from_notebook(source)
    automatic = sum(item.points for item in spec.items if not item.manual)
    solution = author.solution(source)
    sol_id, blank_id = f"sol-{name[:20]}".replace("_", "-"), f"blank-{name[:20]}".replace("_", "-")
    submit(name, add_learner(sol_id), solution)
    submit(name, add_learner(blank_id), {})
    report = grade(name, progress=False, pool=workers)
    assert not report.problems, report.problems
    assert report.scores[sol_id] == automatic
    assert report.scores[blank_id] == 0
    key = secrets(name)
    release = nbformat.read(course.release_notebook(name), 4)
    # What a learner's page or file shows: the cells' text (metadata keys such as "options"
    # would match a one-word accepted answer by chance), and no key in the items' metadata.
    assert leaks("\n".join(cell.source for cell in release.cells), key) == []
    for cell in release.cells:
        assert not {"answer", "accept", "example"} & set(cell.metadata.get("chwkit", {}))
    for learner in (sol_id, blank_id):
        assert leaks(str(read_feedback(learner, name)), key) == [], learner
