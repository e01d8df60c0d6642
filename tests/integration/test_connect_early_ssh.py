"""Connecting early, against real sshd: a play opens its hosts' connections at its start,
``forks`` at a time, and a task gets that very connection (one login per host)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def _logins(fleet: Fleet, host: str) -> int:
    return fleet.host(host).log_path.read_text().count("Accepted publickey for pbetest")


HOSTS = ["h01", "h02", "h04"]


def _run(fleet: Fleet, inventory: Path, book: Path, text: str) -> dict[str, int]:
    """Run ``text`` with forks=1; the logins each host saw meanwhile."""
    before = {h: _logins(fleet, h) for h in HOSTS}
    book.write_text(text)
    result = pbe.run(
        book, str(inventory), forks=1, known_hosts=[str(fleet.known_hosts)], ssh_config=os.devnull
    )
    assert result.exit_code == 0, result
    return {h: _logins(fleet, h) - before[h] for h in HOSTS}


def test_a_play_connects_to_its_hosts_at_its_start(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    """While h01 runs the only task, h02 and h04 get their logins too (h01 waits for them,
    up to its timeout: without connecting early, they would never come)."""
    wait = " ".join(
        f'until [ "$(grep -c "Accepted publickey" {fleet.host(h).log_path})" -gt '
        f"{_logins(fleet, h)} ]; do sleep 0.1; done;"
        for h in ("h02", "h04")
    )
    logins = _run(
        fleet,
        fleet_inventory,
        tmp_path / "site.yml",
        f"""
- hosts: h01,h02,h04
  gather_facts: false
  tasks:
    - shell: '{wait}'
      when: inventory_hostname == 'h01'
      timeout: 30
""",
    )
    assert logins == dict.fromkeys(HOSTS, 1)


def test_a_task_gets_the_early_connection_not_a_second_one(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    logins = _run(
        fleet,
        fleet_inventory,
        tmp_path / "site.yml",
        """
- hosts: h01,h02,h04
  gather_facts: false
  tasks:
    - debug: {msg: "no host touched yet"}
    - command: echo one
    - command: echo two
""",
    )
    assert logins == dict.fromkeys(HOSTS, 1)
