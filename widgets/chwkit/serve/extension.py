"""The kit as a Jupyter server extension (Binder today, JupyterHub next).

``jupyter server`` with the configuration ``python -m chwkit.serve.app binder-config PATH``
writes loads this extension instead of Voila's own (which the configuration disables), and
uses the kit's contents manager. Loading it

- reads the kit's options (``ChwkitConfiguration``, from the server's configuration) and
  turns them into Voila's, as the standalone server does;
- lets Voila's own extension build its handlers, then passes them through the same guards
  as the standalone server (:func:`chwkit.serve.guard.learner_handlers`) before they are
  added: Voila's unguarded routes never reach the server;
- culls idle kernels as the standalone server does;
- when the server forks its kernels (binder-config sets the kit's provisioner), starts the
  kernel template at once, so the first learner does not wait for it, and makes SIGTERM stop
  every kernel it started, as the standalone server does.
"""

from __future__ import annotations

from voila import server_extension as voila_extension

from chwkit.serve import identity
from chwkit.serve.config import ChwkitConfiguration
from chwkit.serve.guard import LearnerContentsManager, learner_handlers

# The names Voila's own extension is enabled by (its package enables the second).
VOILA_EXTENSIONS = ("voila", "voila.server_extension")


class ExtensionError(RuntimeError):
    """The server is not configured as the kit needs; the message says what to change."""


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "chwkit.serve.extension"}]


def _load_jupyter_server_extension(server_app) -> None:
    from chwkit.serve.app import prepare_environment

    if not isinstance(server_app.contents_manager, LearnerContentsManager):
        # Without it /api/contents and /files would serve the assessments folder.
        raise ExtensionError(
            "chwkit needs ServerApp.contents_manager_class = "
            "'chwkit.serve.guard.LearnerContentsManager' (see binder-config)"
        )
    enabled = [name for name in VOILA_EXTENSIONS if server_app.jpserver_extensions.get(name)]
    if enabled:
        # Its handlers, unguarded, would answer what the kit's refuse (its tree page, ...).
        raise ExtensionError(
            "chwkit replaces Voila's server extension: set ServerApp.jpserver_extensions "
            f"{ {name: False for name in enabled} } (see binder-config)"
        )
    # The kit's content is the server's root: the guards and the landing page's links, and the
    # kernels (CHWKIT_ROOT), see the same folders.
    prepare_environment(server_app.root_dir)
    kit = ChwkitConfiguration(parent=server_app)
    server_app.config.VoilaConfiguration.update(kit.voila_configuration())
    for name, value in kit.culling().items():
        setattr(server_app.kernel_manager, name, value)
    _start_kernel_template(server_app)

    web_app = server_app.web_app
    built: list[tuple[str, list]] = []
    web_app.add_handlers = lambda host, handlers: built.append((host, handlers))
    try:
        voila_extension._load_jupyter_server_extension(server_app)
    finally:
        del web_app.add_handlers  # the application's own method again
    base_url = web_app.settings["base_url"]
    # Sign-in and records as under chwkit serve (chwkit.serve.identity): kernels learn their
    # learner from the server; under JupyterHub, the Hub user.
    web_app.settings.update(identity.settings(kit, server_app.ip, server_app.port, base_url))
    for host, handlers in built:
        web_app.add_handlers(host, identity.with_identity(learner_handlers(handlers, base_url)))
    web_app.add_handlers(".*$", identity.handlers(base_url))
    server_app.log.info("chwkit: learner pages under %svoila/render/", base_url)


def _start_kernel_template(server_app) -> None:
    from chwkit.serve.kernels import (
        PROVISIONER_NAME,
        ForkingProvisioner,
        KernelTemplate,
        stop_kernels_at_exit,
    )

    factory = server_app.config.get("KernelProvisionerFactory", {})
    if factory.get("default_provisioner_name") != PROVISIONER_NAME:
        return
    provisioner = ForkingProvisioner(config=server_app.config)
    if provisioner.fork:
        KernelTemplate.shared(provisioner.preload, provisioner.ready_timeout).start()
    stop_kernels_at_exit()


# For jupyter_server's older loading path.
load_jupyter_server_extension = _load_jupyter_server_extension
