"""Strategies: which task runs on which hosts when. Threads bounded by BoundedSemaphore(forks).

Each host walks the play through its own ``HostIterator`` (block/rescue/always aware). The
linear strategy runs the earliest pending task on every host that has it, waits for all of
them, then moves on; a failed or unreachable host stops getting tasks, the others go on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field

from .events import Event, HostResult, HostStats, TaskEnd, TaskStart
from .executor import Executor, Scope
from .model import Block, Task, TaskItem
from .tags import selected

logger = logging.getLogger(__name__)

Step = tuple[Task, Scope]
Walk = Generator[Step, HostResult, bool]


@dataclass
class RunState:
    """What the scheduler learns while running; read by the caller afterwards."""

    stats: dict[str, HostStats] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    unreachable: set[str] = field(default_factory=set)
    interrupted: bool = False

    def stat(self, host: str) -> HostStats:
        return self.stats.setdefault(host, HostStats())

    def count(self, res: HostResult, rescued: bool) -> None:
        s = self.stat(res.host)
        if res.status == "unreachable":
            s.unreachable += 1
        elif res.status == "skipped":
            s.skipped += 1
        elif res.status == "failed" and not res.ignored:
            if rescued:
                s.rescued += 1
            else:
                s.failed += 1
        else:
            s.ok += 1
            s.ignored += res.ignored
            s.changed += res.status == "changed" or (res.ignored and
                                                      bool(res.result.get("changed")))


class HostIterator:
    """One host's walk through a play; ``send`` the result of each task to get the next."""

    def __init__(self, items: Sequence[TaskItem], scope: Scope,
                 on_rescue: Callable[[HostResult], None],
                 wanted: Callable[[Task, Scope], bool] = lambda t, s: True) -> None:
        self.rescued_last = False
        self._wanted = wanted
        self._on_rescue = on_rescue
        self.lost = False  # unreachable: no rescue, no always
        self._gen = self._items(items, scope)

    def first(self) -> Step | None:
        return self._advance(lambda: next(self._gen))

    def send(self, result: HostResult) -> Step | None:
        return self._advance(lambda: self._gen.send(result))

    def _advance(self, step: Callable[[], Step]) -> Step | None:
        self.rescued_last = False
        try:
            return step()
        except StopIteration:
            return None

    def _items(self, items: Iterable[TaskItem], scope: Scope, rescuable: bool = False) -> Walk:
        """Yield tasks in order; False once the host failed (a rescue may still catch it)."""
        for item in items:
            if isinstance(item, Task):
                if not self._wanted(item, scope):
                    continue
                result = yield (item, scope)
                if result.status == "unreachable":
                    self.lost = True
                    return False
                if result.status == "failed" and not result.ignored:
                    if rescuable:
                        self.rescued_last = True
                        self._on_rescue(result)
                    return False
            elif not (yield from self._block(item, scope.enter(item), rescuable)):
                return False
        return True

    def _block(self, block: Block, scope: Scope, rescuable: bool) -> Walk:
        ok = yield from self._items(block.block, scope, rescuable or bool(block.rescue))
        if self.lost:
            return False
        if not ok and block.rescue:
            ok = yield from self._items(block.rescue, scope, rescuable)
        if self.lost:
            return False
        always_ok = yield from self._items(block.always, scope, rescuable)
        return ok and always_ok


def task_order(items: Iterable[TaskItem], out: dict[int, int] | None = None) -> dict[int, int]:
    """Position of every task in play order (by identity), for the linear strategy."""
    order = {} if out is None else out
    for item in items:
        if isinstance(item, Task):
            order[id(item)] = len(order)
        else:
            task_order(item.block, order)
            task_order(item.rescue, order)
            task_order(item.always, order)
    return order


class LinearStrategy:
    """Every host runs the same task in parallel; the next task starts when all are done."""

    def __init__(self, executor: Executor, forks: int, emit: Callable[[Event], None],
                 stop: threading.Event, state: RunState) -> None:
        self.executor = executor
        self.forks = forks
        self.emit = emit
        self.stop = stop
        self.state = state

    def run(self, play_idx: int, items: Sequence[TaskItem], hosts: Sequence[str],
            scope: Scope) -> None:
        order = task_order(items)
        iterators: dict[str, HostIterator] = {}
        pending: dict[str, Step] = {}
        for host in hosts:
            it = HostIterator(items, scope, self._remember_failure, self._wanted)
            iterators[host] = it
            if (step := it.first()) is not None:
                pending[host] = step
        while pending and not self.stop.is_set():
            first = min(order[id(task)] for task, _ in pending.values())
            group = [h for h in hosts if h in pending and order[id(pending[h][0])] == first]
            task, task_scope = pending[group[0]]
            results = self.run_task(play_idx, first, task, task_scope, group)
            for host in group:
                res = results.get(host)
                step = iterators[host].send(res) if res is not None else None
                if res is not None:
                    self._account(res, iterators[host].rescued_last)
                if step is None:
                    pending.pop(host)
                else:
                    pending[host] = step

    def _wanted(self, task: Task, scope: Scope) -> bool:
        opts = self.executor.options
        return selected(scope.tags + task.tags, opts.tags, opts.skip_tags)

    def _remember_failure(self, result: HostResult) -> None:
        self.executor.facts.set_vars(result.host, {
            "ansible_failed_task": {"name": result.task_name, "action": result.action},
            "ansible_failed_result": result.result,
        })

    def _account(self, res: HostResult, rescued: bool) -> None:
        self.state.count(res, rescued)
        if res.status == "unreachable":
            self.state.unreachable.add(res.host)
        elif res.status == "failed" and not res.ignored and not rescued:
            self.state.failed.add(res.host)

    def run_task(self, play_idx: int, task_idx: int, task: Task, scope: Scope,
                 hosts: Sequence[str]) -> dict[str, HostResult]:
        """Run one task on ``hosts`` in parallel, at most ``forks`` at a time."""
        self.emit(TaskStart(play_idx, task_idx, task.display_name, task.action,
                            tuple(hosts), task.loc))
        results: dict[str, HostResult] = {}
        sem = threading.BoundedSemaphore(self.forks)
        lock = threading.Lock()

        def work(host: str) -> None:
            try:
                res = self.executor.execute(task, host, scope, play_idx, task_idx)
                with lock:
                    results[host] = res
                self.emit(res)
            finally:
                sem.release()

        threads: list[threading.Thread] = []
        try:
            for host in hosts:
                sem.acquire()
                if self.stop.is_set():
                    sem.release()
                    break
                thread = threading.Thread(target=work, args=(host,), name=f"pbe-{host}")
                thread.start()
                threads.append(thread)
        finally:
            _join_all(threads, self.stop, self.state)
        self.emit(TaskEnd(play_idx, task_idx))
        return results


def _join_all(threads: list[threading.Thread], stop: threading.Event, state: RunState) -> None:
    """Wait for workers; Ctrl-C here asks everyone to stop at the next task boundary."""
    for thread in threads:
        while thread.is_alive():
            try:
                thread.join(0.2)
            except KeyboardInterrupt:
                state.interrupted = True
                stop.set()
