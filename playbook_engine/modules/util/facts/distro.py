"""distribution*, os_family, pkg_mgr and service_mgr, with Ansible's values.

How Ansible names a distribution was established by running ansible-core against recorded
release files (tests/unit/data/facts/distros/): first a base from os-release (``ID``,
``VERSION_ID``, the codename), then the first release file that identifies a family
(``distribution_file_variety``) adjusts it, and ``os_family`` is looked up from the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .probe import Probed

Facts = dict[str, Any]

_NAMES = {
    "rhel": "RedHat",
    "centos": "CentOS",
    "amzn": "Amazon",
    "ol": "OracleLinux",
    "almalinux": "AlmaLinux",
    "sles": "SLES",
    "sles_sap": "SLES_SAP",
    "arch": "Archlinux",
    "linuxmint": "Linux Mint",
    "opensuse-leap": "openSUSE Leap",
    "opensuse-tumbleweed": "openSUSE Tumbleweed",
    "xenserver": "XenServer",
    "raspbian": "Raspbian",
    "eurolinux": "EuroLinux",
    "cloudlinux": "CloudLinux",
}

_FAMILIES = {
    "RedHat": (
        "RedHat",
        "Fedora",
        "CentOS",
        "Scientific",
        "SLC",
        "Ascendos",
        "CloudLinux",
        "PSBM",
        "OracleLinux",
        "OVS",
        "OEL",
        "Amazon",
        "Virtuozzo",
        "XenServer",
        "Alibaba",
        "EulerOS",
        "openEuler",
        "AlmaLinux",
        "Rocky",
        "TencentOS",
        "EuroLinux",
        "Kylin Linux Advanced Server",
        "MIRACLE",
    ),
    "Debian": (
        "Ubuntu",
        "Debian",
        "Raspbian",
        "Neon",
        "KDE neon",
        "Linux Mint",
        "SteamOS",
        "Devuan",
        "Kali",
        "Cumulus Linux",
        "Pop!_OS",
        "Parrot",
        "Pardus GNU/Linux",
        "Uos",
        "Deepin",
        "OSMC",
    ),
    "Suse": (
        "SuSE",
        "SLES",
        "SLED",
        "openSUSE",
        "openSUSE Tumbleweed",
        "SLES_SAP",
        "SUSE_LINUX",
        "openSUSE Leap",
        "ALP-Dolomite",
        "SL-Micro",
        "openSUSE MicroOS",
    ),
    "Archlinux": ("Archlinux", "Antergos", "Manjaro"),
    "Mandrake": ("Mandriva", "Mandrake"),
    "Solaris": ("Solaris", "Nexenta", "OmniOS", "OpenIndiana", "SmartOS"),
    "Gentoo": ("Gentoo", "Funtoo"),
    "Slackware": ("Slackware",),
    "Altlinux": ("Altlinux",),
    "SMGL": ("SMGL",),
    "Alpine": ("Alpine",),
    "AIX": ("AIX",),
    "HP-UX": ("HPUX",),
    "Darwin": ("MacOSX",),
    "FreeBSD": ("FreeBSD", "TrueOS"),
    "ClearLinux": ("Clear Linux OS", "Clear Linux Mix"),
    "DragonFly": ("DragonflyBSD", "DragonFlyBSD", "Gentoo/DragonflyBSD", "Gentoo/DragonFlyBSD"),
    "NetBSD": ("NetBSD",),
}
OS_FAMILY = {name: family for family, names in _FAMILIES.items() for name in names}
_DEBIAN_NAMES = (
    ("Debian", "Debian"),
    ("Raspbian", "Debian"),
    ("Ubuntu", "Ubuntu"),
    ("SteamOS", "SteamOS"),
    ("Devuan", "Devuan"),
    ("Cumulus", "Cumulus Linux"),
    ("Mint", "Linux Mint"),
    ("Kali", "Kali"),
    ("Deepin", "Deepin"),
)
_NO_RELEASE_FILE = ("os-release", "lsb-release", "system-release")
_BSD = ("FreeBSD", "OpenBSD", "NetBSD", "DragonFly")


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of os-release (sh quoting), comments skipped."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            out[key] = _unquote(value.strip())
    return out


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        quote, value = value[0], value[1:-1]
        return value if quote == "'" else re.sub(r"\\([\\$\"`])", r"\1", value)
    return value


def distribution_facts(probed: Probed, system: str, kernel: str, lsb: dict[str, str]) -> Facts:
    """distribution, distribution_{version,major_version,release,file_*}, os_family."""
    if system != "Linux":
        return _non_linux(system, kernel)
    osr_path = (
        "/etc/os-release" if probed.file("/etc/os-release") is not None else "/usr/lib/os-release"
    )
    osr = parse_os_release(probed.file(osr_path) or "")
    facts = _base(probed, osr, lsb)
    for variety in _VARIETIES:
        if variety(probed, osr, osr_path, facts):
            break
    facts["os_family"] = OS_FAMILY.get(facts["distribution"], facts["distribution"])
    return facts


def _base(probed: Probed, osr: dict[str, str], lsb: dict[str, str]) -> Facts:
    """What os-release, lsb_release and the distribution's own release file say."""
    dist_id = osr.get("ID", "").lower() or lsb.get("id", "").lower().replace(" ", "")
    rel_version, rel_codename = _release_file(probed, dist_id)
    versions = [osr.get("VERSION_ID", ""), lsb.get("release", ""), rel_version]
    version = next((v for v in versions if v), "")
    if dist_id == "centos":  # the most precise version, cut to major.minor
        best = max(versions, key=lambda v: (v.count("."), len(v)))
        version = ".".join(best.split(".")[:2])
    codename = _os_release_codename(osr)
    if codename is None:
        codename = lsb.get("codename") or rel_codename or "NA"
    return {
        "distribution": _NAMES.get(dist_id, dist_id.capitalize()) or "NA",
        "distribution_version": version or "NA",
        "distribution_major_version": version.split(".")[0] if version else "NA",
        "distribution_release": codename,
    }


def _os_release_codename(osr: dict[str, str]) -> str | None:
    for key in ("VERSION_CODENAME", "UBUNTU_CODENAME"):
        if key in osr:
            return osr[key]
    match = re.search(r"\((.+)\)|, (.+)$", osr.get("VERSION", ""))
    return (match[1] or match[2]).strip() if match else None


def _release_file(probed: Probed, dist_id: str) -> tuple[str, str]:
    """Version and codename from the first ``/etc/*-release`` file that gives one."""
    names = sorted(path[5:] for path in probed.files if re.fullmatch(r"/etc/[^/]+", path))
    for name in names:
        content = (probed.file(f"/etc/{name}") or "").strip()
        if name == "debian_version" and content:
            return content, ""
        if name in _NO_RELEASE_FILE or not name.endswith("-release") or not content:
            continue
        match = re.search(r"(\d[\d.]*)[^(]*(?:\((.*)\))?", content.splitlines()[0])
        if match:
            return match[1].strip("."), (match[2] or "").strip()
    return "", ""


# Each variety checks its release file; on a match it records the file, adjusts the facts and
# returns True. They are tried in this order; the first match wins.
Variety = Callable[[Probed, dict[str, str], str, Facts], bool]


def _file(
    facts: Facts, path: str, variety: str, search: str | None = None, parsed: bool = True
) -> bool:
    facts["distribution_file_path"] = path
    facts["distribution_file_variety"] = variety
    if parsed:  # an empty marker file (arch-release) identifies without being parsed
        facts["distribution_file_parsed"] = True
    if search:
        facts["distribution_file_search_string"] = search
    return True


def _oracle(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    if "Oracle Linux" not in (probed.file("/etc/oracle-release") or ""):
        return False
    facts["distribution"] = "OracleLinux"
    return _file(facts, "/etc/oracle-release", "OracleLinux", "Oracle Linux")


def _centos_stream(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    if "CentOS Stream" not in (probed.file("/etc/centos-release") or ""):
        return False
    facts.update(distribution="CentOS", distribution_release="Stream")
    return _file(facts, "/etc/centos-release", "CentOS")


def _redhat(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    content = probed.file("/etc/redhat-release")
    if content is None:
        return False
    if "Red Hat" in content:
        facts["distribution"] = "RedHat"
        return _file(facts, "/etc/redhat-release", "RedHat", "Red Hat")
    return _file(facts, "/etc/redhat-release", "RedHat")


def _amazon(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    if "Amazon" not in (probed.file(path) or ""):
        return False
    version = osr.get("VERSION_ID", str(facts["distribution_version"]))
    major, _, minor = version.partition(".")
    facts.update(
        distribution="Amazon",
        distribution_version=version,
        distribution_major_version=major,
        distribution_minor_version=minor or "NA",
    )
    return _file(facts, path, "Amazon")


def _alpine(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    content = probed.file("/etc/alpine-release")
    if content is None:
        return False
    version = content.strip() or facts["distribution_version"]
    facts.update(
        distribution="Alpine",
        distribution_version=version,
        distribution_major_version=version.split(".")[0],
    )
    return _file(facts, "/etc/alpine-release", "Alpine")


def _arch(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    marker = probed.file("/etc/arch-release")
    if marker is not None:
        path = "/etc/arch-release"
    elif "Arch Linux" not in (probed.file(path) or ""):
        return False
    facts["distribution"] = "Archlinux"
    return _file(facts, path, "Archlinux", parsed=marker is None or bool(marker.strip()))


def _suse(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    if "SUSE" not in (probed.file(path) or ""):
        return False
    version = osr.get("VERSION_ID", str(facts["distribution_version"]))
    facts.update(
        distribution=osr.get("NAME", facts["distribution"]),
        distribution_version=version,
        distribution_release=version.partition(".")[2],
    )
    return _file(facts, path, "SUSE")


def _debian(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    content = probed.file(path) or ""
    name = next((name for key, name in _DEBIAN_NAMES if key in content), None)
    if name is None:
        return False
    match = re.match(r"(\d+)\.(\d+)", (probed.file("/etc/debian_version") or "").strip())
    if name == "Debian" and match:
        facts["distribution_minor_version"] = match[2]
        if facts["distribution"] == "Debian":
            facts["distribution_version"] = match[0]
            facts["distribution_major_version"] = match[1]
    facts["distribution"] = name
    return _file(facts, path, "Debian")


def _other(probed: Probed, osr: dict[str, str], path: str, facts: Facts) -> bool:
    if probed.file(path) is None:
        return False
    facts["distribution"] = osr.get("NAME", facts["distribution"])
    version = osr.get("VERSION_ID", osr.get("VERSION"))
    if version is not None:
        facts["distribution_version"] = version
    return _file(facts, path, "NA")


_VARIETIES: tuple[Variety, ...] = (
    _oracle,
    _centos_stream,
    _redhat,
    _amazon,
    _alpine,
    _arch,
    _suse,
    _debian,
    _other,
)


def _non_linux(system: str, kernel: str) -> Facts:
    """BSDs report the kernel release (``13.2-RELEASE``); other systems only their name."""
    if system not in _BSD:
        return {
            "distribution": system or "NA",
            "distribution_release": kernel or "NA",
            "distribution_version": "NA",
            "os_family": system or "NA",
        }
    version = (re.match(r"[\d.]+", kernel) or [""])[0] or "NA"
    return {
        "distribution": system,
        "distribution_release": kernel,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0],
        "os_family": OS_FAMILY.get(system, system),
    }


# -- package and service managers ------------------------------------------------------

_RPM_MANAGERS = {"dnf5": "/usr/bin/dnf5", "dnf": "/usr/bin/dnf", "yum": "/usr/bin/yum"}
_OTHER_MANAGERS = (
    ("zypper", "/usr/bin/zypper"),
    ("apk", "/sbin/apk"),
    ("apk", "/usr/bin/apk"),
    ("pacman", "/usr/bin/pacman"),
    ("portage", "/usr/bin/emerge"),
    ("xbps", "/usr/bin/xbps-install"),
    ("swupd", "/usr/bin/swupd"),
    ("pkgng", "/usr/local/sbin/pkg"),
    ("pkgng", "/usr/sbin/pkg"),
    ("openbsd_pkg", "/usr/sbin/pkg_add"),
    ("pkgin", "/opt/local/bin/pkgin"),
    ("urpmi", "/usr/sbin/urpmi"),
    ("opkg", "/usr/bin/opkg"),
    ("opkg", "/bin/opkg"),
    ("slackpkg", "/usr/sbin/slackpkg"),
    ("homebrew", "/usr/local/bin/brew"),
    ("homebrew", "/opt/homebrew/bin/brew"),
    ("sorcery", "/usr/sbin/sorcery"),
    ("apt", "/usr/bin/apt-get"),
    ("dnf", "/usr/bin/dnf"),
    ("yum", "/usr/bin/yum"),
)


def pkg_mgr(probed: Probed, distro: Facts) -> str:
    """The package manager Ansible's ``package`` would use."""
    present = set(probed.lines("exists"))
    family = distro.get("os_family")
    if family == "Debian":
        return "apt"
    if family == "Altlinux":
        return "apt_rpm"
    if family == "RedHat":
        if {"/run/ostree-booted", "/usr/bin/rpm-ostree"} <= present:
            return "atomic_container"
        for name in _rpm_preference(distro):
            if _RPM_MANAGERS[name] in present:
                return name
    return next((name for name, path in _OTHER_MANAGERS if path in present), "unknown")


def _rpm_preference(distro: Facts) -> tuple[str, ...]:
    major = distro.get("distribution_major_version", "")
    number = int(major) if major.isdigit() else 0
    if distro.get("distribution") == "Fedora":
        new = number >= 22
        return (
            ("dnf5", "dnf", "yum")
            if number >= 41
            else ("dnf", "dnf5", "yum")
            if new
            else ("yum", "dnf", "dnf5")
        )
    new = number >= 8 and not (distro.get("distribution") == "Amazon" and number < 2022)
    return ("dnf", "dnf5", "yum") if new else ("yum", "dnf", "dnf5")


_INIT_NAMES = {
    "systemd": "systemd",
    "runit": "runit",
    "runit-init": "runit",
    "runsvdir": "runit",
    "openrc": "openrc",
    "openrc-init": "openrc",
    "svscan": "svc",
}
_SYSTEM_SERVICE_MGRS = {
    "FreeBSD": "bsdinit",
    "OpenBSD": "bsdinit",
    "NetBSD": "bsdinit",
    "DragonFly": "bsdinit",
    "Darwin": "launchd",
    "SunOS": "smf",
    "AIX": "src",
}
_SYSTEMD_BOOTED = ("/run/systemd/system", "/dev/.run/systemd", "/dev/.systemd")


def service_mgr(probed: Probed, system: str) -> str:
    """From the name of PID 1; where that says little (init, a shell), from what is installed."""
    if system in _SYSTEM_SERVICE_MGRS:
        return _SYSTEM_SERVICE_MGRS[system]
    pid1 = (probed.file("/proc/1/comm") or "").strip()
    if pid1 and pid1 != "init" and not pid1.endswith("sh"):
        return _INIT_NAMES.get(pid1, pid1)
    present = set(probed.lines("exists"))
    if present & set(_SYSTEMD_BOOTED):
        return "systemd"
    if "/sbin/openrc" in present:
        return "openrc"
    if {"/sbin/initctl", "/etc/init"} <= present:
        return "upstart"
    if "/etc/init.d" in present:
        return "sysvinit"
    return "service"
