"""The server's records pages and the records API kernels call.

For learners (signed in, ``chwkit.serve.identity``):
- ``GET <base>chwkit/progress``: "My progress": tracks, modules done and in progress, scores,
  hours this year, what comes next, certificates; issues a certificate for a completed track;
- ``GET <base>chwkit/certificate/<code>.pdf``: the learner's own certificate, as a PDF.

For anyone holding a certificate: ``GET <base>chwkit/verify?code=...`` confirms or denies it.

For the pages' kernels (never a browser: the token is signed by the server for the kernel):
- ``POST <base>chwkit/api/records``: a module page's events (opened, practice tries, left);
- ``POST <base>chwkit/api/grade``: grade this learner's new submission now; answers once
  it is graded (``chwkit.program.results``).
"""

from __future__ import annotations

import json

import tornado.web
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from chwkit.assess import course
from chwkit.core.i18n import t
from chwkit.core.log import kernel_log
from chwkit.program import certificates, events
from chwkit.program.progress import learner_progress
from chwkit.program.results import InstantGrader
from chwkit.serve import identity
from chwkit.serve.pages import PageHandler, render_page, request_lang

MAX_BODY = 64_000
log = kernel_log("chwkit.serve.records")


def grader_of(handler: tornado.web.RequestHandler) -> InstantGrader:
    grader = handler.settings.get("chwkit_grader")
    if grader is None:
        grader = handler.settings["chwkit_grader"] = InstantGrader()
    return grader


class KernelApiHandler(tornado.web.RequestHandler):
    """Base of the API for kernels: JSON in, JSON out, the kernel token in the body."""

    def check_xsrf_cookie(self) -> None:
        """Not cookie-authenticated (the kernel token is in the body): no XSRF to check."""

    def reply(self, status: int, **data) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def payload(self) -> tuple[identity.Visitor | None, dict]:
        if len(self.request.body) > MAX_BODY:
            return None, {}
        try:
            data = json.loads(self.request.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None, {}
        if not isinstance(data, dict):
            return None, {}
        return identity.kernel_visitor(self, data.get("token")), data

    def write_error(self, status_code: int, **kwargs) -> None:
        self.reply(status_code, ok=False)


class RecordsApiHandler(KernelApiHandler):
    async def post(self):
        visitor, data = self.payload()
        if visitor is None:
            return self.reply(403, ok=False, error="not signed in")
        store = identity.records_of(self)
        try:
            completed = await IOLoop.current().run_in_executor(
                None, events.record, store, visitor.learner, data.get("events")
            )
        except events.EventError as exc:
            return self.reply(400, ok=False, error=str(exc))
        self.reply(200, ok=True, completed=completed)


class GradeApiHandler(KernelApiHandler):
    async def post(self):
        visitor, data = self.payload()
        if visitor is None:
            return self.reply(403, ok=False, error="not signed in")
        assignment = data.get("assignment")
        try:
            course.check_assignment_id(assignment)
        except course.CourseError:
            return self.reply(400, ok=False, error="unknown assessment")
        graded = await grader_of(self).grade(assignment, visitor.learner)
        self.reply(200, ok=graded)


class LearnerPage(PageHandler):
    """A page of the signed-in learner; a visitor who is not signed in is sent to sign in."""

    def visitor_or_sign_in(self) -> identity.Visitor | None:
        visitor = identity.current_visitor(self)
        if visitor is None:
            self.redirect(identity.sign_in_url(self, self.request.uri, request_lang(self)))
        return visitor

    def page(self, name: str, **context) -> None:
        lang = request_lang(self)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            render_page(
                name,
                lang,
                home_href=self.base_url,
                base=self.base_url,
                sign_out=url_path_join(self.base_url, "chwkit/sign-out"),
                xsrf=self.xsrf_form_html(),
                **context,
            )
        )


def _issue_complete(store, learner: str, progress, lang: str) -> None:
    for track in progress.tracks:
        if track.complete and track.certificate is None and track.revoked is None:
            track.certificate = certificates.issue(store, learner, track, lang)
            progress.certificates.append(track.certificate)


class ProgressHandler(LearnerPage):
    @tornado.web.authenticated
    async def get(self):
        visitor = self.visitor_or_sign_in()
        if visitor is None:
            return
        lang = request_lang(self)
        store = identity.records_of(self)

        def build():
            progress = learner_progress(store, visitor.learner)
            _issue_complete(store, visitor.learner, progress, lang)
            return progress

        progress = await IOLoop.current().run_in_executor(None, build)
        self.page(
            "progress.html",
            base_href=url_path_join(self.base_url, "chwkit/progress"),
            visitor=visitor,
            p=progress,
            next_step=progress.next_step(),
            certificate_href=lambda code, lang: (
                url_path_join(self.base_url, f"chwkit/certificate/{code}.pdf") + f"?lang={lang}"
            ),
            verify_href=url_path_join(self.base_url, "chwkit/verify"),
        )


def verify_url(handler: tornado.web.RequestHandler, code: str) -> str:
    """The verification page's full address, as printed on a certificate."""
    request = handler.request
    path = url_path_join(handler.base_url, "chwkit/verify")
    return f"{request.protocol}://{request.host}{path}?code={code}"


class CertificatePdfHandler(LearnerPage):
    @tornado.web.authenticated
    async def get(self, code: str):
        visitor = self.visitor_or_sign_in()
        if visitor is None:
            return
        lang = request_lang(self)
        store = identity.records_of(self)
        normalized = certificates.normalize_code(code)
        found = store.certificate(normalized) if normalized else None
        if found is None or found.learner != visitor.learner or not found.valid:
            return self.render_error(404, "program.certificate_unknown")
        data = await IOLoop.current().run_in_executor(
            None, certificates.pdf, found, lang, verify_url(self, found.code)
        )
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Cache-Control", "no-store")
        filename = f"{t('program.certificate_file', lang)}-{found.track}.pdf"
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.finish(data)


class VerifyHandler(PageHandler):
    """Anyone with a certificate's code can check it (the code is the secret)."""

    @tornado.web.authenticated
    def get(self):
        lang = request_lang(self)
        raw = self.get_argument("code", "")
        result = certificates.verify(identity.records_of(self), raw) if raw else None
        context = None
        if result is not None and result.certificate is not None:
            context = certificates.certificate_context(
                result.certificate, lang, verify_url(self, result.certificate.code)
            )
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        if result is not None and result.status == "unknown":
            self.set_status(404)
        self.finish(
            render_page(
                "verify.html",
                lang,
                base_href=url_path_join(self.base_url, "chwkit/verify"),
                home_href=self.base_url,
                code=raw[:64],
                result=result,
                c=context,
            )
        )


def handlers(base_url: str) -> list:
    return [
        (url_path_join(base_url, "chwkit/progress"), ProgressHandler),
        (
            url_path_join(base_url, "chwkit/certificate/([A-Za-z0-9-]{1,64})\\.pdf"),
            CertificatePdfHandler,
        ),
        (url_path_join(base_url, "chwkit/verify"), VerifyHandler),
        (url_path_join(base_url, "chwkit/api/records"), RecordsApiHandler),
        (url_path_join(base_url, "chwkit/api/grade"), GradeApiHandler),
    ]
