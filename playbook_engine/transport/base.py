"""The Connection contract every transport implements.

A connection runs POSIX ``sh`` command strings on one host and moves files. It is opened
once per host per run and may be used by several worker threads at once (hosts that
``delegate_to`` it): ``run``, ``put``, ``get`` and ``close`` must be thread-safe, and
``interrupt()`` and ``close()`` may be called from another thread (a signal, the end of a run).
"""

from __future__ import annotations

import abc
import io
from dataclasses import dataclass, field
from typing import IO

from ..errors import ModuleError

# How a command ends when the run is stopped under it (``interrupt()``: pbe got SIGTERM).
STOPPED = "stopped: pbe is interrupting the run"
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL for a command pbe ends


class SinkFailed(Exception):
    """Writing a command's output to the caller's ``stdout`` file failed (``cause``)."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(cause)
        self.cause = cause


class Sink:
    """Where a command's stdout goes: the caller's file, else a buffer that becomes the
    result's bytes without a copy."""

    def __init__(self, target: IO[bytes] | None = None) -> None:
        self._buffer = io.BytesIO()  # stays empty when there is a target
        self._target: IO[bytes] = self._buffer if target is None else target

    def write(self, data: bytes | memoryview) -> None:
        try:
            self._target.write(data)
        except OSError as exc:
            raise SinkFailed(exc) from exc

    def value(self) -> bytes:
        return self._buffer.getvalue()


def sink_error(exc: SinkFailed) -> ModuleError:
    return ModuleError(
        f"cannot store the command's output on the controller: {exc.cause.strerror or exc.cause}"
    )


def decode(data: bytes, strip_newlines: bool = False) -> str:
    """UTF-8 text of ``data`` (undecodable bytes replaced), optionally without its trailing
    newlines; stripped on the bytes, so a large output is copied once, not twice."""
    end = len(data)
    if strip_newlines:
        while end and data[end - 1] in b"\r\n":
            end -= 1
    return str(memoryview(data)[:end], "utf-8", "replace")


@dataclass(frozen=True, slots=True)
class CommandResult:
    rc: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def __bool__(self) -> bool:
        return self.ok

    @property
    def out(self) -> str:
        return decode(self.stdout)

    @property
    def err(self) -> str:
        return decode(self.stderr)


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """Everything needed to reach one host, resolved from inventory vars and CLI flags."""

    host: str  # inventory_hostname, for messages
    address: str  # ansible_host (or the name)
    port: int | None = None  # None: from ~/.ssh/config, else 22
    user: str | None = None
    password: str | None = None
    private_key_file: str | None = None
    connection: str = "ssh"  # "ssh" | "local"
    host_key_checking: str = "strict"  # "strict" | "accept-new" | "off"
    known_hosts_files: tuple[str, ...] = ()
    ssh_config_file: str | None = None  # None: ~/.ssh/config when it exists
    connect_timeout: float = 10.0
    command_timeout: float | None = None
    # Run commands through one long-lived shell per host (``session.py``) rather than
    # a new channel and shell each; hosts where that cannot work fall back by themselves.
    persistent_shell: bool = True
    extra: dict[str, object] = field(default_factory=dict)


class Connection(abc.ABC):
    """One open session to one host."""

    spec: ConnectionSpec

    @property
    def login_user(self) -> str | None:
        """Who commands run as before any become, when known."""
        return self.spec.user

    @abc.abstractmethod
    def run(
        self,
        command: str,
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        stdout: IO[bytes] | None = None,
        light: bool = False,
    ) -> CommandResult:
        """Run ``command`` with ``sh -c`` semantics; stdin is sent then closed.

        With ``stdout``, the command's output is written there as it arrives (a file of
        any size, never held in memory) and the result's ``stdout`` is empty.

        ``light``: ``command`` is a short read-only script of pbe's own that starts no
        process outliving it; a session shell may run it without a process group of its
        own (cheaper; see ``session``).

        Raises HostUnreachable if the connection is lost, CommandTimeout on timeout,
        ModuleError if ``stdout`` cannot be written (the command is then stopped).
        """

    @abc.abstractmethod
    def put(self, source: IO[bytes], remote_path: str, mode: int | None = None) -> None:
        """Stream ``source`` to ``remote_path`` (overwriting), optionally chmod-ing it."""

    @abc.abstractmethod
    def get(self, remote_path: str, dest: IO[bytes]) -> None:
        """Stream ``remote_path`` into ``dest``."""

    @abc.abstractmethod
    def interrupt(self) -> None:
        """Stop every command running on this connection now (SIGTERM to its process
        group, SIGKILL after ``KILL_GRACE``) and refuse new ones: their ``run`` raises
        ModuleError(STOPPED). Callable from any thread; idempotent."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release everything, ending commands still running; idempotent."""
