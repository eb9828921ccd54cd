"""Learner kernels that start in a fraction of the time, and never hang the server.

Three parts, each usable on its own through Jupyter's own extension points:

``ForkingProvisioner`` (entry point ``chwkit-fork`` in ``jupyter_client.kernel_provisioners``)
    starts an ipykernel by forking it from :class:`KernelTemplate`, a process that imported
    ipykernel, ipywidgets and the kit before any thread or ZMQ context existed in it
    (``chwkit.serve.kernel_template``). Each kernel still has its own process, connection
    file, session key and IPC sockets, as a launched kernel. Whenever the fork path cannot
    serve a kernel (another kernelspec, another Python, the template not running) the
    ordinary launch is used, and the log says why, once per reason. Voila, Jupyter Server,
    nbclient and nbgrader use it unchanged: select it with
    ``KernelProvisionerFactory.default_provisioner_name = "chwkit-fork"``.

``LearnerKernelManager``
    jupyter_server's kernel manager with IPC transport by default (kernels are given socket
    files, not TCP ports: concurrent starts cannot collide, and nothing travels unencrypted
    over TCP), a client whose sends never block (``LearnerKernelClient``) and a shutdown
    request that cannot block either.

``LearnerKernelClient``
    Session.send() turns an asyncio socket into a blocking one; a DEALER socket whose peer
    went away (a kernel restarted on other ports, a port taken by another kernel's socket)
    then blocks the server's only thread in ``zmq_send`` for good: the burst hang of
    issue 10. Here every client socket has a zero send timeout, and waiting for a kernel to
    be ready treats a send that would block as "not yet", within a bounded time.

:func:`stop_kernels_at_exit` makes SIGTERM stop every kernel this process started, even if
its event loop is stuck: a watchdog thread kills what is left after a grace period.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.provisioning import LocalProvisioner
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_core.utils import ensure_dir_exists
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from traitlets import Bool, Float, List, Unicode, default

log = logging.getLogger("chwkit.kernels")

PROVISIONER_NAME = "chwkit-fork"
# What a learner kernel imports: loaded once in the template, shared by every forked kernel.
DEFAULT_PRELOAD = [
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",
    "ipykernel.inprocess.ipkernel",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.logger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.utils.wildcard",
    "sqlite3",
    "pdb",
    "faulthandler",
    "tornado.platform.asyncio",
    "ipywidgets",
    "chwkit",
    "chwkit.learn.page",
    "chwkit.assess.page",
    "chwkit.forum",
]
LAUNCHER_MODULES = ("ipykernel_launcher", "ipykernel")
UNIX_PATH_MAX = 100  # sun_path holds 108 bytes; keep a margin for the "-N" suffixes
SHUTDOWN_GRACE_S = 8.0


# -- what this process started --------------------------------------------------------------
class _Started:
    """Process groups of the kernels (and templates) this process started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.groups: dict[int, str] = {}

    def add(self, pgid: int | None, what: str) -> None:
        if pgid:
            with self.lock:
                self.groups[pgid] = what

    def discard(self, pgid: int | None) -> None:
        with self.lock:
            self.groups.pop(pgid or 0, None)

    def kill_all(self, sig: int = signal.SIGKILL) -> int:
        with self.lock:
            groups = list(self.groups)
        killed = 0
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
                killed += 1
            except OSError:
                with contextlib.suppress(OSError):
                    os.kill(pgid, sig)
        return killed


STARTED = _Started()
_exit_handler_installed = False


def stop_kernels_at_exit(grace_s: float = SHUTDOWN_GRACE_S) -> None:
    """On SIGTERM, let the server shut its kernels down as usual, but never for longer than
    ``grace_s``: then every kernel this process started is killed and the process exits.

    Chains to the handler already installed (Voila's stops its event loop). Safe to call more
    than once; only from the main thread.
    """
    global _exit_handler_installed
    if _exit_handler_installed or threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def watchdog() -> None:
        time.sleep(grace_s)
        count = STARTED.kill_all(signal.SIGKILL)
        print(
            f"chwkit: shutdown took longer than {grace_s:g} s; killed {count} kernel "
            "process group(s)",
            file=sys.stderr,
            flush=True,
        )
        os._exit(143)

    def on_sigterm(signum, frame) -> None:
        threading.Thread(target=watchdog, name="chwkit-shutdown-watchdog", daemon=True).start()
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(143)

    signal.signal(signal.SIGTERM, on_sigterm)
    atexit.register(STARTED.kill_all, signal.SIGKILL)
    _exit_handler_installed = True


# -- a forked kernel, as the provisioner sees it --------------------------------------------
class ForkedProcess:
    """What ``subprocess.Popen`` gives LocalProvisioner, for a process that is not our child.

    Watched and signalled through a pidfd, so a recycled pid is never signalled by mistake.
    The exit status belongs to the template (the parent): a finished kernel reports 0.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._fd: int | None = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None:
            # poll(), not select(): a server with many kernels has descriptors past 1024.
            watcher = select.poll()
            watcher.register(self._fd, select.POLLIN)
            if watcher.poll(0):
                self._finished()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return self.returncode or 0

    def _finished(self) -> None:
        self.returncode = 0
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def send_signal(self, sig: int) -> None:
        if self.poll() is not None or self._fd is None:
            return
        try:
            signal.pidfd_send_signal(self._fd, sig)
        except ProcessLookupError:
            self._finished()

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# -- the template ---------------------------------------------------------------------------
class TemplateUnavailable(RuntimeError):
    """The fork path cannot serve this kernel; the reason is the message."""


class KernelTemplate:
    """The server's handle on its kernel template process (one per server process)."""

    _shared: KernelTemplate | None = None
    _shared_lock = threading.Lock()

    def __init__(self, preload: list[str], ready_timeout: float = 30.0):
        self.preload = list(preload)
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self.folder: str | None = None
        self.socket_path: str | None = None
        self.info: dict = {}
        self.started_at = 0.0
        self.failures = 0
        self._ready = False

    @classmethod
    def shared(cls, preload: list[str], ready_timeout: float = 30.0) -> KernelTemplate:
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls(preload, ready_timeout)
            return cls._shared

    @classmethod
    def reset_shared(cls) -> None:
        with cls._shared_lock:
            if cls._shared is not None:
                cls._shared.stop()
            cls._shared = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start the template process (returns at once; it imports in the background)."""
        if self.running:
            return
        self.stop()
        self.folder = tempfile.mkdtemp(prefix="chwkit-tpl-")
        self.socket_path = os.path.join(self.folder, "fork.sock")
        env = dict(os.environ)
        env.pop("JPY_PARENT_PID", None)
        cmd = [
            sys.executable,
            "-m",
            "chwkit.serve.kernel_template",
            "--socket",
            self.socket_path,
            "--preload",
            ",".join(self.preload),
            "--parent",
            str(os.getpid()),
            # Room in the process's command line for a forked kernel's (see the template).
            "--title-room",
            "_" * 1024,
        ]
        self.process = subprocess.Popen(cmd, env=env, cwd="/", stdin=subprocess.DEVNULL)
        STARTED.add(self.process.pid, "kernel template")
        self.started_at = time.monotonic()
        self._ready = False
        self.info = {}
        log.info("chwkit: kernel template starting (pid %s)", self.process.pid)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process is not None:
            STARTED.discard(process.pid)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        self._ready = False

    async def _request(self, request: dict, timeout: float = 5.0) -> dict:
        assert self.socket_path
        reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(self.socket_path), timeout
        )
        try:
            writer.write(json.dumps(request).encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        if not line:
            raise TemplateUnavailable("the kernel template closed the connection")
        return json.loads(line)

    async def ready(self) -> None:
        """Wait until the template answers (starting it if needed), within ready_timeout."""
        if self._ready and self.running:
            return
        if not self.running:
            if self.failures >= 3:
                raise TemplateUnavailable("the kernel template failed three times")
            if self.process is not None:
                self.failures += 1
            self.start()
        deadline = self.started_at + self.ready_timeout
        while True:
            if not self.running:
                self.failures += 1
                raise TemplateUnavailable("the kernel template exited")
            if self.socket_path and os.path.exists(self.socket_path):
                try:
                    self.info = await self._request({"op": "ping"})
                    self._ready = True
                    return
                except (TimeoutError, OSError, ValueError):
                    pass
            if time.monotonic() > deadline:
                raise TemplateUnavailable(
                    f"the kernel template did not answer within {self.ready_timeout:g} s"
                )
            await asyncio.sleep(0.05)

    async def fork(self, argv: list[str], env: dict, cwd: str | None) -> int:
        await self.ready()
        try:
            reply = await self._request(
                {"op": "fork", "argv": argv, "env": dict(env), "cwd": cwd or os.getcwd()}
            )
        except (TimeoutError, OSError, ValueError) as exc:
            self._ready = False
            raise TemplateUnavailable(f"the kernel template did not answer: {exc}") from exc
        if not reply.get("ok"):
            raise TemplateUnavailable(str(reply.get("error") or "the fork was refused"))
        return int(reply["pid"])


# -- the provisioner --------------------------------------------------------------------------
class ForkingProvisioner(LocalProvisioner):
    """Fork ipykernel kernels from a pre-imported template; launch them when it cannot."""

    fork = Bool(
        True,
        config=True,
        help="""Fork kernels from the kernel template. False: launch every kernel the
        ordinary way (a new Python process that imports everything itself).""",
    )
    preload = List(
        Unicode(),
        default_value=DEFAULT_PRELOAD,
        config=True,
        help="Modules the kernel template imports once, for every kernel forked from it.",
    )
    ready_timeout = Float(
        30.0,
        config=True,
        help="Seconds to wait for the kernel template to start before launching instead.",
    )
    force_ipc = Bool(
        True,
        config=True,
        help="""Give local kernels IPC socket files instead of TCP ports: concurrent starts
        cannot collide on a port, and no kernel traffic goes over TCP in plain text.""",
    )

    _reasons_logged: set[str] = set()

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if self.force_ipc and km is not None:
            use_ipc(km)
        return await super().pre_launch(**kwargs)

    def fork_argv(self, cmd: list[str]) -> list[str]:
        """The kernel's arguments if ``cmd`` is this Python's ipykernel, else raise."""
        if not self.fork:
            raise TemplateUnavailable("forking is switched off")
        if len(cmd) < 3 or cmd[1] != "-m" or cmd[2] not in LAUNCHER_MODULES:
            raise TemplateUnavailable(f"the kernelspec does not run ipykernel ({cmd[:3]})")
        if os.path.realpath(shutil.which(cmd[0]) or cmd[0]) != os.path.realpath(sys.executable):
            raise TemplateUnavailable(f"the kernelspec runs another Python ({cmd[0]})")
        if not hasattr(os, "pidfd_open") or not hasattr(os, "fork"):
            raise TemplateUnavailable("this system cannot watch a forked kernel (no pidfd)")
        return list(cmd[3:])

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        try:
            argv = self.fork_argv(cmd)
            template = KernelTemplate.shared(self.preload, self.ready_timeout)
            env = kwargs.get("env") or dict(os.environ)
            pid = await template.fork(argv, env, kwargs.get("cwd"))
        except TemplateUnavailable as exc:
            self._log_fallback(str(exc))
            info = await super().launch_kernel(cmd, **kwargs)
            STARTED.add(self.pgid, f"kernel {self.kernel_id}")
            return info
        try:
            self.process = ForkedProcess(pid)
        except OSError as exc:  # it died before we could watch it: start it the usual way
            self._log_fallback(f"the forked kernel exited at once ({exc})")
            info = await super().launch_kernel(cmd, **kwargs)
            STARTED.add(self.pgid, f"kernel {self.kernel_id}")
            return info
        self.pid = pid
        self.pgid = pid  # the child is a session leader
        self.cwd = kwargs.get("cwd") or os.getcwd()
        STARTED.add(pid, f"kernel {self.kernel_id}")
        self.log.debug("chwkit: kernel %s forked from the template (pid %s)", self.kernel_id, pid)
        return self.connection_info

    def _log_fallback(self, reason: str) -> None:
        if reason not in self._reasons_logged:
            self._reasons_logged.add(reason)
            self.log.warning(
                "chwkit: kernels start the ordinary way (slower), not forked: %s", reason
            )

    async def cleanup(self, restart: bool = False) -> None:
        if isinstance(self.process, ForkedProcess) and self.process.poll() is not None:
            self.process.close()
        STARTED.discard(self.pgid)
        await super().cleanup(restart=restart)

    async def get_provisioner_info(self) -> dict:
        info = await super().get_provisioner_info()
        info["forked"] = isinstance(self.process, ForkedProcess)
        return info


def use_ipc(km) -> None:
    """Switch a kernel manager that has not started its kernel to IPC socket files.

    A manager of its own (nbclient's, nbgrader's) has no connection file yet: jupyter_client
    would write one in the temporary folder later, with TCP ports. It gets one in Jupyter's
    runtime folder now, so grading kernels started side by side cannot collide on a port
    either. A folder too deep for a socket's path puts the sockets in a short private one.
    """
    if km.transport == "ipc":
        return
    if not km.connection_file:
        runtime = jupyter_runtime_dir()
        ensure_dir_exists(runtime, mode=0o700)
        km.connection_file = os.path.join(runtime, f"kernel-{km.kernel_id or uuid.uuid4()}.json")
    prefix = os.path.splitext(km.connection_file)[0] + "-ipc"
    if len(prefix) + 4 > UNIX_PATH_MAX:
        prefix = os.path.join(short_socket_dir(), os.path.basename(prefix))
        if len(prefix) + 4 > UNIX_PATH_MAX:
            log.warning(
                "chwkit: no folder short enough for IPC sockets; kernel %s uses TCP", prefix
            )
            return
    km.transport = "ipc"
    km.ip = prefix


def short_socket_dir() -> str:
    """A private folder with a short path for kernels' socket files (owner only)."""
    path = os.path.join(tempfile.gettempdir(), f"chwkit-ipc-{os.getuid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{path} is not a folder of this user's")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


# -- the client and the manager -------------------------------------------------------------
# ZMQ retries a connection to a socket file that does not exist yet every RECONNECT_IVL
# (100 ms by default). A client connects as soon as a kernel is forked, some 60 ms before
# the kernel binds: at 100 ms a start lost up to a tenth of a second waiting for the retry.
RECONNECT_IVL_MS = 10


def quick_reconnect(context: zmq.Context) -> None:
    """Make sockets ``context`` creates from now on retry a missing peer every 10 ms."""
    if context.sockopts.get(zmq.RECONNECT_IVL) != RECONNECT_IVL_MS:
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)


class LearnerKernelClient(AsyncKernelClient):
    """A kernel client whose sends never block the event loop (see the module docstring)."""

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):
        quick_reconnect(self.context)
        sock = super()._create_connected_socket(channel, identity)
        sock.sndtimeo = 0
        return sock

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        """Ask for kernel_info until it answers and iopub is connected, or time out.

        iopub is connected once it shows the kernel going idle after the request it answered:
        the last message that request makes, so what it leaves queued is drained without
        waiting (jupyter_client waits 0.2 s for more, on every start).
        """
        deadline = time.monotonic() + (60.0 if timeout is None else timeout)
        while True:
            with contextlib.suppress(zmq.Again):  # no peer to queue for yet: not ready
                self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=0.25)
            except Empty:
                msg = None
            if (
                msg is not None
                and msg["msg_type"] == "kernel_info_reply"
                and await self._saw_idle(msg["parent_header"].get("msg_id"))
            ):
                self._handle_kernel_info_reply(msg)
                break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:  # drain what is already queued
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break

    async def _saw_idle(self, replied: str | None) -> bool:
        """Read iopub until the kernel goes idle after request ``replied``; False if iopub
        falls silent first (those status messages went out before our subscription arrived,
        or were read while waiting for an earlier reply: ask again)."""
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.05)
            except Empty:
                return False
            if (
                msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
                and msg.get("parent_header", {}).get("msg_id") == replied
            ):
                return True

    wait_for_ready = _async_wait_for_ready


class LearnerKernelManager(ServerKernelManager):
    """jupyter_server's kernel manager with IPC transport and sends that cannot block."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("client_class")
    def _default_client_class(self) -> str:
        return "chwkit.serve.kernels.LearnerKernelClient"

    @default("client_factory")
    def _default_client_factory(self):
        return LearnerKernelClient

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):
        quick_reconnect(self.context)
        return super()._create_connected_socket(channel, identity)

    def _connect_control_socket(self) -> None:
        if self._control_socket is None:
            super()._connect_control_socket()
            self._control_socket.sndtimeo = 0

    async def _async_request_shutdown(self, restart: bool = False) -> None:
        try:
            await super()._async_request_shutdown(restart=restart)
        except zmq.Again:
            # Nobody to ask: the kernel is gone or not listening. finish_shutdown kills it.
            self.log.info("chwkit: kernel %s did not take a shutdown request", self.kernel_id)

    request_shutdown = _async_request_shutdown


def kernel_pss_mb(pid: int) -> float | None:
    """A process's proportional set size in MB (its share of what it shares with others)."""
    import psutil

    try:
        return psutil.Process(pid).memory_full_info().pss / 2**20
    except (psutil.Error, AttributeError):
        return None


def template_pid() -> int | None:
    shared = KernelTemplate._shared
    return shared.process.pid if shared is not None and shared.running else None
