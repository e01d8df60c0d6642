"""docker_container's options: each one's ``docker create`` flags and how it reads back from
``docker container inspect``, so the module decides from data whether a container has the
configuration asked for.

Each ``Opt`` says its kind, which sets Ansible's default comparison: a value or a list
must be equal (``strict``), a set or a mapping need only hold what is asked
(``allow_more_present``); ``comparisons`` may set ``ignore`` or ``strict`` instead.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import ModuleError
from ...transport.shell import quote
from .docker import dicts

__all__ = [
    "OPTIONS",
    "Opt",
    "check_values",
    "command_words",
    "differences",
    "memory_bytes",
    "port_bindings",
]

Reader = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Opt:
    """An option: ``kind`` value | list | set | dict; ``flags`` its create words (quoted);
    ``want`` the argument as ``have`` reads the container (both normalized alike)."""

    name: str
    kind: str
    flags: Callable[[Any], list[str]]
    have: Reader
    want: Callable[[Any], Any] = lambda value: value
    default: str = ""

    @property
    def comparison(self) -> str:
        if self.default:
            return self.default
        return "strict" if self.kind in ("value", "list") else "allow_more_present"


def _get(*path: str) -> Reader:
    def read(inspect: dict[str, Any]) -> Any:
        value: Any = inspect
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return read


def _flag(flag: str) -> Callable[[Any], list[str]]:
    return lambda value: [flag, quote(str(value))]


def _each(flag: str, show: Callable[[Any], str] = str) -> Callable[[Any], list[str]]:
    def words(values: Any) -> list[str]:
        items = values.items() if isinstance(values, dict) else values
        return [w for item in items for w in (flag, quote(show(item)))]

    return words


def _pair(item: Any) -> str:
    return f"{item[0]}={_text(item[1])}"


def _switch(flag: str) -> Callable[[Any], list[str]]:
    return lambda on: [f"{flag}={'true' if on else 'false'}"]


def _strings(values: Any) -> dict[str, str]:
    return {str(k): _text(v) for k, v in (values or {}).items()}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _env_values(values: Any) -> dict[str, str]:
    """``env`` as text; a YAML boolean is refused, as Ansible does (``yes`` would be
    ``True`` or ``true``: quote it)."""
    for key, value in (values or {}).items():
        if isinstance(value, bool):
            raise ModuleError(f"env: {key} is the boolean {value}; quote it to pass it as text")
    return _strings(values)


def _env(inspect: dict[str, Any]) -> dict[str, str]:
    pairs = (item.partition("=") for item in _get("Config", "Env")(inspect) or [])
    return {key: value for key, _, value in pairs}


def _caps(values: Any) -> set[str]:
    """Capabilities as the daemon stores them: upper case, ``CAP_`` prefixed."""
    out = set()
    for value in values or []:
        name = str(value).upper()
        out.add(name if name.startswith("CAP_") or name == "ALL" else f"CAP_{name}")
    return out


def memory_bytes(value: Any) -> int:
    """``512m``, ``1g``, ``1024`` as bytes (binary units, as the CLI reads them)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\s*", str(value).lower())
    if not found:
        raise ModuleError(f"memory: cannot read {value!r} as a size")
    unit = "bkmgt".index(found.group(2) or "b")
    return int(float(found.group(1)) * 1024**unit)


def port_bindings(specs: list[Any]) -> set[tuple[str, str, str]]:
    """``[IP:][HOST:]CONTAINER[/PROTO]`` specs as (container port/proto, host ip, host
    port) triples, ranges expanded pairwise."""
    out: set[tuple[str, str, str]] = set()
    for spec in specs or []:
        text, _, proto = str(spec).partition("/")
        parts = text.rsplit(":", 2) if not text.startswith("[") else _ipv6(text)
        inner, host, ip = parts[-1], parts[-2] if len(parts) > 1 else "", ""
        if len(parts) == 3:
            ip = parts[0].strip("[]")
        inside, outside = _range(inner), _range(host) if host else []
        for index, port in enumerate(inside):
            published = str(outside[index]) if index < len(outside) else host
            out.add((f"{port}/{proto or 'tcp'}", ip, published))
    return out


def _ipv6(text: str) -> list[str]:
    address, _, rest = text[1:].partition("]:")
    return [address, *rest.split(":", 1)]


def _range(text: str) -> list[int | str]:
    first, dash, last = text.partition("-")
    if dash and first.isdigit() and last.isdigit():
        return list(range(int(first), int(last) + 1))
    return [int(text)] if text.isdigit() else [text]


def _bindings(inspect: dict[str, Any]) -> set[tuple[str, str, str]]:
    bound = _get("HostConfig", "PortBindings")(inspect) or {}
    return {
        (port, b.get("HostIp") or "", b.get("HostPort") or "")
        for port, binds in bound.items()
        for b in binds or [{}]
    }


def _volumes(specs: Any) -> set[str]:
    """Volume specs as the daemon keeps them: ``SRC:DEST[:MODE]`` in Binds (a ``rw`` mode
    is the default, left out), a bare ``DEST`` among the anonymous volumes."""
    out = set()
    for spec in specs or []:
        parts = str(spec).split(":")
        if len(parts) == 3 and parts[2] == "rw":
            parts = parts[:2]
        out.add(":".join(parts))
    return out


def _have_volumes(inspect: dict[str, Any]) -> set[str]:
    binds = _volumes(_get("HostConfig", "Binds")(inspect))
    return binds | set(_get("Config", "Volumes")(inspect) or {})


def _mount_key(mount: dict[str, Any]) -> tuple[str, str, str, bool]:
    kind = str(mount.get("type") or mount.get("Type") or "volume")
    source = str(mount.get("source") or mount.get("Source") or "")
    target = str(mount.get("target") or mount.get("Target") or "")
    return kind, source, target, bool(mount.get("read_only") or mount.get("ReadOnly"))


def _mount_flag(mount: Any) -> str:
    kind, source, target, read_only = _mount_key(mount)
    words = [f"type={kind}", f"target={target}"] + ([f"source={source}"] if source else [])
    return ",".join(words + (["readonly"] if read_only else []))


def _devices(specs: Any) -> set[str]:
    out = set()
    for spec in specs or []:
        parts = str(spec).split(":")
        host = parts[0]
        inside = parts[1] if len(parts) > 1 and parts[1].startswith("/") else host
        perms = parts[-1] if len(parts) > 1 and not parts[-1].startswith("/") else "rwm"
        out.add(f"{host}:{inside}:{perms}")
    return out


def _have_devices(inspect: dict[str, Any]) -> set[str]:
    devices = _get("HostConfig", "Devices")(inspect) or []
    return {f"{d['PathOnHost']}:{d['PathInContainer']}:{d['CgroupPermissions']}" for d in devices}


def _exposed(specs: Any) -> set[str]:
    return {s if "/" in str(s) else f"{s}/tcp" for s in map(str, specs or [])}


def _restart(inspect: dict[str, Any]) -> str:
    return str(_get("HostConfig", "RestartPolicy", "Name")(inspect) or "no")


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


OPTIONS: tuple[Opt, ...] = (
    Opt("env", "dict", _each("--env", _pair), _env, _env_values),
    Opt(
        "labels",
        "dict",
        _each("--label", _pair),
        lambda i: _get("Config", "Labels")(i) or {},
        _strings,
    ),
    Opt("published_ports", "set", _each("--publish"), _bindings, port_bindings),
    Opt(
        "exposed_ports",
        "set",
        _each("--expose"),
        lambda i: set(_get("Config", "ExposedPorts")(i) or {}),
        _exposed,
    ),
    Opt("volumes", "set", _each("--volume"), _have_volumes, _volumes),
    Opt(
        "mounts",
        "set",
        _each("--mount", _mount_flag),
        lambda i: {_mount_key(m) for m in _get("HostConfig", "Mounts")(i) or []},
        lambda ms: {_mount_key(m) for m in dicts(ms, "mounts")},
    ),
    Opt("restart_policy", "value", lambda v: [], _restart),
    Opt(
        "restart_retries",
        "value",
        lambda v: [],
        _get("HostConfig", "RestartPolicy", "MaximumRetryCount"),
    ),
    Opt("network_mode", "value", _flag("--network"), _get("HostConfig", "NetworkMode")),
    Opt("user", "value", _flag("--user"), _get("Config", "User")),
    Opt("working_dir", "value", _flag("--workdir"), _get("Config", "WorkingDir")),
    Opt("hostname", "value", _flag("--hostname"), _get("Config", "Hostname")),
    Opt("domainname", "value", _flag("--domainname"), _get("Config", "Domainname")),
    Opt(
        "privileged",
        "value",
        lambda on: ["--privileged"] if on else [],
        lambda i: bool(_get("HostConfig", "Privileged")(i)),
    ),
    Opt(
        "capabilities",
        "set",
        _each("--cap-add"),
        lambda i: _caps(_get("HostConfig", "CapAdd")(i)),
        _caps,
    ),
    Opt(
        "cap_drop",
        "set",
        _each("--cap-drop"),
        lambda i: _caps(_get("HostConfig", "CapDrop")(i)),
        _caps,
    ),
    Opt("devices", "set", _each("--device"), _have_devices, _devices),
    Opt("log_driver", "value", _flag("--log-driver"), _get("HostConfig", "LogConfig", "Type")),
    Opt(
        "log_options",
        "dict",
        _each("--log-opt", _pair),
        lambda i: _get("HostConfig", "LogConfig", "Config")(i) or {},
        _strings,
    ),
    Opt(
        "etc_hosts",
        "set",
        _each("--add-host", lambda p: f"{p[0]}:{p[1]}"),
        lambda i: set(_get("HostConfig", "ExtraHosts")(i) or []),
        lambda d: {f"{k}:{v}" for k, v in d.items()},
    ),
    Opt(
        "dns_servers",
        "list",
        _each("--dns"),
        lambda i: _get("HostConfig", "Dns")(i) or [],
        lambda v: [str(x) for x in v],
    ),
    Opt("memory", "value", _flag("--memory"), _get("HostConfig", "Memory"), memory_bytes),
    Opt(
        "tty", "value", lambda on: ["--tty"] if on else [], lambda i: bool(_get("Config", "Tty")(i))
    ),
    Opt(
        "interactive",
        "value",
        lambda on: ["--interactive"] if on else [],
        lambda i: bool(_get("Config", "OpenStdin")(i)),
    ),
    Opt(
        "init",
        "value",
        lambda on: ["--init"] if on else [],
        lambda i: bool(_get("HostConfig", "Init")(i)),
    ),
    Opt(
        "read_only",
        "value",
        lambda on: ["--read-only"] if on else [],
        lambda i: bool(_get("HostConfig", "ReadonlyRootfs")(i)),
    ),
    Opt(
        "auto_remove",
        "value",
        lambda on: ["--rm"] if on else [],
        lambda i: bool(_get("HostConfig", "AutoRemove")(i)),
    ),
    Opt(
        "sysctls",
        "dict",
        _each("--sysctl", _pair),
        lambda i: _get("HostConfig", "Sysctls")(i) or {},
        _strings,
    ),
    Opt(
        "security_opts",
        "set",
        _each("--security-opt"),
        lambda i: set(_get("HostConfig", "SecurityOpt")(i) or []),
        lambda v: set(map(str, v)),
    ),
    Opt(
        "tmpfs",
        "set",
        _each("--tmpfs"),
        lambda i: {
            f"{k}:{v}" if v else k for k, v in (_get("HostConfig", "Tmpfs")(i) or {}).items()
        },
        lambda v: set(map(str, v)),
    ),
    Opt("pid_mode", "value", _flag("--pid"), _get("HostConfig", "PidMode")),
    Opt("ipc_mode", "value", _flag("--ipc"), _get("HostConfig", "IpcMode")),
    Opt("stop_signal", "value", _flag("--stop-signal"), _get("Config", "StopSignal")),
    Opt(
        "stop_timeout",
        "value",
        _flag("--stop-timeout"),
        _get("Config", "StopTimeout"),
        default="ignore",
    ),
)


def check_values(args: dict[str, Any]) -> None:
    """Read every option given as the comparison would, so bad input (a size, a mount, a
    boolean env value) fails before the host is asked, whichever path the module takes."""
    for opt in OPTIONS:
        if args.get(opt.name) is not None:
            opt.want(args[opt.name])


def restart_flags(args: dict[str, Any]) -> list[str]:
    policy = args.get("restart_policy")
    if not policy:
        return []
    retries = args.get("restart_retries")
    suffix = f":{int(retries)}" if policy == "on-failure" and retries is not None else ""
    return ["--restart", quote(f"{policy}{suffix}")]


def differences(
    args: dict[str, Any], inspect: dict[str, Any], comparisons: dict[str, str]
) -> list[str]:
    """The options whose asked-for value the container does not have."""
    out = []
    for opt in OPTIONS:
        value = args.get(opt.name)
        mode = comparisons.get(opt.name, comparisons.get("*", opt.comparison))
        if value is None or mode == "ignore":
            continue
        if _differs(opt, mode, opt.want(value), opt.have(inspect)):
            out.append(opt.name)
    return out


def _differs(opt: Opt, mode: str, want: Any, have: Any) -> bool:
    if opt.kind in ("value", "list") or mode == "strict":
        return bool(
            want != (type(want)(have) if have is not None and opt.kind != "value" else have)
        )
    if opt.kind == "set":
        return not set(want) <= set(have or ())
    return any((have or {}).get(key) != value for key, value in want.items())
