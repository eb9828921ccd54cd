"""Preheated kernels sized for a class, refilled at a pace that leaves learners the machine.

``ClassroomKernelManager`` is the learner server's ``VoilaConfiguration.
multi_kernel_manager_class``. Voila builds its preheating manager by subclassing the class it
is given (``voila_kernel_manager_factory``); when it instantiates that subclass, this class
puts :class:`ClassroomPool` in front of it, which changes four things of Voila's pool:

- **size**: each module's pool holds its expected class (``class_sizes``, from ``chwkit
  serve --class-size``), plus one kernel for each learner waiting at the door
  (:mod:`chwkit.serve.admission`), never beyond ``max_kernels`` live kernels;
- **ready first**: a learner is given a kernel that has started, never one still starting
  while another is ready; a kernel that failed to start is dropped, shut down and replaced
  (Voila would hand it to the next learner, whose page then never finished);
- **pace**: Voila starts a replacement for every kernel taken, all at once, 1.5 s later, in
  the middle of the class's page loads. Here one background task starts kernels: as many
  at a time as the machine has cores when learners are waiting or nobody is on a page,
  none while pages are being served, one at a time for the half minute after;
- **count**: ``get_pool_size`` counts ready kernels only, so Voila's handler never waits
  on a kernel that is still starting.

The kernels themselves are ``LearnerKernelManager`` ones (IPC sockets, forked from the
kernel template by the ``chwkit-fork`` provisioner when that is the default provisioner).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import time
from dataclasses import dataclass

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Dict, Float, Int, Unicode, default

from chwkit.serve.kernels import stop_kernels_at_exit

IDLE_AFTER_PAGE_S = 30.0  # after a page, refill one kernel at a time for this long
SETTLE_S = 0.5  # a kernel that just answered still runs its notebook for about this long
START_TIMEOUT_S = 90.0  # a pool kernel not started by then is replaced


@dataclass
class Claim:
    """A request's right to one ready kernel of ``notebook`` (see admission)."""

    notebook: str
    used: bool = False


current_claim: contextvars.ContextVar[Claim | None] = contextvars.ContextVar(
    "chwkit_claim", default=None
)


class ClassroomKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager for the learner server (see the module docstring)."""

    class_sizes = Dict(
        {},
        config=True,
        help="""Preheated kernels to keep per notebook (path relative to the served root),
        for the class expected to open it at once. Notebooks not named keep the size Voila's
        kernel_pools_config gives them.""",
    )
    max_kernels = Int(
        0,
        config=True,
        help="""Live kernels at most (pool included); 0 means no cap. Learners beyond it wait
        on a page that continues by itself when a kernel frees up.""",
    )
    fill_parallel = Int(
        0,
        config=True,
        help="Kernels started at once when learners wait or nobody is on a page (0: cores).",
    )
    plans_dir = Unicode(
        "",
        config=True,
        help="""A folder of work plans (``chwkit plan`` files, *.yaml). When set, a module
        whose session is on, or starts within the hour, keeps as many kernels preheated as the
        groups meeting on it have learners (``chwkit serve --class-size plan``). Read again
        every plan_refresh_s seconds; class_sizes, where given, wins.""",
    )
    plan_notebooks = Dict(
        {},
        config=True,
        help="Module id -> its notebook (path relative to the served root), for plans_dir.",
    )
    plan_refresh_s = Float(300.0, config=True, help="Seconds between readings of plans_dir.")
    fill_quiet_s = Float(
        1.5,
        config=True,
        help="Seconds without a page being served before the pool is refilled.",
    )

    @default("kernel_manager_class")
    def _default_kernel_manager_class(self) -> str:
        return "chwkit.serve.kernels.LearnerKernelManager"

    def __new__(cls, *args, **kwargs):
        if "fill_if_needed" in vars(cls) and not issubclass(cls, ClassroomPool):
            cls = _pooled(cls)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        stop_kernels_at_exit()

    @property
    def live_kernels(self) -> int:
        return len(set(self._kernels) | set(self._pending_kernels))

    # -- the work plan's next session ---------------------------------------------------------
    def plan_sizes(self) -> dict[str, int]:
        """notebook -> learners expected now, from the work plans (last reading)."""
        return getattr(self, "_plan_sizes", {})

    def read_plans(self, now=None) -> dict[str, int]:
        """Read the work plans (blocking: the pacer runs it in a thread) and keep the class
        each module's session expects now. A plan that cannot be read is logged, not fatal."""
        import datetime as dt
        from pathlib import Path

        from chwkit.program.plan import expected_classes

        if not self.plans_dir:
            return {}
        files = sorted(Path(self.plans_dir).glob("*.yaml"))
        now = now or dt.datetime.now(dt.UTC)
        classes, problems = expected_classes(files, now)
        for problem in problems:
            self.log.warning("chwkit: work plan not used for the pool: %s", problem)
        sizes = {
            self.plan_notebooks[m]: c.learners
            for m, c in classes.items()
            if m in self.plan_notebooks
        }
        if sizes != self.plan_sizes():
            self.log.info(
                "chwkit: preheating for the work plan's sessions: %s",
                ", ".join(f"{m}={c.learners}" for m, c in classes.items()) or "none now",
            )
        self._plan_sizes = sizes
        return sizes

    def at_capacity(self, starting: int = 0) -> bool:
        return bool(self.max_kernels) and self.live_kernels + starting >= self.max_kernels

    # -- state ------------------------------------------------------------------------------
    def _classroom_state(self):
        if not hasattr(self, "_fill_kwargs"):
            self._fill_kwargs: dict[str, dict] = {}
            self._ready_at: dict[int, float] = {}
            self._started_at: dict[int, float] = {}
            self._claimed: dict[str, int] = {}
            self._waiting: dict[str, int] = {}
            self._wake = asyncio.Event()
            self._pacer: asyncio.Task | None = None
            self.last_page = 0.0
            self.pages_in_flight = 0
            self.failures = 0
            self.started = 0
            self.changed = asyncio.Condition()

    def available(self, notebook: str) -> int:
        return 0

    def claim(self, notebook: str) -> Claim:
        self._classroom_state()
        self._claimed[notebook] = self._claimed.get(notebook, 0) + 1
        return Claim(notebook)

    def release(self, claim: Claim) -> None:
        if not claim.used:
            claim.used = True
            self._claimed[claim.notebook] = max(0, self._claimed.get(claim.notebook, 0) - 1)

    def set_waiting(self, notebook: str, count: int) -> None:
        self._classroom_state()
        if self._waiting.get(notebook, 0) != count:
            self._waiting[notebook] = count
            self.wake()

    def wake(self) -> None:
        self._classroom_state()
        self._wake.set()

    def page_started(self) -> None:
        self._classroom_state()
        self.pages_in_flight += 1
        self.last_page = time.monotonic()

    def page_finished(self) -> None:
        self.pages_in_flight = max(0, self.pages_in_flight - 1)
        self.last_page = time.monotonic()
        self.wake()

    # Without preheating (``--no-preheat``) nothing is pooled.
    def pooled(self, notebook: str) -> bool:
        return False


_POOLED: dict[type, type] = {}


def _pooled(voila_class: type) -> type:
    if voila_class not in _POOLED:
        _POOLED[voila_class] = type("ClassroomVoilaKernelManager", (ClassroomPool, voila_class), {})
    return _POOLED[voila_class]


class ClassroomPool:
    """Overrides of Voila's ``VoilaKernelManager`` pool methods (see the module docstring)."""

    def base_size(self, notebook: str) -> int:
        sizes = self.class_sizes
        if notebook in sizes:
            return max(0, int(sizes[notebook]))
        planned = self.plan_sizes()
        if notebook in planned:
            return max(0, int(planned[notebook]))
        default_config = self.kernel_pools_config.get("default", {})
        config = self.kernel_pools_config.get(notebook, default_config)
        return max(0, int(config.get("pool_size", default_config.get("pool_size", 0))))

    def pooled(self, notebook: str) -> bool:
        self._classroom_state()
        return notebook in self._fill_kwargs and self.base_size(notebook) > 0

    def state(self, task: asyncio.Future) -> str:
        """ "starting", "ready" or "failed"."""
        if not task.done():
            if (
                time.monotonic() - self._started_at.get(id(task), time.monotonic())
                > START_TIMEOUT_S
            ):
                return "failed"
            return "starting"
        if task.cancelled() or task.exception() is not None:
            return "failed"
        content = task.result()
        render = content["task"]
        if render.done() and (render.cancelled() or render.exception() is not None):
            return "failed"
        if content["renderer"].kernel_started or render.done():
            self._ready_at.setdefault(id(task), time.monotonic())
            return "ready"
        if time.monotonic() - self._started_at.get(id(task), time.monotonic()) > START_TIMEOUT_S:
            return "failed"
        return "starting"

    def available(self, notebook: str) -> int:
        """Ready kernels no request has claimed yet."""
        self._classroom_state()
        ready = sum(1 for t in self._pools.get(notebook, []) if self.state(t) == "ready")
        return ready - self._claimed.get(notebook, 0)

    def counts(self, notebook: str) -> tuple[int, int]:
        """(ready, starting) kernels in the notebook's pool; settling ones count as starting."""
        ready = starting = 0
        now = time.monotonic()
        for task in self._pools.get(notebook, []):
            kind = self.state(task)
            if kind == "ready":
                if now - self._ready_at.get(id(task), now) < SETTLE_S:
                    starting += 1
                ready += 1
            elif kind == "starting":
                starting += 1
        return ready, starting

    # -- Voila's pool methods, replaced ----------------------------------------------------------
    def fill_if_needed(
        self, delay=None, notebook_name=None, extra_kernel_env_variables=None, **kwargs
    ):
        """Remember how to start the notebook's kernels; the pacer starts them."""
        self._classroom_state()
        if notebook_name is None:
            return
        self._pools.setdefault(notebook_name, [])
        if notebook_name not in self._fill_kwargs:
            self._fill_kwargs[notebook_name] = dict(kwargs)
        self._ensure_pacer()
        self.wake()

    def get_pool_size(self, notebook_name: str) -> int:
        self._classroom_state()
        return sum(1 for t in self._pools.get(notebook_name, []) if self.state(t) == "ready")

    async def get_rendered_notebook(
        self, notebook_name: str, extra_kernel_env_variables=None, **kwargs
    ):
        self._classroom_state()
        pool = self._pools.get(notebook_name, [])
        # Ready kernels first (Voila takes the first of the list).
        pool.sort(key=lambda t: self.state(t) != "ready")
        claim = current_claim.get()
        if claim is not None and claim.notebook == notebook_name:
            self.release(claim)
        result = await super().get_rendered_notebook(
            notebook_name, extra_kernel_env_variables or {}, **kwargs
        )
        self.wake()
        return result

    async def shutdown_all(self, *args, **kwargs):
        self._classroom_state()
        if self._pacer is not None:
            self._pacer.cancel()
            self._pacer = None
        self._prune(shutdown=False)
        return await super().shutdown_all(*args, **kwargs)

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        self._prune(shutdown=False)
        return await super().shutdown_kernel(kernel_id, *args, **kwargs)

    # -- the pacer --------------------------------------------------------------------------
    def _ensure_pacer(self) -> None:
        if self._pacer is None or self._pacer.done():
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                return
            self._pacer = loop.create_task(self._pace())

    def _prune(self, shutdown: bool = True) -> None:
        """Drop failed kernels from the pools (and shut them down)."""
        for notebook, pool in self._pools.items():
            for task in [t for t in pool if self.state(t) == "failed"]:
                pool.remove(task)
                self.failures += 1
                kernel_id = None
                if task.done() and not task.cancelled() and task.exception() is None:
                    kernel_id = task.result().get("kernel_id")
                    with contextlib.suppress(Exception):
                        task.result()["task"].cancel()
                elif not task.done():
                    task.cancel()
                self.log.warning(
                    "chwkit: a preheated kernel for %s failed to start; it is replaced", notebook
                )
                if shutdown and kernel_id and kernel_id in self:
                    asyncio.ensure_future(self._quiet_shutdown(kernel_id))

    async def _quiet_shutdown(self, kernel_id: str) -> None:
        with contextlib.suppress(Exception):
            await AsyncMappingKernelManager.shutdown_kernel(self, kernel_id, now=True)

    def _parallel(self) -> int:
        return self.fill_parallel or max(1, os.cpu_count() or 1)

    def _limit(self) -> int:
        """How many kernels may be starting at once now."""
        if any(self._waiting.values()):
            return self._parallel()
        since = time.monotonic() - self.last_page
        if self.pages_in_flight or since < self.fill_quiet_s:
            return 0
        if since < IDLE_AFTER_PAGE_S:
            return 1
        return self._parallel()

    def wanted(self, notebook: str) -> int:
        return self.base_size(notebook) + self._waiting.get(notebook, 0)

    async def _pace(self) -> None:
        plans_read = -float("inf")
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.25)
            self._wake.clear()
            try:
                if self.plans_dir and time.monotonic() - plans_read >= self.plan_refresh_s:
                    plans_read = time.monotonic()
                    await asyncio.get_running_loop().run_in_executor(None, self.read_plans)
                self._prune()
                self._fill_step()
                async with self.changed:
                    self.changed.notify_all()
            except Exception:  # the pacer must outlive any one kernel's trouble
                self.log.exception("chwkit: pool refill")

    def _fill_step(self) -> None:
        starting_total = 0
        deficits = []
        for notebook in self._fill_kwargs:
            _ready, starting = self.counts(notebook)
            starting_total += starting
            spoken_for = self._claimed.get(notebook, 0)
            missing = self.wanted(notebook) - (len(self._pools.get(notebook, [])) - spoken_for)
            if missing > 0:
                deficits.append([-self._waiting.get(notebook, 0), -missing, notebook])
        room = self._limit() - starting_total
        launched = 0
        # Round robin over the notebooks that lack kernels, those with learners waiting first.
        while room > 0 and deficits:
            deficits.sort()
            entry = deficits.pop(0)
            if self.at_capacity(starting=launched):
                return
            self._start_one(entry[2])
            launched += 1
            room -= 1
            entry[1] += 1
            if entry[1] < 0:
                deficits.append(entry)

    def _start_one(self, notebook: str) -> None:
        from voila.utils import ENV_VARIABLE

        kwargs = dict(self._fill_kwargs.get(notebook, {}))
        default_config: dict = self.kernel_pools_config.get("default", {})
        notebook_config: dict = self.kernel_pools_config.get(notebook, default_config)
        env_defaults = notebook_config.get(
            "kernel_env_variables", default_config.get("kernel_env_variables", {})
        )
        kwargs.setdefault("path", os.path.dirname(notebook))
        env = os.environ.copy()
        env.update(kwargs.get("env", {}))
        for key, value in env_defaults.items():
            env.setdefault(key, value)
        env[ENV_VARIABLE.VOILA_BASE_URL] = self.parent.base_url
        env[ENV_VARIABLE.VOILA_SERVER_URL] = self.parent.server_url
        env[ENV_VARIABLE.VOILA_APP_PORT] = str(self.parent.port)
        env[ENV_VARIABLE.VOILA_PREHEAT] = "True"
        kwargs["env"] = env
        task = asyncio.ensure_future(self._initialize(notebook, None, **kwargs))
        self._started_at[id(task)] = time.monotonic()
        task.add_done_callback(lambda _t: self.wake())
        self._pools.setdefault(notebook, []).append(task)
        self.started += 1


# -- the server's configuration -------------------------------------------------------------
def parse_class_size(value: str, module_ids: list[str]) -> dict[str, int]:
    """``"30"`` (every module) or ``"chw_role=30,health_coverage=12"`` -> {module id: size}.
    (``"plan"``, alone or beside per-module sizes, is read by ``classroom_config``.)"""
    value = (value or "").strip()
    if not value:
        return {}
    if "=" not in value:
        size = int(value)
        return {module_id: size for module_id in module_ids}
    sizes: dict[str, int] = {}
    for part in value.split(","):
        name, _, number = part.partition("=")
        name = name.strip()
        if name not in module_ids:
            raise ValueError(f"--class-size: no module {name!r} (modules: {', '.join(module_ids)})")
        sizes[name] = int(number)
    if any(n < 0 for n in sizes.values()):
        raise ValueError("--class-size: sizes are 0 or more")
    return sizes


def classroom_config(
    root, class_size: str = "", max_kernels: int = 0, kernel_start: str = "fork"
) -> dict:
    """Configuration sections for the learner server's kernels (merged into Voila's)."""
    from pathlib import Path

    from chwkit.learn import spec as modules_mod

    specs = modules_mod.discover(Path(root) / "notebooks" / "modules")
    by_id = {spec.id: spec.notebook.relative_to(root).as_posix() for spec in specs}
    parts = [part.strip() for part in (class_size or "").split(",")]
    from_plan = "plan" in parts
    sizes = parse_class_size(",".join(p for p in parts if p and p != "plan"), list(by_id))
    return {
        "VoilaConfiguration": {
            "multi_kernel_manager_class": "chwkit.serve.pool.ClassroomKernelManager"
        },
        "ClassroomKernelManager": {
            "class_sizes": {by_id[name]: size for name, size in sizes.items()},
            "max_kernels": int(max_kernels or 0),
            "plans_dir": str(Path(root) / "notebooks" / "plans") if from_plan else "",
            "plan_notebooks": by_id if from_plan else {},
        },
        "KernelProvisionerFactory": {"default_provisioner_name": "chwkit-fork"},
        "ForkingProvisioner": {"fork": kernel_start == "fork"},
        # A kernel that never answers is given up on (and its page told) within this time.
        # A cell's outputs are waited for as long: nbclient's 4 s default drops them when the
        # server is busy (a pool filling while a class arrives), and a page without its
        # question widgets would be served as if whole.
        "VoilaExecutor": {"startup_timeout": 30, "iopub_timeout": 30},
    }
