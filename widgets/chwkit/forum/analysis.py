"""What the analyst notebook calls: load the dataset, plot it, search it.

    from chwkit.forum import load_dataset
    ds = load_dataset()                  # the dataset ``chwkit forum build`` wrote
    ds.plot_kinds_over_time(); ds.plot_themes_over_time(); ds.plot_by_site()
    ds.search(theme="em_housing", words="transporte")

Tables are pandas DataFrames; their HTML view escapes text, so a contribution holding HTML
or a script shows as text.

With ``CHWKIT_FORUM_SAMPLE=1`` in the environment, ``load_dataset()`` always returns the
invented sample (tests and CI run the analyst notebook against it, whatever was built). The
sample is built once into ``<data dir>/forum_sample/`` and reused.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chwkit.core import nbstore, paths
from chwkit.core.i18n import normalize_lang, t
from chwkit.core.text import strip_accents
from chwkit.forum.model import KINDS

TABLES = ("sessions", "contributions", "contribution_themes", "codebook")
SAMPLE_ENV = "CHWKIT_FORUM_SAMPLE"
SAMPLE_VERSION = 2  # bump when the sample's content changes
# The sample holds markup, as a facilitator could type it: it must show as text.
SAMPLE_MARKUP_TEXT = (
    "<script>alert(1)</script> el transporte <b>no llega</b> a tiempo y las familias pierden "
    "la cita."
)


class DatasetMissing(FileNotFoundError):
    """No built dataset where one was expected."""


def _fold(text: str) -> str:
    return strip_accents(text).casefold()


@dataclass
class Dataset:
    sessions: pd.DataFrame
    contributions: pd.DataFrame
    contribution_themes: pd.DataFrame
    codebook: pd.DataFrame
    folder: Path
    lang: str = "es"
    is_sample: bool = False

    # -- shapes ---------------------------------------------------------------------------------
    def label(self, code: str) -> str:
        row = self.codebook.loc[self.codebook["code"] == code]
        return str(row[f"label_{self.lang}"].iloc[0]) if len(row) else code

    def contributions_by_session(self) -> pd.DataFrame:
        """Contributions with their session's date and site, and the kind's label."""
        df = self.contributions.merge(
            self.sessions[["session_id", "date", "site"]], on="session_id", how="left"
        )
        df["date"] = pd.to_datetime(df["date"])
        df["kind_label"] = df["kind"].map({k: t(f"forum.kind.{k}", self.lang) for k in KINDS})
        return df

    def themes_long(self) -> pd.DataFrame:
        """One row per contribution and theme, with the theme's label, parent and source."""
        labels = self.codebook.set_index("code")
        df = self.contribution_themes.merge(
            self.contributions_by_session()[["contribution_id", "date", "site", "kind"]],
            on="contribution_id",
        )
        df["theme_label"] = df["theme_code"].map(labels[f"label_{self.lang}"])
        df["parent"] = df["theme_code"].map(labels["parent"])
        df["source"] = df["theme_code"].map(labels["source"])
        return df

    def summary(self) -> pd.DataFrame:
        df = self.contributions_by_session()
        return df.groupby(["site", "kind_label"]).size().unstack(fill_value=0).sort_index()

    # -- plots ----------------------------------------------------------------------------------
    def _quarter(self, dates: pd.Series) -> pd.Series:
        return dates.dt.to_period("Q").dt.start_time

    def plot_kinds_over_time(self, ax=None):
        """Contributions per quarter, stacked by kind."""
        import matplotlib.pyplot as plt

        df = self.contributions_by_session()
        table = (
            df.assign(quarter=self._quarter(df["date"]))
            .groupby(["quarter", "kind_label"])
            .size()
            .unstack(fill_value=0)
        )
        ax = ax or plt.subplots(figsize=(9, 4))[1]
        if not table.empty:
            table.index = table.index.strftime("%Y-%m")
            table.plot.bar(stacked=True, ax=ax, width=0.85)
        ax.set_title(t("forum.analysis.kinds_over_time", self.lang))
        ax.set_xlabel(t("forum.analysis.quarter", self.lang))
        ax.set_ylabel(t("forum.analysis.contributions", self.lang))
        return ax

    def plot_themes_over_time(self, top: int = 8, ax=None):
        """The ``top`` most frequent themes, contributions per quarter."""
        import matplotlib.pyplot as plt

        df = self.themes_long()
        ax = ax or plt.subplots(figsize=(9, 4))[1]
        if not df.empty:
            keep = df["theme_label"].value_counts().index[:top]
            table = (
                df[df["theme_label"].isin(keep)]
                .assign(quarter=self._quarter(df["date"]))
                .groupby(["quarter", "theme_label"])
                .size()
                .unstack(fill_value=0)
            )
            table.plot(ax=ax, marker="o")
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
        ax.set_title(t("forum.analysis.themes_over_time", self.lang))
        ax.set_xlabel(t("forum.analysis.quarter", self.lang))
        ax.set_ylabel(t("forum.analysis.contributions", self.lang))
        return ax

    def plot_by_site(self, by: str = "source", ax=None):
        """Theme mentions per site, stacked by the codebook's ``source`` (or ``parent``)."""
        import matplotlib.pyplot as plt

        df = self.themes_long()
        ax = ax or plt.subplots(figsize=(9, 4))[1]
        if not df.empty:
            groups = df[by].fillna("—")
            if by == "parent":
                groups = groups.map(lambda code: self.label(code) if code != "—" else code)
            table = df.assign(group=groups).groupby(["site", "group"]).size().unstack(fill_value=0)
            table.plot.barh(stacked=True, ax=ax)
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
        ax.set_title(t("forum.analysis.by_site", self.lang))
        ax.set_xlabel(t("forum.analysis.mentions", self.lang))
        ax.set_ylabel("")
        return ax

    # -- search ---------------------------------------------------------------------------------
    def theme_codes(self, theme: str) -> set[str]:
        """Codes matching ``theme`` (a code or part of a label), with their descendants."""
        cb = self.codebook
        needle = _fold(theme)
        hits = set(cb.loc[cb["code"] == theme, "code"])
        if not hits:
            for col in ("label_es", "label_en"):
                hits |= set(cb.loc[cb[col].map(_fold).str.contains(needle, regex=False), "code"])
        children = cb.groupby(cb["parent"].fillna(""))["code"].apply(list).to_dict()
        todo = list(hits)
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in hits:
                    hits.add(child)
                    todo.append(child)
        return hits

    def search(self, theme: str | None = None, words: str | None = None) -> pd.DataFrame:
        """Contributions tagged with ``theme`` and holding every one of ``words``
        (accents and case ignored), newest first."""
        df = self.contributions_by_session()
        if theme:
            codes = self.theme_codes(theme)
            ids = self.contribution_themes.loc[
                self.contribution_themes["theme_code"].isin(codes), "contribution_id"
            ]
            df = df[df["contribution_id"].isin(set(ids))]
        if words:
            folded = df["text"].map(_fold)
            for word in re.findall(r"\w+", _fold(words)):
                folded_mask = folded.str.contains(word, regex=False)
                df, folded = df[folded_mask], folded[folded_mask]
        labels = self.codebook.set_index("code")[f"label_{self.lang}"]
        themes = (
            self.contribution_themes.assign(label=lambda x: x["theme_code"].map(labels))
            .groupby("contribution_id")["label"]
            .apply("; ".join)
        )
        out = df.assign(themes=df["contribution_id"].map(themes))
        columns = ["date", "site", "kind_label", "themes", "pseudonym", "text"]
        # Newest first; within a session, the last recorded first (a stable, repeatable order).
        out = out.sort_values(["date", "created"], ascending=False, kind="stable")
        return out[columns].reset_index(drop=True)


def read_dataset(folder: Path, lang: str = "es", is_sample: bool = False) -> Dataset:
    folder = Path(folder)
    if not (folder / "datapackage.json").is_file():
        raise DatasetMissing(f"no forum dataset in {folder}: run `chwkit forum build` first")
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return Dataset(**tables, folder=folder, lang=normalize_lang(lang) or "es", is_sample=is_sample)


def build_sample(folder: Path, sessions: int = 24, per_session: int = 12, seed: int = 7) -> Path:
    """Invent sessions in ``folder/forum_sessions`` and build them into ``folder/dataset``.

    The newest session also holds one contribution whose text is markup
    (``SAMPLE_MARKUP_TEXT``): the analyst notebook shows that it is displayed as text.
    """
    from chwkit.forum.codebook import codebook
    from chwkit.forum.dataset import build
    from chwkit.forum.model import make_contribution
    from chwkit.forum.privacy import text_digest
    from chwkit.forum.sample import generate
    from chwkit.forum.session import TEMPLATE_NAME, save_contribution, template_path

    folder = Path(folder)
    sessions_dir = folder / "forum_sessions"
    sessions_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(template_path(), sessions_dir / TEMPLATE_NAME)
    written = generate(sessions_dir, sessions, per_session, seed=seed)
    newest = max(written)  # files are named <date>_<site>
    markup = make_contribution(
        {
            "uuid": "00000000-0000-4000-a000-00000000b0b0",
            "pseudonym": "P99",
            "role": "chw",
            "kind": "challenge",
            "themes": ["em_transportation"],
            "language": "es",
            "text": SAMPLE_MARKUP_TEXT,
            "consent": {"dataset": True, "quote": True, "share_outside": False},
            "flag_check": text_digest(SAMPLE_MARKUP_TEXT),
            "recorded_by": "fac-1",
            "created": f"{newest.name[:10]}T23:59:00Z",
        },
        codebook(),
    )
    save_contribution(newest, markup)
    build(forum_dir=sessions_dir, out_dir=folder / "dataset", progress=False)
    return folder / "dataset"


def sample_dir() -> Path:
    """Where the invented sample is built and kept (in the data directory, git-ignored)."""
    return paths.data_dir() / "forum_sample"


def cached_sample() -> Path:
    """The invented sample's dataset folder, built on first use and reused after that."""
    from chwkit.forum.dataset import _codebook_key

    root = sample_dir()
    stamp = f"{SAMPLE_VERSION}:{_codebook_key()}"
    with nbstore.locked(root, timeout=300):  # two notebooks starting at once build it once
        stamp_file = root / "stamp"
        fresh = stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp
        if fresh and (root / "dataset" / "datapackage.json").is_file():
            return root / "dataset"
        shutil.rmtree(root, ignore_errors=True)
        build_sample(root)
        stamp_file.write_text(stamp, encoding="utf-8")
    return root / "dataset"


def sample_forced() -> bool:
    return os.environ.get(SAMPLE_ENV, "").strip() == "1"


def load_dataset(
    folder: Path | str | None = None, lang: str = "es", sample_if_missing: bool = False
) -> Dataset:
    """The built dataset (default: the data directory's), or the invented sample, flagged as
    such: when ``sample_if_missing`` and nothing is built, or when ``CHWKIT_FORUM_SAMPLE=1``
    (and no ``folder`` was given)."""
    from chwkit.forum.dataset import dataset_dir

    forced = folder is None and sample_forced()
    folder = Path(folder) if folder else dataset_dir()
    if not forced and ((folder / "datapackage.json").is_file() or not sample_if_missing):
        return read_dataset(folder, lang)
    sample = cached_sample()
    if forced:
        print(t("forum.analysis.sample_forced", lang, variable=SAMPLE_ENV))
    else:
        print(t("forum.analysis.sample_notice", lang, folder=str(folder)))
    return read_dataset(sample, lang, is_sample=True)
