"""Printed pages (the work plan, a module for a group without devices): Jinja templates in
``serve/share/chwkit/print/`` that extend the kit's page template (``pages/base.html``), so
paper looks like the pages; laid out as PDF by ``chwkit.core.pdf``, offline."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import jinja2

from chwkit.core import paths, pdf
from chwkit.core.i18n import LANGS, t


def print_dir() -> Path:
    return paths.package_dir() / "serve" / "share" / "chwkit" / "print"


@cache
def _env() -> jinja2.Environment:
    pages = paths.package_dir() / "serve" / "share" / "chwkit" / "pages"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(print_dir()), str(pages)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["long_date"] = long_date
    return env


def long_date(day: dt.date | None, lang: str) -> str:
    """``martes 11 de julio de 2023`` / ``Tuesday, July 11, 2023``."""
    if day is None:
        return "—"
    return t(
        "plan.date",
        lang,
        weekday=t(f"plan.weekday.{day.weekday()}", lang),
        day=day.day,
        month=t(f"plan.month.{day.month}", lang),
        year=day.year,
    )


def render(template: str, lang: str, **context: object) -> str:
    """The HTML of a printed page in ``lang``."""
    return _env().get_template(template).render(lang=lang, langs=LANGS, t=t, **context)


def to_pdf(html: str, base: Path | None = None) -> bytes:
    """The PDF of a printed page; relative links (a module's images) resolve inside ``base``
    (default: the print templates' folder) and nowhere else."""
    return pdf.pdf_bytes(html, base=base or print_dir())
