"""The persistent shell over SSH, against real sshd: one shell per host serves the
commands, a killed shell fails the command it ran (and stops it) without hanging, and
hosts where no shell can start still run every command. Fleet hosts share this
machine, so their processes are visible (and killable) from here."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from playbook_engine.errors import CommandTimeout, ModuleError
from playbook_engine.testing.fleet import Fleet
from playbook_engine.testing.processes import running, unique_duration, wait_gone
from playbook_engine.transport.ssh import SSHConnection

pytestmark = pytest.mark.fleet


@pytest.fixture
def conn(fleet: Fleet) -> Iterator[SSHConnection]:
    with SSHConnection.open(fleet.spec("h03")) as connection:
        yield connection


def _shell_pid(conn: SSHConnection) -> int:
    return int(conn.run("echo $PPID").out)


def test_commands_share_one_shell_and_each_leads_its_own_session(conn: SSHConnection) -> None:
    first = _shell_pid(conn)
    assert [_shell_pid(conn) for _ in range(3)] == [first] * 3
    pid, sid = conn.run("echo $$; ps -o sid= -p $$").out.split()
    assert pid == sid  # as sshd gives each exec'd command
    assert conn.run("echo $0").stdout == b"sh\n"  # the login shell, named as sshd names it


def _parent(conn: SSHConnection) -> str:
    """What started the command: sshd (a channel of its own) or the persistent shell."""
    return conn.run("ps -o comm= -p $PPID").out.strip()


def test_without_the_persistent_shell_each_command_gets_a_channel(fleet: Fleet) -> None:
    with SSHConnection.open(fleet.spec("h03")) as connection:
        assert _parent(connection) == "sh"
    with SSHConnection.open(fleet.spec("h03", persistent_shell=False)) as connection:
        assert _parent(connection) == "sshd"


def test_a_killed_shell_fails_its_command_clearly_and_stops_it(conn: SSHConnection) -> None:
    duration = unique_duration()
    started = time.monotonic()
    with pytest.raises(ModuleError, match=r"shell that pbe keeps on 127\.0\.0\.13:\d+ ended "
                                          r"while the command was running"):
        conn.run(f"kill -9 $PPID; sleep {duration}")
    assert time.monotonic() - started < 10, "the killed shell went unnoticed"
    assert wait_gone("sleep", duration) == [], "the orphaned command was left running"
    assert conn.run("echo next").stdout == b"next\n"


def test_a_shell_killed_between_commands_is_replaced(conn: SSHConnection) -> None:
    os.kill(_shell_pid(conn), signal.SIGKILL)
    time.sleep(0.3)
    assert conn.run("echo fine; exit 2").rc == 2


def test_a_timeout_in_the_shell_leaves_it_serving(conn: SSHConnection) -> None:
    shell = _shell_pid(conn)
    duration = unique_duration()
    with pytest.raises(CommandTimeout, match=r"timed out after 0\.4s"):
        conn.run(f"sleep {duration}", timeout=0.4)
    assert wait_gone("sleep", duration) == []
    assert _shell_pid(conn) == shell


def test_background_output_is_read_to_its_end_then_a_new_shell_serves(
        conn: SSHConnection) -> None:
    shell = _shell_pid(conn)
    assert conn.run("(sleep 0.5; echo late) & echo early").stdout == b"early\nlate\n"
    assert _shell_pid(conn) != shell


def test_a_detached_process_outlives_its_command(conn: SSHConnection) -> None:
    duration = unique_duration()
    assert conn.run(f"nohup sleep {duration} >/dev/null 2>&1 &").rc == 0
    assert running("sleep", duration)
    assert conn.run("echo next").stdout == b"next\n"
    for pid in running("sleep", duration):
        os.kill(pid, signal.SIGKILL)


def test_threads_sharing_a_connection_get_their_own_answers(conn: SSHConnection) -> None:
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(10):
            res = conn.run(f"echo {n}-{i}; echo e{n}-{i} >&2", stdin=f"in{n}\n".encode())
            if (res.out, res.err) != (f"{n}-{i}\n", f"e{n}-{i}\n"):
                failures.append(f"{n}-{i}: {res}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []


def test_a_host_whose_shell_cannot_start_runs_commands_one_channel_each(
        fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from playbook_engine.transport import session

    monkeypatch.setattr(session, "SESSION_SHELL", "/nonexistent/sh")
    with SSHConnection.open(fleet.spec("h03")) as connection:
        assert [_parent(connection) for _ in range(2)] == ["sshd", "sshd"]
        assert connection.run("cat", stdin=b"in\n").stdout == b"in\n"
