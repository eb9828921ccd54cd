"""The analyst's view: a sample with something to show over time, by site and by session type,
and plots and tables that carry labels in the notebook's language, never codes or column names.
"""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from chwkit.core.i18n import LANGS, t
from chwkit.forum.analysis import Dataset, build_sample, read_dataset
from chwkit.forum.codebook import SOURCES, codebook
from chwkit.forum.model import KINDS, SESSION_TYPES
from chwkit.forum.sample import EVENT_THEMES, RISING

matplotlib.use("Agg")
PLOTS = ("plot_kinds_over_time", "plot_themes_over_time", "plot_by_site",
         "plot_themes_by_session_type")  # fmt: skip


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHWKIT_HOME", str(tmp_path_factory.mktemp("home")))
        return build_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(params=LANGS)
def ds(request, sample_folder) -> Dataset:
    return read_dataset(sample_folder, request.param, is_sample=True)


def one_line(text: str) -> str:
    return " ".join(text.split())  # legend entries and categories may be wrapped


def codes_and_columns(ds: Dataset) -> set[str]:
    """Everything a plot must not show: codes, and the column names of every table."""
    names = set(codebook().themes) | set(SOURCES) | set(KINDS) | set(SESSION_TYPES)
    for frame in (ds.sessions, ds.contributions, ds.contribution_themes, ds.codebook,
                  ds.contributions_by_session(), ds.themes_long()):  # fmt: skip
        names |= set(frame.columns)
    return names | {"group", "quarter", "label", "None", "nan"}


def allowed_legend(ds: Dataset, plot: str, by: str | None) -> set[str]:
    lang = ds.lang
    if plot == "plot_kinds_over_time":
        return {t(f"forum.kind.{k}", lang) for k in KINDS}
    if plot == "plot_themes_over_time":
        return {theme.label(lang) for theme in codebook().themes.values()}
    if plot == "plot_themes_by_session_type":
        return {t(f"forum.session_type.{x}", lang) for x in SESSION_TYPES}
    if by == "source":
        return {ds.source_label(s) for s in SOURCES}
    return {theme.label(lang) for theme in codebook().themes.values()} | {
        t("forum.analysis.no_group", lang)
    }


def texts_of(ax) -> dict[str, list[str]]:
    legend = ax.get_legend()
    return {
        "axes": [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()],
        "legend_title": [legend.get_title().get_text()] if legend else [],
        "legend": [one_line(x.get_text()) for x in legend.get_texts()] if legend else [],
        "ticks": [one_line(x.get_text()) for x in ax.get_xticklabels() + ax.get_yticklabels()],
    }


def test_the_sample_spans_18_months_several_sites_and_every_session_type(sample_folder):
    ds = read_dataset(sample_folder, "es", is_sample=True)
    dates = pd.to_datetime(ds.sessions["date"])
    first, last = dates.min(), dates.max()
    months = (last.year - first.year) * 12 + last.month - first.month
    assert months >= 18, (first, last)
    assert dates.dt.to_period("Q").nunique() >= 7  # "over time" is more than one bar
    assert ds.sessions["site"].nunique() >= 6
    assert ds.sessions["site"].map(ds.sessions["site"].value_counts()).min() >= 2
    assert set(ds.sessions["session_type"]) == set(SESSION_TYPES)
    by_type = ds.contributions_by_session()["session_type"].value_counts()
    assert all(by_type[x] > 20 for x in SESSION_TYPES)
    # every quarter from the first to the last has sessions: a time axis without holes
    quarters = dates.dt.to_period("Q")
    assert set(pd.period_range(quarters.min(), quarters.max(), freq="Q")) == set(quarters)
    # each new migration-and-health theme is in the sample
    themes = set(ds.contribution_themes["theme_code"])
    assert {"em_life_course", "em_health_system_mx", "em_health_system_us",
            "em_occupational_health", "em_grief"} <= themes  # fmt: skip


def test_the_sample_changes_over_time_and_by_session_type(sample_folder):
    ds = read_dataset(sample_folder, "en", is_sample=True)
    long = ds.themes_long()
    rising = long["theme_code"].isin(RISING)
    first_half = long["date"] < long["date"].min() + (long["date"].max() - long["date"].min()) / 2
    early, late = rising[first_half].mean(), rising[~first_half].mean()
    assert late > 1.5 * early, (early, late)
    events = long["theme_code"].isin(EVENT_THEMES)
    forum = events[long["session_type"] == "forum"].mean()
    for kind in ("conference", "exchange"):
        assert events[long["session_type"] == kind].mean() > 2 * forum, kind


@pytest.mark.parametrize(
    "plot, by",
    [(p, None) for p in PLOTS if p != "plot_by_site"]
    + [
        ("plot_by_site", "source"),
        ("plot_by_site", "parent"),
        ("plot_themes_by_session_type", "parent"),
    ],  # fmt: skip
)
def test_plots_carry_labels_in_the_notebooks_language_not_codes(ds, plot, by):
    kwargs = {"by": by} if by else {}
    ax = getattr(ds, plot)(**kwargs)
    try:
        texts = texts_of(ax)
    finally:
        matplotlib.pyplot.close("all")
    forbidden = codes_and_columns(ds)
    shown = [x for group in texts.values() for x in group]
    assert all(x.strip() for x in texts["axes"] + texts["legend_title"]), texts
    assert texts["legend"], "every plot has a legend"
    assert not [x for x in shown if x in forbidden], texts
    assert not [x for x in shown if "_" in x], texts  # codes and column names have "_"
    assert set(texts["legend"]) <= allowed_legend(ds, plot, by), texts["legend"]
    assert texts["legend_title"][0] in {
        t(f"forum.analysis.{key}", ds.lang) for key in ("kind", "theme", "source", "group",
                                                        "session_type")
    }  # fmt: skip
    if plot == "plot_themes_by_session_type":  # the categories are themes (or groups) too
        categories = {one_line(x.get_text()) for x in ax.get_yticklabels()}
        assert categories <= allowed_legend(ds, "plot_by_site", "parent"), categories
        assert len(categories) >= 5
    if plot in ("plot_kinds_over_time", "plot_themes_over_time"):
        word = {"es": "T", "en": "Q"}[ds.lang]
        ticks = [x.get_text() for x in ax.get_xticklabels()]
        assert len(ticks) >= 7 and all(x.startswith(word) for x in ticks), ticks


def test_the_two_languages_label_the_same_plot_differently(sample_folder):
    legends = {}
    for lang in LANGS:
        ax = read_dataset(sample_folder, lang).plot_themes_by_session_type()
        legends[lang] = [x.get_text() for x in ax.get_legend().get_texts()]
        matplotlib.pyplot.close("all")
    assert legends == {
        "es": ["Foro mensual", "Conferencia", "Intercambio"],
        "en": ["Monthly forum", "Conference", "Exchange"],
    }


def test_themes_by_session_type_shows_shares_of_each_type(sample_folder):
    ds = read_dataset(sample_folder, "en")
    ax = ds.plot_themes_by_session_type(top=len(codebook()))
    matplotlib.pyplot.close("all")
    long = ds.themes_long()
    # all themes shown: each session type's bars add up to 100 %
    bars = ax.patches
    per_type = len(bars) // len(SESSION_TYPES)
    for i in range(len(SESSION_TYPES)):
        shown = sum(b.get_width() for b in bars[i * per_type : (i + 1) * per_type])
        assert shown == pytest.approx(100.0)
    assert per_type == long["theme_code"].nunique()


def test_tables_for_people_are_headed_by_labels(ds):
    forbidden = codes_and_columns(ds)
    summary = ds.summary()
    assert summary.index.name == t("forum.analysis.col.site", ds.lang)
    assert summary.columns.name == t("forum.analysis.kind", ds.lang)
    assert list(summary.columns) == [t(f"forum.kind.{k}", ds.lang) for k in KINDS]
    by_type = ds.sessions_by_type()
    assert list(by_type.index) == [t(f"forum.session_type.{x}", ds.lang) for x in SESSION_TYPES]
    assert by_type.iloc[:, 0].sum() == len(ds.sessions)
    assert by_type.iloc[:, 1].sum() == len(ds.contributions)
    hits = ds.labelled(ds.search(words="transporte"))
    view = ds.codebook_view()
    for table in (summary, by_type, hits, view):
        headers = [*table.columns, table.index.name, table.columns.name]
        assert not [h for h in headers if h in forbidden], headers
    assert t("forum.analysis.col.text", ds.lang) in hits.columns
    assert set(hits[t("forum.analysis.session_type", ds.lang)]) <= {
        t(f"forum.session_type.{x}", ds.lang) for x in SESSION_TYPES
    }
    row = view[view[t("forum.analysis.col.code", ds.lang)] == "em_grief"].iloc[0]
    assert row[t("forum.analysis.theme", ds.lang)] == codebook()["em_grief"].label(ds.lang)
    assert row[t("forum.analysis.col.definition", ds.lang)] == codebook()["em_grief"].definition(
        ds.lang
    )


def test_a_dataset_built_before_session_types_reads_as_forums(sample_folder):
    ds = read_dataset(sample_folder, "en")
    old = Dataset(
        ds.sessions.drop(columns=["session_type"]),
        ds.contributions,
        ds.contribution_themes,
        ds.codebook,
        ds.folder,
        "en",
    )
    assert set(old.sessions["session_type"]) == {"forum"}
    assert set(old.contributions_by_session()["session_type_label"]) == {"Monthly forum"}
    ax = old.plot_themes_by_session_type()
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["Monthly forum"]
    matplotlib.pyplot.close("all")
