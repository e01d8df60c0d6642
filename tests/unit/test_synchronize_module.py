"""synchronize: the rsync command line and remote paths (pure), and real runs on the local
connection, where check mode (rsync --dry-run) predicts the run and the second run changes
nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pkgrepos import LOCAL, need

from playbook_engine.api import run
from playbook_engine.modules.synchronize import Plan, Synchronize, _remote, rsync_command
from playbook_engine.testing.parity import check_predicts_run


def command(plan: Plan | None = None, **args: object) -> str:
    coerced = Synchronize.coerce({"src": "a", "dest": "b", **args})
    return rsync_command(coerced, plan or Plan(True, "a", "b", None, None), "rsync", False)


def test_the_command_follows_the_arguments() -> None:
    assert command() == (
        "rsync --delay-updates -F --compress --archive '--out-format=<<CHANGED>>%i %n%L' a b"
    )
    assert command(
        archive=False,
        recursive=True,
        times=True,
        delete=True,
        checksum=True,
        compress=False,
        delay_updates=False,
        rsync_opts=["--exclude=.git", "--no-motd"],
        rsync_timeout=30,
        partial=True,
    ) == (
        "rsync --timeout=30 --delete-after --checksum --recursive --times --exclude=.git "
        "--no-motd --partial '--out-format=<<CHANGED>>%i %n%L' a b"
    )
    assert "--archive --no-perms --no-owner " in command(perms=False, owner=False)
    rsh = Plan(True, "a", "u@h:b", "ssh -S none -o Port=2222", "sudo rsync")
    assert "--rsh='ssh -S none -o Port=2222' --rsync-path='sudo rsync'" in command(rsh)


def test_remote_paths() -> None:
    assert _remote("web1", "/srv", "deploy") == "deploy@web1:/srv"
    assert _remote("web1", "/srv", None) == "web1:/srv"
    assert _remote("::1", "/srv", "u") == "[u@::1]:/srv"
    assert _remote("web1", "rsync://mirror/x", "u") == "rsync://mirror/x"


@pytest.fixture(autouse=True)
def _rsync() -> None:
    need("rsync")


def book(tmp: Path, tasks: str) -> Path:
    path = tmp / f"site-{uuid.uuid4().hex[:6]}.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def test_corpus_usage_copies_a_playbook_dir_on_the_local_connection(tmp_path: Path) -> None:
    (tmp_path / "internet-monitoring" / "grafana").mkdir(parents=True)
    (tmp_path / "internet-monitoring" / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / "internet-monitoring" / "grafana" / "g.ini").write_text("[x]\n")
    config = tmp_path / "config"
    config.mkdir()
    (config / "internet-monitoring").mkdir()
    (config / "internet-monitoring" / "old.txt").write_text("stays\n")
    site = book(
        tmp_path,
        f"""\
    - name: Synchronize internet-monitoring directory.
      ansible.posix.synchronize:
        src: internet-monitoring
        dest: "{config}/"
        delete: false
        recursive: true
        perms: false
      become: false
""",
    )
    real = check_predicts_run(
        site,
        LOCAL,
        unchanged=lambda: (
            not (config / "internet-monitoring" / "grafana").exists()
            or pytest.fail("check mode copied")
        ),
    )
    result = real.results[0].result
    assert result["changed"] is True
    assert ">f+++++++++ internet-monitoring/grafana/g.ini" in result["stdout_lines"]
    assert (config / "internet-monitoring" / "grafana" / "g.ini").read_text() == "[x]\n"
    assert (config / "internet-monitoring" / "old.txt").read_text() == "stays\n"


def test_delete_and_pull_on_the_local_connection(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    (src / "new.txt").write_text("new\n")
    (dest / "stale.txt").write_text("old\n")
    site = book(
        tmp_path,
        f"""\
    - synchronize: {{src: "{src}/", dest: "{dest}", delete: true, mode: pull}}
      register: synced
""",
    )
    check_predicts_run(
        site,
        LOCAL,
        unchanged=lambda: (dest / "stale.txt").exists() or pytest.fail("check mode deleted"),
    )
    assert sorted(p.name for p in dest.iterdir()) == ["new.txt"]


def test_rsync_failure_is_reported(tmp_path: Path) -> None:
    site = book(tmp_path, f'    - synchronize: {{src: "{tmp_path}/none/", dest: "{tmp_path}/d"}}\n')
    result = run(site, LOCAL).results[0]
    assert result.status == "failed"
    assert result.result["rc"] == 23
    assert "No such file or directory" in result.result["msg"]
