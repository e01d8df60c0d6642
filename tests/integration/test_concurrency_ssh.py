"""Many workers on one SSH connection: hosts delegating copy and fetch to one fleet host at
once (issue 8, item 6e). paramiko's SFTPClient is not thread-safe (shared, concurrent
fetches deadlocked in it); the connection serialises its transfers while commands run on
their own channels. pbe runs in a child process, so a deadlock fails the test instead of
hanging the suite."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import playbook_engine
from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

WORKERS = 24


def pbe_child(fleet: Fleet, book: Path, inventory: Path, *extra: str) -> tuple[int, Any, str]:
    """``pbe run --format json`` in a child process, killed after 120 s."""
    argv = [
        sys.executable,
        "-m",
        "playbook_engine",
        "run",
        str(book),
        "-i",
        str(inventory),
        "--known-hosts",
        str(fleet.known_hosts),
        "--ssh-config",
        os.devnull,
        "--format",
        "json",
        *extra,
    ]
    here = str(Path(playbook_engine.__file__).resolve().parents[1])  # this checkout's pbe
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p),
    }
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        pytest.fail("pbe hung: workers sharing one connection deadlocked")
    return done.returncode, json.loads(done.stdout) if done.stdout else None, done.stderr


def test_many_hosts_delegate_copy_and_fetch_to_one_host(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    inventory = yaml.safe_load(fleet_inventory.read_text())
    inventory["all"]["children"]["workers"] = {
        "hosts": {f"w{i:02}": None for i in range(WORKERS)},
        "vars": {"ansible_connection": "local"},
    }
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory))
    remote, fetched = host_dirs["h01"], tmp_path / "fetched"
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: workers
  gather_facts: false
  tasks:
    - name: copy to h01
      copy:
        dest: "{remote}/{{{{ inventory_hostname }}}}.txt"
        content: "{{{{ inventory_hostname }}}} {{{{ 'x' * size | int }}}}"
      vars:
        size: "{{{{ 30000 + 997 * play_hosts.index(inventory_hostname) }}}}"
      delegate_to: h01
    - name: fetch from h01
      fetch:
        src: "{remote}/{{{{ inventory_hostname }}}}.txt"
        dest: "{fetched}/{{{{ inventory_hostname }}}}.txt"
        flat: true
      delegate_to: h01
    - name: copy as root on h01
      copy:
        dest: "{remote}/{{{{ inventory_hostname }}}}.root"
        content: "{{{{ inventory_hostname }}}}"
      become: true
      delegate_to: h01
""")
    code, doc, err = pbe_child(fleet, book, inv, "--forks", str(WORKERS))
    failures = {
        h: r["result"].get("msg")
        for p in doc["plays"]
        for t in p["tasks"]
        for h, r in t["hosts"].items()
        if r["status"] != "changed"
    }
    assert code == 0 and failures == {}, err
    for i in range(WORKERS):
        host = f"w{i:02}"
        expected = f"{host} {'x' * (30000 + 997 * i)}".encode()
        assert (remote / f"{host}.txt").read_bytes() == expected, host
        assert (
            hashlib.sha1((fetched / f"{host}.txt").read_bytes()).hexdigest()
            == hashlib.sha1(expected).hexdigest()
        ), host
        root_copy = remote / f"{host}.root"
        assert root_copy.read_text() == host and root_copy.stat().st_uid == 0
    assert {h: s["changed"] for h, s in doc["stats"].items()} == {
        f"w{i:02}": 3 for i in range(WORKERS)
    }
