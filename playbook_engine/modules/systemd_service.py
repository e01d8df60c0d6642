"""systemd_service (alias systemd): a unit's state, enablement and mask, through systemctl.

One command reads the unit (``systemctl show`` and ``is-enabled``, after a requested
daemon-reload), one more changes all that must change; the reading and deciding are in
``util/systemctl.py``, shared with ``service``.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from . import register
from .base import Arg, ModuleContext
from .util.state import Change, StateModule
from .util.systemctl import (
    Unit,
    unit_apply,
    unit_failure,
    unit_plan,
    unit_probe,
    unit_state,
    unit_values,
)

STATES = ("reloaded", "restarted", "started", "stopped")

UNIT_ARGS = {
    "name": Arg(
        "str",
        aliases=("service", "unit"),
        description="The unit; `.service` is implied when it has no suffix.",
    ),
    "state": Arg(
        "str",
        choices=STATES,
        description="started/stopped act only when needed; restarted and reloaded "
        "always act (a stopped unit is started).",
    ),
    "enabled": Arg("bool", description="Whether the unit starts on boot."),
    "masked": Arg("bool", description="Whether the unit is masked (cannot be started)."),
    "daemon_reload": Arg(
        "bool",
        default=False,
        aliases=("daemon-reload",),
        description="Run `systemctl daemon-reload` first (not in check "
        "mode); it alone reports no change.",
    ),
    "daemon_reexec": Arg(
        "bool",
        default=False,
        aliases=("daemon-reexec",),
        description="Run `systemctl daemon-reexec` first (not in check mode).",
    ),
    "scope": Arg(
        "str",
        default="system",
        choices=("system", "user", "global"),
        description="The manager: the system's, the task user's (`--user`) or all "
        "users' (`--global`).",
    ),
    "no_block": Arg("bool", default=False, description="Queue the job and return (`--no-block`)."),
    "force": Arg("bool", description="Override existing symlinks (`--force`)."),
}
UNIT_RETURNS = {
    "name": "the unit",
    "status": "the unit's properties from `systemctl show`, read before any change",
    "state": "the state asked for (`started` after restarted/reloaded), when `state` is set",
    "enabled": "whether it starts on boot, when `enabled` is set",
}


@register("systemd_service", "systemd")
class SystemdService(StateModule[Unit]):
    """Start, stop, restart, reload, enable, disable, mask or unmask a systemd unit."""

    # No "one of state, enabled, masked, daemon_reload/-reexec is required": Ansible counts
    # the defaults of the latter two, so a task with only a name reads the unit's status.
    args = UNIT_ARGS
    returns = UNIT_RETURNS

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _needs_name(args)
        return unit_probe(args, ctx.check)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Unit:
        return unit_state(res.out, res.err)

    def plan(self, args: dict[str, Any], state: Unit) -> Change | None:
        return unit_plan(args, state)

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        return unit_apply(args, change)

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return unit_failure(args, res.out)

    def values(self, args: dict[str, Any], state: Unit) -> dict[str, Any]:
        return unit_values(args, state)


def _needs_name(args: dict[str, Any]) -> None:
    missing = [k for k in ("state", "enabled", "masked") if args.get(k) is not None]
    if missing and not args.get("name"):
        raise ModuleError(f"missing parameter(s) required by '{missing[0]}': name")
