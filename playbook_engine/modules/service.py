"""service: start, stop, restart, reload, enable or disable a service, whatever manages it.

As Ansible's ``service`` action does, the manager is ``use``, else the host's
``ansible_facts.service_mgr``: ``systemd`` runs the ``systemd`` module's logic, ``sysvinit``
the ``sysvinit`` module's, anything else the generic service logic, which looks for itself
(systemd when it booted the host, Upstart, OpenRC, an init script). When facts were not
gathered the probe finds the manager in the same command that reads the service, so the
task still costs one round trip when the service is in state and two when it is not.

Arguments pass through to the manager's logic, as in Ansible: the ones systemd has
(``masked``, ``daemon_reload`` …) work where systemd manages the host and are refused
elsewhere; ``pattern``, ``runlevel``, ``sleep`` and ``arguments`` are ignored under systemd.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from . import register
from .base import Arg, ModuleContext
from .systemd_service import STATES, UNIT_ARGS
from .util import sysvinit
from .util.initd import (
    Initd,
    initd_apply,
    initd_failure,
    initd_plan,
    initd_probe,
    initd_state,
    initd_values,
)
from .util.services import mark
from .util.state import Change, StateModule
from .util.systemctl import unit_apply, unit_failure, unit_plan, unit_probe, unit_values

# What each manager's logic accepts (Ansible's argument specs), beyond name/state/enabled.
_ACCEPTS = {
    "service": frozenset({"sleep", "pattern", "runlevel", "arguments"}),
    "systemd": frozenset(
        {
            "masked",
            "daemon_reload",
            "daemon_reexec",
            "scope",
            "no_block",
            "force",
            "pattern",
            "runlevel",
            "sleep",
            "arguments",
        }
    ),
    "sysvinit": frozenset({"sleep", "pattern", "arguments", "runlevels", "daemonize"}),
}
_PLUGINS = frozenset({"systemd", "sysvinit"})  # other managers get the generic logic
_NO_NAME = "missing required arguments: name"


def _passed(key: str, arg: Arg, description: str) -> Arg:
    """A manager's argument as ``service`` takes it: no default of its own (an argument
    left out is not passed on), its aliases kept."""
    return Arg(
        arg.type,
        choices=arg.choices,
        aliases=arg.aliases,
        elements=arg.elements,
        description=description or arg.description,
    )


@register("service")
class Service(StateModule[Initd]):
    """Manage a service with the host's own service manager (systemd, SysV, OpenRC, Upstart)."""

    args = {
        "name": Arg(
            "str",
            description="The service (required, except for a daemon-reload "
            "alone where systemd manages the host).",
        ),
        "state": Arg(
            "str",
            choices=STATES,
            description="started/stopped act only when needed; restarted and "
            "reloaded always act (a stopped service is started).",
        ),
        "enabled": Arg("bool", description="Whether the service starts on boot."),
        "pattern": Arg(
            "str",
            description="A substring of the service's command line in "
            "`ps`: when found, it is running (not under "
            "systemd).",
        ),
        "sleep": Arg(
            "int",
            description="Seconds between the stop and the start of a restart (not under systemd).",
        ),
        "arguments": Arg(
            "str", aliases=("args",), description="More words for the init script's command line."
        ),
        "runlevel": Arg("str", description="OpenRC: the runlevel to enable it in (`default`)."),
        "use": Arg(
            "str",
            default="auto",
            description="The manager: `auto` (the `service_mgr` fact, else found on "
            "the host), `systemd`, `sysvinit`, `service`, …",
        ),
        **{
            key: _passed(key, UNIT_ARGS[key], f"systemd only: {UNIT_ARGS[key].description}")
            for key in ("masked", "daemon_reload", "daemon_reexec", "scope", "no_block", "force")
        },
        "runlevels": Arg("list", description="sysvinit only: the runlevels to enable it in."),
        "daemonize": Arg(
            "bool", description="sysvinit only: accepted (pbe always detaches the script's output)."
        ),
    }
    # No static "one of state, enabled": under systemd a name alone reads the unit's status
    # (as in Ansible); the other managers' logic asks for one at run time (_required).
    returns = {
        "name": "the service",
        "state": "`started` or `stopped`, when `state` is set",
        "enabled": "whether it starts on boot, when `enabled` is set",
        "status": "under systemd: the unit's `systemctl show` properties; under "
        "sysvinit: what each action printed",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        use = _manager(args, ctx)
        if use == "systemd":
            return f"echo systemd; {mark('manager')}\n" + unit_probe(args, ctx.check)
        if use == "sysvinit":
            _required(args)
            return sysvinit.probe(args)
        return initd_probe({**args, "name": args["name"] or ""}, unit_probe(args, ctx.check))

    def parse(self, args: dict[str, Any], res: CommandResult) -> Initd:
        if res.out.startswith("sysvinit\n"):
            return sysvinit.state(args, res.out)
        return initd_state(args, res.out, res.err)

    def plan(self, args: dict[str, Any], state: Initd) -> Change | None:
        logic = _logic(state)
        if logic != "systemd":
            _required(args)
        _accepts(args, logic, state.manager)
        if logic == "systemd":
            assert state.unit is not None
            change = unit_plan(args, state.unit)
        elif logic == "sysvinit":
            change = sysvinit.plan(args, state)
        else:
            change = initd_plan(args, state)
        return None if change is None else replace(change, op=f"{logic}/{change.op}")

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        logic, _, op = change.op.partition("/")
        if logic == "systemd":
            return unit_apply(args, replace(change, op=op))
        if logic == "sysvinit":
            return sysvinit.apply(args, op)
        return initd_apply(args, op)

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        logic = change.op.partition("/")[0]
        if logic == "systemd":
            return unit_failure(args, res.out)
        if logic == "sysvinit":
            return sysvinit.failure(args, change.op, res)
        return initd_failure(args, res.out)

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        if change.op.startswith("sysvinit/"):
            return sysvinit.applied(change, res.out)
        return change.values

    def values(self, args: dict[str, Any], state: Initd) -> dict[str, Any]:
        logic = _logic(state)
        if logic == "systemd":
            assert state.unit is not None
            return unit_values(args, state.unit)
        if logic == "sysvinit":
            return sysvinit.values(args, state)
        return initd_values(args, state)


def _manager(args: dict[str, Any], ctx: ModuleContext) -> str:
    """``use``, else the gathered fact; ``auto`` when neither names a manager pbe has
    logic for (the probe then looks on the host)."""
    use = str(args["use"]).lower()
    if use == "auto":
        try:
            use = str(ctx.variable("ansible_facts").get("service_mgr") or "auto")
        except (KeyError, AttributeError):
            use = "auto"
    return use if use in _PLUGINS else "auto"


def _logic(state: Initd) -> str:
    return state.manager if state.manager in _PLUGINS else "service"


def _required(args: dict[str, Any]) -> None:
    """What Ansible's generic and sysvinit modules require, in the order they check it."""
    if not args["name"]:
        raise ModuleError(_NO_NAME)
    if args["state"] is None and args["enabled"] is None:
        raise ModuleError("one of the following is required: state, enabled")


def _accepts(args: dict[str, Any], logic: str, manager: str) -> None:
    """Refuse what the manager's logic does not take, as Ansible's module would."""
    common = {"name", "state", "enabled", "use"}
    extra = sorted(
        k for k, v in args.items() if v is not None and k not in common and k not in _ACCEPTS[logic]
    )
    if extra:
        supported = ", ".join(sorted(common | _ACCEPTS[logic]))
        raise ModuleError(
            f"Unsupported parameters for ({logic}) module: {', '.join(extra)}. "
            f"Supported parameters include: {supported} (the host's service "
            f"manager is {manager})."
        )
