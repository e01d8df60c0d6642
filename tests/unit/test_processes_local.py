"""Processes on the local connection: `until` retries timed-out attempts, and SIGTERM stops
the run like Ctrl-C, writes every output and leaves no command behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.cli import Termination
from playbook_engine.exitcodes import ExitCode
from playbook_engine.testing.processes import running, unique_duration, wait_gone
from playbook_engine.transport.base import STOPPED

LOCAL = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}


def _flaky(tmp_path: Path, slow_attempts: int, duration: str) -> Path:
    """A task whose first ``slow_attempts`` attempts outlive its 1 s timeout."""
    book = tmp_path / "until.yml"
    book.write_text(f"""
- hosts: a
  gather_facts: false
  tasks:
    - name: flaky
      shell: >-
        n=$(cat {tmp_path}/count 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {tmp_path}/count;
        if [ $n -le {slow_attempts} ]; then sleep {duration}; fi;
        echo attempt $n
      register: out
      until: out.stdout == 'attempt 2'
      retries: 3
      delay: 0
      timeout: 1
""")
    return book


def test_until_retries_an_attempt_that_timed_out(tmp_path: Path) -> None:
    duration = unique_duration()
    result = pbe.run(_flaky(tmp_path, 1, duration), LOCAL)
    (res,) = result.results
    assert (result.exit_code, res.status) == (0, "changed")
    assert (res.result["attempts"], res.result["stdout"]) == (2, "attempt 2")
    assert (tmp_path / "count").read_text() == "2\n"
    assert wait_gone("sleep", duration) == []


def test_until_gives_up_when_every_attempt_times_out(tmp_path: Path) -> None:
    duration = unique_duration()
    result = pbe.run(_flaky(tmp_path, 99, duration), LOCAL)
    (res,) = result.results
    assert (result.exit_code, res.status) == (2, "failed")
    assert res.result["msg"] == "command timed out after 1s"
    assert res.result["attempts"] == 3  # Ansible's count: `retries`
    assert (tmp_path / "count").read_text() == "4\n"  # retries + 1 attempts ran
    assert wait_gone("sleep", duration) == []


def test_sigterm_stops_the_run_writes_every_output_and_kills_commands(tmp_path: Path) -> None:
    duration = unique_duration()
    book = tmp_path / "slow.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      command: echo done
    - name: slow
      shell: sleep {duration} & sleep {duration}; touch {tmp_path}/slow-finished
    - name: never reached
      command: touch {tmp_path}/never
""")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps(LOCAL))
    doc, junit, log, retry = (
        tmp_path / n for n in ("run.json", "junit.xml", "run.log", "retry.txt")
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with doc.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "playbook_engine",
                "run",
                str(book),
                "-i",
                str(inventory),
                "--format",
                "json",
                "--junit",
                str(junit),
                "--log",
                str(log),
                "--retry-file",
                str(retry),
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 20
        while len(running("sleep", duration)) < 4:  # both hosts' two sleeps
            assert time.monotonic() < deadline and proc.poll() is None, "never got going"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)

    assert proc.returncode == 143, err
    assert "terminated (SIGTERM)" in err and "Traceback" not in err
    assert wait_gone("sleep", duration) == [], "a command of the run was left running"
    assert not (tmp_path / "slow-finished").exists() and not (tmp_path / "never").exists()

    run = json.loads(doc.read_text())
    assert (run["exit_code"], run["interrupted"]) == (143, True)
    tasks = {
        t["name"]: {h: r["status"] for h, r in t["hosts"].items()} for t in run["plays"][0]["tasks"]
    }
    assert tasks == {
        "first": {"a": "changed", "b": "changed"},
        "slow": {"a": "failed", "b": "failed"},
    }
    slow = run["plays"][0]["tasks"][1]["hosts"]["a"]["result"]
    assert slow["msg"] == STOPPED

    cases = {(c.get("classname"), c.get("name")): c for c in ET.parse(junit).iter("testcase")}
    assert len(cases) == 4
    assert sum(c.find("failure") is not None for c in cases.values()) == 2
    assert "PLAY RECAP" in log.read_text() and "interrupted" in log.read_text()
    assert retry.read_text().split() == ["a", "b"]


class _Connections:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.done = threading.Event()

    def interrupt_all(self) -> None:
        self.calls.append("interrupt_all")
        self.done.set()

    def close_all(self) -> None:
        self.calls.append("close_all")
        self.done.set()


class _Runner:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.connections = _Connections()
        self.interrupted_code = ExitCode.INTERRUPTED


def _signal(term: Termination, runner: _Runner) -> list[str]:
    runner.connections.done.clear()
    term.handle(signal.SIGTERM, None)
    assert runner.connections.done.wait(5)
    return runner.connections.calls


def test_sigterm_handler_stops_then_cuts_and_never_interrupts_writing() -> None:
    term, runner = Termination(), _Runner()
    with pytest.raises(KeyboardInterrupt):  # still loading: nothing to write yet
        term.handle(signal.SIGTERM, None)
    with term.watching(runner):  # type: ignore[arg-type]  # what the handler uses of it
        assert _signal(term, runner) == ["interrupt_all"]  # and no exception into the run
        assert runner.stop.is_set() and runner.interrupted_code == ExitCode.TERMINATED
        assert _signal(term, runner) == ["interrupt_all", "close_all"]
    term.handle(signal.SIGTERM, None)  # the outputs are being written: only counted
    assert term.received == 4
