"""The learner server: Voila, configured for training programs.

``ChwkitVoila`` is Voila's own application with the kit's choices, made through Voila's hooks:
- its options come from one class, ``chwkit.serve.config.ChwkitConfiguration``;
- it serves learner pages only (``chwkit.serve.guard``: a render allowlist, a contents
  manager without the assessments folder and the data directory, no tree page nor contents
  API), the same guards the kit's server extension puts under ``jupyter server``;
- a landing page listing the modules as real links, in the visitor's language;
- bilingual error pages for unknown modules, languages and paths;
- the kit's template (lab-based, no CDN links, translated loading messages);
- preheated kernels for module pages; idle kernels culled;
- localhost unless told otherwise, and a token whenever it listens beyond it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlencode

import tornado.ioloop
from traitlets import Instance, List, Unicode
from traitlets.config import Config
from voila.app import Voila

from chwkit.core import paths
from chwkit.core.i18n import DEFAULT_LANG
from chwkit.serve import identity, templates
from chwkit.serve.config import ChwkitConfiguration
from chwkit.serve.extension import VOILA_EXTENSIONS
from chwkit.serve.guard import LearnerContentsManager, learner_handlers
from chwkit.serve.kernels import PROVISIONER_NAME
from chwkit.serve.pages import LandingHandler, NotFoundHandler


class ChwkitVoila(Voila):
    """Voila with the kit's server-side choices (see the module docstring)."""

    name = "chwkit"
    classes = [*Voila.classes, ChwkitConfiguration]
    chwkit = Instance(ChwkitConfiguration, allow_none=True)
    announce = List(
        Unicode(),
        help="Lines printed after the address once the server runs (the demo's access codes).",
    ).tag(config=True)

    def initialize(self, argv=None):
        self.chwkit = ChwkitConfiguration(parent=self)
        self.update_config(self.chwkit.voila_config(Path(self.config.Voila.get("root_dir", "."))))
        super().initialize(argv)

    def init_settings(self) -> dict:
        if "cookie_secret" not in self.config.Voila:  # sign-ins outlive a restart
            self.cookie_secret = identity.persistent_secret()
        settings = super().init_settings()
        # Voila's renderer and its preheating read notebooks through this manager.
        self.contents_manager = LearnerContentsManager(parent=self, root_dir=self.root_dir)
        settings["contents_manager"] = self.contents_manager
        # Voila applies ``tornado_settings`` after building its web app, too late for the ones
        # read at construction (compress_response): they go in the settings it is built with.
        settings.update(self.tornado_settings)
        settings.setdefault("default_handler_class", NotFoundHandler)
        settings.update(identity.settings(self.chwkit, self.ip, self.port, self.server_url))
        return settings

    def init_handlers(self) -> list:
        landing = [(self.server_url.rstrip("/") + "/?", LandingHandler)]
        guarded = learner_handlers(super().init_handlers(), self.server_url)
        return landing + identity.handlers(self.server_url) + identity.with_identity(guarded)

    def listen(self):
        # Voila's listen() blocks in the event loop: announce once the loop runs (the port
        # is bound by then), not after it stops.
        tornado.ioloop.IOLoop.current().add_callback(self._announce)
        super().listen()

    def _announce(self) -> None:
        print("\n".join([self.open_line(), *self.announce]), flush=True)

    def open_line(self) -> str:
        """The address to open, with the token (Voila hides one it did not generate)."""
        host = socket.gethostname() if self.ip in ("", "0.0.0.0", "::") else self.ip
        query = {"lang": DEFAULT_LANG}
        if self.identity_provider.token:
            query = {"token": self.identity_provider.token, **query}
        return f"chwkit: open {self._url(host)}?{urlencode(query)}"


def prepare_environment(root: Path | str) -> None:
    """Make the kit's template findable (and compiled once, not per page: see
    ``chwkit.serve.templates``) and pin the project root for kernels."""
    templates.install()
    share = str(paths.share_dir())
    existing = os.environ.get("JUPYTER_PATH", "")
    if share not in existing.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (share, existing) if p)
    os.environ["CHWKIT_ROOT"] = str(root)
    os.environ.setdefault("CHWKIT_HOME", str(paths.data_dir()))
    paths.data_dir()


def serve(config: Config | None = None, announce: tuple[str, ...] = ()) -> None:
    """Run the standalone server with the kit's options in ``config`` (ChwkitConfiguration)."""
    root = paths.project_root()
    prepare_environment(root)
    config = Config(config or {})
    config.Voila.root_dir = str(root)
    config.ChwkitVoila.announce = list(announce)
    ChwkitVoila.launch_instance(argv=[], config=config)


def server_config() -> dict:
    """``jupyter server`` settings for the kit's extension (Binder, JupyterHub).

    Only what must be known before the server starts: which extension, which contents
    manager, and the learner kernels of the standalone server (IPC sockets, sends that never
    block, forked from the kernel template: ``chwkit.serve.kernels``). Every option of the kit
    is read by the extension from ``ChwkitConfiguration`` (set it in the same file to change
    one).
    """
    return {
        "ServerApp": {
            # The kit's extension loads Voila's handlers itself, guarded.
            "jpserver_extensions": {
                "chwkit.serve.extension": True,
                **{name: False for name in VOILA_EXTENSIONS},
            },
            "contents_manager_class": "chwkit.serve.guard.LearnerContentsManager",
        },
        # Every kernel the server starts, JupyterLab's too: a kernelspec the template cannot
        # serve (another language, another Python) is launched the ordinary way.
        "MappingKernelManager": {
            "kernel_manager_class": "chwkit.serve.kernels.LearnerKernelManager"
        },
        "KernelProvisionerFactory": {"default_provisioner_name": PROVISIONER_NAME},
    }


def main(argv: list[str] | None = None) -> int:
    import json
    import sys

    from chwkit.core.atomic import write

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "binder-config":
        print("usage: python -m chwkit.serve.app binder-config PATH", file=sys.stderr)
        return 1
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(target.read_text()) if target.exists() else {}
    for section, values in server_config().items():
        merged = existing.setdefault(section, {})
        for key, value in values.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    write(target, json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
