"""docker_container's option values: each argument read as the daemon keeps it (a
ModuleError naming the option when it cannot be), written as the ``docker`` CLI takes it,
and, where equality is not the rule, compared with what ``docker container inspect``
shows. Apart from util/dockeropts so that its table reads as one list of options.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

from ...errors import ModuleError
from ...transport.shell import quote
from ..base import to_bool

__all__ = [
    "arch",
    "capabilities",
    "cli_text",
    "cpus_text",
    "device_requests",
    "device_specs",
    "duration_text",
    "env_values",
    "exposed",
    "health_flags",
    "healthcheck",
    "links",
    "mac",
    "memory_bytes",
    "mount_flag",
    "mount_key",
    "nanocpus",
    "nanoseconds",
    "pids_limit",
    "platform",
    "port_bindings",
    "rate_text",
    "rates",
    "same_health",
    "same_platform",
    "size_bytes",
    "strings",
    "swap_bytes",
    "texts",
    "ulimits",
    "volume_specs",
]


def strings(values: Any) -> dict[str, str]:
    return {str(k): cli_text(v) for k, v in (values or {}).items()}


def cli_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def texts(name: str) -> Callable[[Any], list[str]]:
    def want(values: Any) -> list[str]:
        for item in values:
            if not isinstance(item, str) or not item:
                raise ModuleError(f"{name}: each item must be non-empty text, got {item!r}")
        return list(values)

    return want


def links(names: Any) -> list[tuple[str, str]]:
    out = []
    for link in texts("links")(names):
        name, _, alias = link.partition(":")
        out.append((name, alias or name))
    return out


def mac(value: Any) -> str:
    return str(value).replace("-", ":").lower()


def env_values(values: Any) -> dict[str, str]:
    """``env`` as text; a YAML boolean is refused, as Ansible does (``yes`` would be
    ``True`` or ``true``: quote it)."""
    for key, value in (values or {}).items():
        if isinstance(value, bool):
            raise ModuleError(f"env: {key} is the boolean {value}; quote it to pass it as text")
    return strings(values)


def capabilities(values: Any) -> set[str]:
    """Capabilities as the daemon stores them: upper case, ``CAP_`` prefixed."""
    out = set()
    for value in values or []:
        name = str(value).upper()
        out.add(name if name.startswith("CAP_") or name == "ALL" else f"CAP_{name}")
    return out


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


def volume_specs(specs: Any) -> set[str]:
    """Volume specs as the daemon keeps them: ``SRC:DEST[:MODE]`` in Binds (a ``rw`` mode
    is the default, left out), a bare ``DEST`` among the anonymous volumes."""
    out = set()
    for spec in specs or []:
        parts = str(spec).split(":")
        if len(parts) == 3 and parts[2] == "rw":
            parts = parts[:2]
        out.add(":".join(parts))
    return out


def mount_key(mount: dict[str, Any]) -> tuple[str, str, str, bool]:
    kind = str(mount.get("type") or mount.get("Type") or "volume")
    source = str(mount.get("source") or mount.get("Source") or "")
    target = str(mount.get("target") or mount.get("Target") or "")
    return kind, source, target, bool(mount.get("read_only") or mount.get("ReadOnly"))


def mount_flag(mount: Any) -> str:
    kind, source, target, read_only = mount_key(mount)
    words = [f"type={kind}", f"target={target}"] + ([f"source={source}"] if source else [])
    return ",".join(words + (["readonly"] if read_only else []))


def device_specs(specs: Any) -> set[str]:
    out = set()
    for spec in specs or []:
        parts = str(spec).split(":")
        host = parts[0]
        inside = parts[1] if len(parts) > 1 and parts[1].startswith("/") else host
        perms = parts[-1] if len(parts) > 1 and not parts[-1].startswith("/") else "rwm"
        out.add(f"{host}:{inside}:{perms}")
    return out


def exposed(specs: Any) -> set[str]:
    return {s if "/" in str(s) else f"{s}/tcp" for s in map(str, specs or [])}


def memory_bytes(value: Any) -> int:
    """``memory``'s own, narrower reading (``512m``, ``1g``, ``1024``; binary units, as the
    CLI reads them), older than ``size_bytes`` and kept so its inputs and message stay."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\s*", str(value).lower())
    if not found:
        raise ModuleError(f"memory: cannot read {value!r} as a size")
    unit = "bkmgt".index(found.group(2) or "b")
    return int(float(found.group(1)) * 1024**unit)


# sizes, as Ansible's human_to_bytes reads them: a number, then an optional unit whose first
# letter is B, K, M, G, T, P, E, Z or Y (any case, binary multiples); a longer unit must be
# `KB`-like (a capital B second) or a word with "byte" in it
_SIZE = re.compile(r"\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*")
_UNITS = "BKMGTPEZY"


def size_bytes(name: str, value: Any) -> int:
    """``512m``, ``1g``, ``1.5G``, ``1024`` as bytes; a ModuleError naming ``name``."""
    found = _SIZE.fullmatch(str(value))
    number, unit = (found.group(1), found.group(2) or "") if found else ("", "")
    power = _UNITS.find(unit[:1].upper()) if unit else 0
    long_ok = len(unit) < 2 or "byte" in unit.lower() or unit[1] == "B"
    if number.strip(".") == "" or power < 0 or not long_ok:
        raise ModuleError(
            f"{name}: cannot read {value!r} as a size (a number and a unit: 512m, 1g, 1.5G, 64MB)"
        )
    return int(round(float(number) * 1024**power))


def swap_bytes(value: Any) -> int:
    return -1 if str(value).strip() in ("-1", "unlimited") else size_bytes("memory_swap", value)


def nanocpus(value: Any) -> int:
    return int(round(float(value) * 1e9))


def cpus_text(nanos: int) -> str:
    whole, part = divmod(nanos, 10**9)
    return f"{whole}.{part:09d}".rstrip("0").rstrip(".")


def pids_limit(value: Any) -> int | None:
    """A limit of 0 or less is no limit, which the daemon keeps as none."""
    return int(value) if int(value) > 0 else None


_ULIMIT = re.compile(r"([A-Za-z_]+):(-?\d+)(?::(-?\d+))?")


def ulimits(values: Any) -> list[tuple[str, int, int]]:
    out = []
    for item in values:
        found = _ULIMIT.fullmatch(item.strip()) if isinstance(item, str) else None
        if not found:
            raise ModuleError(f"ulimits: {item!r} is not NAME:SOFT[:HARD] (nofile:1024:2048)")
        soft = int(found.group(2))
        hard = int(found.group(3)) if found.group(3) is not None else soft
        if soft > hard:
            raise ModuleError(f"ulimits: {item!r}: the soft limit is above the hard limit")
        out.append((found.group(1), soft, hard))
    return out


def rates(name: str, bytes_per_second: bool) -> Callable[[Any], list[tuple[str, int]]]:
    def want(values: Any) -> list[tuple[str, int]]:
        out = []
        for item in values:
            if not isinstance(item, dict) or set(item) != {"path", "rate"} or not item["path"]:
                raise ModuleError(f"{name}: each item is a mapping of path and rate, got {item!r}")
            out.append((str(item["path"]), _rate(name, item["rate"], bytes_per_second)))
        return out

    return want


def _rate(name: str, rate: Any, bytes_per_second: bool) -> int:
    if bytes_per_second:
        return size_bytes(name, rate)
    if isinstance(rate, bool) or not re.fullmatch(r"\s*\d+\s*", str(rate)):
        raise ModuleError(f"{name}: a rate is a whole number of IO per second, got {rate!r}")
    return int(rate)


def rate_text(item: tuple[str, int]) -> str:
    return f"{item[0]}:{item[1]}"


_REQUEST_KEYS = ("capabilities", "count", "device_ids", "driver", "options")


def device_requests(values: Any) -> list[str]:
    """Device requests as the CLI's ``--gpus`` values (CSV fields): one capability set
    each, to which the CLI adds ``gpu``."""
    return [_gpus(item) for item in values]


def _gpus(item: Any) -> str:
    if not isinstance(item, dict) or not set(map(str, item)) <= set(_REQUEST_KEYS):
        keys = ", ".join(_REQUEST_KEYS)
        raise ModuleError(f"device_requests: each item is a mapping of {keys}, got {item!r}")
    fields = [f"driver={item['driver']}"] if item.get("driver") else []
    if item.get("count") is not None:
        fields.append("count=all" if int(item["count"]) == -1 else f"count={int(item['count'])}")
    if item.get("device_ids"):
        fields.append("device=" + ",".join(map(str, item["device_ids"])))
    sets = item.get("capabilities") or []
    if len(sets) > 1 or not all(isinstance(s, list) for s in sets):
        raise ModuleError(
            f"device_requests: the docker CLI (--gpus) takes one list of capabilities, got {sets!r}"
        )
    if caps := [str(c) for c in (sets[0] if sets else []) if c != "gpu"]:
        fields.append("capabilities=" + ",".join(caps))
    if item.get("options"):
        fields.append("options=" + ",".join(f"{k}={v}" for k, v in item["options"].items()))
    if not fields:
        raise ModuleError(f"device_requests: {item!r} requests nothing")
    return ",".join(f'"{f}"' if "," in f or '"' in f else f for f in fields)


_HEALTH_KEYS = (
    "test",
    "test_cli_compatible",
    "interval",
    "timeout",
    "start_period",
    "start_interval",
    "retries",
)
_HEALTH_TIMES = {
    "interval": ("Interval", "--health-interval"),
    "timeout": ("Timeout", "--health-timeout"),
    "start_period": ("StartPeriod", "--health-start-period"),
    "start_interval": ("StartInterval", "--health-start-interval"),
}
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?(?:(\d+)us)?")


def nanoseconds(name: str, value: Any) -> int:
    """A duration as community.docker reads one (``1h``, ``1m30s``, ``500ms``, ``10us``:
    those units, in that order, each once) in nanoseconds."""
    found = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not found:
        raise ModuleError(
            f"healthcheck: cannot read {name} {value!r} as a duration "
            "(30s, 1m30s, 500ms: units h, m, s, ms, us)"
        )
    hours, minutes, seconds, millis, micros = (int(g or 0) for g in found.groups())
    return ((hours * 3600 + minutes * 60 + seconds) * 1000 + millis) * 10**6 + micros * 1000


def duration_text(nanos: int) -> str:
    micros = nanos // 1000
    parts = []
    for unit, size in (("h", 3600 * 10**6), ("m", 60 * 10**6), ("s", 10**6), ("ms", 1000)):
        count, micros = divmod(micros, size)
        parts += [f"{count}{unit}"] if count else []
    return "".join(parts + ([f"{micros}us"] if micros else [])) or "0s"


def healthcheck(value: Any) -> dict[str, Any]:
    """The health check as ``Config.Healthcheck`` keeps it: a string ``test`` runs in the
    shell (``CMD-SHELL``); durations in nanoseconds; zero values left out. Without a
    ``test`` (unless ``test_cli_compatible``, which keeps the image's) it is disabled."""
    unknown = sorted(set(map(str, value)) - set(_HEALTH_KEYS))
    if unknown:
        raise ModuleError(
            f"healthcheck: unsupported key {', '.join(unknown)} (it takes "
            f"{', '.join(_HEALTH_KEYS)})"
        )
    out: dict[str, Any] = {}
    for key, (field_name, _) in _HEALTH_TIMES.items():
        if value.get(key) is not None and (nanos := nanoseconds(key, value[key])):
            out[field_name] = nanos
    if value.get("retries") is not None and (retries := _retries(value["retries"])):
        out["Retries"] = retries
    test = value.get("test")
    try:
        keep_image = to_bool(value.get("test_cli_compatible") or False)
    except ValueError as exc:
        raise ModuleError(f"healthcheck: test_cli_compatible: {exc}") from None
    if not test and not (keep_image and test is None):
        return {"Test": ["NONE"]}
    if test:
        out["Test"] = _health_test(test)
    return {"Test": ["NONE"]} if out.get("Test") == ["NONE"] else out


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise ModuleError(f"healthcheck: retries is a whole number, got {value!r}")
    return int(value)


def _health_test(test: Any) -> list[str]:
    if isinstance(test, (str, int, float)) and not isinstance(test, bool):
        return ["CMD-SHELL", str(test)]
    words = [str(w) for w in test] if isinstance(test, list) else []
    if not words or words[0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise ModuleError(
            f"healthcheck: test is text, or a list beginning with NONE, CMD or CMD-SHELL; "
            f"got {test!r}"
        )
    if words[0] != "NONE" and len(words) < 2:
        raise ModuleError(f"healthcheck: test {test!r} has no command")
    if words[0] == "CMD-SHELL":  # the daemon joins the rest with spaces
        return ["CMD-SHELL", " ".join(words[1:])]
    return words


def health_flags(check: dict[str, Any]) -> list[str]:
    """The CLI has no exec form: a ``CMD`` test runs its words, shell-quoted, in the shell."""
    test = check.get("Test")
    if test == ["NONE"]:
        return ["--no-healthcheck"]
    words = []
    if test:
        command = test[1] if test[0] == "CMD-SHELL" else shlex.join(test[1:])
        words += ["--health-cmd", quote(command)]
    for field_name, flag in _HEALTH_TIMES.values():
        if field_name in check:
            words += [flag, duration_text(check[field_name])]
    return words + (["--health-retries", str(check["Retries"])] if "Retries" in check else [])


def same_health(mode: str, want: dict[str, Any], have: dict[str, Any]) -> bool:
    keys = set(want) | (set(have) if mode == "strict" else set())
    return all(_same_health_value(key, want.get(key), have.get(key)) for key in keys)


def _same_health_value(key: str, want: Any, have: Any) -> bool:
    """A ``CMD`` test asked for is kept as the shell form ``health_flags`` wrote."""
    if want == have or key != "Test" or not want or not have:
        return bool(want == have)
    return bool(want[0] == "CMD" and have == ["CMD-SHELL", shlex.join(want[1:])])


_ARCHES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386"}


def arch(name: str) -> str:
    """An architecture by the name images give it (``x86_64`` is ``amd64``)."""
    return _ARCHES.get(name, name)


def platform(value: Any) -> tuple[str, str, str]:
    parts = str(value).strip().lower().split("/")
    if not parts[0] or len(parts) > 3 or not all(parts):
        raise ModuleError(f"platform: {value!r} is not OS[/ARCH[/VARIANT]] (linux/amd64)")
    return parts[0], arch(parts[1]) if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""


def same_platform(mode: str, want: tuple[str, str, str], have: tuple[str, str, str]) -> bool:
    """What ``platform`` names must match; arm64's variant v8 is its default."""
    pairs = zip(want, have, strict=True)
    return all(not w or w == h or {w, h} == {"v8", ""} for w, h in pairs)
