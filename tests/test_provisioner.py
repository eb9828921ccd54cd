"""Learner kernels: forked from the kernel template, isolated, and never hanging the server.

The kernel manager is built from the learner server's own configuration
(``ChwkitConfiguration().voila_config``), so these tests check what ``chwkit serve`` runs.
Scenarios that could hang the event loop on a regression run in a subprocess with a time
limit: a hang fails the test instead of stopping the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import run

REPO = Path(__file__).resolve().parent.parent


def server_kernel_manager(**overrides):
    """The kernel manager ``chwkit serve`` would use, outside Voila (no preheating)."""
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from traitlets.config import Config
    from traitlets.utils.importstring import import_item

    from chwkit.serve.config import ChwkitConfiguration

    cfg = ChwkitConfiguration().voila_config(REPO)
    for section, values in overrides.items():
        cfg[section].update(values)
    cls = cfg.VoilaConfiguration.get("multi_kernel_manager_class", AsyncMappingKernelManager)
    cls = import_item(cls) if isinstance(cls, str) else cls
    return cls(config=Config(cfg), connection_dir=tempfile.mkdtemp(prefix="chwkit-test-"))


async def start_ready(mkm, timeout: float = 30.0):
    kernel_id = await mkm.start_kernel(kernel_name="python3")
    client = mkm.get_kernel(kernel_id).client()
    client.start_channels()
    await client.wait_for_ready(timeout=timeout)
    return kernel_id, client


async def run_code(client, code: str) -> str:
    out: list[str] = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = await client.execute_interactive(code, output_hook=keep, timeout=30)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out).strip()


def test_two_forked_kernels_are_isolated():
    """Own process (a child of the template), connection file, key, sockets and state."""
    from chwkit.serve.kernels import ForkedProcess, KernelTemplate

    async def scenario():
        mkm = server_kernel_manager()
        try:
            a_id, a = await start_ready(mkm)
            b_id, b = await start_ready(mkm)
            ka, kb = mkm.get_kernel(a_id), mkm.get_kernel(b_id)
            assert isinstance(ka.provisioner.process, ForkedProcess), "not forked"
            assert ka.transport == kb.transport == "ipc"
            assert ka.connection_file != kb.connection_file
            assert ka.session.key != kb.session.key
            await run_code(
                a, "secret = 'only in a'; import sys; sys.modules['os'].environ['X_A'] = '1'"
            )
            seen = await run_code(
                b,
                "import os; print('secret' in globals(), os.environ.get('X_A'), os.getpid(), os.getppid())",
            )
            in_b, env_b, pid_b, parent_b = seen.split()
            assert (in_b, env_b) == ("False", "None"), "state leaked between forked kernels"
            pid_a = await run_code(a, "import os; print(os.getpid())")
            assert pid_a != pid_b
            assert int(parent_b) == KernelTemplate._shared.process.pid
            # ipywidgets' comm targets are registered in a forked kernel too
            targets = await run_code(
                b,
                "import ipywidgets; from ipywidgets import comm; "
                "print(sorted(comm.get_comm_manager().targets))",
            )
            assert "jupyter.widget.control" in targets
            for client in (a, b):
                client.stop_channels()
        finally:
            await mkm.shutdown_all()

    run(scenario())


def test_without_the_fork_path_kernels_launch_the_ordinary_way(caplog):
    async def scenario():
        mkm = server_kernel_manager(ForkingProvisioner={"fork": False})
        try:
            kernel_id, client = await start_ready(mkm)
            km = mkm.get_kernel(kernel_id)
            assert not hasattr(km.provisioner.process, "_fd"), "forked although switched off"
            parent = await run_code(client, "import os; print(os.getppid())")
            assert int(parent) == os.getpid()
            assert km.transport == "ipc"
            client.stop_channels()
        finally:
            await mkm.shutdown_all()

    import logging

    with caplog.at_level(logging.WARNING):
        run(scenario())
    assert "start the ordinary way" in caplog.text and "switched off" in caplog.text


# -- the burst hang of issue 10, reproduced -----------------------------------------------------
COLLISION = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
import zmq
from jupyter_client import connect
from test_provisioner import server_kernel_manager

squatters = []
ctx = zmq.Context()
original = connect.LocalPortCache.find_available_port

def taken_meanwhile(self, ip):
    # What a burst does: between choosing a free port and the kernel binding it, another
    # kernel's socket takes it.
    port = original(self, ip)
    sock = ctx.socket(zmq.PUB)
    sock.bind(f"tcp://127.0.0.1:{port}")
    squatters.append(sock)
    return port

connect.LocalPortCache.find_available_port = taken_meanwhile

async def main():
    gaps = [0.0]
    async def ticker():
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            gaps.append(now - last)
            last = now
    tick = asyncio.ensure_future(ticker())
    mkm = server_kernel_manager()
    started, errors = 0, []
    async def one():
        nonlocal started
        try:
            kid = await mkm.start_kernel(kernel_name="python3")
            kc = mkm.get_kernel(kid).client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=10)
            started += 1
            kc.stop_channels()
        except Exception as exc:
            errors.append(repr(exc)[:200])
    await asyncio.gather(*(one() for _ in range(3)))
    tick.cancel()
    await mkm.shutdown_all(now=True)
    print(json.dumps({"started": started, "errors": errors, "max_gap": max(gaps),
                      "ports_squatted": len(squatters)}))

asyncio.run(main())
"""


def _scenario(code: str, timeout: float) -> dict:
    try:
        out = subprocess.run(
            [sys.executable, "-c", code, str(REPO / "tests")],
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the event loop hung (killed after {timeout:g} s): {exc.stderr!s:.2000}")
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_concurrent_starts_survive_ports_taken_meanwhile():
    """Issue 10: random TCP ports chosen by concurrent starts collide ("Address already in
    use"), and the server's client, connected to another socket, blocks the event loop in
    zmq_send. Learner kernels use IPC socket files: nothing to collide on, nothing hangs."""
    result = _scenario(COLLISION, timeout=60)
    assert result["errors"] == [] and result["started"] == 3, result
    assert result["max_gap"] < 1.0, f"the event loop stalled {result['max_gap']:.2f} s"


GRADING_COLLISION = r"""
import asyncio, glob, json, os, sys
sys.path.insert(0, sys.argv[1])
from jupyter_client.manager import AsyncKernelManager
from chwkit.assess.grading import _use_forked_kernels

_use_forked_kernels()

async def main():
    started, errors, transports, files = 0, [], [], []
    async def one():
        nonlocal started
        # What nbclient does for nbgrader: a manager of its own, no connection file given.
        km = AsyncKernelManager(kernel_name="python3")
        try:
            await km.start_kernel()
            transports.append(km.transport)
            kc = km.client()
            kc.start_channels()
            await kc.wait_for_ready(timeout=10)
            reply = await kc.execute_interactive("x = 6 * 7", timeout=10)
            started += reply["content"]["status"] == "ok"
            kc.stop_channels()
        except Exception as exc:
            errors.append(repr(exc)[:200])
        finally:
            files.append(km.connection_file)
            await km.shutdown_kernel(now=True)
    await asyncio.gather(*(one() for _ in range(3)))
    left = [f for f in files if f and glob.glob(os.path.splitext(f)[0] + "*")]
    print(json.dumps({"started": started, "errors": errors, "transports": transports,
                      "left": left}))

asyncio.run(main())
"""


def test_grading_kernels_started_side_by_side_cannot_collide_on_ports():
    """A fresh-clone CI run failed once: nbgrader's kernels (a manager of their own, no
    connection file) stayed on TCP, and two grading workers' kernels took the same random
    port ("Address already in use"), a race no test can time. They get IPC socket files,
    which cannot collide, and leave none behind."""
    result = _scenario(GRADING_COLLISION, timeout=90)
    assert result["transports"] == ["ipc"] * 3, result
    assert result["errors"] == [] and result["started"] == 3, result
    assert result["left"] == [], result


NEVER_BLOCKS = r"""
import asyncio, json, sys, time
import zmq
from chwkit.serve.kernels import LearnerKernelClient

async def main():
    ctx = zmq.Context()
    # The shell port is taken by another kernel's PUB socket (what a collision leaves).
    pub = ctx.socket(zmq.PUB)
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    client = LearnerKernelClient(ip="127.0.0.1", transport="tcp", shell_port=port,
        iopub_port=port + 1, stdin_port=port + 2, control_port=port + 3, hb_port=port + 4,
        key=b"k")
    client.start_channels(hb=False)
    gaps = [0.0]
    async def ticker():
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic(); gaps.append(now - last); last = now
    tick = asyncio.ensure_future(ticker())
    started = time.monotonic()
    error = ""
    try:
        await client.wait_for_ready(timeout=3)
    except RuntimeError as exc:
        error = str(exc)
    tick.cancel()
    print(json.dumps({"error": error, "took": time.monotonic() - started, "max_gap": max(gaps)}))
    import os; os._exit(0)

asyncio.run(main())
"""


def test_waiting_for_a_kernel_never_blocks_the_event_loop():
    result = _scenario(NEVER_BLOCKS, timeout=30)
    assert result["error"], "a kernel that is not there was reported ready"
    assert result["took"] < 6, result
    assert result["max_gap"] < 1.0, f"the event loop stalled {result['max_gap']:.2f} s"


def test_the_provisioner_is_registered_for_jupyter():
    from jupyter_client.provisioning import KernelProvisionerFactory

    names = [ep.name for ep in KernelProvisionerFactory.instance()._get_all_provisioners()]
    assert "chwkit-fork" in names


def test_a_forked_kernel_is_listed_as_a_launched_one():
    """ps, psutil and the kernel tests see ``ipykernel_launcher -f <connection file>``."""
    import psutil

    async def scenario():
        mkm = server_kernel_manager()
        try:
            kernel_id, client = await start_ready(mkm)
            km = mkm.get_kernel(kernel_id)
            cmdline = psutil.Process(km.provisioner.pid).cmdline()
            assert "ipykernel_launcher" in cmdline and km.connection_file in cmdline
            client.stop_channels()
            start = time.monotonic()
            await mkm.shutdown_kernel(kernel_id)
            assert not psutil.pid_exists(km.provisioner.pid) or (
                psutil.Process(km.provisioner.pid).status() == psutil.STATUS_ZOMBIE
            )
            assert time.monotonic() - start < 5
        finally:
            await mkm.shutdown_all()

    run(scenario())


def test_ready_means_iopub_connected_and_nothing_stale_left():
    """Once ready, the next message on iopub belongs to the next request: the start's own
    status messages were drained. Every socket to a kernel retries a missing peer every
    10 ms (a forked kernel binds its sockets tens of ms after the client connects)."""
    import zmq

    from chwkit.serve.kernels import RECONNECT_IVL_MS

    async def scenario():
        mkm = server_kernel_manager()
        try:
            kernel_id, client = await start_ready(mkm)
            km = mkm.get_kernel(kernel_id)
            for channel in (client.shell_channel, client.iopub_channel, client.control_channel):
                assert channel.socket.getsockopt(zmq.RECONNECT_IVL) == RECONNECT_IVL_MS
            stream = km.connect_iopub()  # how the server's websocket talks to the kernel
            assert stream.getsockopt(zmq.RECONNECT_IVL) == RECONNECT_IVL_MS
            stream.close(linger=0)
            msg_id = client.execute("1 + 1")
            first = await client.iopub_channel.get_msg(timeout=10)
            assert first["parent_header"].get("msg_id") == msg_id, first["msg_type"]
            assert first["content"].get("execution_state") == "busy"
            client.stop_channels()
        finally:
            await mkm.shutdown_all()

    run(scenario())
