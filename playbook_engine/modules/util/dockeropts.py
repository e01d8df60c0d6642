"""docker_container's options, one table: each one's ``docker create`` flags and how it
reads back from ``docker container inspect`` (a few from the image), so the module decides
from data whether a container has the configuration asked for.

Each ``Opt`` says its kind, which sets Ansible's default comparison: a value or a list
must be equal (``strict``), a set or a mapping need only hold what is asked
(``allow_more_present``); ``comparisons`` may set ``ignore`` or ``strict`` instead. The
values themselves (sizes, durations, ulimits, the health check …) are read in
util/dockervalues.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ...errors import ModuleError
from ...transport.shell import quote
from .docker import dicts
from .dockervalues import (
    arch,
    capabilities,
    cli_text,
    cpus_text,
    device_requests,
    device_specs,
    env_values,
    exposed,
    health_flags,
    healthcheck,
    links,
    mac,
    memory_bytes,
    mount_flag,
    mount_key,
    nanocpus,
    pids_limit,
    platform,
    port_bindings,
    rate_text,
    rates,
    same_health,
    same_platform,
    size_bytes,
    strings,
    swap_bytes,
    texts,
    ulimits,
    volume_specs,
)

__all__ = [
    "OPTIONS",
    "Opt",
    "check_values",
    "command_words",
    "comparison_modes",
    "create_flags",
    "differences",
]

Have = Callable[[dict[str, Any], dict[str, Any]], Any]  # (container, image) -> the value
_UNREPORTED: Final = object()  # the daemon did not keep the value (cgroup v2): not compared


def _as_is(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Opt:
    """An option. ``want`` checks the argument (a ModuleError naming the option) and gives
    what ``flags`` writes; ``as_have`` turns that into what ``have`` reads, for options
    whose flags keep the argument as given (``--memory 512m``). ``have`` None: set at
    creation only, as the daemon does not report it reliably; ``same`` compares where the
    kind's rule does not fit."""

    name: str
    kind: str  # value | list | set | dict
    flags: Callable[[Any], list[str]]
    have: Have | None
    want: Callable[[Any], Any] = _as_is
    as_have: Callable[[Any], Any] = _as_is
    same: Callable[[str, Any, Any], bool] | None = None
    default: str = ""

    @property
    def comparison(self) -> str:
        if self.default:
            return self.default
        return "strict" if self.kind in ("value", "list") else "allow_more_present"


def _get(*path: str, then: Callable[[Any], Any] = _as_is) -> Have:
    """The container's value at ``path`` (None where it has none), through ``then``."""

    def read(container: dict[str, Any], image: dict[str, Any]) -> Any:
        value: Any = container
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return then(value)

    return read


def _kept(value: Any) -> Any:
    """A value a daemon may discard (cgroup v2 reports null): compared only when kept."""
    return _UNREPORTED if value is None else value


def _flag(flag: str) -> Callable[[Any], list[str]]:
    return lambda value: [flag, quote(str(value))]


def _each(flag: str, show: Callable[[Any], str] = str) -> Callable[[Any], list[str]]:
    """The flag once per item (per ``(key, value)`` of a mapping)."""

    def words(values: Any) -> list[str]:
        items = values.items() if isinstance(values, dict) else values
        return [w for item in items for w in (flag, quote(show(item)))]

    return words


def _switch(flag: str) -> Callable[[Any], list[str]]:
    return lambda on: [flag] if on else []


def _pair(item: Any) -> str:
    return f"{item[0]}={cli_text(item[1])}"


def _size(name: str) -> Callable[[Any], int]:
    return lambda value: size_bytes(name, value)


def _env(pairs: Any) -> dict[str, str]:
    split = (item.partition("=") for item in pairs or [])
    return {key: value for key, _, value in split}


def _bindings(bound: Any) -> set[tuple[str, str, str]]:
    return {
        (port, b.get("HostIp") or "", b.get("HostPort") or "")
        for port, binds in (bound or {}).items()
        for b in binds or [{}]
    }


def _have_volumes(container: dict[str, Any], image: dict[str, Any]) -> set[str]:
    binds = volume_specs(_get("HostConfig", "Binds")(container, image))
    return binds | set(_get("Config", "Volumes")(container, image) or {})


def _have_devices(devices: Any) -> set[str]:
    return {
        f"{d['PathOnHost']}:{d['PathInContainer']}:{d['CgroupPermissions']}" for d in devices or []
    }


def _have_pids(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _have_ulimits(limits: Any) -> set[tuple[Any, ...]]:
    return {(u.get("Name"), u.get("Soft"), u.get("Hard")) for u in limits or []}


def _have_rates(kept: Any) -> set[tuple[Any, Any]]:
    return {(d.get("Path"), d.get("Rate")) for d in kept or []}


def _have_health(check: Any) -> dict[str, Any]:
    if not check or check.get("Test") == ["NONE"]:
        return {"Test": ["NONE"]}
    return {key: value for key, value in check.items() if value}


def _have_links(kept: Any) -> set[tuple[str, str]]:
    """``/db:/web/alias`` as ``(db, alias)``."""
    out = set()
    for link in kept or []:
        source, _, target = str(link).partition(":")
        out.add((source.lstrip("/"), target.rsplit("/", 1)[-1]))
    return out


def _have_macs(container: dict[str, Any], image: dict[str, Any]) -> Any:
    """The MAC addresses it has: the container-wide one (API < 1.44) and its networks'."""
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    found = [(container.get("Config") or {}).get("MacAddress")]
    found += [(net or {}).get("MacAddress") for net in networks.values()]
    macs = {mac(address) for address in found if address}
    return macs or _UNREPORTED  # a stopped container may show none: not compared


def _have_platform(container: dict[str, Any], image: dict[str, Any]) -> Any:
    """The platform of the image it runs (an image that differs recreates it anyway)."""
    if not image.get("Os"):
        return _UNREPORTED
    name = str(image.get("Architecture") or "").lower()
    return str(image["Os"]).lower(), arch(name), str(image.get("Variant") or "")


def _in_order(mode: str, want: list[str], have: list[str]) -> bool:
    """Equal, in order, even under ``allow_more_present``: as ``dns_servers`` always was."""
    return bool(want == list(have))


def command_words(value: Any) -> list[str] | None:
    """A command as the container keeps it: a list as given, a string split as sh would."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        return shlex.split(str(value))
    except ValueError as exc:  # an unbalanced quote
        raise ModuleError(f"command: cannot split {value!r}: {exc}") from None


def _value(name: str, flag: str, *path: str, want: Callable[[Any], Any] = _as_is) -> Opt:
    return Opt(name, "value", _flag(flag), _get(*path), want)


def _on(name: str, flag: str, *path: str, want: Callable[[Any], Any] = _as_is) -> Opt:
    return Opt(name, "value", _switch(flag), _get(*path, then=bool), want)


def _no_flags(value: Any) -> list[str]:
    return []


OPTIONS: tuple[Opt, ...] = (
    Opt("env", "dict", _each("--env", _pair), _get("Config", "Env", then=_env), as_have=env_values),
    Opt(
        "labels",
        "dict",
        _each("--label", _pair),
        _get("Config", "Labels", then=lambda v: v or {}),
        as_have=strings,
    ),
    Opt(
        "published_ports",
        "set",
        _each("--publish"),
        _get("HostConfig", "PortBindings", then=_bindings),
        as_have=port_bindings,
    ),
    Opt(
        "exposed_ports",
        "set",
        _each("--expose"),
        _get("Config", "ExposedPorts", then=lambda v: set(v or {})),
        as_have=exposed,
    ),
    Opt("volumes", "set", _each("--volume"), _have_volumes, as_have=volume_specs),
    Opt(
        "mounts",
        "set",
        _each("--mount", mount_flag),
        _get("HostConfig", "Mounts", then=lambda ms: {mount_key(m) for m in ms or []}),
        as_have=lambda ms: {mount_key(m) for m in dicts(ms, "mounts")},
    ),
    _value("network_mode", "--network", "HostConfig", "NetworkMode"),
    _value("user", "--user", "Config", "User"),
    _value("working_dir", "--workdir", "Config", "WorkingDir"),
    _value("hostname", "--hostname", "Config", "Hostname"),
    _value("domainname", "--domainname", "Config", "Domainname"),
    _on("privileged", "--privileged", "HostConfig", "Privileged"),
    Opt(
        "capabilities",
        "set",
        _each("--cap-add"),
        _get("HostConfig", "CapAdd", then=capabilities),
        as_have=capabilities,
    ),
    Opt(
        "cap_drop",
        "set",
        _each("--cap-drop"),
        _get("HostConfig", "CapDrop", then=capabilities),
        as_have=capabilities,
    ),
    Opt(
        "devices",
        "set",
        _each("--device"),
        _get("HostConfig", "Devices", then=_have_devices),
        as_have=device_specs,
    ),
    _value("log_driver", "--log-driver", "HostConfig", "LogConfig", "Type"),
    Opt(
        "log_options",
        "dict",
        _each("--log-opt", _pair),
        _get("HostConfig", "LogConfig", "Config", then=lambda v: v or {}),
        as_have=strings,
    ),
    Opt(
        "etc_hosts",
        "set",
        _each("--add-host", lambda p: f"{p[0]}:{p[1]}"),
        _get("HostConfig", "ExtraHosts", then=lambda v: set(v or [])),
        as_have=lambda d: {f"{k}:{v}" for k, v in d.items()},
    ),
    Opt(
        "dns_servers",
        "list",
        _each("--dns"),
        _get("HostConfig", "Dns", then=lambda v: v or []),
        as_have=lambda v: [str(x) for x in v],
        same=_in_order,
    ),
    Opt(
        "memory",
        "value",
        _flag("--memory"),
        _get("HostConfig", "Memory"),
        as_have=memory_bytes,
    ),
    _on("tty", "--tty", "Config", "Tty"),
    _on("interactive", "--interactive", "Config", "OpenStdin"),
    _on("init", "--init", "HostConfig", "Init"),
    _on("read_only", "--read-only", "HostConfig", "ReadonlyRootfs"),
    _on("auto_remove", "--rm", "HostConfig", "AutoRemove"),
    Opt(
        "sysctls",
        "dict",
        _each("--sysctl", _pair),
        _get("HostConfig", "Sysctls", then=lambda v: v or {}),
        as_have=strings,
    ),
    Opt(
        "security_opts",
        "set",
        _each("--security-opt"),
        _get("HostConfig", "SecurityOpt", then=lambda v: set(v or [])),
        as_have=lambda v: set(map(str, v)),
    ),
    Opt(
        "tmpfs",
        "set",
        _each("--tmpfs"),
        _get(
            "HostConfig",
            "Tmpfs",
            then=lambda t: {f"{k}:{v}" if v else k for k, v in (t or {}).items()},
        ),
        as_have=lambda v: set(map(str, v)),
    ),
    _value("pid_mode", "--pid", "HostConfig", "PidMode"),
    _value("ipc_mode", "--ipc", "HostConfig", "IpcMode"),
    _value("stop_signal", "--stop-signal", "Config", "StopSignal"),
    Opt(
        "stop_timeout",
        "value",
        _flag("--stop-timeout"),
        _get("Config", "StopTimeout"),
        default="ignore",
    ),
    # one --restart word joins the two: create_flags writes it here, between the options
    # above and below, where it always stood in the command
    Opt(
        "restart_policy",
        "value",
        _no_flags,
        _get("HostConfig", "RestartPolicy", "Name", then=lambda v: str(v or "no")),
    ),
    Opt(
        "restart_retries",
        "value",
        _no_flags,
        _get("HostConfig", "RestartPolicy", "MaximumRetryCount"),
    ),
    Opt(
        "cpus",
        "value",
        lambda n: ["--cpus", cpus_text(n)],
        _get("HostConfig", "NanoCpus"),
        nanocpus,
    ),
    _value("cpu_shares", "--cpu-shares", "HostConfig", "CpuShares", want=int),
    _value("cpu_period", "--cpu-period", "HostConfig", "CpuPeriod", want=int),
    _value("cpu_quota", "--cpu-quota", "HostConfig", "CpuQuota", want=int),
    _value("cpuset_cpus", "--cpuset-cpus", "HostConfig", "CpusetCpus"),
    _value("cpuset_mems", "--cpuset-mems", "HostConfig", "CpusetMems"),
    _value(
        "memory_reservation",
        "--memory-reservation",
        "HostConfig",
        "MemoryReservation",
        want=_size("memory_reservation"),
    ),
    _value("memory_swap", "--memory-swap", "HostConfig", "MemorySwap", want=swap_bytes),
    Opt(
        "memory_swappiness",
        "value",
        _flag("--memory-swappiness"),
        _get("HostConfig", "MemorySwappiness", then=_kept),
        int,
    ),
    Opt("kernel_memory", "value", _flag("--kernel-memory"), None, _size("kernel_memory")),
    _value("shm_size", "--shm-size", "HostConfig", "ShmSize", want=_size("shm_size")),
    Opt(
        "oom_killer",
        "value",
        _switch("--oom-kill-disable"),
        _get("HostConfig", "OomKillDisable", then=_kept),
        bool,
    ),
    _value("oom_score_adj", "--oom-score-adj", "HostConfig", "OomScoreAdj", want=int),
    Opt(
        "pids_limit",
        "value",
        lambda n: ["--pids-limit", str(-1 if n is None else n)],
        _get("HostConfig", "PidsLimit", then=_have_pids),
        pids_limit,
    ),
    _value("blkio_weight", "--blkio-weight", "HostConfig", "BlkioWeight", want=int),
    Opt(
        "device_read_bps",
        "set",
        _each("--device-read-bps", rate_text),
        _get("HostConfig", "BlkioDeviceReadBps", then=_have_rates),
        rates("device_read_bps", True),
    ),
    Opt(
        "device_write_bps",
        "set",
        _each("--device-write-bps", rate_text),
        _get("HostConfig", "BlkioDeviceWriteBps", then=_have_rates),
        rates("device_write_bps", True),
    ),
    Opt(
        "device_read_iops",
        "set",
        _each("--device-read-iops", rate_text),
        _get("HostConfig", "BlkioDeviceReadIOps", then=_have_rates),
        rates("device_read_iops", False),
    ),
    Opt(
        "device_write_iops",
        "set",
        _each("--device-write-iops", rate_text),
        _get("HostConfig", "BlkioDeviceWriteIOps", then=_have_rates),
        rates("device_write_iops", False),
    ),
    Opt("device_requests", "set", _each("--gpus"), None, device_requests),
    Opt(
        "device_cgroup_rules",
        "list",
        _each("--device-cgroup-rule"),
        _get("HostConfig", "DeviceCgroupRules"),
        texts("device_cgroup_rules"),
    ),
    Opt(
        "ulimits",
        "set",
        _each("--ulimit", lambda u: f"{u[0]}={u[1]}:{u[2]}"),
        _get("HostConfig", "Ulimits", then=_have_ulimits),
        ulimits,
    ),
    Opt(
        "healthcheck",
        "dict",
        health_flags,
        _get("Config", "Healthcheck", then=_have_health),
        healthcheck,
        same=same_health,
    ),
    Opt(
        "links",
        "set",
        _each("--link", lambda p: f"{p[0]}:{p[1]}"),
        _get("HostConfig", "Links", then=_have_links),
        links,
    ),
    Opt(
        "volumes_from",
        "set",
        _each("--volumes-from"),
        _get("HostConfig", "VolumesFrom"),
        texts("volumes_from"),
    ),
    _value("volume_driver", "--volume-driver", "HostConfig", "VolumeDriver"),
    Opt(
        "storage_opts",
        "dict",
        _each("--storage-opt", _pair),
        _get("HostConfig", "StorageOpt"),
        strings,
    ),
    Opt(
        "dns_opts",
        "set",
        _each("--dns-option"),
        _get("HostConfig", "DnsOptions"),
        texts("dns_opts"),
    ),
    Opt(
        "dns_search_domains",
        "list",
        _each("--dns-search"),
        _get("HostConfig", "DnsSearch"),
        texts("dns_search_domains"),
    ),
    Opt("groups", "set", _each("--group-add"), _get("HostConfig", "GroupAdd"), texts("groups")),
    Opt(
        "mac_address",
        "value",
        _flag("--mac-address"),
        _have_macs,
        mac,
        same=lambda mode, want, have: want in have,
    ),
    Opt(
        "platform",
        "value",
        lambda p: ["--platform", quote("/".join(filter(None, p)))],
        _have_platform,
        platform,
        same=same_platform,
    ),
    _on("publish_all_ports", "--publish-all", "HostConfig", "PublishAllPorts", want=bool),
    _value("runtime", "--runtime", "HostConfig", "Runtime"),
    _value("cgroup_parent", "--cgroup-parent", "HostConfig", "CgroupParent"),
    _value("cgroupns_mode", "--cgroupns", "HostConfig", "CgroupnsMode"),
    _value("userns_mode", "--userns", "HostConfig", "UsernsMode"),
    _value("uts", "--uts", "HostConfig", "UTSMode"),
)


def check_values(args: dict[str, Any]) -> None:
    """Read every option given as create and the comparison will, so bad input (a size, a
    mount, a boolean env value) fails before the host is asked, whichever path the module
    takes."""
    for opt in OPTIONS:
        if args.get(opt.name) is not None:
            value = opt.want(args[opt.name])
            opt.as_have(value)
            opt.flags(value)


def create_flags(args: dict[str, Any]) -> list[str]:
    """The ``docker create`` words of the options given, in the table's order."""
    words = []
    for opt in OPTIONS:
        if opt.name == "restart_policy":
            words += _restart_flags(args)
        elif args.get(opt.name) is not None:
            words += opt.flags(opt.want(args[opt.name]))
    return words


def _restart_flags(args: dict[str, Any]) -> list[str]:
    policy = args.get("restart_policy")
    if not policy:
        return []
    retries = args.get("restart_retries")
    suffix = f":{int(retries)}" if policy == "on-failure" and retries is not None else ""
    return ["--restart", quote(f"{policy}{suffix}")]


def differences(
    args: dict[str, Any],
    container: dict[str, Any],
    image: dict[str, Any],
    comparisons: dict[str, str],
) -> list[str]:
    """The options whose asked-for value the container (or its image) does not have."""
    out = []
    for opt in OPTIONS:
        value = args.get(opt.name)
        mode = comparisons.get(opt.name, comparisons.get("*", opt.comparison))
        if value is None or mode == "ignore" or opt.have is None:
            continue
        have = opt.have(container, image)
        if have is _UNREPORTED:
            continue
        want = opt.as_have(opt.want(value))
        same = opt.same(mode, want, have) if opt.same else _same(opt.kind, mode, want, have)
        if not same:
            out.append(opt.name)
    return out


def _same(kind: str, mode: str, want: Any, have: Any) -> bool:
    """The kind's rule: a value or a list is equal; a set or a mapping need only hold what
    is asked (``allow_more_present``), unless ``strict``."""
    if kind == "value":
        return bool(want == have)
    if kind == "dict":
        have = dict(have or {})
        return want == have if mode == "strict" else all(have.get(k) == v for k, v in want.items())
    if mode == "allow_more_present":  # a set, or a list compared so
        return set(want) <= set(have or ())
    if kind == "set":
        return set(want) == set(have or ())
    return list(want) == list(have or [])


_MODES = ("strict", "ignore", "allow_more_present")
# what docker_container compares itself, beside the table
_COMPARED_TOO = {"image": "value", "command": "list", "entrypoint": "list", "networks": "set"}
_COMPARED_TOO |= {"env_file": "set", "detach": "value"}


def comparison_modes(given: dict[str, Any] | None, aliases: dict[str, str]) -> dict[str, str]:
    """``comparisons`` by option name (``aliases`` resolved), refused as Ansible refuses it:
    an unknown option or mode, ``allow_more_present`` on a single value or on ``*``."""
    kinds = {o.name: o.kind for o in OPTIONS} | _COMPARED_TOO
    out = {}
    for key, mode in (given or {}).items():
        name, mode = aliases.get(str(key), str(key)), str(mode)
        if mode not in _MODES:
            raise ModuleError(
                f"comparisons: {key}: unknown comparison {mode!r} "
                "(strict, ignore or allow_more_present)"
            )
        if name not in kinds and name != "*":
            raise ModuleError(f"comparisons: {key} is not an option that can be compared")
        if mode == "allow_more_present" and kinds.get(name, "value") == "value":
            what = "the wildcard *" if name == "*" else f"{key} is a single value: it"
            raise ModuleError(f"comparisons: {what} takes strict or ignore")
        out[name] = mode
    return out
