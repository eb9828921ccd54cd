"""The kit's front end draws ipywidgets' models with ipywidgets' own npm packages: the versions
pinned in ``frontend/package.json`` (and locked) must be the ones the installed ipywidgets
ships to JupyterLab, and speak the widget protocol versions the kernel side announces."""

from __future__ import annotations

import json
import re
from pathlib import Path

import ipywidgets
import pytest
from jupyter_core.paths import jupyter_path

REPO = Path(__file__).resolve().parent.parent
FRONTEND = REPO / "frontend"
MANAGER = "labextensions/@jupyter-widgets/jupyterlab-manager"


def pinned() -> dict[str, str]:
    deps = json.loads((FRONTEND / "package.json").read_text())["dependencies"]
    return {name: version for name, version in deps.items() if name.startswith("@jupyter-widgets/")}


def shipped() -> dict[str, str]:
    """The @jupyter-widgets/* versions bundled in the installed widget manager (the npm side
    of the installed ipywidgets: jupyterlab_widgets, which ipywidgets pins)."""
    for folder in jupyter_path():
        licenses = Path(folder) / MANAGER / "static" / "third-party-licenses.json"
        if licenses.is_file():
            packages = json.loads(licenses.read_text())["packages"]
            return {
                p["name"]: p["versionInfo"]
                for p in packages
                if p["name"].startswith("@jupyter-widgets/")
            }
    raise AssertionError("ipywidgets' JupyterLab widget manager (jupyterlab_widgets) is missing")


def test_front_end_pins_are_exact_versions():
    assert pinned(), "frontend/package.json names no @jupyter-widgets package"
    for name, version in pinned().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: pin an exact version"


def test_front_end_pins_match_the_installed_ipywidgets():
    bundled = shipped()
    for name, version in pinned().items():
        assert name in bundled, f"{name} is not part of ipywidgets {ipywidgets.__version__}"
        assert version == bundled[name], (
            f"{name} is pinned at {version}, ipywidgets {ipywidgets.__version__} ships "
            f"{bundled[name]}: change frontend/package.json with ipywidgets (README)"
        )


def test_the_lock_file_installs_the_pinned_versions():
    lock = json.loads((FRONTEND / "package-lock.json").read_text())["packages"]
    for name, version in pinned().items():
        assert lock[f"node_modules/{name}"]["version"] == version, f"{name}: run npm install"


PROTOCOL = {
    "@jupyter-widgets/base": (
        "lib/version.js",
        "JUPYTER_WIDGETS_VERSION",
        ipywidgets._version.__jupyter_widgets_base_version__,
    ),
    "@jupyter-widgets/controls": (
        "lib/version.js",
        "JUPYTER_CONTROLS_VERSION",
        ipywidgets._version.__jupyter_widgets_controls_version__,
    ),
}


@pytest.mark.parametrize("package", sorted(PROTOCOL))
def test_the_front_end_speaks_the_kernels_widget_protocol(package):
    source, constant, kernel_side = PROTOCOL[package]
    path = FRONTEND / "node_modules" / package / source
    if not path.is_file():
        pytest.skip("frontend/node_modules is not installed (make frontend)")
    found = re.search(rf"{constant} = '([^']+)'", path.read_text())
    assert found, f"{package}: {constant} not found in {source}"
    assert found.group(1) == kernel_side, (
        f"{package} implements {found.group(1)}, the kernel's ipywidgets {kernel_side}"
    )
