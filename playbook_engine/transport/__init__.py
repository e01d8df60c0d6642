"""Transports: ``connect(spec)`` picks ssh or local from the connection spec."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable

from ..errors import ModuleError
from .base import STOPPED, CommandResult, Connection, ConnectionSpec

_PREFETCH_GRACE = 30.0  # seconds close_all waits for connections still being opened

__all__ = ["CommandResult", "Connection", "ConnectionCache", "ConnectionSpec", "connect"]


def connect(spec: ConnectionSpec) -> Connection:
    """Open a connection; raises HostUnreachable with the reason when that fails."""
    if spec.connection == "local":
        return _open(spec)
    return _off_stack(_open, spec)


def _open(spec: ConnectionSpec) -> Connection:
    if spec.connection == "local":
        from .local import LocalConnection

        return LocalConnection(spec)
    from .ssh import SSHConnection

    return SSHConnection.open(spec)


def _off_stack(opener: Callable[[ConnectionSpec], Connection], spec: ConnectionSpec) -> Connection:
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
    """One connection per host for the whole run (reopened when a task asks for other
    settings: another ``connection:``, user, address ...); ``close_all`` at the end.

    A host's connection is shared: by its own worker and by every worker delegating to it,
    at once. Transports make that safe per connection (SSH: one lock around SFTP, a
    pool of shells); the lock here guards only the dicts.

    ``prefetch`` opens connections ahead of the first task that needs them, in the
    background. Such a connection is only taken as it is: the first ``get`` for its host
    asks for the same settings (else it is replaced), and a failure to connect is
    raised there, as if that ``get`` had tried.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: dict[str, Connection] = {}
        self._opening: dict[str, threading.Lock] = {}
        self._early: dict[str, ConnectionSpec] = {}  # prefetched, not yet asked for
        self._failed: dict[str, tuple[ConnectionSpec, BaseException]] = {}
        self._stopping = False
        self._prefetchers: list[threading.Thread] = []
        self._closed = False
        self._retired: list[Connection] = []  # replaced by one with other settings

    def get(self, spec: ConnectionSpec) -> Connection:
        """The host's open connection, connecting once even if many threads ask at once
        (every host delegating to the same one)."""
        with self._lock:
            conn = self._conns.get(spec.host)
            opening = self._opening.setdefault(spec.host, threading.Lock())
            fresh = spec.host not in self._early and spec.host not in self._failed
        if conn is not None and fresh and conn.spec == spec:
            return conn
        if self._stopping:
            raise ModuleError(STOPPED)
        with opening:
            conn = self._settle_early(spec)
            if conn is not None and conn.spec != spec:  # other settings: a play's or
                self._retire(spec.host, conn)  # task's `connection:`, `remote_user` ...
                conn = None
            if conn is None:
                conn = connect(spec)
                self._keep(spec.host, conn)
        return conn

    def _settle_early(self, spec: ConnectionSpec) -> Connection | None:
        """The cached connection, once a prefetched one is confirmed (or dropped: other
        settings); a prefetch's failure is raised here, once."""
        with self._lock:
            early = self._early.pop(spec.host, None)
            failed = self._failed.pop(spec.host, None)
            conn = self._conns.get(spec.host)
        if failed is not None and failed[0] == spec:
            raise failed[1]
        if early is not None and early != spec and conn is not None:
            with self._lock:
                self._conns.pop(spec.host, None)
            conn.close()
            return None
        return conn

    def _retire(self, host: str, conn: Connection) -> None:
        """A host's connection opened with other settings than a task now asks for: no
        longer handed out, closed at the end (a task may still be using it)."""
        with self._lock:
            if self._conns.get(host) is conn:
                del self._conns[host]
            self._retired.append(conn)

    def _keep(self, host: str, conn: Connection) -> None:
        with self._lock:
            self._conns[host] = conn
            stopping = self._stopping
        if stopping:  # interrupt_all() ran while this one was connecting
            conn.interrupt()

    def prefetch(
        self, hosts: Iterable[str], spec_of: Callable[[str], ConnectionSpec], limit: int
    ) -> None:
        """Start connecting to ``hosts`` now, on at most ``limit`` threads that also work
        out each host's settings (``spec_of``); returns at once. Hosts already connected
        or connecting, and hosts whose settings cannot be worked out (their first task
        will say why), are left alone."""
        todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        count = 0
        with self._lock:
            for host in hosts:
                if host not in self._conns and host not in self._opening:
                    self._opening[host] = threading.Lock()
                    todo.put(host)
                    count += 1
        for n in range(min(limit, count)):
            thread = threading.Thread(
                target=self._prefetch_from,
                args=(todo, spec_of),
                daemon=True,
                name=f"pbe-prefetch-{n}",
            )
            thread.start()
            with self._lock:
                self._prefetchers.append(thread)

    def _prefetch_from(
        self, todo: queue.SimpleQueue[str], spec_of: Callable[[str], ConnectionSpec]
    ) -> None:
        while not (self._stopping or self._closed):
            try:
                host = todo.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                opening = self._opening[host]
            with opening:
                try:
                    spec = spec_of(host)
                except Exception:  # noqa: BLE001 - reported by the host's first task
                    continue
                self._prefetch_one(spec)

    def _prefetch_one(self, spec: ConnectionSpec) -> None:
        if self._stopping or self._closed:
            return
        try:
            conn = _open(spec)  # this thread's own stack: nothing of a task's to keep
        except Exception as exc:  # raised by the first get() for the host
            with self._lock:
                self._failed[spec.host] = (spec, exc)
            return
        with self._lock:
            closed = self._closed
            if not closed:
                self._conns[spec.host] = conn
                self._early[spec.host] = spec
        if closed:
            conn.close()
        elif self._stopping:
            conn.interrupt()

    def drop(self, host: str) -> None:
        with self._lock:
            conn = self._conns.pop(host, None)
            self._early.pop(host, None)
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
            self._closed = True
            conns, self._conns = [*self._conns.values(), *self._retired], {}
            self._retired = []
            self._early.clear()
        for conn in conns:
            try:
                conn.close()
            except Exception:  # closing is best effort at the end of a run
                pass
        # A prefetch still resolving or connecting (a run that needed no connection ends
        # fast) must not be inside the C resolver when the interpreter exits: glibc aborts
        # the process ("FATAL: exception not rethrown"). They stop at the next host.
        deadline = time.monotonic() + _PREFETCH_GRACE
        for thread in self._prefetchers:
            thread.join(max(0.0, deadline - time.monotonic()))
