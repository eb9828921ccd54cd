"""The kernel template: one process that has imported what learner kernels need, and forks a
kernel from itself for each request.

Started by :class:`chwkit.serve.kernels.KernelTemplate` (``python -m
chwkit.serve.kernel_template --socket PATH``) before any kernel exists. It imports ipykernel,
ipywidgets and the kit's page modules, freezes the garbage collector's view of them (so a
child's collections do not dirty the pages it shares with the template), and then does
nothing but wait on a Unix socket. It never starts a thread, an event loop or a ZMQ context:
``fork()`` after any of those is unsafe, and it refuses to fork if a thread has appeared.

Each request names a connection file (written by the server, with that kernel's own key and
IPC socket paths), the kernel's environment and working folder. The child becomes a session
leader, dies with the template (``PR_SET_PDEATHSIG``), takes the request's environment and
folder, shows the command line of an ordinarily launched kernel (so ``ps`` and the tests see
``ipykernel_launcher -f <connection file>``), and runs ``IPKernelApp`` as
``python -m ipykernel_launcher`` would. The server watches and signals the child through a
pidfd, never through its pid alone.

Protocol: one JSON line in, one JSON line out, one request per connection.
``{"op": "ping"}`` -> ``{"ok": true, "pid": ..., "preloaded": [...], "failed": {...}}``;
``{"op": "fork", "argv": [...], "env": {...}, "cwd": "..."}`` -> ``{"ok": true, "pid": ...}``
or ``{"ok": false, "error": "..."}``. Only the template's own user may connect.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

PR_SET_PDEATHSIG = 1
# Room reserved in this process's command line for a child's (see ``_show_command_line``).
TITLE_ROOM = 1024
MAX_REQUEST = 1 << 20


def _log(message: str) -> None:
    print(f"chwkit kernel template [{os.getpid()}]: {message}", file=sys.stderr, flush=True)


def _die_with_parent(sig: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def os_threads() -> int:
    """Threads of this process, as the OS sees them (C threads included)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _show_command_line(argv: list[str]) -> None:
    """Make /proc/<pid>/cmdline read as ``argv`` (what ``ps`` and psutil show).

    Python keeps its own copy of its arguments; the original bytes, between ``arg_start``
    and ``arg_end`` of /proc/self/stat, are only what the OS shows. The template is started
    with ``TITLE_ROOM`` bytes of padding there, so a child's command line fits.
    """
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        # fields[0] is field 3 (state) of proc(5): arg_start and arg_end are fields 48, 49.
        start, end = int(fields[45]), int(fields[46])
    except (OSError, IndexError, ValueError):
        return
    room = end - start
    title = b"\0".join(os.fsencode(a) for a in argv) + b"\0"
    if len(title) > room or room <= 0:
        return
    ctypes.memmove(start, title + b"\0" * (room - len(title)), room)


class ChildRequest:
    """What a forked child runs, once it has left the template's loop."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str):
        self.argv, self.env, self.cwd = argv, env, cwd


class Template:
    def __init__(self, socket_path: str, preload: list[str]):
        self.socket_path = socket_path
        self.preload = preload
        self.preloaded: list[str] = []
        self.failed: dict[str, str] = {}
        self.children: set[int] = set()
        self.stopping = False

    # -- startup -----------------------------------------------------------------------------
    def load(self) -> None:
        started = time.perf_counter()
        for name in self.preload:
            try:
                importlib.import_module(name)
                self.preloaded.append(name)
            except Exception as exc:  # a module that cannot load is loaded by the kernel
                self.failed[name] = f"{type(exc).__name__}: {exc}"
        gc.collect()
        gc.freeze()
        _log(
            f"imported {len(self.preloaded)} modules in {time.perf_counter() - started:.2f} s"
            + (f"; could not import {sorted(self.failed)}" if self.failed else "")
        )

    def listen(self) -> socket.socket:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            server.bind(self.socket_path)
        finally:
            os.umask(old)
        server.listen(64)
        return server

    # -- the loop ------------------------------------------------------------------------------
    def serve(self, server: socket.socket) -> ChildRequest | None:
        """Answer requests until stopped; in a forked child, return what it must run."""
        while not self.stopping:
            self.reap()
            try:
                readable, _, _ = select.select([server], [], [], 0.5)
            except InterruptedError:
                continue
            if not readable:
                continue
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            child = self.handle(server, conn)
            if child is not None:
                return child
        return None

    def handle(self, server: socket.socket, conn: socket.socket) -> ChildRequest | None:
        with conn:
            conn.settimeout(5)
            try:
                creds = conn.getsockopt(
                    socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
                )
                _pid, uid, _gid = struct.unpack("3i", creds)
                if uid != os.getuid():
                    return None
                request = json.loads(self._read_line(conn))
            except (OSError, ValueError) as exc:
                _log(f"bad request: {exc}")
                return None
            op = request.get("op")
            if op == "ping":
                reply = {
                    "ok": True,
                    "pid": os.getpid(),
                    "preloaded": self.preloaded,
                    "failed": self.failed,
                    "threads": os_threads(),
                }
                self._send(conn, reply)
                return None
            if op != "fork":
                self._send(conn, {"ok": False, "error": f"unknown request {op!r}"})
                return None
            threads = os_threads()
            if threads != 1:
                # Never fork a process with threads: a lock held by another thread would be
                # held for ever in the child.
                self._send(conn, {"ok": False, "error": f"the template has {threads} threads"})
                return None
            try:
                argv = [str(a) for a in request["argv"]]
                env = {str(k): str(v) for k, v in request["env"].items()}
                cwd = str(request.get("cwd") or os.getcwd())
            except (KeyError, AttributeError, TypeError) as exc:
                self._send(conn, {"ok": False, "error": f"malformed request: {exc}"})
                return None
            template_pid = os.getpid()
            try:
                pid = os.fork()
            except OSError as exc:
                self._send(conn, {"ok": False, "error": f"fork failed: {exc}"})
                return None
            if pid == 0:
                self.become_child(server, conn, template_pid)
                return ChildRequest(argv, env, cwd)
            self.children.add(pid)
            self._send(conn, {"ok": True, "pid": pid})
            return None

    @staticmethod
    def _read_line(conn: socket.socket) -> bytes:
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_REQUEST:
                raise ValueError("request too large")
        return data

    @staticmethod
    def _send(conn: socket.socket, reply: dict) -> None:
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply).encode() + b"\n")

    def reap(self) -> None:
        while self.children:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)

    def become_child(self, server: socket.socket, conn: socket.socket, parent: int) -> None:
        """In the forked child: leave everything of the template behind."""
        os.setsid()
        _die_with_parent(signal.SIGKILL)
        if os.getppid() != parent:  # the template died between fork() and prctl()
            os._exit(1)
        server.close()
        conn.close()
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)

    # -- shutdown ------------------------------------------------------------------------------
    def stop(self, *_args) -> None:
        self.stopping = True

    def kill_children(self, grace_s: float = 2.0) -> None:
        for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 1.0)):
            for pid in list(self.children):
                try:
                    os.killpg(pid, sig)
                except OSError:
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        self.children.discard(pid)
            deadline = time.monotonic() + wait
            while self.children and time.monotonic() < deadline:
                self.reap()
                time.sleep(0.05)
            if not self.children:
                return


def run_kernel(child: ChildRequest) -> None:
    """Run ``python -m ipykernel_launcher <argv>`` in this (forked) process."""
    os.environ.clear()
    os.environ.update(child.env)
    os.environ["JPY_PARENT_PID"] = str(os.getppid())
    os.chdir(child.cwd)
    import ipykernel_launcher

    sys.argv = [ipykernel_launcher.__file__, *child.argv]
    _show_command_line([sys.executable, "-m", "ipykernel_launcher", *child.argv])
    if "numpy" in sys.modules:  # its global generator is not reseeded at fork, as random's is
        sys.modules["numpy"].random.seed()
    from ipykernel.kernelapp import IPKernelApp

    # ipykernel read JPY_PARENT_PID when the template imported it: the kernel's parent is
    # the template (the kernel exits if it goes).
    app = IPKernelApp.instance()
    app.initialize([f"--IPKernelApp.parent_handle={os.getppid()}", *child.argv])
    after_kernel_start()
    app.start()


def after_kernel_start() -> None:
    """What preloaded modules do at import when a kernel is running, done now that one is.

    ipywidgets registers its comm targets (``jupyter.widget``, ``jupyter.widget.control``)
    when it is imported inside a kernel; imported in the template it found none.
    """
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None and hasattr(widgets, "_handle_ipython"):
        widgets._handle_ipython()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chwkit.serve.kernel_template")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--preload", default="")
    parser.add_argument("--parent", type=int, default=0)
    parser.add_argument("--title-room", default="")
    args = parser.parse_args(argv)
    # As ipykernel_launcher: the starting folder is not where kernels import from.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    _die_with_parent(signal.SIGTERM)
    if args.parent and os.getppid() != args.parent:
        return 1
    template = Template(args.socket, [m for m in args.preload.split(",") if m])
    signal.signal(signal.SIGTERM, template.stop)
    signal.signal(signal.SIGINT, template.stop)
    template.load()
    server = template.listen()
    child = template.serve(server)
    if child is not None:
        run_kernel(child)
        return 0
    server.close()
    template.kill_children()
    with contextlib.suppress(OSError):
        os.unlink(args.socket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
