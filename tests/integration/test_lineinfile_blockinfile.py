"""lineinfile and blockinfile against the real sshd fleet: check-vs-run parity (above all a
check run that plans against a file an earlier task would create), --diff output, CRLF,
missing final newlines, non-UTF-8 bytes, empty files, odd names, symlinks, permissions,
become and backups."""

from __future__ import annotations

import json
import os
import pwd
import shutil
from pathlib import Path
from typing import Any

import pytest
from parity import assert_check_predicts_run, changed_map, own, pbe, pbe_json, snapshot, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

ODD_NAMES = ["with space", 'it\'s "quoted"', "$(echo x)", "`echo y`", "new\nline", "-dash"]
BLOCK = "# BEGIN ANSIBLE MANAGED BLOCK\n{}# END ANSIBLE MANAGED BLOCK\n"


def play(tasks: str, hosts: str = "fleet", become: bool = False) -> str:
    """A play of ``tasks``, where ``"{{ d }}`` stands for the host's own directory."""
    extra = "  become: true\n" if become else ""
    tasks = tasks.replace('"{{ d }}', '"{{ dirs[inventory_hostname] }}')
    return f"- hosts: {hosts}\n  gather_facts: false\n{extra}  tasks:\n{tasks}"


def results(doc: dict[str, Any], task: int) -> dict[str, dict[str, Any]]:
    """host -> {status, result} of one task of a JSON run document."""
    return dict(doc["plays"][0]["tasks"][task]["hosts"])


def statuses(doc: dict[str, Any], host: str) -> list[str]:
    return [
        task["hosts"][host]["status"] for task in doc["plays"][0]["tasks"] if host in task["hosts"]
    ]


def mode_of(path: Path) -> str:
    return format(path.stat().st_mode & 0o7777, "04o")


@pytest.fixture
def dirs_var(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    return "@" + str(
        write(
            tmp_path / "dirs.json", json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}})
        )
    )


# -- a check run that plans against what earlier tasks would do ----------------------------

CREATE_THEN_EDIT = """
    - name: create the file
      lineinfile: {path: "{{ d }}/app.conf", line: "# managed", create: true}
    - name: a line the prediction must hold
      lineinfile: {path: "{{ d }}/app.conf", regexp: "^port=", line: "port=8080"}
    - name: the same again (Ansible's check run fails here, the file does not exist yet)
      lineinfile: {path: "{{ d }}/app.conf", regexp: "^port=", line: "port=8080"}
    - name: a line before the one just added
      lineinfile: {path: "{{ d }}/app.conf", line: "listen=any", insertbefore: "^port="}
    - name: a block after the first line
      blockinfile: {path: "{{ d }}/app.conf", block: "x=1\\ny=2", insertafter: "^# managed"}
    - name: the same block again
      blockinfile: {path: "{{ d }}/app.conf", block: "x=1\\ny=2"}
    - name: backrefs that expand to what is there
      lineinfile: {path: "{{ d }}/app.conf", regexp: "^(port)=\\\\d+$", line: "\\\\1=8080",
                   backrefs: true}
    - name: nothing to remove
      lineinfile: {path: "{{ d }}/app.conf", regexp: "^nothing", state: absent}
    - name: the default mode of the new file, stated
      lineinfile: {path: "{{ d }}/app.conf", line: "port=8080", mode: "0644"}
    - name: create in directories that do not exist yet
      blockinfile: {path: "{{ d }}/new/deeper/b.conf", block: "k=v", create: true}
    - name: then a line in it
      lineinfile: {path: "{{ d }}/new/deeper/b.conf", line: "last", insertafter: EOF}
    - name: only the mode changes
      lineinfile: {path: "{{ d }}/new/deeper/b.conf", line: "last", mode: "0600"}
"""

# Each task changes what the one before it left, so a second run is not a no-op: this one
# checks the prediction only (check, then run, same statuses).
EVOLVING = """
    - lineinfile: {path: "{{ d }}/evolve", line: "a=1", create: true}
    - lineinfile: {path: "{{ d }}/evolve", regexp: "^a=", line: "a=2"}
    - lineinfile: {path: "{{ d }}/evolve", line: "# top", insertbefore: BOF}
    - blockinfile: {path: "{{ d }}/evolve", block: "x", insertafter: "^# top"}
    - blockinfile: {path: "{{ d }}/evolve", block: "y", marker: "# {mark} second"}
    - lineinfile: {path: "{{ d }}/evolve", regexp: "^(a)=2", line: "\\\\1=3", backrefs: true}
    - lineinfile: {path: "{{ d }}/evolve", regexp: "^# top", state: absent}
    - lineinfile: {path: "{{ d }}/evolve", line: "a=3"}
"""


def test_edits_of_a_file_an_earlier_task_creates_are_predicted(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    """Ansible's check run fails the second task ("Destination ... does not exist"); pbe
    plans every task against the file the earlier ones would leave, exactly."""
    book = write(tmp_path / "site.yml", play(CREATE_THEN_EDIT))
    code, check_doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check")
    assert code == 0, err
    assert statuses(check_doc, "h01") == [
        "changed",
        "changed",
        "ok",
        "changed",
        "changed",
        "ok",
        "ok",
        "ok",
        "ok",
        "changed",
        "changed",
        "changed",
    ]
    assert not (host_dirs["h01"] / "app.conf").exists()
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert results(doc, 9)["h02"]["result"]["msg"] == "File created"
    assert (
        results(doc, 11)["h02"]["result"]["msg"] == "ownership, perms or SE linux context changed"
    )
    for path in host_dirs.values():
        app = path / "app.conf"
        assert (
            app.read_text()
            == "# managed\n" + BLOCK.format("x=1\ny=2\n") + "listen=any\nport=8080\n"
        )
        assert mode_of(app) == "0644" and app.stat().st_uid == pwd.getpwnam("pbetest").pw_uid
        new = path / "new/deeper/b.conf"
        assert new.read_text() == BLOCK.format("k=v\n") + "last\n"
        assert mode_of(new) == "0600" and mode_of(new.parent) == "0755"


def test_each_edit_planned_on_the_previous_ones_prediction(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(tmp_path / "site.yml", play(EVOLVING))
    roots = list(host_dirs.values())
    before = snapshot(roots)
    code, check_doc, err = pbe_json(
        fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff"
    )
    assert code == 0, err
    assert snapshot(roots) == before
    code, real_doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert code == 0, err
    assert changed_map(check_doc) == changed_map(real_doc)
    assert statuses(real_doc, "h03") == ["changed"] * 7 + ["ok"]
    for index in range(7):  # the check run's diffs are the real run's, task by task
        assert (
            results(check_doc, index)["h03"]["result"]["diff"]
            == results(real_doc, index)["h03"]["result"]["diff"]
        )
    assert (host_dirs["h03"] / "evolve").read_text() == BLOCK.format(
        "x\n"
    ) + "a=3\n# BEGIN second\ny\n# END second\n"


def test_check_run_sees_a_line_removed_by_an_earlier_task(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        own(write(path / "hosts", "127.0.0.1 localhost\n10.0.0.1 old\n# end\n"))
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/hosts", regexp: "old$", state: absent}
    - lineinfile: {path: "{{ d }}/hosts", line: "10.0.0.2 new",
                   insertbefore: "old$"}
    - blockinfile: {path: "{{ d }}/hosts", state: absent}
"""),
    )
    expected = "127.0.0.1 localhost\n# end\n10.0.0.2 new\n"
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff")
    assert code == 0
    assert results(doc, 1)["h04"]["result"]["diff"]["after"] == expected
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert statuses(doc, "h04") == ["changed", "changed", "ok"]
    assert (host_dirs["h04"] / "hosts").read_text() == expected


# -- --diff ---------------------------------------------------------------------------------


def test_diff_output_human_and_json(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        own(write(path / "motd", "hello\nport=1\n"))
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - lineinfile: {path: "{{ d }}/motd", regexp: "^port=", line: port=2}
    - blockinfile: {path: "{{ d }}/motd", block: "x"}
    - lineinfile: {path: "{{ d }}/motd", line: hello, mode: "0600"}
""",
            hosts="h01",
        ),
    )
    dest = host_dirs["h01"] / "motd"
    code, out, err = pbe(fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff")
    assert code == 0, out + err
    assert f"--- before: {dest}" in out and f"+++ after: {dest}" in out
    assert "-port=1" in out and "+port=2" in out
    assert "+# BEGIN ANSIBLE MANAGED BLOCK" in out and "+x" in out
    assert "-mode: 0644" in out and "+mode: 0600" in out
    assert dest.read_text() == "hello\nport=1\n"
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert code == 0
    assert results(doc, 0)["h01"]["result"]["diff"] == {
        "before": "hello\nport=1\n",
        "after": "hello\nport=2\n",
        "before_header": str(dest),
        "after_header": str(dest),
    }
    block_diff = results(doc, 1)["h01"]["result"]["diff"]
    assert block_diff["before"] == "hello\nport=2\n"
    assert block_diff["after"] == "hello\nport=2\n" + BLOCK.format("x\n")
    assert results(doc, 2)["h01"]["result"]["diff"] == {
        "before": {"mode": "0644"},
        "after": {"mode": "0600"},
        "before_header": str(dest),
        "after_header": str(dest),
    }
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert all("diff" not in results(doc, i)["h01"]["result"] for i in range(3))


# -- content edge cases --------------------------------------------------------------------


def test_crlf_no_final_newline_non_utf8_and_empty_files(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        own(
            write(path / "crlf", b"[main]\r\nmode=slow\r\n"),
            write(path / "nonl", b"first\nsecond"),
            write(path / "latin1", b"caf\xe9=\xff\nname=old\n"),
            write(path / "empty", b""),
        )
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/crlf", regexp: "^mode=\\\\w+$", line: mode=fast}
    - lineinfile: {path: "{{ d }}/crlf", line: added}
    - blockinfile: {path: "{{ d }}/crlf", block: "k=v"}
    - lineinfile: {path: "{{ d }}/nonl", line: third}
    - lineinfile: {path: "{{ d }}/latin1", regexp: "^name=", line: name=new}
    - blockinfile: {path: "{{ d }}/latin1", block: "b"}
    - lineinfile: {path: "{{ d }}/empty", line: only}
    - blockinfile: {path: "{{ d }}/empty", block: "blk", insertbefore: BOF}
"""),
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff")
    assert code == 0
    assert results(doc, 4)["h01"]["result"]["diff"]["after"] == "caf\ufffd=\ufffd\nname=new\n"
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for path in host_dirs.values():
        assert (path / "crlf").read_bytes() == (
            b"[main]\r\nmode=fast\r\nadded\r\n# BEGIN ANSIBLE MANAGED BLOCK\r\nk=v\r\n"
            b"# END ANSIBLE MANAGED BLOCK\r\n"
        )
        assert (path / "nonl").read_bytes() == b"first\nsecond\nthird\n"
        assert (path / "latin1").read_bytes() == b"caf\xe9=\xff\nname=new\n" + BLOCK.format(
            "b\n"
        ).encode()
        assert (path / "empty").read_bytes() == BLOCK.format("blk\n").encode() + b"only\n"


def test_odd_file_names(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"names": ODD_NAMES}))
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/{{ item }}", line: "one", create: true}
      loop: "{{ names }}"
    - blockinfile: {path: "{{ d }}/{{ item }}", block: "two"}
      loop: "{{ names }}"
    - lineinfile: {path: "{{ d }}/{{ item }}", line: "never", state: absent}
      loop: "{{ names }}"
"""),
    )
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var, "-e", f"@{names}"
    )
    for path in host_dirs.values():
        assert sorted(p.name for p in path.iterdir()) == sorted(ODD_NAMES)
        for name in ODD_NAMES:
            assert (path / name).read_text() == "one\n" + BLOCK.format("two\n")
    home = Path(pwd.getpwnam("pbetest").pw_dir)
    assert not (home / "x").exists() and not (home / "y").exists()


def test_symlink_edits_its_target(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        own(write(path / "real.conf", "a=1\n"))
        (path / "link.conf").symlink_to("real.conf")
        own(path / "link.conf")
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/link.conf", regexp: "^a=", line: a=2}
    - blockinfile: {path: "{{ d }}/link.conf", block: "b"}
    - lineinfile: {path: "{{ d }}/real.conf", line: a=2}
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert statuses(doc, "h05") == ["changed", "changed", "ok"]
    for path in host_dirs.values():
        assert os.readlink(path / "link.conf") == "real.conf"
        assert (path / "real.conf").read_text() == "a=2\n" + BLOCK.format("b\n")


# -- failures, permissions, become, backups --------------------------------------------------


def test_missing_file_and_directory_fail_with_ansible_messages(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - lineinfile: {path: "{{ d }}/nope", line: x}
      ignore_errors: true
    - blockinfile: {path: "{{ d }}/nope", block: x}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}", line: x}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}/nope", line: x, state: absent}
""",
            hosts="h01",
        ),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    where = host_dirs["h01"]
    assert results(doc, 0)["h01"]["result"]["msg"] == f"Destination {where}/nope does not exist !"
    assert results(doc, 0)["h01"]["result"]["rc"] == 257
    assert results(doc, 1)["h01"]["result"]["msg"] == f"Path {where}/nope does not exist !"
    assert results(doc, 2)["h01"]["result"]["msg"] == f"Path {where} is a directory !"
    assert results(doc, 3)["h01"]["result"]["msg"] == "file not present"
    assert not (where / "nope").exists()


def root_owned(host_dirs: dict[str, Path]) -> None:
    """Per host: an unreadable root file, and a readable root file in a root-owned dir."""
    for path in host_dirs.values():
        secret = write(path / "secret", "token=1\n")
        secret.chmod(0o600)
        locked = path / "locked"
        write(locked / "app.conf", "a=1\n").chmod(0o644)
        locked.chmod(0o755)
        sticky = path / "sticky"  # like /tmp: anyone may add files, only owners replace them
        write(sticky / "theirs", "a=1\n").chmod(0o666)
        sticky.chmod(0o1777)


def test_permission_denied_is_a_clear_failure_predicted_by_check(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    root_owned(host_dirs)
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/secret", line: "token=2"}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}/locked/app.conf", line: "a=2"}
      ignore_errors: true
    - blockinfile: {path: "{{ d }}/locked/app.conf", block: "b"}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}/locked/app.conf", line: "a=1"}
    - lineinfile: {path: "{{ d }}/sticky/theirs", line: "a=2"}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}/sticky/mine", line: "a=2", create: true}
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert statuses(doc, "h02") == ["failed", "failed", "failed", "ok", "failed", "changed"]
    where = host_dirs["h02"]
    assert (
        results(doc, 0)["h02"]["result"]["msg"] == f"cannot read {where}/secret: Permission denied"
    )
    assert results(doc, 1)["h02"]["result"]["msg"] == (
        f"cannot write {where}/locked/app.conf: permission denied (this user may not "
        "replace files in its directory)"
    )
    assert (where / "locked/app.conf").read_text() == "a=1\n"
    assert sorted(p.name for p in (where / "locked").iterdir()) == ["app.conf"]
    assert (where / "sticky/theirs").read_text() == "a=1\n"
    assert (where / "sticky/mine").read_text() == "a=2\n"


def test_ownership_without_become_is_predicted(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    """Only root gives a file away; rewriting root's file in one's own directory makes it
    one's own. Both are predicted by the check run, the failure with the same message."""
    for path in host_dirs.values():
        own(write(path / "mine", "a=1\n"))
        write(path / "roots", "a=1\n")  # root's file in pbetest's directory
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/mine", line: "a=1", owner: root}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}/roots", line: "a=1", mode: "0600"}
      ignore_errors: true
    - lineinfile: {path: "{{ d }}/roots", line: "a=2"}
    - lineinfile: {path: "{{ d }}/roots", line: "a=2", owner: pbetest, mode: "0600"}
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert statuses(doc, "h01") == ["failed", "failed", "changed", "changed"]
    where = host_dirs["h01"]
    assert results(doc, 0)["h01"]["result"]["msg"] == (
        f"cannot change the owner of {where}/mine: Operation not permitted for this user "
        "(use become)"
    )
    assert results(doc, 3)["h01"]["result"]["msg"] == "ownership, perms or SE linux context changed"
    user = pwd.getpwnam("pbetest")
    for path in host_dirs.values():
        assert (path / "roots").read_text() == "a=1\na=2\n"
        assert (path / "roots").stat().st_uid == user.pw_uid and mode_of(path / "roots") == "0600"
        assert (path / "mine").stat().st_uid == user.pw_uid


def test_home_relative_path(fleet: Fleet, fleet_inventory: Path, tmp_path: Path) -> None:
    """``~/...`` is the login user's home, in the check run's prediction too."""
    where = Path(pwd.getpwnam("pbetest").pw_dir) / f"pbe-lineinfile-{os.getpid()}"
    book = write(
        tmp_path / "site.yml",
        play(
            f"""
    - lineinfile: {{path: "~/{where.name}/f.conf", line: "a=1", create: true}}
    - blockinfile: {{path: "~/{where.name}/f.conf", block: "b"}}
""",
            hosts="h01",
        ),
    )
    try:
        doc = assert_check_predicts_run(fleet, book, fleet_inventory, [where])
        assert statuses(doc, "h01") == ["changed", "changed"]
        assert (where / "f.conf").read_text() == "a=1\n" + BLOCK.format("b\n")
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_become_edits_root_owned_files(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    root_owned(host_dirs)
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - lineinfile: {path: "{{ d }}/secret", regexp: "^token=", line: "token=2"}
    - blockinfile: {path: "{{ d }}/locked/app.conf", block: "b"}
    - lineinfile: {path: "{{ d }}/locked/new", line: x, create: true}
    - lineinfile: {path: "{{ d }}/locked/new", line: y, owner: pbetest}
""",
            become=True,
        ),
    )
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for path in host_dirs.values():
        secret, conf, new = path / "secret", path / "locked/app.conf", path / "locked/new"
        assert secret.read_text() == "token=2\n"
        assert (secret.stat().st_uid, mode_of(secret)) == (0, "0600")
        assert conf.read_text() == "a=1\n" + BLOCK.format("b\n")
        assert (conf.stat().st_uid, mode_of(conf)) == (0, "0644")
        assert new.read_text() == "x\ny\n"
        assert new.stat().st_uid == pwd.getpwnam("pbetest").pw_uid


def test_backups(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        own(write(path / "app.conf", "a=1\n"), write(path / "block.conf", "b=1\n"))
    book = write(
        tmp_path / "site.yml",
        play("""
    - lineinfile: {path: "{{ d }}/app.conf", line: "a=2", regexp: "^a=",
                   backup: true}
    - blockinfile: {path: "{{ d }}/block.conf", block: "b", backup: true}
    - lineinfile: {path: "{{ d }}/fresh", line: "x", create: true,
                   backup: true}
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for host, path in host_dirs.items():
        line = results(doc, 0)[host]["result"]["backup"]
        block = results(doc, 1)[host]["result"]
        assert Path(line).read_text() == "a=1\n" and Path(line).parent == path
        assert Path(line).name.startswith("app.conf.")
        assert block["backup_file"] == block["backup"]
        assert Path(block["backup"]).read_text() == "b=1\n"
        assert results(doc, 2)[host]["result"]["backup"] == ""
        assert (path / "app.conf").read_text() == "a=2\n"
        assert (path / "block.conf").read_text() == "b=1\n" + BLOCK.format("b\n")
        assert len(list(path.glob("app.conf.*"))) == 1
        assert len(list(path.glob("block.conf.*"))) == 1
