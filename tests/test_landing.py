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


def test_each_track_shows_its_c3_crosswalk_with_hours_and_the_certificate_statement():
    from chwkit.learn.spec import find
    from chwkit.serve.pages import render_page

    groups = track_groups("es")
    clinic = next(g for g in groups if g.id == "clinic_academy_core")
    track = next(t for t in discover() if t.id == "clinic_academy_core")
    role1 = [row for row in clinic.crosswalk if row[0].startswith("Mediación cultural")]
    tagged = [m for m in track.modules if 1 in find(m).c3_roles]
    assert role1 and float(role1[0][1]) == round(sum(find(m).duration_min for m in tagged) / 60, 2)
    assert all(find(m).title["es"] in role1[0][2] for m in tagged)
    page = render_page("landing.html", "es", tracks=groups, sections=[])
    assert "apoyan, y no reemplazan, un programa de certificado acreditado" in page
    assert "Correspondencia con las competencias C3" in page
