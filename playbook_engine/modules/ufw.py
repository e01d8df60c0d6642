"""ufw: Ubuntu's firewall front end: on or off, default policies, logging and rules.

One probe reads ufw's own settings (``/etc/ufw/ufw.conf``: enabled, log level;
``/etc/default/ufw``: the default policies; they hold even while ufw is inactive) and asks
ufw itself whether the rule is there (``ufw --dry-run RULE`` says it would skip an
existing rule, or could not delete a missing one). One command then runs the ufw commands
that change something.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.hostedit import Edit, HostStateModule, Section, need, read_file, section, sections

_POLICIES = {"ACCEPT": "allow", "DROP": "deny", "REJECT": "reject"}
_DIRECTION_KEYS = {
    "incoming": "DEFAULT_INPUT_POLICY",
    "outgoing": "DEFAULT_OUTPUT_POLICY",
    "routed": "DEFAULT_FORWARD_POLICY",
}
_DIRECTIONS = {
    "in": "incoming",
    "incoming": "incoming",
    "out": "outgoing",
    "outgoing": "outgoing",
    "routed": "routed",
}
_SETTING = re.compile(r'^\s*([A-Z_]+)\s*=\s*"?([^"]*)"?\s*$')
_UFW_FAILED = 11


@dataclass(frozen=True, slots=True)
class Firewall:
    enabled: bool
    loglevel: str  # off, low, medium, high, full
    policies: dict[str, str]  # incoming/outgoing/routed -> allow/deny/reject
    rule_needed: bool  # the rule command would change something


@register("ufw", "community.general.ufw")
class UfwModule(HostStateModule[Firewall]):
    """Enable or disable ufw, set its default policies and logging, add or delete a rule."""

    args = {
        "state": Arg(
            "str",
            choices=("disabled", "enabled", "reloaded", "reset"),
            description="ufw on, off, reloaded, or reset to its defaults.",
        ),
        "default": Arg(
            "str",
            aliases=("policy",),
            choices=("allow", "deny", "reject"),
            description="The default policy (for `direction`).",
        ),
        "direction": Arg(
            "str",
            choices=("in", "incoming", "out", "outgoing", "routed"),
            description="The direction of a rule or default policy.",
        ),
        "logging": Arg(
            "str",
            choices=("on", "off", "low", "medium", "high", "full"),
            description="Logging on, off or at a level.",
        ),
        "rule": Arg(
            "str", choices=("allow", "deny", "limit", "reject"), description="The rule's action."
        ),
        "delete": Arg("bool", default=False, description="Delete the rule instead."),
        "insert": Arg("int", description="Insert the rule as number N (from 1)."),
        "insert_relative_to": Arg(
            "str",
            default="zero",
            choices=("first-ipv4", "first-ipv6", "last-ipv4", "last-ipv6", "zero"),
            description="What `insert` counts from (pbe: zero only).",
        ),
        "log": Arg("bool", default=False, description="Log connections the rule matches."),
        "from_ip": Arg("str", default="any", aliases=("from", "src"), description="Source."),
        "from_port": Arg("str", description="Source port."),
        "to_ip": Arg("str", default="any", aliases=("dest", "to"), description="Destination."),
        "to_port": Arg("str", aliases=("port",), description="Destination port (or range)."),
        "proto": Arg(
            "str",
            aliases=("protocol",),
            choices=("any", "tcp", "udp", "ipv6", "esp", "ah", "gre", "igmp", "vrrp"),
            description="The protocol.",
        ),
        "name": Arg("str", aliases=("app",), description="An application profile."),
        "interface": Arg("str", aliases=("if",), description="The rule's interface."),
        "interface_in": Arg("str", aliases=("if_in",), description="Input interface."),
        "interface_out": Arg("str", aliases=("if_out",), description="Output interface."),
        "route": Arg("bool", default=False, description="A rule for routed packets."),
        "comment": Arg("str", description="The rule's comment."),
    }
    required_one_of = (("state", "default", "logging", "rule"),)
    mutually_exclusive = (
        ("name", "proto", "logging"),
        ("direction", "interface_in"),
        ("direction", "interface_out"),
    )

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _check(args)
        parts = [
            section("ufw", "command -v ufw"),
            read_file("conf", "/etc/ufw/ufw.conf"),
            read_file("defaults", "/etc/default/ufw"),
        ]
        if args["rule"]:
            parts.append(section("dryrun", f"LANG=C ufw --dry-run {rule_words(args)} 2>&1"))
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Firewall:
        found = sections(res.out)
        if need(found, "ufw", res).rc != 0:
            raise ModuleError("ufw is not installed on the host (the ufw package)")
        conf = _settings(need(found, "conf", res))
        defaults = _settings(need(found, "defaults", res))
        policies = {
            d: _POLICIES.get(defaults.get(key, ""), "") for d, key in _DIRECTION_KEYS.items()
        }
        needed = _rule_needed(args, found["dryrun"]) if args["rule"] else False
        return Firewall(conf.get("ENABLED") == "yes", conf.get("LOGLEVEL", "off"), policies, needed)

    def plan(self, args: dict[str, Any], state: Firewall) -> Edit | None:
        commands = planned(args, state)
        if not commands:
            return None
        command = " && ".join(f"{{ LANG=C {c} 2>&1 || exit {_UFW_FAILED}; }}" for c in commands)
        return Edit("ufw", "", values={"commands": commands}, command=command)

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def failed(self, args: dict[str, Any], change: Any, res: CommandResult) -> str:
        return (res.out + res.err).strip() or f"ufw failed (rc={res.rc})"

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        result = super().run(args, ctx)
        if args["state"] == "reloaded" and not ctx.check:
            res = ctx.run("LANG=C ufw reload 2>&1")  # reloading changes no setting: ok
            if res.rc != 0:
                raise ModuleError((res.out + res.err).strip() or "ufw reload failed")
        return result


def _check(args: dict[str, Any]) -> None:
    if args["insert_relative_to"] != "zero" and args["insert"] is not None:
        raise ModuleError(
            "insert_relative_to other than zero is not supported by pbe: "
            "give the absolute rule number"
        )
    if args["interface"] and (args["interface_in"] or args["interface_out"]):
        raise ModuleError("interface is mutually exclusive with interface_in/interface_out")
    if args["direction"] == "routed" and args["rule"] and not args["route"]:
        raise ModuleError(
            "direction=routed applies to default policies; give route: true "
            "with interface_in/interface_out for a routed rule"
        )


def _settings(found: Section) -> dict[str, str]:
    settings = {}
    for line in found.text.splitlines():
        if (match := _SETTING.match(line)) is not None:
            settings[match.group(1)] = match.group(2)
    return settings


def _rule_needed(args: dict[str, Any], dry: Section) -> bool:
    """Whether ``ufw RULE`` would change anything, from its dry run's output."""
    lines = [line.strip() for line in dry.text.splitlines() if line.strip()]
    if dry.rc != 0 or any(line.startswith("ERROR") for line in lines):
        raise ModuleError("\n".join(lines) or f"ufw --dry-run failed (rc={dry.rc})")
    skip = "Could not delete non-existent rule" if args["delete"] else "Skipping"
    return any(not line.startswith((skip, "WARN")) for line in lines)


def rule_words(args: dict[str, Any]) -> str:
    """The ufw rule command's words, in ufw's order."""
    words = []
    if args["delete"]:
        words.append("delete")
    elif args["insert"] is not None:
        words += ["insert", str(args["insert"])]
    words += ["route"] if args["route"] else []
    words += [args["rule"], *_interface_words(args)]
    words += ["log"] if args["log"] else []
    for side in ("from", "to"):
        words += [side, args[f"{side}_ip"] or "any"]
        if args[f"{side}_port"]:
            words += ["port", args[f"{side}_port"]]
    if args["proto"] and args["proto"] != "any":
        words += ["proto", args["proto"]]
    words += ["app", args["name"]] if args["name"] else []
    words += ["comment", args["comment"]] if args["comment"] else []
    return " ".join(quote(w) for w in words)


def _interface_words(args: dict[str, Any]) -> list[str]:
    """``in``/``out`` and ``on IFACE``: both interfaces of a routed rule, or one."""
    if args["interface_in"] or args["interface_out"]:
        words = []
        for word, iface in (("in", args["interface_in"]), ("out", args["interface_out"])):
            words += [word, "on", iface] if iface else []
        return words
    direction = _DIRECTIONS.get(args["direction"] or "", "")
    word = "out" if direction == "outgoing" else "in"
    if direction in ("incoming", "outgoing"):
        return [word, "on", args["interface"]] if args["interface"] else [word]
    return ["in", "on", args["interface"]] if args["interface"] else []


def planned(args: dict[str, Any], state: Firewall) -> list[str]:
    """The ufw commands the task needs, in the order ufw applies them."""
    commands = []
    wanted = args["state"]
    if wanted == "enabled" and not state.enabled:
        commands.append("ufw --force enable")
    elif wanted == "disabled" and state.enabled:
        commands.append("ufw disable")
    elif wanted == "reset":
        commands.append("ufw --force reset")
    if args["default"]:
        direction = _DIRECTIONS.get(args["direction"] or "", "incoming")
        if state.policies.get(direction) != args["default"]:
            commands.append(f"ufw default {args['default']} {direction}")
    if args["logging"] and not _logging_is(state.loglevel, args["logging"]):
        commands.append(f"ufw logging {args['logging']}")
    if args["rule"] and state.rule_needed:
        commands.append(f"ufw {rule_words(args)}")
    return commands


def _logging_is(level: str, wanted: str) -> bool:
    if wanted == "on":
        return level not in ("off", "")
    return level == wanted
