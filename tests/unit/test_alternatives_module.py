"""alternatives against this machine's real update-alternatives, in a private root
(DPKG_ROOT, set through the play's environment) so the host's own groups are untouched:
check mode predicts the run, the second run changes nothing, and the links and the
group's state are what the tasks asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
pytestmark = pytest.mark.skipif(
    shutil.which("update-alternatives") is None, reason="needs update-alternatives"
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for sub in ("etc/alternatives", "var/lib/dpkg/alternatives", "usr/bin", "opt", "var/log"):
        (root / sub).mkdir(parents=True)
    for name in ("a", "b", "a-tool"):
        (root / "opt" / name).write_text("#!/bin/sh\n")
    return root


def book(tmp: Path, root: Path, tasks: str) -> Path:
    path = tmp / "site.yml"
    path.write_text(
        f"- hosts: all\n  gather_facts: false\n"
        f"  environment: {{DPKG_ROOT: '{root}'}}\n  tasks:\n{tasks}"
    )
    return path


def display(root: Path) -> str:
    return subprocess.run(
        ["update-alternatives", "--display", "pbe-tx"],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "DPKG_ROOT": str(root)},
    ).stdout


def test_install_select_and_remove(tmp_path: Path, root: Path) -> None:
    tasks = """\
    - community.general.alternatives:
        name: pbe-tx
        link: /usr/bin/pbe-tx
        path: /opt/a
        priority: -10
        subcommands: [{name: pbe-tx-tool, link: /usr/bin/pbe-tx-tool, path: /opt/a-tool}]
      register: first
    - alternatives: {name: pbe-tx, path: /opt/b, link: /usr/bin/pbe-tx, state: present,
                     priority: 20}
"""
    path = book(tmp_path, root, tasks)
    real = check_predicts_run(path, LOCAL, unchanged=lambda: _assert_absent(root), diff=True)
    assert [r.status for r in real.results] == ["changed", "changed"], real.results[1].result
    assert real.results[0].result["msg"] == (
        "Install alternative '/opt/a' for 'pbe-tx'. Set alternative '/opt/a' for 'pbe-tx'."
    )
    assert os.readlink(root / "etc/alternatives/pbe-tx") == "/opt/a"
    assert os.readlink(root / "etc/alternatives/pbe-tx-tool") == "/opt/a-tool"
    shown = display(root)
    assert "manual mode" in shown and "/opt/b - priority 20" in shown
    book(tmp_path, root, "    - alternatives: {name: pbe-tx, path: /opt/b, state: auto}\n")
    auto = check_predicts_run(path, LOCAL)
    assert [r.result["msg"] for r in auto.results] == ["Set alternative to auto for 'pbe-tx'."]
    assert os.readlink(root / "etc/alternatives/pbe-tx") == "/opt/b"
    book(tmp_path, root, "    - alternatives: {name: pbe-tx, path: /opt/b, state: absent}\n")
    check_predicts_run(path, LOCAL)
    assert "/opt/b" not in display(root) and "/opt/a - priority -10" in display(root)


def test_missing_path_and_link_fail_with_ansibles_words(tmp_path: Path, root: Path) -> None:
    tasks = (
        "    - alternatives: {name: pbe-tx, path: /opt/nosuch, link: /usr/bin/pbe-tx}\n"
        "      ignore_errors: true\n"
        "    - alternatives: {name: pbe-tx, path: /opt/a}\n"
    )
    real = run(book(tmp_path, root, tasks), LOCAL)
    assert [r.result["msg"] for r in real.results] == [
        "Specified path /opt/nosuch does not exist",
        "Needed to install the alternative, but unable to do so as we are missing the link",
    ]
    _assert_absent(root)


def _assert_absent(root: Path) -> None:
    assert not (root / "etc/alternatives/pbe-tx").exists()
    assert display(root) == ""
