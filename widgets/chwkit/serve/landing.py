"""The list of modules (and other areas' pages) a learner chooses from.

Served as the learner server's landing page, and shown by ``notebooks/index.ipynb`` where the
kit runs as a Jupyter server extension (Binder, JupyterHub), with real ``<a href>`` links.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass, field

from chwkit.core import paths
from chwkit.core.i18n import LANGS, catalog, t
from chwkit.learn import spec as modules_mod


@dataclass
class LandingEntry:
    title: str
    href: str
    meta: list[str] = field(default_factory=list)
    summary: str = ""


def module_entries(lang: str, prefix: str = "voila/render/") -> list[LandingEntry]:
    """One entry per module; ``href`` is ``prefix`` + the notebook's path from the root."""
    entries = []
    for spec in modules_mod.discover():
        rel = spec.notebook.relative_to(paths.project_root()).as_posix()
        meta = [
            f"{t('module.level', lang)}: {t('level.' + spec.level, lang)}",
            f"{t('module.duration', lang)}: {t('module.minutes', lang, minutes=spec.duration_min)}",
            f"{t('module.roles', lang)}: "
            + "; ".join(t(f"c3.role.{r}", lang) for r in spec.c3_roles),
            f"{t('module.skills', lang)}: "
            + ", ".join(t(f"c3.skill.{s}", lang) for s in spec.c3_skills),
        ]
        entries.append(
            LandingEntry(
                title=spec.title[lang],
                href=f"{prefix}{rel}?lang={lang}",
                meta=meta,
                summary=spec.summary[lang],
            )
        )
    return entries


# Other areas add their own sections: module path -> (catalog key of the heading).
LANDING_SECTIONS = (
    ("chwkit.assess", "landing.assessments"),
    ("chwkit.forum", "landing.forums"),
)


def extra_sections(lang: str) -> list[tuple[str, list[LandingEntry]]]:
    sections = []
    for module_name, heading_key in LANDING_SECTIONS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        provider = getattr(module, "landing_entries", None)
        if provider is None:
            continue
        entries = [
            LandingEntry(
                title=str(e.get("title", "")),
                href=str(e.get("href", "")),
                meta=[str(e["meta"])] if e.get("meta") else [],
            )
            for e in provider(lang)
        ]
        if entries:
            heading = t(heading_key, lang) if heading_key in catalog() else module_name
            sections.append((heading, entries))
    return sections


def show(lang: str | None = None) -> None:
    """Display the module list in a notebook (links relative to ``notebooks/index.ipynb``)."""
    from IPython.display import HTML, display

    from chwkit.core.request import page_lang

    lang = lang or page_lang()
    items = []
    for entry in module_entries(lang, prefix=""):
        href = entry.href.removeprefix("notebooks/")
        meta = "".join(f"<li>{html.escape(m)}</li>" for m in entry.meta)
        items.append(
            f"<li><a href='{html.escape(href)}'>{html.escape(entry.title)}</a>"
            f"<p>{html.escape(entry.summary)}</p><ul>{meta}</ul></li>"
        )
    switch = " · ".join(
        f"<a href='?lang={code}' hreflang='{code}'>{html.escape(t('lang.name.' + code, code))}</a>"
        for code in LANGS
    )
    display(
        HTML(
            f"<h1>{html.escape(t('app.title', lang))}</h1><p>{switch}</p>"
            f"<h2>{html.escape(t('landing.modules', lang))}</h2><ul class='chwkit-modules'>"
            + "".join(items)
            + "</ul>"
        )
    )
