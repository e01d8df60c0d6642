"""Hosts that share one filesystem (the local connection, ``delegate_to: localhost``, NFS
homes) change the same paths at once: no task may fail because another host got there
first, and each host's status says what its own task did.

First each race is forced deterministically (another host acts between this host's probe
and its command), then many local hosts race for real, several times over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

import playbook_engine as pbe
from playbook_engine.errors import ModuleError
from playbook_engine.modules.base import Module
from playbook_engine.modules.copy import Copy
from playbook_engine.modules.file import File
from playbook_engine.modules.util.filestate import Prediction
from playbook_engine.modules.util.remotefs import RemoteFiles
from playbook_engine.transport.base import CommandResult


class Racer:
    """Runs scripts with the local ``sh``; just before the first one containing ``marker``
    (the command that changes something, after the probe), ``other_host`` acts."""

    def __init__(self, marker: str, other_host: Callable[[], object] | None) -> None:
        self.marker = marker
        self.other_host = other_host

    def __call__(self, command: str, stdin: bytes | None = None, **_: Any) -> CommandResult:
        if self.other_host is not None and self.marker in command:
            self.other_host()
            self.other_host = None
        proc = subprocess.run(
            ["/bin/sh", "-c", command], input=stdin or b"", capture_output=True, check=False
        )
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)


def put(source: IO[bytes], path: str, mode: int | None) -> None:
    with open(path, "wb") as out:
        shutil.copyfileobj(source, out)
    if mode is not None:
        os.chmod(path, mode)


class Ctx:
    """The little of ModuleContext the file and copy modules use, on the local machine."""

    def __init__(self, marker: str, other_host: Callable[[], object] | None = None) -> None:
        self.check = False
        self.diff = False
        self.files = RemoteFiles(Racer(marker, other_host), put, False, Prediction())


def file_task(other_host: Callable[[], object] | None, **args: Any) -> dict[str, Any]:
    return run(File, Ctx("\n_q r ", other_host), **args)


def run(module: type[Module], ctx: Ctx, **args: Any) -> dict[str, Any]:
    return module().run(module.coerce(args), ctx).as_dict()  # type: ignore[arg-type]


# -- each race, forced --------------------------------------------------------------------------


def test_directories_another_host_made_first_are_accepted(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    result = file_task(
        lambda: os.makedirs(target), path=str(target), state="directory", mode="0750"
    )
    assert not result["changed"] and result["state"] == "directory"
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o755  # left as the other host made it
    partly = tmp_path / "p" / "q" / "r"
    result = file_task(
        lambda: (tmp_path / "p").mkdir(), path=str(partly), state="directory", mode="0750"
    )
    assert result["changed"] and result["mode"] == "0750"
    assert [(tmp_path / rel).stat().st_mode & 0o777 for rel in ("p", "p/q", "p/q/r")] == [
        0o755,
        0o750,
        0o750,
    ]  # the attributes go to what this host made


def test_a_non_directory_in_the_way_still_fails_with_the_reason(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    with pytest.raises(ModuleError, match=r"cannot create directory .*/a/b.*File exists"):
        file_task(
            lambda: (tmp_path / "a").mkdir() or (tmp_path / "a/b").write_text(""),
            path=str(target),
            state="directory",
        )
    assert (tmp_path / "a" / "b").is_file()


def test_a_symlink_another_host_made_first_is_kept_not_nested(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    link = tmp_path / "link"
    result = file_task(lambda: os.symlink("dir", link), path=str(link), state="link", src="dir")
    assert not result["changed"] and os.readlink(link) == "dir"
    assert os.listdir(tmp_path / "dir") == []  # `ln -s dir link` would have made dir/dir
    other = tmp_path / "other"
    with pytest.raises(ModuleError, match="File exists"):  # a different link: a conflict
        file_task(lambda: os.symlink("elsewhere", other), path=str(other), state="link", src="dir")
    assert os.readlink(other) == "elsewhere"


def test_replacing_a_link_another_host_already_replaced(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    link = tmp_path / "current"
    os.symlink("old", link)

    def other_host() -> None:
        os.symlink("new", tmp_path / "tmp-link")
        os.replace(tmp_path / "tmp-link", link)

    result = file_task(other_host, path=str(link), state="link", src="new", force=True)
    assert not result["changed"] and os.readlink(link) == "new"
    assert sorted(os.listdir(tmp_path)) == ["current", "new"]  # no temp link left


def test_hard_link_and_removal_another_host_did_first(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_text("x")
    hard = tmp_path / "hard"
    result = file_task(lambda: os.link(src, hard), path=str(hard), state="hard", src=str(src))
    assert not result["changed"] and hard.stat().st_ino == src.stat().st_ino
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    result = file_task(lambda: shutil.rmtree(tree), path=str(tree), state="absent")
    assert not result["changed"] and not tree.exists()


def test_a_write_never_lands_inside_a_directory_that_appeared(tmp_path: Path) -> None:
    dest = tmp_path / "f"
    ctx = Ctx("mv -fT", lambda: dest.mkdir())
    with pytest.raises(ModuleError, match="cannot write .*directory"):
        run(Copy, ctx, content="data\n", dest=str(dest))
    assert dest.is_dir() and os.listdir(dest) == []  # `mv -f` would have moved the temp in
    assert sorted(os.listdir(tmp_path)) == ["f"]  # and no temp file is left beside it


def test_a_file_another_host_wrote_first_is_replaced_atomically(tmp_path: Path) -> None:
    dest = tmp_path / "f"
    ctx = Ctx("mv -fT", lambda: dest.write_text("data\n"))
    assert run(Copy, ctx, content="data\n", dest=str(dest))["changed"]
    assert dest.read_text() == "data\n" and sorted(os.listdir(tmp_path)) == ["f"]


def test_backups_made_in_the_same_second_have_their_own_names(tmp_path: Path) -> None:
    dest, src = tmp_path / "f", tmp_path / "src"
    for round_ in range(3):
        dest.write_text(f"old {round_}\n")
        src.write_text(f"new {round_}\n")
        assert run(Copy, Ctx("-"), content=f"new {round_}\n", dest=str(dest), backup=True)[
            "backup_file"
        ]
        dest.write_text(f"old again {round_}\n")
        assert run(Copy, Ctx("-"), src=str(src), remote_src=True, dest=str(dest), backup=True)[
            "backup_file"
        ]
    backups = sorted(p.read_text() for p in tmp_path.glob("f.*.pbe~"))
    assert len(backups) == 6 and len(set(backups)) == 6


# -- many hosts at once -------------------------------------------------------------------------

HOSTS = 20
BOOK = """
- hosts: all
  gather_facts: false
  vars:
    root: {root}
  tasks:
    - name: nested directory
      file: {{path: "{{{{ root }}}}/a/b/c", state: directory, mode: "0750"}}
    - name: symlink
      file: {{path: "{{{{ root }}}}/link", state: link, src: a/b}}
    - name: file
      copy: {{dest: "{{{{ root }}}}/a/b/c/f.txt", content: "same\\n", mode: "0640"}}
    - name: hard link
      file: {{path: "{{{{ root }}}}/hard", state: hard, src: "{{{{ root }}}}/a/b/c/f.txt"}}
    - name: into a new directory
      copy: {{dest: "{{{{ root }}}}/x/y/", src: "{{{{ root }}}}/a/b/c/f.txt"}}
    - name: edit
      lineinfile: {{path: "{{{{ root }}}}/l/m/conf", line: "key=1", create: true}}
    - name: remove
      file: {{path: "{{{{ root }}}}/x", state: absent}}
"""


def race(book: Path) -> dict[str, Counter[str]]:
    inventory = {
        "all": {
            "hosts": {f"h{i:02d}": None for i in range(HOSTS)},
            "vars": {"ansible_connection": "local"},
        }
    }
    result = pbe.run(book, inventory, forks=HOSTS)
    counts: dict[str, Counter[str]] = {}
    for res in result.results:
        counts.setdefault(res.task_name, Counter())[res.status] += 1
        assert res.status in ("ok", "changed"), (res.task_name, res.host, res.result)
    assert result.exit_code == 0
    return counts


@pytest.mark.parametrize("round_", range(3))
def test_many_local_hosts_change_one_shared_tree_at_once(tmp_path: Path, round_: int) -> None:
    root = tmp_path / "shared"
    book = tmp_path / "site.yml"
    book.write_text(BOOK.format(root=root))
    counts = race(book)
    assert all(sum(c.values()) == HOSTS for c in counts.values())
    # exactly one host creates each link and hard link; the others find it done. A host
    # reports the directories changed when they were missing at its probe (as Ansible's
    # check-then-create would), however many hosts probed before the first mkdir.
    assert counts["nested directory"]["changed"] >= 1
    assert counts["symlink"]["changed"] == counts["hard link"]["changed"] == 1
    assert counts["file"]["changed"] >= 1 and counts["remove"]["changed"] >= 1
    assert [(root / rel).stat().st_mode & 0o777 for rel in ("a", "a/b", "a/b/c")] == [0o750] * 3
    assert os.readlink(root / "link") == "a/b"
    assert (root / "hard").stat().st_ino == (root / "a/b/c/f.txt").stat().st_ino
    assert (root / "a/b/c/f.txt").read_text() == "same\n"
    assert (root / "l/m/conf").read_text() == "key=1\n" and not (root / "x").exists()
    assert sorted(p.name for p in root.rglob("*") if ".pbe-" in p.name) == []
    if round_:
        return
    again = race(book)  # the shared tree is as wanted: nobody changes it, but `x` again
    assert {task: c["changed"] for task, c in again.items() if c["changed"]} == {
        "into a new directory": again["into a new directory"]["changed"],
        "remove": again["remove"]["changed"],
    }
