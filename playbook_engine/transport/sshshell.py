"""The SSH side of persistent shells: one long-lived ``sh`` on one channel (protocol and
orchestration: ``session.py``), and the channel plumbing ``ssh.py`` shares with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import paramiko
from paramiko.common import MSG_CHANNEL_REQUEST

from .session import (
    BOOT_SCRIPT,
    Demux,
    Expired,
    SessionLost,
    boot_command,
    new_token,
    parse_ready,
    remaining,
)

logger = logging.getLogger(__name__)

READ_CHUNK = 1 << 18


class Wakeup(threading.Event):
    """Set by paramiko when either output buffer of a channel gets data or closes.

    This replaces ``Channel.fileno()`` + select: paramiko's OS pipe behind that fd is set
    and cleared by the stdout and stderr buffers under two different locks, so with both
    streams busy a wake-up can be lost and select() sleeps on buffered data for ever (seen
    here as a one-in-three hang). The buffers' ``clear()`` calls are ignored; only the
    reader resets the flag, and it re-checks both buffers right after.
    """

    def clear(self) -> None:
        """Ignored: only ``consume`` resets the flag."""

    def consume(self, timeout: float | None) -> None:
        self.wait(timeout)
        super().clear()


class _StatusEvent(threading.Event):
    """A channel's ``status_event`` that also wakes its reader."""

    def __init__(self, wake: Wakeup) -> None:
        super().__init__()
        self._wake = wake

    def set(self) -> None:
        super().set()
        self._wake.set()


def watch(chan: paramiko.Channel) -> Wakeup:
    """One event for everything a reader of ``chan`` waits for: data on either stream,
    end of file, the exit status (or signal), the channel closing."""
    wake = Wakeup()
    chan.in_buffer.set_event(wake)
    chan.in_stderr_buffer.set_event(wake)
    chan.status_event = _StatusEvent(wake)
    return wake


def quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as exc:  # closing a dead connection must not mask the real error
        logger.debug("ignored error while closing: %s", exc)


def note_exit_signals(transport: paramiko.Transport) -> None:
    """Make paramiko end a channel's wait for its exit status on "exit-signal" too.

    paramiko ignores that request, so a process killed by a signal is only noticed when
    its channel closes, which waits for every process holding its output: a session
    shell killed under a command would go unnoticed until the command ended. This
    transport gets its own copy of paramiko's (class-level) handler table.
    """
    table = dict(type(transport)._channel_handler_table)  # type: ignore[attr-defined]
    handle = table[MSG_CHANNEL_REQUEST]

    def on_request(chan: paramiko.Channel, m: paramiko.Message) -> None:
        at = m.packet.tell()
        signalled = m.get_text() == "exit-signal"
        m.packet.seek(at)
        handle(chan, m)
        if signalled:
            chan.status_event.set()  # exit_status stays -1: no status, a signal

    table[MSG_CHANNEL_REQUEST] = on_request
    transport._channel_handler_table = table  # type: ignore[attr-defined]


class ChannelShell:
    """A session shell on one SSH channel; serves one command at a time."""

    def __init__(self, chan: paramiko.Channel, mode: str, wake: Wakeup) -> None:
        self.chan = chan
        self.mode = mode
        self.wake = wake
        self.pid: int | None = None  # the running command's process group, once known

    @classmethod
    def start(cls, transport: paramiko.Transport, timeout: float) -> ChannelShell | None:
        """Boot a session shell; None if this host cannot run one (then: exec only).

        A command is only ever sent to a shell that answered with this boot's random
        token, never to whatever else a login (a forced command, an odd shell) runs.
        """
        chan = transport.open_session(timeout=timeout)
        wake = watch(chan)
        token = new_token()
        try:
            chan.exec_command(boot_command(token))
            chan.sendall(BOOT_SCRIPT.encode())
            mode = _ready(chan, wake, token, time.monotonic() + timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            logger.debug("no session shell: %s", exc)
            mode = None
        if not mode:
            quietly(chan.close)
            return None
        return cls(chan, mode, wake)

    def alive(self) -> bool:
        chan = self.chan
        return not (chan.closed or chan.eof_received or chan.status_event.is_set())

    def close(self) -> None:
        quietly(self.chan.close)

    def send(self, data: bytes, deadline: float | None) -> None:
        try:
            self.chan.settimeout(remaining(deadline))
            self.chan.sendall(data)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise SessionLost(started=False) from exc
        finally:
            quietly(lambda: self.chan.settimeout(None))

    def collect(
        self, demux: Demux, deadline: float | None, check: Callable[[], None], to_eof: bool = False
    ) -> None:
        """Read until ``demux`` is done (or, ``to_eof``, until the channel's end).

        Raises:
            Expired: at the deadline.
            SessionLost: the shell ended first (killed, or the connection went).
        """
        chan = self.chan
        while True:
            while chan.recv_ready():
                demux.feed_out(chan.recv(READ_CHUNK))
            while chan.recv_stderr_ready():
                demux.feed_err(chan.recv_stderr(READ_CHUNK))
            check()
            if demux.done and not to_eof:
                return
            if chan.eof_received or chan.closed:
                if chan.recv_ready() or chan.recv_stderr_ready():
                    continue
                demux.flush()
                if to_eof:
                    return
                raise SessionLost(started=True)
            if not to_eof and chan.status_event.is_set() and chan.exit_status != 0:
                demux.flush()  # killed (a clean exit 0 comes after the end records)
                raise SessionLost(started=True)
            self.wake.consume(remaining(deadline))


def _ready(chan: paramiko.Channel, wake: Wakeup, token: str, deadline: float) -> str | None:
    """The mode the shell announced, "" if it cannot serve, None if it never answered."""
    seen = b""
    while True:
        while chan.recv_ready():
            seen = (seen + chan.recv(READ_CHUNK))[-4096:]
        while chan.recv_stderr_ready():
            chan.recv_stderr(READ_CHUNK)  # whatever a login prints on its way
        if (mode := parse_ready(seen, token)) is not None:
            return mode
        if chan.eof_received or chan.closed:
            return None
        try:
            wake.consume(remaining(deadline))
        except Expired:
            return None
