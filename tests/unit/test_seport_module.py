"""seport: for real only where this machine allows (no SELinux here: the task fails as
Ansible's does, and check mode says the same); the table parser from semanage's
documented output."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.seport import parse_ports

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def test_selinux_off_fails_clearly_in_check_and_real_runs(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - community.general.seport: {ports: 2849, proto: tcp, "
        "setype: ssh_port_t}\n"
    )
    if Path("/sys/fs/selinux/enforce").exists():
        pytest.skip("SELinux is on here: this test is for hosts without it")
    for check in (True, False):
        result = run(book, LOCAL, check=check)
        assert [r.status for r in result.results] == ["failed"]
        assert result.results[0].result["msg"] == "SELinux is disabled on this host."


def test_parse_ports_reads_types_ranges_and_protocols() -> None:
    text = (
        "SELinux Port Type              Proto    Port Number\n\n"
        "http_cache_port_t              tcp      8080, 10001-10010\n"
        "http_port_t                    tcp      80, 8080\n"
        "openvpn_port_t                 udp      1194\n"
    )
    found = parse_ports(text)
    assert found.by_type[("http_cache_port_t", "tcp")] == ["8080", "10001-10010"]
    assert found.by_type[("openvpn_port_t", "udp")] == ["1194"]
    assert found.by_port[("8080", "tcp")] == ["http_cache_port_t", "http_port_t"]
    assert ("SELinux", "Port") not in found.by_type
