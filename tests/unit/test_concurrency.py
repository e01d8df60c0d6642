"""Threads: FactStore under contention, and the fork bound of the linear strategy."""

from __future__ import annotations

import threading
import time
from typing import Any

from playbook_engine.engine.executor import Scope
from playbook_engine.engine.facts import FactStore
from playbook_engine.engine.linear import LinearStrategy
from playbook_engine.engine.state import RunState
from playbook_engine.events import Event, HostResult, TaskEnd, TaskStart
from playbook_engine.language.model import Play, Task
from playbook_engine.source import SourceLocation
from playbook_engine.templating.values import TrustedStr


def test_factstore_under_many_threads() -> None:
    store = FactStore()
    hosts = [f"h{i}" for i in range(8)]

    def hammer(host: str) -> None:
        for i in range(500):
            store.set_vars(host, {f"k{i % 10}": TrustedStr(f"{host}-{i}")})
            snapshot = store.host_vars(host)
            assert all(v.startswith(host) for v in snapshot.values())

    threads = [threading.Thread(target=hammer, args=(h,)) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for host in hosts:
        values = store.host_vars(host)
        assert values["k9"] == f"{host}-499"
        assert not isinstance(values["k9"], TrustedStr)  # stored values are data, not templates


class _SlowExecutor:
    """Stands in for Executor: records how many hosts run at once."""

    def __init__(self, fail: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.calls: list[tuple[str, str]] = []
        self.fail = fail
        self.facts = FactStore()
        from playbook_engine.options import RunOptions

        self.options = RunOptions()
        self.connections = type("C", (), {"close_all": staticmethod(lambda: None)})()

    def take_expansion(self, host: str, task: Task) -> list[Any]:
        return []

    def name_of(self, task: Task, scope: object = None, host: object = None) -> str:
        return task.display_name

    def execute(
        self, task: Task, host: str, scope: Scope, play_idx: int, task_idx: int
    ) -> HostResult:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.calls.append((task.display_name, host))
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        status = "failed" if host in self.fail else "ok"
        return HostResult(
            play_idx, task_idx, task.display_name, task.action, host, status, {}, 0.02
        )


def _strategy(
    executor: Any, forks: int, tasks: tuple[Task, ...]
) -> tuple[LinearStrategy, list[Event]]:
    events: list[Event] = []
    play = Play(hosts="all", loc=SourceLocation("p.yml", 1, 1), tasks=tasks)
    strategy = LinearStrategy(
        executor, forks, events.append, threading.Event(), RunState(), play, 0, Scope()
    )
    return strategy, events


def _task(name: str) -> Task:
    return Task(action="ping", args={}, loc=SourceLocation("p.yml", 2, 1), name=name)


def test_forks_bound_concurrency_and_tasks_run_in_lockstep() -> None:
    executor = _SlowExecutor()
    tasks = (_task("one"), _task("two"))
    strategy, events = _strategy(executor, 3, tasks)
    hosts = [f"h{i}" for i in range(10)]
    strategy.run(tasks, hosts)
    assert 2 <= executor.peak <= 3  # never above forks (overlap itself depends on timing)
    names = [name for name, _ in executor.calls]
    assert names == ["one"] * 10 + ["two"] * 10  # no host starts task two early
    starts = [e for e in events if isinstance(e, TaskStart)]
    assert [s.name for s in starts] == ["one", "two"]
    assert sum(isinstance(e, TaskEnd) for e in events) == 2


def test_failed_host_gets_no_more_tasks() -> None:
    executor = _SlowExecutor(fail={"h1"})
    tasks = (_task("one"), _task("two"))
    strategy, _ = _strategy(executor, 5, tasks)
    strategy.run(tasks, ["h0", "h1", "h2"])
    assert ("two", "h1") not in executor.calls
    assert ("two", "h0") in executor.calls and ("two", "h2") in executor.calls
    assert strategy.state.failed == {"h1"}
    assert strategy.state.stats["h1"].failed == 1
