"""The kit's own pages: the landing page and bilingual error pages (never a traceback)."""

from __future__ import annotations

import jinja2
import tornado.web
from jupyter_server.base.handlers import JupyterHandler

from chwkit.core import paths
from chwkit.core.i18n import DEFAULT_LANG, LANGS, normalize_lang, t
from chwkit.serve.landing import extra_sections, track_groups

_pages = jinja2.Environment(
    loader=jinja2.FileSystemLoader(
        str(paths.package_dir() / "serve" / "share" / "chwkit" / "pages")
    ),
    autoescape=True,
)


def render_page(name: str, lang: str, **context) -> str:
    return _pages.get_template(name).render(lang=lang, langs=LANGS, t=t, **context)


def request_lang(handler: tornado.web.RequestHandler) -> str:
    return normalize_lang(handler.get_query_argument("lang", "")) or DEFAULT_LANG


def render_error(handler: tornado.web.RequestHandler, status: int, key: str, **values) -> None:
    """Finish ``handler``'s request with the kit's error page, in every language."""
    lang = request_lang(handler)
    handler.set_status(status)
    handler.set_header("Content-Type", "text/html; charset=UTF-8")
    handler.set_header("Cache-Control", "no-store")
    messages = {code: t(key, code, **values) for code in LANGS}
    handler.finish(render_page("error.html", lang, status=status, messages=messages))


def error_key(status_code: int) -> str:
    if status_code == 404:
        return "error.title"
    return "error.server" if status_code >= 500 else "error.forbidden"


class PageHandler(JupyterHandler):
    """Base of the kit's own pages: bilingual, never a traceback."""

    def render_error(self, status: int, message_key: str, **values) -> None:
        render_error(self, status, message_key, **values)

    def write_error(self, status_code: int, **kwargs) -> None:
        render_error(self, status_code, error_key(status_code))


class LandingHandler(PageHandler):
    @tornado.web.authenticated
    def get(self):
        raw = self.get_query_argument("lang", None)
        if raw is not None and normalize_lang(raw) is None:
            return self.render_error(400, "error.unknown_lang", name=raw[:40])
        lang = request_lang(self)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        from chwkit.serve.identity import box_context

        self.finish(
            render_page(
                "landing.html",
                lang,
                tracks=track_groups(lang),
                sections=extra_sections(lang),
                **box_context(self),
            )
        )


class NotFoundHandler(PageHandler):
    def prepare(self):
        super().prepare()
        self.render_error(404, "error.title")
