"""The kit's Voila template shadows and extends upstream templates: an upgrade that changes
one of them fails here, so someone reviews the kit's copy before learners get it.

``template_upstream.json`` records the sha256 of each upstream file the kit's template
(``widgets/chwkit/serve/share/jupyter/voila/templates/chwkit/``) copies, replaces or builds
on. After reviewing an upgrade (read the upstream diff, carry what matters into the kit's
files), record the new checksums with ``CHWKIT_UPDATE_UPSTREAM=1 pytest
tests/test_template_upstream.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path

from chwkit.core import paths

RECORD = Path(__file__).with_name("template_upstream.json")
KIT = paths.share_dir() / "voila" / "templates" / "chwkit"


def upstream(relative: str) -> Path:
    """The installed upstream file (Jupyter's data path, without the kit's own folder)."""
    kit_share = paths.share_dir().resolve()
    for folder in jupyter_path():
        if Path(folder).resolve() == kit_share:
            continue
        candidate = Path(folder) / relative
        if candidate.is_file():
            return candidate
    raise AssertionError(f"{relative} is not installed: was Voila or nbconvert upgraded?")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def test_every_upstream_file_the_kit_shadows_is_recorded():
    files = recorded()["files"]
    # A kit file with an upstream namesake shadows it: it must be listed.
    for kit_file in KIT.glob("*.j2"):
        for family in ("voila/templates/base", "voila/templates/lab"):
            name = f"{family}/{kit_file.name}"
            try:
                upstream(name)
            except AssertionError:
                continue
            assert name in files, f"{kit_file.name} shadows {name}: record it"


@pytest.mark.parametrize("relative", sorted(recorded()["files"]))
def test_upstream_template_is_the_one_the_kit_was_reviewed_against(relative):
    entry = recorded()["files"][relative]
    found = sha256(upstream(relative))
    if os.environ.get("CHWKIT_UPDATE_UPSTREAM") == "1":
        data = recorded()
        data["files"][relative]["sha256"] = found
        RECORD.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert found == entry["sha256"], (
        f"{relative} changed upstream ({entry['why']}): review the kit's template against it, "
        "then record it (CHWKIT_UPDATE_UPSTREAM=1)"
    )
