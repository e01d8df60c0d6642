"""The scheduler's shared state under threads (issue 8, items 6 and 7), over the local
connection: run-time includes from many workers, stable task ids, the free strategy's
handlers and locks, delegates, the reporter on a crash, and worker exceptions."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playtree import write

import playbook_engine as pbe
from playbook_engine.engine.facts import FactStore
from playbook_engine.engine.run import Runner, load_inventory
from playbook_engine.events import Event, HostResult, TaskEnd, TaskStart
from playbook_engine.language.model import Task
from playbook_engine.language.playbook import load_playbook
from playbook_engine.reporting.json import JsonSink
from playbook_engine.source import SourceLocation
from playbook_engine.transport import ConnectionCache

LOCAL = {"ansible_connection": "local"}


def inventory(count: int, prefix: str = "h", **extra: Any) -> dict[str, Any]:
    hosts: dict[str, Any] = {f"{prefix}{i}": None for i in range(count)}
    hosts.update(extra)
    return {"all": {"hosts": hosts, "vars": LOCAL}}


def per_host(result: pbe.RunResult) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for res in result.results:
        out.setdefault(res.host, []).append((res.task_name, res.status))
    return out


# -- (a) run-time includes: one loader state per call ----------------------------------------


def test_many_workers_include_one_templated_file_at_once(tmp_path: Path) -> None:
    """Eight hosts, forks=8, include the same templated file at once: each loads it (the
    shared loader state used to report "recursive include" or drop the problems)."""
    inner = "".join(
        f'- name: inner {i}\n  debug: msg="{i} {{{{ inventory_hostname }}}}"\n'
        f"  when: inventory_hostname != 'nobody'\n"
        for i in range(150)
    )
    book = write(
        tmp_path,
        {
            "tasks/big.yml": inner,
            "site.yml": """
- hosts: all
  gather_facts: false
  vars: {which: big}
  tasks:
    - name: include
      include_tasks: "tasks/{{ which }}.yml"
    - name: after
      debug: msg=after
""",
        },
    )
    for _ in range(3):
        result = pbe.run(book, inventory(8), forks=8)
        problems = [r.message for r in result.results if r.status == "failed"]
        assert problems == [] and result.exit_code == 0
        for host, tasks in per_host(result).items():
            assert tasks == [("include", "ok")] + [(f"inner {i}", "ok") for i in range(150)] + [
                ("after", "ok")
            ], host
        assert all(s["ok"] == 152 for s in result.stats.values())


def test_included_file_problems_are_shown_not_counted(tmp_path: Path) -> None:
    book = write(
        tmp_path,
        {
            "tasks/bad.yml": "- name: typo\n  debgu: msg=x\n",
            "site.yml": """
- hosts: all
  gather_facts: false
  vars: {which: bad}
  tasks:
    - name: include
      include_tasks: "tasks/{{ which }}.yml"
""",
        },
    )
    result = pbe.run(book, inventory(4), forks=4)
    assert result.exit_code == 2 and result.failed_hosts == ["h0", "h1", "h2", "h3"]
    messages = {r.message for r in result.results if r.task_name == "include"}
    assert len(messages) == 1  # every host, the same full report (the cache keeps problems)
    message = messages.pop()
    assert "unknown module `debgu`" in message and "did you mean `debug`" in message
    assert f"{tmp_path / 'tasks' / 'bad.yml'}:2:3" in message
    assert "error(s) found" not in message


# -- (b) stable ids -------------------------------------------------------------------------


def test_tasks_have_stable_unique_ids() -> None:
    loc = SourceLocation("p.yml", 1, 1)
    one, two = Task("ping", {}, loc), Task("ping", {}, loc)
    assert one == two and one.uid != two.uid  # equal content, two tasks
    assert replace(one, name="renamed").uid == one.uid  # the loader's replace keeps it


def test_a_failure_after_end_host_is_never_lost(tmp_path: Path) -> None:
    """end_host left the id() of its result in a set; a later result reusing that id was
    not counted (exit 0, failed_hosts empty): about one run in four here."""
    book = write(
        tmp_path,
        {
            "site.yml": """
- hosts: all
  gather_facts: false
  tasks:
    - name: end half
      meta: end_host
      when: inventory_hostname is match('e')
    - name: pad
      debug: msg=x
    - name: fail the rest
      fail: msg=boom
"""
        },
    )
    inv = {"all": {"hosts": {f"{p}{i}": None for p in "ef" for i in range(8)}, "vars": LOCAL}}
    for _ in range(30):
        result = pbe.run(book, inv)
        assert result.exit_code == 2
        assert result.failed_hosts == [f"f{i}" for i in range(8)]
        assert {h: s["failed"] for h, s in result.stats.items() if s["failed"]} == {
            f"f{i}": 1 for i in range(8)
        }
        assert not [r for r in result.results if r.host.startswith("e")]  # ended: ran nothing


# -- (c)(d) the free strategy ----------------------------------------------------------------


FREE_FLUSH = """
- hosts: all
  gather_facts: false
  strategy: free
  tasks:
    - name: change
      command: "true"
      notify: handler
    - name: pad
      command: "sleep 0.{{ inventory_hostname[1:] }}"
    - name: flush
      meta: flush_handlers
    - name: after
      debug: msg=after
  handlers:
    - name: handler
      debug: msg=handled
"""


def test_free_flush_handlers_runs_the_handler_on_every_notifying_host(tmp_path: Path) -> None:
    """Each host runs the handler it notified at its own flush point; the first host to
    flush used to take every host's notification and run it only on itself."""
    result = pbe.run(write(tmp_path, {"site.yml": FREE_FLUSH}), inventory(6), forks=6)
    assert result.exit_code == 0
    for host, tasks in per_host(result).items():
        assert tasks == [
            ("change", "changed"),
            ("pad", "changed"),
            ("handler", "ok"),
            ("after", "ok"),
        ], host
    assert all(s == {**s, "ok": 4, "changed": 2} for s in result.stats.values())


def assert_tasks_reported_in_one_piece(events: list[Event]) -> None:
    """Every TaskStart is followed by its own results and TaskEnd, nothing else between."""
    stream = [e for e in events if isinstance(e, (TaskStart, HostResult, TaskEnd))]
    seen: set[int] = set()
    i = 0
    while i < len(stream):
        start = stream[i]
        assert isinstance(start, TaskStart), f"event outside a task: {start}"
        assert start.index not in seen, f"task number {start.index} used twice"
        seen.add(start.index)
        results = stream[i + 1 : i + 1 + len(start.hosts)]
        assert [(r.task, r.host) for r in results if isinstance(r, HostResult)] == [
            (start.index, h) for h in start.hosts
        ], start
        end = stream[i + 1 + len(start.hosts)]
        assert isinstance(end, TaskEnd) and end.index == start.index, (start, end)
        i += len(start.hosts) + 2


def test_free_strategy_handlers_and_meta_report_in_one_piece(tmp_path: Path) -> None:
    """The free strategy's handler path used to number and emit without its lock, so
    another host's task landed inside a handler's start..end (or took its number)."""
    book = write(
        tmp_path,
        {
            "site.yml": FREE_FLUSH.replace(
                "    - name: after\n",
                "    - name: fails its when\n      meta: noop\n"
                "      when: undefined_thing\n      ignore_errors: true\n    - name: after\n",
            )
        },
    )
    for _ in range(5):
        events: list[Event] = []
        result = pbe.run(book, inventory(8), forks=8, on_event=events.append)
        assert_tasks_reported_in_one_piece(events)
        assert sum(r.task_name == "handler" for r in result.results) == 8


def test_free_run_once_holds_no_lock_while_it_runs(tmp_path: Path) -> None:
    """h0 runs the run_once task, which waits for a file h1 writes two tasks later; h1
    must get on meanwhile (the state lock was held for the whole run_once task)."""
    flag = tmp_path / "flag"
    book = write(
        tmp_path,
        {
            "site.yml": f"""
- hosts: all
  gather_facts: false
  strategy: free
  tasks:
    - name: h1 is slow
      command: sleep 0.5
      when: inventory_hostname == 'h1'
    - name: h1 writes the flag
      command: touch {flag}
      when: inventory_hostname == 'h1'
    - name: once, waits for the flag
      shell: for i in $(seq 100); do test -e {flag} && exit 0; sleep 0.1; done; exit 1
      run_once: true
      register: once
    - name: everyone has the result
      assert: {{that: [once.rc == 0]}}
"""
        },
    )
    result = pbe.run(book, inventory(2), forks=2)
    assert result.exit_code == 0, [r.message for r in result.results if r.status == "failed"]
    ran = [(r.host, r.status) for r in result.results if r.task_name == "once, waits for the flag"]
    assert ran == [("h0", "changed")]  # shown once; h1 took (and registered) the result
    assert {h: (s["ok"], s["changed"]) for h, s in result.stats.items()} == {
        "h0": (2, 1),
        "h1": (3, 2),
    }  # the run_once result counts on the host that ran it


# -- (f) an unreachable delegate -------------------------------------------------------------


def test_unreachable_delegate_keeps_the_delegating_hosts_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped: list[str] = []
    real_drop = ConnectionCache.drop

    def drop(self: ConnectionCache, host: str) -> None:
        dropped.append(host)
        real_drop(self, host)

    monkeypatch.setattr(ConnectionCache, "drop", drop)
    book = write(
        tmp_path,
        {
            "site.yml": """
- hosts: h0,h1
  gather_facts: false
  tasks:
    - name: on the delegate
      command: "true"
      delegate_to: nowhere
    - name: after
      command: "true"
"""
        },
    )
    nowhere = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1}
    result = pbe.run(book, inventory(2, nowhere=nowhere), forks=2)
    assert result.exit_code == 3 and result.unreachable_hosts == ["h0", "h1"]
    delegated = {r.host: r for r in result.results if r.task_name == "on the delegate"}
    assert {h: r.status for h, r in delegated.items()} == {"h0": "unreachable", "h1": "unreachable"}
    assert "connection refused" in delegated["h0"].message
    assert all(result.stats[h]["unreachable"] == 1 for h in ("h0", "h1"))
    assert dropped and set(dropped) == {"nowhere"}  # never h0's or h1's own connection


# -- (g) the reporter is closed whatever happens ---------------------------------------------


class _Crash(BaseException):
    """Not an Exception: nothing in the run catches it."""


@pytest.mark.parametrize("where", ["_run_play", "_exit_code"])
def test_a_crash_in_run_still_flushes_events_and_writes_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    book = write(
        tmp_path,
        {
            "site.yml": """
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      debug: msg=one
- hosts: all
  gather_facts: false
  tasks:
    - name: second
      debug: msg=two
"""
        },
    )
    real = getattr(Runner, where)
    calls: list[int] = []

    def crash(self: Runner, *args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2 or where == "_exit_code":
            raise _Crash("boom")
        return real(self, *args)

    monkeypatch.setattr(Runner, where, crash)
    out = io.StringIO()
    runner = Runner(
        load_playbook(book), load_inventory(inventory(2)), pbe.RunOptions(), [JsonSink(out)]
    )
    try:
        with pytest.raises(_Crash):
            runner.run()
        assert not runner.reporter._thread.is_alive()
        doc = json.loads(out.getvalue())  # written at close
        first = doc["plays"][0]["tasks"][0]
        assert first["name"] == "first" and sorted(first["hosts"]) == ["h0", "h1"]
    finally:
        runner.reporter.close()  # before the fix: release the reporter thread


# -- item 7: an exception in a worker is a failed result -------------------------------------


@pytest.mark.parametrize("strategy", ["linear", "free"])
@pytest.mark.parametrize("error", [MemoryError, RecursionError, KeyError])
def test_exception_while_registering_fails_that_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str, error: type[Exception]
) -> None:
    """facts.set_vars ran outside the executor's try: its exception killed the worker,
    the host's result was lost and the run exited 0 with an empty recap."""
    real = FactStore.set_vars

    def set_vars(self: FactStore, host: str, values: Any, template: bool = False) -> None:
        if host == "h1" and "out" in values:
            raise error("injected")
        real(self, host, values, template)

    monkeypatch.setattr(FactStore, "set_vars", set_vars)
    book = write(
        tmp_path,
        {
            "site.yml": f"""
- hosts: all
  gather_facts: false
  strategy: {strategy}
  tasks:
    - name: register
      command: echo hi
      register: out
    - name: after
      debug: msg=after
"""
        },
    )
    result = pbe.run(book, inventory(3), forks=3)
    assert result.exit_code == 2
    assert result.failed_hosts == ["h1"]
    failed = [r for r in result.results if r.status == "failed"]
    assert [(r.host, r.task_name) for r in failed] == [("h1", "register")]
    assert failed[0].message == f"internal error running command: {error.__name__}: " + str(
        error("injected")
    )
    assert result.stats["h1"] == {**result.stats["h1"], "ok": 0, "failed": 1}
    assert result.stats["h0"] == {**result.stats["h0"], "ok": 2, "changed": 1, "failed": 0}
    assert [r.host for r in result.results if r.task_name == "after"] in (
        ["h0", "h2"],
        ["h2", "h0"],
    )


def test_exception_in_the_executor_itself_fails_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler's own guard: even an executor that raises loses no result."""
    from playbook_engine.engine.executor import Executor

    real = Executor.execute

    def execute(self: Executor, task: Task, host: str, *args: Any) -> HostResult:
        if host == "h0" and task.name == "boom":
            raise RuntimeError("executor bug")
        return real(self, task, host, *args)

    monkeypatch.setattr(Executor, "execute", execute)
    book = write(
        tmp_path,
        {
            "site.yml": """
- hosts: all
  gather_facts: false
  tasks:
    - name: boom
      debug: msg=x
"""
        },
    )
    result = pbe.run(book, inventory(2))
    assert result.exit_code == 2 and result.failed_hosts == ["h0"]
    assert result.stats["h0"]["failed"] == 1 and result.stats["h1"]["ok"] == 1
    failed = next(r for r in result.results if r.host == "h0")
    assert failed.message == "internal error running debug: RuntimeError: executor bug"


def test_no_worker_thread_outlives_a_run(tmp_path: Path) -> None:
    """No worker thread outlives a run, whatever the strategy."""
    before = threading.active_count()
    for strategy in ("linear", "free"):
        pbe.run(
            write(tmp_path, {"site.yml": FREE_FLUSH.replace("free", strategy)}),
            inventory(4),
            forks=2,
        )
    assert threading.active_count() == before
