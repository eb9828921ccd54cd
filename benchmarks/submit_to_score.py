"""Benchmark: from pressing submit to the score shown on the page, in real Chromium.

Starts ``chwkit serve`` on a copy of the project with one released assessment and signed-in
learners, then measures, on the assessment page, the time from the click on "Submit my
answers" to the autograded score on the same page (nbgrader's autograde of that submission,
the gradebook merge, the feedback) with no reload and no trainer step:

- one learner at a time, 5 submissions: the median;
- 10 learners pressing submit within one second: median and p95 (the slowest of ten).

Targets (issue 14, on the 2-core machine): one learner at most 5 s median; ten at once at most
15 s p95.

    python benchmarks/submit_to_score.py [--single 5] [--burst 10] [--assignment chw_role_check]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(env: dict, *args: str, cwd: Path) -> str:
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def answers_for(root: Path, assignment: str, variant: int) -> dict:
    """The item file's key, with one item wrong in some variants (scores differ)."""
    data = yaml.safe_load((root / "assessments" / "items" / f"{assignment}.yaml").read_text())
    answers = {}
    for n, item in enumerate(data["items"]):
        if "answer" in item:
            value = item["answer"]
            if variant % 3 == 1 and n == 0 and item["kind"] == "single":
                value = (value + 1) % len(item["options"])
            answers[item["id"]] = value
        elif item["kind"] == "reflection":
            answers[item["id"]] = "Acompañé a una familia a su cita."
        else:
            accept = item["accept"]
            answers[item["id"]] = (accept["es"] if isinstance(accept, dict) else accept)[0]
    return answers


async def prepared_page(browser, url: str, code: str, assignment: str, kinds: dict, answers):
    """A learner signed in, on the assessment page, every answer filled in."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(url + "chwkit/sign-in?lang=es")
    await page.fill("#chwkit-code", code)
    await page.get_by_role("button", name="Entrar").click()
    await page.wait_for_url("**/chwkit/progress**")
    await page.goto(url + f"voila/render/notebooks/assessment.ipynb?a={assignment}&lang=es")
    await page.locator(".chwkit-submit").wait_for(timeout=TIMEOUT_MS)
    for item_id, value in answers.items():
        box = page.locator(f".chwkit-item-{item_id}")
        kind = kinds[item_id]
        if kind == "single":
            await box.get_by_role("radio").nth(value).check()
        elif kind == "multiple":
            for i in value:
                await box.get_by_role("checkbox").nth(i).check()
        else:
            field = box.locator("textarea" if kind == "reflection" else "input")
            await field.fill(str(value))
            await field.press("Tab")
    await page.wait_for_timeout(300)  # the last value reaches the kernel
    return context, page


async def submit_and_wait(page) -> float:
    """Seconds from the click on submit to the new score on the page."""
    started = time.perf_counter()
    await page.locator(".chwkit-submit").click()
    await page.locator(".chwkit-grading").wait_for(timeout=TIMEOUT_MS)
    await page.locator(".chwkit-fb-score").wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - started


async def measure(url: str, root: Path, codes: list[str], assignment: str, single: int, burst: int):
    from playwright.async_api import async_playwright

    from chwkit.assess.items import load_assessment

    spec = load_assessment(
        Path(os.environ["CHWKIT_HOME"]) / "course" / "release" / assignment / f"{assignment}.ipynb"
    )
    kinds = {item.id: item.kind for item in spec.items}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # Warm-up: the first submission after the server starts also starts its graders.
        context, page = await prepared_page(
            browser, url, codes[0], assignment, kinds, answers_for(root, assignment, 0)
        )
        warm = await submit_and_wait(page)
        await context.close()
        one = []
        for i in range(single):
            context, page = await prepared_page(
                browser, url, codes[1 + i], assignment, kinds, answers_for(root, assignment, i)
            )
            one.append(await submit_and_wait(page))
            await context.close()
        pages = []
        for i in range(burst):
            pages.append(
                await prepared_page(
                    browser,
                    url,
                    codes[1 + single + i],
                    assignment,
                    kinds,
                    answers_for(root, assignment, i),
                )
            )
        together = await asyncio.gather(*(submit_and_wait(page) for _c, page in pages))
        for context, _page in pages:
            await context.close()
        await browser.close()
    return warm, one, sorted(together)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=5)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--assignment", default="chw_role_check")
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="chwkit-bench-submit-"))
    root, home = base / "project", base / "home"
    for name in ("notebooks", "forum_sessions", "assessments"):
        shutil.copytree(
            REPO / name, root / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    home.mkdir()
    env = {
        **os.environ,
        "CHWKIT_ROOT": str(root),
        "CHWKIT_HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    os.environ.update(CHWKIT_ROOT=str(root), CHWKIT_HOME=str(home))
    run(
        env, str(BIN / "nbgrader"), "generate_assignment", args.assignment, cwd=root / "assessments"
    )
    codes = []
    for i in range(1 + args.single + args.burst):
        out = run(env, str(BIN / "chwkit"), "roster", "add", f"bench-{i:02d}", cwd=root)
        codes.append(out.split()[1])

    port = free_port()
    with open(base / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [str(BIN / "chwkit"), "serve", "--port", str(port)],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit((base / "serve.log").read_text()[-3000:])
                time.sleep(0.3)
        warm, one, together = asyncio.run(
            measure(url, root, codes, args.assignment, args.single, args.burst)
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)

    single_median = statistics.median(one)
    burst_median, burst_p95 = statistics.median(together), p95(together)
    print(
        f"submit -> score shown, {args.assignment}, real Chromium, chwkit serve, nbgrader autograde"
    )
    print(f"  first submission after start (graders starting): {warm:.1f} s")
    print(
        f"  one learner, median of {len(one)}: {single_median:.1f} s "
        f"(each: {', '.join(f'{x:.1f}' for x in one)}) [target <= 5 s]"
    )
    print(
        f"  {len(together)} learners within one second: median {burst_median:.1f} s, "
        f"p95 {burst_p95:.1f} s (each: {', '.join(f'{x:.1f}' for x in together)}) "
        "[target p95 <= 15 s]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
