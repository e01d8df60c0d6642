"""The Connection contract every transport implements.

A connection runs POSIX ``sh`` command strings on one host and moves files. It is opened
once per host per run and may be used by several worker threads at once (hosts that
``delegate_to`` it): ``run``, ``put``, ``get`` and ``close`` must be thread-safe.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import IO


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
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    """Everything needed to reach one host, resolved from inventory vars and CLI flags."""

    host: str                      # inventory_hostname, for messages
    address: str                   # ansible_host (or the name)
    port: int | None = None        # None: from ~/.ssh/config, else 22
    user: str | None = None
    password: str | None = None
    private_key_file: str | None = None
    connection: str = "ssh"        # "ssh" | "local"
    host_key_checking: str = "strict"   # "strict" | "accept-new" | "off"
    known_hosts_files: tuple[str, ...] = ()
    ssh_config_file: str | None = None  # None: ~/.ssh/config when it exists
    connect_timeout: float = 10.0
    command_timeout: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


class Connection(abc.ABC):
    """One open session to one host."""

    spec: ConnectionSpec

    @abc.abstractmethod
    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        """Run ``command`` with ``sh -c`` semantics; stdin is sent then closed.

        Raises HostUnreachable if the connection is lost, ModuleError on timeout.
        """

    @abc.abstractmethod
    def put(self, source: IO[bytes], remote_path: str, mode: int | None = None) -> None:
        """Stream ``source`` to ``remote_path`` (overwriting), optionally chmod-ing it."""

    @abc.abstractmethod
    def get(self, remote_path: str, dest: IO[bytes]) -> None:
        """Stream ``remote_path`` into ``dest``."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release everything; idempotent."""
