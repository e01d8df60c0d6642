"""The playbook language on the real sshd fleet: roles, includes, handlers, loops, blocks,
serial, run_once, delegate_to, become and facts — per-task results and remote state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from parity import pbe_json

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def statuses(doc: dict[str, Any], task: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for play in doc["plays"]:
        for t in play["tasks"]:
            if t["name"] == task:
                out.update({h: r["status"] for h, r in t["hosts"].items()})
    return out


@pytest.fixture
def dirs_file(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    path = tmp_path / "dirs.json"
    path.write_text(json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}))
    return f"@{path}"


def test_roles_includes_handlers_loops_blocks(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_file: str, tmp_path: Path
) -> None:
    write(
        tmp_path,
        {
            "roles/web/defaults/main.yml": "port: 80\n",
            "roles/web/tasks/main.yml": (
                "- name: write config\n"
                "  copy:\n    dest: '{{ dirs[inventory_hostname] }}/web.conf'\n"
                '    content: "port={{ port }}\\n"\n'
                "  notify: reload web\n"
            ),
            "roles/web/handlers/main.yml": (
                "- name: reload web\n"
                "  shell: echo reloaded >> {{ dirs[inventory_hostname] }}/reloads\n"
            ),
            "tasks/users.yml": (
                "- name: add user line\n"
                "  lineinfile:\n    path: '{{ dirs[inventory_hostname] }}/users'\n"
                "    line: '{{ item }}'\n    create: true\n"
            ),
            "site.yml": """
- hosts: fleet
  gather_facts: true
  vars: {port: 8080}
  roles: [web]
  tasks:
    - name: users from an include with a loop
      include_tasks: tasks/users.yml
      loop: [alice, bob]
    - name: a block that fails on h02 and is rescued
      block:
        - name: fails on h02
          command: "{{ 'false' if inventory_hostname == 'h02' else 'true' }}"
      rescue:
        - name: rescue
          file: {path: "{{ dirs[inventory_hostname] }}/rescued", state: touch}
    - name: facts came from the host
      assert:
        that:
          - ansible_facts.user_id == 'pbetest'
          - ansible_system == 'Linux'
""",
        },
    )
    code, doc, err = pbe_json(fleet, tmp_path / "site.yml", fleet_inventory, "-e", dirs_file)
    assert code == 0, err
    for host, path in host_dirs.items():
        assert (path / "web.conf").read_text() == "port=8080\n"  # play vars beat role defaults
        assert (path / "reloads").read_text() == "reloaded\n"  # handler ran exactly once
        assert (path / "users").read_text() == "alice\nbob\n"
        assert (path / "rescued").exists() == (host == "h02")
    assert statuses(doc, "fails on h02")["h02"] == "failed"
    assert doc["stats"]["h02"]["rescued"] == 1 and doc["stats"]["h02"]["failed"] == 0
    assert set(statuses(doc, "web : reload web").values()) == {"changed"}
    code, again, _ = pbe_json(fleet, tmp_path / "site.yml", fleet_inventory, "-e", dirs_file)
    assert statuses(again, "web : write config") == {f"h0{i}": "ok" for i in range(1, 6)}
    assert statuses(again, "web : reload web") == {}  # nothing changed: the handler stays quiet


def test_serial_run_once_delegate_and_become(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_file: str, tmp_path: Path
) -> None:
    marker = tmp_path / "controller"
    marker.mkdir()
    write(
        tmp_path,
        {
            "site.yml": f"""
- hosts: fleet
  gather_facts: false
  serial: 2
  tasks:
    - name: once per batch
      command: date +%s%N
      run_once: true
      register: stamp
    - name: record the batch stamp
      copy:
        dest: "{{{{ dirs[inventory_hostname] }}}}/stamp"
        content: "{{{{ stamp.stdout }}}}"
    - name: on the controller, for each host
      command: touch {marker}/{{{{ inventory_hostname }}}}
      delegate_to: localhost
    - name: root writes a file
      copy:
        dest: "{{{{ dirs[inventory_hostname] }}}}/by-root"
        content: root
        owner: root
        mode: "0600"
      become: true
"""
        },
    )
    code, doc, err = pbe_json(fleet, tmp_path / "site.yml", fleet_inventory, "-e", dirs_file)
    assert code == 0, err
    stamps = {h: (p / "stamp").read_text() for h, p in host_dirs.items()}
    assert stamps["h01"] == stamps["h02"] and stamps["h03"] == stamps["h04"]  # batches of 2
    assert stamps["h02"] != stamps["h03"]
    assert len(statuses(doc, "once per batch")) == 3  # one host per batch ran it
    assert sorted(p.name for p in marker.iterdir()) == [f"h0{i}" for i in range(1, 6)]
    for path in host_dirs.values():
        st = (path / "by-root").stat()
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
