"""Times a person reads: never nbgrader's raw ``2026-03-05 14:03:59.123456 UTC``.

A time goes to the page as ``<time class="chwkit-time" datetime="2026-03-05T14:03:59Z">``:
the kit's front end shows it in the learner's own time zone and language ("5 de marzo de
2026, 6:03"); without it, the text inside says the minute, in UTC, without microseconds.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from chwkit.core.i18n import t

_MARK = "\x00when\x00"


def parse(stamp: object) -> datetime | None:
    """An aware datetime from nbgrader's timestamp format or ISO 8601, else None."""
    if isinstance(stamp, datetime):
        moment = stamp
    else:
        text = str(stamp or "").strip().removesuffix(" UTC").replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def time_html(stamp: object) -> str:
    """``stamp`` as a ``<time>`` element (escaped text if it is not a time)."""
    moment = parse(stamp)
    if moment is None:
        return html.escape(str(stamp or ""))
    utc = moment.astimezone(UTC)
    return (
        f"<time class='chwkit-time' datetime='{utc.strftime('%Y-%m-%dT%H:%M:%SZ')}'>"
        f"{utc.strftime('%Y-%m-%d %H:%M')} UTC</time>"
    )


def message_html(key: str, lang: str, when: object, **values: object) -> str:
    """The catalog message ``key`` as HTML, its ``{when}`` a ``<time>`` element."""
    text = html.escape(t(key, lang, when=_MARK, **values))
    return text.replace(html.escape(_MARK), time_html(when))
