"""My progress and certificates without a server: a track's status from the records and the
gradebook's results, a certificate only for a complete track (issued once, not again after a
revocation), and a track file naming a missing module said and counted for nothing."""

from __future__ import annotations

import pytest

from chwkit.program import certificates, events
from chwkit.program.progress import Result, learner_progress
from chwkit.program.store import RecordsStore

VISIT = "visit-progress-1"
TRACK = """id: {id}
title: {{es: "Ruta {id}", en: "Track {id}"}}
summary: {{es: "Prueba.", en: "Test."}}
program: clinic_academy
level: entry
modules: [{modules}]
hours: 1.5
pass_mark: 0.7
"""


@pytest.fixture
def tracks(tmp_path):
    folder = tmp_path / "tracks"
    folder.mkdir()
    (folder / "solo.yaml").write_text(TRACK.format(id="solo", modules="chw_role"))
    (folder / "broken.yaml").write_text(TRACK.format(id="broken", modules="chw_role, no_such"))
    return folder


def finish_module(store, learner: str) -> None:
    from chwkit.program import mastery

    batch = [{"kind": "opened", "module": "chw_role", "visit": VISIT}] + [
        {"kind": "attempt", "module": "chw_role", "visit": VISIT, "question": q, "right": True}
        for q in mastery.questions_of("chw_role")
    ]
    assert events.record(store, learner, batch) == ["chw_role"]


def by_id(progress):
    return {t.id: t for t in progress.tracks}


def test_a_track_is_complete_with_its_modules_and_passed_assessments(home, tracks):
    from chwkit.assess import roster

    roster.add("g001", name="Luz Prueba")
    store = RecordsStore()
    finish_module(store, "g001")
    progress = learner_progress(store, "g001", results={}, tracks_root=tracks)
    solo = by_id(progress)["solo"]
    assert solo.complete and not solo.assessments, "no assessment released: modules only"
    assert progress.hours_this_year == pytest.approx(40 / 60, abs=0.01)
    issued = certificates.issue(store, "g001", solo, "es")
    assert certificates.CODE.fullmatch(issued.code)
    assert issued.details["name"] == "Luz Prueba" and issued.details["roles"]
    again = learner_progress(store, "g001", results={}, tracks_root=tracks)
    assert certificates.issue(store, "g001", by_id(again)["solo"], "es").code == issued.code
    store.revoke_certificate(issued.code, "test")
    after = by_id(learner_progress(store, "g001", results={}, tracks_root=tracks))["solo"]
    assert after.certificate is None and after.revoked is not None
    with pytest.raises(certificates.CertificateError) as refused:
        certificates.issue(store, "g001", after, "es")
    assert refused.value.key == "program.certificate_revoked_ask"
    assert certificates.verify(store, issued.code.lower()).status == "revoked"
    assert certificates.verify(store, "CHW-2222-3333-4444").status == "unknown"


def test_an_assessment_below_the_pass_mark_or_waiting_keeps_the_track_open(
    home, tracks, monkeypatch
):
    from chwkit.program import progress as progress_mod

    monkeypatch.setattr(
        progress_mod,
        "released_assessments",
        lambda: [("chw_role_check", "chw_role", {"es": "A", "en": "A"})],
    )
    store = RecordsStore()
    finish_module(store, "g002")
    for result, status in (
        (Result("chw_role_check", 5, 9, False, None), "below"),
        (Result("chw_role_check", 9, 9, True, None), "waiting"),
        (Result("chw_role_check", 7, 9, False, None), "passed"),
    ):
        solo = by_id(
            learner_progress(store, "g002", results={"chw_role_check": result}, tracks_root=tracks)
        )["solo"]
        assert solo.assessments[0].status == status
        assert solo.complete is (status == "passed")


def test_a_track_naming_a_missing_module_is_said_and_gives_no_certificate(home, tracks):
    store = RecordsStore()
    finish_module(store, "g003")
    broken = by_id(learner_progress(store, "g003", results={}, tracks_root=tracks))["broken"]
    assert broken.missing == ["no_such"] and not broken.complete
    with pytest.raises(certificates.CertificateError) as refused:
        certificates.issue(store, "g003", broken, "en")
    assert "no_such" in str(refused.value)
    assert store.certificates("g003") == [], "nothing written"


def test_certificate_pdf_says_what_it_certifies_in_each_language(home, tracks):
    import io

    from pypdf import PdfReader

    store = RecordsStore()
    finish_module(store, "g004")
    solo = by_id(learner_progress(store, "g004", results={}, tracks_root=tracks))["solo"]
    issued = certificates.issue(store, "g004", solo, "es")
    for lang, words in (
        ("es", ["Certificado de finalización", "g004", "Ruta solo", "1.5 horas"]),
        ("en", ["Certificate of completion", "g004", "Track solo", "1.5 hours"]),
    ):
        pdf = certificates.pdf(issued, lang, "http://127.0.0.1/chwkit/verify?code=" + issued.code)
        text = " ".join(
            " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split()
        )
        for word in [*words, issued.code]:
            assert word in text, (lang, word, text)
