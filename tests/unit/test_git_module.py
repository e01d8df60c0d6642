"""git for real: a bare repository the test makes on this machine, cloned and updated by
the host's git; check mode predicts every step (clone, update, tag, sha, force)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.git import parse_probe, same_commit, target_sha
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "HOME": "/tmp",
}


def git(*argv: str, cwd: Path | None = None) -> str:
    out = subprocess.run(
        ["git", *argv], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


class Origin:
    """A bare repository and a work tree that pushes to it."""

    def __init__(self, root: Path) -> None:
        self.bare = root / "origin.git"
        self.work = root / "work"
        git("init", "-q", "--bare", "-b", "main", str(self.bare))
        git("clone", "-q", str(self.bare), str(self.work))
        git("checkout", "-q", "-b", "main", cwd=self.work)

    def commit(self, name: str, text: str) -> str:
        (self.work / name).write_text(text)
        git("add", name, cwd=self.work)
        git("commit", "-q", "-m", f"{name}: {text.strip()}", cwd=self.work)
        git("push", "-q", "origin", "HEAD:main", "--tags", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    return Origin(tmp_path)


def book(tmp_path: Path, tasks: str) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def test_clone_then_update_to_new_commits(tmp_path: Path, origin: Origin) -> None:
    first = origin.commit("a.txt", "one\n")
    dest = tmp_path / "co"
    site = book(
        tmp_path, f"    - git: {{repo: '{origin.bare}', dest: '{dest}'}}\n      register: out\n"
    )
    real = check_predicts_run(
        site, LOCAL, unchanged=lambda: dest.exists() and pytest.fail("check mode cloned")
    )
    assert real.results[0].result["before"] is None
    assert real.results[0].result["after"] == first
    assert (dest / "a.txt").read_text() == "one\n"
    second = origin.commit("a.txt", "two\n")
    real = check_predicts_run(
        site,
        LOCAL,
        unchanged=lambda: (
            (dest / "a.txt").read_text() == "one\n" or pytest.fail("check mode updated")
        ),
    )
    assert real.results[0].status == "changed"
    assert (real.results[0].result["before"], real.results[0].result["after"]) == (first, second)
    assert (dest / "a.txt").read_text() == "two\n"


def test_tags_shas_and_branches(tmp_path: Path, origin: Origin) -> None:
    first = origin.commit("a.txt", "one\n")
    git("tag", "-a", "v1", "-m", "v1", cwd=origin.work)
    origin.commit("a.txt", "two\n")
    git("checkout", "-q", "-b", "dev", cwd=origin.work)
    (origin.work / "dev.txt").write_text("dev\n")
    git("add", "dev.txt", cwd=origin.work)
    git("commit", "-q", "-m", "dev", cwd=origin.work)
    git("push", "-q", "origin", "dev", cwd=origin.work)
    site = book(
        tmp_path,
        f"""
    - git: {{repo: '{origin.bare}', dest: '{tmp_path}/tag', version: v1}}
    - git: {{repo: '{origin.bare}', dest: '{tmp_path}/sha', version: '{first[:10]}'}}
    - git: {{repo: '{origin.bare}', dest: '{tmp_path}/dev', version: dev, depth: 1}}
""",
    )
    real = check_predicts_run(site, LOCAL)
    assert [r.status for r in real.results] == ["changed"] * 3
    assert (tmp_path / "tag/a.txt").read_text() == "one\n"
    assert real.results[0].result["after"] == first  # the tag, peeled
    assert git("rev-parse", "HEAD", cwd=tmp_path / "sha") == first
    assert (tmp_path / "dev/dev.txt").read_text() == "dev\n"
    site.write_text(site.read_text().replace("version: v1", "version: dev"))
    real = check_predicts_run(site, LOCAL)
    assert [r.status for r in real.results] == ["changed", "ok", "ok"]
    assert (tmp_path / "tag/dev.txt").read_text() == "dev\n"


def test_local_modifications_need_force(tmp_path: Path, origin: Origin) -> None:
    origin.commit("a.txt", "one\n")
    dest = tmp_path / "co"
    git("clone", "-q", str(origin.bare), str(dest))
    (dest / "a.txt").write_text("edited\n")
    tasks = f"    - git: {{repo: '{origin.bare}', dest: '{dest}'}}\n      ignore_errors: true\n"
    result = run(book(tmp_path, tasks), LOCAL)
    assert result.results[0].status == "failed"
    assert result.results[0].result["msg"] == (
        f"Local modifications exist in the destination: {dest} (force=no)."
    )
    assert (dest / "a.txt").read_text() == "edited\n"
    forced = book(tmp_path, f"    - git: {{repo: '{origin.bare}', dest: '{dest}', force: true}}\n")
    check_predicts_run(forced, LOCAL)
    assert (dest / "a.txt").read_text() == "one\n"


def test_unknown_version_and_bad_repo_fail_clearly(tmp_path: Path, origin: Origin) -> None:
    origin.commit("a.txt", "one\n")
    site = book(
        tmp_path,
        f"""
    - git: {{repo: '{origin.bare}', dest: '{tmp_path}/x', version: nosuch}}
      ignore_errors: true
    - git: {{repo: '{tmp_path}/none.git', dest: '{tmp_path}/y'}}
      ignore_errors: true
""",
    )
    result = run(site, LOCAL)
    msgs = [r.result["msg"] for r in result.results]
    assert msgs[0] == (f"Failed to find nosuch in {origin.bare} (no such branch, tag or commit)")
    assert msgs[1].startswith(f"Failed to ask {tmp_path}/none.git for HEAD: ")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_pure_parts() -> None:
    out = (
        "B|abc1234\nU|/r.git\nS| M a.txt\n@@pbe-git-end@@\n"
        "1111111111111111111111111111111111111111\trefs/tags/v1\n"
        "2222222222222222222222222222222222222222\trefs/tags/v1^{}\nR|0\n"
    )
    found = parse_probe(out)
    assert found.exists and found.dirty == "M a.txt" and found.url == "/r.git"
    assert target_sha("v1", found.refs) == "2" * 40
    assert target_sha("ABCDEF1", {}) == "abcdef1"
    assert target_sha("nosuch", {}) is None
    assert same_commit("abcdef1234", "abcdef1") and not same_commit(None, "abc")
