"""``~`` in host paths is the home of the user the task runs as, as Ansible's modules
expand it on the host; controller paths are left alone; the host is asked once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.transport.base import CommandResult
from playbook_engine.transport.local import LocalConnection

INVENTORY = {"all": {"hosts": {"here": {"ansible_connection": "local"}}}}


def test_a_leading_tilde_is_the_hosts_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    sent: list[str] = []
    real_run = LocalConnection.run

    def counting_run(self: LocalConnection, command: str, **kw: Any) -> CommandResult:
        sent.append(command)
        return real_run(self, command, **kw)

    monkeypatch.setattr(LocalConnection, "run", counting_run)
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "src.txt").write_text("from the controller\n")
    book = tmp_path / "site.yml"
    book.write_text(
        """
- hosts: all
  gather_facts: false
  tasks:
    - file: {path: ~/d, state: directory, mode: "0750"}
    - copy: {src: src.txt, dest: ~/d/copied}
    - lineinfile: {path: "~/d/conf", line: "a=1", create: true}
    - stat: {path: ~/d/copied}
      register: st
    - file: {path: ~nosuchuser4711/x, state: absent}
      register: other
"""
    )
    result = pbe.run(book, INVENTORY)
    assert result.stats["here"]["failed"] == 0, [r.result for r in result.results]
    assert (home / "d" / "copied").read_text() == "from the controller\n"
    assert (home / "d" / "conf").read_text() == "a=1\n"
    assert (home / "d").stat().st_mode & 0o777 == 0o750
    stat = next(r.result for r in result.results if r.action == "stat")
    assert stat["stat"]["exists"] and stat["stat"]["path"] == f"{home}/d/copied"
    other = next(r.result for r in result.results if r.result.get("path", "").endswith("/x"))
    assert other["path"] == "~nosuchuser4711/x"  # an unknown user: left as written
    homes_asked = [c for c in sent if "printf 'h0|" in c]
    assert len(homes_asked) == 2, homes_asked  # "" once, the unknown name once
    assert not (Path(os.getcwd()) / "~").exists()
