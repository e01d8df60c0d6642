"""group against this machine (tests run as root): check mode predicts the run, the
second run changes nothing, and the group really has the gid asked for."""

from __future__ import annotations

import grp
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@pytest.fixture
def name() -> Iterator[str]:
    group = f"pbe-t{uuid.uuid4().hex[:10]}"
    yield group
    subprocess.run(["groupdel", group], capture_output=True, check=False)


def free_gid() -> int:
    used = {g.gr_gid for g in grp.getgrall()}
    return next(gid for gid in range(42000, 43000) if gid not in used)


def test_group_is_added_changed_and_removed(tmp_path: Path, name: str) -> None:
    assert os.geteuid() == 0, "the suite runs as root (CI does)"
    gid = free_gid()
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - group: {{name: {name}, system: true}}
    - group: {{name: {name}, gid: {gid}}}
      register: moved
""")

    def absent() -> None:
        with pytest.raises(KeyError):
            grp.getgrnam(name)

    real = check_predicts_run(book, LOCAL, unchanged=absent)
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert grp.getgrnam(name).gr_gid == gid
    assert real.results[1].result["gid"] == gid
    book.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - group: {{name: {name}, state: absent}}\n"
    )
    check_predicts_run(book, LOCAL, unchanged=lambda: grp.getgrnam(name))
    with pytest.raises(KeyError):
        grp.getgrnam(name)


@pytest.fixture
def account() -> Iterator[str]:
    user = f"pbe-u{uuid.uuid4().hex[:10]}"
    yield user
    subprocess.run(["userdel", "-r", user], capture_output=True, check=False)
    subprocess.run(["groupdel", user], capture_output=True, check=False)


def test_check_mode_knows_the_accounts_earlier_tasks_add(
    tmp_path: Path, name: str, account: str
) -> None:
    """A check run remembers the group and user it would add: `user: group=` that group,
    and `file: owner/group=` them, plan as the real run does (they were predicted to fail
    with 'Group ... does not exist' and 'failed to look up user')."""
    gid = free_gid()
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - group: {{name: {name}, gid: {gid}}}
    - user: {{name: {account}, group: {name}, create_home: false, shell: /bin/sh}}
    - file: {{path: {tmp_path}/d, state: directory, owner: {account}, group: {name}}}
""")
    check_predicts_run(book, LOCAL)
    made = tmp_path / "d"
    assert made.stat().st_gid == gid and made.owner() == account
    assert grp.getgrgid(gid).gr_name == name


def test_gid_min_and_max_bound_the_gid_groupadd_picks(tmp_path: Path, name: str) -> None:
    low = free_gid()
    book = tmp_path / "site.yml"
    book.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - group: {{name: {name}, gid_min: {low}, gid_max: {low + 5}}}\n"
        f"      register: made\n"
    )
    real = check_predicts_run(book, LOCAL)
    assert low <= grp.getgrnam(name).gr_gid <= low + 5
    assert real.results[0].result["gid"] == grp.getgrnam(name).gr_gid


def test_gid_min_is_refused_with_local(tmp_path: Path, name: str) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - group: {{name: {name}, local: true, gid_max: 43000}}\n"
        f"      ignore_errors: true\n"
    )
    result = run(book, LOCAL).results[0].result
    assert result["failed"] and result["msg"] == "'gid_max' can not be used with 'local'"
    with pytest.raises(KeyError):
        grp.getgrnam(name)


def test_non_unique_without_gid_is_refused(tmp_path: Path, name: str) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - group: {{name: {name}, non_unique: true}}\n      ignore_errors: true\n"
    )
    result = run(book, LOCAL).results[0].result
    assert result["failed"]
    assert result["msg"] == "non_unique is True but all of the following are missing: gid"
    with pytest.raises(KeyError):
        grp.getgrnam(name)
