"""Transports: ``connect(spec)`` picks ssh or local from the connection spec."""

from __future__ import annotations

from .base import CommandResult, Connection, ConnectionSpec

__all__ = ["CommandResult", "Connection", "ConnectionSpec", "connect"]


def connect(spec: ConnectionSpec) -> Connection:
    """Open a connection; raises HostUnreachable with the reason when that fails."""
    if spec.connection == "local":
        from .local import LocalConnection

        return LocalConnection(spec)
    from .ssh import SSHConnection

    return SSHConnection.open(spec)
