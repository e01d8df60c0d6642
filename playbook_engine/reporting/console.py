"""Human output in plain lines, shaped like ansible-playbook's where scripts parse it.

Results of one task are printed when the task ends, in inventory order, so the output
does not depend on thread timing. No colour and no escape codes: this is the output for
pipes, CI logs and ``--log FILE``; a terminal gets the live view (``live.py``).
"""

from __future__ import annotations

from typing import TextIO

from ..events import (
    CommandSent,
    Event,
    HostResult,
    PlayStart,
    RunEnd,
    RunStart,
    RunWarning,
    TaskEnd,
    TaskStart,
)
from .profile import Profile
from .text import ResultFormatter, banner, command_lines, recap_lines, render_diff

__all__ = ["ConsoleSink", "check_summary", "render_diff"]


class ConsoleSink:
    def __init__(self, out: TextIO, verbosity: int = 0, profile: bool = False) -> None:
        self.out = out
        self.verbosity = verbosity
        self.formatter = ResultFormatter(verbosity)
        self.profile = Profile() if profile else None
        self._buffer: list[HostResult] = []
        self._commands: dict[str, list[str]] = {}
        self._hosts: tuple[str, ...] = ()
        self._results = 0
        self._unknown = 0

    def handle(self, event: Event) -> None:
        if self.profile is not None:
            self.profile.handle(event)
        if isinstance(event, PlayStart):
            self._write(f"\n{banner(f'PLAY [{event.name}]')}")
        elif isinstance(event, TaskStart):
            self._hosts = event.hosts
            self._buffer = []
            kind = "RUNNING HANDLER" if event.is_handler else "TASK"
            self._write(f"\n{banner(f'{kind} [{event.name}]')}")
        elif isinstance(event, HostResult):
            self._buffer.append(event)
            self._results += 1
            self._unknown += event.unknown
        elif isinstance(event, CommandSent):
            if self.verbosity >= 2:
                self._commands.setdefault(event.host, []).append(
                    command_lines(event.host, event.command)
                )
        elif isinstance(event, TaskEnd):
            self._flush_task()
        elif isinstance(event, RunWarning):
            where = f"{event.loc}: " if event.loc else ""
            self._write(f"[WARNING]: {where}{event.message}")
        elif isinstance(event, RunEnd):
            self._write(self.recap(event))
        elif isinstance(event, RunStart) and event.check:
            self._write("(check mode: no changes will be made)")

    def close(self) -> None:
        self.out.flush()

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")

    def _flush_task(self) -> None:
        rank = {h: i for i, h in enumerate(self._hosts)}
        for res in sorted(self._buffer, key=lambda r: rank.get(r.host, len(rank))):
            for line in self._commands.pop(res.host, ()):
                self._write(line)
            self._write(self.format_result(res))
        for lines in self._commands.values():  # hosts whose command produced no result
            for line in lines:
                self._write(line)
        self._buffer = []
        self._commands = {}

    def format_result(self, res: HostResult) -> str:
        return self.formatter.result(res)

    def recap(self, end: RunEnd) -> str:
        lines = ["", banner("PLAY RECAP"), *recap_lines(end)]
        if end.check:
            lines.append("\n" + check_summary(self._results, self._unknown))
        if end.interrupted:
            lines.append("\ninterrupted: stopped at a task boundary")
        if self.profile is not None:
            lines.append(self.profile.text())
        return "\n".join(lines)


def check_summary(results: int, unknown: int) -> str:
    return (
        f"check mode: {results - unknown} task result(s) predicted, {unknown} could not "
        "be predicted (commands check mode does not run, and tasks that depend on their "
        "results)"
    )
