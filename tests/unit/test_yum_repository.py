"""yum_repository for real on this machine, in a private reposdir: the .repo files it writes
are byte for byte what Ansible 2.21's yum_repository wrote for the same tasks (run here
with reposdir pointed at a temporary directory), check mode predicts every run, and the
second run changes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from playbook_engine.api import run, validate
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}

EPEL = (
    "[epel]\nbaseurl = https://download.example/epel/$releasever/$basearch/\n"
    "enabled = 1\nexclude = a b\ngpgcheck = 0\nname = EPEL YUM repo\n\n"
)
OTHER = (
    "[other]\nasync = 1\nbaseurl = http://a/\n\thttp://b/\ncountme = 1\n"
    "gpgkey = http://k1\n\thttp://k2\nincludepkgs = x\nkeepalive = 0\nname = Other\n"
    "priority = 10\n\n"
)


def book(tmp: Path, *tasks: dict[str, Any]) -> Path:
    body = [{"yum_repository": {"reposdir": str(tmp / "repos"), **t}} for t in tasks]
    path = tmp / "site.yml"
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": body}]))
    return path


def epel(**more: Any) -> dict[str, Any]:
    return {
        "name": "epel",
        "description": "EPEL YUM repo",
        "gpgcheck": False,
        "baseurl": "https://download.example/epel/$releasever/$basearch/",
        "enabled": True,
        "exclude": "a,b",
        **more,
    }


def other(**more: Any) -> dict[str, Any]:
    task = {
        "name": "other",
        "file": "epel",
        "description": "Other",
        "baseurl": ["http://a/", "http://b/"],
        "gpgkey": "http://k1,http://k2",
        "priority": 10,
        "countme": True,
        "includepkgs": "x",
        "async": True,
        "keepalive": False,
        **more,
    }
    return {k: v for k, v in task.items() if v is not None}  # None: leave it out


def test_sections_written_as_ansible_writes_them(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    repo = tmp_path / "repos" / "epel.repo"
    first = book(tmp_path, epel(), other(mode="0600"))
    real = check_predicts_run(first, LOCAL, unchanged=lambda: _absent(repo))
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert repo.read_text() == EPEL + OTHER
    assert oct(repo.stat().st_mode & 0o777) == "0o600"
    assert real.results[0].result["repo"] == "epel"
    assert real.results[0].result["state"] == "present"


def test_changed_section_moves_last_unchanged_stays(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    repo = tmp_path / "repos" / "epel.repo"
    repo.write_text(OTHER + EPEL)
    same = book(tmp_path, other())
    real = run(same, LOCAL)
    assert [r.status for r in real.results] == ["ok"]
    assert repo.read_text() == OTHER + EPEL

    changed = book(
        tmp_path,
        other(
            priority=11,
            baseurl="http://a/",
            gpgkey=None,
            includepkgs=None,
            countme=None,
            keepalive=None,
            **{"async": None},
        ),
    )
    real = check_predicts_run(changed, LOCAL, unchanged=lambda: _is(repo, OTHER + EPEL), diff=True)
    assert (
        repo.read_text() == EPEL + "[other]\nbaseurl = http://a/\nname = Other\npriority = 11\n\n"
    )
    diff = real.results[0].result["diff"]
    assert diff["before"] == EPEL + OTHER  # the repositories, sorted
    assert diff["after"] == repo.read_text()


def test_layout_and_comments_alone_are_no_change(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    repo = tmp_path / "repos" / "c.repo"
    hand = "# kept\n[epel]\nname=E\nbaseurl=http://x/\n"
    repo.write_text(hand)
    task = {"name": "epel", "file": "c", "description": "E", "baseurl": "http://x/"}
    assert [r.status for r in run(book(tmp_path, task), LOCAL).results] == ["ok"]
    assert repo.read_text() == hand

    repo.write_text(hand + "FooBar = 1\n")
    check_predicts_run(book(tmp_path, task), LOCAL, unchanged=lambda: None)
    assert repo.read_text() == "[epel]\nbaseurl = http://x/\nname = E\n\n"


def test_absent_removes_section_then_file(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    repo = tmp_path / "repos" / "epel.repo"
    repo.write_text(EPEL + OTHER)
    gone = book(
        tmp_path,
        {"name": "epel", "state": "absent"},
        {"name": "other", "file": "epel", "state": "absent"},
        {"name": "never", "state": "absent"},
    )
    real = check_predicts_run(gone, LOCAL, unchanged=lambda: _is(repo, EPEL + OTHER))
    assert [r.status for r in real.results] == ["changed", "changed", "ok"]
    assert [r.result["state"] for r in real.results] == ["absent"] * 3
    assert not repo.exists()


def test_check_run_follows_earlier_tasks(tmp_path: Path) -> None:
    """A check run plans the second task against the file the first would write."""
    (tmp_path / "repos").mkdir()
    repo = tmp_path / "repos" / "epel.repo"
    twice = book(tmp_path, epel(), epel(), other(), {"name": "epel", "state": "absent"})
    checked = run(twice, LOCAL, check=True)
    _absent(repo)
    real = run(twice, LOCAL)
    assert [r.status for r in checked.results] == ["changed", "ok", "changed", "changed"]
    assert [r.status for r in real.results] == ["changed", "ok", "changed", "changed"]
    assert repo.read_text() == OTHER


def test_refusals(tmp_path: Path) -> None:
    (tmp_path / "repos").mkdir()
    cases = [
        (
            {"name": "x", "baseurl": "http://x"},
            "state is present but all of the following are missing: description",
        ),
        (
            {"name": "x", "description": "d"},
            "state is present but any of the following are missing: baseurl, mirrorlist, metalink",
        ),
        (
            {
                "name": "x",
                "description": "d",
                "mirrorlist": "http://m",
                "reposdir": str(tmp_path / "nope"),
            },
            f"Repo directory '{tmp_path / 'nope'}' does not exist.",
        ),
    ]
    for task, msg in cases:
        real = run(book(tmp_path, task), LOCAL)
        assert [r.status for r in real.results] == ["failed"]
        assert real.results[0].result["msg"] == msg
    assert os.listdir(tmp_path / "repos") == []


def _absent(path: Path) -> None:
    assert not path.exists()


def _is(path: Path, text: str) -> None:
    assert path.read_text() == text


def test_validation_takes_1_and_0_as_booleans(tmp_path: Path) -> None:
    """As Ansible does (geerlingguy.varnish writes `sslverify: 1`); 2 is still refused."""
    task = {"name": "v", "description": "V", "baseurl": "http://v/", "sslverify": 1, "gpgcheck": 0}
    assert [p.message for p in validate(book(tmp_path, task))] == []
    problems = validate(book(tmp_path, {**task, "sslverify": 2}))
    assert [p.message for p in problems] == [
        "yum_repository: `sslverify` must be a boolean (true/false, yes/no), got 2"
    ]
