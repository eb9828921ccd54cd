"""Voila as a Jupyter server extension, configured as binder/postBuild does (Binder, JupyterHub).

A real ``jupyter server`` with the config ``python -m chwkit.serve.app binder-config`` writes,
and a module page opened in Chromium through ``/voila/render/...`` with the server's token.
"""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import copy_project, free_port, stop_server

from chwkit.core import paths

pytestmark = pytest.mark.browser


def test_a_module_page_works_under_jupyter_server_with_the_kits_front_end(tmp_path, browser):
    root = copy_project(tmp_path / "project")
    config = tmp_path / "jupyter_server_config.json"
    subprocess.run(
        [sys.executable, "-m", "chwkit.serve.app", "binder-config", str(config)], check=True
    )
    assert (
        json.loads(config.read_text())["VoilaConfiguration"]["resources"]["chwkit"]["frontend"]
        == "kit"
    )
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_PATH": str(paths.share_dir()),  # what binder/start exports
        "CHWKIT_ROOT": str(root),
        "CHWKIT_HOME": str(tmp_path / "home"),
    }
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter_server", f"--config={config}",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--allow-root",
                f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
                f"--ServerApp.root_dir={root}",
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                urllib.request.urlopen(f"{base}api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        try:
            page = context.new_page()
            page.goto(
                f"{base}voila/render/notebooks/modules/chw_role/chw_role.ipynb"
                f"?lang=es&token={token}"
            )
            question = page.locator(".chwkit-question").first
            question.locator("input").first.wait_for(timeout=90_000)
            assert page.locator('script[src*="/chwkit-page.js"]').count() == 1
            question.locator("input").first.check()
            question.locator("button").first.click()
            question.locator(".chwkit-feedback").wait_for(timeout=90_000)
            assert "Todavía no" in question.locator(".chwkit-feedback").inner_text()
        finally:
            context.close()
    finally:
        stop_server(process)
