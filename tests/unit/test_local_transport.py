"""LocalConnection: each command in its own process group, ended whole on timeout or stop."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from playbook_engine.errors import CommandTimeout, ModuleError
from playbook_engine.testing.processes import running, unique_duration, wait_gone
from playbook_engine.transport.base import STOPPED, ConnectionSpec
from playbook_engine.transport.local import LocalConnection


@pytest.fixture
def conn() -> Iterator[LocalConnection]:
    connection = LocalConnection(ConnectionSpec("local", "localhost", connection="local"))
    yield connection
    connection.close()


def _wait_started(duration: str, count: int, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while len(running("sleep", duration)) < count:
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.02)


def test_output_exit_status_and_stdin(conn: LocalConnection) -> None:
    res = conn.run("echo out; echo err >&2; exit 3")
    assert (res.rc, res.stdout, res.stderr) == (3, b"out\n", b"err\n")
    data = os.urandom(3 << 20)  # more than any pipe holds: written while output is read
    assert conn.run("cat; cat >&2", stdin=data).stdout == data
    assert conn.run("head -c 5", stdin=data).stdout == data[:5]  # stops reading: no error


def test_timeout_kills_the_whole_process_group(conn: LocalConnection) -> None:
    duration = unique_duration()
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match=r"command timed out after 0\.5s"):
        conn.run(f"sleep {duration} & sleep {duration}", timeout=0.5)
    assert time.monotonic() - started < 5
    assert wait_gone("sleep", duration) == [], "a sleep of the timed-out command survived"
    assert conn.run("echo still works").stdout == b"still works\n"


def test_timeout_kills_a_group_that_ignores_sigterm(conn: LocalConnection) -> None:
    duration = unique_duration()
    with pytest.raises(CommandTimeout):
        conn.run(f"trap '' TERM; sleep {duration} & sleep {duration}", timeout=0.3)
    assert wait_gone("sleep", duration) == []


def test_a_command_runs_in_its_own_session(conn: LocalConnection) -> None:
    pid, sid = conn.run("echo $$; ps -o sid= -p $$").out.split()
    assert pid == sid  # the shell leads a session (and group) of its own
    assert int(sid) != os.getsid(0)


def test_interrupt_stops_running_commands_and_refuses_new_ones(conn: LocalConnection) -> None:
    duration = unique_duration()
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
    assert wait_gone("sleep", duration) == []
    with pytest.raises(ModuleError, match=STOPPED):
        conn.run("echo too late")


def test_close_ends_a_running_command(conn: LocalConnection) -> None:
    duration = unique_duration()
    worker = threading.Thread(
        target=lambda: pytest.raises(ModuleError, conn.run, f"sleep {duration}")
    )
    worker.start()
    _wait_started(duration, 1)
    conn.close()
    worker.join(10)
    assert wait_gone("sleep", duration) == []
