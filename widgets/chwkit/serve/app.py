"""The learner server: Voila, configured for training programs.

``ChwkitVoila`` is Voila's own application with the kit's choices:
- serves only learner-facing folders (``notebooks/``, ``forum_sessions/``): never
  ``assessments/``, the data directory, Voila's tree page or its contents API;
- a landing page listing the modules as real links, in the visitor's language;
- bilingual error pages for unknown modules, languages and paths;
- the kit's template (lab-based, no CDN links, translated loading messages);
- preheated kernels for module pages; idle kernels culled;
- localhost unless told otherwise, and a token whenever it listens beyond it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode

import jinja2
import tornado.ioloop
import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from traitlets.config import Config
from voila.app import Voila
from voila.static_file_handler import AllowListFileHandler, MultiStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from chwkit.core import paths
from chwkit.core.i18n import DEFAULT_LANG, LANGS, catalog, normalize_lang, t
from chwkit.learn import spec as modules_mod
from chwkit.serve.landing import extra_sections, module_entries

LEARNER_PREFIXES = ("notebooks/", "forum_sessions/")
# Pages outside the module and forum folders that learners open (the rest of notebooks/ is
# for analysts in JupyterLab).
LEARNER_PAGES = {("notebooks", "index.ipynb"), ("notebooks", "assessment.ipynb")}
LOCAL_IPS = ("127.0.0.1", "localhost", "::1")
TEMPLATE_NAME = "chwkit"
# Catalog keys the page template needs in the browser (loading and connection messages).
TEMPLATE_KEYS = (
    "voila.loading",
    "voila.connecting",
    "voila.executing",
    "voila.slow",
    "voila.disconnected",
    "module.back",
    "error.server",
)
# The only lab extensions learner pages use: the widgets manager (and Voila's bridge to it). Voila would otherwise load
# every federated extension installed (nbgrader's, notebook's...), hundreds of kB each visit.
LEARNER_EXTENSIONS = [
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",
]
YEAR_S = 365 * 24 * 3600
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

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


class PageHandler(JupyterHandler):
    """Base of the kit's own pages: bilingual, never a traceback."""

    def render_error(self, status: int, message_key: str, **values) -> None:
        lang = request_lang(self)
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        messages = {code: t(message_key, code, **values) for code in LANGS}
        self.finish(render_page("error.html", lang, status=status, messages=messages))

    def write_error(self, status_code: int, **kwargs) -> None:
        key = "error.server" if status_code >= 500 else "error.forbidden"
        if status_code == 404:
            key = "error.title"
        self.render_error(status_code, key)


class LandingHandler(PageHandler):
    @tornado.web.authenticated
    def get(self):
        raw = self.get_query_argument("lang", None)
        if raw is not None and normalize_lang(raw) is None:
            return self.render_error(400, "error.unknown_lang", name=raw[:40])
        lang = request_lang(self)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            render_page(
                "landing.html",
                lang,
                modules=module_entries(lang),
                sections=extra_sections(lang),
            )
        )


class NotFoundHandler(PageHandler):
    def prepare(self):
        super().prepare()
        self.render_error(404, "error.title")


def is_learner_notebook(pure: PurePosixPath) -> bool:
    """Whether a notebook path is one learners and facilitators may open.

    An allowlist, not a prefix: ``notebooks/`` also holds analyst notebooks, which show
    forum contributions and are for JupyterLab only.
    """
    parts = pure.parts
    if parts in LEARNER_PAGES:
        return True
    if len(parts) == 4 and parts[:2] == ("notebooks", "modules"):
        return parts[3] == f"{parts[2]}.ipynb"  # notebooks/modules/<id>/<id>.ipynb
    return len(parts) == 2 and parts[0] == "forum_sessions"  # one notebook per session


def check_render_path(path: str | None, root: Path) -> tuple[int, str, dict] | None:
    """Why ``path`` (relative to the served root) may not be rendered, or None if it may."""
    path = path or ""
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or pure.is_absolute()
        or any(not _SAFE_PART.match(part) for part in pure.parts)
        or pure.suffix != ".ipynb"
        or not is_learner_notebook(pure)
    ):
        return 403, "error.forbidden", {}
    if not (root / path).is_file():
        if pure.parts[:2] == ("notebooks", "modules"):
            return 404, "error.unknown_module", {"name": pure.parts[2]}
        return 404, "error.title", {}
    return None


class GuardedVoilaHandler(TornadoVoilaHandler):
    """Voila's render handler, refusing anything outside the learner folders."""

    async def get(self, path=None):
        problem = check_render_path(path, Path(self.settings["chwkit_root"]))
        raw_lang = self.get_query_argument("lang", None)
        if problem is None and raw_lang is not None and normalize_lang(raw_lang) is None:
            problem = (400, "error.unknown_lang", {"name": raw_lang[:40]})
        if problem:
            status, key, values = problem
            return PageHandler.render_error(self, status, key, **values)
        # Reading the token sets the _xsrf cookie, which the widget manager's beforeunload
        # beacon posts to /voila/api/shutdown: without it the beacon is refused (403) and a
        # closed tab's kernel lives on until culled.
        _ = self.xsrf_token
        return await super().get(path)

    def write_error(self, status_code: int, **kwargs) -> None:
        PageHandler.write_error(self, status_code, **kwargs)


class LearnerFileHandler(AllowListFileHandler):
    """Images and media beside learner notebooks; nothing else."""

    def validate_absolute_path(self, root, absolute_path):
        rel = os.path.relpath(absolute_path, root).replace(os.sep, "/")
        if rel.startswith("..") or not rel.startswith(LEARNER_PREFIXES):
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


def static_version() -> str:
    """A key that changes whenever Voila's or the kit's front-end files may change."""
    import voila

    from chwkit import __version__

    return hashlib.sha1(f"{voila.__version__}:{__version__}".encode()).hexdigest()[:12]


def versioned_static_page_config(page_config: dict, **_kwargs) -> dict:
    """Point Voila's front end (and its webpack chunks) at a versioned, cacheable URL, and
    keep MathJax off learner pages.

    MathJax: modules hold no mathematics; its 16 chunks (about 220 kB compressed) are loaded
    as a third wave the first time widget text is typeset, and it would set prices such as
    "$45 ... $540" in a question as a formula. Voila 0.5's page registers its core plugins
    without honouring ``disabledExtensions``, but takes the MathJax 2 plugin instead of the
    bundled MathJax 3 whenever ``fullMathjaxUrl`` is not "null"; given an empty URL that
    plugin declines to start (a console error), and no typesetter is loaded at all. An
    empty URL also keeps Voila from putting its CDN address in its place.
    """
    page_config = dict(page_config)
    page_config["fullMathjaxUrl"] = ""
    page_config["fullStaticUrl"] = page_config["fullStaticUrl"].rstrip("/") + (
        f"/v/{static_version()}"
    )
    return page_config


class VersionedStaticHandler(MultiStaticFileHandler):
    """Voila's static files under a versioned URL: the browser keeps them for a year."""

    def get_cache_time(self, path, modified, mime_type):
        return YEAR_S

    def set_extra_headers(self, path):
        self.set_header("Cache-Control", f"public, max-age={YEAR_S}, immutable")


class ChwkitVoila(Voila):
    """Voila with the kit's server-side choices (see the module docstring)."""

    name = "chwkit"

    def init_handlers(self) -> list:
        replaced = []
        for handler in super().init_handlers():
            pattern, cls = handler[0], handler[1]
            if cls is TornadoVoilaTreeHandler or "api/contents" in pattern:
                continue  # the tree page and contents API would list every folder
            if cls is TornadoVoilaHandler:
                handler = (pattern, GuardedVoilaHandler, *handler[2:])
            elif cls is AllowListFileHandler:
                handler = (pattern, LearnerFileHandler, *handler[2:])
            elif "labextensions" in pattern:
                # Their files are content-hashed (and asked for with ?v=hash): cacheable.
                handler = (pattern, cls, {**handler[2], "no_cache_paths": []})
            elif cls is MultiStaticFileHandler:
                versioned = (
                    pattern.replace("/voila/static/", "/voila/static/v/[0-9a-f]+/"),
                    VersionedStaticHandler,
                    handler[2],
                )
                replaced.append(versioned)
            replaced.append(handler)
        landing = [(self.server_url.rstrip("/") + "/?", LandingHandler)]
        return landing + replaced

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings["chwkit_root"] = str(self.root_dir)
        return settings

    def start(self):
        # Voila applies ``tornado_settings`` after building its web app, too late for
        # settings read at construction (compress_response, default_handler_class).
        self.connection_dir = tempfile.mkdtemp(prefix="voila_", dir=self.connection_dir_root)
        settings = self.init_settings()
        settings.update(self.tornado_settings)
        settings.setdefault("default_handler_class", NotFoundHandler)
        self.app = tornado.web.Application(**settings)
        self.app.add_handlers(".*$", self.init_handlers())
        self.listen()

    def listen(self):
        # Voila's listen() blocks in the event loop: announce once the loop runs (the port
        # is bound by then), not after it stops.
        tornado.ioloop.IOLoop.current().add_callback(lambda: print(self.open_line(), flush=True))
        super().listen()

    def open_line(self) -> str:
        """The address to open, with the token (Voila hides one it did not generate)."""
        host = socket.gethostname() if self.ip in ("", "0.0.0.0", "::") else self.ip
        query = {"lang": DEFAULT_LANG}
        if self.identity_provider.token:
            query = {"token": self.identity_provider.token, **query}
        return f"chwkit: open {self._url(host)}?{urlencode(query)}"


@dataclass
class ServeOptions:
    port: int = 8866
    ip: str = "127.0.0.1"
    token: str | None = None
    preheat: bool = True
    cull_idle_minutes: float = 15.0
    compress: bool = True
    frontend: str = "kit"


FRONTENDS = ("kit", "voila")


def kit_frontend_built() -> bool:
    """Whether the kit's own front end (``make frontend``) is in the template."""
    static = paths.share_dir() / "voila" / "templates" / TEMPLATE_NAME / "static"
    return (static / "chwkit-page.js").is_file() and (static / "chwkit-page.css").is_file()


def choose_frontend(asked: str) -> str:
    """The front end learner pages get: the kit's, unless asked otherwise or not built."""
    if asked not in FRONTENDS:
        raise ValueError(f"unknown front end {asked!r}: choose one of {', '.join(FRONTENDS)}")
    if asked == "kit" and not kit_frontend_built():
        print(
            "chwkit: the kit's front end is not built (run `make frontend`); "
            "serving Voila's own, which is slower on phones",
            flush=True,
        )
        return "voila"
    return asked


def module_pool_config(root: Path) -> dict:
    pools: dict[str, dict] = {"default": {"pool_size": 0}}
    for spec in modules_mod.discover(root / "notebooks" / "modules"):
        pools[spec.notebook.relative_to(root).as_posix()] = {"pool_size": 1}
    return pools


def template_strings() -> dict[str, dict[str, str]]:
    return {key: catalog()[key] for key in TEMPLATE_KEYS}


def make_config(options: ServeOptions, root: Path) -> Config:
    """The traitlets configuration of a ``chwkit serve``."""
    cfg = Config()
    cfg.Voila.ip = options.ip
    cfg.Voila.port = options.port
    cfg.Voila.port_retries = 0
    cfg.Voila.open_browser = False
    cfg.Voila.root_dir = str(root)
    cfg.Voila.tornado_settings = {
        "compress_response": options.compress,
        # permessage-deflate on the kernel websocket (widget state is verbose JSON)
        "websocket_compression_options": {} if options.compress else None,
        "static_immutable_cache": ["/voila/labextensions/"],
    }
    if options.ip not in LOCAL_IPS:
        # Open to a LAN: never without a token.
        cfg.Voila.token = options.token or secrets.token_urlsafe(18)
    elif options.token:
        cfg.Voila.token = options.token
    vc = cfg.VoilaConfiguration
    vc.template = TEMPLATE_NAME
    vc.show_tracebacks = False
    vc.preheat_kernel = options.preheat
    vc.default_pool_size = 0
    vc.file_allowlist = [r".*\.(png|jpg|jpeg|gif|svg|webp)"]
    vc.extension_allowlist = LEARNER_EXTENSIONS
    vc.page_config_hook = versioned_static_page_config
    frontend = choose_frontend(options.frontend)
    vc.resources = {
        "chwkit": {"strings": template_strings(), "langs": list(LANGS), "frontend": frontend}
    }
    cfg.VoilaKernelManager.kernel_pools_config = module_pool_config(root)
    # Refill a module's preheated kernel once the learner who took it has their page: starting
    # a kernel and rendering its page keep the server and the machine busy for a second or
    # two, which delayed that learner's scripts and widgets by about 0.4 s when done at once.
    cfg.VoilaKernelManager.fill_delay = 1.5
    # Abandoned pages (a phone put away with the page open) must not hold kernels forever.
    cfg.MappingKernelManager.cull_idle_timeout = int(options.cull_idle_minutes * 60)
    cfg.MappingKernelManager.cull_interval = 30
    cfg.MappingKernelManager.cull_connected = True
    cfg.MappingKernelManager.cull_busy = False
    return cfg


def prepare_environment(root: Path) -> None:
    """Make the kit's template findable and pin the project root for kernels."""
    share = str(paths.share_dir())
    existing = os.environ.get("JUPYTER_PATH", "")
    if share not in existing.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (share, existing) if p)
    os.environ["CHWKIT_ROOT"] = str(root)
    os.environ.setdefault("CHWKIT_HOME", str(paths.data_dir()))
    paths.data_dir()


def serve(options: ServeOptions) -> None:
    root = paths.project_root()
    prepare_environment(root)
    ChwkitVoila.launch_instance(argv=[], config=make_config(options, root))


def server_extension_config() -> dict:
    """Settings for Voila as a Jupyter server extension (Binder, JupyterHub)."""
    return {
        "VoilaConfiguration": {
            "template": TEMPLATE_NAME,
            "show_tracebacks": False,
            "file_allowlist": [r".*\.(png|jpg|jpeg|gif|svg|webp)"],
            "resources": {
                "chwkit": {
                    "strings": template_strings(),
                    "langs": list(LANGS),
                    # binder/postBuild builds it where the image has Node.js
                    "frontend": "kit" if kit_frontend_built() else "voila",
                }
            },
        },
        "MappingKernelManager": {"cull_idle_timeout": 900, "cull_interval": 30},
    }


def main(argv: list[str] | None = None) -> int:
    import json
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "binder-config":
        print("usage: python -m chwkit.serve.app binder-config PATH", file=sys.stderr)
        return 1
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(target.read_text()) if target.exists() else {}
    existing.update(server_extension_config())
    target.write_text(json.dumps(existing, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
