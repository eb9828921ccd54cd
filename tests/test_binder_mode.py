"""Voila as a Jupyter server extension, configured as binder/postBuild does (Binder, JupyterHub).

A real ``jupyter server`` with the config ``python -m chwkit.serve.app binder-config`` writes
(``conftest.start_jupyter_server``): the kit's extension in place of Voila's own, the kit's
contents manager. A module page opens in Chromium through ``/voila/render/...`` with the
server's token; the kit's options reach the extension from the server's configuration. What
it refuses is in ``test_server_security.py``, which runs every forbidden request against both
modes.
"""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_project, start_jupyter_server, stop_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    base = tmp_path_factory.mktemp("chwkit-binder")
    srv = start_jupyter_server(copy_project(base / "project"), base / "home")
    yield srv
    stop_server(srv.process)


def test_binder_config_loads_the_kits_extension_instead_of_voilas(tmp_path):
    config = tmp_path / "jupyter_server_config.json"
    config.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"other": True}}}))
    subprocess.run(
        [sys.executable, "-m", "chwkit.serve.app", "binder-config", str(config)], check=True
    )
    server = json.loads(config.read_text())["ServerApp"]
    assert server["jpserver_extensions"] == {
        "other": True,  # what was there stays
        "chwkit.serve.extension": True,
        "voila": False,
        "voila.server_extension": False,  # what Voila's package enables
    }
    assert server["contents_manager_class"] == "chwkit.serve.guard.LearnerContentsManager"


def test_the_extension_loads_in_place_of_voilas(jupyter):
    log = jupyter.log_text()
    assert "chwkit: learner pages under /voila/render/" in log
    assert "chwkit.serve.extension | extension was successfully loaded" in log
    assert "voila.server_extension | extension was successfully" not in log
    assert "Traceback" not in log


def test_without_the_kits_contents_manager_no_learner_page_is_served(tmp_path):
    """Fails closed: the extension will not serve pages /api/contents would undercut."""

    def plain_contents(config: dict) -> None:
        del config["ServerApp"]["contents_manager_class"]

    srv = start_jupyter_server(
        copy_project(tmp_path / "project"), tmp_path / "home", plain_contents
    )
    try:
        request = urllib.request.Request(
            f"{srv.url}voila/render/notebooks/modules/chw_role/chw_role.ipynb",
            headers=srv.headers(),
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 404
        assert "chwkit needs ServerApp.contents_manager_class" in srv.log_text()
    finally:
        stop_server(srv.process)


def test_a_module_page_works_under_jupyter_server_with_the_kits_front_end(jupyter, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(
            f"{jupyter.url}voila/render/notebooks/modules/chw_role/chw_role.ipynb"
            f"?lang=es&token={jupyter.token}"
        )
        question = page.locator(".chwkit-question").first
        question.locator("input").first.wait_for(timeout=90_000)
        assert page.locator('script[src*="/chwkit-page.js"]').count() == 1
        question.locator("input").first.check()
        question.locator("button").first.click()
        question.locator(".chwkit-feedback").wait_for(timeout=90_000)
        assert "Todavía no" in question.locator(".chwkit-feedback").inner_text()
        assert page.title().startswith("El rol de la promotora")
    finally:
        context.close()


def test_under_jupyter_server_kernels_are_forked_with_ipc_sockets(jupyter):
    """binder-config gives the server the learner server's kernels: forked from the kernel
    template (started with the extension) and talking over socket files, not TCP ports."""
    import psutil

    request = urllib.request.Request(
        f"{jupyter.url}api/kernels",
        data=b'{"name": "python3"}',
        headers={"Authorization": f"token {jupyter.token}", "Content-Type": "application/json"},
        method="POST",
    )
    kernel = json.loads(urllib.request.urlopen(request, timeout=60).read())
    try:
        found = []
        for proc in psutil.process_iter(["cmdline"]):
            cmd = proc.info["cmdline"] or []
            if "ipykernel_launcher" in " ".join(cmd) and any(kernel["id"] in a for a in cmd):
                found.append(proc)
        assert len(found) == 1, "the kernel's process is not listed"
        parent = found[0].parent()
        assert "chwkit.serve.kernel_template" in " ".join(parent.cmdline())
        connection_file = found[0].cmdline()[found[0].cmdline().index("-f") + 1]
        assert json.loads(Path(connection_file).read_text())["transport"] == "ipc"
    finally:
        urllib.request.urlopen(
            urllib.request.Request(
                f"{jupyter.url}api/kernels/{kernel['id']}",
                headers={"Authorization": f"token {jupyter.token}"},
                method="DELETE",
            ),
            timeout=60,
        )
