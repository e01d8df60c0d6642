"""SSHConnection against real OpenSSH daemons: commands, files, auth, host keys, failures.

Nothing here mocks paramiko. Only h05 has its sessions killed (by one test).
"""

from __future__ import annotations

import io
import logging
import os
import pwd
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from playbook_engine.errors import HostUnreachable, ModuleError
from playbook_engine.testing.fleet import Fleet
from playbook_engine.transport import connect
from playbook_engine.transport.ssh import SSHConnection

pytestmark = pytest.mark.fleet

MB = 1 << 20


@pytest.fixture
def conn(fleet: Fleet) -> Iterator[SSHConnection]:
    with SSHConnection.open(fleet.spec("h01")) as connection:
        yield connection


@pytest.fixture
def empty_known_hosts(tmp_path: Path) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text("")
    return path


def _key_line(fleet: Fleet, host: str, key_of: str | None = None) -> str:
    """A known_hosts line naming ``host`` with the key of ``key_of`` (default: its own)."""
    pub = Path(f"{fleet.host(key_of or host).host_key_path}.pub").read_text().split()
    return f"{fleet.host(host).known_hosts_name} {pub[0]} {pub[1]}\n"


def _auth_method(connection: SSHConnection) -> str:
    handler = connection.transport.auth_handler
    assert handler is not None
    return str(handler.auth_method)


def _wait_until_gone(cmdline: bytes, within: float = 3.0) -> bool:
    """True once no process has ``cmdline`` in its argv (fleet hosts are this machine)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        running = False
        for proc in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                running = running or cmdline in proc.read_bytes()
            except OSError:
                continue
        if not running:
            return True
        time.sleep(0.05)
    return False


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


# -- commands ---------------------------------------------------------------------------


def test_run_returns_rc_stdout_and_stderr(conn: SSHConnection) -> None:
    result = conn.run("printf 'out\\n'; printf 'err\\n' >&2; exit 7")

    assert (result.rc, result.stdout, result.stderr) == (7, b"out\n", b"err\n")
    assert not result.ok


def test_command_runs_as_the_login_user_in_its_home(conn: SSHConnection) -> None:
    result = conn.run("id -un; pwd")

    assert result.rc == 0
    assert result.out.split() == ["pbetest", "/home/pbetest"]


def test_stdin_is_sent_then_closed(conn: SSHConnection) -> None:
    data = bytes(range(256)) * 3

    assert conn.run("cat", stdin=data).stdout == data
    assert conn.run("cat", timeout=5).stdout == b""  # no stdin: EOF at once, no hang


def test_large_stdin_streams_while_output_is_read(conn: SSHConnection) -> None:
    data = os.urandom(6 * MB)

    result = conn.run("cat", stdin=data, timeout=60)

    assert result.rc == 0
    assert result.stdout == data


def test_megabytes_on_stdout_and_stderr_at_once_do_not_deadlock(conn: SSHConnection) -> None:
    size = 4 * MB
    command = f"(yes out | head -c {size}) & (yes err | head -c {size} >&2); wait"

    result = conn.run(command, timeout=60)

    assert result.rc == 0
    assert result.stdout == (b"out\n" * (size // 4))
    assert result.stderr == (b"err\n" * (size // 4))


def test_connection_survives_past_paramikos_rekey_threshold(fleet: Fleet) -> None:
    """paramiko would start a rekey after 512 MiB and hang 30 s on the next channel close."""
    chunk = 8 * MB
    with SSHConnection.open(fleet.spec("h02")) as connection:
        for _ in range(70):  # 560 MiB received
            result = connection.run(f"head -c {chunk} /dev/zero", timeout=10)
            assert len(result.stdout) == chunk


def test_server_initiated_rekeys_between_commands() -> None:
    size = 256 * 1024
    command = f"(yes out | head -c {size}) & (yes err | head -c {size} >&2); wait"
    root = Path(tempfile.mkdtemp(prefix="pbe-fleet-rekey-"))
    try:
        with (
            Fleet(root, size=1, first_octet=30, sshd_options=["RekeyLimit 1M"]) as rekeying,
            SSHConnection.open(rekeying.spec("h01")) as connection,
        ):
            results = [connection.run(command, timeout=10) for _ in range(40)]  # ~20 rekeys
    finally:
        shutil.rmtree(root, ignore_errors=True)

    assert {len(r.stdout) for r in results} == {size}
    assert {len(r.stderr) for r in results} == {size}


def test_many_commands_share_one_tcp_connection(fleet: Fleet) -> None:
    host = fleet.host("h02")
    seen = len(host.log_path.read_text())  # a port seen earlier may be in use again
    with SSHConnection.open(fleet.spec(host)) as connection:
        sock = connection.transport.sock
        assert isinstance(sock, socket.socket)
        local_port = sock.getsockname()[1]
        ports = {connection.run("echo $SSH_CONNECTION").out.split()[1] for _ in range(50)}

    assert ports == {str(local_port)}  # every command came over the same client socket
    log = host.log_path.read_text()[seen:]
    assert log.count(f"Accepted publickey for pbetest from 127.0.0.1 port {local_port} ") == 1


def test_an_idle_connection_wakes_its_thread_about_once_a_second(fleet: Fleet) -> None:
    """paramiko's own 0.1 s poll, times 500 hosts, was thousands of GIL grabs a second."""
    with SSHConnection.open(fleet.spec("h04")) as connection:
        packetizer = connection.transport.packetizer
        wakeups = 0
        real_check = packetizer._check_keepalive

        def counting() -> None:  # the transport thread calls it on every idle wake-up
            nonlocal wakeups
            wakeups += 1
            real_check()

        packetizer._check_keepalive = counting  # type: ignore[method-assign]
        time.sleep(3)
        assert 1 <= wakeups <= 5
        assert connection.run("echo awake").stdout == b"awake\n"


def test_timeout_raises_stops_the_command_and_the_connection_still_works(
    conn: SSHConnection,
) -> None:
    started = time.monotonic()
    with pytest.raises(ModuleError, match=r"command timed out after 0\.5s"):
        conn.run("sleep 31.4159; echo never", timeout=0.5)

    assert time.monotonic() - started < 3
    assert conn.run("echo still here").stdout == b"still here\n"
    assert _wait_until_gone(b"sleep\x0031.4159"), "the timed-out command is still running"


def test_spec_command_timeout_applies_when_run_has_none(fleet: Fleet) -> None:
    with SSHConnection.open(fleet.spec("h01", command_timeout=0.3)) as connection:
        with pytest.raises(ModuleError, match="timed out after 0.3s"):
            connection.run("sleep 10")
        assert connection.run("echo ok", timeout=5).stdout == b"ok\n"


def test_command_killed_by_a_signal_gives_rc_minus_one_and_a_note(fleet: Fleet) -> None:
    """On a channel of its own (no persistent shell), sshd reports the signal, not a status."""
    with SSHConnection.open(fleet.spec("h01", persistent_shell=False)) as connection:
        result = connection.run("echo before; kill -9 $$")

    assert result.rc == -1
    assert result.stdout == b"before\n"
    assert b"without an exit status" in result.stderr


def test_command_killed_by_a_signal_in_the_shell_gives_128_plus_the_signal(
    conn: SSHConnection,
) -> None:
    """The persistent shell sees what any shell sees of a killed child: 128 + its signal."""
    result = conn.run("echo before; kill -9 $$")

    assert (result.rc, result.stdout, result.stderr) == (137, b"before\n", b"")
    assert conn.run("echo the shell lives on").stdout == b"the shell lives on\n"


def test_stdin_for_a_command_that_ends_before_reading_it_is_no_error(fleet: Fleet) -> None:
    """sshd may close the channel of a command that ended before its stdin was sent; that
    was reported as "refused to run the command: Socket is closed" (most of the time
    with a few threads at once)."""
    errors: list[str] = []
    with SSHConnection.open(fleet.spec("h01", persistent_shell=False)) as connection:

        def work() -> None:
            for _ in range(20):
                try:
                    assert connection.run("exit 3", stdin=b"unread\n").rc == 3
                except HostUnreachable as exc:
                    errors.append(str(exc))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []


def test_connection_dropped_mid_command_is_host_unreachable(fleet: Fleet) -> None:
    with SSHConnection.open(fleet.spec("h05")) as connection:
        assert connection.run("true").ok
        killer = threading.Timer(0.3, fleet.kill_sessions, args=("h05",))
        killer.start()
        with pytest.raises(HostUnreachable, match=r"connection to 127\.0\.0\.15:\d+ lost"):
            connection.run("sleep 20", timeout=15)
        killer.join()
        with pytest.raises(HostUnreachable):
            connection.run("true")


def test_close_is_idempotent_and_thread_safe(fleet: Fleet) -> None:
    connection = SSHConnection.open(fleet.spec("h01"))
    connection.put(io.BytesIO(b"x"), str(fleet.host("h01").workdir / "close-test"))
    closers = [threading.Thread(target=connection.close) for _ in range(8)]
    for thread in closers:
        thread.start()
    for thread in closers:
        thread.join()
    connection.close()

    assert not connection.transport.is_active()
    with pytest.raises(HostUnreachable, match="is closed"):
        connection.run("true")


def test_connect_factory_opens_ssh(fleet: Fleet) -> None:
    connection = connect(fleet.spec("h03"))
    try:
        assert isinstance(connection, SSHConnection)
        assert connection.run("echo $SSH_CONNECTION").out.split()[2] == "127.0.0.13"
    finally:
        connection.close()


# -- files ------------------------------------------------------------------------------


def test_put_get_round_trip_is_byte_exact_with_mode(
    conn: SSHConnection, host_dirs: dict[str, Path]
) -> None:
    data = bytes(range(256)) * 16 + os.urandom(3 * MB + 17)
    target = host_dirs["h01"] / "blob.bin"

    conn.put(io.BytesIO(data), str(target), mode=0o640)
    fetched = io.BytesIO()
    conn.get(str(target), fetched)

    assert fetched.getvalue() == data
    assert target.read_bytes() == data  # the fleet shares this machine's filesystem
    stat = target.stat()
    assert stat.st_mode & 0o777 == 0o640
    assert stat.st_uid == pwd.getpwnam("pbetest").pw_uid


def test_put_overwrites_and_truncates(conn: SSHConnection, host_dirs: dict[str, Path]) -> None:
    target = host_dirs["h01"] / "file"
    conn.put(io.BytesIO(b"a long first version\n"), str(target))
    conn.put(io.BytesIO(b"short\n"), str(target), mode=0o600)

    assert target.read_bytes() == b"short\n"
    assert target.stat().st_mode & 0o777 == 0o600


def test_put_into_a_missing_directory_is_a_module_error(
    conn: SSHConnection, host_dirs: dict[str, Path]
) -> None:
    target = host_dirs["h01"] / "no" / "such" / "dir" / "file"

    with pytest.raises(ModuleError, match=f"cannot write {target} on h01: No such file"):
        conn.put(io.BytesIO(b"data"), str(target))
    assert conn.run("true").ok  # the SFTP session and connection survive


def test_put_where_not_allowed_is_a_module_error(conn: SSHConnection) -> None:
    with pytest.raises(ModuleError, match="cannot write /etc/pbe-forbidden on h01: Permission"):
        conn.put(io.BytesIO(b"data"), "/etc/pbe-forbidden")
    assert not Path("/etc/pbe-forbidden").exists()


def test_get_of_a_missing_file_is_a_module_error(
    conn: SSHConnection, host_dirs: dict[str, Path]
) -> None:
    missing = host_dirs["h01"] / "missing"

    with pytest.raises(ModuleError, match=f"cannot read {missing} on h01: No such file"):
        conn.get(str(missing), io.BytesIO())


# -- authentication ---------------------------------------------------------------------


def test_key_auth(fleet: Fleet) -> None:
    with SSHConnection.open(fleet.spec("h01")) as connection:
        assert connection.run("id -un").stdout == b"pbetest\n"
        assert _auth_method(connection) == "publickey"


def test_password_auth(fleet: Fleet) -> None:
    spec = fleet.spec("h01", private_key_file=None, password=fleet.password)
    with SSHConnection.open(spec) as connection:
        assert connection.run("id -un").stdout == b"pbetest\n"
        assert _auth_method(connection) == "password"


def test_wrong_password_is_authentication_failed(fleet: Fleet) -> None:
    spec = fleet.spec("h01", private_key_file=None, password="not-the-password")

    with pytest.raises(
        HostUnreachable,
        match=r"authentication failed for user pbetest .*"
        r"\(tried: (.*, )?password\)",
    ):
        SSHConnection.open(spec)


def test_missing_key_file_is_named(fleet: Fleet, tmp_path: Path) -> None:
    missing = tmp_path / "id_missing"

    with pytest.raises(HostUnreachable, match=f"cannot read private key file {missing}"):
        SSHConnection.open(fleet.spec("h01", private_key_file=str(missing)))


# -- host keys --------------------------------------------------------------------------


def test_unknown_host_key_is_refused_by_default(fleet: Fleet, empty_known_hosts: Path) -> None:
    spec = fleet.spec("h01", known_hosts_files=(str(empty_known_hosts),))
    name = fleet.host("h01").known_hosts_name

    with pytest.raises(HostUnreachable) as caught:
        SSHConnection.open(spec)
    assert str(caught.value).startswith(
        f"host key for {name} is not in known_hosts "
        "(use --host-key-checking accept-new to trust it)"
    )
    assert empty_known_hosts.read_text() == ""


def test_accept_new_appends_then_strict_accepts(fleet: Fleet, empty_known_hosts: Path) -> None:
    files = (str(empty_known_hosts),)
    with SSHConnection.open(
        fleet.spec("h02", known_hosts_files=files, host_key_checking="accept-new")
    ) as connection:
        assert connection.run("true").ok

    assert empty_known_hosts.read_text() == _key_line(fleet, "h02")
    with SSHConnection.open(fleet.spec("h02", known_hosts_files=files)) as connection:
        assert connection.run("echo strict").stdout == b"strict\n"


def test_accept_new_from_many_threads_writes_the_key_once(
    fleet: Fleet, empty_known_hosts: Path
) -> None:
    spec = fleet.spec(
        "h03", known_hosts_files=(str(empty_known_hosts),), host_key_checking="accept-new"
    )
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            SSHConnection.open(spec).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert empty_known_hosts.read_text() == _key_line(fleet, "h03")


def test_hashed_known_hosts_entries_are_recognised(fleet: Fleet, tmp_path: Path) -> None:
    host = fleet.host("h01")
    hashed = paramiko.HostKeys.hash_host(host.known_hosts_name)
    line = _key_line(fleet, "h01").split(" ", 1)[1]
    known = tmp_path / "known_hosts"
    known.write_text(f"{hashed} {line}")

    for mode in ("strict", "accept-new"):
        spec = fleet.spec("h01", known_hosts_files=(str(known),), host_key_checking=mode)
        with SSHConnection.open(spec) as connection:
            assert connection.run("true").ok
    assert known.read_text() == f"{hashed} {line}"  # accept-new added no duplicate


def test_mismatching_host_key_is_refused_even_with_accept_new(fleet: Fleet, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(_key_line(fleet, "h01", key_of="h02"))

    for mode in ("strict", "accept-new"):
        spec = fleet.spec("h01", known_hosts_files=(str(known),), host_key_checking=mode)
        with pytest.raises(
            HostUnreachable,
            match=r"host key MISMATCH for \[127\.0\.0\.11\]:\d+ "
            "— possible man-in-the-middle",
        ):
            SSHConnection.open(spec)
    assert known.read_text() == _key_line(fleet, "h01", key_of="h02")


def test_host_key_checking_off_accepts_anything_and_warns(
    fleet: Fleet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(_key_line(fleet, "h01", key_of="h02"))
    spec = fleet.spec("h01", known_hosts_files=(str(known),), host_key_checking="off")

    with (
        caplog.at_level(logging.WARNING, logger="playbook_engine.transport.ssh"),
        SSHConnection.open(spec) as connection,
    ):
        assert connection.run("echo off").stdout == b"off\n"
    assert any("host key checking is off" in r.getMessage() for r in caplog.records)


# -- unreachable hosts ------------------------------------------------------------------


def test_connection_refused_is_fast_and_precise(fleet: Fleet) -> None:
    port = _free_port("127.0.0.19")
    spec = fleet.spec("h01", address="127.0.0.19", port=port)
    started = time.monotonic()

    with pytest.raises(HostUnreachable, match=rf"^connection refused \(127\.0\.0\.19:{port}\)$"):
        SSHConnection.open(spec)
    assert time.monotonic() - started < 1


def test_listener_that_never_speaks_ssh_times_out_in_bounds(fleet: Fleet) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.20", 0))
        listener.listen()
        port = listener.getsockname()[1]
        spec = fleet.spec("h01", address="127.0.0.20", port=port, connect_timeout=1)
        started = time.monotonic()
        with pytest.raises(
            HostUnreachable,
            match=r"timed out after 1s waiting for the SSH "
            rf"handshake with 127\.0\.0\.20:{port}",
        ):
            SSHConnection.open(spec)
        elapsed = time.monotonic() - started

    assert 0.9 < elapsed < 3


def test_tcp_connect_timeout(fleet: Fleet) -> None:
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.21", 0))
        listener.listen(0)  # one queued connection fills the backlog; later SYNs are dropped
        address = listener.getsockname()
        filler.connect(address)
        spec = fleet.spec("h01", address="127.0.0.21", port=address[1], connect_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(
            HostUnreachable,
            match=r"timed out after 0\.5s connecting to "
            rf"127\.0\.0\.21:{address[1]}",
        ):
            SSHConnection.open(spec)

    assert time.monotonic() - started < 2


# -- ssh config -------------------------------------------------------------------------


def test_ssh_config_maps_an_alias(fleet: Fleet, tmp_path: Path) -> None:
    host = fleet.host("h04")
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host webby\n"
        f"    HostName {host.address}\n    Port {host.port}\n    User pbetest\n"
        f"    IdentityFile {fleet.private_key}\n    UserKnownHostsFile {fleet.known_hosts}\n"
        "Host *\n    User nobody\n    Port 1\n"
    )
    spec = fleet.spec(
        "h04",
        address="webby",
        port=None,
        user=None,
        private_key_file=None,
        known_hosts_files=(),
        ssh_config_file=str(config),
    )

    with SSHConnection.open(spec) as connection:
        ssh_connection = connection.run("id -un; echo $SSH_CONNECTION").out.split()

    assert ssh_connection[0] == "pbetest"
    assert ssh_connection[3:] == [host.address, str(host.port)]


def test_explicit_spec_values_win_over_ssh_config(fleet: Fleet, tmp_path: Path) -> None:
    host = fleet.host("h04")
    config = tmp_path / "ssh_config"
    config.write_text(f"Host webby\n    HostName {host.address}\n    Port 1\n    User nobody\n")
    spec = fleet.spec("h04", address="webby", ssh_config_file=str(config))

    with SSHConnection.open(spec) as connection:  # spec's port and user override the config
        assert connection.target.port == host.port
        assert connection.run("id -un").stdout == b"pbetest\n"
