"""copy, template and fetch against the real sshd fleet: remote state, check-vs-run parity,
diffs, odd names, become, large and binary files, and a connection dropped mid-copy."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from parity import assert_check_predicts_run, own, pbe, pbe_json, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet

MB = 1 << 20
ODD_NAMES = ["with space", 'it\'s "quoted"', "$(echo x)", "`echo y`", "new\nline", "-dash"]


def play(tasks: str, hosts: str = "fleet") -> str:
    return f"- hosts: {hosts}\n  gather_facts: false\n  tasks:\n{tasks}"


def results(doc: dict[str, Any], task: int, play_index: int = 0) -> dict[str, dict[str, Any]]:
    """host -> {status, result} of one task of a JSON run document."""
    return dict(doc["plays"][play_index]["tasks"][task]["hosts"])


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def mode_of(path: Path) -> str:
    return format(path.stat().st_mode & 0o7777, "04o")


@pytest.fixture
def dirs_var(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    return "@" + str(
        write(
            tmp_path / "dirs.json", json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}})
        )
    )


# -- copy ----------------------------------------------------------------------------------


def test_copy_content_src_and_directory_dests(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "files" / "app.conf", "port = 80\n")
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: content
      copy:
        content: "hello {{ inventory_hostname }}\\n"
        dest: "{{ dirs[inventory_hostname] }}/hello.txt"
        mode: "0640"
    - name: src into an existing directory
      copy:
        src: app.conf
        dest: "{{ dirs[inventory_hostname] }}"
    - name: dest ending in / is created
      copy:
        src: app.conf
        dest: "{{ dirs[inventory_hostname] }}/etc/app/"
    - name: then a file in it, seen by the check run
      copy:
        content: "x"
        dest: "{{ dirs[inventory_hostname] }}/etc/app/x"
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for host, path in host_dirs.items():
        assert (path / "hello.txt").read_text() == f"hello {host}\n"
        assert mode_of(path / "hello.txt") == "0640"
        assert (path / "app.conf").read_text() == "port = 80\n"
        assert (path / "etc" / "app" / "app.conf").read_text() == "port = 80\n"
        assert (path / "etc" / "app" / "x").read_bytes() == b"x"
    res = results(doc, 1)["h02"]["result"]
    assert res["dest"] == str(host_dirs["h02"] / "app.conf")
    assert res["checksum"] == sha1(b"port = 80\n") and res["size"] == 10
    assert res["src"] == "app.conf" and res["owner"] == "pbetest"


def test_copy_unchanged_costs_one_round_trip(
    fleet: Fleet,
    fleet_inventory: Path,
    host_dirs: dict[str, Path],
    dirs_var: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - copy:
        content: "same\\n"
        dest: "{{ dirs[inventory_hostname] }}/f"
        mode: "0644"
""",
            hosts="h01",
        ),
    )
    for path in host_dirs.values():
        write(path / "f", "same\n").chmod(0o644)
    from playbook_engine.transport.ssh import SSHConnection

    calls: list[str] = []
    real_run = SSHConnection.run

    def counting(self: SSHConnection, command: str, **kw: Any) -> Any:
        calls.append(command)
        return real_run(self, command, **kw)

    monkeypatch.setattr(SSHConnection, "run", counting)
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    assert results(doc, 0)["h01"]["status"] == "ok"
    assert len(calls) == 1, calls


def test_copy_directory_tree(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    tree = tmp_path / "files" / "tree"
    write(tree / "a.txt", "a\n")
    write(tree / "sub" / "b.txt", "b\n")
    write(tree / "sub" / "deeper" / "c.bin", b"\x00\x01\x02")
    (tree / "empty").mkdir()
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: the directory itself
      copy:
        src: tree
        dest: "{{ dirs[inventory_hostname] }}/one"
        directory_mode: "0750"
        mode: "0600"
    - name: its contents only
      copy:
        src: tree/
        dest: "{{ dirs[inventory_hostname] }}/two"
"""),
    )
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for path in host_dirs.values():
        one, two = path / "one" / "tree", path / "two"
        for base in (one, two):
            assert (base / "a.txt").read_text() == "a\n"
            assert (base / "sub" / "b.txt").read_text() == "b\n"
            assert (base / "sub" / "deeper" / "c.bin").read_bytes() == b"\x00\x01\x02"
            assert (base / "empty").is_dir()
        assert mode_of(one / "sub") == "0750" and mode_of(one / "sub" / "b.txt") == "0600"
        assert not (two / "tree").exists()
    (host_dirs["h03"] / "two" / "sub" / "b.txt").write_text("changed\n")
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert code == 0
    second = results(doc, 1)
    assert [h for h, r in second.items() if r["status"] == "changed"] == ["h03"]
    diff = second["h03"]["result"]["diff"]
    assert diff[0]["before"] == "changed\n" and diff[0]["after"] == "b\n"
    assert (host_dirs["h03"] / "two" / "sub" / "b.txt").read_text() == "b\n"


def test_remote_src_and_mode_preserve(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    script = write(tmp_path / "files" / "run.sh", "#!/bin/sh\necho hi\n")
    script.chmod(0o750)
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: preserve the controller file's mode
      copy:
        src: run.sh
        dest: "{{ dirs[inventory_hostname] }}/run.sh"
        mode: preserve
    - name: copy it on the host (the check run sees the file the task above would write)
      copy:
        src: "{{ dirs[inventory_hostname] }}/run.sh"
        remote_src: true
        dest: "{{ dirs[inventory_hostname] }}/copy.sh"
        mode: preserve
    - name: remote_src into a directory
      copy:
        src: "{{ dirs[inventory_hostname] }}/run.sh"
        remote_src: true
        dest: "{{ dirs[inventory_hostname] }}/bin/"
        mode: "u=rwx,go="
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for path in host_dirs.values():
        assert (path / "copy.sh").read_text() == "#!/bin/sh\necho hi\n"
        assert mode_of(path / "run.sh") == "0750" and mode_of(path / "copy.sh") == "0750"
        assert mode_of(path / "bin" / "run.sh") == "0700"
    assert results(doc, 1)["h01"]["result"]["mode"] == "0750"


def test_remote_src_missing_fails(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - copy:
        src: "{{ dirs[inventory_hostname] }}/nope"
        remote_src: true
        dest: "{{ dirs[inventory_hostname] }}/x"
""",
            hosts="h01",
        ),
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 2
    assert "not found" in results(doc, 0)["h01"]["result"]["msg"]


def test_backup_and_force_false(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        write(path / "conf", "old\n")
        write(path / "kept", "mine\n")
        own(path / "conf", path / "kept")
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: replace with a backup
      copy:
        content: "new\\n"
        dest: "{{ dirs[inventory_hostname] }}/conf"
        backup: true
      register: replaced
    - name: force false leaves an existing file alone
      copy:
        content: "theirs\\n"
        dest: "{{ dirs[inventory_hostname] }}/kept"
        force: false
    - name: force false creates a missing one
      copy:
        content: "created\\n"
        dest: "{{ dirs[inventory_hostname] }}/fresh"
        force: false
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for host, path in host_dirs.items():
        assert (path / "conf").read_text() == "new\n"
        assert (path / "kept").read_text() == "mine\n"
        assert (path / "fresh").read_text() == "created\n"
        backup = Path(results(doc, 0)[host]["result"]["backup_file"])
        assert backup.parent == path and backup.name.startswith("conf.")
        assert backup.read_text() == "old\n"
    statuses = {r["status"] for r in results(doc, 1).values()}
    assert statuses == {"ok"}


def test_symbolic_mode_changes_attributes_only(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        write(path / "f", "same\n").chmod(0o644)
        own(path / "f")
    inodes = {h: (p / "f").stat().st_ino for h, p in host_dirs.items()}
    book = write(
        tmp_path / "site.yml",
        play("""
    - copy:
        content: "same\\n"
        dest: "{{ dirs[inventory_hostname] }}/f"
        mode: "u+x,g-r,o="
"""),
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff")
    assert code == 0
    diff = results(doc, 0)["h01"]["result"]["diff"]
    assert diff["before"] == {"mode": "0644"} and diff["after"] == {"mode": "0700"}
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for host, path in host_dirs.items():
        assert mode_of(path / "f") == "0700"
        assert (path / "f").stat().st_ino == inodes[host], "content was rewritten"


def test_owner_and_group_with_become(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        write(path / "same", "x\n")
        os.chown(path / "same", 0, 0)
        (path / "locked").mkdir(mode=0o755)
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: a root-owned file through sudo
      become: true
      copy:
        content: "secret\\n"
        dest: "{{ dirs[inventory_hostname] }}/root-only"
        owner: root
        group: root
        mode: "0600"
    - name: hand an existing root file to pbetest, content unchanged
      become: true
      copy:
        content: "x\\n"
        dest: "{{ dirs[inventory_hostname] }}/same"
        owner: pbetest
    - name: into a root-only directory, symbolic mode on a new file
      become: true
      copy:
        content: "in locked\\n"
        dest: "{{ dirs[inventory_hostname] }}/locked/"
        mode: "g+w"
      ignore_errors: true
    - name: a file into it
      become: true
      copy:
        src: "{{ dirs[inventory_hostname] }}/same"
        remote_src: true
        dest: "{{ dirs[inventory_hostname] }}/locked/"
        mode: "g+w"
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    pbetest = pwd.getpwnam("pbetest")
    for path in host_dirs.values():
        st = (path / "root-only").stat()
        assert (st.st_uid, st.st_gid, mode_of(path / "root-only")) == (0, 0, "0600")
        assert (path / "root-only").read_text() == "secret\n"
        same = (path / "same").stat()
        assert (same.st_uid, same.st_gid) == (pbetest.pw_uid, 0), "group must be kept"
        locked = path / "locked" / "same"
        assert locked.read_text() == "x\n" and locked.stat().st_uid == 0
        assert mode_of(locked) == "0664"  # 0666 & ~022 (sudo's umask), then g+w
    assert results(doc, 0)["h01"]["result"]["owner"] == "root"
    assert "can not use content with a dir as dest" in results(doc, 2)["h01"]["result"]["msg"]


def test_missing_dir_and_permission_denied_fail_clearly(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        locked = path / "locked"
        locked.mkdir(mode=0o755)  # created by root: pbetest may not write in it
        write(path / "rootfile", "r\n").chmod(0o644)  # root's, in pbetest's directory
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - name: missing directory
      copy:
        content: "x"
        dest: "{{ dirs[inventory_hostname] }}/no/such/dir/f"
      ignore_errors: true
    - name: root-owned directory
      copy:
        content: "x"
        dest: "{{ dirs[inventory_hostname] }}/locked/f"
      ignore_errors: true
    - name: under /root
      copy:
        content: "x"
        dest: /root/pbe-copy-test
      ignore_errors: true
    - name: chmod of root's file
      copy:
        content: "r\\n"
        dest: "{{ dirs[inventory_hostname] }}/rootfile"
        mode: "0600"
      ignore_errors: true
    - name: give a file away without become
      copy:
        content: "y"
        dest: "{{ dirs[inventory_hostname] }}/given"
        owner: root
      ignore_errors: true
""",
            hosts="h01,h02",
        ),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    first, second, third, fourth, fifth = (results(doc, i)["h01"] for i in range(5))
    assert first["status"] == "failed"
    assert "Destination directory" in first["result"]["msg"]
    assert "does not exist" in first["result"]["msg"]
    assert "not writable" in second["result"]["msg"]
    assert "not writable" in third["result"]["msg"]
    assert "Operation not permitted" in fourth["result"].get("msg", ""), fourth
    assert fifth["status"] == "failed" and "root" in fifth["result"]["msg"]
    assert not Path("/root/pbe-copy-test").exists()
    assert mode_of(host_dirs["h01"] / "rootfile") == "0644"
    assert not (host_dirs["h01"] / "given").exists()
    assert list((host_dirs["h01"] / "locked").iterdir()) == []


def test_odd_file_names(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "names.json", json.dumps({"names": ODD_NAMES}))
    for name in ODD_NAMES:
        write(tmp_path / "files" / name, f"file {name}\n")
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - name: content to odd names
      copy:
        content: "{{ item }}"
        dest: "{{ dirs[inventory_hostname] }}/c{{ item }}"
        mode: "0600"
        backup: true
      loop: "{{ names }}"
    - name: odd source names into a directory
      copy:
        src: "{{ item }}"
        dest: "{{ dirs[inventory_hostname] }}/"
      loop: "{{ names }}"
""",
            hosts="h01,h02",
        ),
    )
    extra = ("-e", dirs_var, "-e", f"@{tmp_path / 'names.json'}")
    assert_check_predicts_run(fleet, book, fleet_inventory, list(host_dirs.values()), *extra)
    for name in ODD_NAMES:
        path = host_dirs["h01"]
        assert (path / f"c{name}").read_text() == name
        assert (path / name).read_text() == f"file {name}\n"
    home = Path(pwd.getpwnam("pbetest").pw_dir)
    assert not (home / "x").exists() and not (home / "y").exists()
    assert sorted(os.listdir(host_dirs["h01"])) == sorted([f"c{n}" for n in ODD_NAMES] + ODD_NAMES)


def test_dest_symlink_replaced_or_followed(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        write(path / "target1", "t1\n")
        write(path / "target2", "t2\n")
        (path / "link1").symlink_to("target1")
        (path / "link2").symlink_to("target2")
        own(path / "target1", path / "target2", path / "link1", path / "link2")
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: follow false replaces the link
      copy:
        content: "new1\\n"
        dest: "{{ dirs[inventory_hostname] }}/link1"
    - name: follow true writes the target
      copy:
        content: "new2\\n"
        dest: "{{ dirs[inventory_hostname] }}/link2"
        follow: true
"""),
    )
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for path in host_dirs.values():
        assert not (path / "link1").is_symlink() and (path / "link1").read_text() == "new1\n"
        assert (path / "target1").read_text() == "t1\n"
        assert (path / "link2").is_symlink() and (path / "target2").read_text() == "new2\n"


def test_non_utf8_crlf_empty_and_no_trailing_newline(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    blobs = {
        "crlf": b"one\r\ntwo\r\n",
        "latin1": b"caf\xe9\nna\xefve",
        "empty": b"",
        "nonl": b"no newline at end",
        "bin": b"\x00\xff\x00binary",
    }
    for name, data in blobs.items():
        write(tmp_path / "files" / name, data)
        for path in host_dirs.values():
            own(write(path / name, b"old\n"))
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - copy:
        src: "{{ item }}"
        dest: "{{ dirs[inventory_hostname] }}/{{ item }}"
      loop: [crlf, latin1, empty, nonl, bin]
""",
            hosts="h01,h02",
        ),
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff")
    assert code == 0
    items = {r["item"]: r for r in results(doc, 0)["h01"]["result"]["results"]}
    assert items["crlf"]["diff"][0]["after"] == "one\r\ntwo\r\n"
    assert items["latin1"]["diff"][0]["after"] == "caf\ufffd\nna\ufffdve"
    assert items["empty"]["diff"][0]["after"] == "" and items["empty"]["changed"]
    assert items["bin"]["diff"][0]["src_binary"] == 1
    assert "binary" in items["bin"]["diff"][0]["after"]
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for name, data in blobs.items():
        assert (host_dirs["h02"] / name).read_bytes() == data


def test_diff_output_human_and_json(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        own(write(path / "motd", "line one\nline two\n"))
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - copy:
        content: "line one\\nline 2\\n"
        dest: "{{ dirs[inventory_hostname] }}/motd"
""",
            hosts="h01",
        ),
    )
    code, out, err = pbe(fleet, book, fleet_inventory, "-e", dirs_var, "--check", "--diff")
    assert code == 0, out + err
    dest = host_dirs["h01"] / "motd"
    assert f"--- before: {dest}" in out
    assert f"+++ after: {dest}" in out
    assert "-line two" in out and "+line 2" in out
    assert dest.read_text() == "line one\nline two\n"
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    diff = results(doc, 0)["h01"]["result"]["diff"]
    assert diff == [
        {
            "before": "line one\nline two\n",
            "after": "line one\nline 2\n",
            "before_header": str(dest),
            "after_header": str(dest),
        }
    ]
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert "diff" not in results(doc, 0)["h01"]["result"]


def test_copy_into_directory_an_earlier_task_creates(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "templates" / "app.j2", "name={{ inventory_hostname }}\n")
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: the directory
      file:
        path: "{{ dirs[inventory_hostname] }}/conf.d"
        state: directory
        mode: "0755"
    - name: a file in it
      copy:
        content: "a=1\\n"
        dest: "{{ dirs[inventory_hostname] }}/conf.d/a.conf"
    - name: a template in it
      template:
        src: app.j2
        dest: "{{ dirs[inventory_hostname] }}/conf.d/app.conf"
    - name: copy of that file on the host
      copy:
        src: "{{ dirs[inventory_hostname] }}/conf.d/a.conf"
        remote_src: true
        dest: "{{ dirs[inventory_hostname] }}/conf.d/b.conf"
        force: false
    - name: edit the copy (planned against the predicted content)
      lineinfile:
        path: "{{ dirs[inventory_hostname] }}/conf.d/b.conf"
        line: "b=2"
    - name: copying the same content again changes nothing
      copy:
        content: "a=1\\n"
        dest: "{{ dirs[inventory_hostname] }}/conf.d/a.conf"
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for host, path in host_dirs.items():
        assert (path / "conf.d" / "app.conf").read_text() == f"name={host}\n"
        assert (path / "conf.d" / "b.conf").read_text() == "a=1\nb=2\n"
    assert all(r["status"] == "changed" for r in results(doc, 1).values())
    assert all(r["status"] == "ok" for r in results(doc, 5).values())


# -- template ------------------------------------------------------------------------------


def test_template_with_host_vars_and_loops(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(
        tmp_path / "templates" / "hosts.j2",
        """# {{ inventory_hostname }}
{% for name in peers %}
{% if name != inventory_hostname %}
peer {{ name }}
{% endif %}
{% endfor %}
port={{ port }}
""",
    )
    write(tmp_path / "templates" / "item.j2", "{{ item.key }}={{ item.value }}\n")
    write(tmp_path / "vars.json", json.dumps({"peers": ["h01", "h02", "h03"], "port": 8080}))
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: render with host vars
      template:
        src: hosts.j2
        dest: "{{ dirs[inventory_hostname] }}/peers.conf"
        mode: "0644"
    - name: one file per item
      template:
        src: item.j2
        dest: "{{ dirs[inventory_hostname] }}/{{ item.key }}.conf"
      loop: "{{ {'alpha': 1, 'beta': inventory_hostname} | dict2items }}"
    - name: CRLF line endings
      template:
        src: hosts.j2
        dest: "{{ dirs[inventory_hostname] }}/peers.crlf"
        newline_sequence: '\\r\\n'
"""),
    )
    extra = ("-e", dirs_var, "-e", f"@{tmp_path / 'vars.json'}")
    assert_check_predicts_run(fleet, book, fleet_inventory, list(host_dirs.values()), *extra)
    expected = "# h02\npeer h01\npeer h03\nport=8080\n"
    assert (host_dirs["h02"] / "peers.conf").read_text() == expected
    assert (host_dirs["h02"] / "peers.crlf").read_bytes() == expected.replace("\n", "\r\n").encode()
    assert (host_dirs["h04"] / "alpha.conf").read_text() == "alpha=1\n"
    assert (host_dirs["h04"] / "beta.conf").read_text() == "beta=h04\n"


def test_template_undefined_variable_names_it_and_the_file(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "templates" / "broken.j2", "ok\nvalue={{ no_such_var }}\n")
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - template:
        src: broken.j2
        dest: "{{ dirs[inventory_hostname] }}/broken"
""",
            hosts="h01",
        ),
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 2
    res = results(doc, 0)["h01"]
    assert res["status"] == "failed"
    assert "no_such_var" in res["result"]["msg"] and "broken.j2" in res["result"]["msg"]
    assert not (host_dirs["h01"] / "broken").exists()


def test_template_into_directory_and_content_into_directory(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(
        tmp_path / "templates" / "motd.j2",
        "{% if true %}\n  Welcome to {{ inventory_hostname }}\n{% endif %}\n",
    )
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - name: template into a directory keeps the source name
      template:
        src: motd.j2
        dest: "{{ dirs[inventory_hostname] }}"
        lstrip_blocks: true
    - name: content cannot go into a directory
      copy:
        content: "x"
        dest: "{{ dirs[inventory_hostname] }}/"
      ignore_errors: true
""",
            hosts="h01,h02",
        ),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    assert (host_dirs["h02"] / "motd.j2").read_text() == "  Welcome to h02\n"
    assert "can not use content with a dir as dest" in results(doc, 1)["h01"]["result"]["msg"]


# -- fetch ---------------------------------------------------------------------------------


def test_fetch_flat_and_per_host(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    local = tmp_path / "fetched"
    local.mkdir()
    for host, path in host_dirs.items():
        own(write(path / "report.txt", f"report of {host}\n"))
    book = write(
        tmp_path / "site.yml",
        play(f"""
    - name: per host tree
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/report.txt"
        dest: {local}/tree
    - name: flat file
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/report.txt"
        dest: "{local}/flat-{{{{ inventory_hostname }}}}.txt"
        flat: true
    - name: flat into a directory
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/report.txt"
        dest: "{local}/by-dir/{{{{ inventory_hostname }}}}/"
        flat: true
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, [*host_dirs.values(), local], "-e", dirs_var
    )
    for host, path in host_dirs.items():
        text = f"report of {host}\n"
        assert (local / "tree" / host / str(path).lstrip("/") / "report.txt").read_text() == text
        assert (local / f"flat-{host}.txt").read_text() == text
        assert (local / "by-dir" / host / "report.txt").read_text() == text
    res = results(doc, 1)["h01"]["result"]
    assert res["checksum"] == sha1(b"report of h01\n") and res["dest"] == str(
        local / "flat-h01.txt"
    )
    write(host_dirs["h05"] / "report.txt", "newer\n")
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert [h for h, r in results(doc, 1).items() if r["status"] == "changed"] == ["h05"]
    assert (local / "flat-h05.txt").read_text() == "newer\n"


def test_fetch_missing_and_become(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        secret = write(path / "secret", "root only\n")
        os.chown(secret, 0, 0)
        secret.chmod(0o600)
    local = tmp_path / "got"
    book = write(
        tmp_path / "site.yml",
        play(
            f"""
    - name: missing, tolerated
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/nope"
        dest: {local}/
        fail_on_missing: false
    - name: unreadable without become
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/secret"
        dest: {local}/plain-{{{{ inventory_hostname }}}}
        flat: true
      ignore_errors: true
    - name: readable with become
      become: true
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/secret"
        dest: {local}/sudo-{{{{ inventory_hostname }}}}
        flat: true
    - name: missing, failing
      fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/nope"
        dest: {local}/
""",
            hosts="h01,h02",
        ),
    )
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 2
    assert results(doc, 0)["h01"]["status"] == "ok"
    assert "permission denied" in results(doc, 1)["h01"]["result"]["msg"]
    assert results(doc, 2)["h01"]["status"] == "changed"
    assert (local / "sudo-h01").read_text() == "root only\n"
    assert "does not exist" in results(doc, 3)["h02"]["result"]["msg"]


def test_fetch_relative_dest_is_beside_the_playbook(
    fleet: Fleet,
    fleet_inventory: Path,
    host_dirs: dict[str, Path],
    dirs_var: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own(write(host_dirs["h03"] / "data", "d\n"))
    monkeypatch.chdir(host_dirs["h01"].parent)
    book = write(
        tmp_path / "play" / "site.yml",
        play(
            """
    - fetch:
        src: "{{ dirs[inventory_hostname] }}/data"
        dest: collected
""",
            hosts="h03",
        ),
    )
    code, _, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    local = tmp_path / "play" / "collected" / "h03" / str(host_dirs["h03"]).lstrip("/")
    assert (local / "data").read_text() == "d\n"


# -- large files, dropped connections ------------------------------------------------------


def test_fifty_megabyte_binary_round_trip(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    data = os.urandom(50 * MB)
    write(tmp_path / "files" / "blob.bin", data)
    back = tmp_path / "back"
    book = write(
        tmp_path / "site.yml",
        play(
            f"""
    - copy:
        src: blob.bin
        dest: "{{{{ dirs[inventory_hostname] }}}}/blob.bin"
    - fetch:
        src: "{{{{ dirs[inventory_hostname] }}}}/blob.bin"
        dest: {back}/
        flat: true
""",
            hosts="h01",
        ),
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var, "--diff")
    assert code == 0, err
    assert (host_dirs["h01"] / "blob.bin").read_bytes() == data
    assert (back / "blob.bin").read_bytes() == data
    first = results(doc, 0)["h01"]["result"]
    assert first["checksum"] == sha1(data) and first["diff"][0]["src_larger"] == MB
    code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0 and doc["stats"]["h01"]["changed"] == 0


def test_copy_is_atomic_when_the_connection_drops(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    write(tmp_path / "files" / "big.bin", os.urandom(64 * MB))
    dest_dir = host_dirs["h04"]
    old = os.urandom(MB)
    own(write(dest_dir / "big.bin", old))
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - copy:
        src: big.bin
        dest: "{{ dirs[inventory_hostname] }}/big.bin"
""",
            hosts="h04",
        ),
    )
    killed: list[int] = []
    stop = threading.Event()

    def killer() -> None:
        temp = re.compile(r"^\.big\.bin\.pbe-.*\.tmp$")
        while not stop.is_set():
            if any(temp.match(name) for name in os.listdir(dest_dir)):
                killed.append(fleet.kill_sessions("h04"))
                return
            time.sleep(0.001)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        code, doc, _ = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    finally:
        stop.set()
        thread.join()
    assert killed and killed[0] > 0, "the transfer finished before the kill"
    assert code in (2, 3)
    assert results(doc, 0)["h04"]["status"] in ("unreachable", "failed")
    assert (dest_dir / "big.bin").read_bytes() == old
