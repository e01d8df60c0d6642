"""Facts gathered over SSH on the fleet equal those gathered over the local connection
(the fleet's hosts are this machine), except what depends on the login user."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

import pytest
import yaml

import playbook_engine as pbe
from playbook_engine.events import CommandSent, Event, TaskStart
from playbook_engine.testing.fleet import TEST_USER, Fleet

pytestmark = pytest.mark.fleet

SAME_MACHINE = (
    "system",
    "kernel",
    "kernel_version",
    "machine",
    "architecture",
    "nodename",
    "hostname",
    "fqdn",
    "domain",
    "machine_id",
    "userspace_bits",
    "distribution",
    "distribution_version",
    "distribution_major_version",
    "distribution_release",
    "distribution_file_path",
    "distribution_file_variety",
    "os_family",
    "lsb",
    "pkg_mgr",
    "service_mgr",
    "dns",
    "fips",
    "selinux",
    "apparmor",
    "cmdline",
    "processor",
    "processor_count",
    "processor_cores",
    "processor_vcpus",
    "memtotal_mb",
    "form_factor",
    "product_name",
    "interfaces",
    "default_ipv4",
    "default_ipv6",
    "all_ipv4_addresses",
    "all_ipv6_addresses",
    "virtualization_type",
    "virtualization_role",
    "python_version",
)


def gather(fleet: Fleet, tmp_path: Path) -> tuple[dict[str, dict[str, Any]], list[Event]]:
    inventory = yaml.safe_load(
        fleet.write_inventory(tmp_path / "inv.yml", hosts=["h01", "h02"]).read_text()
    )
    inventory["all"]["hosts"]["ctl"] = {"ansible_connection": "local"}
    book = tmp_path / "site.yml"
    book.write_text("- hosts: all\n  tasks:\n    - debug: var=ansible_facts\n")
    events: list[Event] = []
    result = pbe.run(
        book,
        inventory,
        known_hosts=str(fleet.known_hosts),
        ssh_config=os.devnull,
        on_event=events.append,
    )
    assert result.exit_code == 0, [r.result for r in result.results if r.status != "ok"]
    facts = {r.host: r.result["ansible_facts"] for r in result.results if r.action == "debug"}
    return facts, events


def test_facts_over_ssh_equal_facts_over_the_local_connection(fleet: Fleet, tmp_path: Path) -> None:
    facts, events = gather(fleet, tmp_path)
    local, h01, h02 = facts["ctl"], facts["h01"], facts["h02"]
    for name in SAME_MACHINE:
        assert name in local, name
        assert h01[name] == local[name], name
        assert h02[name] == local[name], name
    assert [m["mount"] for m in h01["mounts"]] == [m["mount"] for m in local["mounts"]]
    assert h01["distribution"] != "NA"
    if Path("/etc/ssh/ssh_host_ed25519_key.pub").exists():  # not on a machine without sshd keys
        assert h01["ssh_host_key_ed25519_public"] == local["ssh_host_key_ed25519_public"]
    user = pwd.getpwnam(TEST_USER)
    assert (h01["user_id"], h01["user_uid"], h01["user_dir"]) == (
        TEST_USER,
        user.pw_uid,
        user.pw_dir,
    )
    assert h01["real_user_id"] == h01["effective_user_id"] == user.pw_uid
    assert h01["env"]["USER"] == TEST_USER and "SSH_CONNECTION" in h01["env"]
    assert local["user_uid"] == os.getuid()
    gathering = next(
        e.index for e in events if isinstance(e, TaskStart) and e.name == "Gathering Facts"
    )
    per_host = [e.host for e in events if isinstance(e, CommandSent) and e.task == gathering]
    assert sorted(per_host) == ["ctl", "h01", "h02"]  # one round trip per host
