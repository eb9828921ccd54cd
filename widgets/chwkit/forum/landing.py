"""The forum section of the server's landing page: sessions as real links.

Each title says what the session was (a forum, a conference or an exchange), its date and site.
"""

from __future__ import annotations

from chwkit.core import paths
from chwkit.core.i18n import t
from chwkit.forum.session import TEMPLATE_NAME, read_session_file

MAX_ENTRIES = 24
TITLE_KEYS = {
    "forum": "forum.landing.title",
    "conference": "forum.landing.title_conference",
    "exchange": "forum.landing.title_exchange",
}


def landing_entries(lang: str, folder=None) -> list[dict]:
    """The most recent session notebooks: title, link (relative to the server) and a summary."""
    folder = folder or paths.forum_dir()
    if not folder.is_dir():
        return []
    files = sorted(
        (
            p
            for p in folder.glob("*.ipynb")
            if not p.name.startswith(("_", ".")) and p.name != TEMPLATE_NAME
        ),
        reverse=True,
    )
    entries = []
    for path in files[:MAX_ENTRIES]:
        record = read_session_file(path)
        s = record.session
        if s is None:
            continue
        # What the session holds now: withdrawn contributions are not counted.
        count = sum(1 for _, data in record.contributions if data.get("withdrawn") is not True)
        entries.append(
            {
                "title": t(TITLE_KEYS[s.session_type], lang, date=s.date, site=s.site),
                "session_type": s.session_type,
                "href": f"voila/render/forum_sessions/{path.name}?lang={lang}",
                "meta": t(
                    "forum.landing.meta",
                    lang,
                    site=s.site,
                    topic=s.topic,
                    contributions=t(
                        "forum.landing.count_one" if count == 1 else "forum.landing.count",
                        lang,
                        count=count,
                    ),
                ),
            }
        )
    return entries
