"""nagios: send external commands to Nagios (downtime, alerts, acknowledgements …) through
its command file, a FIFO on the Nagios server.

The lines are built on the controller in Nagios' external-command syntax
(``[TIME] COMMAND;arg;arg``), as community.general.nagios builds them, and one command on
the host finds the command file (``command_file=`` in the first nagios.cfg/icinga.cfg found,
unless ``cmdfile`` is given), checks that it is a FIFO and writes them. Like Ansible's
module it is not idempotent: every run that writes is a change.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

ACTIONS = (
    "downtime",
    "delete_downtime",
    "enable_alerts",
    "disable_alerts",
    "silence",
    "unsilence",
    "silence_nagios",
    "unsilence_nagios",
    "command",
    "servicegroup_service_downtime",
    "servicegroup_host_downtime",
    "acknowledge",
    "forced_check",
)
CONFIGS = (
    "/etc/nagios/nagios.cfg",
    "/etc/nagios3/nagios.cfg",
    "/etc/nagios2/nagios.cfg",
    "/usr/local/etc/nagios/nagios.cfg",
    "/usr/local/groundwork/nagios/etc/nagios.cfg",
    "/omd/sites/oppy/tmp/nagios/nagios.cfg",
    "/usr/local/nagios/etc/nagios.cfg",
    "/usr/local/nagios/nagios.cfg",
    "/opt/nagios/etc/nagios.cfg",
    "/opt/nagios/nagios.cfg",
    "/etc/icinga/icinga.cfg",
    "/usr/local/icinga/etc/icinga.cfg",
)
_REQUIRED = {
    "downtime": ("host", "services"),
    "delete_downtime": ("host", "services"),
    "silence": ("host",),
    "unsilence": ("host",),
    "enable_alerts": ("host", "services"),
    "disable_alerts": ("host", "services"),
    "command": ("command",),
    "servicegroup_host_downtime": ("host", "servicegroup"),
    "servicegroup_service_downtime": ("host", "servicegroup"),
    "acknowledge": ("host", "services"),
    "forced_check": ("host", "services"),
}
# Per action: the command for services=host, for services=all, and per listed service.
_BY_SERVICES = {
    "downtime": ("SCHEDULE_HOST_DOWNTIME", "SCHEDULE_HOST_SVC_DOWNTIME", "SCHEDULE_SVC_DOWNTIME"),
    "enable_alerts": (
        "ENABLE_HOST_NOTIFICATIONS",
        "ENABLE_HOST_SVC_NOTIFICATIONS",
        "ENABLE_SVC_NOTIFICATIONS",
    ),
    "disable_alerts": (
        "DISABLE_HOST_NOTIFICATIONS",
        "DISABLE_HOST_SVC_NOTIFICATIONS",
        "DISABLE_SVC_NOTIFICATIONS",
    ),
    "acknowledge": (
        "ACKNOWLEDGE_HOST_PROBLEM",
        "ACKNOWLEDGE_SVC_PROBLEM",
        "ACKNOWLEDGE_SVC_PROBLEM",
    ),
    "forced_check": (
        "SCHEDULE_FORCED_HOST_CHECK",
        "SCHEDULE_FORCED_HOST_SVC_CHECKS",
        "SCHEDULE_FORCED_SVC_CHECK",
    ),
}
_NO_FILE, _NOT_FIFO, _NO_CONFIG = 3, 4, 5
_MESSAGES = {
    _NO_FILE: "nagios command file does not exist",
    _NOT_FIFO: "nagios command file is not a fifo file",
    _NO_CONFIG: "unable to locate nagios.cfg",
}


@register("nagios", "community.general.nagios")
class Nagios(Module):
    """Schedule downtime, toggle alerts and send commands to Nagios."""

    args = {
        "action": Arg("str", required=True, choices=ACTIONS, description="What to do."),
        "author": Arg("str", default="Ansible", description="Author of downtime and acks."),
        "comment": Arg(
            "str", default="Scheduling downtime", description="Comment of downtime and acks."
        ),
        "host": Arg("str", description="The Nagios host to act on (not where the task runs)."),
        "servicegroup": Arg("str", description="The servicegroup (servicegroup_* actions)."),
        "start": Arg("str", description="Start of the downtime, epoch seconds (default: now)."),
        "minutes": Arg("int", default=30, description="Length of the downtime."),
        "cmdfile": Arg(
            "str",
            description="The command file (FIFO); default: `command_file` of the host's "
            "nagios.cfg or icinga.cfg.",
        ),
        "services": Arg(
            "list",
            elements="str",
            aliases=("service",),
            description="Services to act on; `host` for the host itself, `all` for all of "
            "its services.",
        ),
        "command": Arg("str", description="The raw command (action=command), without time."),
    }
    returns = {"nagios_commands": "the command lines written, without their newline"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        _check_required(args)
        lines = commands(args, int(time.time()))
        res = ctx.run(_script(args["cmdfile"], lines, write=not ctx.check))
        if res.rc in _MESSAGES:
            where = res.out.strip()
            raise ModuleError(f"{_MESSAGES[res.rc]}: {where}" if where else _MESSAGES[res.rc])
        if res.rc != 0:
            detail = (res.err or res.out).strip()
            raise ModuleError(f"unable to write to nagios command file: {detail}")
        if ctx.check:
            return Result(changed=True)
        return Result(changed=True, values={"nagios_commands": lines})


def _check_required(args: dict[str, Any]) -> None:
    action = args["action"]
    missing = [key for key in _REQUIRED.get(action, ()) if not args[key]]
    if missing:
        raise ModuleError(
            f"action is {action} but all of the following are missing: {', '.join(missing)}"
        )
    if args["start"] is not None and not str(args["start"]).strip().isdigit():
        raise ModuleError(f"start must be epoch seconds, not {args['start']!r}")


def _script(cmdfile: str | None, lines: list[str], write: bool) -> str:
    """Find the command file, check it is a FIFO, and (``write``) write the lines to it.
    Exit status 3, 4, 5: missing, not a FIFO, no config found (the path on stdout)."""
    if cmdfile:
        find = f"f={quote(cmdfile)}"
    else:
        configs = " ".join(quote(c) for c in CONFIGS)
        find = (
            f'f=; for c in {configs}; do [ -e "$c" ] || continue; '
            "f=$(sed -n 's/^command_file=//p' \"$c\" | head -n 1); "
            "f=$(printf '%s' \"$f\" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'); break; done; "
            f'[ -n "$f" ] || exit {_NO_CONFIG}'
        )
    steps = [
        find,
        f'[ -e "$f" ] || {{ echo "$f"; exit {_NO_FILE}; }}',
        f'[ -p "$f" ] || {{ echo "$f"; exit {_NOT_FIFO}; }}',
    ]
    if write:
        text = "".join(f"{line}\n" for line in lines)
        steps.append(f"printf '%s' {quote(text)} > \"$f\"")
    return "; ".join(steps)


# -- the command lines (pure) ------------------------------------------------------------


def commands(args: dict[str, Any], now: int) -> list[str]:
    """The external-command lines the task sends, stamped ``now``."""
    action, host = args["action"], args["host"]
    services = _services(args["services"])
    if action in ("silence", "unsilence"):
        prefix = "DISABLE" if action == "silence" else "ENABLE"
        names = (f"{prefix}_HOST_SVC_NOTIFICATIONS", f"{prefix}_HOST_NOTIFICATIONS")
        return [_line(now, name, host) for name in names]
    if action in ("silence_nagios", "unsilence_nagios"):
        name = "DISABLE_NOTIFICATIONS" if action == "silence_nagios" else "ENABLE_NOTIFICATIONS"
        return [_line(now, name)]
    if action == "command":
        return [f"[{now}] {args['command']}"]
    if action == "delete_downtime":
        return _delete_downtime(args, now, services)
    if action.startswith("servicegroup_"):
        kind = "SVC" if action == "servicegroup_service_downtime" else "HOST"
        return [
            _downtime(args, now, f"SCHEDULE_SERVICEGROUP_{kind}_DOWNTIME", args["servicegroup"])
        ]
    on_host, on_all, per_service = _BY_SERVICES[action]
    if services == "host":
        return [_one(args, now, on_host, None)]
    if services == "all":
        return [_one(args, now, on_all, None)]
    return [_one(args, now, per_service, service) for service in services]


def _services(services: list[str] | None) -> str | list[str]:
    """``host`` or ``all`` alone are keywords; anything else is a list of services."""
    if services and len(services) == 1 and services[0] in ("host", "all"):
        return services[0]
    return services or []


def _line(now: int, name: str, *fields: str | None) -> str:
    return ";".join([f"[{now}] {name}", *(f for f in fields if f is not None)])


def _one(args: dict[str, Any], now: int, name: str, service: str | None) -> str:
    if args["action"] == "downtime":
        return _downtime(args, now, name, args["host"], service)
    if args["action"] == "acknowledge":
        ack = ["0", "1", "0", args["author"], args["comment"]]
        return _line(now, name, args["host"], service, *ack)
    if args["action"] == "forced_check":
        return _line(now, name, args["host"], service, str(now + 3))
    return _line(now, name, args["host"], service)


def _downtime(
    args: dict[str, Any], now: int, name: str, target: str, service: str | None = None
) -> str:
    start = int(args["start"]) if args["start"] is not None else now
    seconds = args["minutes"] * 60
    fields = [str(start), str(start + seconds), "1", "0", str(seconds)]
    return _line(now, name, target, service, *fields, args["author"], args["comment"])


def _delete_downtime(args: dict[str, Any], now: int, services: str | list[str]) -> list[str]:
    """DEL_DOWNTIME_BY_HOST_NAME;host;[service];[start];[comment]: for ``all`` with an empty
    comment (every downtime of the host), otherwise with the task's comment."""
    name, host = "DEL_DOWNTIME_BY_HOST_NAME", args["host"]
    if services in ("host", "all"):
        comment = "" if services == "all" else args["comment"]
        return [f"[{now}] {name};{host};;;{comment}"]
    return [f"[{now}] {name};{host};{svc};;{args['comment']}" for svc in services]
