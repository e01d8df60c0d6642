"""LocalConnection: each command in its own process group, ended whole on timeout or stop."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from playbook_engine.errors import CommandTimeout, ModuleError
from playbook_engine.transport.base import STOPPED, ConnectionSpec
from playbook_engine.transport.local import LocalConnection


@pytest.fixture
def conn() -> Iterator[LocalConnection]:
    connection = LocalConnection(ConnectionSpec("local", "localhost", connection="local"))
    yield connection
    connection.close()


def _marker() -> str:
    """A sleep duration no other process on the machine uses: the test's own 'sleep'."""
    return f"{1000 + uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 1000:03d}"


def _sleeps(duration: str) -> list[int]:
    """Pids of live (not zombie) processes running ``sleep DURATION``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if argv[:2] == [b"sleep", duration.encode()] and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_gone(duration: str, within: float = 5.0) -> list[int]:
    deadline = time.monotonic() + within
    while (left := _sleeps(duration)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _wait_started(duration: str, count: int, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while len(_sleeps(duration)) < count:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.02)


def test_output_exit_status_and_stdin(conn: LocalConnection) -> None:
    res = conn.run("echo out; echo err >&2; exit 3")
    assert (res.rc, res.stdout, res.stderr) == (3, b"out\n", b"err\n")
    data = os.urandom(3 << 20)  # more than any pipe holds: written while output is read
    assert conn.run("cat; cat >&2", stdin=data).stdout == data
    assert conn.run("head -c 5", stdin=data).stdout == data[:5]  # stops reading: no error


def test_timeout_kills_the_whole_process_group(conn: LocalConnection) -> None:
    duration = _marker()
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match=r"command timed out after 0\.5s"):
        conn.run(f"sleep {duration} & sleep {duration}", timeout=0.5)
    assert time.monotonic() - started < 5
    assert _wait_gone(duration) == [], "a sleep of the timed-out command survived"
    assert conn.run("echo still works").stdout == b"still works\n"


def test_timeout_kills_a_group_that_ignores_sigterm(conn: LocalConnection) -> None:
    duration = _marker()
    with pytest.raises(CommandTimeout):
        conn.run(f"trap '' TERM; sleep {duration} & sleep {duration}", timeout=0.3)
    assert _wait_gone(duration) == []


def test_a_command_runs_in_its_own_session(conn: LocalConnection) -> None:
    pid, sid = conn.run("echo $$; ps -o sid= -p $$").out.split()
    assert pid == sid  # the shell leads a session (and group) of its own
    assert int(sid) != os.getsid(0)


def test_interrupt_stops_running_commands_and_refuses_new_ones(conn: LocalConnection) -> None:
    duration = _marker()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            conn.run(f"sleep {duration} & sleep {duration}; echo never")
        except ModuleError as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    _wait_started(duration, 2)
    conn.interrupt()
    worker.join(10)
    assert not worker.is_alive()
    assert [str(e) for e in errors] == [STOPPED]
    assert _wait_gone(duration) == []
    with pytest.raises(ModuleError, match=STOPPED):
        conn.run("echo too late")


def test_close_ends_a_running_command(conn: LocalConnection) -> None:
    duration = _marker()
    worker = threading.Thread(target=lambda: pytest.raises(ModuleError, conn.run,
                                                           f"sleep {duration}"))
    worker.start()
    _wait_started(duration, 1)
    conn.close()
    worker.join(10)
    assert _wait_gone(duration) == []
