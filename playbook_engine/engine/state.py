"""What the strategies learn while running a play: per-host stats and the hosts lost."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import modules
from ..events import HostResult, HostStats
from ..language.model import Task


def expands(action: str) -> bool:
    """Whether a task's module is expanded per host into more tasks (the includes)."""
    module = modules.get(action)
    return module is not None and module.expands_at_run


def sets_vars(task: Task) -> bool:
    """Whether a task's module sets host variables (set_fact, include_vars)."""
    module = modules.get(task.action)
    return module is not None and module.sets_variables


def changes_inventory(action: str) -> bool:
    """Whether a task's module adds hosts or groups (group_by, add_host)."""
    module = modules.get(action)
    return module is not None and module.changes_inventory


def bypasses_hosts(action: str) -> bool:
    """Whether a task runs once per batch, on its first host (add_host, pause)."""
    module = modules.get(action)
    return module is not None and module.bypass_host_loop


@dataclass
class RunState:
    """What the scheduler learns while running; read by the caller afterwards."""

    stats: dict[str, HostStats] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    unreachable: set[str] = field(default_factory=set)
    interrupted: bool = False
    aborted: str | None = None  # any_errors_fatal / max_fail_percentage: why the run stopped
    started: bool = False  # --start-at-task: the named task has been reached

    def stat(self, host: str) -> HostStats:
        return self.stats.setdefault(host, HostStats())

    def rescue_failure(self, host: str) -> None:
        """A failure already counted (a handler's, in a flush inside a block) that a rescue
        then caught: counted as rescued instead, and the host no longer failed."""
        s = self.stat(host)
        s.failed -= 1
        s.rescued += 1
        self.failed.discard(host)

    def count(self, res: HostResult, rescued: bool) -> None:
        s = self.stat(res.host)
        s.unpredictable += res.unknown
        if expands(res.action) and res.status == "ok" and res.items:
            s.ok += len(res.items)  # Ansible counts a looped include once per item
            return
        if res.status == "unreachable" and not res.ignored:
            s.unreachable += 1
        elif res.status in ("skipped", "unpredictable"):
            s.skipped += 1
        elif res.status == "failed" and not res.ignored:
            if rescued:
                s.rescued += 1
            else:
                s.failed += 1
        else:
            s.ok += 1
            s.ignored += res.ignored
            s.changed += res.status == "changed" or (
                res.ignored and bool(res.result.get("changed"))
            )
