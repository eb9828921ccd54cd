"""The page language as a trait: one rule for every bilingual widget and page.

``lang = Lang()`` accepts the kit's languages and turns anything else (a value a browser
sent, an empty string) into the default, so no widget needs a validator of its own.
"""

from __future__ import annotations

from traitlets import Unicode

from chwkit.core.i18n import DEFAULT_LANG, LANGS


class Lang(Unicode):
    """A language code of the kit (``es`` or ``en``); any other value becomes the default."""

    default_value = DEFAULT_LANG
    info_text = f"one of {', '.join(LANGS)}"

    def validate(self, obj, value):
        value = super().validate(obj, value) if isinstance(value, str) else ""
        return value if value in LANGS else DEFAULT_LANG
