"""The free strategy: each host walks the play on its own thread, as fast as it can."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..events import HostResult
from ..language.model import Task, TaskItem
from .executor import Scope, internal_error
from .iterator import HostIterator, Step
from .linear import Dispatched, LinearStrategy
from .workers import Workers

logger = logging.getLogger(__name__)


class _Once:
    """A run_once task under the free strategy: the first host to reach it runs it, the
    others wait here (holding no lock) for its result."""

    def __init__(self) -> None:
        self.result: HostResult | None = None
        self._done = threading.Event()

    def settle(self, result: HostResult | None) -> None:
        self.result = result
        self._done.set()

    def wait(self) -> HostResult | None:
        self._done.wait()
        return self.result


class FreeStrategy(LinearStrategy):
    """Each host runs ahead through the play on its own; ``forks`` still bounds how many
    hosts work at once. A task's start, result and end are reported together when it ends,
    so outputs never interleave two hosts' tasks. ``meta: flush_handlers`` runs the
    handlers the host that reaches it notified, on that host (as in Ansible)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = threading.BoundedSemaphore(self.forks)
        self._batch: list[str] = []
        self._once: dict[int, _Once] = {}  # run_once, per task uid
        self._throttles: dict[int, threading.BoundedSemaphore] = {}

    def _run_once(self, task: Task, scope: Scope, group: list[str]) -> Dispatched:
        """The first host to get here runs it; the others take (and register) its result."""
        host = group[0]
        with self._lock:
            once = self._once.get(task.uid)
            if mine := once is None:
                once = self._once[task.uid] = _Once()
        if mine:
            first = None
            try:
                first = self.run_task(task, scope, [host])[host]
            finally:
                once.settle(first)
            return {host: first}, frozenset()
        first = once.wait()
        if first is None:
            return {}, frozenset()
        if task.register:
            self.executor.facts.set_vars(host, {task.register: first.result})
        return {host: replace(first, host=host)}, frozenset({host})

    def _throttle(self, task: Task) -> threading.BoundedSemaphore | None:
        limit = int(task.throttle) if str(task.throttle or "").isdigit() else 0
        if not limit:
            return None
        with self._lock:
            return self._throttles.setdefault(task.uid, threading.BoundedSemaphore(limit))

    def _walk(
        self, items: Sequence[TaskItem], hosts: Sequence[str], handler_scope: Scope | None = None
    ) -> None:
        if handler_scope is not None:  # a handler's include: in step, as in Ansible
            super()._walk(items, hosts, handler_scope)
            return
        self._batch = list(hosts)
        workers = Workers(self.stop, self.state, self.executor.connections.close_all)
        try:
            for host in hosts:
                workers.start(self._drive, items, host)
            workers.wait()
        finally:
            self._end_fatal(hosts)

    def _drive(self, items: Sequence[TaskItem], host: str) -> None:
        """One host's walk, on its own thread. An exception here (a bug) fails the host
        with an internal error instead of silently ending its walk."""
        step: Step | None = None
        try:
            it = self._iterator(items, host)
            step = it.first()
            while step is not None and not self._stopping():
                step = self._step(it, step, host)
        except Exception as exc:
            logger.exception("internal error in the free strategy on %s", host)
            self._lost(step, host, exc)

    def _step(self, it: HostIterator, step: Step, host: str) -> Step | None:
        task, scope, _ = step
        with self._lock:  # ended, or failed in a handler its flush ran
            if host in self.ended or host in self.handler_failed:
                return None
            fatal = self._fatal is not None and host not in self._failed_everyone
            if fatal:
                self._failed_everyone.add(host)
        if fatal:  # any_errors_fatal failed another host: this one fails here, uncounted
            return self._settle(task, it, self._fatal_nudge(task, host), counted=False)
        results, uncounted = self._dispatch(task, scope, [host])
        res = results.get(host)
        if res is None:
            return None
        following = self._settle(task, it, res, host not in uncounted)
        with self._lock:  # any_errors_fatal: the play stops once the hosts have run the
            # rescue/always sections they are in (``_end_fatal``), as under linear
            if self._check_fatal(task, scope, {host: res}, self._batch, defer=True):
                self._failed_everyone.add(host)
        return following

    def _lost(self, step: Step | None, host: str, exc: Exception) -> None:
        task, scope = (
            (step[0], step[1])
            if step
            else (Task(action="meta", args={}, loc=self.play.loc, name="(scheduler)"), self.scope)
        )
        res = internal_error(task, scope, host, (self.play_idx, -1), exc, time.monotonic())
        self._report(task, [res])
        with self._lock:
            self._account(task, res, rescued=False)

    def run_task(
        self, task: Task, scope: Scope, hosts: Sequence[str], is_handler: bool = False
    ) -> dict[str, HostResult]:
        if len(hosts) != 1:
            return super().run_task(task, scope, hosts, is_handler)
        is_handler = is_handler or getattr(self._in_handler, "on", False)
        host = hosts[0]
        seq = self._next_seq()
        throttle = self._throttle(task)
        with throttle or contextlib.nullcontext(), self._gate:  # no fork slot held waiting
            res = self._execute(task, host, scope, seq)
        self._report(task, [res], is_handler, seq)
        return {host: res}
