"""file and stat against the real sshd fleet: every state, modes, owners, links, odd names,
and check-mode parity (``--check`` predicts exactly what the real run changes)."""

from __future__ import annotations

import io
import json
import os
import pwd
import stat
from pathlib import Path
from typing import Any

import pytest
from parity import assert_check_predicts_run, pbe_json, snapshot

from playbook_engine.cli import main
from playbook_engine.testing.fleet import TEST_USER, Fleet

pytestmark = pytest.mark.fleet


def user_uid() -> int:
    """The fleet user's uid, looked up when a test runs (the fleet fixture creates the user)."""
    return pwd.getpwnam(TEST_USER).pw_uid


ODD_NAMES = ["with space", 'quote\'d "x"', "$(echo x)", "back`tick`", "new\nline", "-lead"]


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def two(fleet: Fleet, tmp_path: Path) -> Path:
    """An inventory of h01 and h02: enough hosts to see per-host results, fast to run."""
    return fleet.write_inventory(tmp_path / "two.yml", hosts=["h01", "h02"])


@pytest.fixture
def dirs(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    """``-e @file`` giving each host its own directory as ``dirs[inventory_hostname]``."""
    path = tmp_path / "dirs.json"
    path.write_text(json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}}))
    return "@" + str(path)


def playbook(
    tmp_path: Path, tasks: str, hosts: str = "fleet", name: str = "site.yml", extra: str = ""
) -> Path:
    """A one-play playbook; ``KEEP`` in a task stands for "leave the times alone"."""
    tasks = tasks.replace("KEEP", "modification_time: preserve, access_time: preserve")
    body = "\n".join("    " + line if line else line for line in tasks.strip("\n").splitlines())
    path = tmp_path / name
    path.write_text(
        f"- hosts: {hosts}\n  gather_facts: false\n{extra}  vars:\n"
        f'    d: "{{{{ dirs[inventory_hostname] }}}}"\n  tasks:\n{body}\n'
    )
    return path


def pbe(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def results(doc: dict[str, Any], task: int, host: str = "h01") -> dict[str, Any]:
    return dict(doc["plays"][0]["tasks"][task]["hosts"][host]["result"])


def statuses(doc: dict[str, Any], host: str = "h01") -> list[str]:
    return [t["hosts"][host]["status"] for t in doc["plays"][0]["tasks"]]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def roots(host_dirs: dict[str, Path]) -> list[Path]:
    """The directories of the hosts in ``two``: what parity snapshots."""
    return [host_dirs["h01"], host_dirs["h02"]]


def own(*paths: Path) -> None:
    """Hand setup files to the login user, as if it had made them (tests run as root)."""
    for path in paths:
        os.chown(path, user_uid(), user_uid(), follow_symlinks=False)


def each(host_dirs: dict[str, Path], build: Any) -> None:
    """Run a setup function on the directory of h01 and h02."""
    for path in roots(host_dirs):
        build(path)


# -- the chain a check run must get right -------------------------------------------------------


def test_nested_dirs_files_links_and_stat_parity(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    book = playbook(
        tmp_path,
        """
- name: nested dirs
  file: {path: "{{ d }}/a/b/c", state: directory, mode: "0750"}
- name: a file inside
  file: {path: "{{ d }}/a/b/c/f", state: touch, mode: "u=rw,g=r,o=", KEEP}
- name: a link to it
  file: {path: "{{ d }}/a/link", src: b/c/f, state: link}
- name: a hard link
  file: {path: "{{ d }}/a/hard", src: "{{ d }}/a/b/c/f", state: hard}
- name: stat the dir
  stat: {path: "{{ d }}/a/b/c"}
  register: st
- name: stat through the link
  stat: {path: "{{ d }}/a/link", follow: true}
  register: sl
- name: only when it exists
  file: {path: "{{ d }}/a/b/c/flag", state: touch, KEEP}
  when: st.stat.exists and st.stat.isdir and sl.stat.isreg
- name: the same directory again
  file: {path: "{{ d }}/a/b", state: directory}
- name: checks
  assert:
    that:
      - st.stat.mode == '0750'
      - sl.stat.mode == '0640'
      - sl.stat.checksum == 'da39a3ee5e6b4b0d3255bfef95601890afd80709'
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed"] * 4 + ["ok", "ok", "changed", "ok", "ok"]
    d = host_dirs["h01"]
    assert all(mode_of(d / p) == 0o750 for p in ("a", "a/b", "a/b/c"))
    assert os.readlink(d / "a/link") == "b/c/f"
    assert (d / "a/hard").stat().st_ino == (d / "a/b/c/f").stat().st_ino
    assert mode_of(d / "a/b/c/f") == 0o640 and (d / "a/b/c/flag").exists()


def test_directory_then_touch_inside_in_one_check_run(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/new/deeper", state: directory}
- file: {path: "{{ d }}/new/deeper/file", state: touch}
""",
        hosts="h01,h02",
    )
    code, doc, err = pbe_json(fleet, book, two, "-e", dirs, "--check")
    assert code == 0, err
    assert statuses(doc) == ["changed", "changed"]
    assert results(doc, 1)["state"] == "file"
    assert not (host_dirs["h01"] / "new").exists()


def test_chain_parity_directory_then_touch(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/p/q", state: directory, mode: "u=rwx,go=rx"}
- file: {path: "{{ d }}/p/q/f", state: touch, mode: "0600", KEEP}
- stat: {path: "{{ d }}/p/q/f"}
  register: st
- assert:
    that: [st.stat.exists, st.stat.isreg, "st.stat.mode == '0600'", "st.stat.size == 0"]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "changed", "ok", "ok"]
    assert mode_of(host_dirs["h02"] / "p/q/f") == 0o600


# -- every state ----------------------------------------------------------------------------------


def test_state_file_and_directory_refuse_what_they_cannot_be(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "f").write_text("x\n")
        (d / "f").chmod(0o644)
        (d / "sub").mkdir(mode=0o755)
        own(d / "f", d / "sub")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- name: the default state of a file is file
  file: {path: "{{ d }}/f", mode: "0600"}
  register: r0
- name: the default state of a directory is directory
  file: {path: "{{ d }}/sub", mode: "0700"}
  register: r00
- file: {path: "{{ d }}/missing", state: file}
  register: r1
  ignore_errors: true
- file: {path: "{{ d }}/sub", state: file}
  register: r2
  ignore_errors: true
- file: {path: "{{ d }}/f", state: directory}
  register: r3
  ignore_errors: true
- assert:
    that:
      - r0.state == 'file' and r0.mode == '0600' and r00.state == 'directory'
      - "'is absent, cannot continue' in r1.msg"
      - "'is directory, cannot continue' in r2.msg"
      - "'already exists as a file' in r3.msg"
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "changed", "failed", "failed", "failed", "ok"]
    assert mode_of(host_dirs["h01"] / "f") == 0o600
    assert mode_of(host_dirs["h01"] / "sub") == 0o700
    assert not (host_dirs["h01"] / "missing").exists()


def test_touch_always_changes_unless_times_are_preserved(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "old").write_text("keep\n")
        os.utime(d / "old", (1_000_000_000, 1_000_000_000))
        own(d / "old")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/new", state: touch, mode: "0640"}
- file: {path: "{{ d }}/old", state: touch}
- file: {path: "{{ d }}/old", state: touch, KEEP}
- file: {path: "{{ d }}/new", state: touch, KEEP, mode: "0640"}
""",
        hosts="h01,h02",
    )
    before = snapshot(roots(host_dirs))
    code, check, err = pbe_json(fleet, book, two, "-e", dirs, "--check")
    assert code == 0, err
    assert snapshot(roots(host_dirs)) == before
    code, real, err = pbe_json(fleet, book, two, "-e", dirs)
    assert code == 0, err
    assert statuses(check) == statuses(real) == ["changed", "changed", "ok", "ok"]
    d = host_dirs["h01"]
    assert mode_of(d / "new") == 0o640 and (d / "new").read_bytes() == b""
    assert (d / "old").stat().st_mtime > 1_000_000_000 and (d / "old").read_text() == "keep\n"
    assert results(real, 0)["state"] == "file" and results(real, 0)["dest"] == str(d / "new")


def test_modes_octal_symbolic_and_idempotent(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        for name, mode in [
            ("m1", 0o644),
            ("m2", 0o644),
            ("m3", 0o644),
            ("m4", 0o644),
            ("m5", 0o644),
            ("exe", 0o755),
            ("suid", 0o4755),
        ]:
            (d / name).write_text(name)
            own(d / name)  # chown first: it would clear the setuid bit
            (d / name).chmod(mode)
        (d / "dd").mkdir()
        (d / "dd").chmod(0o2775)
        own(d / "dd")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/m1", mode: "0640"}
- file: {path: "{{ d }}/m2", mode: 0640}
- file: {path: "{{ d }}/m3", mode: "600"}
- file: {path: "{{ d }}/m4", mode: "u=rw,g=r,o="}
- name: X adds nothing to a file without x
  file: {path: "{{ d }}/m5", mode: "a+X"}
- file: {path: "{{ d }}/exe", mode: "a+X,o-rwx"}
- name: a symbolic = clears the directory's setgid bit too
  file: {path: "{{ d }}/dd", mode: "u=rwX,g=rX,o="}
- file: {path: "{{ d }}/suid", mode: "u-s"}
- name: again, no change
  file: {path: "{{ d }}/m1", mode: "0640"}
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed"] * 4 + ["ok", "changed", "changed", "changed", "ok"]
    d = host_dirs["h02"]
    assert [mode_of(d / n) for n in ("m1", "m2", "m3", "m4", "m5", "exe", "dd", "suid")] == [
        0o640,
        0o640,
        0o600,
        0o640,
        0o644,
        0o750,
        0o750,
        0o755,
    ]


def test_recurse_sets_everything_below_with_X(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "t/a/deep").mkdir(parents=True)
        (d / "t/a/run.sh").write_text("#!/bin/sh\n")
        (d / "t/a/run.sh").chmod(0o700)
        (d / "t/a/data").write_text("data")
        (d / "t/a/data").chmod(0o600)
        (d / "t/a/deep/ok").write_text("ok")
        (d / "t/a/deep/ok").chmod(0o640)
        (d / "outside").write_text("x")
        (d / "outside").chmod(0o600)
        (d / "t/link").symlink_to(d / "outside")
        for path in [d / "t", *(d / "t").rglob("*"), d / "outside"]:
            own(path)
        for sub in (d / "t", d / "t/a", d / "t/a/deep"):
            sub.chmod(0o700)

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- name: recurse
  file: {path: "{{ d }}/t", state: directory, recurse: true, mode: "u=rwX,g=rX,o="}
- stat: {path: "{{ d }}/t/a/data"}
  register: data
- stat: {path: "{{ d }}/t/a/deep"}
  register: deep
- name: the check run sees the modes the recursion would leave
  assert:
    that: ["data.stat.mode == '0640'", "deep.stat.mode == '0750'"]
- name: a tree already right is ok
  file: {path: "{{ d }}/t", state: directory, recurse: true, mode: "u=rwX,g=rX,o="}
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "ok", "ok", "ok", "ok"]
    d = host_dirs["h01"]
    assert {
        p: mode_of(d / p) for p in ("t", "t/a", "t/a/deep", "t/a/run.sh", "t/a/data", "t/a/deep/ok")
    } == {
        "t": 0o750,
        "t/a": 0o750,
        "t/a/deep": 0o750,
        "t/a/run.sh": 0o750,
        "t/a/data": 0o640,
        "t/a/deep/ok": 0o640,
    }
    assert mode_of(d / "outside") == 0o600, "recurse must not follow links"


def test_recurse_owner_with_become_and_only_below_differs(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "r/s").mkdir(parents=True)
        (d / "r/s/f").write_text("f")
        (d / "r/s/lnk").symlink_to("f")
        os.chown(d / "r", 0, 0)
        for path in (d / "r/s", d / "r/s/f", d / "r/s/lnk"):
            own(path)

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- name: the top is already root's; what is below is not
  file: {path: "{{ d }}/r", state: directory, recurse: true, owner: root, group: root}
  become: true
- stat: {path: "{{ d }}/r/s/f"}
  register: f
- assert:
    that: ["f.stat.pw_name == 'root'", "f.stat.gr_name == 'root'", "f.stat.uid == 0"]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "ok", "ok"]
    d = host_dirs["h02"]
    assert all(
        p.lstat().st_uid == 0 and p.lstat().st_gid == 0
        for p in (d / "r/s", d / "r/s/f", d / "r/s/lnk")
    )


# -- links ----------------------------------------------------------------------------------------


def test_symlinks_relative_absolute_force_and_missing_targets(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        for name in ("tgt", "tgt2", "occupied"):
            (d / name).write_text(name)
            own(d / name)
        (d / "old").symlink_to("tgt")
        own(d / "old")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/rel", src: tgt, state: link}
- file: {path: "{{ d }}/abs", src: "{{ d }}/tgt", state: link}
- name: a file is not replaced without force
  file: {path: "{{ d }}/occupied", src: tgt, state: link}
  register: nf
  ignore_errors: true
- file: {path: "{{ d }}/occupied", src: tgt, state: link, force: true}
- name: a missing target needs force
  file: {path: "{{ d }}/dangling", src: nowhere, state: link}
  register: nm
  ignore_errors: true
- file: {path: "{{ d }}/dangling", src: nowhere, state: link, force: true}
- name: retarget
  file: {path: "{{ d }}/old", src: tgt2, state: link}
- name: a link's default state is link
  file: {path: "{{ d }}/rel"}
- stat: {path: "{{ d }}/rel"}
  register: st
- assert:
    that: st.stat.islnk and st.stat.lnk_target == 'tgt'
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert "refusing to convert from file to symlink" in results(doc, 2)["msg"]
    assert "src file does not exist" in results(doc, 4)["msg"]
    assert statuses(doc) == [
        "changed",
        "changed",
        "failed",
        "changed",
        "failed",
        "changed",
        "changed",
        "ok",
        "ok",
        "ok",
    ]
    d = host_dirs["h01"]
    assert os.readlink(d / "rel") == "tgt" and os.readlink(d / "abs") == str(d / "tgt")
    assert os.readlink(d / "occupied") == "tgt" and os.readlink(d / "dangling") == "nowhere"
    assert os.readlink(d / "old") == "tgt2" and (d / "tgt").read_text() == "tgt"
    assert results(doc, 0)["src"] == "tgt" and results(doc, 0)["state"] == "link"


def test_hard_links(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        for name in ("orig", "other"):
            (d / name).write_text(name)
            own(d / name)
        (d / "sub").mkdir()
        own(d / "sub")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/h1", src: "{{ d }}/orig", state: hard}
- name: a relative src is relative to the link's directory
  file: {path: "{{ d }}/h2", src: orig, state: hard}
- file: {path: "{{ d }}/other", src: "{{ d }}/orig", state: hard}
  register: nf
  ignore_errors: true
- file: {path: "{{ d }}/other", src: "{{ d }}/orig", state: hard, force: true, mode: "0600"}
- file: {path: "{{ d }}/h3", src: "{{ d }}/missing", state: hard}
  register: nm
  ignore_errors: true
- name: onto a directory, a hard link goes inside it (Ansible's file target)
  file: {path: "{{ d }}/sub", src: "{{ d }}/orig", state: hard}
- name: a symlink does not
  file: {path: "{{ d }}/sub", src: "{{ d }}/orig", state: link}
  ignore_errors: true
- stat: {path: "{{ d }}/orig"}
  register: st
- assert:
    that: st.stat.nlink == 5 and st.stat.mode == '0600'
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert "file exists at destination" in results(doc, 2)["msg"]
    assert "src does not exist" in results(doc, 4)["msg"]
    assert results(doc, 5)["dest"] == f"{host_dirs['h01']}/sub/orig"
    assert "refusing to convert from directory to symlink" in results(doc, 6)["msg"]
    assert statuses(doc) == [
        *("changed", "changed", "failed", "changed", "failed", "changed", "failed", "ok", "ok")
    ]
    d = host_dirs["h01"]
    inode = (d / "orig").stat().st_ino
    assert all((d / n).stat().st_ino == inode for n in ("h1", "h2", "other", "sub/orig"))
    assert results(doc, 0)["state"] == "hard"


def test_absent_removes_trees_links_not_their_targets(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "tree/a/b").mkdir(parents=True)
        (d / "tree/a/b/f").write_text("f")
        (d / "keep").write_text("keep")
        (d / "tree/ln").symlink_to(d / "keep")
        (d / "ln").symlink_to(d / "keep")
        for path in [d / "tree", *(d / "tree").rglob("*"), d / "keep", d / "ln"]:
            own(path)

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/tree", state: absent}
- file: {path: "{{ d }}/ln", state: absent}
- stat: {path: "{{ d }}/tree/a/b/f"}
  register: gone
- file: {path: "{{ d }}/tree", state: absent}
- assert:
    that: [not gone.stat.exists]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "changed", "ok", "ok", "ok"]
    d = host_dirs["h01"]
    assert not (d / "tree").exists() and not (d / "ln").is_symlink()
    assert (d / "keep").read_text() == "keep"
    assert results(doc, 0)["state"] == "absent"


# -- owners and permissions --------------------------------------------------------------------


def test_owner_needs_become_and_fails_clearly_without(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "f").write_text("f")
        own(d / "f")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- name: chown to root as pbetest
  file: {path: "{{ d }}/f", owner: root}
  register: denied
  ignore_errors: true
- name: an unknown user
  file: {path: "{{ d }}/f", owner: no-such-user-pbe}
  register: unknown
  ignore_errors: true
- name: chown to root with become
  file: {path: "{{ d }}/f", owner: root, group: root}
  become: true
- name: chmod of root's file as pbetest
  file: {path: "{{ d }}/f", mode: "0600"}
  register: chmod_denied
  ignore_errors: true
- file: {path: "{{ d }}/f", mode: "0600"}
  become: true
- stat: {path: "{{ d }}/f"}
  register: st
- assert:
    that: ["st.stat.pw_name == 'root' and st.stat.mode == '0600'", not st.stat.readable]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    denied, unknown, chmod_denied = (results(doc, i)["msg"] for i in (0, 1, 3))
    assert "Operation not permitted" in denied and "use become" in denied
    assert "failed to look up user no-such-user-pbe" in unknown
    assert "Operation not permitted" in chmod_denied and "does not own it" in chmod_denied
    assert statuses(doc) == ["failed", "failed", "changed", "failed", "changed", "ok", "ok"]
    f = host_dirs["h01"] / "f"
    assert f.stat().st_uid == 0 and f.stat().st_gid == 0 and mode_of(f) == 0o600


def test_permission_denied_is_a_clear_failure(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "locked").mkdir(mode=0o755)
        (d / "locked/rootfile").write_text("r")
        (d / "mine/rootdir").mkdir(parents=True)
        (d / "mine/rootdir/f").write_text("f")
        own(d / "mine")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/locked/sub/deeper", state: directory}
  register: r1
  ignore_errors: true
- file: {path: "{{ d }}/locked/new", state: touch}
  register: r2
  ignore_errors: true
- file: {path: "{{ d }}/locked/rootfile", state: absent}
  register: r3
  ignore_errors: true
- name: a tree holding a directory pbetest cannot empty
  file: {path: "{{ d }}/mine", state: absent}
  register: r4
  ignore_errors: true
- file: {path: /root/pbe-never, state: touch}
  register: r5
  ignore_errors: true
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["failed"] * 5
    msgs = [results(doc, i)["msg"] for i in range(5)]
    assert all("Permission denied" in m for m in msgs), msgs
    assert "locked" in msgs[0] and "rootdir" in msgs[3]
    d = host_dirs["h01"]
    assert not (d / "locked/sub").exists() and (d / "mine/rootdir/f").exists()
    assert not Path("/root/pbe-never").exists()


def test_become_creates_root_owned_entries(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "locked").mkdir(mode=0o755)

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/locked/a/b", state: directory, mode: "0700", owner: pbetest}
  become: true
- file: {path: "{{ d }}/locked/a/b/f", state: touch, KEEP}
  become: true
- stat: {path: "{{ d }}/locked/a/b/f"}
  register: f
  become: true
- assert:
    that: ["f.stat.pw_name == 'root'", "f.stat.mode == '0644'"]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "changed", "ok", "ok"]
    d = host_dirs["h01"] / "locked"
    assert (d / "a").stat().st_uid == user_uid() and mode_of(d / "a") == 0o700
    assert (d / "a/b/f").stat().st_uid == 0


# -- odd names --------------------------------------------------------------------------------


def test_odd_names(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"odd": ODD_NAMES}))

    def build(d: Path) -> None:
        (d / "gone").mkdir()
        for name in ODD_NAMES:
            (d / "gone" / name).write_text(name)
        for path in [d / "gone", *(d / "gone").iterdir()]:
            own(path)

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/{{ item }}", state: directory, mode: "0750"}
  loop: "{{ odd }}"
- file: {path: "{{ d }}/{{ item }}/{{ item }}", state: touch, KEEP}
  loop: "{{ odd }}"
- file: {path: "{{ d }}/{{ item }}/link", src: "{{ item }}", state: link}
  loop: "{{ odd }}"
- file: {path: "{{ d }}/{{ item }}/hard", src: "{{ d }}/{{ item }}/{{ item }}", state: hard}
  loop: "{{ odd }}"
- stat: {path: "{{ d }}/{{ item }}/link", follow: true}
  loop: "{{ odd }}"
  register: st
- assert:
    that: "st.results | map(attribute='stat.isreg') | list == [true] * 6"
- file: {path: "{{ d }}/gone/{{ item }}", state: absent}
  loop: "{{ odd }}"
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(
        fleet, book, two, roots(host_dirs), "-e", dirs, "-e", "@" + str(names)
    )
    assert statuses(doc) == ["changed"] * 4 + ["ok", "ok", "changed"]
    d = host_dirs["h01"]
    for name in ODD_NAMES:
        assert mode_of(d / name) == 0o750 and (d / name / name).is_file()
        assert os.readlink(d / name / "link") == name
        assert (d / name / "hard").stat().st_ino == (d / name / name).stat().st_ino
    assert sorted(os.listdir(d)) == sorted([*ODD_NAMES, "gone"])
    assert os.listdir(d / "gone") == []


# -- diff -------------------------------------------------------------------------------------


def test_diff_human_and_json(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "f").write_text("f")
        (d / "f").chmod(0o644)
        own(d / "f")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/f", mode: "0600"}
- file: {path: "{{ d }}/n/m", state: directory}
""",
        hosts="h01",
    )
    base = [
        "run",
        str(book),
        "-i",
        str(two),
        "--known-hosts",
        str(fleet.known_hosts),
        "--ssh-config",
        os.devnull,
        "-e",
        dirs,
    ]
    code, out, err = pbe(*base, "--check", "--diff")
    assert code == 0, out + err
    f = host_dirs["h01"] / "f"
    assert f"--- before: {f}" in out and f"+++ after: {f}" in out
    assert "-mode: 0644" in out and "+mode: 0600" in out
    assert "-state: absent" in out and "+state: directory" in out
    code, doc, err = pbe_json(fleet, book, two, "-e", dirs, "--diff")
    assert code == 0, err
    assert results(doc, 0)["diff"] == {
        "before": {"path": str(f), "mode": "0644"},
        "after": {"path": str(f), "mode": "0600"},
        "before_header": str(f),
        "after_header": str(f),
    }
    code, doc, err = pbe_json(fleet, book, two, "-e", dirs, "--diff")
    assert "diff" not in results(doc, 0) and statuses(doc) == ["ok", "ok"]


# -- stat -------------------------------------------------------------------------------------


def test_stat_keys_checksums_follow_and_access(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "data").write_bytes(b"hello\n")
        (d / "data").chmod(0o640)
        (d / "ln").symlink_to("data")
        (d / "secret").write_text("s")
        (d / "secret").chmod(0o600)
        own(d / "data", d / "ln")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- stat: {path: "{{ d }}/data"}
  register: plain
- stat: {path: "{{ d }}/data", checksum_algorithm: sha256}
  register: s256
- stat: {path: "{{ d }}/ln"}
  register: lnk
- stat: {path: "{{ d }}/ln", follow: true, get_checksum: false}
  register: followed
- stat: {path: "{{ d }}/missing"}
  register: missing
- stat: {path: "{{ d }}/secret"}
  register: secret
- stat: {path: "{{ d }}/secret"}
  register: secret_root
  become: true
""",
        hosts="h01",
    )
    code, doc, err = pbe_json(fleet, book, two, "-e", dirs)
    assert code == 0, err
    d = host_dirs["h01"]
    plain = results(doc, 0)["stat"]
    assert plain["exists"] and plain["isreg"] and not plain["isdir"] and not plain["islnk"]
    assert plain["mode"] == "0640" and plain["pw_name"] == "pbetest" and plain["size"] == 6
    assert plain["uid"] == user_uid() and plain["nlink"] == 1
    assert plain["checksum"] == "f572d396fae9206628714fb2ce00f72e94f2258f"
    assert plain["readable"] and plain["writeable"] and not plain["executable"]
    assert plain["rusr"] and plain["rgrp"] and not plain["roth"]
    assert abs(plain["mtime"] - (d / "data").stat().st_mtime) < 0.01
    assert plain["inode"] == (d / "data").stat().st_ino
    assert results(doc, 1)["stat"]["checksum"] == (
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
    )
    lnk = results(doc, 2)["stat"]
    assert lnk["islnk"] and lnk["lnk_target"] == "data" and "checksum" not in lnk
    assert lnk["lnk_source"] == str(d / "data")
    followed = results(doc, 3)["stat"]
    assert followed["isreg"] and not followed["islnk"] and "checksum" not in followed
    assert results(doc, 4)["stat"] == {"exists": False}
    secret = results(doc, 5)["stat"]
    assert not secret["readable"] and "checksum" not in secret and secret["pw_name"] == "root"
    assert results(doc, 6)["stat"]["readable"] and "checksum" in results(doc, 6)["stat"]
    assert all(t["hosts"]["h01"]["status"] == "ok" for t in doc["plays"][0]["tasks"])


def test_links_without_follow_links_to_dirs_and_hard_link_attributes(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "real/sub").mkdir(parents=True)
        (d / "real/sub/f").write_text("f")
        (d / "real/sub/f").chmod(0o600)
        (d / "real").chmod(0o750)
        (d / "real/sub").chmod(0o750)
        (d / "viadir").symlink_to("real")
        (d / "ln").symlink_to("real/sub/f")
        (d / "a").write_text("a")
        os.link(d / "a", d / "b")
        for path in [d / "real", *(d / "real").rglob("*"), d / "viadir", d / "ln", d / "a"]:
            own(path)

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- name: an earlier task changes the only file the recursion would change
  file: {path: "{{ d }}/real/sub/f", mode: "0640"}
- name: recurse through a link to a directory, finding everything right
  file: {path: "{{ d }}/viadir", state: directory, recurse: true, mode: "u=rwX,g=rX,o="}
- name: the link itself, not its target
  file: {path: "{{ d }}/ln", state: link, owner: root, follow: false}
  become: true
- name: a file with several links needs no src
  file: {path: "{{ d }}/b", state: hard, mode: "0600"}
- stat: {path: "{{ d }}/real/sub/f"}
  register: f
- stat: {path: "{{ d }}/b"}
  register: b
- assert:
    that: ["f.stat.mode == '0640'", "f.stat.pw_name == 'pbetest'", "b.stat.mode == '0600'"]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "ok", "changed", "changed", "ok", "ok", "ok"]
    d = host_dirs["h01"]
    assert (d / "ln").lstat().st_uid == 0 and (d / "real/sub/f").stat().st_uid == user_uid()
    assert mode_of(d / "real/sub/f") == 0o640 and mode_of(d / "a") == 0o600


def test_more_refusals(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    def build(d: Path) -> None:
        (d / "f").write_text("f")
        (d / "dangling").symlink_to("nowhere")
        (d / "sticky").mkdir()
        (d / "sticky").chmod(0o1777)
        (d / "sticky/roots").write_text("r")
        own(d / "f", d / "dangling")

    each(host_dirs, build)
    book = playbook(
        tmp_path,
        """
- name: a parent that is a file
  file: {path: "{{ d }}/f/sub", state: directory}
- name: touch through a dangling link
  file: {path: "{{ d }}/dangling", state: touch}
- name: someone else's file in a sticky directory
  file: {path: "{{ d }}/sticky/roots", state: absent}
- name: stat where pbetest may not look
  stat: {path: /root/.bashrc}
- name: touch in a missing directory
  file: {path: "{{ d }}/nodir/f", state: touch}
- name: a link in a missing directory
  file: {path: "{{ d }}/nodir/l", state: link, src: /etc/hostname}
""",
        hosts="h01,h02",
        extra="  ignore_errors: true\n",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["failed"] * 6
    msgs = [results(doc, i)["msg"] for i in range(6)]
    assert all(f"no such directory {host_dirs['h01']}/nodir" in m for m in msgs[4:]), msgs
    assert "is not a directory" in msgs[0]
    assert "missing target" in msgs[1]
    assert "sticky directory" in msgs[2]
    assert "cannot stat /root/.bashrc: Permission denied" in msgs[3]
    assert (host_dirs["h01"] / "sticky/roots").exists()


def test_aliases_and_a_trailing_slash(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    book = playbook(
        tmp_path,
        """
- file: {dest: "{{ d }}/slash/", state: directory}
- file: {name: "{{ d }}/slash/inner/", state: directory, mode: "0700"}
- stat: {dest: "{{ d }}/slash/inner/"}
  register: st
- assert:
    that: ["st.stat.isdir", "st.stat.mode == '0700'"]
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "changed", "ok", "ok"]
    assert mode_of(host_dirs["h02"] / "slash/inner") == 0o700


def test_after_copy_in_the_same_check_run(
    fleet: Fleet, two: Path, dirs: str, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    book = playbook(
        tmp_path,
        """
- file: {path: "{{ d }}/conf", state: directory, mode: "0750"}
- copy: {content: "a=1\\n", dest: "{{ d }}/conf/a.conf"}
- name: what copy wrote already has this owner and mode
  file: {path: "{{ d }}/conf/a.conf", owner: pbetest, group: pbetest, mode: "0644"}
- stat: {path: "{{ d }}/conf/a.conf", checksum_algorithm: sha256}
  register: st
- assert:
    that:
      - st.stat.checksum == 'fe3209d6d4f51935b391288a43df48d9ddece1a992597ae53387ca16611a9179'
      - st.stat.size == 4 and st.stat.pw_name == 'pbetest' and st.stat.writeable
""",
        hosts="h01,h02",
    )
    doc = assert_check_predicts_run(fleet, book, two, roots(host_dirs), "-e", dirs)
    assert statuses(doc) == ["changed", "changed", "ok", "ok", "ok"]
