"""The monthly learning forum: capture contributions, keep each session as a notebook,
build a tidy dataset.

- ``codebook``: the themes (C3 roles and skills, wellbeing, emergent), from ``codebook.csv``;
- ``model``: sessions and contributions, and the checks on their values;
- ``privacy``: flags likely identifiers before a contribution is saved;
- ``session``: the session notebook (template, reading, writing through ``chwkit.core.nbstore``);
- ``recorder``: the Voila widget a facilitator uses during the forum (contributions, who came);
- ``attendance``: who came to which session, by roster id, as the learner records count it;
- ``dataset``: ``chwkit forum build``: the tidy dataset and its ``datapackage.json``;
- ``sample``: invented sessions for tests, benchmarks and the analyst notebook;
- ``analysis``: what the analyst notebook calls.

This module imports lightly (the server imports it for its landing page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chwkit.forum.analysis import Dataset
    from chwkit.forum.recorder import Recorder

__all__ = ["Recorder", "landing_entries", "load_dataset", "build_dataset"]


def __getattr__(name: str) -> Any:
    if name == "Recorder":
        from chwkit.forum.recorder import Recorder

        return Recorder
    raise AttributeError(name)


def landing_entries(lang: str) -> list[dict]:
    """Forum sessions for the landing page's facilitator section, newest first."""
    from chwkit.forum.landing import landing_entries as entries

    return entries(lang)


def load_dataset(folder=None, lang: str = "es", sample_if_missing: bool = False) -> Dataset:
    """The built forum dataset as pandas tables (see ``chwkit.forum.analysis.Dataset``)."""
    from chwkit.forum.analysis import load_dataset as load

    return load(folder, lang=lang, sample_if_missing=sample_if_missing)


def build_dataset(**kwargs):
    """Build the tidy dataset from every session notebook (see ``chwkit.forum.dataset.build``)."""
    from chwkit.forum.dataset import build

    return build(**kwargs)
