"""The learner server serves learner pages only, in every mode, and answers bad addresses in
both languages.

Every forbidden request runs against ``chwkit serve`` and against a real ``jupyter server``
with the kit's extension configuration (Binder, JupyterHub), each holding the same secrets:
an assessment source with its answer key, item files, a data directory inside the served
folder (not hidden by a leading dot), analyst notebooks. The jupyter server is asked with
its token, as a Binder visitor is.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from conftest import copy_project, free_port, start_jupyter_server, start_server, stop_server

from chwkit.serve import config as config_mod
from chwkit.serve.config import ChwkitConfiguration, choose_frontend, kit_frontend_built
from chwkit.serve.guard import check_render_path

SECRETS = ("ANSWER-KEY-42", "GRADEBOOK-SECRET", "NOT-FOR-LEARNERS", "root:x:0")
DATA = "records"  # the data directory (CHWKIT_HOME), inside the served folder


def request(server, path, method="GET", data=None):
    req = urllib.request.Request(
        server.url + path, method=method, data=data, headers=server.headers()
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def get(server, path):
    return request(server, path)


def put_secrets(root, home):
    """Things that exist on disk and must never be served."""
    source = root / "assessments" / "source" / "secret_check"
    source.mkdir(parents=True, exist_ok=True)
    (source / "secret_check.ipynb").write_text('{"cells": [], "SOLUTION": "ANSWER-KEY-42"}')
    (root / "assessments" / "items").mkdir(exist_ok=True)
    (root / "assessments" / "items" / "secret_check.yaml").write_text("answer: ANSWER-KEY-42")
    home.mkdir(parents=True, exist_ok=True)
    (home / "gradebook.db").write_text("GRADEBOOK-SECRET")
    (home / "roster.json").write_text('{"codes": "GRADEBOOK-SECRET"}')
    # The default data directory sits inside the project root (.chwkit/): the one place a
    # path-based mistake could reach it.
    in_root = root / ".chwkit"
    in_root.mkdir(exist_ok=True)
    (in_root / "gradebook.db").write_text("GRADEBOOK-SECRET")
    (in_root / "codes.ipynb").write_text('{"cells": [], "CODE": "GRADEBOOK-SECRET"}')
    # Analyst notebooks live in notebooks/ too, and show forum contributions.
    (root / "notebooks" / "analyst_secret.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "X": "NOT-FOR-LEARNERS"}'
    )
    (root / "notebooks" / "modules" / "notes.txt").write_text("NOT-FOR-LEARNERS")


@pytest.fixture(scope="module", params=["chwkit serve", "jupyter server"])
def guarded(request, tmp_path_factory):
    """A server of each mode, with secrets in place and its data directory inside its root."""
    base = tmp_path_factory.mktemp("guarded")
    root = copy_project(base / "project")
    home = root / DATA
    put_secrets(root, home)
    if request.param == "chwkit serve":
        srv = start_server(root, home, ("--no-preheat",))
    else:
        srv = start_jupyter_server(root, home)
    yield srv
    stop_server(srv.process)


SOURCE = "assessments/source/secret_check/secret_check.ipynb"
FORBIDDEN = [
    f"voila/render/{SOURCE}",
    f"voila/files/{SOURCE}",
    f"voila/render/notebooks/../{SOURCE}",
    f"voila/render/notebooks/%2e%2e/{SOURCE}",
    f"voila/files/notebooks/%2e%2e/{SOURCE}",
    "voila/files/assessments/items/secret_check.yaml",
    "voila/files/../.chwkit/gradebook.db",
    "voila/files/.chwkit/gradebook.db",
    "voila/render/.chwkit/codes.ipynb",
    "voila/files/notebooks/..%2f.chwkit/gradebook.db",
    "voila/render/notebooks/%2e%2e/.chwkit/codes.ipynb",
    "voila/static/..%2f..%2f.chwkit/gradebook.db",
    f"voila/files/{DATA}/gradebook.db",
    f"voila/files/notebooks/..%2f{DATA}/roster.json",
    "voila/render/notebooks/analyst_secret.ipynb",
    "voila/render/notebooks/forum_analysis.ipynb",
    "voila/render/forum_sessions/_template.ipynb",
    "voila/files/notebooks/modules/chw_role/chw_role.ipynb",
    "voila/files/notebooks/modules/chw_role/module.yaml",
    "voila/files/notebooks/modules/chw_role/facilitator.es.md",  # trainers' notes only
    "voila/render/notebooks/modules/chw_role/facilitator.en.md",
    "voila/files/notebooks/modules/notes.txt",
    "voila/static/../../../../../etc/passwd",
    "voila/templates/chwkit/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd",
    "voila/tree",
    "voila/tree/assessments",
    "voila/api/contents/assessments/source",
    "voila/render/notebooks/modules/chw_role/module.yaml",
    # What Jupyter's own routes would send under jupyter server (404 standalone).
    "api/contents/assessments/source",
    f"api/contents/{SOURCE}",
    "api/contents/assessments/items/secret_check.yaml",
    f"api/contents/notebooks/..%2f{SOURCE}",
    f"api/contents/{DATA}/roster.json",
    f"api/contents/{DATA}",
    "api/contents/.chwkit/gradebook.db",
    f"files/{SOURCE}",
    "files/assessments/items/secret_check.yaml",
    f"files/notebooks/%2e%2e/{SOURCE}",
    f"files/{DATA}/gradebook.db",
    "files/.chwkit/gradebook.db",
    f"nbconvert/html/{SOURCE}",
    f"nbconvert/script/{SOURCE}",
    f"api/contents/{SOURCE}/checkpoints",
]
# Standalone, one server holds every learner's kernel: listing them would let one learner
# reach another's. Under jupyter server the token's holder is the server's only user, whose
# own kernels JupyterLab lists: not a secret there.
STANDALONE_FORBIDDEN = ["api/kernels", "api/sessions"]


@pytest.mark.parametrize("path", FORBIDDEN)
def test_requests_outside_learner_pages_are_refused_in_every_mode(guarded, path):
    status, body = get(guarded, path)
    assert status in (400, 403, 404), f"{path} answered {status}"
    for secret in SECRETS:
        assert secret not in body


@pytest.mark.parametrize("path", STANDALONE_FORBIDDEN)
def test_the_kernel_list_is_refused_by_chwkit_serve(guarded, path):
    if guarded.token:
        pytest.skip("jupyter server: the token holder's own kernels")
    assert get(guarded, path)[0] in (403, 404)


def test_folder_listings_leave_the_assessments_and_the_data_out(guarded):
    status, body = get(guarded, "api/contents/")
    if not guarded.token:
        assert status == 404  # chwkit serve has no contents API at all
        return
    assert status == 200
    listed = {entry["name"] for entry in json.loads(body)["content"]}
    assert "notebooks" in listed and "forum_sessions" in listed
    assert not listed & {"assessments", DATA, ".chwkit"}


def test_nothing_can_be_written_into_the_assessments_or_the_data(guarded):
    model = json.dumps({"type": "file", "format": "text", "content": "x"}).encode()
    for path in (
        "assessments/source/secret_check/new.ipynb",
        SOURCE,
        f"{DATA}/roster.json",
        f"{DATA}/new.txt",
    ):
        status, _ = request(guarded, f"api/contents/{path}", method="PUT", data=model)
        assert status in (400, 403, 404, 405), f"PUT {path} answered {status}"
    for path in (f"api/contents/{SOURCE}", f"api/contents/{DATA}/roster.json"):
        status, _ = request(guarded, path, method="DELETE")
        assert status in (400, 403, 404, 405), f"DELETE {path} answered {status}"
    assert json.loads((guarded.home / "roster.json").read_text()) == {"codes": "GRADEBOOK-SECRET"}
    assert "ANSWER-KEY-42" in (guarded.root / SOURCE).read_text()
    assert not (guarded.root / "assessments/source/secret_check/new.ipynb").exists()
    assert not (guarded.home / "new.txt").exists()


def test_learner_pages_still_render_in_every_mode(guarded):
    status, body = get(guarded, "voila/render/notebooks/modules/chw_role/chw_role.ipynb?lang=es")
    assert status == 200 and "chwkit-page" in body


def test_the_supervisors_dashboard_renders_in_every_mode(guarded):
    """Behind its own sign-in, in its kernel (a supervisor's code): the page itself renders."""
    status, body = get(guarded, "voila/render/notebooks/dashboard.ipynb?lang=en")
    assert status == 200 and "chwkit-page" in body
    assert "Tablero de supervisi" in body  # the tab's titles (es, en), from the page's config


def test_unknown_module_gets_a_bilingual_page(guarded):
    status, body = get(guarded, "voila/render/notebooks/modules/no_such/no_such.ipynb?lang=en")
    assert status == 404
    assert "The module “no_such” does not exist." in body
    assert "El módulo «no_such» no existe." in body
    assert "Traceback" not in body


def test_unknown_language_gets_a_bilingual_page(guarded):
    status, body = get(guarded, "voila/render/notebooks/modules/chw_role/chw_role.ipynb?lang=fr")
    assert status == 400
    assert "El idioma «fr» no está disponible" in body
    assert "The language “fr” is not available" in body


def test_unknown_language_on_the_landing_page(server):
    status, body = get(server, "?lang=%3Cscript%3E")
    assert status == 400
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_unknown_address_gets_a_bilingual_404(server):
    status, body = get(server, "no/such/page")
    assert status == 404
    assert "No encontramos esa página" in body


def test_landing_page_lists_modules_as_real_links(server):
    status, body = get(server, "?lang=en")
    assert status == 200
    for module_id in ("chw_role", "health_coverage", "acompanante_wellbeing"):
        assert (
            f'href="voila/render/notebooks/modules/{module_id}/{module_id}.ipynb?lang=en"' in body
        )
    assert "Level:" in body and "Duration:" in body and "Roles:" in body


@pytest.mark.parametrize(
    "path",
    [
        "",
        "notebooks/x.py",
        "/etc/passwd.ipynb",
        "assessments/source/a/a.ipynb",
        "notebooks/.hidden/a.ipynb",
        "notebooks\\a.ipynb",
        "notebooks/forum_analysis.ipynb",
        "notebooks/modules/chw_role/other.ipynb",
        "notebooks/modules/chw_role.ipynb",
        "forum_sessions/_template.ipynb",
        "forum_sessions/old/2023-01-01_x.ipynb",
        ".chwkit/x.ipynb",
    ],
)
def test_check_render_path_refuses(tmp_path, path):
    assert check_render_path(path, tmp_path)[0] == 403


@pytest.mark.parametrize(
    "path",
    [
        "notebooks/index.ipynb",
        "notebooks/assessment.ipynb",
        "notebooks/dashboard.ipynb",
        "notebooks/modules/chw_role/chw_role.ipynb",
        "forum_sessions/2024-03-05_mission.ipynb",
    ],
)
def test_check_render_path_allows_learner_pages(tmp_path, path):
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text("{}")
    assert check_render_path(path, tmp_path) is None
    (tmp_path / path).unlink()
    assert check_render_path(path, tmp_path)[0] == 404


def test_listening_beyond_localhost_always_sets_a_token(tmp_path):
    lan = ChwkitConfiguration(ip="0.0.0.0").voila_config(tmp_path)
    assert len(lan.Voila.token) >= 20
    local = ChwkitConfiguration().voila_config(tmp_path)
    assert "token" not in local.Voila and local.Voila.ip == "127.0.0.1"


def test_learner_pages_get_the_kits_front_end_unless_it_is_missing(tmp_path, monkeypatch, capsys):
    assert kit_frontend_built(), "run `make frontend`"
    cfg = ChwkitConfiguration().voila_config(tmp_path)
    assert cfg.VoilaConfiguration.resources["chwkit"]["frontend"] == "kit"
    with pytest.raises(ValueError, match="kit, voila"):
        choose_frontend("react")
    monkeypatch.setattr(config_mod.paths, "share_dir", lambda: tmp_path)
    assert choose_frontend("kit") == "voila"
    assert "make frontend" in capsys.readouterr().out
    assert choose_frontend("voila") == "voila"


def test_lan_server_prints_its_tokened_address_while_running(tmp_path, browser):
    """Beyond localhost the trainer must see the real token, at start-up, to share it; a
    learner who opens that address gets working questions (the kernel socket is let in)."""
    root = copy_project(tmp_path / "project")
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "CHWKIT_ROOT": str(root), "CHWKIT_HOME": str(tmp_path / "home")}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chwkit.cli", "serve", "--ip", "127.0.0.2", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        pattern = re.compile(rf"chwkit: open (http://127\.0\.0\.2:{port}/\?token=([\w-]+)&lang=es)")
        deadline = time.monotonic() + 60
        while not (found := pattern.search(log.read_text())) and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.3)
        assert found, f"no address printed while running:\n{log.read_text()}"
        url, token = found.groups()
        assert len(token) >= 20
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            assert "chw_role" in response.read().decode()
        anonymous = f"http://127.0.0.2:{port}/voila/render/notebooks/index.ipynb"
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(anonymous, timeout=30)
        assert refused.value.code in (302, 403)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        try:
            page = context.new_page()
            page.goto(url)
            page.locator("a[href*='chw_role']").first.click()
            question = page.locator(".chwkit-question").first
            question.locator("input").first.wait_for(timeout=90_000)
            question.locator("input").first.check()
            question.locator("button").first.click()
            question.locator(".chwkit-feedback").wait_for(timeout=90_000)
        finally:
            context.close()
    finally:
        stop_server(process)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
