"""A project's Ansible modules (library/) over real SSH: the Python one arrives on stdin and
runs under the host's Python, as the login user and with become; a script module is
staged and removed. Check mode is the module's own answer, verified against the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from parity import assert_check_predicts_run, pbe_json, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

MODULE = """#!/usr/bin/python
import os
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type='path', required=True), line=dict(required=True)),
        supports_check_mode=True,
    )
    path, line = module.params['path'], module.params['line']
    lines = open(path).read().splitlines() if os.path.exists(path) else []
    if line in lines:
        module.exit_json(changed=False, user=os.getuid())
    if not module.check_mode:
        with open(path, 'a') as handle:
            handle.write(line + '\\n')
    module.exit_json(changed=True, user=os.getuid())


main()
"""


def results(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    return {t["name"]: t["hosts"] for p in doc["plays"] for t in p["tasks"]}


def test_a_python_library_module_over_ssh_predicts_its_run(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    write(tmp_path / "library" / "lineadd.py", MODULE)
    for path in host_dirs.values():
        write(path / "seed", "x\n")
    dirs = tmp_path / "dirs.json"
    dirs.write_text(json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}))
    book = write(
        tmp_path / "site.yml",
        """
- hosts: h01,h02
  gather_facts: false
  tasks:
    - name: add
      lineadd: {path: "{{ dirs[inventory_hostname] }}/list", line: one}
    - name: add again
      lineadd: {path: "{{ dirs[inventory_hostname] }}/list", line: two}
    - name: as root
      lineadd: {path: "{{ dirs[inventory_hostname] }}/seed", line: x}
      become: true
""",
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", f"@{dirs}"
    )
    for host in ("h01", "h02"):
        assert (host_dirs[host] / "list").read_text() == "one\ntwo\n"
        assert results(doc)["add"][host]["status"] == "changed"
        assert results(doc)["as root"][host]["result"]["user"] == 0
    login_uid = results(doc)["add"]["h01"]["result"]["user"]
    assert login_uid == (host_dirs["h01"] / "list").stat().st_uid != 0


def test_a_script_library_module_over_ssh_leaves_nothing_behind(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    write(
        tmp_path / "library" / "where",
        '#!/bin/sh\nprintf \'{"changed": false, "dir": "%s", "args": "%s"}\' '
        '"$(dirname "$0")" "$(cat "$1")"\n',
    )
    book = write(
        tmp_path / "site.yml",
        "- hosts: h01\n  gather_facts: false\n  tasks:\n    - name: w\n      where: {a: b}\n",
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 0, err
    out = results(doc)["w"]["h01"]["result"]
    assert out["args"] == "a=b _ansible_check_mode=False _ansible_diff=False"
    assert "pbe-module." in out["dir"] and not Path(out["dir"]).exists()
