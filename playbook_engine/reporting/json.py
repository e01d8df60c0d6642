"""``--format json``: one document with every result and the per-host stats."""

from __future__ import annotations

import json
from typing import Any, TextIO

from ..events import Event, HostResult, PlayStart, RunEnd, RunStart, RunWarning, TaskStart

SCHEMA_VERSION = 1


class JsonSink:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.doc: dict[str, Any] = {"version": SCHEMA_VERSION, "plays": [], "warnings": []}
        self._tasks: dict[tuple[int, int], dict[str, Any]] = {}

    def handle(self, event: Event) -> None:
        if isinstance(event, RunStart):
            self.doc.update(playbook=event.playbook, check=event.check, diff=event.diff)
        elif isinstance(event, PlayStart):
            self.doc["plays"].append({"name": event.name, "hosts": list(event.hosts),
                                      "tasks": []})
        elif isinstance(event, TaskStart):
            task: dict[str, Any] = {"name": event.name, "action": event.action,
                    "location": str(event.loc) if event.loc else None, "hosts": {},
                    "_order": list(event.hosts)}
            self.doc["plays"][-1]["tasks"].append(task)
            self._tasks[(event.play, event.index)] = task
        elif isinstance(event, HostResult):
            self._tasks[(event.play, event.task)]["hosts"][event.host] = _result(event)
        elif isinstance(event, RunWarning):
            self.doc["warnings"].append({"message": event.message,
                                         "location": str(event.loc) if event.loc else None})
        elif isinstance(event, RunEnd):
            self.doc.update(stats=event.stats, exit_code=event.exit_code,
                            duration=round(event.duration, 3), interrupted=event.interrupted,
                            error=event.error)

    def close(self) -> None:
        for play in self.doc["plays"]:
            for task in play["tasks"]:
                order = task.pop("_order")
                task["hosts"] = {h: task["hosts"][h] for h in order if h in task["hosts"]}
        json.dump(self.doc, self.out, indent=2, default=str, ensure_ascii=False)
        self.out.write("\n")
        self.out.flush()


def _result(event: HostResult) -> dict[str, Any]:
    return {"status": event.status, "ignored": event.ignored,
            "duration": round(event.duration, 4), "result": event.result}
