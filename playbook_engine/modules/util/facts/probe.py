"""The fact probe: ONE POSIX sh script built from the collectors asked for, and its output.

Every collector names what it needs: files (all read by a single ``grep ''``, which prefixes
each line with its path), paths whose existence matters, symlinks to read (one ``ls -ld``),
shell snippets that print their own sections, and slow commands (python, lsb_release) that
run in the background while the rest goes on. A section starts with a line
``<nonce> NAME``; a background job prints its whole output with one ``printf`` (one write,
so it lands in one piece even amid other output) between ``<nonce> bg NAME`` and
``<nonce> end``. The nonce is random per run, so no file content can fake a section.
A missing tool or file only leaves its section empty: the parsers then omit those facts.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ....transport.shell import quote

# The python fact: only ``sys`` (every import costs milliseconds); runs under Python 2 and 3.
_PY = (
    'import sys;v=sys.version_info;i=getattr(sys,"implementation",None)\n'
    'print("%s\\n%s\\n%d %d %d %s %d\\n%d" % (sys.executable, i.name if i else "cpython",'
    " v[0], v[1], v[2], v[3], v[4], 64 if sys.maxsize > 2**32 else 32))"
)

_PRELUDE = r"""N=@NONCE@
s() { printf '\n%s %s\n' "$N" "$1"; }
bg() {
  _n=$1; shift
  ( _o=$("$@" 2>/dev/null) && printf '\n%s bg %s\n%s\n%s end\n' "$N" "$_n" "$_o" "$N" ) &
}
"""

_SNIPPETS = {
    "uname": "s uname; uname -snrvm",
    # Python's socket.getfqdn(): the names of the address the host name resolves to.
    "fqdn": r"""s fqdn
{ read -r _h < /proc/sys/kernel/hostname; } 2>/dev/null || _h=$(uname -n)
if command -v getent >/dev/null 2>&1; then
  _a=$(getent ahosts "$_h" 2>/dev/null) &&
    { set -f; set -- $_a; set +f; getent hosts "$1" 2>/dev/null; }
else s fqdn_f; hostname -f 2>/dev/null; fi""",
    "python": """_p=
for _c in @PYTHON@; do _p=$(command -v "$_c" 2>/dev/null) && break; done
[ -n "$_p" ] && bg python "$_p" -E -s -S -c @PYCODE@""",
    # lsb_release is slow: read /etc/lsb-release when it exists, and emulate the minimal
    # lsb_release (a sh script over os-release, recognised by its LSB_OS_RELEASE).
    "lsb": """if [ ! -r /etc/lsb-release ] && _l=$(command -v lsb_release 2>/dev/null); then
  if grep -q LSB_OS_RELEASE "$_l" 2>/dev/null; then s lsb_minimal
  else bg lsb lsb_release -a; fi
fi""",
    "user": r"""s user; _u=${LOGNAME:-${USER:-${LNAME:-$USERNAME}}}
[ -n "$_u" ] || _u=$(id -un 2>/dev/null)
printf '%s\n' "$_u"; getent passwd "$_u" 2>/dev/null || grep "^$_u:" /etc/passwd 2>/dev/null
[ -r /proc/self/status ] || { s id; id; }""",
    "date": r"""s date; _f='+%s %N %z %Z'
{ printf 'now\n@@JAN@\n@@JUL@\n' | LC_ALL=C date -f - "$_f"; } 2>/dev/null ||
  LC_ALL=C date "$_f" """,
    "env": "s env0; env -0 2>/dev/null || { s env; env; }",
    # Per fact: its output; an executable's exit status and stderr ("localrc"); a link to
    # nothing ("localerr"). Ansible runs a fact when its owner may execute it.
    "local": """for _f in @FACTPATH@/*.fact; do
  if [ ! -e "$_f" ]; then [ -L "$_f" ] && s "localerr $_f" && echo "No such file or directory"
    continue; fi
  [ -f "$_f" ] || continue; s "local $_f"
  case $(stat -L -c %A -- "$_f" 2>/dev/null) in
    ???x*|???s*) { _e=$("$_f" 2>&1 1>&3 3>&-); _r=$?; } 3>&1
      s "localrc $_f"; printf '%s\n%s\n' "$_r" "$_e" ;;
    *) cat "$_f" 2>/dev/null ;;
  esac
done""",
    "pid1env": r"""[ -r /proc/1/environ ] &&
  { s pid1env; tr '\000' '\n' < /proc/1/environ; } 2>/dev/null""",
    "statfs": r"""s statfs; set --
{ while read -r _d _m _t _r; do
  case $_d in /*|*:/*) [ "$_t" = none ] && continue
    case $_m in *\\*) _m=$(printf '%b' "$_m");; esac; set -- "$@" "$_m";; esac
done < /proc/mounts; } 2>/dev/null
[ $# -gt 0 ] && stat -f -c '%S %s %b %f %a %c %d %n' "$@" 2>/dev/null""",
    # One `ip` for addresses, both default routes and the local table; else one per command.
    "ip": r"""_4=8.8.8.8 _6=2404:6800:4001:800::200e; s ip
_o=$(printf 'addr show\nroute get %s\nroute get %s\nroute show table local\n' "$_4" "$_6" |
  ip -o -force -batch - 2>/dev/null)
if [ -n "$_o" ]; then printf '%s\n' "$_o"
else ip -o addr show; ip -4 route get $_4; ip -6 route get $_6; ip -4 route show table local
fi 2>/dev/null
s ip6local; ip -6 route show table local 2>/dev/null""",
    "chroot": r"""s chroot; printf '%s\n' "${debian_chroot+set}"
stat -c '%d %i %n' / /proc/1/root/. 2>/dev/null""",
}

_BACKGROUND = ("python", "lsb")
_NET = "/sys/class/net/*"
_DMI = tuple(
    f"/sys/class/dmi/id/{name}"
    for name in (
        "bios_date",
        "bios_vendor",
        "bios_version",
        "board_asset_tag",
        "board_name",
        "board_serial",
        "board_vendor",
        "board_version",
        "chassis_asset_tag",
        "chassis_serial",
        "chassis_type",
        "chassis_vendor",
        "chassis_version",
        "product_name",
        "product_serial",
        "product_uuid",
        "product_version",
        "sys_vendor",
    )
)
RELEASE_FILES = tuple(
    f"/etc/{name}"
    for name in (
        "os-release",
        "lsb-release",
        "debian_version",
        "oracle-release",
        "centos-release",
        "redhat-release",
        "fedora-release",
        "rocky-release",
        "almalinux-release",
        "system-release",
        "alpine-release",
        "arch-release",
        "gentoo-release",
        "SuSE-release",
    )
) + ("/usr/lib/os-release",)
PKG_MGR_PATHS = (
    "/usr/bin/dnf5",
    "/usr/bin/dnf",
    "/usr/bin/yum",
    "/usr/bin/rpm-ostree",
    "/run/ostree-booted",
    "/usr/bin/apt-get",
    "/usr/bin/zypper",
    "/sbin/apk",
    "/usr/bin/apk",
    "/usr/bin/pacman",
    "/usr/bin/emerge",
    "/usr/bin/xbps-install",
    "/usr/bin/swupd",
    "/usr/sbin/pkg",
    "/usr/local/sbin/pkg",
    "/usr/sbin/pkg_add",
    "/opt/local/bin/pkgin",
    "/usr/sbin/urpmi",
    "/usr/bin/opkg",
    "/bin/opkg",
    "/usr/sbin/slackpkg",
    "/usr/local/bin/brew",
    "/opt/homebrew/bin/brew",
    "/usr/sbin/sorcery",
)
SERVICE_MGR_PATHS = (
    "/run/systemd/system",
    "/dev/.run/systemd",
    "/dev/.systemd",
    "/sbin/openrc",
    "/sbin/initctl",
    "/etc/init.d",
    "/etc/init",
    "/sbin/runit-init",
    "/etc/service",
    "/usr/bin/systemctl",
    "/bin/systemctl",
)
VIRTUAL_PATHS = (
    "/.dockerenv",
    "/.containerenv",
    "/run/.containerenv",
    "/proc/vz",
    "/proc/bc",
    "/dev/kvm",
    "/dev/vboxdrv",
    "/proc/xen",
    "/sys/hypervisor/type",
)


@dataclass(frozen=True, slots=True)
class Part:
    """What one collector needs from the host (files and paths may be shell globs)."""

    files: tuple[str, ...] = ()
    exists: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    snippets: tuple[str, ...] = ()


PARTS: dict[str, Part] = {
    "platform": Part(
        files=("/var/lib/dbus/machine-id", "/etc/machine-id"), snippets=("uname", "fqdn", "python")
    ),
    "distribution": Part(files=RELEASE_FILES, snippets=("uname", "lsb")),
    "lsb": Part(
        files=("/etc/lsb-release", "/etc/os-release", "/usr/lib/os-release"), snippets=("lsb",)
    ),
    "user": Part(files=("/proc/self/status",), snippets=("user",)),
    "env": Part(snippets=("env",)),
    "date_time": Part(snippets=("date",)),
    "dns": Part(files=("/etc/resolv.conf",)),
    "fips": Part(files=("/proc/sys/crypto/fips_enabled",)),
    "selinux": Part(
        files=("/sys/fs/selinux/enforce", "/sys/fs/selinux/policyvers", "/etc/selinux/config")
    ),
    "apparmor": Part(exists=("/sys/kernel/security/apparmor",)),
    "cmdline": Part(files=("/proc/cmdline",)),
    "pkg_mgr": Part(exists=PKG_MGR_PATHS),
    "service_mgr": Part(files=("/proc/1/comm",), exists=SERVICE_MGR_PATHS, links=("/sbin/init",)),
    "python": Part(snippets=("python",)),
    "ssh_pub_keys": Part(files=("/etc/ssh/ssh_host_*_key.pub",)),
    "local": Part(snippets=("local",)),
    "hardware": Part(
        files=(
            "/proc/meminfo",
            "/proc/cpuinfo",
            "/proc/uptime",
            "/proc/self/status",
            "/proc/mounts",
            *_DMI,
        ),
        links=("/dev/disk/by-uuid/*", "/dev/mapper/*"),
        snippets=("statfs",),
    ),
    "network": Part(
        files=tuple(
            f"{_NET}/{name}"
            for name in (
                "address",
                "mtu",
                "type",
                "flags",
                "speed",
                "bridge/bridge_id",
                "bridge/stp_state",
                "bonding/mode",
                "bonding/slaves",
                "bonding/miimon",
            )
        ),
        exists=(_NET, f"{_NET}/brif/*"),
        links=(f"{_NET}/device", f"{_NET}/device/driver/module"),
        snippets=("ip",),
    ),
    "virtual": Part(
        files=(
            "/proc/1/cgroup",
            "/run/systemd/container",
            "/proc/xen/capabilities",
            "/sys/hypervisor/type",
            "/sys/class/dmi/id/product_name",
            "/sys/class/dmi/id/sys_vendor",
            "/sys/class/dmi/id/bios_vendor",
        ),
        exists=VIRTUAL_PATHS,
        snippets=("pid1env",),
    ),
    "chroot": Part(files=("/proc/mounts",), snippets=("chroot",)),
    "loadavg": Part(files=("/proc/loadavg",)),
    "fibre_channel_wwn": Part(files=("/sys/class/fc_host/*/port_name",)),
    "iscsi": Part(files=("/etc/iscsi/initiatorname.iscsi",)),
    "nvme": Part(files=("/etc/nvme/hostnqn",)),
}


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    python: tuple[str, ...] = ("/usr/bin/python3", "python3", "/usr/libexec/platform-python")
    fact_path: str = "/etc/ansible/facts.d"
    year_edges: tuple[int, int] = (0, 0)  # epochs of 1 January and 1 July: tz_dst


@dataclass(slots=True)
class Probed:
    """The probe's output, split: sections by name, file contents by path."""

    sections: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # facts several collectors derive from

    def text(self, name: str) -> str:
        return self.sections.get(name, "")

    def lines(self, name: str) -> list[str]:
        return self.sections.get(name, "").splitlines()

    def file(self, path: str) -> str | None:
        return self.files.get(path)

    def exists(self, path: str) -> bool:
        return path in self.lines("exists")

    def link(self, path: str) -> str | None:
        """Where the symlink at ``path`` points, from the ``ls -ld`` section."""
        for line in self.lines("links"):
            left, sep, target = line.partition(" -> ")
            if sep and left.endswith(" " + path):
                return target
        return None


def build(collectors: Iterable[str], nonce: str, options: ProbeOptions) -> str:
    """The one sh script that gathers everything ``collectors`` need."""
    parts = [PARTS[name] for name in sorted(set(collectors)) if name in PARTS]
    tokens = {
        "@NONCE@": nonce,
        "@PYTHON@": " ".join(quote(p) for p in options.python),
        "@PYCODE@": quote(_PY),
        "@FACTPATH@": _glob_safe(options.fact_path),
        "@JAN@": str(options.year_edges[0]),
        "@JUL@": str(options.year_edges[1]),
    }
    snippets = _unique(s for part in parts for s in part.snippets)
    snippets.sort(key=lambda s: s not in _BACKGROUND)  # start the slow ones first
    script = [_PRELUDE, *(_SNIPPETS[s] for s in snippets)]
    script += _listing(
        "exists",
        _unique(p for part in parts for p in part.exists),
        'for _f in {}; do [ -e "$_f" ] && printf \'%s\\n\' "$_f"; done',
    )
    script += _listing(
        "links", _unique(p for part in parts for p in part.links), "ls -ld {} 2>/dev/null"
    )
    script += _listing(
        "files",
        _unique(p for part in parts for p in part.files),
        'set --; for _f in {}; do [ -f "$_f" ] && [ -r "$_f" ] && '
        'set -- "$@" "$_f"; done; [ $# -gt 0 ] && grep \'\' "$@" /dev/null '
        "2>/dev/null",
    )
    script.append("wait; s done; exit 0\n")  # `done`: the script ran to its end
    text = "\n".join(script)
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def new_nonce() -> str:
    return "pbe" + secrets.token_hex(8)


def split(output: str, nonce: str) -> Probed:
    """Sections and file contents from the probe's output (pure)."""
    probed = Probed()
    background = re.compile(
        re.escape(f"\n{nonce} bg ") + r"(\w+)\n(.*?)\n" + re.escape(f"{nonce} end\n"), re.DOTALL
    )
    for match in background.finditer(output):
        probed.sections["bg " + match[1]] = match[2]
    output = background.sub("", output)
    for chunk in output.split(f"\n{nonce} ")[1:]:
        name, _, body = chunk.partition("\n")
        probed.sections[name] = probed.sections.get(name, "") + body
    probed.files = _files(probed.sections.pop("files", ""))
    return probed


def _files(text: str) -> dict[str, str]:
    lines: dict[str, list[str]] = {}
    for line in text.splitlines():
        path, sep, content = line.partition(":")
        if sep:
            lines.setdefault(path, []).append(content)
    return {path: "\n".join(content) for path, content in lines.items()}


def _listing(name: str, paths: list[str], template: str) -> list[str]:
    if not paths:
        return []
    return [f"s {name}; " + template.format(" ".join(_glob_safe(p) for p in paths))]


def _glob_safe(path: str) -> str:
    """Quote a path for sh but leave its ``*`` wildcards active."""
    return "*".join(quote(piece) if piece else "" for piece in path.split("*"))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
