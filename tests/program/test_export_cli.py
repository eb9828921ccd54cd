"""``chwkit records export`` (tidy CSV + Parquet + a valid Frictionless datapackage,
pseudonymous ids only) and ``chwkit certificate verify|list|revoke``."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chwkit.cli import main
from chwkit.program import events
from chwkit.program.export import TABLES, export
from chwkit.program.store import RecordsStore

VISIT = "visit-export-01"


@pytest.fixture
def filled(home):
    from chwkit.assess import roster

    roster.add("x001", name="Ana Ejemplo Privado")
    store = RecordsStore()
    batch = [{"kind": "opened", "module": "chw_role", "visit": VISIT}] + [
        {"kind": "attempt", "module": "chw_role", "visit": VISIT, "question": q, "right": True}
        for q in ("q1", "q2", "q3", "q4", "q5")
    ]
    events.record(store, "x001", batch)
    store.issue_certificate(
        "x001", "t1", "clinic_academy", "es", 3.2, {"name": "Ana Ejemplo Privado"},
        "CHW-AAAA-BBBB-CCCC",
    )  # fmt: skip
    yield store
    store.close()


def test_the_export_is_tidy_valid_and_names_nobody(filled, tmp_path):
    from frictionless import validate

    results = [
        {
            "learner": "x001",
            "assessment": "chw_role_check",
            "module": "chw_role",
            "score": 7.0,
            "max_score": 9.0,
            "needs_manual_grade": True,
            "submitted_at": datetime(2026, 3, 5, 14, 3, 59),
        }
    ]
    report = export(filled, tmp_path / "out", results=results)
    assert report.rows["module_progress"] == 1 and report.rows["practice_attempts"] == 5
    assert report.rows["hours"] == 1 and report.rows["certificates"] == 1
    checked = validate(str(tmp_path / "out" / "datapackage.json"))
    assert checked.valid, checked.flatten(["rowNumber", "fieldName", "type", "note"])
    for table in TABLES:
        typed = pq.read_table(tmp_path / "out" / f"{table.name}.parquet")
        assert typed.schema.names == list(table.names)
        for found, expected in zip(typed.schema, table.arrow_schema(), strict=True):
            if pa.types.is_timestamp(expected.type):  # Parquet keeps times in ms, not s
                assert pa.types.is_timestamp(found.type) and found.type.tz == "UTC"
            else:
                assert found.type == expected.type, found.name
        text = (tmp_path / "out" / f"{table.name}.csv").read_text(encoding="utf-8")
        assert "Ana" not in text and "Privado" not in text, "pseudonymous ids only"
    progress = (tmp_path / "out" / "module_progress.csv").read_text().splitlines()
    assert progress[1].startswith('"x001","chw_role"') and ",true," in progress[1]
    from chwkit.learn.spec import find

    hours = (tmp_path / "out" / "hours.csv").read_text().splitlines()[1]
    stated = round(find("chw_role").duration_min / 60, 2)
    assert float(hours.split(",")[2]) == stated, "chw_role's stated time, completed"


def test_records_export_command(filled, tmp_path, capsys):
    assert main(["records", "export", "--out", str(tmp_path / "cli")]) == 0
    assert "module_progress 1" in capsys.readouterr().out
    assert (tmp_path / "cli" / "datapackage.json").is_file()


def test_certificate_verify_list_and_revoke(filled, capsys):
    assert main(["certificate", "verify", "chw-aaaa-bbbb-cccc"]) == 0
    assert "CHW-AAAA-BBBB-CCCC\tx001\tt1" in capsys.readouterr().out
    assert main(["certificate", "verify", "CHW-ZZZZ-ZZZZ-ZZZZ"]) == 2
    assert main(["certificate", "verify", "not a code"]) == 2
    capsys.readouterr()
    assert main(["certificate", "list", "--learner", "x001"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert main(["certificate", "revoke", "CHW-AAAA-BBBB-CCCC", "--reason", "mistake"]) == 0
    assert main(["certificate", "verify", "CHW-AAAA-BBBB-CCCC"]) == 1
    assert "revoked" in capsys.readouterr().out
    assert main(["certificate", "revoke", "CHW-AAAA-BBBB-CCCC", "--reason", "again"]) == 2
