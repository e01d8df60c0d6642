"""Transports: ``connect(spec)`` picks ssh or local from the connection spec."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import ModuleError
from .base import STOPPED, CommandResult, Connection, ConnectionSpec

__all__ = ["CommandResult", "Connection", "ConnectionCache", "ConnectionSpec", "connect"]


def connect(spec: ConnectionSpec) -> Connection:
    """Open a connection; raises HostUnreachable with the reason when that fails."""
    if spec.connection == "local":
        from .local import LocalConnection

        return LocalConnection(spec)
    from .ssh import SSHConnection

    return _off_stack(SSHConnection.open, spec)


def _off_stack(opener: Callable[[ConnectionSpec], Connection],
               spec: ConnectionSpec) -> Connection:
    """Run ``opener`` on a short-lived thread of its own and hand back its result or error.

    paramiko's authentication leaves exception <-> frame reference cycles behind (it tries
    each key type in turn). Until the cyclic GC runs, such a traceback keeps alive every
    frame below it, with the locals they end with: on the caller's stack, that is the
    task that opened the connection, its command output included (200 MB of output was
    held twice). On a thread of its own only that thread's frames are caught.
    """
    outcome: list[Connection | BaseException] = []

    def run() -> None:
        try:
            outcome.append(opener(spec))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, name=f"pbe-connect-{spec.host}", daemon=True)
    thread.start()
    thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


class ConnectionCache:
    """One connection per host for the whole run; ``close_all`` at the end.

    A host's connection is shared: by its own worker and by every worker delegating to it,
    at once. Transports make that safe per connection (SSH: one lock around SFTP, a
    channel per command); the lock here guards only the dict.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: dict[str, Connection] = {}
        self._opening: dict[str, threading.Lock] = {}
        self._stopping = False

    def get(self, spec: ConnectionSpec) -> Connection:
        """The host's open connection, connecting once even if many threads ask at once
        (every host delegating to the same one)."""
        with self._lock:
            conn = self._conns.get(spec.host)
            opening = self._opening.setdefault(spec.host, threading.Lock())
        if conn is not None:
            return conn
        if self._stopping:
            raise ModuleError(STOPPED)
        with opening:
            with self._lock:
                conn = self._conns.get(spec.host)
            if conn is None:
                conn = connect(spec)
                with self._lock:
                    self._conns[spec.host] = conn
                    stopping = self._stopping
                if stopping:  # interrupt_all() ran while this one was connecting
                    conn.interrupt()
        return conn

    def drop(self, host: str) -> None:
        with self._lock:
            conn = self._conns.pop(host, None)
        if conn is not None:
            conn.close()

    def interrupt_all(self) -> None:
        """Stop the commands running on every connection, and any new ones (SIGTERM)."""
        with self._lock:
            self._stopping = True
            conns = list(self._conns.values())
        for conn in conns:
            conn.interrupt()

    def close_all(self) -> None:
        with self._lock:
            conns, self._conns = list(self._conns.values()), {}
        for conn in conns:
            try:
                conn.close()
            except Exception:  # closing is best effort at the end of a run
                pass
