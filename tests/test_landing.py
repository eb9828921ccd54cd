"""The landing page's list: modules grouped by track, in each track's order, with its hours."""

from __future__ import annotations

import pytest

from chwkit.learn.tracks import discover
from chwkit.serve.landing import track_groups


@pytest.mark.parametrize("lang", ["es", "en"])
def test_modules_are_grouped_by_track_in_the_tracks_order_with_hours(lang):
    tracks = discover()
    groups = track_groups(lang)
    assert [g.id for g in groups][: len(tracks)] == [t.id for t in tracks]
    for group, track in zip(groups, tracks, strict=False):
        assert group.title == track.title[lang]
        assert [e.href.split("/")[-2] for e in group.entries] == list(track.modules)
        assert f"{track.hours:g}" in group.meta
        assert ("horas" if lang == "es" else "hours") in group.meta


def test_the_landing_page_shows_every_track_with_its_hours():
    from chwkit.serve.pages import render_page

    page = render_page("landing.html", "es", tracks=track_groups("es"), sections=[])
    for track in discover():
        assert track.title["es"] in page
        assert f"{track.hours:g} horas" in page
    assert page.index(discover()[0].title["es"]) < page.index(discover()[-1].title["es"])


def test_a_module_in_no_track_is_listed_last_under_other_modules(tmp_path, monkeypatch):
    import shutil

    from chwkit.core import paths

    real = paths.project_root()
    root = tmp_path / "project"
    shutil.copytree(real / "notebooks" / "tracks", root / "notebooks" / "tracks")
    shutil.copytree(
        real / "notebooks" / "modules" / "chw_role", root / "notebooks/modules/chw_role"
    )
    shutil.copytree(
        real / "notebooks" / "modules" / "chw_role", root / "notebooks/modules/extra_mod"
    )
    yaml_path = root / "notebooks/modules/extra_mod/module.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("id: chw_role", "id: extra_mod"))
    (root / "notebooks/modules/extra_mod/chw_role.ipynb").rename(
        root / "notebooks/modules/extra_mod/extra_mod.ipynb"
    )
    monkeypatch.setattr(paths, "project_root", lambda: root)
    groups = track_groups("en")
    assert groups[-1].id == "other" and groups[-1].title == "Other modules"
    assert [e.href.split("/")[-2] for e in groups[-1].entries] == ["extra_mod"]
    assert all(len(g.entries) >= 1 for g in groups)  # tracks with no module here are left out
