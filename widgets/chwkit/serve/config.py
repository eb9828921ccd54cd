"""The learner server's options: one configuration class, read in every mode.

``ChwkitConfiguration`` is a traitlets ``Configurable`` (as Voila's ``VoilaConfiguration``):
each option is declared once, with its default and its ``help``. From it come

- the ``chwkit serve`` command line (:func:`add_arguments`, :func:`config_from_arguments`);
- the standalone server's Voila settings (:meth:`ChwkitConfiguration.voila_config`);
- the server extension's settings under ``jupyter server`` (Binder, JupyterHub), which reads
  the same class from the server's own configuration (``chwkit.serve.extension``).

Options that only make sense for the standalone server (address, port, token, preheating)
say so in their help: under ``jupyter server`` the server's own options decide them.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
from pathlib import Path

from traitlets import Bool, Enum, Float, Int, Unicode
from traitlets.config import Config, Configurable

from chwkit.core import paths
from chwkit.core.i18n import LANGS, catalog
from chwkit.program.client import KERNEL_HEADERS

LOCAL_IPS = ("127.0.0.1", "localhost", "::1")
TEMPLATE_NAME = "chwkit"
FRONTENDS = ("kit", "voila")
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
# The only lab extensions learner pages use: the widgets manager (and Voila's bridge to it).
# Voila would otherwise load every federated extension installed (nbgrader's, notebook's...),
# hundreds of kB each visit.
LEARNER_EXTENSIONS = [
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",
]
# Images beside learner notebooks; nothing else is ever sent as a file.
LEARNER_FILES = [r".*\.(png|jpg|jpeg|gif|svg|webp)"]
# Refill a module's preheated kernel once the learner who took it has their page: starting a
# kernel and rendering its page keep the server and the machine busy for a second or two,
# which delayed that learner's scripts and widgets by about 0.4 s when done at once.
POOL_FILL_DELAY_S = 1.5
LONGEST_CULL_CHECK_S = 30


class ChwkitConfiguration(Configurable):
    """Options of the kit's learner server, in every mode (standalone and server extension)."""

    ip = Unicode(
        "127.0.0.1",
        config=True,
        help="""Address to listen on (standalone server; under jupyter server, ServerApp.ip).
        Anything but localhost gets an access token.""",
    ).tag(cli=True)
    port = Int(
        8866,
        config=True,
        help="Port to listen on (standalone server; under jupyter server, ServerApp.port).",
    ).tag(cli=True)
    token = Unicode(
        None,
        allow_none=True,
        config=True,
        help="""Access token (standalone server). Generated when the server listens beyond
        localhost; under jupyter server, IdentityProvider.token.""",
    ).tag(cli=True)
    preheat = Bool(
        True,
        config=True,
        help="""Run each module's notebook in a waiting kernel before its visitor comes
        (standalone server; Voila's server extension cannot preheat).""",
    ).tag(cli=True)
    cull_idle_minutes = Float(
        15.0,
        min=0.01,
        config=True,
        help="""Shut down learner kernels idle this long, in minutes, even with a page
        still open: the learner is told to reload.""",
    ).tag(cli=True)
    compress = Bool(
        True,
        config=True,
        help="""Compress pages and the kernel websocket (gzip, permessage-deflate): widget
        state is verbose JSON and clinic links are slow.""",
    ).tag(cli=True)
    frontend = Enum(
        list(FRONTENDS),
        "kit",
        config=True,
        help="""What draws the widgets: the kit's light front end ("kit", built by `make
        frontend`) or Voila's own JupyterLab application ("voila", heavier on phones).""",
    ).tag(cli=True)
    require_sign_in = Bool(
        False,
        config=True,
        help="""Learners must sign in (their access code, once per device) before a module or
        assessment page opens. Without it, modules stay open to anonymous visitors and only
        signed-in learners' progress is kept.""",
    ).tag(cli=True)
    db_url = Unicode(
        "",
        config=True,
        help="""The records database (sign-in sessions, progress, certificates) as an
        SQLAlchemy URL, e.g. postgresql+psycopg://chwkit@dbhost/chwkit when a program grows
        beyond one machine. Empty: a SQLite file in the data directory (records.db).""",
    ).tag(cli=True)
    class_size = Unicode(
        "",
        config=True,
        help="""Learners expected to open a module at once (standalone server): that many
        kernels are kept preheated for it. "30" for every module, or per module:
        "chw_role=30,health_coverage=12". "plan": from the work plans in notebooks/plans/,
        each module whose session is on or starts within the hour gets its groups' learners
        (read again every 5 minutes); "plan,chw_role=30" adds fixed sizes. Others keep one.""",
    ).tag(cli=True)
    max_kernels = Int(
        0,
        min=0,
        config=True,
        help="""Live learner kernels at most (standalone server; 0: no cap). Learners
        beyond it get a page that says the module is opening and continues by itself.""",
    ).tag(cli=True)
    kernel_start = Enum(
        ["fork", "launch"],
        "fork",
        config=True,
        help="""How learner kernels start: "fork" from a process that has imported the kit
        (a fraction of a second), or "launch" a new Python each time. Fork falls back to
        launch by itself, and says so, where it cannot work.""",
    ).tag(cli=True)

    # -- derived settings, the same for every mode ------------------------------------------
    @property
    def cull_idle_seconds(self) -> int:
        return max(1, round(self.cull_idle_minutes * 60))

    def culling(self) -> dict:
        """``MappingKernelManager`` settings: abandoned pages (a phone put away with the page
        open) must not hold kernels for ever."""
        timeout = self.cull_idle_seconds
        return {
            "cull_idle_timeout": timeout,
            # Check often enough that a kernel never outlives its idle time by much.
            "cull_interval": max(1, min(LONGEST_CULL_CHECK_S, timeout // 2)),
            "cull_connected": True,
            "cull_busy": False,
        }

    def voila_configuration(self) -> dict:
        """``VoilaConfiguration`` settings common to the standalone server and the extension."""
        return {
            "template": TEMPLATE_NAME,
            # The kit's pages only: ?template= and ?theme= would bring Voila's own (with CDN
            # links) to a learner page.
            "allow_template_override": "NO",
            "allow_theme_override": "NO",
            "show_tracebacks": False,
            "file_allowlist": list(LEARNER_FILES),
            "extension_allowlist": list(LEARNER_EXTENSIONS),
            "page_config_hook": learner_page_config,
            # The server tells a page's kernel who its learner is (chwkit.serve.identity).
            "http_header_envs": list(KERNEL_HEADERS),
            "resources": {
                "chwkit": {
                    "strings": template_strings(),
                    "langs": list(LANGS),
                    "frontend": choose_frontend(self.frontend),
                }
            },
        }

    def token_to_use(self) -> str | None:
        """The access token: never none beyond localhost."""
        if self.ip not in LOCAL_IPS:
            return self.token or secrets.token_urlsafe(18)
        return self.token or None

    def voila_config(self, root: Path) -> Config:
        """The traitlets configuration of the standalone server (``chwkit serve``)."""
        cfg = Config()
        cfg.Voila.ip = self.ip
        cfg.Voila.port = self.port
        cfg.Voila.port_retries = 0
        cfg.Voila.open_browser = False
        cfg.Voila.root_dir = str(root)
        cfg.Voila.tornado_settings = {
            "compress_response": self.compress,
            "websocket_compression_options": {} if self.compress else None,
            "static_immutable_cache": ["/voila/labextensions/"],
        }
        token = self.token_to_use()
        if token:
            cfg.Voila.token = token
        cfg.VoilaConfiguration.update(self.voila_configuration())
        cfg.VoilaConfiguration.preheat_kernel = self.preheat
        cfg.VoilaConfiguration.default_pool_size = 0
        cfg.VoilaKernelManager.kernel_pools_config = module_pool_config(root)
        cfg.VoilaKernelManager.fill_delay = POOL_FILL_DELAY_S
        cfg.MappingKernelManager.update(self.culling())
        from chwkit.serve.pool import classroom_config  # the class at once (issue 10)

        cfg.merge(
            Config(classroom_config(root, self.class_size, self.max_kernels, self.kernel_start))
        )
        return cfg


# -- the command line, generated from the class ---------------------------------------------
def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _help(trait) -> str:
    return " ".join(str(trait.help).split())


def add_arguments(
    parser: argparse.ArgumentParser, cls: type[Configurable] = ChwkitConfiguration
) -> None:
    """One option per trait tagged ``cli``: name, type, choices, default and help from the
    trait itself. A true boolean is switched off with ``--no-<name>``."""
    for name, trait in sorted(cls.class_traits(cli=True).items()):
        default = trait.default_value
        dest = {"dest": name, "default": argparse.SUPPRESS}
        if isinstance(trait, Bool):
            flag = "--no-" + name.replace("_", "-") if default else _option(name)
            parser.add_argument(
                flag,
                action="store_false" if default else "store_true",
                help=f"turn off: {_help(trait)}" if default else _help(trait),
                **dest,
            )
            continue
        kind = {Int: int, Float: float}.get(type(trait), str)
        extra = {"choices": list(trait.values)} if isinstance(trait, Enum) else {}
        shown = "none" if default is None else default
        parser.add_argument(
            _option(name),
            type=kind,
            metavar=name.upper() if not extra else None,
            help=f"{_help(trait)} (default: {shown})",
            **extra,
            **dest,
        )


def config_from_arguments(args: argparse.Namespace, cls=ChwkitConfiguration) -> Config:
    """The options given on the command line, as traitlets configuration of ``cls``."""
    given = {name: getattr(args, name) for name in cls.class_traits(cli=True) if name in args}
    return Config({cls.__name__: given})


# -- what the options are made of -------------------------------------------------------------
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


def template_strings() -> dict[str, dict[str, str]]:
    return {key: catalog()[key] for key in TEMPLATE_KEYS}


def module_pool_config(root: Path) -> dict:
    """One preheated kernel per module page; none for other pages."""
    from chwkit.learn import spec as modules_mod

    pools: dict[str, dict] = {"default": {"pool_size": 0}}
    for spec in modules_mod.discover(root / "notebooks" / "modules"):
        pools[spec.notebook.relative_to(root).as_posix()] = {"pool_size": 1}
    return pools


def static_version() -> str:
    """A key that changes whenever Voila's or the kit's front-end files may change."""
    import voila

    from chwkit import __version__

    return hashlib.sha1(f"{voila.__version__}:{__version__}".encode()).hexdigest()[:12]


def learner_page_config(page_config: dict, notebook_path: str = "", **_kwargs) -> dict:
    """Voila's ``page_config_hook``: the page's titles, versioned static files, no MathJax.

    Titles: the tab shows the module's (or assessment's, or forum session's) title in the
    page's language, not the notebook's file name; the template picks the language in the
    browser, since a preheated page is rendered before its visitor is known.

    Static files: Voila's front end (and its webpack chunks) under a versioned, cacheable URL.

    MathJax: modules hold no mathematics; its 16 chunks (about 220 kB compressed) are loaded
    as a third wave the first time widget text is typeset, and it would set prices such as
    "$45 ... $540" in a question as a formula. Voila 0.5's page registers its core plugins
    without honouring ``disabledExtensions``, but takes the MathJax 2 plugin instead of the
    bundled MathJax 3 whenever ``fullMathjaxUrl`` is not "null"; given an empty URL that
    plugin declines to start (a console error), and no typesetter is loaded at all. An
    empty URL also keeps Voila from putting its CDN address in its place.
    """
    from chwkit.serve.titles import page_titles

    page_config = dict(page_config)
    page_config["fullMathjaxUrl"] = ""
    page_config["fullStaticUrl"] = page_config["fullStaticUrl"].rstrip("/") + (
        f"/v/{static_version()}"
    )
    page_config["chwkitTitles"] = page_titles(notebook_path or "")
    return page_config
