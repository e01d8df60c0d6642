"""sysvinit: a SysV init script's state and its start links, per runlevel if asked.

One command reads whether the script exists, what its ``status`` says and which runlevels
start it; one more runs the script and update-rc.d (or chkconfig). The logic is in
``util/sysvinit.py``, shared with ``service`` on hosts whose service manager is sysvinit.
"""

from __future__ import annotations

from typing import Any

from ..transport.base import CommandResult
from . import register
from .base import Arg, ModuleContext
from .util import sysvinit
from .util.initd import Initd
from .util.state import Change, StateModule


@register("sysvinit")
class Sysvinit(StateModule[Initd]):
    """Start, stop, restart, reload, enable or disable a SysV init script."""

    args = {
        "name": Arg(
            "str",
            required=True,
            aliases=("service",),
            description="The service: a script in /etc/init.d, or a path.",
        ),
        "state": Arg(
            "str",
            choices=("started", "stopped", "restarted", "reloaded"),
            description="started/stopped act only when needed; restarted always "
            "stops and starts; reloaded reloads a running service and "
            "starts a stopped one.",
        ),
        "enabled": Arg("bool", description="Whether the service starts on boot."),
        "sleep": Arg(
            "int",
            default=1,
            description="Seconds to wait after each of a restart's stop and start.",
        ),
        "pattern": Arg(
            "str",
            description="A substring of the service's command line in "
            "`ps`: when found, it is running.",
        ),
        "arguments": Arg(
            "str", aliases=("args",), description="More words for the script's command line."
        ),
        "runlevels": Arg(
            "list",
            description="The runlevels to enable or disable it in (else the script's defaults).",
        ),
        "daemonize": Arg(
            "bool", default=False, description="Accepted: pbe always detaches the script's output."
        ),
    }
    required_one_of = (("state", "enabled"),)
    returns = {
        "name": "the service",
        "status": "per part asked for (`enabled`, the state): `changed`, and the "
        "`rc`, `stdout`, `stderr` of the last command it ran",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        return sysvinit.probe(args)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Initd:
        return sysvinit.state(args, res.out)

    def plan(self, args: dict[str, Any], state: Initd) -> Change | None:
        return sysvinit.plan(args, state)

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        return sysvinit.apply(args, change.op)

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return sysvinit.failure(args, change.op, res)

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        return sysvinit.applied(change, res.out)

    def values(self, args: dict[str, Any], state: Initd) -> dict[str, Any]:
        return sysvinit.values(args, state)
