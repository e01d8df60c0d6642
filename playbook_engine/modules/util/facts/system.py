"""The small collectors of the ``min`` subset: platform, python, user, env, date_time, dns,
lsb, fips, selinux, apparmor, cmdline, ssh host keys, local facts; plus chroot, loadavg."""

from __future__ import annotations

import configparser
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .distro import parse_os_release
from .probe import Probed

Facts = dict[str, Any]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_BITS_64 = (
    "x86_64",
    "amd64",
    "aarch64",
    "arm64",
    "ppc64",
    "ppc64le",
    "s390x",
    "riscv64",
    "mips64",
    "sparc64",
    "loongarch64",
)


def uname(probed: Probed) -> tuple[str, str, str, str, str]:
    """system, nodename, kernel release, kernel version, machine from ``uname -snrvm``."""
    words = probed.text("uname").split()
    if len(words) < 4:
        return "", "", "", "", ""
    return words[0], words[1], words[2], " ".join(words[3:-1]), words[-1]


def python_info(probed: Probed) -> Facts | None:
    """The target's python as the probe's background job reported it, or None."""
    lines = probed.lines("bg python")
    if len(lines) < 4 or len(lines[2].split()) != 5:
        return None
    major, minor, micro, level, serial = lines[2].split()
    version = [int(major), int(minor), int(micro), level, int(serial)]
    return {"executable": lines[0], "type": lines[1], "bits": int(lines[3]), "version": version}


def platform_facts(probed: Probed) -> Facts:
    system, nodename, kernel, kernel_version, machine = uname(probed)
    if not system:
        return {}
    fqdn = _fqdn(probed, nodename)
    facts: Facts = {
        "system": system,
        "kernel": kernel,
        "kernel_version": kernel_version,
        "machine": machine,
        "nodename": nodename,
        "hostname": nodename.split(".")[0],
        "fqdn": fqdn,
        "domain": fqdn.partition(".")[2],
        "architecture": machine,
    }
    python = python_info(probed)
    bits = python["bits"] if python else (64 if machine in _BITS_64 else 32)
    facts["userspace_bits"] = str(bits)
    if re.fullmatch(r"i.86", machine):
        facts["architecture"] = "i386"
    if machine == "x86_64" or facts["architecture"] == "i386":
        facts["userspace_architecture"] = "x86_64" if bits == 64 else "i386"
    if python:
        facts["python_version"] = ".".join(str(v) for v in python["version"][:3])
    for path in ("/var/lib/dbus/machine-id", "/etc/machine-id"):
        if probed.file(path):
            facts["machine_id"] = (probed.file(path) or "").strip()
            break
    return facts


def _fqdn(probed: Probed, nodename: str) -> str:
    """Like Python's socket.getfqdn(): the first name with a dot among the canonical name and
    aliases of the host's address, else the canonical name, else the node name."""
    if lines := probed.lines("fqdn_f"):
        return lines[0].strip() or nodename
    names = probed.text("fqdn").split()[1:]
    return next((name for name in names if "." in name), names[0] if names else nodename)


def python_facts(probed: Probed) -> Facts:
    info = python_info(probed)
    if info is None:
        return {}
    major, minor, micro, level, serial = info["version"]
    return {
        "python": {
            "executable": info["executable"],
            "type": info["type"],
            "has_sslcontext": (major, minor, micro) >= (2, 7, 9),
            "version": {
                "major": major,
                "minor": minor,
                "micro": micro,
                "releaselevel": level,
                "serial": serial,
            },
            "version_info": info["version"],
        }
    }


def user_facts(probed: Probed) -> Facts:
    lines = probed.lines("user")
    if not lines:
        return {}
    facts: Facts = {"user_id": lines[0]}
    fields = lines[1].split(":") if len(lines) > 1 else []
    if len(fields) >= 7:
        facts.update(
            user_uid=int(fields[2]),
            user_gid=int(fields[3]),
            user_gecos=fields[4],
            user_dir=fields[5],
            user_shell=fields[6],
        )
    facts.update(_process_ids(probed))
    return facts


def _process_ids(probed: Probed) -> Facts:
    """Real and effective ids: /proc/self/status, else the output of ``id``."""
    status = probed.file("/proc/self/status") or ""
    uid = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.M)
    gid = re.search(r"^Gid:\s+(\d+)\s+(\d+)", status, re.M)
    if uid and gid:
        return {
            "real_user_id": int(uid[1]),
            "effective_user_id": int(uid[2]),
            "real_group_id": int(gid[1]),
            "effective_group_id": int(gid[2]),
        }
    ids = {k: int(v) for k, v in re.findall(r"\b(uid|gid|euid|egid)=(\d+)", probed.text("id"))}
    if "uid" not in ids or "gid" not in ids:
        return {}
    return {
        "real_user_id": ids["uid"],
        "effective_user_id": ids.get("euid", ids["uid"]),
        "real_group_id": ids["gid"],
        "effective_group_id": ids.get("egid", ids["gid"]),
    }


def env_facts(probed: Probed) -> Facts:
    """``env -0`` keeps values with newlines intact; plain ``env`` is the fallback."""
    text, sep = probed.text("env0"), "\0"
    if not text.strip("\0\n"):
        text, sep = probed.text("env"), "\n"
    env: dict[str, str] = {}
    for item in text.split(sep):
        key, eq, value = item.partition("=")
        if eq and key:
            env[key] = value
    return {"env": env} if env else {}


def date_time_facts(probed: Probed) -> Facts:
    lines = [line.split(maxsplit=3) for line in probed.lines("date")]
    if not lines or len(lines[0]) != 4 or not lines[0][0].isdigit():
        return {}
    epoch_text, nanos, offset_text, zone = lines[0]
    offset = _offset(offset_text)
    micro = int(nanos) // 1000 if nanos.isdigit() else 0
    now = datetime.fromtimestamp(int(epoch_text), timezone(offset)).replace(microsecond=micro)
    utc = now.astimezone(timezone.utc)
    return {
        "date_time": {
            "year": now.strftime("%Y"),
            "month": now.strftime("%m"),
            "weekday": _WEEKDAYS[now.weekday()],
            "weekday_number": now.strftime("%w"),
            "weeknumber": now.strftime("%W"),
            "day": now.strftime("%d"),
            "hour": now.strftime("%H"),
            "minute": now.strftime("%M"),
            "second": now.strftime("%S"),
            "epoch": epoch_text,
            "epoch_int": epoch_text,
            "date": now.strftime("%Y-%m-%d"),
            "time": now.strftime("%H:%M:%S"),
            "iso8601_micro": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "iso8601_basic": now.strftime("%Y%m%dT%H%M%S%f"),
            "iso8601_basic_short": now.strftime("%Y%m%dT%H%M%S"),
            "tz": zone,
            "tz_dst": _dst_name(lines[1:], zone),
            "tz_offset": offset_text,
        }
    }


def _offset(text: str) -> timedelta:
    match = re.fullmatch(r"([+-])(\d\d)(\d\d)", text)
    if not match:
        return timedelta(0)
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    return -delta if match[1] == "-" else delta


def _dst_name(edges: list[list[str]], zone: str) -> str:
    """The zone's summer-time name: of 1 January and 1 July, the one with the larger offset."""
    seasons = [(_offset(line[2]), line[3]) for line in edges if len(line) == 4]
    return max(seasons, key=lambda season: season[0])[1] if len(seasons) == 2 else zone


def dns_facts(probed: Probed) -> Facts:
    dns: Facts = {}
    for line in (probed.file("/etc/resolv.conf") or "").splitlines():
        words = line.split()
        if not words or words[0][0] in "#;" or len(words) < 2:
            continue
        key, values = words[0], words[1:]
        if key == "nameserver":
            dns.setdefault("nameservers", []).append(values[0])
        elif key == "domain":
            dns["domain"] = values[0]
        elif key in ("search", "sortlist"):
            dns[key] = values
        elif key == "options":
            options = dns.setdefault("options", {})
            for option in values:
                name, sep, value = option.partition(":")
                options[name] = value if sep else True
    return {"dns": dns}


def lsb_info(probed: Probed) -> dict[str, str]:
    """What ``lsb_release -a`` says (or would: the minimal one is emulated), else
    /etc/lsb-release, else nothing."""
    if "lsb_minimal" in probed.sections:
        return _lsb_minimal(probed)
    if lines := probed.lines("bg lsb"):
        keys = {
            "Distributor ID": "id",
            "Description": "description",
            "Release": "release",
            "Codename": "codename",
        }
        pairs = (line.split(":", 1) for line in lines if ":" in line)
        info = {keys[k.strip()]: v.strip() for k, v in pairs if k.strip() in keys}
    else:
        keys = {
            "DISTRIB_ID": "id",
            "DISTRIB_RELEASE": "release",
            "DISTRIB_DESCRIPTION": "description",
            "DISTRIB_CODENAME": "codename",
        }
        found = parse_os_release(probed.file("/etc/lsb-release") or "")
        info = {keys[k]: v for k, v in found.items() if k in keys}
    if "release" in info:
        info["major_release"] = info["release"].split(".")[0]
    return info


def _lsb_minimal(probed: Probed) -> dict[str, str]:
    """The minimal lsb_release: everything from os-release, ``n/a`` where it has nothing."""
    osr = parse_os_release(
        probed.file("/etc/os-release") or probed.file("/usr/lib/os-release") or ""
    )
    ident = osr.get("ID", "")
    ident = ident[:1].upper() + ident[1:]
    if "NAME" in osr and osr["NAME"].lower() == ident.lower():
        ident = osr["NAME"]
    info = {
        "id": ident or "n/a",
        "description": osr.get("PRETTY_NAME") or "n/a",
        "release": osr.get("VERSION_ID") or "n/a",
        "codename": osr.get("VERSION_CODENAME") or "n/a",
    }
    info["major_release"] = info["release"].split(".")[0]
    return info


def selinux_facts(probed: Probed) -> Facts:
    enforce = probed.file("/sys/fs/selinux/enforce")
    if enforce is None:
        return {"selinux": {"status": "disabled"}}
    config = parse_os_release(probed.file("/etc/selinux/config") or "")
    facts: Facts = {
        "status": "enabled",
        "mode": "enforcing" if enforce.strip() == "1" else "permissive",
        "config_mode": config.get("SELINUX", "unknown"),
        "type": config.get("SELINUXTYPE", "unknown"),
    }
    if (policy := (probed.file("/sys/fs/selinux/policyvers") or "").strip()).isdigit():
        facts["policyvers"] = int(policy)
    return {"selinux": facts}


def cmdline_facts(probed: Probed) -> Facts:
    """``cmdline``: the last value per key; ``proc_cmdline``: a list where a key repeats."""
    text = probed.file("/proc/cmdline")
    if text is None:
        return {}
    words = re.findall(r'(?:[^\s"]|"[^"]*"?)+', text)  # words; "quoted parts" kept whole
    last: Facts = {}
    every: Facts = {}
    for word in words:
        key, sep, raw = word.partition("=")
        value: Any = raw if sep else True
        last[key] = value
        if key in every:
            previous = every[key]
            every[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            every[key] = value
    return {"cmdline": last, "proc_cmdline": every}


def ssh_key_facts(probed: Probed) -> Facts:
    facts: Facts = {}
    for path, text in sorted(probed.files.items()):
        match = re.fullmatch(r"/etc/ssh/ssh_host_(\w+)_key\.pub", path)
        words = text.split()
        if match and len(words) >= 2:
            facts[f"ssh_host_key_{match[1]}_public"] = words[1]
            facts[f"ssh_host_key_{match[1]}_public_keytype"] = words[0]
    return facts


def local_facts(probed: Probed) -> Facts:
    """Each ``fact_path/NAME.fact`` as JSON, else as INI; executables are run. A fact
    that cannot be read or run is a string saying why, in Ansible's words (playbooks test
    its start)."""
    local: Facts = {}
    for name, text in sorted(probed.sections.items()):
        kind, _, path = name.partition(" ")
        key = path.rsplit("/", 1)[-1][: -len(".fact")]
        if kind == "local":
            local[key] = _local_fact(path, text, probed.sections.get(f"localrc {path}"))
        elif kind == "localerr":
            local[key] = f"Could not stat fact ({path}): {text.strip()}"
    return {"local": local}


def _local_fact(path: str, text: str, ran: str | None) -> Any:
    if ran is not None:
        rc, _, err = ran.partition("\n")
        if rc.strip() != "0":
            return f"Failure executing fact script ({path}), rc: {rc.strip()}, err: {err.rstrip()}"
    try:
        return json.loads(text)
    except ValueError:
        pass
    parser = configparser.ConfigParser()  # with %-interpolation, as Ansible reads them
    try:
        parser.read_string(text)
    except configparser.Error:
        return f"error loading facts as JSON or ini - please check content: {path}"
    try:
        return {section: dict(parser.items(section)) for section in parser.sections()}
    except configparser.Error as exc:
        return f"error loading facts as ini - please check content: {path} ({exc})"


def loadavg_facts(probed: Probed) -> Facts:
    words = (probed.file("/proc/loadavg") or "").split()
    try:
        return {"loadavg": {"1m": float(words[0]), "5m": float(words[1]), "15m": float(words[2])}}
    except (IndexError, ValueError):
        return {}


def chroot_facts(probed: Probed) -> Facts:
    """Compare ``/`` with PID 1's root; without access to it, expect the root inode number
    of the root filesystem's type (2; xfs 128; btrfs 256)."""
    lines = probed.lines("chroot")
    if not lines:
        return {}
    if lines[0] == "set":  # debian_chroot is set
        return {"is_chroot": True}
    roots = {line.split()[2]: line.split()[:2] for line in lines[1:] if len(line.split()) == 3}
    if "/" not in roots:
        return {}
    if "/proc/1/root/." in roots:
        return {"is_chroot": roots["/"] != roots["/proc/1/root/."]}
    fstype = next(
        (
            line.split()[2]
            for line in (probed.file("/proc/mounts") or "").splitlines()
            if len(line.split()) > 2 and line.split()[1] == "/"
        ),
        "",
    )
    expected = {"xfs": "128", "btrfs": "256"}.get(fstype, "2")
    return {"is_chroot": roots["/"][1] != expected}
