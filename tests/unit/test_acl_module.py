"""acl against this machine's real setfacl/getfacl on a temp dir (installed by
.ci/install-pkg-tools when missing; skipped where that is impossible, failed under CI):
check mode predicts the run, the second run changes nothing, and getfacl shows the
entries the tasks asked for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pkgrepos import need

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@pytest.fixture(autouse=True)
def _acl_tools() -> None:
    need("setfacl", "getfacl")


def getfacl(path: Path, *opts: str) -> list[str]:
    out = subprocess.run(
        ["getfacl", "--omit-header", *opts, str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [line for line in out.splitlines() if line]


def book(tmp: Path, tasks: str) -> Path:
    path = tmp / "site.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def test_entries_and_default_acl_are_set_then_removed(tmp_path: Path) -> None:
    target, home = tmp_path / "f", tmp_path / "home"
    target.write_text("x")
    target.chmod(0o644)
    home.mkdir()
    tasks = f"""\
    - ansible.posix.acl: {{path: {target}, entity: nobody, etype: user, permissions: rw,
                          state: present}}
      register: granted
    - acl: {{path: {home}, default: true, etype: group, permissions: rx, state: present}}
    - acl: {{path: {home}, default: true, etype: other, permissions: 0, state: present}}
    - acl: {{path: {home}, entry: "default:user:nobody:r-x", state: present}}
"""
    before = getfacl(target)
    real = check_predicts_run(
        book(tmp_path, tasks), LOCAL, unchanged=lambda: _same(getfacl(target), before)
    )
    assert [r.status for r in real.results] == ["changed"] * 4
    assert real.results[0].result["msg"] == "user:nobody:rw is present"
    assert "user:nobody:rw-" in real.results[0].result["acl"]
    assert "user:nobody:rw-" in getfacl(target)
    assert {"default:group::r-x", "default:other::---", "default:user:nobody:r-x"} <= set(
        getfacl(home)
    )
    tasks = f"    - acl: {{path: {target}, entity: nobody, etype: user, state: absent}}\n"
    gone = check_predicts_run(book(tmp_path, tasks), LOCAL)
    assert gone.results[0].result["msg"] == "user:nobody is absent"
    assert not any("nobody" in line for line in getfacl(target))


def test_query_and_bad_arguments(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    tasks = f"""\
    - acl: {{path: {tmp_path / "f"}}}
    - acl: {{path: {tmp_path / "nosuch"}}}
      ignore_errors: true
    - acl: {{path: {tmp_path / "f"}, etype: user, state: absent}}
      ignore_errors: true
    - acl: {{path: {tmp_path / "f"}, default: true, etype: group, permissions: r,
             state: present}}
      ignore_errors: true
"""
    real = run(book(tmp_path, tasks), LOCAL)
    query, missing, absent, default = (r.result for r in real.results)
    assert query["msg"] == "current acl" and query["acl"][0].startswith("user::")
    assert missing["msg"] == "Path not found or not accessible."
    assert absent["msg"] == "'entity' MUST be set when 'state=absent'."
    assert default["msg"].endswith("Only directories can have default ACLs")


def _same(now: list[str], before: list[str]) -> None:
    assert now == before
