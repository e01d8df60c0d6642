"""``--format jsonl``: one JSON object per line, written (and flushed) as each event happens.

Every line has ``event`` (its kind) and ``time`` (Unix time when it happened):
``run_start``, ``play_start``, ``task_start`` (``handler: true`` for a handler),
``host_result``, ``task_end``, ``warning``, ``command`` (only from ``-vv``), and at the end
``recap`` (per-host stats, plus the profile with ``--profile``) and ``run_end``.
"""

from __future__ import annotations

from typing import Any, TextIO

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
from .json import SCHEMA_VERSION
from .jsonwrite import dump
from .profile import Profile


def event_record(event: Event) -> dict[str, Any]:
    """An event as a JSON-ready dict (``RunEnd`` gives the ``run_end`` part only)."""
    loc = getattr(event, "loc", None)
    location = {"location": str(loc) if loc else None}
    if isinstance(event, RunStart):
        body: dict[str, Any] = {
            "event": "run_start",
            "version": SCHEMA_VERSION,
            "playbook": event.playbook,
            "check": event.check,
            "diff": event.diff,
        }
    elif isinstance(event, PlayStart):
        body = {
            "event": "play_start",
            "play": event.index,
            "name": event.name,
            "hosts": list(event.hosts),
            **location,
        }
    elif isinstance(event, TaskStart):
        body = {
            "event": "task_start",
            "play": event.play,
            "task": event.index,
            "name": event.name,
            "action": event.action,
            "handler": event.is_handler,
            "hosts": list(event.hosts),
            **location,
        }
    elif isinstance(event, HostResult):
        body = {
            "event": "host_result",
            "play": event.play,
            "task": event.task,
            "task_name": event.task_name,
            "action": event.action,
            "host": event.host,
            "status": event.status,
            "ignored": event.ignored,
            "unknown": event.unknown,
            "duration": round(event.duration, 4),
            "result": event.result,
        }
    elif isinstance(event, TaskEnd):
        body = {"event": "task_end", "play": event.play, "task": event.index}
    elif isinstance(event, RunWarning):
        body = {"event": "warning", "message": event.message, **location}
    elif isinstance(event, CommandSent):
        body = {
            "event": "command",
            "play": event.play,
            "task": event.task,
            "host": event.host,
            "command": event.command,
        }
    else:
        body = {
            "event": "run_end",
            "exit_code": event.exit_code,
            "duration": round(event.duration, 3),
            "check": event.check,
            "interrupted": event.interrupted,
            "error": event.error,
        }
    return {**body, "time": round(event.at, 3)}


class JsonLinesSink:
    def __init__(self, out: TextIO, verbosity: int = 0, profile: bool = False) -> None:
        self.out = out
        self.verbosity = verbosity
        self.profile = Profile() if profile else None

    def handle(self, event: Event) -> None:
        if self.profile is not None:
            self.profile.handle(event)
        if isinstance(event, CommandSent) and self.verbosity < 2:
            return
        if isinstance(event, RunEnd):
            recap: dict[str, Any] = {"event": "recap", "stats": event.stats}
            if self.profile is not None:
                recap["profile"] = self.profile.as_dict()
            self._line({**recap, "time": round(event.at, 3)})
        self._line(event_record(event))

    def _line(self, record: dict[str, Any]) -> None:
        dump(record, self.out.write)  # json.dumps's one-line form, streamed
        self.out.write("\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()
