"""The local side of persistent shells: one long-lived ``sh`` on pipes (protocol and
orchestration: ``session.py``), and ending process groups on this machine.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable

from .base import KILL_GRACE
from .session import (
    BOOT_SCRIPT,
    Demux,
    Expired,
    SessionLost,
    boot_argv,
    new_token,
    parse_ready,
    remaining,
)

logger = logging.getLogger(__name__)

_READ_CHUNK = 1 << 16
_WRITE_CHUNK = 1 << 16
_POLL = 0.25  # how often a wait checks the shell is alive where there is no pidfd


class PipeShell:
    """A session shell in a child process of pbe; serves one command at a time."""

    def __init__(self, proc: subprocess.Popen[bytes], mode: str) -> None:
        self.proc = proc
        self.mode = mode
        self.pid: int | None = None  # the running command's process group, once known
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._stdin, self._out, self._err = proc.stdin, proc.stdout.fileno(), proc.stderr.fileno()
        self._ended: set[int] = set()
        for fd in (self._out, self._err, self._stdin.fileno()):
            os.set_blocking(fd, False)
        self._pidfd = _pidfd(proc.pid)
        # A connection dropped without close() must not leave its shell running.
        self._release = weakref.finalize(self, _release, proc, self._pidfd)

    @classmethod
    def start(cls, shell: str, timeout: float) -> PipeShell | None:
        """Start a session shell whose commands run in ``shell``; None if it cannot."""
        token = new_token()
        try:
            proc = subprocess.Popen(
                boot_argv(token, shell),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            logger.debug("no session shell: %s", exc)
            return None
        session = cls(proc, "")
        try:
            session.send(BOOT_SCRIPT.encode(), time.monotonic() + timeout)
            mode = session._ready(token, time.monotonic() + timeout)
        except (SessionLost, Expired):
            mode = None
        if not mode:
            session.close()
            return None
        session.mode = mode
        return session

    def alive(self) -> bool:
        return self.proc.poll() is None and not self._ended

    def close(self) -> None:
        """Let the shell go (it ends at the end of its input), reap it; bounded."""
        self._release()
        self._pidfd = None

    def send(self, data: bytes, deadline: float | None) -> None:
        view, fd = memoryview(data), self._stdin.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_WRITE)
            while view:
                try:
                    view = view[os.write(fd, view[:_WRITE_CHUNK]) :]
                except BlockingIOError:
                    if not sel.select(remaining(deadline)):
                        remaining(deadline)
                except OSError as exc:
                    raise SessionLost(started=False) from exc

    def collect(
        self, demux: Demux, deadline: float | None, check: Callable[[], None], to_eof: bool = False
    ) -> None:
        """Read until ``demux`` is done (or, ``to_eof``, until both pipes end).

        Raises:
            Expired: at the deadline.
            SessionLost: the shell ended first.
        """
        feed: dict[int, Callable[[bytes], None]] = {
            self._out: demux.feed_out,
            self._err: demux.feed_err,
        }
        with selectors.DefaultSelector() as sel:
            for fd in feed:
                if fd not in self._ended:
                    sel.register(fd, selectors.EVENT_READ)
            if self._pidfd is not None:
                sel.register(self._pidfd, selectors.EVENT_READ)
            while True:
                check()
                if demux.done and not to_eof:
                    return
                if len(self._ended) == 2:
                    demux.flush()
                    if to_eof:
                        return
                    raise SessionLost(started=True)
                if not to_eof and self.proc.poll() not in (None, 0):
                    demux.flush()  # killed (a clean exit 0 comes after the end records)
                    raise SessionLost(started=True)
                self._read(sel, feed, deadline)

    def _read(
        self,
        sel: selectors.BaseSelector,
        feed: dict[int, Callable[[bytes], None]],
        deadline: float | None,
    ) -> None:
        timeout = remaining(deadline)
        if self._pidfd is None:  # nothing tells us the shell ended: look now and then
            timeout = _POLL if timeout is None else min(timeout, _POLL)
        events = sel.select(timeout)
        if not events:
            remaining(deadline)
        for key, _ in events:
            if key.fd == self._pidfd:
                sel.unregister(key.fd)  # poll() above now sees the exit
                continue
            chunk = os.read(key.fd, _READ_CHUNK)
            if chunk:
                feed[key.fd](chunk)
            else:
                sel.unregister(key.fd)
                self._ended.add(key.fd)

    def _ready(self, token: str, deadline: float) -> str | None:
        """The mode the shell announced, "" if it cannot serve, None if it never did."""
        seen = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self._out, selectors.EVENT_READ)
            sel.register(self._err, selectors.EVENT_READ)
            while (mode := parse_ready(seen, token)) is None:
                events = sel.select(remaining(deadline))
                if not events:
                    return None
                for key, _ in events:
                    chunk = os.read(key.fd, _READ_CHUNK)
                    if not chunk:
                        return None
                    if key.fd == self._out:
                        seen = (seen + chunk)[-4096:]
        return mode


def _release(proc: subprocess.Popen[bytes], pidfd: int | None) -> None:
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            _quietly(pipe.close)
    try:
        proc.wait(KILL_GRACE)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
    if pidfd is not None:
        _quietly(lambda: os.close(pidfd))


def kill_groups(pids: list[int]) -> None:
    """SIGTERM these process groups, and SIGKILL what is left of them once they are gone
    or ``KILL_GRACE`` has passed (from a thread: the caller does not wait)."""
    pids = [pid for pid in pids if pid > 1]
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    thread = threading.Thread(target=_kill_later, args=(pids,), daemon=True, name="pbe-kill-groups")
    thread.start()


def _kill_later(pids: list[int]) -> None:
    give_up = time.monotonic() + KILL_GRACE
    while time.monotonic() < give_up and any(_group_alive(pid) for pid in pids):
        time.sleep(0.05)
    for pid in pids:
        _signal_group(pid, signal.SIGKILL)


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux 5.3+), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except OSError:
        pass
