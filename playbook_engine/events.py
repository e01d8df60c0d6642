"""Events: what workers tell the reporter. Frozen, so a sink can't change another's view.

Every event records ``at`` (``time.time()``) when it is made, on the thread that made it,
so timings (``--profile``, JUnit, jsonl) don't depend on how fast the reporter drains.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .source import SourceLocation

Status = Literal["ok", "changed", "failed", "skipped", "unreachable", "unpredictable"]
STATUSES: tuple[Status, ...] = get_args(Status)


@dataclass(frozen=True, slots=True)
class RunStart:
    playbook: str
    check: bool
    diff: bool
    at: float = field(default_factory=time.time, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PlayStart:
    index: int
    name: str
    hosts: tuple[str, ...]
    loc: SourceLocation | None = None
    at: float = field(default_factory=time.time, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class TaskStart:
    play: int
    index: int
    name: str
    action: str
    hosts: tuple[str, ...]
    loc: SourceLocation | None = None
    is_handler: bool = False
    at: float = field(default_factory=time.time, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class HostResult:
    """One task on one host. ``status`` is one of STATUSES."""

    play: int
    task: int
    task_name: str
    action: str
    host: str
    status: Status
    result: dict[str, Any]
    duration: float
    ignored: bool = False
    items: tuple[dict[str, Any], ...] = ()
    loc: SourceLocation | None = None
    unknown: bool = False  # check mode could not predict this outcome
    no_log: bool = False  # censored by the reporter before any sink sees it
    notify: tuple[str, ...] = ()  # when changed: the handler names or topics it notifies
    at: float = field(default_factory=time.time, compare=False, repr=False)

    @property
    def message(self) -> str:
        r = self.result
        msg = r.get("msg") or ""
        if self.status == "failed" and not msg and r.get("stderr"):
            msg = r["stderr"]
        return str(msg)


@dataclass(frozen=True, slots=True)
class TaskEnd:
    play: int
    index: int
    at: float = field(default_factory=time.time, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RunWarning:
    message: str
    loc: SourceLocation | None = None
    at: float = field(default_factory=time.time, compare=False, repr=False)


@dataclass
class HostStats:
    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failed: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0
    unpredictable: int = 0  # check mode only; also counted as skipped in the recap

    def as_dict(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in (
                "ok",
                "changed",
                "unreachable",
                "failed",
                "skipped",
                "rescued",
                "ignored",
                "unpredictable",
            )
        }


@dataclass(frozen=True, slots=True)
class RunEnd:
    stats: dict[str, dict[str, int]]
    exit_code: int
    duration: float
    check: bool = False
    interrupted: bool = False
    error: str | None = None
    at: float = field(default_factory=time.time, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CommandSent:
    """A command line sent to a host (shown at -vv); ``no_log`` hides it like the result."""

    host: str
    command: str
    play: int = -1
    task: int = -1
    no_log: bool = False
    at: float = field(default_factory=time.time, compare=False, repr=False)


Event = RunStart | PlayStart | TaskStart | HostResult | TaskEnd | RunWarning | RunEnd | CommandSent


def status_of(result: Mapping[str, Any]) -> Status:
    """The status a module result (or one loop item's) reports, by Ansible's flags."""
    if result.get("unreachable"):
        return "unreachable"
    if result.get("failed"):
        return "failed"
    if result.get("skipped"):
        return "skipped"
    return "changed" if result.get("changed") else "ok"
