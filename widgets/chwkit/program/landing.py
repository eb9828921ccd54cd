"""The landing page's section for trainers and supervisors: the supervisor's dashboard.

Imported by the server for every landing page: the standard library and the catalog only.
"""

from __future__ import annotations

from chwkit.core import paths
from chwkit.core.i18n import t

DASHBOARD = "notebooks/dashboard.ipynb"


def landing_entries(lang: str) -> list[dict]:
    """The dashboard, as a real link (relative to the server), when the project has it."""
    if not (paths.project_root() / DASHBOARD).is_file():
        return []
    return [
        {
            "title": t("dash.title", lang),
            "href": f"voila/render/{DASHBOARD}?lang={lang}",
            "meta": t("dash.landing.meta", lang),
        }
    ]
