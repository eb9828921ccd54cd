"""``make demo``: the whole kit for a newcomer, on demo data kept apart from any program's.

``chwkit demo`` (the ``demo`` fixture runs it into a temporary folder) serves one released
assessment, two demo learners and one forum session with a demo facilitator, and prints their
codes beside the address. ``chwkit serve`` never makes demo data.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, copy_project, start_server, stop_server

from chwkit.serve import demo as demo_mod

pytestmark = pytest.mark.browser
TIMEOUT = 90_000


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def test_the_demo_prints_its_codes_beside_the_address_marked_as_demo(demo):
    log = demo.server.log_text()
    address = log.index("chwkit: open http://127.0.0.1:")
    marked = log.index("DEMO DATA ONLY")
    assert address < marked < log.index("demo-learner-1")
    assert set(demo.codes) == {"demo-learner-1", "demo-learner-2", "demo-facilitator"}


def test_the_demo_codes_work(demo, monkeypatch):
    from chwkit.assess import roster

    monkeypatch.setenv("CHWKIT_HOME", str(demo.server.home))
    for learner in ("demo-learner-1", "demo-learner-2"):
        assert roster.verify_code(demo.codes[learner], role="learner").id == learner
    facilitator = roster.verify_code(demo.codes["demo-facilitator"], role="facilitator")
    assert facilitator.id == "demo-facilitator"
    assert roster.verify_code(demo.codes["demo-learner-1"], role="facilitator") is None


def test_the_demo_landing_page_shows_every_flow(demo):
    page = get(demo.server.url + "?lang=es")
    assert f"assessment.ipynb?a={demo.assessment}&amp;lang=es" in page
    assert f"forum_sessions/{demo.session}?lang=es" in page
    assert "notebooks/modules/chw_role/chw_role.ipynb?lang=es" in page


def test_a_demo_learner_and_the_demo_facilitator_sign_in(new_page, demo):
    page = new_page()
    page.goto(demo.server.url + f"voila/render/notebooks/assessment.ipynb?a={demo.assessment}")
    page.locator(".chwkit-code input").fill(demo.codes["demo-learner-1"])
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("demo-learner-1").first.wait_for(timeout=TIMEOUT)
    page.goto(demo.server.url + f"voila/render/forum_sessions/{demo.session}?lang=es")
    page.locator(".chwkit-code input").fill(demo.codes["demo-facilitator"])
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Registrando como demo-facilitator").wait_for(timeout=TIMEOUT)


def test_preparing_again_keeps_the_demo_and_issues_new_codes(tmp_path, monkeypatch):
    from chwkit.assess import roster

    content = copy_project(tmp_path / "content")
    first = demo_mod.prepare(tmp_path / "demo", content)
    second = demo_mod.prepare(tmp_path / "demo", content)
    assert second.forum_session == first.forum_session
    assert len(list((second.root / "forum_sessions").glob("*.ipynb"))) == 2  # template + one
    monkeypatch.setenv("CHWKIT_HOME", str(second.home))
    old = {pid: code for _, pid, code in first.codes}
    new = {pid: code for _, pid, code in second.codes}
    for pid in new:
        assert roster.verify_code(old[pid]) is None, "a code printed earlier stops working"
        assert roster.verify_code(new[pid]).id == pid
    assert len(roster.people()) == 3


def test_the_demo_never_takes_a_folder_it_did_not_make(tmp_path):
    real = tmp_path / "program-data"
    real.mkdir()
    (real / "roster.json").write_text('{"people": {}}')
    with pytest.raises(demo_mod.DemoError, match="holds no demo"):
        demo_mod.prepare(real, REPO)
    assert sorted(p.name for p in real.iterdir()) == ["roster.json"]


def test_chwkit_serve_on_a_real_data_directory_makes_no_demo_data(tmp_path):
    root = copy_project(tmp_path / "project")
    home = tmp_path / "home"
    srv = start_server(root, home, ("--no-preheat",))
    try:
        page = get(srv.url + "?lang=es")
    finally:
        stop_server(srv.process)
    assert "demo-learner" not in page and "assessment.ipynb?a=" not in page
    assert not (home / "roster.json").exists()
    assert not (home / "course" / "release").exists()
    assert [p.name for p in (root / "forum_sessions").glob("*.ipynb")] == ["_template.ipynb"]
    assert not (root / ".chwkit-demo").exists()


def test_make_demo_runs_the_demo_into_a_git_ignored_folder():
    makefile = (REPO / "Makefile").read_text()
    target = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert target and "chwkit demo" in target.group(1)
    assert ".chwkit-demo/" in (REPO / ".gitignore").read_text().splitlines()
    assert demo_mod.default_dir() == Path(demo_mod.paths.project_root()) / ".chwkit-demo"
