"""A whole class opens the same module at once: ``chwkit serve`` against plain ``voila``.

Each simulated learner asks the server for what the kit's front end asks (frontend/src/index.ts)
until it could draw the first question: GET the page (following the waiting page, as its
script does), GET the scripts and style sheets it names (a first visit has none cached), open
the kernel's websocket, ask for kernel info, and fetch every widget's state through
ipywidgets' control comm (``request_states`` -> ``update_states``). N learners start
within one second, for N = 1, 10, 30 and 60, against each server on the same module, in one
run. Reported: median and p95 time to interactive, errors, the servers' peak memory (the
server and every kernel: PSS summed), PSS per learner kernel; inside the 30-learner burst,
three real Chromium pages wait for the first question too, to show the simulated learner
tells the truth: for each, when its widgets' state had arrived (the front end's
``chwkit:widgets-fetched`` mark: all the server had to do) and when the question was drawn
(the rest is the browser's own work, done on the learner's phone, not on the server). The
benchmark's Chromium stands for those phones, so it runs in a process of its own, scheduled
SCHED_IDLE: it takes only the CPU the server leaves idle (``--chromium-shares-cores`` shares
the two cores instead, and then measures the browser's rendering competing with the server
too). After each burst the pages are closed (Voila's shutdown beacon) and the memory is
measured again once the pool has refilled.

    python benchmarks/burst.py [--sizes 1,10,30,60] [--module chw_role] [--class-size 60]
                               [--no-voila] [--soak 0] [--no-assets] [--chromium-shares-cores]

``--soak S`` (default 300, as make bench runs it): 50 simulated learners arriving over S seconds, each
answering questions, then leaving; ends with no error and memory back at its baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, copy_project, free_port  # noqa: E402

CONFIG_RE = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S
)
NEXT_RE = re.compile(r'id="chwkit-opening"[^>]*data-next="([^"]+)"')
ASSET_RE = re.compile(
    r'<script[^>]+src="([^"]+)"|<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"'
    r'|<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"'
)
LEARNER_TIMEOUT_S = 120.0
# A first visit fetches the page's scripts and styles; --no-assets leaves them out (what the
# simulated learner did before 2026-12-02: GET, websocket, widget state only).
FETCH_ASSETS = True


# -- one simulated learner ------------------------------------------------------------------
@dataclass
class Result:
    ok: bool
    seconds: float
    waited: int = 0  # waiting pages shown
    error: str = ""
    kernel_id: str = ""
    phases: dict = field(default_factory=dict)


def _message(msg_type: str, channel: str, content: dict, session: str, metadata=None) -> str:
    return json.dumps(
        {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "username": "learner",
                "session": session,
                "msg_type": msg_type,
                "version": "5.3",
                "date": "",
            },
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "channel": channel,
            "buffers": [],
        }
    )


async def open_page(base: str, path: str, query: str = "lang=es") -> tuple[str, dict, int, list]:
    """GET the page as a browser would, following the waiting page; -> (html, config, waits)."""
    client = AsyncHTTPClient(max_clients=1000)
    url = f"{base}{path}?{query}"
    cookies: list[str] = []
    waits = 0
    while True:
        headers = {"Cookie": "; ".join(cookies)} if cookies else {}
        response = await client.fetch(
            HTTPRequest(url, headers=headers, request_timeout=LEARNER_TIMEOUT_S), raise_error=True
        )
        for value in response.headers.get_list("Set-Cookie"):
            cookies.append(value.split(";", 1)[0])
        html = response.body.decode("utf-8", "replace")
        waiting = NEXT_RE.search(html)
        if not waiting:
            break
        waits += 1
        await asyncio.sleep(0.3)  # what the waiting page's script does
        url = base.rstrip("/") + unescape(waiting.group(1))
    found = CONFIG_RE.search(html)
    if not found:
        raise RuntimeError("the page has no kernel")
    return html, json.loads(found.group(1)), waits, cookies


async def fetch_assets(base: str, html: str, cookies: list[str]) -> int:
    """GET the page's own scripts and style sheets at once, as a browser does; -> bytes."""
    client = AsyncHTTPClient(max_clients=1000)
    urls = []
    for match in ASSET_RE.finditer(html):
        url = unescape(next(g for g in match.groups() if g))
        if url.startswith(("http://", "https://", "//", "data:")):
            continue  # another server's (plain voila's page names none) or inline
        urls.append(base.rstrip("/") + url if url.startswith("/") else base + url)
    headers = {"Cookie": "; ".join(cookies)} if cookies else {}
    responses = await asyncio.gather(
        *(
            client.fetch(
                HTTPRequest(u, headers=headers, request_timeout=LEARNER_TIMEOUT_S),
                raise_error=True,
            )
            for u in dict.fromkeys(urls)
        )
    )
    return sum(len(r.body) for r in responses)


async def widget_state(ws_base: str, kernel_id: str, cookies: list[str], mark=None) -> int:
    """Open the kernel websocket and fetch every widget's state; -> number of widgets.

    ``mark(phase)`` is called when the websocket opened and when the kernel first answered.
    """
    mark = mark or (lambda _phase: None)
    session = uuid.uuid4().hex
    request = HTTPRequest(
        f"{ws_base}api/kernels/{kernel_id}/channels?session_id={session}",
        headers={"Cookie": "; ".join(cookies)} if cookies else {},
        request_timeout=LEARNER_TIMEOUT_S,
    )
    ws = await websocket_connect(request)
    mark("websocket")
    try:
        ws.write_message(_message("kernel_info_request", "shell", {}, session))
        comm_id = uuid.uuid4().hex
        ws.write_message(
            _message(
                "comm_open",
                "shell",
                {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
                session,
                {"version": "1.0.0"},  # ipywidgets' control protocol, as the front end says
            )
        )
        ws.write_message(
            _message(
                "comm_msg",
                "shell",
                {"comm_id": comm_id, "data": {"method": "request_states"}},
                session,
            )
        )
        while True:
            raw = await ws.read_message()
            if raw is None:
                raise RuntimeError("the kernel websocket closed")
            if isinstance(raw, bytes):  # a binary message: buffers of widget state
                continue
            msg = json.loads(raw)
            if msg.get("msg_type") == "kernel_info_reply":
                mark("kernel_info")
            content = msg.get("content", {})
            if (
                msg.get("msg_type") == "comm_msg"
                and content.get("comm_id") == comm_id
                and content.get("data", {}).get("method") == "update_states"
            ):
                return len(content["data"].get("states", {}))
    finally:
        ws.close()


async def learner(base: str, path: str, delay: float = 0.0) -> Result:
    await asyncio.sleep(delay)
    start = time.perf_counter()
    phases = {}
    try:
        html, config, waits, cookies = await asyncio.wait_for(
            open_page(base, path), LEARNER_TIMEOUT_S
        )
        phases["page"] = time.perf_counter() - start
        if FETCH_ASSETS:
            await asyncio.wait_for(fetch_assets(base, html, cookies), LEARNER_TIMEOUT_S)
            phases["assets"] = time.perf_counter() - start
        ws_base = base.replace("http://", "ws://", 1)
        count = await asyncio.wait_for(
            widget_state(
                ws_base,
                config["kernelId"],
                cookies,
                lambda phase: phases.setdefault(phase, time.perf_counter() - start),
            ),
            LEARNER_TIMEOUT_S,
        )
        if count == 0:
            raise RuntimeError("no widgets")
        return Result(
            True, time.perf_counter() - start, waits, kernel_id=config["kernelId"], phases=phases
        )
    except Exception as exc:
        return Result(
            False, time.perf_counter() - start, error=f"{type(exc).__name__}: {exc}"[:200]
        )


async def close_pages(base: str, kernel_ids: list[str]) -> None:
    """What each page's beforeunload beacon does: shut its kernel down."""
    client = AsyncHTTPClient(max_clients=1000)

    async def one(kernel_id: str) -> None:
        xsrf = uuid.uuid4().hex
        with contextlib.suppress(Exception):
            await client.fetch(
                HTTPRequest(
                    f"{base}voila/api/shutdown/{kernel_id}",
                    method="POST",
                    body=f"_xsrf={xsrf}",
                    headers={"Cookie": f"_xsrf={xsrf}"},
                    request_timeout=30,
                ),
                raise_error=False,
            )

    await asyncio.gather(*(one(k) for k in kernel_ids if k))


# -- servers ---------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base: str
    log: Path

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def kernels(self) -> list[psutil.Process]:
        found = []
        for proc in self.tree():
            try:
                if "ipykernel_launcher" in " ".join(proc.cmdline()):
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    def pss_mb(self) -> float:
        total = 0.0
        for proc in self.tree():
            try:
                total += proc.memory_full_info().pss
            except psutil.Error:
                continue
        return total / 2**20

    def kernel_pss_mb(self) -> list[float]:
        out = []
        for proc in self.kernels():
            try:
                out.append(proc.memory_full_info().pss / 2**20)
            except psutil.Error:
                continue
        return out

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)


def wait_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")


def start_chwkit(root: Path, home: Path, extra: list[str]) -> Server:
    port = free_port()
    log = home.parent / f"chwkit-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CHWKIT_ROOT": str(root), "CHWKIT_HOME": str(home)}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chwkit.cli", "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}/"
    wait_http(base, process, log)
    return Server("chwkit serve", process, base, log)


def start_voila(root: Path, home: Path) -> Server:
    from chwkit.serve.app import prepare_environment

    port = free_port()
    log = home.parent / f"voila-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CHWKIT_ROOT": str(root), "CHWKIT_HOME": str(home)}
    saved = dict(os.environ)
    prepare_environment(root)  # the kit's template path for kernels' imports, as chwkit serve
    env.update({k: os.environ[k] for k in ("JUPYTER_PATH",) if k in os.environ})
    os.environ.clear()
    os.environ.update(saved)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voila",
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                f"--Voila.root_dir={root}",
                "--show_tracebacks=False",
            ],
            env=env,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}/"
    wait_http(base, process, log)
    return Server("plain voila", process, base, log)


def settle(server: Server, expect_kernels: int, seconds: float = 300) -> None:
    """Wait until the server runs at least ``expect_kernels`` kernels, their number has not
    changed for 15 s (every notebook's pool is full: the kit preheats one kernel for each
    module not named in --class-size, and the modules grow) and it is quiet."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(server.kernels()) >= expect_kernels:
            break
        time.sleep(0.5)
    count, since = len(server.kernels()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = len(server.kernels())
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= 15:
            break
    quiet_until = time.monotonic() + 60
    while time.monotonic() < quiet_until:
        cpu = sum(p.cpu_percent(interval=None) for p in server.tree())
        time.sleep(1.0)
        cpu = sum(_cpu(p) for p in server.tree())
        if cpu < 15:
            return


def _cpu(proc: psutil.Process) -> float:
    try:
        return proc.cpu_percent(interval=None)
    except psutil.Error:
        return 0.0


# -- a burst ----------------------------------------------------------------------------------
class PeakMemory(threading.Thread):
    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.stop_flag = server, 0.0, False

    def run(self) -> None:
        while not self.stop_flag:
            self.peak = max(self.peak, self.server.pss_mb())
            time.sleep(0.5)


def chromium_pages(url: str, count: int, out, ready, go, phone_cores: bool = True) -> None:
    """``count`` real Chromium pages, launched before the burst and opened once ``go`` is
    set; each timed to its widgets' state arriving and to its first question drawn.

    Runs in a process of its own, so that the Playwright client does not take the simulated
    learners' interpreter lock. A learner's browser runs on their own phone, not on the
    server's two cores: with ``phone_cores`` this process, and everything it starts (the
    Playwright driver, Chromium and the renderers it forks later inherit it), is scheduled
    SCHED_IDLE at niceness 19, taking only CPU that nothing else wants, so the pages measure
    the server and not the browser competing with it. Without, the browser shares the
    cores evenly."""
    if phone_cores:
        os.setpriority(os.PRIO_PROCESS, 0, 19)
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    from playwright.sync_api import sync_playwright

    results: list = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            pages = [
                browser.new_context(viewport={"width": 390, "height": 844}).new_page()
                for _ in range(count)
            ]
            ready.set()
            go.wait(60)
            starts = {}
            for page in pages:
                starts[id(page)] = time.perf_counter()
                page.goto(url, wait_until="commit", timeout=120_000)
            for page in pages:
                try:
                    page.wait_for_selector(".chwkit-question input", timeout=120_000)
                    drawn = time.perf_counter() - starts[id(page)]
                    # Marks count from the navigation's start: about when goto() was called.
                    fetched = page.evaluate(
                        "() => (performance.getEntriesByName('chwkit:widgets-fetched')[0]"
                        " || {startTime: NaN}).startTime / 1000"
                    )
                    results.append({"drawn": drawn, "fetched": fetched})
                except Exception as exc:
                    results.append(f"failed: {exc}"[:120])
            for page in pages:
                page.close(run_before_unload=True)
            time.sleep(1)
        finally:
            ready.set()
            browser.close()
            out.put(results)


def _chromium_cell(times: list) -> str:
    cells = []
    for x in times:
        if isinstance(x, dict):
            cells.append(f"{x['drawn']:.2f} s (state {x['fetched']:.2f} s)")
        else:
            cells.append(str(x))
    return ", ".join(cells) or "—"


def burst(server: Server, path: str, n: int, browsers: int = 0, phone_cores: bool = True) -> dict:
    peak = PeakMemory(server)
    peak.start()
    chromium_times: list = []
    browser_process = None
    mp = multiprocessing.get_context("spawn")
    go = mp.Event()
    if browsers:
        ready, out = mp.Event(), mp.Queue()
        browser_process = mp.Process(
            target=chromium_pages,
            args=(f"{server.base}{path}?lang=es", browsers, out, ready, go, phone_cores),
        )
        browser_process.start()
        ready.wait(120)  # the browser is up before the class arrives

    async def run() -> list[Result]:
        delays = sorted(random.uniform(0, 1.0) for _ in range(n))
        tasks = [learner(server.base, path, d) for d in delays]
        if browser_process is not None:
            asyncio.get_running_loop().call_later(0.5, go.set)
        return await asyncio.gather(*tasks)

    results = asyncio.run(run())
    if browser_process is not None:
        with contextlib.suppress(queue.Empty):
            chromium_times = out.get(timeout=300)
        browser_process.join(30)
        if browser_process.is_alive():
            browser_process.kill()
    peak.stop_flag = True
    peak.join()
    kernel_pss = server.kernel_pss_mb()
    asyncio.run(close_pages(server.base, [r.kernel_id for r in results]))
    times = sorted(r.seconds for r in results if r.ok)
    errors = [r.error for r in results if not r.ok]
    return {
        "n": n,
        "median": statistics.median(times) if times else None,
        "p95": _p95(times),
        "max": max(times) if times else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:3],
        "waited": sum(1 for r in results if r.waited),
        "peak_mb": peak.peak,
        "kernel_pss_mb": statistics.median(kernel_pss) if kernel_pss else None,
        "chromium": chromium_times,
        # Median seconds until the page, then its scripts and styles, had arrived, the kernel
        # websocket opened and the kernel first answered on it.
        "phases": {
            k: round(statistics.median(r.phases[k] for r in results if k in r.phases), 2)
            for k in ("page", "assets", "websocket", "kernel_info")
            if any(k in r.phases for r in results)
        },
    }


def _p95(times: list[float]) -> float | None:
    if not times:
        return None
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def fmt(x, unit="s") -> str:
    if x is None:
        return "—"
    return f"{x:.2f} {unit}" if unit == "s" else f"{x:.0f} {unit}"


def kernel_start_times(count: int = 8) -> dict:
    """Kernel start (start_kernel until kernel_info answers) forked vs launched, idle machine."""
    code = r"""
import asyncio, json, statistics, sys, tempfile, time
from traitlets.config import Config
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from chwkit.serve.kernels import KernelTemplate, DEFAULT_PRELOAD
async def main(prov, n):
    cfg = Config()
    cfg.KernelProvisionerFactory.default_provisioner_name = prov
    cfg.AsyncMappingKernelManager.kernel_manager_class = "chwkit.serve.kernels.LearnerKernelManager"
    mkm = AsyncMappingKernelManager(config=cfg, connection_dir=tempfile.mkdtemp())
    if prov == "chwkit-fork":
        await KernelTemplate.shared(DEFAULT_PRELOAD).ready()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        kid = await mkm.start_kernel(kernel_name="python3")
        kc = mkm.get_kernel(kid).client(); kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        times.append(time.perf_counter() - t0)
        kc.stop_channels()
        await mkm.shutdown_kernel(kid, now=True)
    KernelTemplate.reset_shared()
    print(json.dumps(times))
asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""
    out = {}
    for prov in ("chwkit-fork", "local-provisioner"):
        res = subprocess.run(
            [sys.executable, "-c", code, prov, str(count)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        times = json.loads(res.stdout.strip().splitlines()[-1])
        out[prov] = statistics.median(times)
    return out


# -- main -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,30,60")
    parser.add_argument("--module", default="chw_role")
    parser.add_argument(
        "--class-size",
        type=int,
        default=0,
        help="preheated kernels for the module, the class the facilitator expects "
        "(default: the largest burst, as `chwkit serve --class-size` would be set for it)",
    )
    parser.add_argument("--no-voila", action="store_true")
    parser.add_argument("--voila-sizes", default="")
    parser.add_argument(
        "--soak", type=float, default=300, help="seconds of the 50-learner soak (0: none)"
    )
    parser.add_argument(
        "--chromium-pages",
        type=int,
        default=3,
        help="real Chromium pages inside the 30-learner burst (0: none)",
    )
    parser.add_argument(
        "--chromium-shares-cores",
        action="store_true",
        help="run the benchmark's Chromium, which stands for learners' phones, at normal "
        "priority, sharing the server's cores (by default it takes only idle CPU)",
    )
    parser.add_argument(
        "--no-assets",
        action="store_true",
        help="simulated learners skip the page's scripts and styles (as if cached)",
    )
    args = parser.parse_args(argv)
    global FETCH_ASSETS
    FETCH_ASSETS = not args.no_assets
    sizes = [int(s) for s in args.sizes.split(",") if s]
    args.class_size = args.class_size or max(sizes)
    path = f"voila/render/notebooks/modules/{args.module}/{args.module}.ipynb"
    work = Path(tempfile.mkdtemp(prefix="chwkit-burst-"))
    rows = []
    try:
        starts = kernel_start_times()
        print(
            f"kernel start (start_kernel -> kernel_info reply, median of 8, idle): "
            f"forked {starts['chwkit-fork']:.3f} s, launched {starts['local-provisioner']:.3f} s",
            flush=True,
        )
        root = copy_project(work / "project")
        servers = [
            (
                "chwkit serve",
                lambda: start_chwkit(
                    root, work / "home-chwkit", ["--class-size", f"{args.module}={args.class_size}"]
                ),
            )
        ]
        if not args.no_voila:
            servers.append(("plain voila", lambda: start_voila(root, work / "home-voila")))
        for name, starter in servers:
            server = starter()
            try:
                expect = args.class_size + 12 if name == "chwkit serve" else 0
                settle(server, expect)
                baseline = server.pss_mb()
                run_sizes = sizes
                if name == "plain voila" and args.voila_sizes:
                    run_sizes = [int(s) for s in args.voila_sizes.split(",")]
                for n in run_sizes:
                    row = burst(
                        server,
                        path,
                        n,
                        browsers=args.chromium_pages if n == 30 else 0,
                        phone_cores=not args.chromium_shares_cores,
                    )
                    settle(server, expect)
                    row["after_mb"] = server.pss_mb()
                    row["baseline_mb"] = baseline
                    row["server"] = name
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                if args.soak and name == "chwkit serve":
                    soak = run_soak(server, path, 50, args.soak)
                    settle(server, expect)
                    soak["after_mb"] = server.pss_mb()
                    soak["baseline_mb"] = baseline
                    print("soak: " + json.dumps(soak), flush=True)
                    if soak["errors"] or soak["after_mb"] > baseline * 1.15 + 50:
                        print("soak FAILED", flush=True)
                        return 1
            finally:
                server.stop()
                leftover = [
                    p
                    for p in psutil.process_iter(["cmdline"])
                    if str(server.process.pid) in " ".join(p.info["cmdline"] or [])
                ]
                del leftover
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        "| server | N | median TTI | p95 TTI | errors | waited | peak PSS | PSS/kernel | after (baseline) | Chromium |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        chromium = _chromium_cell(r["chromium"])
        print(
            f"| {r['server']} | {r['n']} | {fmt(r['median'])} | {fmt(r['p95'])} | {r['errors']} | "
            f"{r['waited']} | {fmt(r['peak_mb'], 'MB')} | {fmt(r['kernel_pss_mb'], 'MB')} | "
            f"{fmt(r['after_mb'], 'MB')} ({fmt(r['baseline_mb'], 'MB')}) | {chromium} |"
        )
    return 0


def run_soak(server: Server, path: str, learners: int, seconds: float) -> dict:
    """``learners`` arriving over ``seconds``, each staying a while, then leaving."""

    async def one(delay: float) -> Result:
        result = await learner(server.base, path, delay)
        if result.ok:
            await asyncio.sleep(random.uniform(5, 30))
            await close_pages(server.base, [result.kernel_id])
        return result

    async def run() -> list[Result]:
        return await asyncio.gather(*(one(random.uniform(0, seconds)) for _ in range(learners)))

    results = asyncio.run(run())
    times = sorted(r.seconds for r in results if r.ok)
    return {
        "learners": learners,
        "seconds": seconds,
        "errors": sum(1 for r in results if not r.ok),
        "median": statistics.median(times) if times else None,
        "p95": _p95(times),
    }


if __name__ == "__main__":
    sys.exit(main())
