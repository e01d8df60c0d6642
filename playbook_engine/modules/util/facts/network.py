"""The ``network`` subset: interfaces from /sys/class/net, addresses and default routes from
one ``ip`` call (``-o addr show`` and ``route get`` towards a public v4 and v6 address).

As in Ansible, an IPv4 address with a label other than its device's name (``eth0:1``) is
listed under that label too: a fact of its own (``ansible_eth0_1``) and an entry of
``interfaces``; a primary address with such a label is only there.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from .probe import Probed

Facts = dict[str, Any]

_NET = "/sys/class/net/"
_TYPES = {"1": "ether", "32": "infiniband", "512": "ppp", "772": "loopback", "65534": "tunnel"}
_ROUTE4, _ROUTE6 = "8.8.8.8", "2404:6800:4001:800::200e"
IFF_UP, IFF_PROMISC = 0x1, 0x100


@dataclass
class _Addresses:
    """What the ``ip`` section says, gathered per device and per label."""

    devices: dict[str, Facts]
    aliases: dict[str, Facts] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # IPv4 address -> label
    v4: list[tuple[str, Facts]] = field(default_factory=list)  # (device, entry)
    routes: dict[str, dict[str, str]] = field(default_factory=lambda: {"v4": {}, "v6": {}})


def network_facts(probed: Probed) -> Facts:
    names = sorted(
        path[len(_NET) :]
        for path in probed.lines("exists")
        if re.fullmatch(re.escape(_NET) + r"[^/]+", path)
    )
    found = _read_ip(probed, {name: _interface(probed, name) for name in names})
    facts: Facts = {
        "interfaces": sorted(names + [label.replace(":", "_") for label in found.aliases]),
        "locally_reachable_ips": _local_ips(probed),
        "default_ipv4": _default(found, found.routes["v4"], "ipv4"),
        "default_ipv6": _default(found, found.routes["v6"], "ipv6"),
        "all_ipv4_addresses": [
            e["address"]
            for _, e in sorted(found.v4, key=lambda d: d[0])
            if not e["address"].startswith("127.")
        ],
        "all_ipv6_addresses": [
            e["address"]
            for name in names
            for e in found.devices[name].get("ipv6", [])
            if e["address"] != "::1"
        ],
    }
    for name, iface in [*found.devices.items(), *found.aliases.items()]:
        facts[name.replace("-", "_").replace(":", "_")] = iface
    return facts


def _local_ips(probed: Probed) -> dict[str, list[str]]:
    """Destinations of the ``local`` routing table: what this host answers for."""
    v4 = [line.split()[1] for line in probed.lines("ip") if line.startswith("local ")]
    v6 = [line.split()[1] for line in probed.lines("ip6local") if line.startswith("local ")]
    return {"ipv4": v4, "ipv6": v6}


def _interface(probed: Probed, name: str) -> Facts:
    def read(leaf: str) -> str | None:
        value = probed.file(f"{_NET}{name}/{leaf}")
        return value.strip() if value is not None else None

    flags = int(read("flags") or "0", 16)
    facts: Facts = {
        "device": name,
        "active": bool(flags & IFF_UP),
        "promisc": bool(flags & IFF_PROMISC),
        "type": _TYPES.get(read("type") or "", "unknown"),
    }
    mac = read("address")
    if mac and mac != "00:00:00:00:00:00":
        facts["macaddress"] = mac
    if (mtu := read("mtu")) and mtu.isdigit():
        facts["mtu"] = int(mtu)
    if (speed := read("speed")) and re.fullmatch(r"-?\d+", speed):
        facts["speed"] = int(speed)
    if device := probed.link(f"{_NET}{name}/device"):
        facts["pciid"] = device.rsplit("/", 1)[-1]
    if module := probed.link(f"{_NET}{name}/device/driver/module"):
        facts["module"] = module.rsplit("/", 1)[-1]
    facts.update(_bridge_or_bond(probed, name, read))
    return facts


def _bridge_or_bond(probed: Probed, name: str, read: Any) -> Facts:
    if (bridge_id := read("bridge/bridge_id")) is not None:
        ports = sorted(
            path.rsplit("/", 1)[-1]
            for path in probed.lines("exists")
            if path.startswith(f"{_NET}{name}/brif/")
        )
        return {
            "type": "bridge",
            "id": bridge_id,
            "stp": read("bridge/stp_state") == "1",
            "interfaces": ports,
        }
    if (mode := read("bonding/mode")) is not None:
        miimon = read("bonding/miimon") or ""
        return {
            "type": "bonding",
            "mode": mode.split()[0],
            "slaves": (read("bonding/slaves") or "").split(),
            **({"miimon": miimon} if miimon else {}),
        }
    return {}


def _read_ip(probed: Probed, devices: dict[str, Facts]) -> _Addresses:
    """Reads ``ip -o addr`` lines (``2: eth0    inet 10.0.0.5/24 ...``) and, from an ``ip``
    without ``-o`` (BusyBox), an ``inet`` line under its ``2: eth0: <...>`` header."""
    found = _Addresses(devices)
    current = ""
    for line in probed.lines("ip"):
        words = line.split()
        if len(words) > 1 and re.fullmatch(r"\d+:", words[0]):
            current, words = words[1].rstrip(":").split("@")[0], words[2:]
        elif words and words[0] in (_ROUTE4, _ROUTE6):
            found.routes["v4" if words[0] == _ROUTE4 else "v6"] = _route(words)
            continue
        if len(words) > 1 and "/" in words[1] and current in devices:
            if words[0] == "inet":
                _add_ipv4(found, current, words)
            elif words[0] == "inet6":
                options = _keywords(words[2:], ("scope",))
                address, prefix = words[1].split("/", 1)
                devices[current].setdefault("ipv6", []).append(
                    {"address": address, "prefix": prefix, "scope": options.get("scope", "")}
                )
    return found


def _add_ipv4(found: _Addresses, device: str, words: list[str]) -> None:
    r"""``inet 10.0.0.5/24 brd 10.0.0.255 scope global secondary eth0:1\ valid_lft ...``:
    the label (``eth0:1``) is the word before ``ip -o``'s ``\`` or else the last one."""
    address, prefix = words[1].split("/", 1)
    network = ipaddress.ip_interface(f"{address}/{prefix}").network
    entry = {
        "address": address,
        "broadcast": _keywords(words[2:], ("brd",)).get("brd", ""),
        "netmask": str(network.netmask),
        "network": str(network.network_address),
        "prefix": prefix,
    }
    ends = [w[:-1] for w in words if w.endswith("\\")]
    label = ends[0] if ends else words[-1]
    label = label if label.startswith(device) else device
    found.labels[address] = label
    found.v4.append((device, entry))
    owner = found.devices[device] if label == device else found.aliases.setdefault(label, {})
    if "secondary" in words[2:]:
        found.devices[device].setdefault("ipv4_secondaries", []).append(entry)
        if label != device:
            owner.setdefault("ipv4_secondaries", []).append(entry)
    else:
        owner["ipv4"] = entry


def _keywords(words: list[str], keys: tuple[str, ...]) -> dict[str, str]:
    return {word: words[i + 1] for i, word in enumerate(words[:-1]) if word in keys}


def _route(words: list[str]) -> dict[str, str]:
    """``8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0``: gateway, interface, address."""
    found = _keywords(words[1:], ("via", "dev", "src"))
    return {
        key: found[word]
        for word, key in (("via", "gateway"), ("dev", "interface"), ("src", "address"))
        if word in found
    }


def _default(found: _Addresses, route: dict[str, str], family: str) -> Facts:
    """The default route's interface and source address, with what is known of both."""
    iface = found.devices.get(route.get("interface", ""))
    if iface is None or "address" not in route:
        return {}
    facts: Facts = dict(route)
    if family == "ipv4":
        facts.update(next((e for _, e in found.v4 if e["address"] == route["address"]), {}))
        if route["address"] in found.labels:
            facts["alias"] = found.labels[route["address"]]
    else:
        facts.update(
            next((e for e in iface.get("ipv6", []) if e["address"] == route["address"]), {})
        )
    facts.update({k: iface[k] for k in ("macaddress", "mtu", "type") if k in iface})
    return facts
