"""The kit's one sign-in: the rule (tries counted per code in a real records store) and the box."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chwkit.core import signin
from chwkit.program.store import RecordsStore

PACKAGE = Path(__file__).resolve().parents[2] / "widgets" / "chwkit"


@pytest.fixture
def people(tmp_path, monkeypatch):
    monkeypatch.setenv("CHWKIT_ROOT", str(tmp_path / "project"))
    monkeypatch.setenv("CHWKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CHWKIT_DB_URL", raising=False)
    from chwkit.assess import roster

    return {
        "learner": roster.add("p1", role="learner"),
        "facilitator": roster.add("f1", role="facilitator"),
    }


@pytest.fixture
def store(tmp_path):
    s = RecordsStore(f"sqlite:///{tmp_path / 'records.db'}")
    s.create()
    return s


def wrong(code: str) -> str:
    return code[:-1] + ("A" if code[-1] != "A" else "B")


def test_a_right_code_gives_the_person_and_clears_earlier_failures(people, store):
    code = people["learner"]
    assert signin.check_code(wrong(code), "learner", store).problem == "signin.wrong_code"
    assert store.failures(signin.failure_key(code), signin.TRY_WINDOW_S) == 1
    verdict = signin.check_code(code, "learner", store)
    assert verdict.problem is None and verdict.person.id == "p1"
    assert store.failures(signin.failure_key(code), signin.TRY_WINDOW_S) == 0


def test_after_max_tries_even_the_right_code_waits(people, store):
    code = people["learner"]
    for _ in range(signin.MAX_TRIES):
        assert signin.check_code(wrong(code), "learner", store).person is None
    verdict = signin.check_code(code, "learner", store)
    assert verdict.person is None and verdict.problem == "signin.too_many"
    assert "15 minutos" in verdict.message("es") and "15 minutes" in verdict.message("en")
    # another person's code is not locked by these tries
    assert signin.check_code(people["facilitator"], "facilitator", store).person.id == "f1"


def test_a_code_of_another_role_is_wrong_and_counted(people, store):
    code = people["learner"]
    verdict = signin.check_code(code, "facilitator", store)
    assert verdict.person is None and verdict.problem == "signin.wrong_code"
    assert "facilitación" in verdict.message("es", "facilitator")
    assert store.failures(signin.failure_key(code), signin.TRY_WINDOW_S) == 1


@pytest.mark.parametrize("junk", ["", "   ", "<script>", "x" * 500, None, 12, ["ABCD"]])
def test_junk_is_wrong_counts_nothing_and_never_raises(people, store, junk):
    assert signin.check_code(junk, "learner", store) == signin.Verdict(None, "signin.wrong_code")
    assert signin.failure_key(junk) is None


def test_a_store_that_cannot_be_read_is_unavailable_not_a_traceback(people, caplog):
    class Broken:
        def failures(self, key, window):
            raise OSError("disk gone")

    verdict = signin.check_code(people["learner"], "learner", Broken())
    assert verdict.problem == "signin.unavailable"
    assert "Traceback" not in verdict.message("es") and "disk gone" not in verdict.message("en")
    assert "sign-in could not be checked" in caplog.text


def test_the_box_signs_in_speaks_both_languages_and_keeps_no_code(people, store):
    seen = []
    box = signin.SignInBox("learner", lambda person, code: seen.append(person.id), "es", store)
    assert box.button.description == "Entrar" and "Código de acceso" in box.label.value
    box.code.value = "WXYZ-2345-6789"
    box.button.click()
    assert "role='alert'" in box.message.value and "no es válido" in box.message.value
    box.lang = "en"
    assert box.button.description == "Sign in" and "is not valid" in box.message.value
    assert box.sign_in(people["learner"]) and seen == ["p1"]
    assert box.code.value == "" and box.message.value == ""


def test_one_code_box_in_the_package():
    """Every page that asks for a code uses SignInBox: no other password field, no other
    failed-try counter."""
    allowed = {
        "core/signin.py": "the rule and the box",
        "assess/roster.py": "defines verify_code",
        "program/store.py": "defines note_failure",
        "assess/submit.py": "re-checks a code already signed in (a code replaced meanwhile)",
    }
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        if name not in allowed and re.search(
            r"widgets\.Password\(|verify_code\(|note_failure\(|failures\(", text
        ):
            offenders.append(name)
    assert offenders == []
