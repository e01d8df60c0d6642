"""Process exit codes, as ansible-playbook documents them (with unreachable kept apart)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    HOST_FAILED = 2
    UNREACHABLE = 3
    PARSE = 4
    OPTIONS = 5
    INTERRUPTED = 99
    TERMINATED = 143  # SIGTERM (128 + 15), from the CLI only
    UNEXPECTED = 250
