"""What the analyst notebook calls: load the dataset, plot it, search it.

    from chwkit.forum import load_dataset
    ds = load_dataset(lang="es")         # the dataset ``chwkit forum build`` wrote
    ds.plot_kinds_over_time(); ds.plot_themes_over_time(); ds.plot_by_site()
    ds.plot_themes_by_session_type()
    ds.labelled(ds.search(theme="em_housing", words="transporte"))

Codes are stored, labels shown: every title, axis label, legend and category on a plot is the
codebook's or the catalog's label in the dataset's ``lang``, never a code or a column name.
``labelled`` gives a table the same headers for display; code keeps the stable column names.

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
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from chwkit.core import nbstore, paths
from chwkit.core.i18n import normalize_lang, t
from chwkit.core.text import strip_accents
from chwkit.forum.model import DEFAULT_SESSION_TYPE, KINDS, SESSION_TYPES

TABLES = ("sessions", "contributions", "contribution_themes", "codebook")
SAMPLE_ENV = "CHWKIT_FORUM_SAMPLE"
SAMPLE_VERSION = 3  # bump when the sample's content changes
SAMPLE_SESSIONS = 36  # over 24 months: one and a half a month
SAMPLE_PER_SESSION = 20
# The sample holds markup, as a facilitator could type it: it must show as text.
SAMPLE_MARKUP_TEXT = (
    "<script>alert(1)</script> el transporte <b>no llega</b> a tiempo y las familias pierden "
    "la cita."
)
WRAP = 38  # characters per line of a legend entry or a category label
# Columns of the tables the analysis functions return -> the catalog key of their header.
HEADERS = {
    "date": "forum.analysis.col.date",
    "site": "forum.analysis.col.site",
    "session_type_label": "forum.analysis.session_type",
    "kind_label": "forum.analysis.kind",
    "themes": "forum.analysis.col.themes",
    "pseudonym": "forum.analysis.col.pseudonym",
    "text": "forum.analysis.col.text",
    "code": "forum.analysis.col.code",
    "group": "forum.analysis.group",
    "label": "forum.analysis.theme",
    "definition": "forum.analysis.col.definition",
    "source": "forum.analysis.source",
}


class DatasetMissing(FileNotFoundError):
    """No built dataset where one was expected."""


def _fold(text: str) -> str:
    return strip_accents(text).casefold()


def _wrap(text: str) -> str:
    return textwrap.fill(str(text), WRAP, break_long_words=False)


def _legend(ax, title: str) -> None:
    """The legend outside the plot, titled ``title``, long labels wrapped."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            [_wrap(label) for label in labels],
            title=title,
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1, 1),
        )


@dataclass
class Dataset:
    sessions: pd.DataFrame
    contributions: pd.DataFrame
    contribution_themes: pd.DataFrame
    codebook: pd.DataFrame
    folder: Path
    lang: str = "es"
    is_sample: bool = False

    def __post_init__(self):
        if "session_type" not in self.sessions:  # a dataset built before session types
            self.sessions = self.sessions.assign(session_type=DEFAULT_SESSION_TYPE)

    def describe(self) -> str:
        """How much the dataset holds, and whether it is the invented sample."""
        key = "forum.analysis.loaded_sample" if self.is_sample else "forum.analysis.loaded"
        return t(key, self.lang, sessions=len(self.sessions), contributions=len(self.contributions))

    # -- labels ---------------------------------------------------------------------------------
    def label(self, code: str) -> str:
        """A theme's label in the dataset's language (the code itself if unknown)."""
        row = self.codebook.loc[self.codebook["code"] == code]
        return str(row[f"label_{self.lang}"].iloc[0]) if len(row) else code

    def kind_label(self, kind: str) -> str:
        return t(f"forum.kind.{kind}", self.lang) if kind in KINDS else kind

    def session_type_label(self, session_type: str) -> str:
        if session_type in SESSION_TYPES:
            return t(f"forum.session_type.{session_type}", self.lang)
        return session_type

    def source_label(self, source: str) -> str:
        """A codebook source's label: the label of its top group ("Funciones C3", ...)."""
        cb = self.codebook
        top = cb[cb["parent"].isna() & (cb["source"] == source)]
        return str(top[f"label_{self.lang}"].iloc[0]) if len(top) else source

    def header(self, column: str) -> str:
        """The header of a column of the tables this module returns, in the dataset's language."""
        key = HEADERS.get(column)
        return t(key, self.lang) if key else column

    def labelled(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with headers people read (for display; code keeps the column names)."""
        out = df.rename(columns={c: self.header(c) for c in df.columns})
        if out.index.name in HEADERS:
            out.index.name = self.header(out.index.name)
        return out

    def _quarter_label(self, start: pd.Timestamp) -> str:
        return t("forum.analysis.quarter_label", self.lang, year=start.year, q=start.quarter)

    # -- shapes ---------------------------------------------------------------------------------
    def contributions_by_session(self) -> pd.DataFrame:
        """Contributions with their session's date, site and type, and the labels of their kind
        and session type."""
        df = self.contributions.merge(
            self.sessions[["session_id", "date", "site", "session_type"]],
            on="session_id",
            how="left",
        )
        df["date"] = pd.to_datetime(df["date"])
        df["kind_label"] = df["kind"].map(self.kind_label)
        df["session_type_label"] = df["session_type"].map(self.session_type_label)
        return df

    def themes_long(self) -> pd.DataFrame:
        """One row per contribution and theme, with the theme's label, parent and source."""
        labels = self.codebook.set_index("code")
        df = self.contribution_themes.merge(
            self.contributions_by_session()[
                ["contribution_id", "date", "site", "kind", "session_type"]
            ],
            on="contribution_id",
        )
        df["theme_label"] = df["theme_code"].map(labels[f"label_{self.lang}"])
        df["parent"] = df["theme_code"].map(labels["parent"])
        df["source"] = df["theme_code"].map(labels["source"])
        return df

    def summary(self) -> pd.DataFrame:
        """Contributions by site (rows) and kind (columns), headed by labels."""
        df = self.contributions_by_session()
        table = df.groupby(["site", "kind_label"]).size().unstack(fill_value=0).sort_index()
        table = table[[self.kind_label(k) for k in KINDS if self.kind_label(k) in table.columns]]
        table.index.name = self.header("site")
        table.columns.name = self.header("kind_label")
        return table

    def sessions_by_type(self) -> pd.DataFrame:
        """Sessions and contributions of each session type, headed by labels."""
        df = self.contributions_by_session()
        types = [x for x in SESSION_TYPES if x in set(self.sessions["session_type"])]
        table = pd.DataFrame(
            {
                t("forum.analysis.sessions", self.lang): self.sessions["session_type"]
                .value_counts()
                .reindex(types, fill_value=0),
                t("forum.analysis.contributions", self.lang): df["session_type"]
                .value_counts()
                .reindex(types, fill_value=0),
            }
        )
        table.index = [self.session_type_label(x) for x in table.index]
        table.index.name = self.header("session_type_label")
        return table

    def codebook_view(self) -> pd.DataFrame:
        """The codebook in the dataset's language: code, group, label, definition, source."""
        cb = self.codebook
        view = pd.DataFrame(
            {
                "code": cb["code"],
                "group": cb["parent"].map(lambda c: self.label(c) if isinstance(c, str) else ""),
                "label": cb[f"label_{self.lang}"],
                "definition": cb[f"definition_{self.lang}"],
                "source": cb["source"].map(self.source_label),
            }
        )
        return self.labelled(view)

    # -- plots ----------------------------------------------------------------------------------
    def _quarter(self, dates: pd.Series) -> pd.Series:
        return dates.dt.to_period("Q").dt.start_time

    def _by_quarter(self, df: pd.DataFrame, column: str) -> pd.DataFrame:
        """Counts per quarter (rows, every quarter from the first to the last, empty ones too)
        and ``column`` (columns)."""
        table = (
            df.assign(quarter=self._quarter(df["date"]))
            .groupby(["quarter", column])
            .size()
            .unstack(fill_value=0)
        )
        if not table.empty:
            every = pd.period_range(table.index.min(), table.index.max(), freq="Q").start_time
            table = table.reindex(every, fill_value=0)
            table.index = [self._quarter_label(q) for q in table.index]
        return table

    def plot_kinds_over_time(self, ax=None):
        """Contributions per quarter, stacked by kind."""
        import matplotlib.pyplot as plt

        table = self._by_quarter(self.contributions_by_session(), "kind_label")
        ax = ax or plt.subplots(figsize=(9, 4))[1]
        if not table.empty:
            order = [self.kind_label(k) for k in KINDS if self.kind_label(k) in table.columns]
            table[order].plot.bar(stacked=True, ax=ax, width=0.85, rot=0)
            _legend(ax, t("forum.analysis.kind", self.lang))
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
            keep = list(df["theme_label"].value_counts().index[:top])
            table = self._by_quarter(df[df["theme_label"].isin(keep)], "theme_label")[keep]
            positions = range(len(table))
            for label in keep:
                ax.plot(positions, table[label], marker="o", label=label)
            ax.set_xticks(list(positions), list(table.index))
            _legend(ax, t("forum.analysis.theme", self.lang))
        ax.set_title(t("forum.analysis.themes_over_time", self.lang))
        ax.set_xlabel(t("forum.analysis.quarter", self.lang))
        ax.set_ylabel(t("forum.analysis.contributions", self.lang))
        return ax

    def _group(self, df: pd.DataFrame, by: str) -> tuple[pd.Series, str]:
        """Each theme row's group label (``by``: "source", "parent" or "theme"), and the
        legend's title."""
        if by == "source":
            return df["source"].map(self.source_label), t("forum.analysis.source", self.lang)
        if by == "parent":
            none = t("forum.analysis.no_group", self.lang)
            groups = df["parent"].map(lambda c: self.label(c) if isinstance(c, str) else none)
            return groups, t("forum.analysis.group", self.lang)
        if by == "theme":
            return df["theme_label"], t("forum.analysis.theme", self.lang)
        raise ValueError(f"by must be 'source', 'parent' or 'theme', not {by!r}")

    def plot_by_site(self, by: str = "source", ax=None):
        """Theme mentions per site, stacked by the codebook's ``source`` (or ``parent``)."""
        import matplotlib.pyplot as plt

        df = self.themes_long()
        ax = ax or plt.subplots(figsize=(9, 4))[1]
        if not df.empty:
            groups, title = self._group(df, by)
            table = df.assign(group=groups).groupby(["site", "group"]).size().unstack(fill_value=0)
            table.plot.barh(stacked=True, ax=ax)
            _legend(ax, title)
        ax.set_title(t("forum.analysis.by_site", self.lang))
        ax.set_xlabel(t("forum.analysis.mentions", self.lang))
        ax.set_ylabel(t("forum.analysis.col.site", self.lang))
        return ax

    def plot_themes_by_session_type(self, top: int = 10, by: str = "theme", ax=None):
        """What each session type talks about: for the ``top`` themes (or codebook groups,
        ``by="parent"``), the share of each session type's theme mentions, side by side.

        Shares, not counts: monthly forums far outnumber conferences and exchanges. The
        themes shown are those with the largest share in any session type.
        """
        import matplotlib.pyplot as plt

        df = self.themes_long()
        ax = ax or plt.subplots(figsize=(9, 6))[1]
        if not df.empty:
            groups, _ = self._group(df, by)
            counts = (
                df.assign(group=groups)
                .groupby(["group", "session_type"])
                .size()
                .unstack(fill_value=0)
            )
            types = [x for x in SESSION_TYPES if x in counts.columns]
            share = counts[types] / counts[types].sum() * 100
            keep = share.max(axis=1).sort_values(ascending=False).index[:top]
            share = share.loc[keep].iloc[::-1]  # the largest at the top
            share.columns = [self.session_type_label(x) for x in share.columns]
            share.index = [_wrap(label) for label in share.index]
            share.plot.barh(ax=ax, width=0.8)
            _legend(ax, t("forum.analysis.session_type", self.lang))
        ax.set_title(t("forum.analysis.themes_by_session_type", self.lang))
        ax.set_xlabel(t("forum.analysis.share", self.lang))
        ax.set_ylabel(t(f"forum.analysis.{'group' if by == 'parent' else 'theme'}", self.lang))
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
        columns = ["date", "site", "session_type_label", "kind_label", "themes", "pseudonym",
                   "text"]  # fmt: skip
        # Newest first; within a session, the last recorded first (a stable, repeatable order).
        out = out.sort_values(["date", "created"], ascending=False, kind="stable")
        return out[columns].reset_index(drop=True)


def read_dataset(folder: Path, lang: str = "es", is_sample: bool = False) -> Dataset:
    folder = Path(folder)
    if not (folder / "datapackage.json").is_file():
        raise DatasetMissing(f"no forum dataset in {folder}: run `chwkit forum build` first")
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return Dataset(**tables, folder=folder, lang=normalize_lang(lang) or "es", is_sample=is_sample)


def build_sample(
    folder: Path,
    sessions: int = SAMPLE_SESSIONS,
    per_session: int = SAMPLE_PER_SESSION,
    seed: int = 7,
) -> Path:
    """Invent sessions in ``folder/forum_sessions`` and build them into ``folder/dataset``.

    The sessions span 24 months, eight sites and every session type (``chwkit.forum.sample``).
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
