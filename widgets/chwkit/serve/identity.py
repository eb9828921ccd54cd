"""Sign in once per device: the server checks the access code and keeps the learner in a
signed cookie; kernels learn the learner from the request the server passes them.

- ``GET/POST <base>chwkit/sign-in``: the code is checked against the roster
  by the kit's one sign-in rule (``chwkit.core.signin.check_code``, learners only): failed
  tries are counted per code (its selector) in the records store, so a reload, a new tab or
  a new kernel cannot reset them. A right code opens a session in the store and sets the cookie.
- The cookie (``chwkit-learner``) is signed with the server's ``cookie_secret`` (tornado's
  signed cookies), HttpOnly, SameSite=Lax, Secure over HTTPS, and holds only the session
  token. A session is valid while it is open in the store and the learner's code is the one
  it was opened with: ``chwkit roster reset-code`` ends it everywhere. An edited or forged
  cookie fails the signature and counts as no cookie.
- ``POST <base>chwkit/sign-out`` ends the session and clears the cookie.
- Voila's render handler is wrapped (:class:`SignedInVoilaHandler`): it removes any
  ``X-Chwkit-*`` header the browser sent, then adds the learner's id and a kernel token
  signed for the session. Voila passes those headers to the page's kernel as environment
  variables (``VoilaConfiguration.http_header_envs``), to a preheated kernel too, once its
  visitor arrives. With ``require_sign_in``, module and assessment pages send a visitor who
  is not signed in to the sign-in page first.

Under JupyterHub the Hub user is the learner: the single-user server runs as them, and
``JUPYTERHUB_USER`` names them (no code, no cookie).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlencode, urlsplit

import tornado.web
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from chwkit.assess import roster
from chwkit.core import atomic, paths
from chwkit.core.i18n import t
from chwkit.core.signin import TRY_WINDOW_S, check_code
from chwkit.program import client
from chwkit.program.store import RecordsStore, open_store
from chwkit.serve.guard import GuardedVoilaHandler
from chwkit.serve.pages import PageHandler, render_page, request_lang

COOKIE = "chwkit-learner"
COOKIE_DAYS = 120
KERNEL_TOKEN = "chwkit-kernel"
KERNEL_TOKEN_DAYS = 2
LEARNER_HEADER = client.LEARNER_HEADER
TOKEN_HEADER = client.TOKEN_HEADER
SIGN_IN_HEADER = client.SIGN_IN_HEADER
KERNEL_HEADERS = client.KERNEL_HEADERS
SECRET_FILE = "cookie_secret"
ASSESSMENT_PAGE = "notebooks/assessment.ipynb"
# Start the graders this long after the server, once its own start (kernel pools) is done.
WARM_AFTER_S = 8.0
# Pages a learner must be signed in for under --require-sign-in (forum pages have their own
# facilitator sign-in).
SIGN_IN_PAGES = ("notebooks/",)
# Pages under those with a sign-in of their own: the supervisor's dashboard asks for a
# supervisor's code, which the learners' sign-in refuses.
OWN_SIGN_IN_PAGES = ("notebooks/dashboard.ipynb",)


@dataclass(frozen=True)
class Visitor:
    learner: str
    name: str | None
    session_hash: str


def settings(kit, ip: str, port: int, base_url: str) -> dict:
    """The web application's settings for sign-in and records (``kit``: the kit's options,
    ``ChwkitConfiguration``), and the records API address for this server's kernels.

    Kernels run beside the server, so they reach it on a local address
    (``http://127.0.0.1:<port><base>``), whatever address learners use.
    """
    from chwkit.assess import course
    from chwkit.program.results import InstantGrader

    host = "[::1]" if ip == "::1" else "127.0.0.1"
    os.environ[client.URL_ENV] = f"http://{host}:{port}" + url_path_join(base_url, "chwkit/api/")
    if kit.db_url:  # the dashboard's kernel opens the store the server opens
        os.environ[client.DB_URL_ENV] = kit.db_url
    else:
        os.environ.pop(client.DB_URL_ENV, None)
    grader = InstantGrader()
    if course.available():  # learners can submit: have the graders ready once the server runs
        IOLoop.current().call_later(WARM_AFTER_S, grader.warm)
    return {
        "chwkit_records": open_store(kit.db_url or None),
        "chwkit_require_sign_in": bool(kit.require_sign_in),
        "chwkit_grader": grader,
    }


def persistent_secret() -> bytes:
    """The cookie secret kept in the data directory (0600), so sign-ins outlive a restart;
    made on first use. ``chwkit roster`` codes stay the credential: removing the file signs
    every device out."""
    path = paths.data_dir() / SECRET_FILE
    try:
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(48)
    try:
        atomic.write(path, secret, mode=0o600, exclusive=True)
    except FileExistsError:  # another server made it first: use theirs
        return path.read_bytes()
    return secret


def records_of(handler: tornado.web.RequestHandler) -> RecordsStore:
    store = handler.settings.get("chwkit_records")
    if store is None:  # a server that did not set the kit's settings (tests of pages alone)
        store = handler.settings["chwkit_records"] = open_store()
    return store


def code_stamp(person_id: str) -> str | None:
    """A fingerprint of ``person_id``'s current code: it changes when the code is reset."""
    try:
        entry = roster.load()["people"].get(person_id)
    except roster.RosterError:
        return None
    if not isinstance(entry, dict) or entry.get("role") != "learner" or not entry.get("hash"):
        return None
    return hashlib.sha256(str(entry["hash"]).encode("ascii")).hexdigest()[:32]


def _secret(handler: tornado.web.RequestHandler) -> bytes:
    secret = handler.settings.get("cookie_secret")
    if not secret:
        raise tornado.web.HTTPError(500, "the server has no cookie_secret")
    return secret


def _hub_visitor() -> Visitor | None:
    user = os.environ.get("JUPYTERHUB_USER")
    if not user:
        return None
    try:
        roster.validate_id(user)
    except roster.RosterError:
        return None
    return Visitor(user, None, "hub:" + hashlib.sha256(user.encode()).hexdigest())


def current_visitor(handler: tornado.web.RequestHandler) -> Visitor | None:
    """The signed-in learner of this request (None: anonymous, forged, ended or reset)."""
    hub = _hub_visitor()
    if hub is not None:
        return hub
    raw = handler.get_signed_cookie(COOKIE, max_age_days=COOKIE_DAYS)
    if not raw:
        return None
    try:
        token = json.loads(raw.decode("utf-8"))["s"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    store = records_of(handler)
    session = store.session(token)
    if session is None or code_stamp(session.learner) != session.code_stamp:
        return None
    person = roster.get(session.learner)
    return Visitor(session.learner, person.name if person else None, _hash(token))


def _hash(token: str) -> str:
    from chwkit.program.store import hash_token

    return hash_token(token)


def kernel_token(handler: tornado.web.RequestHandler, visitor: Visitor) -> str:
    """A token for the page's kernel to write this learner's records with (never sent to the
    browser): the learner and their session, signed with the server's secret."""
    value = json.dumps({"l": visitor.learner, "h": visitor.session_hash})
    return tornado.web.create_signed_value(_secret(handler), KERNEL_TOKEN, value).decode("ascii")


def kernel_visitor(handler: tornado.web.RequestHandler, token: object) -> Visitor | None:
    """The learner a kernel token speaks for, if it is genuine and its session still open."""
    if not isinstance(token, str) or len(token) > 1000:
        return None
    raw = tornado.web.decode_signed_value(
        _secret(handler), KERNEL_TOKEN, token, max_age_days=KERNEL_TOKEN_DAYS
    )
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        learner, session_hash = data["l"], data["h"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    hub = _hub_visitor()
    if hub is not None:
        return hub if hub.learner == learner else None
    session = records_of(handler).session_by_hash(session_hash)
    if session is None or session.learner != learner:
        return None
    if code_stamp(learner) != session.code_stamp:
        return None
    return Visitor(learner, None, session_hash)


def safe_next(handler: tornado.web.RequestHandler, value: object) -> str | None:
    """``value`` if it is a path on this server (no scheme, no host, no ``//``), else None."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return None
    parts = urlsplit(value)
    base = handler.base_url
    if parts.scheme or parts.netloc or value.startswith("//") or "\\" in value:
        return None
    if not parts.path.startswith(base):
        return None
    if ".." in PurePosixPath(parts.path).parts:
        return None
    return value


def sign_in_url(handler: tornado.web.RequestHandler, next_url: str | None, lang: str) -> str:
    query = {"lang": lang}
    if next_url:
        query["next"] = next_url
    return url_path_join(handler.base_url, "chwkit/sign-in") + "?" + urlencode(query)


def _set_cookie(handler: tornado.web.RequestHandler, token: str) -> None:
    handler.set_signed_cookie(
        COOKIE,
        json.dumps({"s": token}),
        expires_days=COOKIE_DAYS,
        path=handler.base_url,
        httponly=True,
        samesite="Lax",
        secure=handler.request.protocol == "https",
    )


def box_context(handler: tornado.web.RequestHandler, message: str = "") -> dict:
    """What ``signin_box.html`` needs: who is signed in, or the sign-in form's addresses."""
    return {
        "signin": True,
        "visitor": current_visitor(handler),
        "action": url_path_join(handler.base_url, "chwkit/sign-in"),
        "sign_out": url_path_join(handler.base_url, "chwkit/sign-out"),
        "progress_href": url_path_join(handler.base_url, "chwkit/progress"),
        "next_url": safe_next(handler, handler.get_argument("next", None)) or "",
        "xsrf": handler.xsrf_form_html(),
        "message": message,
    }


class SignInHandler(PageHandler):
    """The sign-in page: one access code, checked by the server, once per device."""

    def _page(self, status: int = 200, message_key: str | None = None, **values) -> None:
        lang = request_lang(self)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        message = t(message_key, lang, **values) if message_key else ""
        self.finish(
            render_page(
                "signin.html",
                lang,
                base_href=url_path_join(self.base_url, "chwkit/sign-in"),
                home_href=self.base_url,
                required=bool(self.get_argument("required", "")),
                **box_context(self, message),
            )
        )

    @tornado.web.authenticated
    def get(self):
        self._page()

    @tornado.web.authenticated
    async def post(self):
        # Always checked, even where the server's token would waive it: a page elsewhere must
        # not sign a device in as someone else (login CSRF).
        tornado.web.RequestHandler.check_xsrf_cookie(self)
        lang = request_lang(self)
        code = self.get_body_argument("code", "")
        store = records_of(self)
        # The one sign-in rule (chwkit.core.signin): tries counted per code in the store.
        # scrypt is slow on purpose: off the event loop, so other learners' pages go on.
        verdict = await IOLoop.current().run_in_executor(None, check_code, code, "learner", store)
        if verdict.problem == "signin.too_many":
            return self._page(429, "signin.too_many", minutes=TRY_WINDOW_S // 60)
        if verdict.problem == "signin.unavailable":
            return self._page(503, "signin.unavailable")
        person = verdict.person
        if person is None:
            return self._page(403, "signin.wrong_code")
        stamp = code_stamp(person.id)
        if stamp is None:
            return self._page(403, "signin.wrong_code")
        token = await IOLoop.current().run_in_executor(None, store.open_session, person.id, stamp)
        _set_cookie(self, token)
        target = safe_next(self, self.get_body_argument("next", None))
        self.redirect(target or url_path_join(self.base_url, "chwkit/progress") + f"?lang={lang}")


class SignOutHandler(PageHandler):
    @tornado.web.authenticated
    async def post(self):
        tornado.web.RequestHandler.check_xsrf_cookie(self)
        raw = self.get_signed_cookie(COOKIE, max_age_days=COOKIE_DAYS)
        if raw:
            try:
                token = json.loads(raw.decode("utf-8"))["s"]
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                token = None
            if isinstance(token, str):
                store = records_of(self)
                await IOLoop.current().run_in_executor(None, store.end_session, token)
        self.clear_cookie(COOKIE, path=self.base_url)
        self.redirect(self.base_url + f"?lang={request_lang(self)}")


class SignedInVoilaHandler(GuardedVoilaHandler):
    """Voila's render handler (guarded), telling the page's kernel who its learner is."""

    async def get(self, path=None):
        for name in KERNEL_HEADERS:  # the browser never names a learner
            self.request.headers.pop(name, None)
        visitor = current_visitor(self)
        if visitor is None:
            if (
                self.settings.get("chwkit_require_sign_in")
                and (path or "").startswith(SIGN_IN_PAGES)
                and path not in OWN_SIGN_IN_PAGES
            ):
                return self.redirect(
                    sign_in_url(self, self.request.uri, request_lang(self)) + "&required=1"
                )
        else:
            self.request.headers[LEARNER_HEADER] = visitor.learner
            self.request.headers[TOKEN_HEADER] = kernel_token(self, visitor)
        self.request.headers[SIGN_IN_HEADER] = sign_in_url(
            self, self.request.uri, request_lang(self)
        )
        grader = self.settings.get("chwkit_grader")
        if grader is not None and path == ASSESSMENT_PAGE:
            grader.warm()  # its learner will submit: have nbgrader ready in the workers
        return await super().get(path)


def handlers(base_url: str) -> list:
    """Sign-in, sign-out, and the records pages and API (``chwkit.serve.records``)."""
    from chwkit.serve import records

    return [
        (url_path_join(base_url, "chwkit/sign-in"), SignInHandler),
        (url_path_join(base_url, "chwkit/sign-out"), SignOutHandler),
        *records.handlers(base_url),
    ]


def with_identity(voila_handlers: list) -> list:
    """Voila's (guarded) handlers, with the render handler telling kernels the learner."""
    return [
        (pattern, SignedInVoilaHandler if cls is GuardedVoilaHandler else cls, *rest)
        for pattern, cls, *rest in voila_handlers
    ]
