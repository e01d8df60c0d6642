"""dpkg_selections and package_facts against this machine's dpkg, with a throw-away package
built and installed by the test (``aptrepo.py``) and purged afterwards. Changes are checked
with ``check_predicts_run`` and by asking dpkg itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aptrepo import LOCAL, AptRepo

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(
    not shutil.which("dpkg") or os.geteuid() != 0, reason="needs dpkg and root"
)


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[AptRepo]:
    """The repository's main package 1.0, installed with dpkg."""
    repo = AptRepo(tmp_path / "apt")
    (repo.root / "repo").mkdir(parents=True)
    deb = repo.package(repo.main, "1.0")
    try:
        subprocess.run(["dpkg", "-i", str(deb)], check=True, capture_output=True)
        yield repo
    finally:
        repo.purge()


def selection(name: str) -> str:
    out = subprocess.run(["dpkg", "--get-selections", name], capture_output=True, text=True)
    words = out.stdout.split()
    return words[1] if len(words) > 1 else "not present"


def book(path: Path, task: str) -> Path:
    path.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n    - {task}\n      register: out\n"
    )
    return path


def registered(result: Any, index: int = 0) -> dict[str, Any]:
    return dict(result.results[index].result)


def test_hold_and_release(tmp_path: Path, installed: AptRepo) -> None:
    name = installed.main
    hold = book(tmp_path / "hold.yml", f"dpkg_selections: {{name: {name}, selection: hold}}\n")
    real = check_predicts_run(hold, LOCAL, unchanged=lambda: _selected(name, "install"))
    assert selection(name) == "hold"
    assert (registered(real)["before"], registered(real)["after"]) == ("install", "hold")

    release = book(
        tmp_path / "install.yml", f"dpkg_selections: {{name: {name}, selection: install}}\n"
    )
    check_predicts_run(release, LOCAL, unchanged=lambda: _selected(name, "hold"))
    assert selection(name) == "install"


def _selected(name: str, value: str) -> None:
    assert selection(name) == value, "check mode changed the selection"


def test_unknown_package_fails_clearly(tmp_path: Path) -> None:
    play = book(
        tmp_path / "x.yml", "dpkg_selections: {name: pbe-no-such-pkg-x1, selection: hold}\n"
    )
    for check in (True, False):
        out = registered(run(play, LOCAL, check=check))
        assert out["failed"] is True
        assert out["msg"] == (
            "Failed to find package 'pbe-no-such-pkg-x1' to perform selection 'hold'."
        )


def test_package_facts_lists_the_installed_package(tmp_path: Path, installed: AptRepo) -> None:
    play = tmp_path / "facts.yml"
    play.write_text(f"""- hosts: all
  gather_facts: false
  tasks:
    - package_facts: {{manager: [auto]}}
    - set_fact:
        mine: "{{{{ ansible_facts.packages['{installed.main}'] }}}}"
        count: "{{{{ ansible_facts.packages | length }}}}"
""")
    result = run(play, LOCAL)
    assert result.exit_code == 0, result.error
    facts = registered(result, 1)["ansible_facts"]
    assert facts["mine"] == [
        {
            "name": installed.main,
            "version": "1.0",
            "arch": "all",
            "category": "",
            "origin": "",
            "source": "apt",
        }
    ]
    listing = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Package}\\n"], capture_output=True, text=True
    ).stdout.splitlines()
    dpkg = {line.split()[-1] for line in listing if line[1] not in "nc"}
    assert int(facts["count"]) == len(dpkg), "every package with files, config-only ones not"


def test_package_facts_unsupported_manager(tmp_path: Path) -> None:
    play = book(tmp_path / "f.yml", "package_facts: {manager: [pacman, apt]}\n")
    out = registered(run(play, LOCAL))
    assert out["failed"] is True
    assert out["msg"].startswith("Unsupported package managers requested: pacman")
