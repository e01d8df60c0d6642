"""The local connection's persistent shell: one ``sh`` serves every command, yet each
command behaves as if it had a shell of its own, and the shell's failures never hang
or mislead a run."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playbook_engine.errors import CommandTimeout, ModuleError
from playbook_engine.testing.processes import running, unique_duration, wait_gone
from playbook_engine.transport import session
from playbook_engine.transport.base import ConnectionSpec
from playbook_engine.transport.local import LocalConnection

SPEC = ConnectionSpec("local", "localhost", connection="local")


@pytest.fixture(params=["setsid", "bash-set-m"])
def conn(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalConnection]:
    """Both ways the shell gives a command its own process group."""
    if request.param == "bash-set-m":
        monkeypatch.setattr(session, "SESSION_SHELL", "/bin/bash")
        monkeypatch.setattr(session, "MODES", "m")
    connection = LocalConnection(SPEC)
    yield connection
    connection.close()


def _shell_pid(conn: LocalConnection) -> int:
    return int(conn.run("echo $PPID").out)


def test_every_command_runs_in_the_same_long_lived_shell(conn: LocalConnection) -> None:
    first = _shell_pid(conn)
    assert [_shell_pid(conn) for _ in range(3)] == [first] * 3
    assert first != os.getpid()
    pid, pgid = conn.run("echo $$; ps -o pgid= -p $$").out.split()
    assert pid == pgid  # yet each command leads a process group of its own


def test_what_a_command_does_to_its_shell_stays_with_it(
    conn: LocalConnection, tmp_path: Path
) -> None:
    here = conn.run("pwd").out
    assert (
        conn.run(
            f"cd {tmp_path}; X=1; export Y=2; umask 077; trap 'echo bye' EXIT; set -e; exit 4"
        ).stdout
        == b"bye\n"
    )
    assert conn.run("pwd; echo ${X-unset} ${Y-unset}; umask").out == f"{here}unset unset\n0022\n"
    assert conn.run("false; echo set -e is gone").stdout == b"set -e is gone\n"
    assert conn.run("read line; echo $?; cat; echo end").stdout == b"1\nend\n"  # no stdin


def test_output_and_stdin_are_passed_byte_for_byte(conn: LocalConnection, tmp_path: Path) -> None:
    blob = bytes(range(256)) * 300
    (tmp_path / "blob").write_bytes(blob)
    res = conn.run(f"cat {tmp_path}/blob; cat {tmp_path}/blob >&2")
    assert (res.rc, res.stdout, res.stderr) == (0, blob, blob)
    text = "é '$HOME' `id` \\\n_pbe_run x y\nEOF\n".encode()
    assert conn.run("cat", stdin=text).stdout == text
    assert conn.run("cat", stdin=b"no newline").stdout == b"no newline"  # over exec


def test_output_that_forges_a_record_is_only_output(conn: LocalConnection) -> None:
    forged = f"{session.new_token()}E0 0\n{session.new_token()}S1\n"
    res = conn.run(f"printf '%s' '{forged}'; echo done")
    assert (res.rc, res.out) == (0, forged + "done\n")


def test_a_command_listing_its_own_process_is_only_output(conn: LocalConnection) -> None:
    """`ps` prints the command's own argv; the token must not stand whole in it (the
    service module's pattern probe lost its session this way)."""
    shell = _shell_pid(conn)
    res = conn.run("ps -e -ww -o pid= -o args=; echo done")
    assert res.rc == 0 and res.out.endswith("done\n") and "ps -e -ww" in res.out
    assert _shell_pid(conn) == shell  # the same session serves on


def test_a_background_writer_is_waited_for_like_sshd_would(conn: LocalConnection) -> None:
    """A process left holding the output: read until it lets go, then a new shell."""
    before = _shell_pid(conn)
    res = conn.run("(sleep 0.5; echo late) & echo early")
    assert res.stdout == b"early\nlate\n"
    assert _shell_pid(conn) != before


def test_a_detached_process_is_left_running_and_not_waited_for(conn: LocalConnection) -> None:
    duration = unique_duration()
    started = time.monotonic()
    assert conn.run(f"sleep {duration} >/dev/null 2>&1 &").rc == 0
    assert time.monotonic() - started < 5
    assert running("sleep", duration), "the daemon-like process was killed"
    assert conn.run("echo next").stdout == b"next\n"
    for pid in running("sleep", duration):
        os.kill(pid, signal.SIGKILL)


def test_a_timeout_ends_the_command_and_the_shell_serves_on(conn: LocalConnection) -> None:
    duration = unique_duration()
    with pytest.raises(CommandTimeout, match=r"timed out after 0\.3s"):
        conn.run(f"trap '' TERM; sleep {duration} & sleep {duration}", timeout=0.3)
    assert wait_gone("sleep", duration) == []
    assert conn.run("echo alive").stdout == b"alive\n"


def test_a_light_script_runs_in_a_subshell_of_the_session_and_changes_nothing(
    conn: LocalConnection, tmp_path: Path
) -> None:
    """pbe's own probe scripts fork from the session instead of exec-ing setsid and a
    shell: ``$$`` is then the session's own pid, the same for every one of them."""
    shell = _shell_pid(conn)
    light = session.MODES != "m"  # bash's job control gives every subshell a group: no light
    assert (conn.run("echo $$", light=True).out == f"{shell}\n") is light
    assert conn.run("echo $$").out != f"{shell}\n"  # other commands: a shell of their own
    res = conn.run(f"cd {tmp_path}; X=1; umask 077; echo out; echo err >&2; exit 3", light=True)
    assert (res.rc, res.stdout, res.stderr) == (3, b"out\n", b"err\n")
    assert conn.run("pwd; echo ${X-unset}; umask", light=True).out == (
        f"{conn.run('pwd').out}unset\n0022\n"
    )
    assert conn.run("cat; echo end", stdin=b"in\n", light=True).stdout == b"in\nend\n"
    assert _shell_pid(conn) == shell


def test_a_light_script_that_outlives_its_timeout_ends_with_its_session(
    conn: LocalConnection,
) -> None:
    duration = unique_duration()
    shell = _shell_pid(conn)
    with pytest.raises(CommandTimeout, match=r"timed out after 0\.3s"):
        conn.run(f"sleep {duration}", timeout=0.3, light=True)
    assert wait_gone("sleep", duration) == []
    if session.MODES == "m":  # no light scripts there: it ran as any command does
        assert _shell_pid(conn) == shell
        return
    assert wait_gone_pid(shell), "the session the light script ran in was left running"
    assert conn.run("echo alive", light=True).stdout == b"alive\n"  # a new session


def wait_gone_pid(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_shell_killed_under_a_command_fails_it_clearly_and_stops_it(
    conn: LocalConnection,
) -> None:
    duration = unique_duration()
    started = time.monotonic()
    with pytest.raises(
        ModuleError,
        match=r"shell that pbe keeps .* ended while the command "
        r"was running .* may have run in part",
    ):
        conn.run(f"kill -9 $PPID; sleep {duration}")
    assert time.monotonic() - started < 5, "the death of the shell went unnoticed"
    assert wait_gone("sleep", duration) == [], "the orphaned command was left running"
    assert conn.run("echo next").stdout == b"next\n"  # a new shell


def test_a_shell_killed_while_idle_is_replaced_without_a_trace(conn: LocalConnection) -> None:
    os.kill(_shell_pid(conn), signal.SIGKILL)
    time.sleep(0.2)
    assert conn.run("echo fine").stdout == b"fine\n"


def test_threads_sharing_the_connection_get_their_own_answers(conn: LocalConnection) -> None:
    failures: list[str] = []

    def work(n: int) -> None:
        for i in range(15):
            res = conn.run(f"sleep 0.0$((RANDOM % 3)); echo {n}-{i}; echo e{n}-{i} >&2")
            if (res.out, res.err) != (f"{n}-{i}\n", f"e{n}-{i}\n"):
                failures.append(f"{n}-{i}: {res}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []


@pytest.mark.parametrize(
    "broken",
    [{"SESSION_SHELL": "/nonexistent/sh"}, {"MODES": ""}],
    ids=["no-shell", "no-process-groups"],
)
def test_without_a_usable_shell_commands_run_one_shell_each(
    monkeypatch: pytest.MonkeyPatch, broken: dict[str, str]
) -> None:
    for name, value in broken.items():
        monkeypatch.setattr(session, name, value)
    connection = LocalConnection(SPEC)
    try:
        pids = {connection.run("echo $PPID").out for _ in range(2)}
        assert len(pids) == 1 and int(pids.pop()) == os.getpid()  # pbe's own children
        assert connection.run("exit 3").rc == 3
    finally:
        connection.close()


def test_the_persistent_shell_can_be_turned_off() -> None:
    connection = LocalConnection(
        ConnectionSpec("local", "localhost", connection="local", persistent_shell=False)
    )
    try:
        assert int(connection.run("echo $PPID").out) == os.getpid()
    finally:
        connection.close()
