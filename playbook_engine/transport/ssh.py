"""SSH transport on paramiko: one connection per host, a channel per command.

Why it is built this way:

* We open the TCP socket ourselves so we can set ``TCP_NODELAY``. paramiko sends each SSH
  packet with its own ``send()``; with Nagle on, a small request queued behind an
  unacknowledged one waits for the peer's delayed ACK (~40 ms) on every command.
* Commands run in a long-lived shell per host (``session.py``, ``sshshell.py``): no
  channel, sshd fork or shell start-up per command. A host where that cannot work, a
  command the shell cannot carry, or one beyond the few shells a connection keeps
  busy at once, gets a channel of its own, as below.
* A command's stdout and stderr are read together, event-driven: one event that
  paramiko sets when either stream gets data or the channel closes wakes the reader. No
  sleep-polling, and a full stderr can never stall a reader blocked on stdout. Output
  grows in a ``BytesIO``, whose buffer becomes the result's bytes without a copy, or
  goes straight into the caller's file.
* A command pbe ends (timeout, ``interrupt()``, ``close()``) is signalled through sshd
  (SIGTERM, then SIGKILL), which signals its whole process group: closing a channel or
  the connection alone would leave it running on the host. In a shell, its process
  group is signalled by a short command on a channel of its own.
* Host keys are checked against known_hosts (``knownhosts.py``) unless the user explicitly
  says otherwise; "accept-new" records unknown keys but never a second key for a host.
* Every connect failure becomes one ``HostUnreachable`` with a human reason; no paramiko
  or socket exception escapes.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import socket
import threading
import time
from collections.abc import Callable
from typing import IO

import paramiko
from paramiko.common import cMSG_CHANNEL_DATA, cMSG_CHANNEL_REQUEST

from ..errors import CommandTimeout, HostUnreachable, ModuleError, OptionsError
from .base import (
    KILL_GRACE,
    STOPPED,
    CommandResult,
    Connection,
    ConnectionSpec,
    Sink,
    SinkFailed,
    sink_error,
)
from .knownhosts import HOST_KEY_MODES, HostKeyCheck
from .session import (
    SESSION_SHELL,
    Expired,
    SessionLost,
    SessionPool,
    kill_script,
    remaining,
    run_in_shell,
)
from .sshshell import (
    READ_CHUNK,
    ChannelShell,
    Wakeup,
    note_exit_signals,
    quietly,
    watch,
)
from .sshtarget import GLOBAL_KNOWN_HOSTS, SSHTarget, os_reason, resolve_target

__all__ = ["SSHConnection", "SSHTarget", "resolve_target"]  # the last two: sshtarget.py

logger = logging.getLogger(__name__)

_PUT_CHUNK = 1 << 18
_PREFETCH_REQUESTS = 64
_KEEPALIVE_SECONDS = 30
# paramiko's transport thread wakes up every 0.1 s to look at its own state (closed?
# keepalive due?): at 500 hosts, 5000 wake-ups a second that each take the GIL. Once
# connected, once a second is enough (keepalives are 30 s apart; data and EOF wake the
# thread at once; a closed connection's thread ends within the second, as a daemon).
_IDLE_POLL_SECONDS = 1.0
_SHELLS = 3  # session shells per connection (sshd's MaxSessions is 10 by default)
_NO_STATUS_NOTE = b"\n[pbe] the remote command ended without an exit status (killed by a signal?)\n"

# paramiko logs transport-thread failures at ERROR, with tracebacks, even when we turn them
# into a HostUnreachable; its records go to this logger and are demoted to DEBUG.
_WIRE_LOG = f"{__name__}.paramiko"


class _DemoteToDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(_WIRE_LOG).isEnabledFor(logging.DEBUG)


logging.getLogger(_WIRE_LOG).addFilter(_DemoteToDebug())

# -- connecting -------------------------------------------------------------------------


def _tcp_connect(target: SSHTarget, timeout: float) -> socket.socket:
    """Open the TCP connection with NODELAY set; every failure gets a precise reason."""
    try:
        sock = socket.create_connection((target.hostname, target.port), timeout=timeout)
    except socket.gaierror as exc:
        raise HostUnreachable(
            f"name does not resolve: {target.hostname} ({exc.strerror})"
        ) from None
    except ConnectionRefusedError:
        raise HostUnreachable(f"connection refused ({target.label})") from None
    except TimeoutError:
        raise HostUnreachable(
            f"timed out after {timeout:g}s connecting to {target.label}"
        ) from None
    except OSError as exc:
        raise HostUnreachable(f"cannot connect to {target.label}: {os_reason(exc)}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    return sock


def _make_client(
    spec: ConnectionSpec, target: SSHTarget
) -> tuple[paramiko.SSHClient, HostKeyCheck]:
    """A client holding no host keys: ``HostKeyCheck`` judges every key ("off" reads none)."""
    if spec.host_key_checking not in HOST_KEY_MODES:
        raise OptionsError(
            f"unknown host key checking mode {spec.host_key_checking!r} "
            f"(use one of: {', '.join(HOST_KEY_MODES)})"
        )
    writable = [p for p in target.known_hosts_files if p not in (GLOBAL_KNOWN_HOSTS, os.devnull)]
    check = HostKeyCheck(
        spec.host_key_checking,
        target.known_hosts_name,
        target.known_hosts_files,
        writable[0] if writable else None,
    )
    client = paramiko.SSHClient()
    client.set_log_channel(_WIRE_LOG)
    client.set_missing_host_key_policy(check)
    return client, check


def _handshake(
    client: paramiko.SSHClient,
    check: HostKeyCheck,
    sock: socket.socket,
    spec: ConnectionSpec,
    target: SSHTarget,
) -> None:
    """SSH handshake and auth; connect, banner, auth and channel timeouts all explicit."""
    timeout = spec.connect_timeout
    client.connect(
        target.hostname,
        target.port,
        username=target.user,
        password=spec.password,
        key_filename=list(target.key_files) or None,  # type: ignore[arg-type]  # list is fine
        allow_agent=target.allow_agent,
        look_for_keys=False,
        sock=sock,
        timeout=timeout,
        banner_timeout=timeout,
        auth_timeout=timeout,
        channel_timeout=timeout,
        transport_factory=check.transport,
    )


def _leave_rekeying_to_the_server(transport: paramiko.Transport) -> None:
    """Never start a rekey from our side; OpenSSH servers rekey on their own RekeyLimit.

    paramiko rekeys after 512 MiB, and if the server closes a channel in that window,
    paramiko's transport thread waits for the very key exchange only it can finish: 30 s
    later the connection dies ("Key-exchange timed out"). Server-initiated rekeys are safe:
    the server sends nothing else once it has asked for one.
    """
    transport.packetizer.REKEY_BYTES = transport.packetizer.REKEY_PACKETS = 1 << 62


def _connect_failure(exc: BaseException, target: SSHTarget, spec: ConnectionSpec) -> str:
    """Turn whatever paramiko raised during connect into one human sentence."""
    if isinstance(exc, paramiko.AuthenticationException) or "authentication methods" in str(exc):
        return f"authentication failed for user {target.user} on {target.label} " + (
            _auth_detail(exc, target, spec)
        )
    return _handshake_failure(exc, target, spec.connect_timeout)


def _auth_detail(exc: BaseException, target: SSHTarget, spec: ConnectionSpec) -> str:
    if isinstance(exc, paramiko.BadAuthenticationType):
        return f"(the server only allows: {', '.join(exc.allowed_types)})"
    if isinstance(exc, paramiko.PasswordRequiredException):
        return f"({exc}: load it into ssh-agent, or use an unencrypted key)"
    tried = [f"key {k}" for k in target.key_files]
    if target.allow_agent and os.environ.get("SSH_AUTH_SOCK"):
        tried.append("ssh-agent keys")
    if spec.password is not None:
        tried.append("password")
    return f"(tried: {', '.join(tried)})" if tried else "(no password, key or agent to offer)"


def _handshake_failure(exc: BaseException, target: SSHTarget, timeout: float) -> str:
    text, cause = str(exc), exc.__context__
    stalled = isinstance(exc, TimeoutError) or isinstance(cause, TimeoutError)
    if stalled or text == "No existing session":  # the latter: start_client's timeout hit
        return (
            f"timed out after {timeout:g}s waiting for the SSH handshake with "
            f"{target.label} (is it an SSH server?)"
        )
    if "Indecipherable" in text or "version" in text:
        return f"{target.label} did not answer as an SSH server ({text})"
    if "protocol banner" in text or isinstance(exc, (EOFError, ConnectionError)):
        return f"{target.label} closed the connection during the SSH handshake"
    if isinstance(exc, OSError):
        return f"network error talking to {target.label}: {os_reason(exc)}"
    return f"SSH connection to {target.label} failed: {text or type(exc).__name__}"


# -- the connection ---------------------------------------------------------------------


class SSHConnection(Connection):
    """One authenticated SSH connection to one host, reused for every command and file."""

    @property
    def login_user(self) -> str | None:
        return self.target.user  # the spec's, else ~/.ssh/config's, else the local user

    def __init__(self, spec: ConnectionSpec, target: SSHTarget, client: paramiko.SSHClient) -> None:
        transport = client.get_transport()
        if transport is None:
            raise HostUnreachable(f"SSH connection to {target.label} is not open")
        self.spec = spec
        self.target = target
        self.transport: paramiko.Transport = transport
        self._client = client
        self._sftp: paramiko.SFTPClient | None = None
        self._lock = threading.Lock()  # _sftp and _closed; close() takes only this one
        # paramiko's SFTPClient is not thread-safe, and hosts delegating to this one share
        # it: one transfer at a time. Exec channels need no lock (one channel per command).
        self._sftp_lock = threading.Lock()
        self._closed = False
        self._stopping = False
        self._channels: set[paramiko.Channel] = set()  # commands running now
        self._shells: SessionPool[ChannelShell] = SessionPool(self._start_shell, _SHELLS)
        self._shells.disabled = not spec.persistent_shell

    @classmethod
    def open(cls, spec: ConnectionSpec) -> SSHConnection:
        """Connect and authenticate; ``spec.connect_timeout`` bounds each phase (TCP,
        banner, key exchange, auth) separately.

        Raises:
            HostUnreachable: with the reason (refused, timeout, auth, host key, DNS...).
            OptionsError: ``spec.host_key_checking`` is not a known mode.
        """
        target = resolve_target(spec)
        client, check = _make_client(spec, target)
        sock = _tcp_connect(target, spec.connect_timeout)
        try:
            _handshake(client, check, sock, spec, target)
        except HostUnreachable:
            _discard(client, sock)
            raise
        except Exception as exc:
            _discard(client, sock)
            raise HostUnreachable(_connect_failure(exc, target, spec)) from exc
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(_KEEPALIVE_SECONDS)
            transport.sock.settimeout(_IDLE_POLL_SECONDS)
            _leave_rekeying_to_the_server(transport)
            note_exit_signals(transport)
        logger.debug("connected to %s as %s", target.label, target.user)
        conn = cls(spec, target, client)
        conn._shells.prime()  # while still connecting: in parallel with the other hosts
        return conn

    def __enter__(self) -> SSHConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- commands -----------------------------------------------------------------------

    def run(
        self,
        command: str,
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        stdout: IO[bytes] | None = None,
        light: bool = False,
    ) -> CommandResult:
        """Run ``command`` in the host's session shell, or on a channel of its own.

        Raises:
            CommandTimeout: the command outlived ``timeout`` (or ``spec.command_timeout``).
            ModuleError: the run is being interrupted, the output could not be stored, or
                the session shell was killed under the command.
            HostUnreachable: the connection was lost or the server refused the command.
        """
        limit = timeout if timeout is not None else self.spec.command_timeout
        self._check_open()
        try:
            result = run_in_shell(
                self._shells, self, command, stdin, limit, Sink(stdout), light=light
            )
        except SinkFailed as exc:
            raise sink_error(exc) from None
        except SessionLost:
            raise self._shell_lost() from None
        if result is None:
            return self._run_on_channel(command, stdin, limit, stdout)
        self._check_open()  # close() ended the command: that is no result
        return result

    def _run_on_channel(
        self, command: str, stdin: bytes | None, limit: float | None, stdout: IO[bytes] | None
    ) -> CommandResult:
        """Exec-per-command: a fresh channel and login shell for this one command."""
        deadline = None if limit is None else time.monotonic() + limit
        chan = self._open_channel()
        wake = watch(chan)  # before anything can arrive on the channel
        feeder: threading.Thread | None = None
        try:
            chan.exec_command(command)
            feeder = _feed_stdin(chan, stdin or b"")
            out, err = _collect(chan, wake, deadline, Sink(stdout))
            rc = _exit_status(chan, deadline)
        except SinkFailed as exc:
            _end_command(self.transport, chan)
            raise sink_error(exc) from None
        except Expired:
            _end_command(self.transport, chan)
            raise (
                ModuleError(STOPPED)
                if self._stopping
                else CommandTimeout(f"command timed out after {limit:g}s")
            ) from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise self._lost(exc) from exc
        finally:
            self._forget(chan)
            if feeder is not None:
                feeder.join()
        return self._result(chan, rc, out, err)

    def _result(self, chan: paramiko.Channel, rc: int, out: bytes, err: bytes) -> CommandResult:
        if self._stopping:
            raise ModuleError(STOPPED)
        if rc == -1:
            if not chan.eof_received or not self.transport.is_active():
                raise self._lost(None)
            err += _NO_STATUS_NOTE
        return CommandResult(rc, out, err)

    def _forget(self, chan: paramiko.Channel) -> None:
        with self._lock:
            self._channels.discard(chan)
        quietly(chan.close)  # on a dead connection this raises; the cause is reported

    def interrupt(self) -> None:
        with self._lock:
            self._stopping = True
            chans = list(self._channels)
        self._kill_in_shells()
        for chan in chans:
            _signal(self.transport, chan, "TERM")
        if chans:
            timer = threading.Timer(KILL_GRACE, self._kill_running)
            timer.daemon = True
            timer.start()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def kill_groups(self, pids: list[int]) -> None:
        """Have the host SIGTERM these process groups, and SIGKILL them ``KILL_GRACE``
        later (by a process of its own there: it works even once we are gone)."""
        try:
            chan = self.transport.open_session(timeout=self.spec.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            logger.debug("cannot stop %s on %s: %s", pids, self.target.label, exc)
            return
        try:
            chan.exec_command(f"exec {SESSION_SHELL} -c {shlex.quote(kill_script(pids))}")
            chan.status_event.wait(self.spec.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            logger.debug("cannot stop %s on %s: %s", pids, self.target.label, exc)
        finally:
            quietly(chan.close)

    def _kill_in_shells(self) -> None:
        pids = [pid for shell in self._shells.busy() if (pid := shell.pid) is not None]
        if pids:
            self.kill_groups(pids)

    def _start_shell(self) -> ChannelShell | None:
        try:
            return ChannelShell.start(self.transport, self.spec.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if not self.transport.is_active():
                raise self._lost(exc) from exc
            logger.debug("no session shell on %s: %s", self.target.label, exc)
            return None

    def _shell_lost(self) -> Exception:
        if self._closed or not self.transport.is_active():
            return self._lost(None)
        if self._stopping:
            return ModuleError(STOPPED)
        return ModuleError(
            f"the shell that pbe keeps on {self.target.label} ended while the command was "
            "running (was it killed?); the command was stopped and may have run in part"
        )

    def _check_open(self) -> None:
        if self._closed:
            raise HostUnreachable(f"connection to {self.target.label} is closed")
        if self._stopping:
            raise ModuleError(STOPPED)

    def _kill_running(self) -> None:
        with self._lock:
            chans = list(self._channels)
        for chan in chans:
            _signal(self.transport, chan, "KILL")

    def _open_channel(self) -> paramiko.Channel:
        self._check_open()
        try:
            chan = self.transport.open_session(timeout=self.spec.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise self._lost(exc) from exc
        with self._lock:
            self._channels.add(chan)
        return chan

    def _lost(self, exc: BaseException | None) -> HostUnreachable:
        if self._closed:
            return HostUnreachable(f"connection to {self.target.label} is closed")
        if not self.transport.is_active():
            cause = self.transport.get_exception() or exc
            why = f": {os_reason(cause)}" if cause else ""
            return HostUnreachable(f"connection to {self.target.label} lost{why}")
        why = os_reason(exc) if exc else "channel closed"
        return HostUnreachable(f"{self.target.label} refused to run the command: {why}")

    # -- files --------------------------------------------------------------------------

    def put(self, source: IO[bytes], remote_path: str, mode: int | None = None) -> None:
        """Stream ``source`` to ``remote_path``; the mode is set before any data is written.

        Raises:
            ModuleError: the remote side refused (no such directory, permission denied...).
            HostUnreachable: the connection was lost.
        """

        def upload(sftp: paramiko.SFTPClient) -> None:
            with sftp.open(remote_path, "wb", bufsize=0) as remote:
                if mode is not None:
                    remote.chmod(mode)
                remote.set_pipelined(True)
                shutil.copyfileobj(source, remote, _PUT_CHUNK)

        self._sftp_call("write", remote_path, upload)

    def get(self, remote_path: str, dest: IO[bytes]) -> None:
        """Stream ``remote_path`` into ``dest``.

        Raises:
            ModuleError: the file is missing or unreadable.
            HostUnreachable: the connection was lost.
        """
        self._sftp_call(
            "read",
            remote_path,
            lambda sftp: sftp.getfo(
                remote_path, dest, max_concurrent_prefetch_requests=_PREFETCH_REQUESTS
            ),
        )

    def _sftp_call(
        self, verb: str, path: str, action: Callable[[paramiko.SFTPClient], object]
    ) -> None:
        try:
            with self._sftp_lock:
                action(self._sftp_session())
        except (paramiko.SSHException, EOFError) as exc:
            raise self._lost(exc) from exc
        except OSError as exc:
            if not self.transport.is_active():
                raise self._lost(exc) from exc
            raise ModuleError(
                f"cannot {verb} {path} on {self.spec.host}: {os_reason(exc)}"
            ) from None

    def _sftp_session(self) -> paramiko.SFTPClient:
        """The host's one SFTP session, opened on first use."""
        with self._lock:
            if self._closed:
                raise HostUnreachable(f"connection to {self.target.label} is closed")
            if self._sftp is None:
                try:
                    self._sftp = paramiko.SFTPClient.from_transport(self.transport)
                except (paramiko.SSHException, EOFError, OSError) as exc:
                    if not self.transport.is_active():
                        raise self._lost(exc) from exc
                    raise ModuleError(
                        f"SFTP is not available on {self.target.label}: {os_reason(exc)}"
                    ) from None
            if self._sftp is None:
                raise ModuleError(f"SFTP is not available on {self.target.label}")
            return self._sftp

    def close(self) -> None:
        """Close the SFTP session and the connection, after having the host SIGTERM the
        commands still running; idempotent, callable from any thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sftp, self._sftp = self._sftp, None
            chans = list(self._channels)
        busy = self._shells.close()
        if pids := [pid for shell in busy if (pid := shell.pid) is not None]:
            self.kill_groups(pids)
        for chan in chans:
            _signal(self.transport, chan, "TERM")
        if sftp is not None:
            quietly(sftp.close)
        quietly(self._client.close)


# -- reading a command's output ---------------------------------------------------------


def _feed_stdin(chan: paramiko.Channel, data: bytes) -> threading.Thread | None:
    """Send stdin then EOF. Data that fits the peer's window goes inline; more goes from a
    thread, since a command may not read its input until we drain its output."""
    if len(data) <= chan.out_window_size:
        _send_input(chan, data)
        return None
    feeder = threading.Thread(
        target=_send_input, args=(chan, data), daemon=True, name="pbe-ssh-stdin"
    )
    feeder.start()
    return feeder


def _send_input(chan: paramiko.Channel, data: bytes) -> None:
    """Send ``data`` then EOF, stopping quietly if the command's channel closes first.

    A command may end (and sshd close its channel) before its stdin is sent. paramiko
    checks a channel is open, lets go of its lock, then sends; if it closes the channel
    in between, sshd frees it, and a data or EOF message for a freed channel makes sshd
    drop the whole connection ("data packet referred to nonexistent channel"). So each
    message is checked and queued under the channel's lock, as paramiko's own ``_send``
    does but without letting go of it (private names: paramiko has no such call).
    """
    view, send = memoryview(data), chan.transport._send_user_message  # type: ignore[union-attr]
    try:
        while True:
            with chan.lock:
                if chan.closed:
                    return
                if not view:
                    if (eof := chan._send_eof()) is not None:  # type: ignore[attr-defined]
                        send(eof)
                    return
                # waits, letting go of the lock, for room in the window
                size = chan._wait_for_send_window(len(view))  # type: ignore[attr-defined]
                if size == 0:  # closed (or EOF sent) meanwhile
                    return
                msg = paramiko.Message()
                msg.add_byte(cMSG_CHANNEL_DATA)
                msg.add_int(chan.remote_chanid)
                msg.add_string(bytes(view[:size]))
                send(msg)
            view = view[size:]
    except (OSError, EOFError, paramiko.SSHException) as exc:
        logger.debug("stdin not sent: %s", exc)  # a lost connection shows in the output


def _collect(
    chan: paramiko.Channel, wake: Wakeup, deadline: float | None, out: Sink
) -> tuple[bytes, bytes]:
    """Drain stdout (into ``out``) and stderr until EOF, sleeping only until paramiko
    feeds either."""
    err = Sink()
    while True:
        while chan.recv_ready():
            out.write(chan.recv(READ_CHUNK))
        while chan.recv_stderr_ready():
            err.write(chan.recv_stderr(READ_CHUNK))
        if (chan.eof_received or chan.closed) and not (
            chan.recv_ready() or chan.recv_stderr_ready()
        ):
            return out.value(), err.value()
        wake.consume(remaining(deadline))


def _end_command(transport: paramiko.Transport, chan: paramiko.Channel) -> None:
    """SIGTERM the command's process group; SIGKILL it if it is still there after
    ``KILL_GRACE``."""
    _signal(transport, chan, "TERM")
    if not chan.status_event.wait(KILL_GRACE):
        _signal(transport, chan, "KILL")


def _signal(transport: paramiko.Transport, chan: paramiko.Channel, name: str) -> None:
    """Have sshd send signal ``name`` to the command's process group (RFC 4254 section
    6.9 "signal"; OpenSSH >= 7.9 signals the session's process group).

    Only while the channel is open: a request for a channel sshd has already freed makes
    it drop the whole connection. Holding the channel's lock keeps paramiko from closing
    it in between. paramiko has no public call for this request, hence the private names.
    """
    msg = paramiko.Message()
    msg.add_byte(cMSG_CHANNEL_REQUEST)
    msg.add_int(chan.remote_chanid)
    msg.add_string("signal")
    msg.add_boolean(False)
    msg.add_string(name)
    with chan.lock:
        if chan.closed or not transport.is_active():
            return
        quietly(lambda: transport._send_user_message(msg))  # type: ignore[attr-defined]


def _exit_status(chan: paramiko.Channel, deadline: float | None) -> int:
    if not chan.status_event.wait(remaining(deadline)):
        raise Expired
    return chan.exit_status


def _discard(client: paramiko.SSHClient, sock: socket.socket) -> None:
    quietly(client.close)
    quietly(sock.close)
