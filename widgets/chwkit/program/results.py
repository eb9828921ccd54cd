"""Results at once: a learner's submission graded by nbgrader as soon as it is made.

The server keeps one :class:`InstantGrader`. A kernel that has written a submission asks
for it to be graded (``POST chwkit/api/grade``) and waits for the answer; the grader
gathers the submissions that arrive meanwhile and grades them with ``chwkit grade``'s own
code, limited to those learners (``chwkit.assess.grading.grade(students=...)``): the same
checks, nbgrader's autograde in worker processes, the same merge into the gradebook and
the same feedback file, under the same course lock. A bulk ``chwkit grade`` running at that
moment is waited for, never run beside. So the scores are nbgrader's, and the trainer's
bulk run afterwards finds those submissions up to date.

The worker processes are started once (``spawn``: never ``fork`` from a server that has
threads) and have nbgrader imported before the first learner submits.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from chwkit.core.log import kernel_log

LOCK_WAIT_S = 15 * 60  # a bulk `chwkit grade` of a large class
log = kernel_log(__name__)


def _warm() -> int:
    """Run in each worker at start: import what grading needs, so the first learner waits
    for grading only."""
    import nbgrader.api  # noqa: F401
    import nbgrader.apps  # noqa: F401

    import chwkit.assess.grading  # noqa: F401

    return os.getpid()


def grade_now(assignment: str, students: list[str], pool=None, on_graded=None) -> dict[str, bool]:
    """Grade ``students``' current submissions of ``assignment``; who was graded (or was
    already up to date). ``on_graded(student)`` is called as each one's feedback is written."""
    from chwkit.assess.grading import grade

    report = grade(
        assignment,
        progress=False,
        students=set(students),
        wait_s=LOCK_WAIT_S,
        pool=pool,
        workers=1 if pool is None else None,
        on_graded=on_graded,
    )
    for problem in report.problems:
        log.warning("instant grading of %s: %s", assignment, problem)
    done = set(report.graded) | set(report.up_to_date)
    return {student: student in done for student in students}


def _settle(future: asyncio.Future, value: bool) -> None:
    if not future.done():
        future.set_result(value)


@dataclass
class _Batch:
    students: dict[str, list[asyncio.Future]] = field(default_factory=lambda: defaultdict(list))


class InstantGrader:
    """Grades submissions as they come, a batch per assessment at a time, off the event loop."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or min(2, os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._pending: dict[str, _Batch] = {}
        self._running: set[str] = set()
        self._warmed = False

    def pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            return self._pool

    def warm(self) -> None:
        """Start the workers and import nbgrader in them (in the background), once: called
        when an assessment page is opened, so they are ready when its learner submits."""
        if self._warmed:
            return
        self._warmed = True
        pool = self.pool()
        for _ in range(self.workers):
            pool.submit(_warm)

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    async def grade(self, assignment: str, student: str) -> bool:
        """Grade ``student``'s current submission of ``assignment``; whether it was graded."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        batch = self._pending.setdefault(assignment, _Batch())
        batch.students[student].append(future)
        if assignment not in self._running:
            self._running.add(assignment)
            loop.create_task(self._drain(assignment))
        return await future

    async def _drain(self, assignment: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending.get(assignment) and self._pending[assignment].students:
                batch = self._pending.pop(assignment)
                students = sorted(batch.students)

                def answer(student: str, batch=batch) -> None:  # from the grading thread
                    for future in batch.students.get(student, ()):
                        loop.call_soon_threadsafe(_settle, future, True)

                try:
                    done = await loop.run_in_executor(
                        None, grade_now, assignment, students, self.pool(), answer
                    )
                except Exception:
                    log.exception("instant grading of %s failed", assignment)
                    done = {}
                for student, futures in batch.students.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(bool(done.get(student)))
        finally:
            self._running.discard(assignment)
