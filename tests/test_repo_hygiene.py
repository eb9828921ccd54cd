"""Notebooks are committed clean; Binder's requirements agree with pyproject.toml."""

import json
import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tracked_notebooks():
    try:
        out = subprocess.run(
            ["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.split()
        return [REPO / p for p in out]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in REPO.rglob("*.ipynb") if ".venv" not in p.parts]


def test_committed_notebooks_hold_no_outputs():
    dirty = []
    notebooks = tracked_notebooks()
    assert notebooks
    for path in notebooks:
        if "corpus" in path.parts:  # deliberately broken test inputs
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code" and (
                cell.get("outputs") or cell.get("execution_count")
            ):
                dirty.append(str(path.relative_to(REPO)))
                break
    assert not dirty, f"strip outputs from: {dirty}"


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_binder_requirements_agree_with_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    lines = (REPO / "binder" / "requirements.txt").read_text().splitlines()
    pinned = {_name(r): r.replace(" ", "") for r in lines if r.strip() and not r.startswith("#")}
    assert pinned == wanted


def test_binder_installs_the_kit_and_its_template():
    post = (REPO / "binder" / "postBuild").read_text()
    assert "pip install" in post and "-e ." in post and "binder-config" in post
    assert "widgets/chwkit/serve/share/jupyter" in (REPO / "binder" / "start").read_text()


def test_nothing_links_a_cdn():
    pattern = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs\.cloudflare|fonts\.googleapis")
    hits = [
        str(p.relative_to(REPO))
        for p in (REPO / "widgets").rglob("*")
        if p.is_file()
        and p.suffix in {".j2", ".html", ".py", ".json", ".css", ".js"}
        and pattern.search(p.read_text(errors="ignore"))
    ]
    assert not hits
