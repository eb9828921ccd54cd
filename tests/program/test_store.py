"""The records store, on SQLite and on a real PostgreSQL server: sign-in failures and
sessions, progress with mastery and active time, certificates; nothing lost by 30 writers
at once nor by a writer killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from chwkit.program import events, mastery
from chwkit.program.store import IDLE_CAP_S, RecordsStore, now_utc, practice

WRITER = Path(__file__).with_name("writer.py")
VISIT = "visit-0001-abcd"


def test_failed_tries_are_counted_per_key_within_the_window(store):
    past = now_utc() - timedelta(minutes=20)
    store.note_failure("code:ABCD", now=past)
    for _ in range(3):
        store.note_failure("code:ABCD")
    store.note_failure("code:WXYZ")
    assert store.failures("code:ABCD", window_s=15 * 60) == 3
    assert store.failures("code:ABCD", window_s=30 * 60) == 4
    assert store.failures("code:WXYZ", window_s=60) == 1
    store.clear_failures("code:ABCD")
    assert store.failures("code:ABCD", window_s=3600) == 0
    assert store.failures("code:WXYZ", window_s=60) == 1


def test_a_session_is_found_by_its_token_until_it_ends(store):
    token = store.open_session("p001", "stamp-1")
    other = store.open_session("p001", "stamp-1")
    assert store.session(token).learner == "p001"
    assert store.session("not-a-token") is None
    assert store.session("") is None
    store.end_session(token)
    assert store.session(token) is None
    assert store.session(other) is not None
    assert store.end_sessions_of("p001") == 1
    assert store.session(other) is None


def test_tries_keep_count_and_first_try_never_the_text(store):
    batch = [
        {"kind": "opened", "module": "chw_role", "visit": VISIT},
        {"kind": "attempt", "module": "chw_role", "visit": VISIT, "question": "q1", "right": False},
        {"kind": "attempt", "module": "chw_role", "visit": VISIT, "question": "q1", "right": True},
        {"kind": "attempt", "module": "chw_role", "visit": VISIT, "question": "q2", "right": True},
    ]
    assert events.record(store, "p001", batch) == []
    tries = {a.question: a for a in store.attempts("p001", "chw_role")}
    assert (tries["q1"].attempts, tries["q1"].first_try_right, tries["q1"].right_once) == (
        2,
        False,
        True,
    )
    assert (tries["q2"].attempts, tries["q2"].first_try_right) == (1, True)
    assert set(store.rows(practice)[0]) == {
        "learner", "module", "question", "attempts", "first_try_right", "right_once",
        "first_at", "last_at",
    }  # fmt: skip
    record = store.module_records("p001")["chw_role"]
    assert record.visits == 1 and record.completed_at is None
    assert store.module_records("p002") == {}


def test_a_module_is_completed_by_its_mastery_rule(store):
    questions = mastery.questions_of("chw_role")
    assert questions and mastery.rule_for("chw_role") == mastery.DEFAULT
    opened = [{"kind": "opened", "module": "chw_role", "visit": VISIT}]
    events.record(store, "p001", opened)
    for q in questions[:-1]:
        batch = [
            {"kind": "attempt", "module": "chw_role", "visit": VISIT, "question": q, "right": True}
        ]
        assert events.record(store, "p001", batch) == []
    last = [
        {
            "kind": "attempt",
            "module": "chw_role",
            "visit": VISIT,
            "question": questions[-1],
            "right": True,
        }
    ]
    assert events.record(store, "p001", last) == ["chw_role"]
    assert store.module_records("p001")["chw_role"].completed_at is not None
    assert events.record(store, "p001", last) == [], "completed once"


def test_first_try_rule_counts_first_tries_only():
    from chwkit.program.store import Attempt

    rule = mastery.parse({"first_try": 2}, "test")
    tries = [
        Attempt("m", "a", 1, True, True),
        Attempt("m", "b", 3, False, True),
        Attempt("m", "c", 1, True, True),
    ]
    assert rule.met(("a", "b", "c"), tries)
    assert not rule.met(("a", "b", "c"), tries[:2])
    assert mastery.DEFAULT.met(("a", "b"), tries) and not mastery.DEFAULT.met(("a", "z"), tries)
    with pytest.raises(mastery.MasteryError):
        mastery.parse({"first_try": 0}, "module.yaml")
    with pytest.raises(mastery.MasteryError):
        mastery.parse("most", "module.yaml")


def test_active_time_adds_gaps_up_to_the_idle_cap(store):
    start = now_utc()
    store.record_events(
        "p001", [{"kind": "opened", "module": "chw_role", "visit": VISIT}], now=start
    )
    store.record_events(
        "p001", [{"kind": "left", "module": "chw_role", "visit": VISIT}],
        now=start + timedelta(seconds=90),
    )  # fmt: skip
    store.record_events(
        "p001", [{"kind": "left", "module": "chw_role", "visit": VISIT}],
        now=start + timedelta(hours=3),
    )  # fmt: skip
    assert store.module_records("p001")["chw_role"].active_seconds == pytest.approx(90 + IDLE_CAP_S)


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "opened",
        [{"kind": "opened", "module": "no_such_module", "visit": VISIT}],
        [{"kind": "opened", "module": "../etc", "visit": VISIT}],
        [{"kind": "opened", "module": "chw_role", "visit": "x"}],
        [{"kind": "typed", "module": "chw_role", "visit": VISIT}],
        [
            {
                "kind": "attempt",
                "module": "chw_role",
                "visit": VISIT,
                "question": "q99",
                "right": True,
            }
        ],
        [
            {
                "kind": "attempt",
                "module": "chw_role",
                "visit": VISIT,
                "question": "q1",
                "right": "yes",
            }
        ],
    ],
)
def test_malformed_events_write_nothing(store, bad):
    good = {"kind": "opened", "module": "chw_role", "visit": VISIT}
    with pytest.raises(events.EventError):
        events.record(store, "p001", [good, *bad] if isinstance(bad, list) and bad else bad)
    assert store.module_records("p001") == {}


def test_certificates_are_issued_once_verified_and_revoked(store):
    first = store.issue_certificate(
        "p001", "t1", "prog", "es", 3.0, {"name": "Ana"}, "CHW-AAAA-BBBB-CCCC"
    )
    again = store.issue_certificate("p001", "t1", "prog", "en", 3.0, {}, "CHW-DDDD-EEEE-FFFF")
    assert again.code == first.code == "CHW-AAAA-BBBB-CCCC"
    assert store.certificate(first.code).details == {"name": "Ana"}
    assert store.revoke_certificate(first.code, "issued by mistake")
    assert not store.revoke_certificate(first.code, "twice")
    revoked = store.certificate(first.code)
    assert not revoked.valid and revoked.revoked_reason == "issued by mistake"
    new = store.issue_certificate("p001", "t1", "prog", "es", 3.0, {}, "CHW-GGGG-HHHH-JJJJ")
    assert new.code == "CHW-GGGG-HHHH-JJJJ"
    assert [c.code for c in store.certificates("p001")] == [first.code, new.code]


def _writer(db_url: str, learner: str, count: int, report: bool = False) -> subprocess.Popen:
    args = [sys.executable, str(WRITER), db_url, learner, str(count)]
    return subprocess.Popen(
        [*args, "--report"] if report else args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )


def test_thirty_writers_at_once_lose_nothing(store, db_url):
    writers, each = 30, 10
    procs = [_writer(db_url, f"w{i:02d}", each) for i in range(writers)]
    for proc in procs:
        _out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-3000:]
    for i in range(writers):
        record = store.module_records(f"w{i:02d}")["chw_role"]
        assert record.visits == each
        (attempt,) = store.attempts(f"w{i:02d}")
        assert attempt.attempts == each and attempt.first_try_right
    (shared,) = store.attempts("everyone")
    assert shared.attempts == writers * each, "no increment lost to a concurrent writer"


def test_a_writer_killed_with_sigkill_loses_nothing_it_committed(store, db_url):
    proc = _writer(db_url, "k01", 100_000, report=True)
    committed = 0
    for line in proc.stdout:
        committed = int(line.split()[1])
        if committed >= 40:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store.close()
    reopened = RecordsStore(db_url)
    record = reopened.module_records("k01")["chw_role"]
    assert record.visits >= committed
    (attempt,) = reopened.attempts("k01")
    assert attempt.attempts == record.visits, "each transaction whole or not at all"
    if reopened.dialect == "sqlite":
        with reopened.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    reopened.close()
