"""reboot and wait_for_connection over real SSH (the sshd fleet).

Nothing reboots for real: each host's "boot id" is a file in its work directory and the
"reboot command" writes a new one, so the module's whole path runs for real: the boot id
read, the command, dropping and reopening the SSH connection, the new boot id, the test
command. The check run predicts the real one (both `changed`) and touches nothing; a
second run changes again, as a reboot always does, so the parity helper's idempotence
step does not apply.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parity import changed_map, own, pbe_json, snapshot, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def test_reboot_reconnects_until_the_boot_id_changes(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    for name, path in host_dirs.items():
        own(write(path / "boot_id", f"before-{name}\n"))
    dirs = write(
        tmp_path / "dirs.json", json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}})
    )
    book = write(
        tmp_path / "site.yml",
        (
            "- hosts: fleet\n  gather_facts: false\n  tasks:\n"
            "    - name: reboot\n      reboot:\n"
            "        boot_time_command: cat {{ dirs[inventory_hostname] }}/boot_id\n"
            "        reboot_command: >-\n"
            "          sh -c 'echo after-$$ > {{ dirs[inventory_hostname] }}/boot_id'\n"
            "        connect_timeout: 5\n        reboot_timeout: 60\n"
            "      register: r\n"
            "    - name: back\n      wait_for_connection: {timeout: 10}\n"
        ),
    )
    before = snapshot(host_dirs.values())
    code, check_doc, err = pbe_json(fleet, book, fleet_inventory, "--check", "-e", f"@{dirs}")
    assert code == 0, err
    assert snapshot(host_dirs.values()) == before, "--check changed something"
    code, real_doc, err = pbe_json(fleet, book, fleet_inventory, "-e", f"@{dirs}")
    assert code == 0, err
    hosts = set(host_dirs)
    assert changed_map(check_doc) == [
        ("reboot", dict.fromkeys(hosts, "changed")),
        ("back", dict.fromkeys(hosts, "skipped")),
    ]
    assert changed_map(real_doc) == [
        ("reboot", dict.fromkeys(hosts, "changed")),
        ("back", dict.fromkeys(hosts, "ok")),
    ]
    for name, path in host_dirs.items():
        assert (path / "boot_id").read_text().startswith("after-")
        result = real_doc["plays"][0]["tasks"][0]["hosts"][name]["result"]
        assert result["rebooted"] is True and isinstance(result["elapsed"], int)


def test_reboot_that_never_comes_back_fails_with_the_reason(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    host = sorted(host_dirs)[0]
    own(write(host_dirs[host] / "boot_id", "same\n"))
    book = write(
        tmp_path / "site.yml",
        (
            f"- hosts: {host}\n  gather_facts: false\n  tasks:\n"
            "    - name: reboot\n      reboot:\n"
            f"        boot_time_command: cat {host_dirs[host]}/boot_id\n"
            "        reboot_command: 'true'\n        reboot_timeout: 3\n"
        ),
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 2, err
    result = doc["plays"][0]["tasks"][0]["hosts"][host]
    assert result["status"] == "failed"
    assert result["result"]["msg"] == (
        "the host did not come back within 3 s after the reboot: the boot id did not change"
    )
