"""Which collectors a ``gather_subset`` and ``filter`` select, and the facts they make.

A collector is a named group of facts (``platform``, ``distribution``, ``hardware`` ...), as
in Ansible; ``gather_subset`` accepts collector names, the groups ``all``/``min``, the fact
names Ansible accepts as aliases (``kernel``, ``default_ipv4`` ...), and ``!`` exclusions.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from typing import Any

from ....errors import ModuleError
from . import distro, hardware, network, system, virtual
from .probe import Probed

Facts = dict[str, Any]

MIN = frozenset(
    {
        "apparmor",
        "caps",
        "cmdline",
        "date_time",
        "distribution",
        "dns",
        "env",
        "fips",
        "local",
        "lsb",
        "pkg_mgr",
        "platform",
        "python",
        "selinux",
        "service_mgr",
        "ssh_pub_keys",
        "user",
    }
)
ALL = MIN | {
    "hardware",
    "network",
    "virtual",
    "chroot",
    "loadavg",
    "fibre_channel_wwn",
    "iscsi",
    "nvme",
    "systemd",
}
_REQUIRES = {
    "hardware": {"platform"},
    "network": {"platform", "distribution"},
    "service_mgr": {"platform", "distribution"},
    "pkg_mgr": {"distribution"},
}
# Accepted for compatibility; pbe gathers nothing for them.
_NOTHING = frozenset({"caps", "systemd", "facter", "ohai"})

# The facts each collector can produce (network adds one per interface).
PRODUCES: dict[str, tuple[str, ...]] = {
    "platform": (
        "system",
        "kernel",
        "kernel_version",
        "machine",
        "architecture",
        "nodename",
        "hostname",
        "fqdn",
        "domain",
        "userspace_bits",
        "userspace_architecture",
        "python_version",
        "machine_id",
    ),
    "distribution": (
        "distribution",
        "distribution_version",
        "distribution_major_version",
        "distribution_minor_version",
        "distribution_release",
        "distribution_file_path",
        "distribution_file_variety",
        "distribution_file_parsed",
        "distribution_file_search_string",
        "os_family",
    ),
    "user": (
        "user_id",
        "user_uid",
        "user_gid",
        "user_gecos",
        "user_dir",
        "user_shell",
        "real_user_id",
        "effective_user_id",
        "real_group_id",
        "effective_group_id",
    ),
    "lsb": ("lsb",),
    "env": ("env",),
    "date_time": ("date_time",),
    "dns": ("dns",),
    "fips": ("fips",),
    "selinux": ("selinux",),
    "apparmor": ("apparmor",),
    "cmdline": ("cmdline", "proc_cmdline"),
    "pkg_mgr": ("pkg_mgr",),
    "service_mgr": ("service_mgr",),
    "python": ("python",),
    "local": ("local",),
    "ssh_pub_keys": tuple(
        f"ssh_host_key_{kind}_public{suffix}"
        for kind in ("dsa", "rsa", "ecdsa", "ed25519")
        for suffix in ("", "_keytype")
    ),
    "hardware": (
        "memtotal_mb",
        "memfree_mb",
        "swaptotal_mb",
        "swapfree_mb",
        "memory_mb",
        "processor",
        "processor_count",
        "processor_cores",
        "processor_threads_per_core",
        "processor_vcpus",
        "processor_nproc",
        "flags",
        "mounts",
        "uptime_seconds",
        "form_factor",
        "system_vendor",
        *(
            f"{part}_{field}"
            for part, fields in (
                ("bios", ("date", "vendor", "version")),
                ("board", ("asset_tag", "name", "serial", "vendor", "version")),
                ("chassis", ("asset_tag", "serial", "vendor", "version")),
                ("product", ("name", "serial", "uuid", "version")),
            )
            for field in fields
        ),
    ),
    "network": (
        "interfaces",
        "default_ipv4",
        "default_ipv6",
        "all_ipv4_addresses",
        "all_ipv6_addresses",
        "locally_reachable_ips",
    ),
    "virtual": (
        "virtualization_type",
        "virtualization_role",
        "virtualization_tech_guest",
        "virtualization_tech_host",
    ),
    "chroot": ("is_chroot",),
    "loadavg": ("loadavg",),
    "fibre_channel_wwn": ("fibre_channel_wwn",),
    "iscsi": ("iscsi_iqn",),
    "nvme": ("hostnqn",),
}
# Fact names gather_subset accepts in place of their collector (as Ansible does).
_ALIASES = {
    "effective_group_ids": "user",
    "devices": "hardware",
    "is_chroot": "chroot",
    "ssh_host_pub_keys": "ssh_pub_keys",
    "system_capabilities": "caps",
    "system_capabilities_enforced": "caps",
    **{
        fact: name
        for name in ("platform", "distribution", "user", "network", "virtual", "ssh_pub_keys")
        for fact in PRODUCES[name]
    },
    "hostnqn": "nvme",
    "iscsi_iqn": "iscsi",
    "mounts": "hardware",
    "processor": "hardware",
    "processor_cores": "hardware",
    "processor_count": "hardware",
}
UNPREFIXED = ("gather_subset", "module_setup")  # the facts Ansible names without ansible_


def select(subset: Iterable[str]) -> set[str]:
    """The collectors a ``gather_subset`` list selects, with the ones they need."""
    include: set[str] = set()
    exclude: set[str] = set()
    explicit: set[str] = set()
    for item in (str(i).strip() for i in subset):
        negate, name = item.startswith("!"), item.lstrip("!")
        names = _expand(name, negate)
        if negate:
            exclude |= (ALL - MIN) if name == "all" else names
        elif name in ("all", "min"):
            include |= names
        else:
            explicit |= names
    excluded_min = any(str(i).strip() == "!min" for i in subset)
    selected = (include | (set() if excluded_min else set(MIN))) - exclude
    selected |= explicit
    for name in list(selected):
        selected |= _REQUIRES.get(name, set())
    return selected - _NOTHING


def _expand(name: str, negate: bool) -> set[str]:
    if name == "all":
        return set(ALL)
    if name == "min":
        return set(MIN)
    if name in ALL or name in _NOTHING:
        return {name}
    if name in _ALIASES:
        return {_ALIASES[name]}
    if negate:
        return set()  # excluding what does not exist excludes nothing
    allowed = ", ".join(sorted({"all", "min", *ALL, *_NOTHING, *_ALIASES}))
    raise ModuleError(f"bad subset '{name}' given in gather_subset; allowed: {allowed}")


def ansible_name(fact: str) -> str:
    return fact if fact in UNPREFIXED else f"ansible_{fact}"


def matches(fact: str, patterns: Iterable[str]) -> bool:
    """Ansible's ``filter``: a glob on the fact's name, with or without ``ansible_``."""
    name = ansible_name(fact)
    return any(
        fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(name, f"ansible_{p}") for p in patterns
    )


def needed(collectors: set[str], patterns: list[str]) -> set[str]:
    """The collectors whose facts can pass ``filter`` (network's interfaces can match any
    pattern that is not the exact name of another fact)."""
    if not patterns:
        return collectors
    known = {fact for facts in PRODUCES.values() for fact in facts} | set(UNPREFIXED)
    keep = {
        name
        for name in collectors
        if any(matches(fact, patterns) for fact in PRODUCES.get(name, ()))
    }
    literal = all(not any(c in p for c in "*?[") for p in patterns)
    if "network" in collectors and not (
        literal and all(_literal_fact(p) in known for p in patterns)
    ):
        keep.add("network")
    for name in list(keep):
        keep |= _REQUIRES.get(name, set()) & collectors
    return keep


def _literal_fact(pattern: str) -> str:
    return pattern[len("ansible_") :] if pattern.startswith("ansible_") else pattern


def facts_for(probed: Probed, collectors: set[str]) -> Facts:
    """Every fact of ``collectors`` that the probe's output supports."""
    facts: Facts = {}
    for name, parse in _PARSERS.items():
        if name in collectors:
            facts.update(parse(probed))
    return facts


def _distribution(probed: Probed) -> Facts:
    """Once per probe: pkg_mgr derives from it too."""
    if "distribution" not in probed.memo:
        system_name, _, kernel, _, _ = system.uname(probed)
        probed.memo["distribution"] = distro.distribution_facts(
            probed, system_name, kernel, system.lsb_info(probed)
        )
    return dict(probed.memo["distribution"])


_PARSERS: dict[str, Callable[[Probed], Facts]] = {
    "platform": system.platform_facts,
    "distribution": _distribution,
    "lsb": lambda p: {"lsb": system.lsb_info(p)},
    "user": system.user_facts,
    "env": system.env_facts,
    "date_time": system.date_time_facts,
    "dns": system.dns_facts,
    "fips": lambda p: {"fips": (p.file("/proc/sys/crypto/fips_enabled") or "").strip() == "1"},
    "selinux": system.selinux_facts,
    "apparmor": lambda p: {
        "apparmor": {
            "status": "enabled" if p.exists("/sys/kernel/security/apparmor") else "disabled"
        }
    },
    "cmdline": system.cmdline_facts,
    "pkg_mgr": lambda p: {"pkg_mgr": distro.pkg_mgr(p, _distribution(p))},
    "service_mgr": lambda p: {"service_mgr": distro.service_mgr(p, system.uname(p)[0])},
    "python": system.python_facts,
    "ssh_pub_keys": system.ssh_key_facts,
    "local": system.local_facts,
    "hardware": hardware.hardware_facts,
    "network": network.network_facts,
    "virtual": virtual.virtual_facts,
    "chroot": system.chroot_facts,
    "loadavg": system.loadavg_facts,
    "fibre_channel_wwn": hardware.fibre_channel_facts,
    "iscsi": lambda p: {
        "iscsi_iqn": _keyed(p.file("/etc/iscsi/initiatorname.iscsi"), "InitiatorName")
    },
    "nvme": lambda p: {"hostnqn": (p.file("/etc/nvme/hostnqn") or "").strip()},
}


def _keyed(text: str | None, key: str) -> str:
    """The value of the first ``KEY=value`` line, or ``""``."""
    for line in (text or "").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.strip()
    return ""
