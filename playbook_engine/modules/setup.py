"""setup: gather the common facts in one remote command (no Python on the target)."""

from __future__ import annotations

import shlex
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext

# One round trip; every line is `key=value`, values shell-quoted by the target itself.
_PROBE = r"""
p() { printf '%s=' "$1"; shift; v=$("$@" 2>/dev/null); printf "'%s'\n" "$(printf %s "$v" | sed "s/'/'\\\\''/g")"; }
p hostname uname -n
p fqdn hostname -f
p system uname -s
p kernel uname -r
p kernel_version uname -v
p machine uname -m
p user_id id -un
p user_uid id -u
p user_gid id -g
p user_dir sh -c 'echo "$HOME"'
p user_shell sh -c 'echo "$SHELL"'
p nproc sh -c 'nproc 2>/dev/null || getconf _NPROCESSORS_ONLN'
p memtotal_kb sh -c "awk '/^MemTotal:/{print \$2}' /proc/meminfo"
p epoch date +%s
p os_release sh -c 'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release'
p service_mgr sh -c 'cat /proc/1/comm'
p pkg_mgr sh -c 'for m in apt-get dnf yum zypper apk pacman; do command -v $m >/dev/null && { echo ${m%-get}; break; }; done'
"""

_OS_FAMILY = {
    "debian": "Debian", "ubuntu": "Debian", "linuxmint": "Debian", "raspbian": "Debian",
    "rhel": "RedHat", "centos": "RedHat", "fedora": "RedHat", "rocky": "RedHat",
    "almalinux": "RedHat", "ol": "RedHat", "amzn": "RedHat", "sles": "Suse",
    "opensuse-leap": "Suse", "opensuse-tumbleweed": "Suse", "alpine": "Alpine",
    "arch": "Archlinux", "gentoo": "Gentoo",
}
_DISTRO_NAME = {"rhel": "RedHat", "ol": "OracleLinux", "amzn": "Amazon", "sles": "SLES",
                "opensuse-leap": "openSUSE Leap", "almalinux": "AlmaLinux"}


def parse_probe(text: str) -> dict[str, str]:
    """Parse the probe's `key='value'` lines (pure; unit-tested)."""
    raw: dict[str, str] = {}
    for line in shlex.split(text, posix=True, comments=False) if text.strip() else []:
        key, _, value = line.partition("=")
        raw[key] = value
    return raw


def _os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip().strip('"').strip("'")
    return out


def facts_from_probe(raw: dict[str, str]) -> dict[str, Any]:
    osr = _os_release(raw.get("os_release", ""))
    distro_id = osr.get("ID", raw.get("system", "").lower())
    version = osr.get("VERSION_ID", "")
    nproc = int(raw["nproc"]) if raw.get("nproc", "").isdigit() else 1
    mem_kb = int(raw["memtotal_kb"]) if raw.get("memtotal_kb", "").isdigit() else 0
    return {
        "hostname": raw.get("hostname", "").split(".")[0], "nodename": raw.get("hostname", ""),
        "fqdn": raw.get("fqdn") or raw.get("hostname", ""),
        "system": raw.get("system", ""), "kernel": raw.get("kernel", ""),
        "kernel_version": raw.get("kernel_version", ""),
        "architecture": raw.get("machine", ""), "machine": raw.get("machine", ""),
        "distribution": _DISTRO_NAME.get(distro_id, distro_id.capitalize() or "Unknown"),
        "distribution_version": version, "distribution_major_version": version.split(".")[0],
        "distribution_release": osr.get("VERSION_CODENAME", ""),
        "os_family": _OS_FAMILY.get(distro_id, osr.get("ID_LIKE", distro_id).split(" ")[0]
                                    .capitalize()),
        "user_id": raw.get("user_id", ""), "user_uid": _int(raw.get("user_uid")),
        "user_gid": _int(raw.get("user_gid")), "user_dir": raw.get("user_dir", ""),
        "user_shell": raw.get("user_shell", ""),
        "processor_vcpus": nproc, "processor_nproc": nproc, "memtotal_mb": mem_kb // 1024,
        "service_mgr": raw.get("service_mgr", ""), "pkg_mgr": raw.get("pkg_mgr", "unknown"),
        "date_time": {"epoch": raw.get("epoch", "")},
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@register("setup")
class Setup(Module):
    """Gather facts about the host (hostname, OS, kernel, user, CPUs, memory)."""

    args = {
        "gather_subset": Arg("list", default=["all"], description="Accepted for compatibility."),
        "filter": Arg("list", default=[], description="Only facts matching these globs."),
    }
    returns = {"ansible_facts": "the facts, also available as top-level ansible_* variables"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        res = ctx.run(_PROBE)
        if res.rc != 0 and not res.stdout:
            raise ModuleError(f"fact probe failed (rc={res.rc}): {res.err.strip()}")
        facts = facts_from_probe(parse_probe(res.out))
        if args["filter"]:
            import fnmatch

            facts = {k: v for k, v in facts.items()
                     if any(fnmatch.fnmatch(f"ansible_{k}", pat) or fnmatch.fnmatch(k, pat)
                            for pat in args["filter"])}
        return {"changed": False, "ansible_facts": facts}
