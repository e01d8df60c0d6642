"""A task with ``async:``: its module started as a job, then returned at once (``poll: 0``)
or checked every ``poll`` seconds until it ends or outlives ``async`` seconds.

How jobs run (detached on the host, or on a controller thread) is in
``modules/util/asyncjob.py``; this is the task's side, as Ansible's executor does it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import CommandTimeout, ModuleError, PbeError
from ..modules.base import Detached, Module, ModuleContext
from ..modules.result import Result
from ..modules.util.asyncjob import TIMEOUT_MSG, ControllerJob, JobTable, RemoteJob, launch
from ..templating.values import is_template
from ..transport.base import STOPPED

logger = logging.getLogger(__name__)

DEFAULT_POLL = 15  # seconds, Ansible's DEFAULT_POLL_INTERVAL
# With poll > 0 the controller ends the job at its limit; the host's own watchdog waits
# this much longer, so it only acts when the controller is gone.
WATCHDOG_GRACE = 30
# ... and a controller job's commands end this much after it, so the task fails with the
# controller's message, never with the job's own "Timeout exceeded" racing it.
COMMANDS_GRACE = 2

Job = RemoteJob | ControllerJob
# Wraps a module run, on the worker thread that starts the job, for a pool thread.
ForThread = Callable[[Callable[[], Result], str], Callable[[], Result]]


class JobHost(ModuleContext, Protocol):
    """The executor's module context, which can bound a controller job's commands."""

    def bounded(self, deadline: float) -> ModuleContext:
        """This context with every command ending by ``deadline`` (time.monotonic())."""
        ...


@dataclass(frozen=True, slots=True)
class AsyncSpec:
    limit: int  # seconds the job may run
    poll: int  # seconds between checks; 0: fire and forget


def async_spec(async_val: Any, poll: Any, render: Callable[[Any], Any]) -> AsyncSpec | None:
    """The task's ``async``/``poll``, rendered; None for a task that runs synchronously
    (no ``async``, or ``async: 0``). ModuleError when either is not an integer."""
    if async_val is None:
        return None
    limit = _integer(render(async_val), "async", async_val)
    if limit == 0:
        return None
    every = DEFAULT_POLL if poll is None else _integer(render(poll), "poll", poll)
    return AsyncSpec(limit, every)


def _integer(value: Any, name: str, source: Any) -> int:
    """A non-negative integer, from an int or its digits. The message never shows the
    value (it may come from a secret); it names the expression that gave it."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    kind = type(value).__name__ if not isinstance(value, str) else "string"
    origin = f"`{source}` gave a {kind}" if is_template(source) else f"got a {kind}"
    raise ModuleError(f"`{name}` must be a non-negative integer; {origin}")


class AsyncTasks:
    """Runs async tasks for one run; ``jobs`` holds its controller-side jobs.

    ``for_thread(work, module name)`` wraps a module run for a pool thread: the engine's
    bookkeeping of the task it belongs to, and every exception a failed Result.
    """

    def __init__(self, jobs: JobTable, for_thread: ForThread) -> None:
        self.jobs = jobs
        self._for_thread = for_thread

    def run(
        self, module: Module, args: dict[str, Any], ctx: JobHost, spec: AsyncSpec
    ) -> dict[str, Any]:
        """The task's result: the launch (``poll: 0``), or the job's own result."""
        job = self._start(module, args, ctx, spec)
        if spec.poll == 0:
            return job.launched()
        return self._wait(job, ctx, spec)

    def _start(self, module: Module, args: dict[str, Any], ctx: JobHost, spec: AsyncSpec) -> Job:
        if ctx.check:  # at once, in order: later tasks plan against its prediction
            return self.jobs.finished(ctx.host, module.run(args, ctx))
        detached = module.detach(args, ctx)
        if isinstance(detached, Result):  # decided without running (creates exists)
            return self.jobs.finished(ctx.host, detached)
        if isinstance(detached, Detached):
            grace = WATCHDOG_GRACE if spec.poll else 0
            return launch(ctx, detached, spec.limit + grace)
        grace = COMMANDS_GRACE if spec.poll else 0
        bounded = ctx.bounded(time.monotonic() + spec.limit + grace)  # its commands end then

        def work() -> Result:
            return module.run(args, bounded)

        return self.jobs.start(ctx.host, self._for_thread(work, module.name), spec.limit)

    def _wait(self, job: Job, ctx: ModuleContext, spec: AsyncSpec) -> dict[str, Any]:
        """Check every ``poll`` seconds; end the job when it outlives ``async``."""
        deadline = time.monotonic() + spec.limit
        while True:
            if isinstance(job, ControllerJob) and job.done:  # check mode, creates exists
                return self._status(job, ctx)
            if ctx.sleep(min(spec.poll, max(deadline - time.monotonic(), 0.0))):
                return self._end(job, ctx, STOPPED, {})
            status = self._status(job, ctx)
            if status.get("finished") or status.get("failed") or status.get("skipped"):
                return status
            if time.monotonic() >= deadline:
                msg = f"async task did not complete within the requested time - {spec.limit}s"
                return self._end(job, ctx, msg, status)

    def _status(self, job: Job, ctx: ModuleContext) -> dict[str, Any]:
        if isinstance(job, RemoteJob):
            return job.status(ctx, cleanup=True)  # a finished job's files go, as in Ansible
        status = job.status()
        if status["finished"]:
            self.jobs.forget(ctx.host, job.jid)
        return status

    def _end(
        self, job: Job, ctx: ModuleContext, msg: str, status: dict[str, Any]
    ) -> dict[str, Any]:
        """End an unfinished job (its whole process group, on the host) and fail."""
        out: dict[str, Any] = {"failed": True, "changed": False, "msg": msg}
        out.update(ansible_job_id=job.jid, async_result=status)
        if isinstance(job, RemoteJob):
            out["child_pid"] = job.kill(ctx)
        return out


def guarded(work: Callable[[], Result], name: str) -> Result:
    """A controller job's module run: every exception becomes a failed result (nothing
    would catch it on the pool thread); a command ended at the job's limit is Ansible's
    ``Timeout exceeded``."""
    try:
        return work()
    except CommandTimeout:
        return Result.fail(TIMEOUT_MSG)
    except PbeError as exc:  # HostUnreachable too: a failed job
        return Result.fail(exc.message)
    except Exception as exc:  # a bug in pbe: keep it visible, in the job's result
        logger.exception("internal error in the async job of %s", name)
        return Result.fail(f"internal error in module {name}: {type(exc).__name__}: {exc}")
