"""setup's facts against Ansible's: recorded outputs of both for one machine, recorded
release files of many distributions, and the pure parsers on edge cases.

Data (see data/facts/README.md): ``debian12-vm.probe.json`` is pbe's raw probe output and
``debian12-vm.ansible.json`` ansible-core 2.21's ``setup`` for the same machine, taken back to
back; ``debian12-vm.names.json`` the fact names Ansible returned per gather_subset/filter;
``distros/*`` release files and ``distros.json`` Ansible's distribution facts for each.
"""

from __future__ import annotations

import json
import os
import pwd
import re
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.errors import ModuleError
from playbook_engine.events import CommandSent, Event, TaskStart
from playbook_engine.modules.setup import Setup
from playbook_engine.modules.util.facts import collect, distro, network, probe, system, virtual
from playbook_engine.modules.util.facts.probe import Probed
from playbook_engine.transport.base import CommandResult, ConnectionSpec
from playbook_engine.transport.local import LocalConnection

DATA = Path(__file__).parent / "data" / "facts"
RECORDED = json.loads((DATA / "debian12-vm.probe.json").read_text())
ANSIBLE = json.loads((DATA / "debian12-vm.ansible.json").read_text())
NAMES = json.loads((DATA / "debian12-vm.names.json").read_text())
DISTROS = json.loads((DATA / "distros.json").read_text())

# Ansible facts pbe does not gather (docs/modules/setup.md says why).
NOT_GATHERED = {
    "ansible_devices",
    "ansible_device_links",
    "ansible_lvm",
    "ansible_system_capabilities",
    "ansible_system_capabilities_enforced",
    "ansible_selinux_python_present",
}
VOLATILE = {"date_time", "memfree_mb", "memory_mb", "mounts", "uptime_seconds", "loadavg"}
UNORDERED = {"interfaces", "virtualization_tech_guest", "virtualization_tech_host"}


class RecordedHost:
    """A ModuleContext whose host answers every command with a recorded probe output."""

    host, check, diff = "recorded", False, False

    def __init__(self, output: str, variables: dict[str, Any] | None = None) -> None:
        self.output, self.variables, self.commands = output, variables or {}, []

    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        self.commands.append(command)
        return CommandResult(0, self.output.encode(), b"")

    def variable(self, name: str) -> Any:
        return self.variables[name]

    def render(self, value: Any) -> Any:
        return value


def gather(
    monkeypatch: pytest.MonkeyPatch,
    output: str = RECORDED["output"],
    nonce: str = RECORDED["nonce"],
    **args: Any,
) -> dict[str, Any]:
    """Run the setup module against the recorded machine; its facts by Ansible's names."""
    monkeypatch.setattr(probe, "new_nonce", lambda: nonce)
    ctx = RecordedHost(output)
    result = Setup().run(Setup.coerce(args), ctx).as_dict()  # type: ignore[arg-type]
    assert len(ctx.commands) == 1  # one round trip
    return dict(result["ansible_facts"])


def shape(value: Any) -> Any:
    """The types and keys of a value, not its contents."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


def test_every_fact_agrees_with_ansible_on_the_recorded_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ours = gather(monkeypatch)
    assert set(ANSIBLE) - set(ours) == NOT_GATHERED
    assert set(ours) - set(ANSIBLE) == set()
    for name, theirs in ANSIBLE.items():
        fact = name.removeprefix("ansible_")
        if name in NOT_GATHERED:
            continue
        if fact in VOLATILE:
            assert shape(ours[name]) == shape(theirs), name
        elif fact in UNORDERED:
            assert sorted(ours[name]) == sorted(theirs), name
        else:
            assert ours[name] == theirs, name


def test_network_facts_agree_with_ansible_for_aliases_bridges_and_odd_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Recorded in a network namespace: `du-m.y` (a veth) with a secondary address labelled
    `du-m.y:1` and a v6 default route; its peer `vp0` in bridge `br0`, with addresses
    labelled `vp0:main` (primary), `vp0:x` (primary of another subnet) and `vp0`."""
    recorded = json.loads((DATA / "netns-aliases.probe.json").read_text())
    theirs = json.loads((DATA / "netns-aliases.ansible.json").read_text())
    ours = gather(
        monkeypatch, recorded["output"], recorded["nonce"], gather_subset=recorded["subset"]
    )
    assert set(ours) == set(theirs)
    for name, value in theirs.items():
        if name.removeprefix("ansible_") in UNORDERED | {
            "all_ipv4_addresses",
            "all_ipv6_addresses",
        }:
            assert sorted(ours[name]) == sorted(value), name
        else:
            assert ours[name] == value, name
    assert ours["ansible_vp0_main"]["ipv4"]["address"] == "10.8.0.1"
    assert ours["ansible_default_ipv6"]["gateway"] == "2001:db8::fe"


def test_volatile_facts_are_close_to_ansible(monkeypatch: pytest.MonkeyPatch) -> None:
    ours = gather(monkeypatch)
    when, then = ours["ansible_date_time"], ANSIBLE["ansible_date_time"]
    assert abs(int(when["epoch"]) - int(then["epoch"])) < 30
    assert {k: when[k] for k in ("tz", "tz_dst", "tz_offset", "date")} == {
        k: then[k] for k in ("tz", "tz_dst", "tz_offset", "date")
    }
    assert re.fullmatch(r"\d{8}T\d{12}", when["iso8601_basic"])
    assert ours["ansible_memory_mb"]["real"]["total"] == ANSIBLE["ansible_memtotal_mb"]
    ours_root, their_root = ours["ansible_mounts"][0], ANSIBLE["ansible_mounts"][0]
    for key in ("mount", "device", "fstype", "options", "size_total", "block_total", "uuid"):
        assert ours_root[key] == their_root[key], key


def test_the_recorded_machine_gives_the_facts_the_issue_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = gather(monkeypatch)
    assert facts["ansible_distribution_version"] == "12.11"  # /etc/debian_version, not 12
    assert facts["ansible_distribution_major_version"] == "12"
    assert facts["ansible_os_family"] == "Debian"
    assert facts["ansible_pkg_mgr"] == "apt"
    assert facts["ansible_python"]["executable"] == "/usr/bin/python3"
    assert facts["ansible_default_ipv4"]["address"] == "192.0.2.2"
    assert facts["ansible_default_ipv4"]["gateway"] == "192.0.2.1"
    assert facts["ansible_all_ipv4_addresses"] == ["192.0.2.2"]
    assert facts["ansible_processor_vcpus"] == 2
    assert facts["ansible_virtualization_type"] == "docker"
    assert facts["ansible_lsb"]["codename"] == "bookworm"
    assert facts["ansible_env"]["HOME"] == "/root"


@pytest.mark.parametrize(
    ("subset", "names"), NAMES["subsets"], ids=[",".join(s) for s, _ in NAMES["subsets"]]
)
def test_gather_subset_selects_what_ansible_selects(
    monkeypatch: pytest.MonkeyPatch, subset: list[str], names: list[str]
) -> None:
    facts = gather(monkeypatch, gather_subset=subset)
    assert sorted(facts) == sorted(set(names) - NOT_GATHERED)
    assert facts["gather_subset"] == subset and facts["module_setup"] is True
    for name, value in facts.items():  # a subset alone reads all its facts need
        fact = name.removeprefix("ansible_")
        if name in ANSIBLE and fact not in VOLATILE | UNORDERED | {"gather_subset"}:
            assert value == ANSIBLE[name], name


@pytest.mark.parametrize(
    ("patterns", "names"), NAMES["filters"], ids=[",".join(f) for f, _ in NAMES["filters"]]
)
def test_filter_keeps_what_ansible_keeps(
    monkeypatch: pytest.MonkeyPatch, patterns: list[str], names: list[str]
) -> None:
    assert sorted(gather(monkeypatch, filter=patterns)) == sorted(set(names) - NOT_GATHERED)


def test_gather_subset_and_filter_accept_comma_separated_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = gather(
        monkeypatch, gather_subset="!all,!min,network", filter="ansible_default_ipv4,interfaces"
    )
    assert sorted(facts) == ["ansible_default_ipv4", "ansible_interfaces"]


def test_a_filter_narrows_the_probe_itself() -> None:
    """`filter: ansible_distribution*` gathers distribution facts, not hardware or python."""
    chosen = collect.needed(collect.select(["all"]), ["ansible_distribution*"])
    assert "distribution" in chosen
    assert not chosen & {"hardware", "python", "env", "user", "virtual"}
    assert collect.needed(collect.select(["all"]), ["ansible_kernel"]) == {"platform"}


def test_an_unknown_subset_fails_with_the_allowed_names() -> None:
    with pytest.raises(
        ModuleError,
        match=r"bad subset 'hardwre' given in gather_subset; "
        r"allowed: all, .*hardware",
    ):
        collect.select(["hardwre"])
    assert collect.select(["!hardwre"]) == collect.select(["min"])


@pytest.mark.parametrize("name", sorted(DISTROS))
def test_distribution_facts_match_ansible(name: str) -> None:
    files = {f"/etc/{p.name}": p.read_text() for p in (DATA / "distros" / name).iterdir()}
    assert distro.distribution_facts(Probed(files=files), "Linux", "6.1.0", {}) == DISTROS[name]


def test_lsb_release_output_feeds_the_version_when_os_release_has_none() -> None:
    """Debian sid with lsb_release installed: Ansible reports its `n/a`."""
    files = {f"/etc/{p.name}": p.read_text() for p in (DATA / "distros/debian-sid").iterdir()}
    facts = distro.distribution_facts(
        Probed(files=files), "Linux", "6.1.0", {"release": "n/a", "codename": "trixie"}
    )
    assert facts["distribution_version"] == facts["distribution_major_version"] == "n/a"


def test_bsd_distribution_comes_from_the_kernel_release() -> None:
    facts = distro.distribution_facts(Probed(), "FreeBSD", "13.2-RELEASE", {})
    assert facts == {
        "distribution": "FreeBSD",
        "distribution_release": "13.2-RELEASE",
        "distribution_version": "13.2",
        "distribution_major_version": "13",
        "os_family": "FreeBSD",
    }


def test_os_release_values_are_unquoted_like_sh_would() -> None:
    text = 'A="x \\"y\\" \\$z"\nB=\'it\\s\'\nC=plain\n# D=comment\nE=\n'
    assert distro.parse_os_release(text) == {"A": 'x "y" $z', "B": "it\\s", "C": "plain", "E": ""}


def lsb(sections: dict[str, str], files: dict[str, str]) -> dict[str, str]:
    return system.lsb_info(Probed(sections=sections, files=files))


def test_lsb_from_the_command_the_file_or_nothing() -> None:
    out = (
        "Distributor ID:\tUbuntu\nDescription:\tUbuntu 22.04.3 LTS\nRelease:\t22.04\n"
        "Codename:\tjammy"
    )
    expected = {
        "id": "Ubuntu",
        "description": "Ubuntu 22.04.3 LTS",
        "release": "22.04",
        "codename": "jammy",
        "major_release": "22",
    }
    assert lsb({"bg lsb": out}, {}) == expected
    ubuntu = (DATA / "distros/ubuntu2204/lsb-release").read_text()
    assert lsb({}, {"/etc/lsb-release": ubuntu}) == expected
    assert lsb({}, {}) == {}


def test_the_minimal_lsb_release_is_emulated_from_os_release() -> None:
    rhel = (DATA / "distros/rhel94/os-release").read_text()
    # What Debian's lsb-release-minimal prints for this os-release (run under Ansible).
    assert lsb({"lsb_minimal": ""}, {"/etc/os-release": rhel}) == {
        "codename": "n/a",
        "description": "Red Hat Enterprise Linux 9.4 (Plow)",
        "id": "Rhel",
        "major_release": "9",
        "release": "9.4",
    }


def managers(present: list[str], **dist: str) -> str:
    facts = {"os_family": "RedHat", "distribution_major_version": "9", **dist}
    return distro.pkg_mgr(Probed(sections={"exists": "\n".join(present)}), facts)


def test_pkg_mgr_follows_the_family_and_what_is_installed() -> None:
    rpm = ["/usr/bin/dnf", "/usr/bin/yum", "/usr/bin/dnf5"]
    assert managers(rpm, distribution="RedHat") == "dnf"
    assert managers(rpm, distribution="CentOS", distribution_major_version="7") == "yum"
    assert managers(["/usr/bin/yum"], distribution="Rocky") == "yum"
    assert managers(rpm, distribution="Fedora", distribution_major_version="41") == "dnf5"
    assert managers(rpm, distribution="Fedora", distribution_major_version="39") == "dnf"
    assert managers(rpm, distribution="Amazon", distribution_major_version="2") == "yum"
    assert managers(rpm + ["/run/ostree-booted", "/usr/bin/rpm-ostree"]) == "atomic_container"
    assert managers([], os_family="Debian") == "apt"
    assert managers(["/sbin/apk"], os_family="Alpine") == "apk"
    assert managers(["/usr/bin/pacman"], os_family="Archlinux") == "pacman"
    assert managers(["/usr/bin/zypper"], os_family="Suse") == "zypper"
    assert managers(["/usr/bin/emerge"], os_family="Gentoo") == "portage"
    assert managers([], os_family="NixOS") == "unknown"


@pytest.mark.parametrize(
    ("pid1", "present", "expected"),
    [
        ("systemd", [], "systemd"),
        ("runit", [], "runit"),
        ("openrc-init", [], "openrc"),
        ("tini", [], "tini"),
        ("init", ["/run/systemd/system", "/etc/init.d"], "systemd"),
        ("init", ["/sbin/openrc", "/etc/init.d"], "openrc"),
        ("init", ["/sbin/initctl", "/etc/init", "/etc/init.d"], "upstart"),
        ("bash", ["/etc/init.d"], "sysvinit"),
        (None, [], "service"),
    ],
)
def test_service_mgr_from_pid1_then_from_what_is_installed(
    pid1: str | None, present: list[str], expected: str
) -> None:
    files = {"/proc/1/comm": pid1 + "\n"} if pid1 else {}
    probed = Probed(sections={"exists": "\n".join(present)}, files=files)
    assert distro.service_mgr(probed, "Linux") == expected


def date_time(lines: list[str]) -> dict[str, str]:
    return system.date_time_facts(Probed(sections={"date": "\n".join(lines)}))["date_time"]


def test_date_time_in_a_zone_with_summer_time() -> None:
    facts = date_time(
        ["1719835200 5000 +0200 CEST", "1704067200 0 +0100 CET", "1719792000 0 +0200 CEST"]
    )
    assert facts == {
        "year": "2024",
        "month": "07",
        "weekday": "Monday",
        "weekday_number": "1",
        "weeknumber": "27",
        "day": "01",
        "hour": "14",
        "minute": "00",
        "second": "00",
        "epoch": "1719835200",
        "epoch_int": "1719835200",
        "date": "2024-07-01",
        "time": "14:00:00",
        "iso8601_micro": "2024-07-01T12:00:00.000005Z",
        "iso8601": "2024-07-01T12:00:00Z",
        "iso8601_basic": "20240701T140000000005",
        "iso8601_basic_short": "20240701T140000",
        "tz": "CEST",
        "tz_dst": "CEST",
        "tz_offset": "+0200",
    }
    southern = date_time(
        ["1719835200 0 +1000 AEST", "1704067200 0 +1100 AEDT", "1719792000 0 +1000 AEST"]
    )
    assert (southern["tz"], southern["tz_dst"], southern["hour"]) == ("AEST", "AEDT", "22")
    plain = date_time(["1719835200 N +0000 UTC"])  # a date without -f or %N
    assert (plain["tz_dst"], plain["iso8601_micro"]) == ("UTC", "2024-07-01T12:00:00.000000Z")


_FOREVER = r"\       valid_lft forever preferred_lft forever"
IP_OUTPUT = "\n".join(
    [
        r"1: lo    inet 127.0.0.1/8 scope host lo" + _FOREVER,
        r"2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global dynamic noprefixroute eth0"
        r"\       valid_lft 86000sec preferred_lft 86000sec",
        r"2: eth0    inet 10.0.0.6/24 brd 10.0.0.255 scope global secondary eth0:1" + _FOREVER,
        r"2: eth0    inet6 2001:db8::5/64 scope global " + _FOREVER,
        r"4: br-lan    inet 192.168.1.1/24 brd 192.168.1.255 scope global br-lan" + _FOREVER,
        r"8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 1000 \    cache",
        r"local 10.0.0.5 dev eth0 proto kernel scope host src 10.0.0.5",
    ]
)


def test_network_facts_with_secondaries_bridges_and_bonds() -> None:
    net = "/sys/class/net/"
    files = {
        f"{net}eth0/address": "52:54:00:12:34:56",
        f"{net}eth0/mtu": "1500",
        f"{net}eth0/type": "1",
        f"{net}eth0/flags": "0x1103",
        f"{net}eth0/speed": "1000",
        f"{net}br-lan/address": "52:54:00:aa:bb:cc",
        f"{net}br-lan/type": "1",
        f"{net}br-lan/flags": "0x1003",
        f"{net}br-lan/bridge/bridge_id": "8000.5254",
        f"{net}br-lan/bridge/stp_state": "0",
        f"{net}bond0/bonding/mode": "802.3ad 4",
        f"{net}bond0/bonding/slaves": "eth1 eth2",
        f"{net}bond0/flags": "0x1402",
        f"{net}lo/address": "00:00:00:00:00:00",
        f"{net}lo/type": "772",
        f"{net}lo/flags": "0x9",
    }
    exists = [f"{net}{n}" for n in ("lo", "eth0", "br-lan", "bond0")] + [f"{net}br-lan/brif/eth3"]
    links = f"lrwxrwxrwx 1 root root 0 Jan 1 00:00 {net}eth0/device -> ../../../0000:00:03.0"
    facts = network.network_facts(
        Probed(sections={"ip": IP_OUTPUT, "exists": "\n".join(exists), "links": links}, files=files)
    )
    assert facts["interfaces"] == ["bond0", "br-lan", "eth0", "eth0_1", "lo"]
    assert facts["eth0_1"] == {"ipv4_secondaries": facts["eth0"]["ipv4_secondaries"]}
    assert facts["all_ipv4_addresses"] == ["192.168.1.1", "10.0.0.5", "10.0.0.6"]
    assert facts["all_ipv6_addresses"] == ["2001:db8::5"]
    assert facts["eth0"]["ipv4"] == {
        "address": "10.0.0.5",
        "broadcast": "10.0.0.255",
        "netmask": "255.255.255.0",
        "network": "10.0.0.0",
        "prefix": "24",
    }
    assert facts["eth0"]["ipv4_secondaries"][0]["address"] == "10.0.0.6"
    assert (facts["eth0"]["promisc"], facts["eth0"]["pciid"]) == (True, "0000:00:03.0")
    assert facts["br_lan"]["device"] == "br-lan"
    assert facts["br_lan"]["type"] == "bridge" and facts["br_lan"]["interfaces"] == ["eth3"]
    assert facts["bond0"]["type"] == "bonding" and facts["bond0"]["slaves"] == ["eth1", "eth2"]
    assert facts["bond0"]["active"] is False and "macaddress" not in facts["lo"]
    assert facts["default_ipv4"] == {
        "gateway": "10.0.0.1",
        "interface": "eth0",
        "address": "10.0.0.5",
        "alias": "eth0",
        "broadcast": "10.0.0.255",
        "netmask": "255.255.255.0",
        "network": "10.0.0.0",
        "prefix": "24",
        "macaddress": "52:54:00:12:34:56",
        "mtu": 1500,
        "type": "ether",
    }
    assert facts["default_ipv6"] == {}
    assert facts["locally_reachable_ips"] == {"ipv4": ["10.0.0.5"], "ipv6": []}


@pytest.mark.parametrize(
    ("files", "exists", "expected"),
    [
        (
            {"/sys/class/dmi/id/product_name": "KVM", "/sys/class/dmi/id/sys_vendor": "QEMU"},
            [],
            ("kvm", "guest", ["kvm"], []),
        ),
        (
            {"/sys/class/dmi/id/product_name": "VMware Virtual Platform"},
            [],
            ("VMware", "guest", ["VMware"], []),
        ),
        ({"/sys/class/dmi/id/sys_vendor": "Amazon EC2"}, [], ("kvm", "guest", ["kvm"], [])),
        (
            {"/proc/1/cgroup": "0::/system.slice/docker-1234.scope"},
            ["/dev/kvm"],
            ("docker", "guest", ["container", "docker"], ["kvm"]),
        ),
        (
            {"/run/systemd/container": "podman"},
            ["/run/.containerenv"],
            ("podman", "guest", ["container", "podman"], []),
        ),
        ({}, ["/dev/kvm"], ("kvm", "host", [], ["kvm"])),
        ({}, [], ("NA", "NA", [], [])),
    ],
)
def test_virtualization(
    files: dict[str, str], exists: list[str], expected: tuple[str, str, list[str], list[str]]
) -> None:
    facts = virtual.virtual_facts(Probed(sections={"exists": "\n".join(exists)}, files=files))
    assert (
        facts["virtualization_type"],
        facts["virtualization_role"],
        facts["virtualization_tech_guest"],
        facts["virtualization_tech_host"],
    ) == expected


def test_kernel_command_line_repeated_keys_and_quotes() -> None:
    facts = system.cmdline_facts(
        Probed(
            files={
                "/proc/cmdline": "BOOT_IMAGE=/vmlinuz console=tty0 console=ttyS0,115200 quiet "
                'opt="a b"'
            }
        )
    )
    assert facts["cmdline"] == {
        "BOOT_IMAGE": "/vmlinuz",
        "console": "ttyS0,115200",
        "quiet": True,
        "opt": '"a b"',
    }
    assert facts["proc_cmdline"]["console"] == ["tty0", "ttyS0,115200"]


def test_local_facts_json_ini_and_broken() -> None:
    sections = {
        "local /etc/ansible/facts.d/app.fact": '{"port": 8080}',
        "local /etc/ansible/facts.d/site.fact": "[general]\nName = web\n",
        "local /etc/ansible/facts.d/bad.fact": "not json [or ini",
    }
    assert system.local_facts(Probed(sections=sections)) == {
        "local": {
            "app": {"port": 8080},
            "site": {"general": {"name": "web"}},
            "bad": "error loading facts as JSON or ini - please check content: "
            "/etc/ansible/facts.d/bad.fact",
        }
    }


def test_local_facts_that_fail_say_why_as_ansible_does() -> None:
    d = "/f"
    sections = {
        f"local {d}/ran.fact": '{"ok": 1}',
        f"localrc {d}/ran.fact": "0\n",
        f"local {d}/boom.fact": "",
        f"localrc {d}/boom.fact": "3\noops\n",
        f"localerr {d}/gone.fact": "No such file or directory\n",
        f"local {d}/pct.fact": "[s]\nv = 50 % off\n",
    }
    local = system.local_facts(Probed(sections=sections))["local"]
    assert local["ran"] == {"ok": 1}
    assert local["boom"] == f"Failure executing fact script ({d}/boom.fact), rc: 3, err: oops"
    assert local["gone"] == f"Could not stat fact ({d}/gone.fact): No such file or directory"
    assert local["pct"].startswith(f"error loading facts as ini - please check content: {d}/pct")


def test_background_output_is_cut_out_wherever_it_lands() -> None:
    nonce = "pbe0123"
    # The background job's one write landed inside the line "127.0.0.1   localhost".
    output = (
        f"\n{nonce} fqdn\n127.0.0.1   local\n{nonce} bg python\n/usr/bin/python3\ncpython\n"
        f"3 11 2 final 0\n64\n{nonce} end\nhost\n\n{nonce} files\n/etc/machine-id:abc\n"
    )
    probed = probe.split(output, nonce)
    assert probed.text("fqdn") == "127.0.0.1   localhost\n"
    assert probed.lines("bg python")[0] == "/usr/bin/python3"
    assert probed.files == {"/etc/machine-id": "abc"}


def test_a_host_without_tools_or_files_still_gives_what_it_can(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nonce = RECORDED["nonce"]
    facts = gather(monkeypatch, output=f"\n{nonce} uname\nLinux h 6.1 #1 SMP x86_64\n")
    assert facts["ansible_system"] == "Linux" and facts["ansible_architecture"] == "x86_64"
    assert facts["ansible_distribution"] == "NA" and facts["ansible_mounts"] == []
    assert "ansible_python" not in facts and "ansible_env" not in facts


def test_a_probe_that_prints_nothing_fails_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModuleError, match="fact probe failed"):
        gather(monkeypatch, output="sh: 1: not found\n")


def test_python_interpreter_variable_is_where_python_is_looked_for() -> None:
    ctx = RecordedHost("", {"ansible_python_interpreter": "/opt/py/bin/python3"})
    with pytest.raises(ModuleError):
        Setup().run(Setup.coerce({}), ctx)  # type: ignore[arg-type]
    assert "for _c in /opt/py/bin/python3; do" in ctx.commands[0]


INVENTORY = {"all": {"hosts": {"local": {"ansible_connection": "local"}}}}


def test_play_gathers_with_one_command_and_facts_describe_this_host(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: all
  tasks:
    - copy:
        dest: "{{ out }}"
        content: "{{ {'facts': ansible_facts, 'top': [ansible_kernel, ansible_user_uid,
                   ansible_nodename, ansible_processor_nproc]} | to_json }}"
""")
    events: list[Event] = []
    out = tmp_path / "facts.json"
    result = pbe.run(book, INVENTORY, extra_vars={"out": str(out)}, on_event=events.append)
    assert result.exit_code == 0
    gathering = next(
        e.index for e in events if isinstance(e, TaskStart) and e.name == "Gathering Facts"
    )
    sent = [e for e in events if isinstance(e, CommandSent) and e.task == gathering]
    assert len(sent) == 1  # one round trip
    data = json.loads(out.read_text())
    facts = data["facts"]
    uname = os.uname()
    assert data["top"] == [uname.release, os.getuid(), uname.nodename, len(os.sched_getaffinity(0))]
    assert (facts["system"], facts["machine"]) == (uname.sysname, uname.machine)
    assert facts["user_dir"] == pwd.getpwuid(os.getuid()).pw_dir
    assert facts["gather_subset"] == ["all"]
    assert {"default_ipv4", "mounts", "virtualization_type", "env"} <= set(facts)


def test_setup_task_takes_comma_separated_subset_and_filter(tmp_path: Path) -> None:
    """As in Ansible: `setup: gather_subset=!all,!min,platform filter=ansible_k*`."""
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - setup: gather_subset=!all,!min,platform filter=ansible_k*
      register: free_form
    - setup:
        gather_subset: "!all,!min,distribution"
        filter: "ansible_os_family,gather_subset"
      register: yaml_form
""")
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0, [r.result for r in result.results]
    registered = [r.result["ansible_facts"] for r in result.results if r.action == "setup"]
    assert sorted(registered[0]) == ["ansible_kernel", "ansible_kernel_version"]
    assert sorted(registered[1]) == ["ansible_os_family", "gather_subset"]
    assert registered[1]["gather_subset"] == ["!all", "!min", "distribution"]


def test_addresses_from_an_ip_without_one_line_output() -> None:
    """BusyBox `ip` has neither -batch nor -o: the probe's fallback output is read too."""
    output = "\n".join(
        [
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000",
            "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
            "    inet 127.0.0.1/8 scope host lo",
            "       valid_lft forever preferred_lft forever",
            "7: eth0@if8: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue state UP",
            "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff",
            "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0",
            "       valid_lft forever preferred_lft forever",
            "    inet6 fe80::42:acff:fe11:2/64 scope link",
            "8.8.8.8 via 172.17.0.1 dev eth0  src 172.17.0.2",
        ]
    )
    exists = "/sys/class/net/lo\n/sys/class/net/eth0"
    facts = network.network_facts(Probed(sections={"ip": output, "exists": exists}))
    assert facts["eth0"]["ipv4"]["network"] == "172.17.0.0"
    assert facts["eth0"]["ipv6"] == [
        {"address": "fe80::42:acff:fe11:2", "prefix": "64", "scope": "link"}
    ]
    assert facts["all_ipv4_addresses"] == ["172.17.0.2"]
    assert (facts["default_ipv4"]["gateway"], facts["default_ipv4"]["alias"]) == (
        "172.17.0.1",
        "eth0",
    )


class ThisHost(RecordedHost):
    """A ModuleContext that runs the probe on this machine (the local transport)."""

    def run(
        self, command: str, *, stdin: bytes | None = None, timeout: float | None = None
    ) -> CommandResult:
        self.commands.append(command)
        return LocalConnection(ConnectionSpec("local", "localhost", connection="local")).run(
            command, timeout=timeout
        )


def gather_here(**args: Any) -> dict[str, Any]:
    ctx = ThisHost("")
    facts = Setup().run(Setup.coerce(args), ctx).facts  # type: ignore[arg-type]
    assert len(ctx.commands) == 1
    return dict(facts)


STABLE = (
    "distribution",
    "lsb",
    "pkg_mgr",
    "service_mgr",
    "platform",
    "user",
    "dns",
    "selinux",
    "cmdline",
    "ssh_pub_keys",
    "network",
    "virtual",
    "chroot",
    "python",
)


def test_each_collector_alone_reads_everything_its_facts_need() -> None:
    """A collector's probe part brings every file and command its parser uses: alone, it
    gives the values it gives within `all` on this machine."""
    everything = gather_here()
    for name in STABLE:
        alone = gather_here(gather_subset=["!all", "!min", name])
        for fact in collect.PRODUCES[name]:
            if fact in everything and fact not in ("env", "date_time"):
                assert alone.get(fact) == everything[fact], (name, fact)


def test_play_gather_subset_reaches_the_implicit_gathering(tmp_path: Path) -> None:
    """The play keywords ``gather_subset``/``gather_timeout`` are setup's arguments, and
    ``gather_subset`` is a top-level variable under its own name, as in Ansible."""
    import playbook_engine as pbe

    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: all
  gather_subset: ["!all"]
  gather_timeout: 20
  tasks:
    - debug:
        msg: "{{ gather_subset }} {{ ansible_mounts is defined }} {{ ansible_kernel }}"
""")
    result = pbe.run(book, "localhost,", extra_vars={"ansible_connection": "local"})
    assert result.exit_code == 0
    assert result.results[-1].result["msg"].startswith("['!all'] False ")
