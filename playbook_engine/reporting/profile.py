"""``--profile``: how long each task took (wall time, all its hosts) and each host's total.

Times come from the events' own ``at`` stamps, taken on the threads that made them, so a
slow sink does not distort them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..events import Event, HostResult, PlayStart, TaskEnd, TaskStart
from .text import banner

SLOWEST = 20


@dataclass
class TaskTiming:
    play: str
    name: str
    location: str | None
    handler: bool
    hosts: int
    started: float
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "play": self.play,
            "task": self.name,
            "location": self.location,
            "handler": self.handler,
            "hosts": self.hosts,
            "duration": round(self.duration, 3),
        }


class Profile:
    """Collects timings from events; a sink on its own or a part of one."""

    def __init__(self) -> None:
        self.tasks: list[TaskTiming] = []
        self.hosts: dict[str, float] = {}
        self._play = ""
        self._open: dict[tuple[int, int], TaskTiming] = {}

    def handle(self, event: Event) -> None:
        if isinstance(event, PlayStart):
            self._play = event.name
        elif isinstance(event, TaskStart):
            timing = TaskTiming(
                self._play,
                event.name,
                str(event.loc) if event.loc else None,
                event.is_handler,
                len(event.hosts),
                event.at,
            )
            self.tasks.append(timing)
            self._open[(event.play, event.index)] = timing
        elif isinstance(event, TaskEnd):
            if (key := (event.play, event.index)) in self._open:
                done = self._open.pop(key)
                done.duration = max(0.0, event.at - done.started)
        elif isinstance(event, HostResult):
            self.hosts[event.host] = self.hosts.get(event.host, 0.0) + event.duration

    def close(self) -> None:
        pass

    def slowest(self, count: int = SLOWEST) -> list[TaskTiming]:
        return sorted(self.tasks, key=lambda t: t.duration, reverse=True)[:count]

    def as_dict(self) -> dict[str, Any]:
        """For the JSON document: every task, slowest first, and per-host totals."""
        return {
            "tasks": [t.as_dict() for t in self.slowest(len(self.tasks))],
            "hosts": {h: round(s, 3) for h, s in self.hosts.items()},
        }

    def text(self) -> str:
        """The plain ``--profile`` report printed after the recap."""
        lines = ["", banner("PROFILE: SLOWEST TASKS")]
        for t in self.slowest():
            kind = "HANDLER" if t.handler else "TASK"
            lines.append(
                f"{t.duration:>9.2f}s  {t.play} : {kind} [{t.name}]"
                + (f"  ({t.location})" if t.location else "")
            )
        lines += ["", banner("PROFILE: HOST TOTALS")]
        for host, seconds in sorted(self.hosts.items(), key=lambda hs: -hs[1]):
            lines.append(f"{host:<26} : {seconds:.2f}s")
        return "\n".join(lines)
