"""Runs commands on the controller itself: ``ansible_connection: local`` and unit tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import IO

from ..errors import ModuleError
from .base import CommandResult, Connection, ConnectionSpec


class LocalConnection(Connection):
    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec

    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        timeout = timeout or self.spec.command_timeout
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", command],
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ModuleError(f"command timed out after {timeout}s") from None
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)

    def put(self, source: IO[bytes], remote_path: str, mode: int | None = None) -> None:
        try:
            fd = os.open(remote_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                         0o666 if mode is None else mode)
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
        pass
