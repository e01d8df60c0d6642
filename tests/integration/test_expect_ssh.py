"""expect over real SSH: the driver and the answers travel on the channel's stdin (also
behind sudo's password), every host answers its own prompts, and the secret never shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parity import pbe_json, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

ASK = """#!/bin/sh
printf 'Host name: '; read name
printf 'Secret: '; read secret
printf '%s %s\\n' "$name" "$secret" > "$(dirname "$0")/answers"
"""


def test_every_host_answers_its_prompts(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    for path in host_dirs.values():
        write(path / "ask.sh", ASK).chmod(0o755)
    dirs = tmp_path / "dirs.json"
    dirs.write_text(json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}))
    book = write(
        tmp_path / "site.yml",
        """
- hosts: fleet
  gather_facts: false
  tasks:
    - expect:
        command: "{{ dirs[inventory_hostname] }}/ask.sh"
        responses:
          "name:": "{{ inventory_hostname }}"
          "Secret:": "s3cr3t-{{ inventory_hostname }}"
""",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", f"@{dirs}")
    assert code == 0, err
    for host, path in host_dirs.items():
        assert (path / "answers").read_text() == f"{host} s3cr3t-{host}\n"
    hosts = doc["plays"][0]["tasks"][0]["hosts"]
    assert {h: r["result"]["stdout"] for h, r in hosts.items()} == {
        h: "Host name: Secret: " for h in host_dirs
    }


def test_behind_sudo_with_a_password(fleet: Fleet, fleet_inventory: Path, tmp_path: Path) -> None:
    book = write(
        tmp_path / "sudo.yml",
        """
- hosts: h02
  gather_facts: false
  tasks:
    - expect:
        command: >-
          sh -c 'printf "Code? "; read c; echo "$(id -un) got $c"'
        responses: {"Code[?]": "4242"}
      become: true
      become_user: nobody
      register: talk
""",
    )
    code, doc, err = pbe_json(
        fleet, book, fleet_inventory, "-e", f"ansible_become_password={fleet.password}", "-vv"
    )
    assert code == 0, err
    result = doc["plays"][0]["tasks"][0]["hosts"]["h02"]["result"]
    assert result["stdout"] == "Code? nobody got 4242"
    assert fleet.password not in json.dumps(doc) + err
