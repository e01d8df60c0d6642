"""The worker pool behind every task's fan-out: no lost job, no starvation, threads reused."""

from __future__ import annotations

import threading
import time

from playbook_engine.engine.state import RunState
from playbook_engine.engine.workers import Workers, _Pool


def _workers() -> Workers:
    return Workers(threading.Event(), RunState(), lambda: None)


def _until(predicate: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_every_job_runs_once_and_wait_returns_after_the_last() -> None:
    workers, seen, lock = _workers(), [], threading.Lock()

    def job(n: int) -> None:
        time.sleep(0.001 * (n % 3))
        with lock:
            seen.append(n)

    for n in range(200):
        workers.start(job, n)
    workers.wait()
    assert sorted(seen) == list(range(200))


def test_a_job_may_fan_out_and_wait_itself() -> None:
    """Nested use (a job waiting on jobs of its own) grows the pool instead of starving."""
    outer, done = _workers(), []

    def parent(n: int) -> None:
        inner = _workers()
        for m in range(5):
            inner.start(done.append, (n, m))
        inner.wait()

    for n in range(20):
        outer.start(parent, n)
    outer.wait()
    assert sorted(done) == [(n, m) for n in range(20) for m in range(5)]


def test_idle_threads_take_the_next_job_and_end_after_a_while() -> None:
    pool = _Pool()
    pool.IDLE_SECONDS = 0.3
    first: list[int] = []
    gate = threading.Barrier(4)

    def job(into: list[int]) -> None:
        into.append(threading.get_ident())
        gate.wait(timeout=10)

    for _ in range(4):
        pool.submit(lambda: job(first), "first")
    assert _until(lambda: len(pool._idle) == 4)
    second: list[int] = []
    gate.reset()
    for _ in range(4):
        pool.submit(lambda: job(second), "second")
    assert _until(lambda: len(pool._idle) == 4)
    assert sorted(second) == sorted(first)  # the same four threads, no new ones
    assert _until(lambda: not pool._idle)  # idle past IDLE_SECONDS: every thread ended
    assert not [t for t in threading.enumerate() if t.ident in first]


def test_run_results_list_a_tasks_hosts_in_inventory_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """h1 finishes last, yet comes first, as in the JSON document."""
    from playbook_engine.api import run

    hosts = {f"h{n}": {"ansible_connection": "local"} for n in range(1, 6)}
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - shell: sleep {{ '0.5' if inventory_hostname == 'h1' else '0' }}\n"
        "    - debug: msg=x\n"
    )
    result = run(book, {"all": {"hosts": hosts}})
    assert [(r.task_name, r.host) for r in result.results] == [
        (task, f"h{n}") for task in ("shell", "debug") for n in range(1, 6)
    ]
