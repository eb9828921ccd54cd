"""Shared fixtures: a real ``chwkit serve`` on a copy of the project, and real Chromium.

- ``server`` (session): starts ``chwkit serve`` on 127.0.0.1 against a temporary copy of the
  project's content folders (CHWKIT_ROOT) with its own data directory (CHWKIT_HOME), waits
  for it, and stops it at the end.
- ``start_jupyter_server``: a real ``jupyter server`` with the kit's extension configuration
  (what ``binder/postBuild`` writes), for the server-extension mode (Binder, JupyterHub).
- ``browser`` (session): Debian's Chromium driven by Playwright.
- ``new_page``: a page in a fresh browser context; at teardown it saves a screenshot under
  ``test-artifacts/`` and fails the test if any request left the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTENT_FOLDERS = ("notebooks", "forum_sessions", "assessments")
ARTIFACTS = REPO / "test-artifacts"
# Debian's Chromium; where it is absent (no apt), Playwright's own browser (None).
CHROMIUM = os.environ.get("CHWKIT_CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(dest: Path) -> Path:
    for name in CONTENT_FOLDERS:
        src = REPO / name
        if src.exists():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            (dest / name).mkdir(parents=True)
    return dest


@dataclass
class Server:
    url: str
    root: Path
    home: Path
    process: subprocess.Popen
    log: Path
    env: dict = field(default_factory=dict)
    token: str | None = None  # a jupyter server's; ``chwkit serve`` on localhost has none

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}


def start_server(
    root: Path, home: Path, extra_args: tuple[str, ...] = (), command: tuple[str, ...] = ("serve",)
) -> Server:
    port = free_port()
    env = {**os.environ, "CHWKIT_ROOT": str(root), "CHWKIT_HOME": str(home)}
    log = home.parent / f"serve-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chwkit.cli", *command, "--port", str(port), *extra_args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    # Generous: a shared two-core machine under load takes tens of seconds to start a server.
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chwkit serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        stop_server(process)
        raise RuntimeError(f"chwkit serve did not answer:\n{log.read_text()}")
    return Server(url=url, root=root, home=home, process=process, log=log, env=env)


def start_jupyter_server(root: Path, home: Path, edit=None, args: tuple[str, ...] = ()) -> Server:
    """``jupyter server`` configured by ``python -m chwkit.serve.app binder-config``, with a
    token, as Binder runs it. ``edit(config_dict)`` may change that configuration first;
    ``args`` are more command-line options."""
    import json
    import secrets

    home.mkdir(parents=True, exist_ok=True)
    config = home.parent / f"jupyter_server_config-{secrets.token_hex(4)}.json"
    subprocess.run(
        [sys.executable, "-m", "chwkit.serve.app", "binder-config", str(config)], check=True
    )
    if edit is not None:
        data = json.loads(config.read_text())
        edit(data)
        config.write_text(json.dumps(data))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_PATH": "",  # the extension finds the kit's template itself
        "CHWKIT_ROOT": str(root),
        "CHWKIT_HOME": str(home),
    }
    log = home.parent / f"jupyter-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter_server", f"--config={config}",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--allow-root",
                f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
                f"--ServerApp.root_dir={root}", *args,
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter server exited:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        stop_server(process)
        raise RuntimeError(f"jupyter server did not answer:\n{log.read_text()}")
    return Server(url=url, root=root, home=home, process=process, log=log, env=env, token=token)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    base = tmp_path_factory.mktemp("chwkit-site")
    root = copy_project(base / "project")
    srv = start_server(root, base / "home")
    yield srv
    stop_server(srv.process)


@dataclass
class Demo:
    server: Server
    codes: dict[str, str]  # demo person id -> access code, as `chwkit demo` printed them
    session: str  # the demo forum session's notebook name
    assessment: str


DEMO_CODE = re.compile(
    r"^\s+(learner|facilitator)\s+(\S+)\s+([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})$"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """``chwkit demo`` (what ``make demo`` runs) into a fresh folder, without preheating:
    the demo people's codes are read from what it printed beside the address."""
    base = tmp_path_factory.mktemp("chwkit-demo")
    folder = base / "demo"  # made by `chwkit demo` itself (it refuses a folder it did not make)
    content = copy_project(base / "project")  # what the demo links to
    srv = start_server(content, base / "home", ("--no-preheat", "--dir", str(folder)), ("demo",))
    srv.root, srv.home = folder / "project", folder / "data"
    deadline = time.monotonic() + 30
    while "demo access codes" not in srv.log_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    codes = {m.group(2): m.group(3) for m in map(DEMO_CODE.match, srv.log_text().splitlines()) if m}
    found = re.search(r"forum session (\S+); demo access codes", srv.log_text())
    assessment = re.search(r"assessment (\S+) is released", srv.log_text())
    yield Demo(srv, codes, f"{found.group(1)}.ipynb", assessment.group(1))
    stop_server(srv.process)


@pytest.fixture(scope="module")
def voila_frontend_server(tmp_path_factory) -> Server:
    """A ``chwkit serve --frontend voila``: learner pages drawn by Voila's own front end."""
    base = tmp_path_factory.mktemp("chwkit-voila-frontend")
    root = copy_project(base / "project")
    srv = start_server(root, base / "home", ("--frontend", "voila", "--no-preheat"))
    yield srv
    stop_server(srv.process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, request):
    """Factory: ``new_page(viewport=None, context=None)`` -> page that must stay on 127.0.0.1."""
    pages = []
    offsite: list[str] = []

    def make(viewport: dict | None = None, context=None):
        ctx = context or browser.new_context(viewport=viewport or DESKTOP, locale="es-MX")
        page = ctx.new_page()

        def on_request(req):
            url = req.url
            if not (
                url.startswith(("http://127.0.0.1", "ws://127.0.0.1"))
                or url.startswith(("data:", "blob:", "about:"))
            ):
                offsite.append(url)

        page.on("request", on_request)
        page.on("websocket", lambda ws: on_request(ws))
        pages.append((page, ctx, context is None))
        return page

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    for i, (page, ctx, owned) in enumerate(pages):
        name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
        with contextlib.suppress(Exception):  # a closed page has nothing to show
            page.screenshot(path=str(ARTIFACTS / f"{name}-{i}.png"), full_page=True)
        if owned:
            ctx.close()
    assert not offsite, f"requests left the server: {offsite}"


def run(coro):
    """``asyncio.run`` in a thread of its own: Playwright's sync API (the browser tests of the
    same session) keeps an event loop running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
