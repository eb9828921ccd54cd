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


@dataclass
class TrackGroup:
    """A track on the landing page: its modules in the track's order, with its hours."""

    id: str
    title: str
    summary: str
    meta: str
    entries: list[LandingEntry] = field(default_factory=list)
    # The certification crosswalk: (C3 role or skill, hours, module titles), and the gaps.
    crosswalk: list[tuple[str, str, str]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def track_groups(lang: str, prefix: str = "voila/render/") -> list[TrackGroup]:
    """The modules grouped by track, in each track's order; modules in no track come last."""
    from chwkit.learn.tracks import discover as discover_tracks

    by_id = {spec.id: spec for spec in modules_mod.discover()}
    groups, placed = [], set()
    for track in discover_tracks():
        specs = [by_id[m] for m in track.modules if m in by_id]
        if not specs:
            continue
        placed |= {s.id for s in specs}
        meta = t(
            "landing.track_meta",
            lang,
            level=t("level." + track.level, lang),
            hours=f"{track.hours:g}",
            n=len(specs),
        )
        groups.append(
            TrackGroup(
                id=track.id,
                title=track.title[lang],
                summary=track.summary[lang],
                meta=meta,
                entries=[_entry(s, lang, prefix) for s in specs],
                **_crosswalk(track, specs, lang),
            )
        )
    rest = [s for s in by_id.values() if s.id not in placed]
    if rest:
        groups.append(
            TrackGroup(
                id="other",
                title=t("landing.other_modules", lang),
                summary="",
                meta="",
                entries=[_entry(s, lang, prefix) for s in rest],
            )
        )
    return groups


def _crosswalk(track, specs, lang: str) -> dict:
    """Which of the track's modules serve each C3 role and skill, with hours (one computation:
    ``chwkit report coverage --track``'s)."""
    from chwkit.program.coverage import track_coverage

    titles = {s.id: s.title[lang] for s in specs}
    rows = track_coverage(track, specs)
    return {
        "crosswalk": [
            (
                r.competency.label(lang),
                f"{r.planned_hours:g}",
                "; ".join(titles[m] for m in r.planned_modules),
            )
            for r in rows
            if r.planned_modules
        ],
        "gaps": [r.competency.label(lang) for r in rows if not r.planned_modules],
    }


def module_entries(lang: str, prefix: str = "voila/render/") -> list[LandingEntry]:
    """One entry per module, in track order; ``href`` is ``prefix`` + the notebook's path."""
    return [entry for group in track_groups(lang, prefix) for entry in group.entries]


def _entry(spec, lang: str, prefix: str) -> LandingEntry:
    rel = spec.notebook.relative_to(paths.project_root()).as_posix()
    meta = [
        f"{t('module.level', lang)}: {t('level.' + spec.level, lang)}",
        f"{t('module.duration', lang)}: {t('module.minutes', lang, minutes=spec.duration_min)}",
        f"{t('module.roles', lang)}: " + "; ".join(t(f"c3.role.{r}", lang) for r in spec.c3_roles),
        f"{t('module.skills', lang)}: "
        + ", ".join(t(f"c3.skill.{s}", lang) for s in spec.c3_skills),
    ]
    return LandingEntry(
        title=spec.title[lang],
        href=f"{prefix}{rel}?lang={lang}",
        meta=meta,
        summary=spec.summary[lang],
    )


# Other areas add their own sections: module path -> (catalog key of the heading).
LANDING_SECTIONS = (
    ("chwkit.assess", "landing.assessments"),
    ("chwkit.forum", "landing.forums"),
    ("chwkit.program.landing", "landing.trainers"),
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
    for group in track_groups(lang, prefix=""):
        items.append(f"<h3>{html.escape(group.title)}</h3><p>{html.escape(group.meta)}</p><ul>")
        for entry in group.entries:
            href = entry.href.removeprefix("notebooks/")
            meta = "".join(f"<li>{html.escape(m)}</li>" for m in entry.meta)
            items.append(
                f"<li><a href='{html.escape(href)}'>{html.escape(entry.title)}</a>"
                f"<p>{html.escape(entry.summary)}</p><ul>{meta}</ul></li>"
            )
        items.append("</ul>")
    switch = " · ".join(
        f"<a href='?lang={code}' hreflang='{code}'>{html.escape(t('lang.name.' + code, code))}</a>"
        for code in LANGS
    )
    display(
        HTML(
            f"<h1>{html.escape(t('app.title', lang))}</h1><p>{switch}</p>"
            f"<h2>{html.escape(t('landing.modules', lang))}</h2><div class='chwkit-modules'>"
            + "".join(items)
            + "</div>"
        )
    )
