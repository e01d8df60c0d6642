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
from pathlib import Path

import pytest

import playbook_engine as pbe
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
    with pytest.raises(
        ModuleError,
        match=r"shell that pbe keeps on 127\.0\.0\.13:\d+ ended "
        r"while the command was running",
    ):
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


def test_light_scripts_fork_from_the_shell_and_a_timeout_replaces_it(conn: SSHConnection) -> None:
    """sshd makes the shell a session leader, so pbe's probe scripts run as its subshells
    (``$$`` is the shell's); one that outlives its time ends with the whole shell."""
    shell = _shell_pid(conn)
    res = conn.run("echo $$; echo err >&2; exit 5", light=True)
    assert (res.rc, res.out, res.err) == (5, f"{shell}\n", "err\n")
    duration = unique_duration()
    with pytest.raises(CommandTimeout, match=r"timed out after 0\.4s"):
        conn.run(f"sleep {duration}", timeout=0.4, light=True)
    assert wait_gone("sleep", duration) == []
    assert _shell_pid(conn) != shell  # a new shell serves
    assert conn.run("echo fine", light=True).stdout == b"fine\n"


def test_background_output_is_read_to_its_end_then_a_new_shell_serves(conn: SSHConnection) -> None:
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
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playbook_engine.transport import session

    monkeypatch.setattr(session, "SESSION_SHELL", "/nonexistent/sh")
    with SSHConnection.open(fleet.spec("h03")) as connection:
        assert [_parent(connection) for _ in range(2)] == ["sshd", "sshd"]
        assert connection.run("cat", stdin=b"in\n").stdout == b"in\n"


def test_small_file_writes_need_no_sftp(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    """copy (text, and binary content that the shell cannot carry: exec-per-command then),
    template and lineinfile each write in their finishing command: sshd never starts SFTP."""
    where = host_dirs["h01"]
    (tmp_path / "bin").write_bytes(b"\0\x01binary, no newline\xff")
    (tmp_path / "t.j2").write_text("hi {{ inventory_hostname }}\n")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: h01
  gather_facts: false
  tasks:
    - copy: {{src: {tmp_path}/bin, dest: {where}/bin, mode: "0600"}}
    - copy: {{content: "a\\n", dest: {where}/a}}
    - template: {{src: {tmp_path}/t.j2, dest: {where}/t}}
    - lineinfile: {{path: {where}/ini, line: "port=1", create: true}}
""")
    log = fleet.host("h01").log_path
    seen = len(log.read_text())
    options = dict(known_hosts=[str(fleet.known_hosts)], ssh_config=os.devnull)
    first = pbe.run(book, str(fleet_inventory), **options)  # type: ignore[arg-type]
    second = pbe.run(book, str(fleet_inventory), **options)  # type: ignore[arg-type]
    assert (first.stats["h01"]["changed"], second.stats["h01"]["changed"]) == (4, 0)
    assert "subsystem 'sftp'" not in log.read_text()[seen:]
    assert (where / "bin").read_bytes() == b"\0\x01binary, no newline\xff"
    assert (where / "a").read_text() == "a\n" and (where / "t").read_text() == "hi h01\n"
    assert (where / "ini").read_text() == "port=1\n"
    assert sorted(p.name for p in where.iterdir()) == ["a", "bin", "ini", "t"]


def test_small_writes_with_become_and_a_sudo_password(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    """The content follows the password on sudo's stdin (text through the session, binary
    over exec-per-command); the file is root's, whole, and the password is not in it."""
    where = host_dirs["h02"]
    (tmp_path / "bin").write_bytes(b"\0binary\xff")
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: h02
  gather_facts: false
  become: true
  tasks:
    - copy: {{src: {tmp_path}/bin, dest: {where}/bin}}
    - copy: {{content: "text\\n", dest: {where}/text, mode: "0640"}}
    - lineinfile: {{path: {where}/ini, line: "port=1", create: true}}
""")
    result = pbe.run(
        book,
        str(fleet_inventory),
        known_hosts=[str(fleet.known_hosts)],
        ssh_config=os.devnull,
        extra_vars={"ansible_become_password": fleet.password},
    )
    assert result.stats["h02"]["changed"] == 3, result
    assert (where / "bin").read_bytes() == b"\0binary\xff"
    assert (where / "text").read_bytes() == b"text\n"
    assert (where / "ini").read_bytes() == b"port=1\n"
    assert {(where / n).stat().st_uid for n in ("bin", "text", "ini")} == {0}
    assert (where / "text").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in where.iterdir()) == ["bin", "ini", "text"]
