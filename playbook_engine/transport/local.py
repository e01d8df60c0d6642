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
        with open(remote_path, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        if mode is not None:
            os.chmod(remote_path, mode)

    def get(self, remote_path: str, dest: IO[bytes]) -> None:
        with open(remote_path, "rb") as src:
            shutil.copyfileobj(src, dest, 1 << 20)

    def close(self) -> None:
        pass
