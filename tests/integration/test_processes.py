"""Processes over SSH: timeouts and interrupts end whole process groups on the host, SIGTERM
stops a fleet run leaving no remote process and every output written, and large outputs
and become fetches stay within a memory bound. Fleet hosts share this machine, so what
runs on them is visible in /proc here."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from playbook_engine.errors import CommandTimeout, HostUnreachable, ModuleError
from playbook_engine.testing.fleet import Fleet
from playbook_engine.testing.processes import peak_rss, running, unique_duration, wait_gone
from playbook_engine.transport import Connection, connect, shell
from playbook_engine.transport.base import STOPPED
from playbook_engine.transport.ssh import SSHConnection

pytestmark = pytest.mark.fleet


@pytest.fixture
def conn(fleet: Fleet) -> Iterator[SSHConnection]:
    with SSHConnection.open(fleet.spec("h02")) as connection:
        yield connection


def fleet_args(fleet: Fleet, inventory: Path) -> list[str]:
    return [
        "-i",
        str(inventory),
        "--known-hosts",
        str(fleet.known_hosts),
        "--ssh-config",
        os.devnull,
    ]


def _wait_running(
    duration: str, count: int, proc: subprocess.Popen[str] | None = None, within: float = 20
) -> None:
    deadline = time.monotonic() + within
    while len(running("sleep", duration)) < count:
        assert time.monotonic() < deadline, "the commands never started"
        assert proc is None or proc.poll() is None, "pbe ended before the commands started"
        time.sleep(0.05)


def _as(user: str | None, command: str) -> str:
    return command if user is None else shell.become(command, user=user)


@pytest.mark.parametrize(
    ("prefix", "user"),
    [("", None), ("trap '' TERM; ", None), ("", "root")],
    ids=["plain", "ignores-TERM", "become-root"],
)
def test_timeout_ends_the_whole_remote_process_group(
    conn: SSHConnection, prefix: str, user: str | None
) -> None:
    duration = unique_duration()
    with pytest.raises(CommandTimeout, match=r"command timed out after 0\.5s"):
        conn.run(_as(user, f"{prefix}sleep {duration} & sleep {duration}"), timeout=0.5)
    assert wait_gone("sleep", duration) == [], "a process of the timed-out command survived"
    assert conn.run("echo still here").stdout == b"still here\n"


@pytest.mark.parametrize("user", [None, "root"], ids=["login-user", "become-root"])
def test_interrupt_ends_running_commands_and_refuses_new_ones(
    conn: SSHConnection, user: str | None
) -> None:
    duration = unique_duration()
    errors: list[str] = []

    def run() -> None:
        try:
            conn.run(_as(user, f"sleep {duration} & sleep {duration}; echo never"))
        except ModuleError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=run)
    worker.start()
    _wait_running(duration, 2)
    conn.interrupt()
    worker.join(10)
    assert not worker.is_alive() and errors == [STOPPED]
    assert wait_gone("sleep", duration) == []
    with pytest.raises(ModuleError, match=STOPPED):
        conn.run("echo too late")


def test_close_ends_running_commands_on_the_host(fleet: Fleet) -> None:
    """A second Ctrl-C closes the connections: their commands must not live on."""
    duration = unique_duration()
    connection = SSHConnection.open(fleet.spec("h02"))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            connection.run(f"sleep {duration} & sleep {duration}")
        except HostUnreachable as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    _wait_running(duration, 2)
    connection.close()
    worker.join(10)
    assert [str(e) for e in errors] == [f"connection to {connection.target.label} is closed"]
    assert wait_gone("sleep", duration) == []


def test_sigterm_stops_a_fleet_run_and_leaves_no_remote_process(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    duration = unique_duration()
    book = tmp_path / "slow.yml"
    book.write_text(f"""
- hosts: fleet
  gather_facts: false
  tasks:
    - name: first
      command: echo done
    - name: slow
      shell: >-
        {{{{ "trap '' TERM;" if inventory_hostname == 'h01' else '' }}}}
        sleep {duration} & sleep {duration}; echo finished
    - name: never reached
      command: echo never
""")
    doc, junit, retry = tmp_path / "run.json", tmp_path / "junit.xml", tmp_path / "retry.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with doc.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "playbook_engine",
                "run",
                str(book),
                *fleet_args(fleet, fleet_inventory),
                "--format",
                "json",
                "--junit",
                str(junit),
                "--retry-file",
                str(retry),
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        _wait_running(duration, 10, proc)  # five hosts, two sleeps each
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)

    assert proc.returncode == 143, err
    assert "Traceback" not in err
    # h01's sleeps ignore SIGTERM: SIGKILL follows 2 s later
    assert wait_gone("sleep", duration, within=10) == [], "a remote command was left behind"

    run = json.loads(doc.read_text())
    assert (run["exit_code"], run["interrupted"]) == (143, True)
    hosts = [f"h0{i}" for i in range(1, 6)]
    tasks = {t["name"]: t["hosts"] for t in run["plays"][0]["tasks"]}
    assert list(tasks) == ["first", "slow"]
    assert {h: r["status"] for h, r in tasks["first"].items()} == dict.fromkeys(hosts, "changed")
    assert {h: r["result"]["msg"] for h, r in tasks["slow"].items()} == dict.fromkeys(
        hosts, STOPPED
    )
    failures = [c for c in ET.parse(junit).iter("testcase") if c.find("failure") is not None]
    assert len(failures) == 5
    assert retry.read_text().split() == hosts


def test_connecting_keeps_none_of_the_callers_locals_alive(fleet: Fleet) -> None:
    """paramiko's key attempts leave reference cycles through their frames; when those
    reached the task's frames, its command output stayed in memory until a GC ran."""

    class Output:
        pass

    def task() -> tuple[weakref.ref[Output], Connection]:
        output = Output()  # stands for a command's output the task holds
        conn = connect(fleet.spec("h01"))
        return weakref.ref(output), conn

    gc.collect()
    gc.disable()
    try:
        ref, conn = task()
        assert ref() is None, "a frame of the caller outlived it"
    finally:
        gc.enable()
        conn.close()


def test_20mb_of_output_over_ssh_stays_well_under_200mb(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    lines = 2_000_000
    book = tmp_path / "big.yml"
    book.write_text(f"""
- hosts: h03
  gather_facts: false
  tasks:
    - name: print
      shell: "python3 -c \\"import sys; sys.stdout.write('abcdefghi\\\\n' * {lines})\\""
      register: out
    - debug: {{msg: "{{{{ out.stdout_lines | length }}}}"}}
""")
    doc = tmp_path / "run.json"
    code, peak = peak_rss(
        ["run", str(book), *fleet_args(fleet, fleet_inventory), "--format", "json"], doc
    )
    assert code == 0
    tasks = json.loads(doc.read_text())["plays"][0]["tasks"]
    assert len(tasks[0]["hosts"]["h03"]["result"]["stdout_lines"]) == lines
    assert tasks[1]["hosts"]["h03"]["result"]["msg"] == lines
    assert peak < 200, f"peak RSS {peak:.0f} MB for 20 MB of output"


def test_fetch_with_become_streams_over_ssh(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    src = host_dirs["h04"] / "big.bin"
    with src.open("wb") as fh:
        for _ in range(96):
            fh.write(os.urandom(1 << 20))
    os.chmod(src, 0o600)
    os.chown(src, 0, 0)  # root's: only become can read it
    book = tmp_path / "fetch.yml"
    book.write_text(f"""
- hosts: h04
  gather_facts: false
  tasks:
    - fetch: {{src: "{src}", dest: "{tmp_path}/out/", flat: true}}
      become: true
""")
    code, peak = peak_rss(
        ["run", str(book), *fleet_args(fleet, fleet_inventory)], tmp_path / "stdout.txt"
    )
    assert code == 0, (tmp_path / "stdout.txt").read_text()
    copy = tmp_path / "out" / "big.bin"
    assert hashlib.sha1(copy.read_bytes()).digest() == hashlib.sha1(src.read_bytes()).digest()
    assert peak < 120, f"peak RSS {peak:.0f} MB fetching a 96 MB file with become"
