"""Runs commands on the controller itself: ``ansible_connection: local`` and unit tests.

Commands go to a long-lived ``/bin/sh`` on pipes (``session.py``, ``pipeshell.py``), as
over SSH; those it cannot carry (NUL bytes, large stdin) get a ``/bin/sh -c`` each.
Either way each command runs in a session (and process group) of its own, as sshd runs
a remote one:

* a timeout, an interrupted run or ``close()`` ends the whole group, background jobs
  included: SIGTERM, then SIGKILL once the shell has gone or ``KILL_GRACE`` has passed;
* a Ctrl-C at the terminal reaches pbe, which decides what happens to running commands
  (they finish, as remote ones do), not the commands themselves.

Output is drained from both pipes together into growing buffers that become the result's
``bytes`` without another copy (``BytesIO.getvalue()`` hands its buffer over), or into the
caller's file.
"""

from __future__ import annotations

import os
import pwd
import selectors
import shutil
import signal
import subprocess
import threading
import time
from typing import IO

from ..errors import CommandTimeout, ModuleError
from . import pipeshell
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
from .pipeshell import PipeShell
from .session import Expired, SessionLost, SessionPool, remaining, run_in_shell

_READ_CHUNK = 1 << 16
_WRITE_CHUNK = 1 << 16
_SHELLS = 3  # session shells at once (hosts delegating to the controller share it)
_SHELL = "/bin/sh"
_Proc = subprocess.Popen


class LocalConnection(Connection):
    @property
    def login_user(self) -> str | None:
        """The controller's own user: a local connection never logs in as another."""
        return self._user

    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        try:  # once: every command asks (become to the same user is no become)
            self._user: str | None = pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            self._user = None
        self._lock = threading.Lock()
        self._running: set[_Proc[bytes]] = set()
        self._stopping = False
        self._shells: SessionPool[PipeShell] = SessionPool(
            lambda: PipeShell.start(_SHELL, spec.connect_timeout), _SHELLS
        )
        self._shells.disabled = not spec.persistent_shell

    def run(
        self,
        command: str,
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        stdout: IO[bytes] | None = None,
        light: bool = False,
    ) -> CommandResult:
        limit = timeout or self.spec.command_timeout
        if self._stopping:
            raise ModuleError(STOPPED)
        try:
            result = run_in_shell(
                self._shells,
                self,
                command,
                stdin,
                limit,
                Sink(stdout),
                errors="surrogateescape",
                light=light,
            )
        except SinkFailed as exc:
            raise sink_error(exc) from None
        except SessionLost:
            raise ModuleError(
                STOPPED
                if self._stopping
                else (
                    "the shell that pbe keeps for local commands ended while the command was "
                    "running (was it killed?); the command was stopped and may have run in "
                    "part"
                )
            ) from None
        if result is not None:
            return result
        return self._run_alone(command, stdin, limit, stdout)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def kill_groups(self, pids: list[int]) -> None:
        pipeshell.kill_groups(pids)

    def _run_alone(
        self, command: str, stdin: bytes | None, limit: float | None, stdout: IO[bytes] | None
    ) -> CommandResult:
        """A ``/bin/sh -c`` of its own for this one command."""
        deadline = None if limit is None else time.monotonic() + limit
        proc = self._start(command)
        try:
            out, err = _communicate(proc, stdin or b"", deadline, Sink(stdout))
        except SinkFailed as exc:
            raise sink_error(exc) from None
        except Expired:
            _end_group(proc)
            if self._stopping:
                raise ModuleError(STOPPED) from None
            raise CommandTimeout(f"command timed out after {limit:g}s") from None
        finally:
            self._finish(proc)
        if self._stopping:
            raise ModuleError(STOPPED)
        return CommandResult(proc.returncode, out, err)

    def _start(self, command: str) -> _Proc[bytes]:
        with self._lock:
            if self._stopping:
                raise ModuleError(STOPPED)
            try:
                proc = subprocess.Popen(
                    ["/bin/sh", "-c", command],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ModuleError(f"cannot start /bin/sh: {exc.strerror}") from None
            self._running.add(proc)
        return proc

    def _finish(self, proc: _Proc[bytes]) -> None:
        """Never leave a command behind, whatever went wrong while reading it."""
        if proc.returncode is None:
            _end_group(proc)
        with self._lock:
            self._running.discard(proc)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    def interrupt(self) -> None:
        with self._lock:
            self._stopping = True
            procs = list(self._running)
        if pids := [pid for shell in self._shells.busy() if (pid := shell.pid) is not None]:
            pipeshell.kill_groups(pids)
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        if procs:
            timer = threading.Timer(KILL_GRACE, self._kill_running)
            timer.daemon = True
            timer.start()

    def _kill_running(self) -> None:
        with self._lock:
            procs = list(self._running)
        for proc in procs:
            _signal_group(proc, signal.SIGKILL)

    def put(self, source: IO[bytes], remote_path: str, mode: int | None = None) -> None:
        try:
            fd = os.open(
                remote_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode
            )
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            if mode is not None:
                os.chmod(remote_path, mode)
        except OSError as exc:
            raise ModuleError(f"cannot write {remote_path}: {exc.strerror}") from None

    def get(self, remote_path: str, dest: IO[bytes]) -> None:
        try:
            with open(remote_path, "rb") as src:
                shutil.copyfileobj(src, dest, 1 << 20)
        except OSError as exc:
            raise ModuleError(f"cannot read {remote_path}: {exc.strerror}") from None

    def close(self) -> None:
        """Ends the commands still running (a run cut short); idempotent."""
        self.interrupt()
        self._shells.close()  # the idle shells; busy ones end when their command does


# -- one command's pipes ------------------------------------------------------------------


def _communicate(
    proc: _Proc[bytes], data: bytes, deadline: float | None, sink: Sink
) -> tuple[bytes, bytes]:
    """Feed stdin and drain stdout (into ``sink``) and stderr together until both close,
    then reap."""
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    out, err = proc.stdout.fileno(), proc.stderr.fileno()
    buffers = {out: sink, err: Sink()}
    with selectors.DefaultSelector() as sel:
        for fd in buffers:
            sel.register(fd, selectors.EVENT_READ)
        stdin = _Feeder(proc.stdin, data, sel)
        while sel.get_map():
            events = sel.select(remaining(deadline))
            if not events:  # only the deadline wakes select() with nothing ready
                remaining(deadline)
            for key, _ in events:
                if key.fd == stdin.fd:
                    stdin.send()
                else:
                    _drain(key.fd, buffers[key.fd], sel)
    try:
        proc.wait(remaining(deadline))
    except subprocess.TimeoutExpired:
        raise Expired from None
    return buffers[out].value(), buffers[err].value()


def _drain(fd: int, buffer: Sink, sel: selectors.BaseSelector) -> None:
    chunk = os.read(fd, _READ_CHUNK)
    if chunk:
        buffer.write(chunk)
    else:
        sel.unregister(fd)


class _Feeder:
    """Writes stdin as the pipe makes room, never blocking the reader; closes it when all
    is written, or when the command stopped reading (EPIPE: not our error)."""

    def __init__(self, pipe: IO[bytes], data: bytes, sel: selectors.BaseSelector) -> None:
        self.fd, self._pipe, self._sel = pipe.fileno(), pipe, sel
        self._data, self._offset = memoryview(data), 0
        if data:
            os.set_blocking(self.fd, False)
            sel.register(self.fd, selectors.EVENT_WRITE)
        else:
            pipe.close()

    def send(self) -> None:
        end = self._offset + _WRITE_CHUNK
        try:
            self._offset += os.write(self.fd, self._data[self._offset : end])
        except BlockingIOError:
            return
        except OSError:
            self._offset = len(self._data)
        if self._offset >= len(self._data):
            self._sel.unregister(self.fd)
            self._pipe.close()


# -- ending a command's process group ------------------------------------------------------


def _end_group(proc: _Proc[bytes]) -> None:
    """SIGTERM the group; SIGKILL what is left once the shell has exited (or after
    ``KILL_GRACE``); then reap. The shell is waited for without being reaped, so its pid
    still names the group when SIGKILL goes out."""
    _signal_group(proc, signal.SIGTERM)
    give_up = time.monotonic() + KILL_GRACE
    while not _exited(proc.pid) and time.monotonic() < give_up:
        time.sleep(0.02)
    _signal_group(proc, signal.SIGKILL)
    proc.wait()


def _exited(pid: int) -> bool:
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _signal_group(proc: _Proc[bytes], signum: int) -> None:
    if proc.returncode is not None:  # reaped: the group id may belong to another now
        return
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
