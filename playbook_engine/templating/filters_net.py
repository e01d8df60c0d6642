"""Network basics from ``ansible.utils`` (``ipaddr``, ``ipv4``, ``ipmath``, ...) on the
standard ``ipaddress`` module, without netaddr.

Registered under their short names and as ``ansible.utils.<name>`` (the ``ipaddr`` family
also as ``ansible.netcommon.<name>``). Values are ``address`` or ``address/prefix`` (or
``address/netmask``) strings; a list is filtered item by item, keeping the items that give
an answer, as in Ansible. An invalid address gives ``False`` (``ipaddr``) like netaddr does.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import jinja2

__all__ = ["NET_FILTERS", "NET_TESTS", "install"]

Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _interface(value: Any) -> Interface | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        return ipaddress.ip_interface(value.strip() if isinstance(value, str) else value)
    except ValueError:
        return None


def _has_prefix(value: Any) -> bool:
    return isinstance(value, str) and "/" in value


def _usable(net: Network) -> tuple[Any, Any] | None:
    """First and last usable host of a network: none for a single address, both addresses
    of a point-to-point /31 (/127), else all but the first and last (as netaddr counts)."""
    if net.num_addresses == 1:
        return None
    if net.num_addresses == 2:
        return net[0], net[1]
    return net[1], net[-2]


def _with_prefix(address: Any, iface: Interface) -> str:
    return f"{address}/{iface.network.prefixlen}"


def _is_host(iface: Interface) -> bool:
    return iface.network.num_addresses == 1 or iface.ip != iface.network.network_address


_QUERIES: dict[str, Callable[[Interface, Any], Any]] = {
    "address": lambda i, v: str(i.ip) if _is_host(i) else None,
    "ip": lambda i, v: str(i.ip),
    "host": lambda i, v: _with_prefix(i.ip, i) if _is_host(i) else None,
    "host/prefix": lambda i, v: _with_prefix(i.ip, i) if _is_host(i) else None,
    "cidr": lambda i, v: _with_prefix(i.ip, i),
    "network": lambda i, v: str(i.network.network_address),
    "subnet": lambda i, v: str(i.network),
    "network/prefix": lambda i, v: str(i.network),
    "net": lambda i, v: str(i.network) if not _is_host(i) else None,
    "netmask": lambda i, v: str(i.netmask),
    "hostmask": lambda i, v: str(i.hostmask),
    "prefix": lambda i, v: i.network.prefixlen,
    "broadcast": lambda i, v: (
        str(i.network.broadcast_address) if i.network.num_addresses > 2 else None
    ),
    "size": lambda i, v: i.network.num_addresses,
    "version": lambda i, v: i.version,
    "type": lambda i, v: "address" if _is_host(i) else "network",
    "int": lambda i, v: f"{int(i.ip)}/{i.network.prefixlen}",
    "first_usable": lambda i, v: str(u[0]) if (u := _usable(i.network)) else None,
    "last_usable": lambda i, v: str(u[1]) if (u := _usable(i.network)) else None,
    "range_usable": lambda i, v: f"{u[0]}-{u[1]}" if (u := _usable(i.network)) else None,
    "private": lambda i, v: v if i.ip.is_private else None,
    "public": lambda i, v: v if i.ip.is_global else None,
    "multicast": lambda i, v: v if i.ip.is_multicast else None,
    "loopback": lambda i, v: v if i.ip.is_loopback else None,
    "link-local": lambda i, v: v if i.ip.is_link_local else None,
    "revdns": lambda i, v: i.ip.reverse_pointer + ".",
    "wrap": lambda i, v: f"[{i.ip}]" if i.version == 6 else str(i.ip),
}


def _nth(iface: Interface, index: int) -> str | bool:
    net = iface.network
    if not -net.num_addresses <= index < net.num_addresses:
        return False
    return _with_prefix(net[index], iface)


def _query_one(value: Any, query: Any, version: int | None, name: str) -> Any:
    iface = _interface(value)
    if iface is None or (version is not None and iface.version != version):
        return False
    if query in (None, ""):
        return str(iface.ip) if isinstance(value, int) else value
    if isinstance(query, int) or (isinstance(query, str) and query.lstrip("-").isdigit()):
        return _nth(iface, int(query))
    func = _QUERIES.get(str(query))
    if func is None:
        raise ValueError(
            f"{name}: unknown query {query!r} (pbe has: {', '.join(sorted(_QUERIES))}, or an index)"
        )
    return func(iface, value)


def _query(value: Any, query: Any, version: int | None, name: str) -> Any:
    if isinstance(value, (list, tuple)):
        found = [_query_one(v, query, version, name) for v in value]
        return [f for f in found if f not in (None, False)]
    return _query_one(value, query, version, name)


def ipaddr(value: Any, query: Any = "", version: Any = None) -> Any:
    """``'192.168.1.5/24' | ipaddr('network')`` → ``'192.168.1.0'``; see the query table."""
    return _query(value, query, int(version) if version else None, "ipaddr")


def ipv4(value: Any, query: Any = "") -> Any:
    return _query(value, query, 4, "ipv4")


def ipv6(value: Any, query: Any = "") -> Any:
    return _query(value, query, 6, "ipv6")


def _address(value: Any, name: str) -> Any:
    iface = _interface(value)
    if iface is None:
        raise ValueError(f"{name}: {value!r} is not an IP address")
    return iface


def ipmath(value: Any, amount: Any) -> str:
    """The address ``amount`` after (or before, when negative) the one given."""
    iface = _address(value, "ipmath")
    try:
        return str(iface.ip + int(amount))
    except ipaddress.AddressValueError as exc:
        raise ValueError(f"ipmath: {exc}") from None


def _nth_usable(value: Any, offset: Any, name: str, sign: int) -> str | None:
    if not _has_prefix(value):
        raise ValueError(f"{name}: {value!r} needs a network prefix (address/prefix)")
    iface = _address(value, name)
    usable = _usable(iface.network)
    target = int(iface.ip) + sign * int(offset)
    if usable is None or not int(usable[0]) <= target <= int(usable[1]):
        return None
    return str(ipaddress.ip_address(target))


def next_nth_usable(value: Any, offset: Any) -> str | None:
    return _nth_usable(value, offset, "next_nth_usable", 1)


def previous_nth_usable(value: Any, offset: Any) -> str | None:
    return _nth_usable(value, offset, "previous_nth_usable", -1)


def nthhost(value: Any, index: Any) -> str | None:
    """The ``index``-th address of the network (negative counts from its end)."""
    found = _nth(_address(value, "nthhost"), int(index))
    return found.split("/")[0] if isinstance(found, str) else None


def ipwrap(value: Any, query: Any = "") -> Any:
    """IPv6 addresses in brackets (for URLs, ``host:port``); anything else unchanged."""
    if isinstance(value, (list, tuple)):
        return [ipwrap(v) for v in value]
    iface = _interface(value)
    if iface is None or iface.version == 4:
        return value
    return f"[{iface.ip}]" if not _has_prefix(value) else f"[{iface.ip}]/{iface.network.prefixlen}"


def network_in_usable(value: Any, test: Any) -> bool:
    """Whether ``test`` (an address or network) lies in the usable range of ``value``."""
    usable = _usable(_address(value, "network_in_usable").network)
    other = _address(test, "network_in_usable").network
    return usable is not None and usable[0] <= other[0] and other[-1] <= usable[1]


def network_in_network(value: Any, test: Any) -> bool:
    net = _address(value, "network_in_network").network
    other = _address(test, "network_in_network").network
    return other.version == net.version and bool(other.subnet_of(net))


def cidr_merge(value: Any, action: str = "merge") -> Any:
    """Merge a list of addresses and networks into the fewest networks (``merge``), or
    the one network spanning them all (``span``)."""
    nets = [_address(v, "cidr_merge").network for v in value]
    if action == "span":
        if not nets:
            return None
        low, high = min(int(n[0]) for n in nets), max(int(n[-1]) for n in nets)
        prefix = nets[0].max_prefixlen - (low ^ high).bit_length()
        return str(type(nets[0])((low, prefix), strict=False))
    if action != "merge":
        raise ValueError(f"cidr_merge: action must be merge or span, got {action!r}")
    merged = []
    for version in (4, 6):
        merged += list(ipaddress.collapse_addresses(n for n in nets if n.version == version))
    return [str(n) for n in merged]


def _is(version: int | None, networks: bool) -> Callable[[Any], bool]:
    """A test for an address (or, with ``networks``, a network like ``10.0.0.0/8``)."""

    def test(value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return False
        make = ipaddress.ip_network if networks else ipaddress.ip_address
        try:
            found = make(value)
        except ValueError:
            return False
        return version is None or found.version == version

    return test


def in_network(value: Any, network: Any) -> bool:
    iface, net = _interface(value), _interface(network)
    if iface is None or net is None or iface.version != net.version:
        return False
    return bool(iface.network.subnet_of(net.network))  # type: ignore[arg-type]


NET_FILTERS: dict[str, Callable[..., Any]] = {
    "ipaddr": ipaddr,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "ipmath": ipmath,
    "ipwrap": ipwrap,
    "next_nth_usable": next_nth_usable,
    "previous_nth_usable": previous_nth_usable,
    "nthhost": nthhost,
    "network_in_usable": network_in_usable,
    "network_in_network": network_in_network,
    "cidr_merge": cidr_merge,
}
NET_TESTS: dict[str, Callable[..., bool]] = {
    "ip": _is(None, True),
    "ipv4": _is(4, True),
    "ipv6": _is(6, True),
    "ip_address": _is(None, False),
    "ipv4_address": _is(4, False),
    "ipv6_address": _is(6, False),
    "in_network": in_network,
}


def install(env: jinja2.Environment) -> None:
    """Short names (unless Ansible's builtins have them) and ``ansible.utils.*`` names."""
    for table, kind in ((NET_FILTERS, env.filters), (NET_TESTS, env.tests)):
        for name, func in table.items():
            kind.setdefault(name, func)
            kind[f"ansible.utils.{name}"] = func
            kind[f"ansible.netcommon.{name}"] = func
