"""What a learner page's browser tab says, in each language.

The tab shows what the page is (the module's title, the assessment's, the forum session's),
never the notebook's file name. Pages are rendered before their visitor is known (preheated
kernels), so every language goes to the page and the template picks the visitor's there.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from chwkit.core import paths
from chwkit.core.i18n import LANGS, t

Titles = dict[str, object]


def _in_every_language(key: str, **values: object) -> dict[str, str]:
    return {lang: t(key, lang, **values) for lang in LANGS}


def _suffixed(titles: dict[str, str]) -> dict[str, str]:
    return {lang: f"{text} · {t('app.title', lang)}" for lang, text in titles.items()}


def page_titles(notebook_path: str) -> Titles:
    """``{lang: title}`` for the page of ``notebook_path`` (relative to the project root).

    The assessment page serves every assessment (``?a=<assignment>``): it also gets
    ``{"a": {assignment: {lang: title}}}`` under ``"byQuery"``.
    """
    parts = PurePosixPath(notebook_path).parts
    titles: Titles = {lang: t("app.title", lang) for lang in LANGS}
    try:
        if len(parts) == 4 and parts[:2] == ("notebooks", "modules"):
            from chwkit.learn.spec import ModuleSpec

            spec = ModuleSpec.load(paths.modules_dir() / parts[2])
            titles.update(_suffixed({lang: spec.title[lang] for lang in LANGS}))
        elif parts == ("notebooks", "dashboard.ipynb"):
            titles.update(_suffixed(_in_every_language("dash.title")))
        elif parts == ("notebooks", "assessment.ipynb"):
            titles.update(_suffixed(_in_every_language("landing.assessments")))
            titles["byQuery"] = {"a": assessment_titles()}
        elif len(parts) == 2 and parts[0] == "forum_sessions":
            from chwkit.forum.session import read_session_file

            session = read_session_file(paths.forum_dir() / parts[1]).session
            if session is not None:
                titles.update(
                    _suffixed(
                        _in_every_language(
                            "forum.landing.title", date=session.date, site=session.site
                        )
                    )
                )
    except (OSError, ValueError):  # a page that cannot be read says so itself
        pass
    return titles


def assessment_titles() -> dict[str, dict[str, str]]:
    """Each released assessment's title, in every language."""
    from chwkit.assess import course
    from chwkit.assess.items import load_assessment

    found = {}
    for assignment in course.available():
        try:
            spec = load_assessment(course.release_notebook(assignment))
        except (OSError, ValueError):
            continue
        found[assignment] = _suffixed(
            {lang: spec.title.get(lang) or spec.title[LANGS[0]] for lang in LANGS}
        )
    return found
