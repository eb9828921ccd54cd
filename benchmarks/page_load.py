"""Module page load: ``chwkit serve`` against plain ``voila`` on the same notebook and machine.

Measured in one run, servers started side by side on a temporary copy of the project:
1. time from navigation to an interactive question widget in Chromium, no throttling
   (median of --loads loads each, fresh browser context per load), and the resident memory
   of the learner kernel that served the page;
2. the same over an emulated "fast 3G" link (1.6 Mbit/s down, 750 kbit/s up, 150 ms round
   trip): a cold first visit (fresh context) and a warm repeat visit (same context), with
   the bytes transferred (median of --slow-loads each).

    python benchmarks/page_load.py [--loads 5] [--slow-loads 3] [--module chw_role]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, copy_project, free_port  # noqa: E402

FAST_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6e6 / 8,
    "uploadThroughput": 750e3 / 8,
}
READY = ".chwkit-question input"
# Where a kit page's time goes: the navigation's own timings and the front end's marks.
PHASES_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const script = performance.getEntriesByType('resource').find(e => e.name.includes('chwkit-page.js'));
  const mark = (name) => (performance.getEntriesByName('chwkit:' + name)[0] || {}).startTime;
  return {'html received': nav.responseEnd, 'script received': script && script.responseEnd,
          'script running': mark('start'), 'widgets fetched': mark('widgets-fetched'),
          'widgets drawn': mark('widgets-drawn')};
}"""
PAUSE_S = 4.0  # between loads, so a preheated pool can refill as it would between learners


def start(cmd: list[str], env: dict, url: str, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc
        except urllib.error.HTTPError:
            return proc
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{cmd[0]} did not start: {log.read_text()[-2000:]}")


def kernel_rss_mb(server: subprocess.Popen, kernel_id: str) -> float | None:
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            if any(kernel_id in part for part in child.cmdline()):
                return child.memory_info().rss / 2**20
        except psutil.Error:
            continue
    return None


def load(browser, url: str, throttle: bool, context=None):
    ctx = context or browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    if throttle:
        cdp.send("Network.emulateNetworkConditions", FAST_3G)
    start_t = time.monotonic()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(READY, state="visible", timeout=180_000)
    elapsed = time.monotonic() - start_t
    kernel_id = page.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    time.sleep(0.5)
    phases = page.evaluate(PHASES_JS)
    return ctx, page, elapsed, sum(sizes.values()), kernel_id, phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--slow-loads", type=int, default=3)
    parser.add_argument("--module", default="chw_role")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="chwkit-bench-"))
    root = copy_project(tmp / "project")
    env = {**os.environ, "CHWKIT_ROOT": str(root), "CHWKIT_HOME": str(tmp / "home")}
    nb = f"notebooks/modules/{args.module}/{args.module}.ipynb"
    bin_dir = Path(sys.executable).parent
    kit_port, voila_port = free_port(), free_port()
    servers = {
        "chwkit serve": start(
            [str(bin_dir / "chwkit"), "serve", "--port", str(kit_port)],
            env,
            f"http://127.0.0.1:{kit_port}/",
            tmp / "kit.log",
        ),
        "plain voila": start(
            [str(bin_dir / "voila"), "--no-browser", f"--port={voila_port}", str(root)],
            env,
            f"http://127.0.0.1:{voila_port}/",
            tmp / "voila.log",
        ),
    }
    urls = {
        "chwkit serve": f"http://127.0.0.1:{kit_port}/voila/render/{nb}?lang=es",
        "plain voila": f"http://127.0.0.1:{voila_port}/voila/render/{nb}?lang=es",
    }
    fast: dict[str, list[float]] = {k: [] for k in servers}
    phases: dict[str, list[float]] = {}
    rss: dict[str, list[float]] = {k: [] for k in servers}
    cold: dict[str, list[tuple[float, int]]] = {k: [] for k in servers}
    warm: dict[str, list[tuple[float, int]]] = {k: [] for k in servers}
    try:
        time.sleep(6)  # let the preheated pool fill, as it would long before a learner comes
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.loads):
                for name in servers:  # interleaved: machine noise hits both alike
                    ctx, _page, elapsed, _bytes, kid, marks = load(
                        browser, urls[name], throttle=False
                    )
                    fast[name].append(elapsed)
                    if name == "chwkit serve":
                        for phase, ms in marks.items():
                            if ms is not None:
                                phases.setdefault(phase, []).append(ms)
                    mb = kernel_rss_mb(servers[name], kid)
                    if mb:
                        rss[name].append(mb)
                    ctx.close()
                    time.sleep(PAUSE_S)
            for _ in range(args.slow_loads):
                for name in servers:
                    ctx, page, elapsed, size, _, _ = load(browser, urls[name], throttle=True)
                    cold[name].append((elapsed, size))
                    page.close()
                    time.sleep(PAUSE_S)
                    _, page2, elapsed2, size2, _, _ = load(
                        browser, urls[name], throttle=True, context=ctx
                    )
                    warm[name].append((elapsed2, size2))
                    ctx.close()
                    time.sleep(PAUSE_S)
            browser.close()
    finally:
        for proc in servers.values():
            try:
                os.killpg(proc.pid, 15)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, 9)
        shutil.rmtree(tmp, ignore_errors=True)

    def med(values):
        return statistics.median(values) if values else float("nan")

    kit, plain = "chwkit serve", "plain voila"
    print(f"module page {nb}, Chromium {CHROMIUM}, 390x844 viewport")
    print(f"[no throttling] time to interactive question, median of {args.loads}:")
    for name in servers:
        print(
            f"  {name:13s} {med(fast[name]):6.2f} s   (all: {', '.join(f'{v:.2f}' for v in fast[name])})"
        )
    print(f"  ratio chwkit/plain: {med(fast[kit]) / med(fast[plain]):.2f}  (target <= 0.50)")
    print("  chwkit serve, where the time goes (ms after navigation, median):")
    for phase, values in phases.items():
        print(f"    {phase:16s} {med(values):6.0f}")
    print("[memory] learner kernel resident set, median:")
    for name in servers:
        print(f"  {name:13s} {med(rss[name]):6.1f} MB")
    print(f"[fast 3G: 1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT] median of {args.slow_loads}:")
    for label, data in (("cold first visit", cold), ("warm repeat visit", warm)):
        for name in servers:
            times = [t for t, _ in data[name]]
            sizes = [b for _, b in data[name]]
            print(f"  {label:17s} {name:13s} {med(times):6.2f} s  {med(sizes) / 1e6:6.2f} MB")
        t_ratio = med([t for t, _ in data[kit]]) / med([t for t, _ in data[plain]])
        b_ratio = med([b for _, b in data[kit]]) / max(med([b for _, b in data[plain]]), 1)
        print(f"  {label:17s} ratio chwkit/plain: time {t_ratio:.2f}, bytes {b_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
