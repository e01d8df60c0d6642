"""Arguments the file and command modules take as Ansible does, against the sshd fleet:
validate, backup, the SELinux parts (ignored: the fleet has no SELinux), copy's
local_follow, template's Jinja options, stat's mime type, command's word expansion. Each
changing playbook goes through the check-predicts-run parity helper."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from parity import assert_check_predicts_run, own, pbe_json, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def play(tasks: str, hosts: str = "fleet") -> str:
    return f"- hosts: {hosts}\n  gather_facts: false\n  tasks:\n{tasks}"


def results(doc: dict[str, Any], task: int) -> dict[str, dict[str, Any]]:
    return dict(doc["plays"][0]["tasks"][task]["hosts"])


@pytest.fixture
def dirs_var(host_dirs: dict[str, Path], tmp_path: Path) -> str:
    return "@" + str(
        write(
            tmp_path / "dirs.json", json.dumps({"dirs": {h: str(p) for h, p in host_dirs.items()}})
        )
    )


def test_validate_backup_and_selinux_parts_predicted_and_run(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    for path in host_dirs.values():
        write(path / "sudoers", "old\n")
        write(path / "lines", "a\n")
        own(path / "sudoers", path / "lines")
    write(
        tmp_path / "templates" / "site.j2",
        '#jinja2: variable_start_string: "[[", variable_end_string: "]]"\n'
        "name=[[ inventory_hostname ]] {{ literal }}\n[% if true %]\nport=[[ port ]]\n"
        "[% endif %]\n<# dropped #>\n",
    )
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: copy, validated, with a backup
      copy:
        content: "new\\n"
        dest: "{{ dirs[inventory_hostname] }}/sudoers"
        validate: grep -q new %s
        backup: true
        setype: etc_t
      register: copied
    - name: template with its own delimiters, validated
      template:
        src: site.j2
        dest: "{{ dirs[inventory_hostname] }}/site.conf"
        block_start_string: "[%"
        block_end_string: "%]"
        comment_start_string: "<#"
        comment_end_string: "#>"
        validate: "sh -c 'grep -q ^port=80$ $0' %s"
        seuser: _default
    - name: lineinfile, validated, with a backup
      lineinfile:
        path: "{{ dirs[inventory_hostname] }}/lines"
        line: b
        validate: grep -q b %s
        backup: true
        serole: object_r
      register: lined
    - name: blockinfile, validated
      blockinfile:
        path: "{{ dirs[inventory_hostname] }}/lines"
        block: c
        validate: grep -q c %s
        selevel: s0
    - name: a directory with an SELinux type, ignored without SELinux
      file:
        path: "{{ dirs[inventory_hostname] }}/d"
        state: directory
        setype: httpd_sys_content_t
    - name: mime type of what the check run predicts too
      stat:
        path: "{{ dirs[inventory_hostname] }}/site.conf"
      register: st
    - name: an unchanged file is not validated again
      copy:
        content: "new\\n"
        dest: "{{ dirs[inventory_hostname] }}/sudoers"
        validate: "this would fail: no percent s"
"""),
    )
    doc = assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var, "-e", "port=80"
    )
    for host, path in host_dirs.items():
        assert (path / "sudoers").read_text() == "new\n"
        backup = Path(results(doc, 0)[host]["result"]["backup_file"])
        assert backup.parent == path and backup.read_text() == "old\n"
        assert (path / "site.conf").read_text() == f"name={host} {{{{ literal }}}}\nport=80\n"
        assert (path / "lines").read_text() == (
            "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nc\n# END ANSIBLE MANAGED BLOCK\n"
        )
        assert Path(results(doc, 2)[host]["result"]["backup"]).read_text() == "a\n"
        assert (path / "d").is_dir()
        stat = results(doc, 5)[host]["result"]["stat"]
        assert (stat["mimetype"], stat["charset"]) == ("text/plain", "us-ascii")
        assert "secontext" not in results(doc, 0)[host]["result"]
        assert (
            sorted(p.name for p in path.iterdir() if ".pbe-" in p.name and p.name.endswith(".tmp"))
            == []
        )


def test_a_failing_validate_fails_the_task_and_keeps_the_old_file(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    path = host_dirs["h01"]
    write(path / "conf", "old\n")
    own(path / "conf")
    write(tmp_path / "templates" / "t.j2", "templated\n")
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - copy:
        content: "new\\n"
        dest: "{{ dirs[inventory_hostname] }}/conf"
        validate: "sh -c 'echo checked $0 >/dev/null; echo bad line 1; echo nope >&2; exit 3' %s"
      ignore_errors: true
    - template:
        src: t.j2
        dest: "{{ dirs[inventory_hostname] }}/conf"
        validate: "false %s"
      ignore_errors: true
    - lineinfile:
        path: "{{ dirs[inventory_hostname] }}/conf"
        line: added
        validate: "sh -c 'echo nope >&2; exit 1' %s"
      ignore_errors: true
    - blockinfile:
        path: "{{ dirs[inventory_hostname] }}/conf"
        block: added
        validate: "no percent"
      ignore_errors: true
""",
            hosts="h01",
        ),
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory, "-e", dirs_var)
    assert code == 0, err
    copied = results(doc, 0)["h01"]["result"]
    assert (copied["msg"], copied["exit_status"], copied["stdout"], copied["stderr"]) == (
        "failed to validate",
        3,
        "bad line 1\n",
        "nope\n",
    )
    assert results(doc, 1)["h01"]["result"]["msg"] == "failed to validate"
    assert results(doc, 2)["h01"]["result"]["msg"] == "failed to validate: rc:1 error:nope\n"
    assert results(doc, 3)["h01"]["result"]["msg"] == "validate must contain %s: no percent"
    assert [r["status"] for t in range(4) for r in results(doc, t).values()] == ["failed"] * 4
    assert (path / "conf").read_text() == "old\n"
    assert sorted(p.name for p in path.iterdir()) == ["conf"]


def test_copy_local_follow_false_keeps_links(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], dirs_var: str, tmp_path: Path
) -> None:
    tree = tmp_path / "files" / "tree"
    write(tree / "sub" / "s", "s\n")
    write(tree / "a", "a\n")
    os.symlink("a", tree / "rel")
    os.symlink("nowhere", tree / "broken")
    os.symlink("sub", tree / "dirlink")
    for path in host_dirs.values():  # a file where a link belongs is replaced
        write(path / "kept" / "tree" / "rel", "in the way\n")
        own(path / "kept", path / "kept" / "tree", path / "kept" / "tree" / "rel")
    book = write(
        tmp_path / "site.yml",
        play("""
    - name: links kept as links
      copy:
        src: tree
        dest: "{{ dirs[inventory_hostname] }}/kept/"
        local_follow: false
    - name: links followed (the broken one stays a link)
      copy:
        src: tree/
        dest: "{{ dirs[inventory_hostname] }}/followed/"
"""),
    )
    assert_check_predicts_run(
        fleet, book, fleet_inventory, list(host_dirs.values()), "-e", dirs_var
    )
    for path in host_dirs.values():
        kept, followed = path / "kept" / "tree", path / "followed"
        assert {p.name: os.readlink(p) for p in kept.iterdir() if p.is_symlink()} == {
            "rel": "a",
            "broken": "nowhere",
            "dirlink": "sub",
        }
        assert (kept / "a").read_text() == "a\n" and not (kept / "a").is_symlink()
        assert {p.name for p in followed.iterdir() if p.is_symlink()} == {"broken"}
        assert (followed / "rel").read_text() == "a\n"
        assert (followed / "dirlink" / "s").read_text() == "s\n"


def test_command_expands_words_on_the_host(
    fleet: Fleet, fleet_inventory: Path, tmp_path: Path
) -> None:
    book = write(
        tmp_path / "site.yml",
        play(
            """
    - command:
        cmd: printf '%s|' $GREETING ${GREETING}x $UNSET ~ '~/a b' ~pbetest
      environment: {GREETING: "hi there"}
      register: expanded
    - command:
        argv: [printf, '%s|', $GREETING, '~']
        expand_argument_vars: false
      environment: {GREETING: hi}
      register: literal
    - command: echo ignored executable
      args: {executable: /bin/false}
      register: warned
""",
            hosts="h01",
        ),
    )
    code, doc, err = pbe_json(fleet, book, fleet_inventory)
    assert code == 0, err
    home = f"/home/{Fleet.user}"
    assert (
        results(doc, 0)["h01"]["result"]["stdout"]
        == f"hi there|hi therex|$UNSET|{home}|{home}/a b|{home}|"
    )
    assert results(doc, 1)["h01"]["result"]["stdout"] == "$GREETING|~|"
    warned = results(doc, 2)["h01"]["result"]
    assert warned["stdout"] == "ignored executable" and "executable" in warned["warnings"][0]
