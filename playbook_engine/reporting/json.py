"""``--format json``: one document with every result, the per-host stats and the timings.

The document's shape is ``schema/run.schema.json``; ``version`` changes only when a field
is removed or changes meaning (new fields may appear within a version).
"""

from __future__ import annotations

from typing import Any, TextIO

from ..events import Event, HostResult, PlayStart, RunEnd, RunStart, RunWarning, TaskEnd, TaskStart
from .jsonwrite import dump
from .profile import Profile

SCHEMA_VERSION = 1
SCHEMA_ID = "https://pbe.dev/schema/run.schema.json"


class JsonSink:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.doc: dict[str, Any] = {
            "schema": SCHEMA_ID,
            "version": SCHEMA_VERSION,
            "plays": [],
            "warnings": [],
        }
        self.profile = Profile()
        self._tasks: dict[tuple[int, int], dict[str, Any]] = {}

    def handle(self, event: Event) -> None:
        self.profile.handle(event)
        if isinstance(event, RunStart):
            self.doc.update(playbook=event.playbook, check=event.check, diff=event.diff)
        elif isinstance(event, PlayStart):
            self.doc["plays"].append(
                {
                    "name": event.name,
                    "hosts": list(event.hosts),
                    "location": _loc(event.loc),
                    "tasks": [],
                }
            )
        elif isinstance(event, TaskStart):
            self._task_start(event)
        elif isinstance(event, HostResult):
            self._tasks[(event.play, event.task)]["hosts"][event.host] = _result(event)
        elif isinstance(event, TaskEnd):
            if (task := self._tasks.get((event.play, event.index))) is not None:
                task["duration"] = round(max(0.0, event.at - task.pop("_at")), 3)
        elif isinstance(event, RunWarning):
            self.doc["warnings"].append({"message": event.message, "location": _loc(event.loc)})
        elif isinstance(event, RunEnd):
            self.doc.update(
                stats=event.stats,
                exit_code=event.exit_code,
                duration=round(event.duration, 3),
                interrupted=event.interrupted,
                error=event.error,
                profile=self.profile.as_dict(),
            )

    def _task_start(self, event: TaskStart) -> None:
        task: dict[str, Any] = {
            "name": event.name,
            "action": event.action,
            "location": _loc(event.loc),
            "handler": event.is_handler,
            "duration": None,
            "hosts": {},
            "_order": list(event.hosts),
            "_at": event.at,
        }
        self.doc["plays"][-1]["tasks"].append(task)
        self._tasks[(event.play, event.index)] = task

    def close(self) -> None:
        for play in self.doc["plays"]:
            for task in play["tasks"]:
                order = task.pop("_order")
                task.pop("_at", None)
                task["hosts"] = {h: task["hosts"][h] for h in order if h in task["hosts"]}
        dump(self.doc, self.out.write, indent=2)  # json.dump's output, streamed
        self.out.write("\n")
        self.out.flush()


def _loc(loc: object) -> str | None:
    return str(loc) if loc else None


def _result(event: HostResult) -> dict[str, Any]:
    return {
        "status": event.status,
        "ignored": event.ignored,
        "unknown": event.unknown,
        "duration": round(event.duration, 4),
        "result": event.result,
    }
