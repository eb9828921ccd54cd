"""Where the nbgrader course lives, and its configuration.

The course *content* is ``assessments/source/<assignment>/<assignment>.ipynb`` in the project.
Everything nbgrader writes (gradebook, release, submitted, autograded, feedback, exchange)
lives under ``<data>/course/``. nbgrader wants ``source/`` inside its course root, so the
course root holds a symlink ``source -> <project>/assessments/source``.

``assessments/nbgrader_config.py`` calls :func:`configure`, so ``nbgrader`` and formgrader
run from ``assessments/`` see the same course as ``chwkit``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlencode

from chwkit.core import paths
from chwkit.core.i18n import t

COURSE_ID = "chwkit"
ASSIGNMENT_ID = re.compile(r"^[a-z][a-z0-9_]{1,60}$")
EXEC_TIMEOUT_S = 20  # a test cell that runs longer (a loop in a tampered file) scores 0


class CourseError(ValueError):
    """The course is not set up as expected; the message says what to do."""


def course_dir(create: bool = True) -> Path:
    path = paths.data_dir(create=create) / "course"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def source_dir() -> Path:
    return paths.assessments_dir() / "source"


def db_path() -> Path:
    return course_dir() / "gradebook.db"


def db_url() -> str:
    return f"sqlite:///{db_path()}"


def check_assignment_id(assignment: object) -> str:
    if not isinstance(assignment, str) or not ASSIGNMENT_ID.fullmatch(assignment):
        raise CourseError(f"invalid assessment name {assignment!r}")
    return assignment


def release_notebook(assignment: str, root: Path | None = None) -> Path:
    """The release version of ``assignment`` (made by ``nbgrader generate_assignment``)."""
    assignment = check_assignment_id(assignment)
    root = root or course_dir()
    return root / "release" / assignment / f"{assignment}.ipynb"


def submitted_dir(student: str, assignment: str, root: Path | None = None) -> Path:
    return (root or course_dir()) / "submitted" / student / assignment


def autograded_dir(student: str, assignment: str, root: Path | None = None) -> Path:
    return (root or course_dir()) / "autograded" / student / assignment


def feedback_dir(student: str, assignment: str, root: Path | None = None) -> Path:
    return (root or course_dir()) / "feedback" / student / assignment


def history_dir(student: str, assignment: str) -> Path:
    """Every submission ever made, kept: ``history/<student>/<assignment>/<stamp>/``."""
    return course_dir() / "history" / student / assignment


def lock_file(student: str, assignment: str) -> Path:
    folder = course_dir() / ".locks"
    folder.mkdir(exist_ok=True)
    return folder / f"{student}.{assignment}.lock"


def ensure_course() -> Path:
    """Create the course folder and point its ``source`` at the project's assessments."""
    root = course_dir()
    link = root / "source"
    target = source_dir()
    if link.is_symlink():
        if Path(os.readlink(link)) != target:
            link.unlink()
    elif link.exists():
        raise CourseError(f"{link} should be a link to {target}; move it away")
    if not link.exists():
        link.symlink_to(target, target_is_directory=True)
    (root.parent / "exchange").mkdir(exist_ok=True)  # unused, but nbgrader checks it
    return root


def configure(c, root: Path | None = None) -> None:
    """Fill an nbgrader traitlets config ``c`` for the kit's course."""
    _alembic_on_path()
    root = Path(root) if root else ensure_course()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    c.Exchange.root = str(root.parent / "exchange")
    c.Exchange.path_includes_course = True
    # Release answer cells read ``answer_q1 = None`` (the line before the solution region).
    c.ClearSolutions.code_stub = {"python": "# ← the learner's answer is written here"}
    c.Execute.timeout = EXEC_TIMEOUT_S
    c.Execute.interrupt_on_timeout = True
    c.LimitOutput.max_lines = 200
    c.LimitOutput.max_length = 4000
    # Feedback never shows hidden tests nor the tracebacks that quote them (nbgrader #917).
    c.GenerateFeedback.preprocessors = [
        "chwkit.assess.sanitize.StripHiddenTests",
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]


def gradebook(root: Path | None = None):
    """nbgrader's Gradebook for the course (use as a context manager)."""
    from nbgrader.api import Gradebook

    _alembic_on_path()
    root = Path(root) if root else ensure_course()
    return Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID)


def _alembic_on_path() -> None:
    # nbgrader runs the ``alembic`` command to create a gradebook; it sits beside our python,
    # which is not on PATH when the venv's ``chwkit`` is run without activating the venv.
    import sys

    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_config(root: Path | None = None):
    from traitlets.config import Config

    c = Config()
    configure(c, root)
    return c


def assignments() -> list[str]:
    """The course's assessments (a source notebook each), by name."""
    found = source_dir().glob("*/*.ipynb")
    return sorted(
        p.parent.name for p in found if p.stem == p.parent.name and ASSIGNMENT_ID.fullmatch(p.stem)
    )


def available(root: Path | None = None) -> list[str]:
    """Assessments that have a release version, by name (the landing page orders by track)."""
    root = root or course_dir(create=False)
    release = root / "release"
    found = sorted(p.name for p in release.iterdir() if p.is_dir()) if release.is_dir() else []
    found = [a for a in found if ASSIGNMENT_ID.fullmatch(a) and release_notebook(a, root).exists()]
    return found


def landing_entries(lang: str) -> list[dict]:
    """Links to each released assessment for the landing page, in ``lang``."""
    from chwkit.assess.items import load_assessment

    entries = []
    for assignment in available():
        try:
            spec = load_assessment(release_notebook(assignment))
        except ValueError:
            continue
        query = urlencode({"a": assignment, "lang": lang})
        entries.append(
            {
                "title": spec.title[lang] if lang in spec.title else spec.title["es"],
                "href": f"voila/render/notebooks/assessment.ipynb?{query}",
                "meta": t("assess.landing_meta", lang, n=len(spec.items), points=spec.points),
            }
        )
    return entries


def release(assignments: list[str], root: Path | None = None) -> None:
    """Release ``assignments`` with nbgrader's own ``generate_assignment``; CourseError if
    nbgrader could not (its message says why)."""
    from nbgrader.apps import NbGraderAPI

    api = NbGraderAPI(config=nbgrader_config(root))
    for assignment in assignments:
        result = api.generate_assignment(check_assignment_id(assignment), force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader could not release {assignment}: {result.get('error')}")
