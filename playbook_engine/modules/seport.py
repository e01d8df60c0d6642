"""seport: the SELinux type of network ports (``semanage port``).

One probe asks whether SELinux is on and lists the port types (``semanage port -l``, or only
the local changes, ``-C``, with ``local``); one command runs the ``semanage port -a/-m/-d``
of every port that must change. As in Ansible, a port (or range) is in state when it is
listed under the type and protocol as written; one the policy already gives another type
is modified (``-m``), one it does not know is added (``-a``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Edit, need, section, sections
from .util.selinux import ENABLED
from .util.state import Change, StateModule

_NOT_FOUND = 127


@dataclass(frozen=True, slots=True)
class PortTypes:
    """What ``semanage port -l`` says: the ports listed under each (type, protocol), and the
    types each (port, protocol) is listed under."""

    by_type: dict[tuple[str, str], list[str]]
    by_port: dict[tuple[str, str], list[str]]


def parse_ports(text: str) -> PortTypes:
    """``semanage port -l``'s table: "TYPE  PROTO  80, 81, 8000-8010" (pure)."""
    by_type: dict[tuple[str, str], list[str]] = {}
    by_port: dict[tuple[str, str], list[str]] = {}
    for line in text.splitlines():
        words = line.split(None, 2)
        if len(words) < 3 or words[0] == "SELinux" or not words[0].endswith("_t"):
            continue
        setype, proto, listed = words
        for port in filter(None, (p.strip() for p in listed.split(","))):
            by_type.setdefault((setype, proto), []).append(port)
            by_port.setdefault((port, proto), []).append(setype)
    return PortTypes(by_type, by_port)


@register("seport", "community.general.seport")
class SeportModule(StateModule[PortTypes]):
    """Give network ports an SELinux type."""

    args = {
        "ports": Arg(
            "list",
            required=True,
            elements="str",
            description="Ports or ranges (e.g. 8080 or 8000-8010), a list or a "
            "comma-separated string.",
        ),
        "proto": Arg(
            "str",
            required=True,
            choices=("tcp", "udp", "dccp", "sctp"),
            description="The protocol.",
        ),
        "setype": Arg("str", required=True, description="The SELinux type, e.g. http_port_t."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="present: the ports have the type; absent: they do not.",
        ),
        "reload": Arg(
            "bool",
            default=True,
            description="Reload the policy after the change (no: semanage -N).",
        ),
        "ignore_selinux_state": Arg(
            "bool", default=False, description="Go on even if SELinux seems off (chroots)."
        ),
        "local": Arg(
            "bool", default=False, description="Look at local changes only (semanage port -l -C)."
        ),
    }
    returns = {
        "ports": "the ports",
        "proto": "the protocol",
        "setype": "the type",
        "state": "the state asked",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        local = " -C" if args["local"] else ""
        return "; ".join(
            [section("enabled", ENABLED), section("ports", f"LANG=C semanage port -l{local} 2>&1")]
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> PortTypes:
        found = sections(res.out)
        if need(found, "enabled", res).rc != 0 and not args["ignore_selinux_state"]:
            raise ModuleError("SELinux is disabled on this host.")
        listing = need(found, "ports", res)
        if listing.rc == _NOT_FOUND:
            raise ModuleError(
                "semanage is not installed on the host (policycoreutils-"
                "python-utils); seport needs it"
            )
        if listing.rc != 0:
            raise ModuleError(f"semanage port -l failed (rc={listing.rc}): {listing.text.strip()}")
        return parse_ports(listing.text)

    def plan(self, args: dict[str, Any], state: PortTypes) -> Change | None:
        setype, proto = args["setype"], args["proto"]
        have = state.by_type.get((setype, proto), [])
        steps = []
        for port in _ports(args):
            if args["state"] == "present" and port not in have:
                steps.append(("-m" if (port, proto) in state.by_port else "-a", port))
            elif args["state"] == "absent" and port in have:
                steps.append(("-d", port))
        if not steps:
            return None
        command = " && ".join(_semanage(args, flag, port) for flag, port in steps)
        return Edit("semanage", None, values=_values(args), command=command)

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def values(self, args: dict[str, Any], state: PortTypes) -> dict[str, Any]:
        return _values(args)

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        detail = (res.err or res.out).strip() or f"exit status {res.rc}"
        return f"semanage port failed (rc={res.rc}): {detail}"


def _ports(args: dict[str, Any]) -> list[str]:
    return [str(p).strip() for p in args["ports"] if str(p).strip()]


def _semanage(args: dict[str, Any], flag: str, port: str) -> str:
    reload = "" if args["reload"] else " -N"
    kind = "" if flag == "-d" else f" -t {quote(args['setype'])}"
    return f"LANG=C semanage port{reload} {flag}{kind} -p {quote(args['proto'])} {quote(port)}"


def _values(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ports": _ports(args),
        "proto": args["proto"],
        "setype": args["setype"],
        "state": args["state"],
    }
