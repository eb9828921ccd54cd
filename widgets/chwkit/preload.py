"""Preloading the scripts a module page needs, so a slow link downloads them in one wave.

Voila's front end arrives in waves: ``voila.js`` asks for its chunks, they start the widget
extensions' ``remoteEntry`` files, which ask for theirs, and drawing the first widget asks for
more. Over a 150 ms, 1.6 Mbit/s link each wave waits for the one before, and the link sits
idle in between. A ``<link rel="preload">`` for every script the page will ask for starts
them all with the page.

Which scripts those are depends on the pinned Voila and widget builds, so the list is recorded
from a real page load (``python -m chwkit.preload record``) into ``preload.json`` with the
Voila version it was recorded on. On another Voila version the list is not used (the page
still works, only without preloading), and a browser test fails until it is recorded again.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

from . import paths

MANIFEST = paths.package_dir() / "share" / "chwkit" / "preload.json"
# What a module page asks for: Voila's chunks (under the kit's versioned static URL) and the
# widget extensions' files. Recorded without the origin, the base URL or the static version.
_STATIC = re.compile(r"/voila/static/(?:v/[0-9a-f]+/)?([\w.\-]+\.js)$")
_LABEXT = re.compile(r"/voila/labextensions/(.+\.js(?:\?v=\w+)?)$")


def _voila_version() -> str:
    import voila

    return voila.__version__


@cache
def _recorded() -> dict:
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if manifest.get("voila") == _voila_version() else {}


def _static_dir() -> Path | None:
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("voila", "templates", "base", "static"):
        if Path(base, "voila.js").is_file():
            return Path(base)
    return None


def _labext_file(path: str) -> Path | None:
    from voila.utils import get_voila_labextensions_path

    name = path.split("?", 1)[0]
    for base in get_voila_labextensions_path():
        if Path(base, name).is_file():
            return Path(base, name)
    return None


@cache
def preload_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Voila chunk names, extension paths) recorded for this Voila and present on disk."""
    manifest = _recorded()
    static = _static_dir()
    chunks = tuple(
        n for n in manifest.get("static", []) if static is not None and (static / n).is_file()
    )
    labext = tuple(p for p in manifest.get("labextensions", []) if _labext_file(p) is not None)
    return chunks, labext


def classify(url: str) -> tuple[str, str] | None:
    """("static", chunk) or ("labextensions", path) for a script URL a page asked for."""
    url = url.split("://", 1)[-1]
    url = url[url.find("/") :]
    if match := _STATIC.search(url):
        return "static", match.group(1)
    if match := _LABEXT.search(url):
        return "labextensions", match.group(1)
    return None


def record(urls: list[str]) -> dict:
    """The manifest for the script URLs one module page asked for (in request order)."""
    manifest: dict = {"voila": _voila_version(), "static": [], "labextensions": []}
    for url in urls:
        found = classify(url)
        if found and found[1] != "voila.js" and found[1] not in manifest[found[0]]:
            manifest[found[0]].append(found[1])
    return manifest


def main(argv: list[str] | None = None) -> int:
    """``python -m chwkit.preload record``: load a module page in Chromium, write the list."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["record"]:
        print("usage: python -m chwkit.preload record", file=sys.stderr)
        return 1
    import tempfile

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(paths.project_root() / "tests"))
    from conftest import (  # the tests' own real server and browser settings
        CHROMIUM,
        CHROMIUM_ARGS,
        copy_project,
        start_server,
        stop_server,
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = copy_project(Path(tmp) / "project")
        server = start_server(root, Path(tmp) / "home", ("--no-preload",))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                urls: list[str] = []
                page.on("request", lambda r: urls.append(r.url))
                page.goto(
                    server.url + "voila/render/notebooks/modules/chw_role/chw_role.ipynb?lang=es"
                )
                page.wait_for_selector(".chwkit-question input", timeout=120_000)
                page.wait_for_load_state("networkidle")
                browser.close()
        finally:
            stop_server(server.process)
    manifest = record(urls)
    MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(
        f"{MANIFEST}: {len(manifest['static'])} Voila chunks, "
        f"{len(manifest['labextensions'])} extension files (Voila {manifest['voila']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
