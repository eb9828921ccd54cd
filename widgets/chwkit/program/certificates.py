"""Certificates: issued when a learner completes a track, verified by their code, revocable.

A track is complete when every module in it is completed (its mastery rule), every released
assessment of its modules is at or above the track's pass mark in nbgrader's gradebook, and
no reflection waits for the trainer. The certificate is then issued once (a second request
returns the same one) with a verification code, and kept in the records store with what it
certifies: the name as the roster has it (the pseudonymous id otherwise), the program, the
track, its hours and modules, the C3 roles and skills the modules cover, and the date.

A revoked certificate stays in the store (verification says it was revoked); the learner is
not issued a new one automatically: the trainer decides.

The PDF is the kit's HTML certificate laid out by WeasyPrint (``chwkit.core.pdf``), in the
language the learner asks for.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from chwkit.assess import roster
from chwkit.core import paths
from chwkit.core.i18n import LANGS, format_date, t
from chwkit.learn import spec as module_specs
from chwkit.program.progress import TrackStatus
from chwkit.program.store import Certificate, RecordsStore

PREFIX = "CHW"
CODE = re.compile(r"^CHW-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


class CertificateError(ValueError):
    """A certificate cannot be issued or found; ``key`` is the catalog key of the message."""

    def __init__(self, key: str, **values):
        super().__init__(t(key, "en", **values))
        self.key = key
        self.values = values


def new_code() -> str:
    blocks = ["".join(secrets.choice(roster.ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join([PREFIX, *blocks])


def normalize_code(value: object) -> str | None:
    """``" chw k7qf 9xm2 ht4p"`` -> ``"CHW-K7QF-9XM2-HT4P"``; None if it cannot be a code."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    compact = re.sub(r"[\s\-]+", "", value).upper()
    if not compact.startswith(PREFIX):
        return None
    body = compact[len(PREFIX) :]
    code = "-".join([PREFIX, body[0:4], body[4:8], body[8:12]]) if len(body) == 12 else ""
    return code if CODE.fullmatch(code) else None


def issue(store: RecordsStore, learner: str, track: TrackStatus, lang: str) -> Certificate:
    """Issue ``learner``'s certificate of ``track`` (or return the one they hold)."""
    if track.certificate is not None:
        return track.certificate
    if track.missing:
        raise CertificateError("program.track_missing_module", module=", ".join(track.missing))
    if not track.complete:
        raise CertificateError("program.certificate_not_yet")
    if track.revoked is not None:
        raise CertificateError("program.certificate_revoked_ask")
    person = roster.get(learner)
    specs = {m.id: module_specs.find(m.id) for m in track.modules}
    roles = sorted({r for spec in specs.values() if spec for r in spec.c3_roles})
    skills = sorted({s for spec in specs.values() if spec for s in spec.c3_skills})
    details = {
        "name": person.name if person and person.name else learner,
        "track_title": track.title,
        "modules": [{"id": m.id, "title": m.title} for m in track.modules],
        "roles": roles,
        "skills": skills,
        "scores": {
            a.assignment: [a.result.score, a.result.max_score]
            for a in track.assessments
            if a.result
        },
    }
    return store.issue_certificate(
        learner,
        track.id,
        track.program,
        lang if lang in LANGS else "es",
        track.hours,
        details,
        code=new_code(),
    )


def program_name(program: str, lang: str) -> str:
    key = f"program.name.{program}"
    from chwkit.core.i18n import catalog

    return t(key, lang) if key in catalog() else program


@dataclass(frozen=True)
class Verification:
    status: str  # "valid" | "revoked" | "unknown"
    certificate: Certificate | None


def verify(store: RecordsStore, code: object) -> Verification:
    normalized = normalize_code(code)
    found = store.certificate(normalized) if normalized else None
    if found is None:
        return Verification("unknown", None)
    return Verification("valid" if found.valid else "revoked", found)


def certificate_context(certificate: Certificate, lang: str, verify_url: str) -> dict:
    """What the certificate's page and PDF show, in ``lang``."""
    details = certificate.details
    title = details.get("track_title", {})
    return {
        "code": certificate.code,
        "name": details.get("name") or certificate.learner,
        "program": program_name(certificate.program, lang),
        "track": title.get(lang) or title.get("es") or certificate.track,
        "hours": certificate.hours,
        "modules": [m["title"].get(lang) or m["id"] for m in details.get("modules", [])],
        "roles": [t(f"c3.role.{r}", lang) for r in details.get("roles", [])],
        "skills": [t(f"c3.skill.{s}", lang) for s in details.get("skills", [])],
        "date": format_date(certificate.issued_at.date(), lang),
        "verify_url": verify_url,
        "revoked": not certificate.valid,
    }


def render_html(certificate: Certificate, lang: str, verify_url: str) -> str:
    from chwkit.serve.pages import render_page

    return render_page(
        "certificate.html", lang, c=certificate_context(certificate, lang, verify_url)
    )


def pdf(certificate: Certificate, lang: str, verify_url: str) -> bytes:
    """The certificate as a PDF in ``lang`` (WeasyPrint, offline)."""
    from chwkit.core.pdf import pdf_bytes

    return pdf_bytes(render_html(certificate, lang, verify_url), base=paths.package_dir())
