"""firewalld: a service, port, source, interface, rich rule … of a zone, in firewalld's
running configuration, its permanent one, or both; a zone's target; zones themselves.

Everything goes through ``firewall-cmd`` (``firewall-offline-cmd`` for permanent changes
while firewalld is stopped, with ``offline``). One probe asks whether firewalld runs and
queries the item (``--query-*``: exit status 0 on, 1 off) in each configuration the task
touches; one command adds or removes it where it differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Edit, HostStateModule, Section, need, section, sections

# item argument -> firewall-cmd's word for it (--query-WORD, --add-WORD, --remove-WORD)
_ITEMS = {
    "service": "service",
    "port": "port",
    "protocol": "protocol",
    "source": "source",
    "interface": "interface",
    "rich_rule": "rich-rule",
    "icmp_block": "icmp-block",
    "port_forward": "forward-port",
}
_SWITCHES = {
    "masquerade": "masquerade",
    "forward": "forward",
    "icmp_block_inversion": "icmp-block-inversion",
}
_RUNNING = (
    'if firewall-cmd --state >/dev/null 2>&1; then run=1; P="firewall-cmd --permanent"; '
    "else run=0; P=firewall-offline-cmd; fi"
)
_FAILED = 12


@dataclass(frozen=True, slots=True)
class Query:
    """One thing the task sets: firewall-cmd's flag and value (None for a switch such as
    masquerade) and whether it should be on."""

    word: str
    value: str | None
    on: bool

    def flag(self, verb: str) -> str:
        # an interface in another zone is moved, not added twice
        option = (
            "--change-interface"
            if (verb, self.word) == ("add", "interface")
            else f"--{verb}-{self.word}"
        )
        return option if self.value is None else f"{option}={quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Zone:
    running: bool
    runtime: tuple[bool, ...]  # each query's answer in the running configuration
    permanent: tuple[bool, ...]  # … and in the permanent one
    value: str  # the zone's target, or its list of zones (zone operations)


@register("firewalld", "ansible.posix.firewalld")
class FirewalldModule(HostStateModule[Zone]):
    """Enable or disable a firewalld item in a zone (runtime and/or permanent)."""

    args = {
        "service": Arg("str", description="A service firewalld knows (http, ssh …)."),
        "port": Arg("str", description="PORT/PROTO or PORT-PORT/PROTO."),
        "protocol": Arg("str", description="A protocol (ospf …)."),
        "source": Arg("str", description="A source address or network."),
        "interface": Arg("str", description="An interface, moved into the zone."),
        "rich_rule": Arg("str", description="A rich-language rule."),
        "icmp_block": Arg("str", description="An ICMP type to block."),
        "icmp_block_inversion": Arg("bool", description="Invert the zone's ICMP blocks."),
        "masquerade": Arg("bool", description="Masquerading in the zone."),
        "forward": Arg("bool", description="Intra-zone forwarding."),
        "port_forward": Arg(
            "list", elements="dict", description="Port forwards: port, proto, toport, toaddr."
        ),
        "target": Arg(
            "str",
            choices=("default", "ACCEPT", "DROP", "%%REJECT%%"),
            description="The zone's target (permanent).",
        ),
        "zone": Arg("str", description="The zone (default: firewalld's default zone)."),
        "permanent": Arg("bool", default=False, description="Change the permanent config."),
        "immediate": Arg(
            "bool",
            default=False,
            description="Also change the running config (implied when not permanent).",
        ),
        "offline": Arg(
            "bool", default=False, description="Permanent changes with firewalld stopped."
        ),
        "state": Arg(
            "str",
            required=True,
            choices=("absent", "disabled", "enabled", "present"),
            description="enabled/disabled for items; present/absent for a zone.",
        ),
        "timeout": Arg("int", default=0, description="Seconds a runtime change lasts."),
    }
    mutually_exclusive = ((*_ITEMS, *_SWITCHES, "target"),)

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        queries = plan_queries(args)
        zone = _zone(args)
        parts = [
            section("installed", "command -v firewall-cmd"),
            _RUNNING,
            section("running", "echo $run"),
        ]
        if args["target"] is not None:
            parts.append(section("value", f"$P{zone} --get-target"))
        elif not queries:
            parts.append(section("value", "$P --get-zones"))
        for i, q in enumerate(queries):
            parts.append(
                section(
                    f"rt{i}", f'[ "$run" = 1 ] || exit 1; firewall-cmd{zone} {q.flag("query")} 2>&1'
                )
            )
            parts.append(section(f"pm{i}", f"$P{zone} {q.flag('query')} 2>&1"))
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Zone:
        found = sections(res.out)
        if need(found, "installed", res).rc != 0:
            raise ModuleError("firewalld is not installed on the host (no firewall-cmd)")
        count = len(plan_queries(args))
        value = found["value"].text.strip() if "value" in found else ""
        return Zone(
            need(found, "running", res).text.strip() == "1",
            tuple(_answer(need(found, f"rt{i}", res)) for i in range(count)),
            tuple(_answer(need(found, f"pm{i}", res)) for i in range(count)),
            value,
        )

    def plan(self, args: dict[str, Any], state: Zone) -> Edit | None:
        runtime, permanent = _scopes(args, state)
        commands = _zone_commands(args, state) if not plan_queries(args) else []
        for i, q in enumerate(plan_queries(args)):
            verb = "add" if q.on else "remove"
            if runtime and state.runtime[i] != q.on:
                timeout = f" --timeout={args['timeout']}" if q.on and args["timeout"] else ""
                commands.append(f"firewall-cmd{_zone(args)} {q.flag(verb)}{timeout}")
            if permanent and state.permanent[i] != q.on:
                tool = "firewall-cmd --permanent" if state.running else "firewall-offline-cmd"
                commands.append(f"{tool}{_zone(args)} {q.flag(verb)}")
        if not commands:
            return None
        scope = " and ".join(s for s, on in (("permanent", permanent), ("runtime", runtime)) if on)
        command = " && ".join(f"{{ {c} 2>&1 || exit {_FAILED}; }}" for c in commands)
        return Edit(
            "firewall-cmd", f"Changed the {scope} configuration to {args['state']}", command=command
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def failed(self, args: dict[str, Any], change: Any, res: CommandResult) -> str:
        return (res.out + res.err).strip() or f"firewall-cmd failed (rc={res.rc})"


def _zone(args: dict[str, Any]) -> str:
    return f" --zone={quote(args['zone'])}" if args["zone"] else ""


def _answer(found: Section) -> bool:
    """A --query-* answer: exit status 0 yes, 1 no; anything else is firewall-cmd's error."""
    if found.rc in (0, 1):
        return found.rc == 0
    raise ModuleError(found.text.strip() or f"firewall-cmd failed (rc={found.rc})")


def plan_queries(args: dict[str, Any]) -> list[Query]:
    """What the task sets, as firewall-cmd queries (none for zone and target operations)."""
    state = args["state"]
    given = [k for k in (*_ITEMS, *_SWITCHES) if args[k] is not None]
    if not given:
        if state in ("enabled", "disabled") and args["target"] is None:
            raise ModuleError(f"state={state} needs one of: {', '.join((*_ITEMS, *_SWITCHES))}")
        return []
    if state in ("present", "absent"):
        raise ModuleError(
            "state present/absent is for a zone itself (only zone and state "
            "given); use enabled/disabled for its items"
        )
    on = state == "enabled"
    key = given[0]
    if key in _SWITCHES:
        return [Query(_SWITCHES[key], None, on == bool(args[key]))]
    if key == "port_forward":
        return [Query("forward-port", _forward(f), on) for f in args["port_forward"]]
    return [Query(_ITEMS[key], str(args[key]), on)]


def _forward(spec: dict[str, Any]) -> str:
    """A port_forward entry as firewall-cmd writes it: port=P:proto=T:toport=Q:toaddr=A."""
    if not spec.get("port") or not spec.get("proto"):
        raise ModuleError("each port_forward needs port and proto")
    parts = [f"port={spec['port']}", f"proto={spec['proto']}"]
    parts += [f"{k}={spec[k]}" for k in ("toport", "toaddr") if spec.get(k)]
    return ":".join(parts)


def _scopes(args: dict[str, Any], state: Zone) -> tuple[bool, bool]:
    """(change the running configuration, change the permanent one)."""
    permanent = bool(args["permanent"])
    runtime = bool(args["immediate"]) or not permanent
    if not state.running:
        if permanent and args["offline"]:
            return False, True
        raise ModuleError(
            "firewalld is not running: only permanent changes with offline: true can be made"
        )
    return runtime, permanent


def _zone_commands(args: dict[str, Any], state: Zone) -> list[str]:
    """Commands for a zone's target, or for creating/deleting the zone (both permanent)."""
    if not args["permanent"]:
        raise ModuleError("zone and target changes must be permanent (permanent: true)")
    tool = "firewall-cmd --permanent" if state.running else "firewall-offline-cmd"
    zone = args["zone"]
    if args["target"] is not None:
        wanted = "default" if args["state"] in ("absent", "disabled") else args["target"]
        if state.value == wanted:
            return []
        return [f"{tool}{_zone(args)} --set-target={quote(wanted)}"]
    if not zone:
        raise ModuleError("zone is required for state present/absent")
    exists = zone in state.value.split()
    if (args["state"] == "present") == exists:
        return []
    verb = "new-zone" if args["state"] == "present" else "delete-zone"
    return [f"{tool} --{verb}={quote(zone)}"]
