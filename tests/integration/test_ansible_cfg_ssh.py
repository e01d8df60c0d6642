"""A project whose ansible.cfg says how to reach its hosts runs with a bare `pbe run
site.yml`, over SSH to the real sshd fleet: the inventory, the login user, the key (a
path relative to the file), host key checking and become all come from the file."""

from __future__ import annotations

import io
import pwd
import shutil
from pathlib import Path

import pytest
import yaml

from playbook_engine.cli import main
from playbook_engine.testing.fleet import TEST_USER, Fleet

pytestmark = pytest.mark.fleet


def test_bare_run_reaches_the_hosts_as_the_file_says(
    fleet: Fleet,
    host_dirs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "project"
    (project / "keys").mkdir(parents=True)
    project.chmod(0o755)
    shutil.copy(fleet.private_key, project / "keys" / "deploy")
    (project / "keys" / "deploy").chmod(0o600)
    hosts = {
        h.name: {"ansible_host": h.address, "ansible_port": h.port, "dir": str(host_dirs[h.name])}
        for h in fleet.hosts[:2]
    }
    (project / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    (project / "ansible.cfg").write_text(
        "[defaults]\ninventory = hosts.yml\nremote_user = " + TEST_USER + "\n"
        "private_key_file = keys/deploy\nhost_key_checking = False\n"
        "[privilege_escalation]\nbecome = True\n"
    )
    (project / "site.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - copy: {content: \"as root\\n\", dest: '{{ dir }}/root.txt'}\n"
        "    - copy: {content: \"as me\\n\", dest: '{{ dir }}/mine.txt'}\n"
        "      become: false\n"
    )
    monkeypatch.delenv("ANSIBLE_CONFIG")
    monkeypatch.delenv("ANSIBLE_INVENTORY")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ssh/config or known_hosts of ours
    monkeypatch.chdir(project)
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", "site.yml"], out, err)
    assert code == 0, out.getvalue() + err.getvalue()
    for name in hosts:
        root_file, my_file = host_dirs[name] / "root.txt", host_dirs[name] / "mine.txt"
        assert root_file.read_text() == "as root\n" and my_file.read_text() == "as me\n"
        assert root_file.stat().st_uid == 0
        assert my_file.stat().st_uid == pwd.getpwnam(TEST_USER).pw_uid
    assert "changed=2" in out.getvalue().split("PLAY RECAP")[1]
