"""``chwkit forum`` commands, the landing page entries and the analyst helpers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from chwkit.cli import main
from chwkit.forum import landing_entries, load_dataset
from chwkit.forum.analysis import DatasetMissing
from chwkit.forum.sample import generate
from chwkit.forum.session import save_contribution

from .conftest import contribution

REPO = Path(__file__).resolve().parents[2]


def test_forum_new_creates_the_session(project, capsys):
    args = ["forum", "new", "--date", "2026-11-05", "--site", "mission", "--topic", "Cobertura",
            "--facilitator", "fac-1"]  # fmt: skip
    assert main(args) == 0
    assert (project / "forum_sessions" / "2026-11-05_mission.ipynb").is_file()
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--date", "2026-02-30", "is not valid: use YYYY-MM-DD"),
        ("--site", "Mission District", "lowercase letters, digits and hyphens"),
        ("--language", "fr", "use es or en"),
        ("--facilitator", "a/b", "roster id"),
    ],
)
def test_forum_new_explains_bad_values(project, capsys, flag, value, message):
    args = {"--date": "2026-11-05", "--site": "mission", "--topic": "T", "--facilitator": "f1"}
    args[flag] = value
    argv = ["forum", "new", *[x for pair in args.items() for x in pair]]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_forum_new_warns_about_a_facilitator_missing_from_the_roster(project, capsys):
    from chwkit.assess import roster

    roster.add("fac-1", role="facilitator")
    argv = ["forum", "new", "--date", "2026-11-05", "--site", "x1", "--topic", "T",
            "--facilitator", "fac-9"]  # fmt: skip
    assert main(argv) == 0
    assert "fac-9 is not in the roster" in capsys.readouterr().err


def test_forum_build_prints_the_summary(project, capsys):
    generate(project / "forum_sessions", sessions=2, per_session=3)
    assert main(["forum", "build", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 sessions" in out and "left out:" in out


def test_landing_lists_sessions_as_links_newest_first(forum_dir):
    written = generate(forum_dir, sessions=3, per_session=2)
    entries = landing_entries("es")
    assert [e["href"] for e in entries] == [
        f"voila/render/forum_sessions/{p.name}?lang=es" for p in reversed(written)
    ]
    assert [p.name for p in written] == [
        "2023-07-01_mission.ipynb",
        "2024-02-29_tenderloin.ipynb",
        "2024-10-29_excelsior.ipynb",
    ]
    assert entries[0]["title"] == "Foro del 2024-10-29 (excelsior)"
    assert "2 aportes" in entries[0]["meta"]
    assert all("_template" not in e["href"] for e in entries)


def test_landing_count_leaves_out_withdrawn_contributions(session_file):
    from chwkit.forum.session import withdraw_contribution

    saved = [save_contribution(session_file, contribution()) for _ in range(3)]
    withdraw_contribution(session_file, saved[0].uuid)
    [entry] = landing_entries("es")
    assert entry["meta"] == "Sitio: mission · Tema: Cobertura · 2 aportes"
    withdraw_contribution(session_file, saved[1].uuid)
    assert landing_entries("es")[0]["meta"].endswith("· 1 aporte")
    assert landing_entries("en")[0]["meta"] == "Site: mission · Topic: Cobertura · 1 contribution"


def test_analyst_helpers_on_a_built_dataset(forum_dir):
    written = generate(forum_dir, sessions=9, per_session=10, seed=2)
    mission = written[0]
    planted = save_contribution(
        mission,
        contribution(
            text="<script>alert(1)</script> el transporte falla", themes=["em_transportation"]
        ),
    )
    also = save_contribution(
        written[1],
        contribution(text="Sin TRANSPORTE no llegan a la cita.", themes=["em_transportation"]),
    )
    # one without the word, one without the theme: neither is found
    save_contribution(
        mission, contribution(text="El autobús no pasa.", themes=["em_transportation"])
    )
    save_contribution(mission, contribution(text="El transporte es caro.", themes=["em_housing"]))
    from chwkit.forum.dataset import build

    build(progress=False)
    ds = load_dataset(lang="en")
    c = ds.contributions

    # search: exactly the rows tagged em_transportation whose text holds "transporte"
    tagged = set(
        ds.contribution_themes.loc[
            ds.contribution_themes["theme_code"] == "em_transportation", "contribution_id"
        ]
    )
    has_word = c["text"].str.lower().str.contains("transporte")
    expected = c[c["contribution_id"].isin(tagged) & has_word]
    assert {planted.uuid, also.uuid} <= set(expected["contribution_id"])
    hits = ds.search(theme="em_transportation", words="TRANSPORTE")
    assert sorted(hits["text"]) == sorted(expected["text"])
    assert "El autobús no pasa." not in set(hits["text"])
    assert "El transporte es caro." not in set(hits["text"])
    assert list(hits.columns) == ["date", "site", "session_type_label", "kind_label", "themes",
                                  "pseudonym", "text"]  # fmt: skip
    assert list(hits["date"]) == sorted(hits["date"], reverse=True)  # newest first
    mine = hits[hits["text"] == planted.text].iloc[0]
    assert (mine["site"], mine["kind_label"], mine["pseudonym"]) == ("mission", "Challenge", "P07")
    assert mine["session_type_label"] == "Monthly forum"
    assert mine["themes"] == "Transportation"
    assert "<script>alert" not in hits.to_html() and "&lt;script&gt;" in hits.to_html()
    assert ds.search(theme="em_transportation", words="nada parecido").empty

    # a theme by part of its label takes its subthemes
    sdoh = {"em_sdoh", "em_housing", "em_food_insecurity", "em_employment_income",
            "em_violence_safety"}  # fmt: skip
    assert ds.theme_codes("em_access") >= {"em_access", "em_transportation"}
    assert ds.theme_codes("Social determinants") == sdoh
    by_label = ds.search(theme="Social determinants")
    sdoh_ids = set(
        ds.contribution_themes.loc[
            ds.contribution_themes["theme_code"].isin(sdoh), "contribution_id"
        ]
    )
    assert len(by_label) == len(sdoh_ids) > 0
    labels = {"Housing", "Food insecurity", "Employment and income", "Violence and safety"}
    assert all(labels & set(row.split("; ")) for row in by_label["themes"])

    import matplotlib

    matplotlib.use("Agg")
    # kinds over time: stacked bars, one series per kind, heights add up to every contribution
    ax = ds.plot_kinds_over_time()
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "Contributions per quarter, by kind", "Quarter", "Contributions")  # fmt: skip
    kinds = {"Experience", "Challenge", "Best practice", "Question", "Reflection"}
    assert {t.get_text() for t in ax.get_legend().get_texts()} <= kinds
    assert sum(bar.get_height() for bar in ax.patches) == len(c)
    first, last = ds.contributions_by_session()["date"].agg(["min", "max"]).dt.to_period("Q")
    quarters = [f"Q{q.quarter} {q.year}" for q in pd.period_range(first, last, freq="Q")]
    assert [t.get_text() for t in ax.get_xticklabels()] == quarters  # empty quarters too
    assert ax.get_legend().get_title().get_text() == "Kind of contribution"

    # themes over time: one line per theme, the `top` most frequent
    ax = ds.plot_themes_over_time(top=3)
    assert ax.get_title() == "Most frequent themes per quarter"
    assert ax.get_ylabel() == "Contributions"
    long = ds.themes_long()
    top3 = list(long["theme_label"].value_counts().index[:3])
    assert len(ax.get_lines()) == 3
    assert sorted(" ".join(t.get_text().split()) for t in ax.get_legend().get_texts()) == sorted(
        top3
    )
    assert ax.get_legend().get_title().get_text() == "Theme"
    assert (
        sum(line.get_ydata().sum() for line in ax.get_lines())
        == long["theme_label"].isin(top3).sum()
    )

    # by site, grouped by codebook parent: one bar row per site, parents' labels in the legend
    ax = ds.plot_by_site(by="parent")
    assert (ax.get_title(), ax.get_xlabel()) == ("Themes by site", "Theme mentions")
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(set(ds.sessions["site"]))
    parents = {ds.label(code) for code in long["parent"].dropna()}
    assert {" ".join(t.get_text().split()) for t in ax.get_legend().get_texts()} == parents
    assert (ax.get_ylabel(), ax.get_legend().get_title().get_text()) == ("Site", "Theme group")
    assert sum(bar.get_width() for bar in ax.patches) == len(long)
    matplotlib.pyplot.close("all")


def test_load_dataset_says_when_there_is_none(project, monkeypatch, capsys):
    from chwkit.core import paths
    from chwkit.forum import analysis

    monkeypatch.delenv("CHWKIT_FORUM_SAMPLE", raising=False)
    with pytest.raises(DatasetMissing, match="chwkit forum build"):
        load_dataset()
    sample = load_dataset(sample_if_missing=True)
    assert sample.is_sample and len(sample.sessions) == 36
    assert "DATOS INVENTADOS" in capsys.readouterr().out
    # Built once, under the data directory (no temporary folder left behind), then reused.
    assert sample.folder == paths.data_dir() / "forum_sample" / "dataset"
    monkeypatch.setattr(analysis, "build_sample", lambda folder: pytest.fail("rebuilt"))
    again = load_dataset(sample_if_missing=True, lang="en")
    assert again.is_sample and again.contributions.equals(sample.contributions)


def test_the_sample_env_var_wins_over_a_built_dataset(forum_dir, monkeypatch, capsys):
    from chwkit.forum.analysis import SAMPLE_MARKUP_TEXT
    from chwkit.forum.dataset import build

    generate(forum_dir, sessions=2, per_session=3)
    build(progress=False)
    assert len(load_dataset().sessions) == 2 and not load_dataset().is_sample
    monkeypatch.setenv("CHWKIT_FORUM_SAMPLE", "1")
    ds = load_dataset(lang="en")
    assert ds.is_sample and len(ds.sessions) == 36
    assert "CHWKIT_FORUM_SAMPLE=1: showing an INVENTED SAMPLE" in capsys.readouterr().out
    assert SAMPLE_MARKUP_TEXT in set(ds.contributions["text"])
    assert ds.search(words="transporte").iloc[0]["text"] == SAMPLE_MARKUP_TEXT  # newest first
    assert len(load_dataset(folder=ds.folder.parent.parent / "forum_dataset").sessions) == 2


def test_the_analyst_notebook_runs_on_the_sample_and_shows_markup_as_text(forum_dir, monkeypatch):
    """What nbval runs with CHWKIT_FORUM_SAMPLE=1: the sample, whatever dataset exists, and
    the contribution holding <script> and <b> shown escaped in the search table."""
    import nbformat
    from nbclient import NotebookClient

    from chwkit.forum.dataset import build

    generate(forum_dir, sessions=2, per_session=3)  # a real dataset the notebook must not use
    build(progress=False)
    monkeypatch.setenv("CHWKIT_FORUM_SAMPLE", "1")
    nb = nbformat.read(REPO / "notebooks" / "forum_analysis.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=300, resources={"metadata": {"path": str(REPO / "notebooks")}}
    ).execute()
    outputs = {"".join(cell.source): cell.outputs for cell in nb.cells if cell.cell_type == "code"}
    assert not any(o.output_type == "error" for outs in outputs.values() for o in outs)
    printed = "".join(o.get("text", "") for o in next(iter(outputs.values())))
    assert "36 sesiones" in printed and "(EJEMPLO INVENTADO)" in printed
    [search] = [src for src in outputs if 'words="transporte"' in src]
    html = "".join(o.data["text/html"] for o in outputs[search] if "text/html" in o.get("data", {}))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;no llega&lt;/b&gt;" in html
    # No HTML output of any cell holds the markup raw (text/plain may: it is never rendered).
    every_html = "".join(
        o.data["text/html"]
        for outs in outputs.values()
        for o in outs
        if "text/html" in o.get("data", {})
    )
    assert every_html.count("&lt;script&gt;alert(1)") >= 1
    assert "<script>alert(1)" not in every_html and "<b>no llega" not in every_html


@pytest.mark.parametrize(
    "path", ["notebooks/forum_analysis.ipynb", "forum_sessions/_template.ipynb"]
)
def test_forum_notebooks_are_committed_without_outputs(path):
    nb = json.loads((REPO / path).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
