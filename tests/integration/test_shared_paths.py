"""Against the sshd fleet, whose hosts all share this machine's filesystem: many hosts
changing one shared tree at once (and delegating to localhost), and check-mode parity for
commands with ``creates``/``removes``, writes into directories an earlier task would create,
and values computed from predicted state."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from parity import assert_check_predicts_run, own, pbe_json, snapshot, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

ALIASES = 4  # inventory hosts per sshd daemon: 20 hosts on 5 daemons, one filesystem

RACE = """
- hosts: all
  gather_facts: false
  tasks:
    - name: nested directory
      file: {path: "{{ root }}/a/b/c", state: directory, mode: "0750"}
    - name: symlink
      file: {path: "{{ root }}/link", state: link, src: a/b}
    - name: file
      copy: {dest: "{{ root }}/a/b/c/f.txt", content: "same\\n", mode: "0640"}
    - name: hard link
      file: {path: "{{ root }}/hard", state: hard, src: "{{ root }}/a/b/c/f.txt"}
    - name: into a new directory
      template: {src: t.j2, dest: "{{ root }}/x/y/"}
    - name: edit
      lineinfile: {path: "{{ root }}/l/m/conf", line: "key=1", create: true}
    - name: on the controller
      file: {path: "{{ local }}/d/e", state: directory}
      delegate_to: localhost
    - name: remove
      file: {path: "{{ root }}/x", state: absent}
"""


def alias_inventory(fleet: Fleet, path: Path) -> Path:
    """Several inventory hosts per daemon, so more hosts than daemons race."""
    hosts = {
        f"{h.name}-{i}": {
            "ansible_host": h.address,
            "ansible_port": h.port,
            "ansible_user": fleet.user,
            "ansible_ssh_private_key_file": str(fleet.private_key),
        }
        for h in fleet.hosts
        for i in range(ALIASES)
    }
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    return path


def counts(doc: dict[str, Any]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for task in doc["plays"][0]["tasks"]:
        for host, res in task["hosts"].items():
            assert res["status"] in ("ok", "changed"), (task["name"], host, res["result"])
            out.setdefault(task["name"], Counter())[res["status"]] += 1
    return out


@pytest.fixture
def race_book(tmp_path: Path) -> Path:
    write(tmp_path / "templates" / "t.j2", "shared\n")
    return write(tmp_path / "race.yml", RACE)


@pytest.mark.parametrize("round_", range(3))
def test_many_fleet_hosts_change_one_shared_tree_at_once(
    fleet: Fleet, host_dirs: dict[str, Path], race_book: Path, tmp_path: Path, round_: int
) -> None:
    root, local = host_dirs["h01"] / "shared", tmp_path / "local"
    inventory = alias_inventory(fleet, tmp_path / "aliases.yml")
    hosts = len(fleet.hosts) * ALIASES
    extra = ["-e", f"root={root}", "-e", f"local={local}", "--forks", str(hosts)]
    code, check, err = pbe_json(fleet, race_book, inventory, "--check", *extra)
    assert code == 0, err
    assert counts(check)["nested directory"] == {"changed": hosts}  # each sees it missing
    assert not root.exists() and not local.exists()
    code, doc, err = pbe_json(fleet, race_book, inventory, *extra)
    assert code == 0, failures(doc) or err
    got = counts(doc)
    assert all(sum(c.values()) == hosts for c in got.values())
    assert 1 <= got["nested directory"]["changed"] <= 3  # one host makes each directory
    assert 1 <= got["on the controller"]["changed"] <= 2
    assert got["symlink"]["changed"] == got["hard link"]["changed"] == 1
    assert got["file"]["changed"] >= 1 and got["remove"]["changed"] >= 1
    assert [(root / rel).stat().st_mode & 0o777 for rel in ("a", "a/b", "a/b/c")] == [0o750] * 3
    assert os.readlink(root / "link") == "a/b"
    assert (root / "hard").stat().st_ino == (root / "a/b/c/f.txt").stat().st_ino
    assert (root / "l/m/conf").read_text() == "key=1\n" and (local / "d/e").is_dir()
    assert not (root / "x").exists()
    assert [p.name for p in root.rglob("*") if ".pbe-" in p.name] == []


def failures(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(task, host, message) of every failed result: what a failing assertion should show."""
    return [
        (task["name"], host, str(res["result"].get("msg")))
        for play in doc["plays"]
        for task in play["tasks"]
        for host, res in task["hosts"].items()
        if res["status"] == "failed"
    ]


# -- check-mode predictions -------------------------------------------------------------------


@pytest.fixture
def dirs_var(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    return "@" + str(
        write(
            tmp_path / "dirs.json", json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}})
        )
    )


PREDICTED = """
- hosts: fleet
  gather_facts: false
  vars:
    d: "{{ dirs[inventory_hostname] }}"
  tasks:
    - name: a command makes a directory
      command: mkdir -p {{ d }}/made
      args: {creates: "{{ d }}/made"}
    - name: template into it
      template: {src: t.j2, dest: "{{ d }}/made/app.conf", mode: "0640"}
    - name: the same command again
      command: mkdir -p {{ d }}/made
      args: {creates: "{{ d }}/made"}
    - name: file makes a directory
      file: {path: "{{ d }}/tree/sub", state: directory}
    - name: copy into that
      copy: {content: "x\\n", dest: "{{ d }}/tree/sub/x.txt"}
    - name: a command removes something
      shell: rm -- {{ d }}/old
      args: {removes: "{{ d }}/old"}
    - name: look at the copy
      stat: {path: "{{ d }}/tree/sub/x.txt"}
      register: st
    - name: checked tasks read the prediction
      debug: {msg: "{{ st.stat.size }}"}
"""


def test_check_mode_predicts_commands_and_writes_into_new_directories(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "templates" / "t.j2", "host {{ inventory_hostname }}\n")
    for path in host_dirs.values():
        own(write(path / "old", "x"))
    book = write(tmp_path / "site.yml", PREDICTED)
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    statuses = {
        t["name"]: set(r["status"] for r in t["hosts"].values()) for t in doc["plays"][0]["tasks"]
    }
    assert statuses == {
        "a command makes a directory": {"changed"},
        "template into it": {"changed"},
        "the same command again": {"ok"},
        "file makes a directory": {"changed"},
        "copy into that": {"changed"},
        "a command removes something": {"changed"},
        "look at the copy": {"ok"},
        "checked tasks read the prediction": {"ok"},
    }
    for host, path in host_dirs.items():
        assert (path / "made" / "app.conf").read_text() == f"host {host}\n"
        assert not (path / "old").exists()


def test_a_real_task_reading_a_prediction_is_unpredictable_not_failed(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "site.yml",
        """
- hosts: fleet
  gather_facts: false
  vars:
    d: "{{ dirs[inventory_hostname] }}"
  tasks:
    - copy: {content: "x\\n", dest: "{{ d }}/conf"}
    - stat: {path: "{{ d }}/conf"}
      register: st
    - name: acts on the real host
      command: cat {{ d }}/conf
      when: st.stat.exists
      check_mode: false
""",
    )
    before = snapshot(host_dirs.values())
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "--check", "-e", dirs_var)
    assert code == 0, err
    assert snapshot(host_dirs.values()) == before
    task = doc["plays"][0]["tasks"][2]["hosts"]
    assert {r["status"] for r in task.values()} == {"unpredictable"}
    assert "`st`, computed from what check mode predicts" in task["h01"]["result"]["msg"]
    assert all(s["failed"] == 0 for s in doc["stats"].values())
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    assert {r["status"] for r in doc["plays"][0]["tasks"][2]["hosts"].values()} == {"changed"}
