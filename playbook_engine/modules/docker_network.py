"""docker_network: a Docker network with a driver, IPAM and options, and the containers on
it, or none.

One command inspects the network (its ``Containers`` say who is connected); a network
whose settings differ is removed, its containers disconnected first, and created again, as
Ansible does. Containers are then connected, and (unless ``appends``) the others
disconnected.
"""

from __future__ import annotations

from typing import Any

from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.docker import CONNECTION_ARGS, dicts, docker_cli, inspected, json_value, mapping, marked
from .util.state import Change, StateModule

Network = dict[str, Any] | None
_IPAM = {"subnet": "Subnet", "gateway": "Gateway", "iprange": "IPRange"}


@register("docker_network", "community.docker.docker_network")
class DockerNetwork(StateModule[Network]):
    """Create, recreate or remove a Docker network and connect containers to it."""

    args = {
        "name": Arg("str", required=True, aliases=("network_name",), description="The network."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        "driver": Arg("str", default="bridge", description="Its driver."),
        "driver_options": Arg("dict", default={}, description="Driver options (`--opt`)."),
        "ipam_driver": Arg("str", description="The IPAM driver."),
        "ipam_driver_options": Arg("dict", description="IPAM driver options."),
        "ipam_config": Arg(
            "list",
            elements="dict",
            description="IPAM blocks: `subnet`, `gateway`, `iprange`, `aux_addresses`.",
        ),
        "internal": Arg("bool", description="No external access."),
        "attachable": Arg("bool", description="Standalone containers may attach (swarm)."),
        "enable_ipv6": Arg("bool", description="IPv6 networking."),
        "scope": Arg("str", choices=("local", "global", "swarm"), description="Its scope."),
        "labels": Arg("dict", default={}, description="Labels."),
        "connected": Arg(
            "list",
            default=[],
            elements="str",
            aliases=("containers",),
            description="Containers (names or IDs) on it.",
        ),  # fmt: skip
        "appends": Arg(
            "bool",
            default=False,
            aliases=("incremental",),
            description="Leave containers not in `connected` on it.",
        ),
        "force": Arg("bool", default=False, description="Remove and create it even when as asked."),
        **CONNECTION_ARGS,
    }
    returns = {"network": "the network as `docker network inspect` shows it"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        name = quote(args["name"])
        return f"{docker_cli(args)} network inspect {name} 2>&1; {marked('network')}"

    def parse(self, args: dict[str, Any], res: CommandResult) -> Network:
        return _inspected(res.out)

    def plan(self, args: dict[str, Any], network: Network) -> Change | None:
        for block in dicts(args["ipam_config"], "ipam_config"):
            mapping(block.get("aux_addresses"), "ipam_config.aux_addresses")
        # its containers are disconnected before it is removed, as Ansible does
        drop = [f"drop {cid}" for cid in sorted(_connected(network))] + ["remove"]
        if args["state"] == "absent":
            return Change("remove", None, {"steps": drop}) if network else None
        steps: list[str] = []
        recreate = network is not None and (args["force"] or _differs(args, network))
        if network is None or recreate:
            steps = (drop if recreate else []) + ["create"]
            network = None  # a new network has no containers yet
        on = _connected(network)
        steps += [f"connect {c}" for c in args["connected"] if not _member(c, on)]
        if not args["appends"]:
            steps += [f"disconnect {c}" for c in sorted(on) if not _listed(c, on[c], args)]
        return Change("update", None, {"steps": steps}) if steps else None

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        cli, name = docker_cli(args), quote(args["name"])
        commands = [_step(args, step, cli, name) for step in change.values["steps"]]
        body = " && ".join(commands)
        if change.op == "remove":
            return body
        return f"{body} && {cli} network inspect {name}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        found = json_value(res.out, "docker network inspect")
        return {"network": found[0] if isinstance(found, list) and found else {}}

    def values(self, args: dict[str, Any], network: Network) -> dict[str, Any]:
        return {"network": network or {}}


def _inspected(out: str) -> Network:
    found = inspected(out, "network", "docker network inspect")
    return found[0] if found else None


def _connected(network: Network) -> dict[str, str]:
    """Container ID → name of the containers on the network."""
    containers = (network or {}).get("Containers") or {}
    return {cid: str(info.get("Name", "")) for cid, info in containers.items()}


def _member(wanted: str, on: dict[str, str]) -> bool:
    return any(wanted == name or cid.startswith(wanted) for cid, name in on.items())


def _listed(cid: str, name: str, args: dict[str, Any]) -> bool:
    return any(c == name or cid.startswith(c) for c in args["connected"])


def _step(args: dict[str, Any], step: str, cli: str, name: str) -> str:
    op, _, container = step.partition(" ")
    if op == "drop":
        return f"{cli} network disconnect --force {name} {quote(container)} >/dev/null"
    if op == "remove":
        return f"{cli} network rm {name} >/dev/null"
    if op == "create":
        return f"{cli} network create {' '.join(_create_words(args))} {name} >/dev/null"
    return f"{cli} network {op} {name} {quote(container)}"


def _create_words(args: dict[str, Any]) -> list[str]:
    words = ["--driver", quote(args["driver"])]
    words += [f"--opt={quote(f'{k}={v}')}" for k, v in args["driver_options"].items()]
    words += ["--ipam-driver", quote(args["ipam_driver"])] if args["ipam_driver"] else []
    for key, value in (args["ipam_driver_options"] or {}).items():
        words.append(f"--ipam-opt={quote(f'{key}={value}')}")
    for block in args["ipam_config"] or []:
        for key, flag in (
            ("subnet", "--subnet"),
            ("gateway", "--gateway"),
            ("iprange", "--ip-range"),
        ):
            words += [flag, quote(str(block[key]))] if block.get(key) else []
        for host, address in (block.get("aux_addresses") or {}).items():
            words.append(f"--aux-address={quote(f'{host}={address}')}")
    flags = {"--internal": "internal", "--attachable": "attachable", "--ipv6": "enable_ipv6"}
    words += [flag for flag, key in flags.items() if args[key]]
    words += ["--scope", quote(args["scope"])] if args["scope"] else []
    return words + [f"--label={quote(f'{k}={v}')}" for k, v in args["labels"].items()]


def _differs(args: dict[str, Any], network: dict[str, Any]) -> bool:
    """Settings other than asked (those given): then the network is made again."""
    if network.get("Driver") != args["driver"]:
        return True
    flags = {"internal": "Internal", "attachable": "Attachable", "enable_ipv6": "EnableIPv6"}
    if any(args[k] is not None and bool(network.get(v)) != args[k] for k, v in flags.items()):
        return True
    if args["scope"] and network.get("Scope") != args["scope"]:
        return True
    if _missing(args["driver_options"], network.get("Options")):
        return True
    if _missing(args["labels"], network.get("Labels")):
        return True
    return _ipam_differs(args, network.get("IPAM") or {})


def _missing(wanted: dict[str, Any] | None, have: dict[str, Any] | None) -> bool:
    return any((have or {}).get(str(k)) != str(v) for k, v in (wanted or {}).items())


def _ipam_differs(args: dict[str, Any], ipam: dict[str, Any]) -> bool:
    if args["ipam_driver"] and ipam.get("Driver") != args["ipam_driver"]:
        return True
    if _missing(args["ipam_driver_options"], ipam.get("Options")):
        return True
    blocks = args["ipam_config"]
    if blocks is None:
        return False
    have = ipam.get("Config") or []
    if len(blocks) != len(have):
        return True
    for block, current in zip(blocks, have, strict=True):
        if any(block.get(k) and current.get(v) != block[k] for k, v in _IPAM.items()):
            return True
        if _missing(block.get("aux_addresses"), current.get("AuxiliaryAddresses")):
            return True
    return False
