"""``copy`` as Ansible 2.21 answers it (each expectation was first run under ansible-core
2.21.5): a directory ``src`` on the host (``remote_src``), the registered result's fields,
the copy action's own failure messages, vault sources, and ``$VAR`` in host paths."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import playbook_engine as pbe

REMOTE = "remote_src: true"
INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def _run(tmp_path: Path, tasks: str, check: bool = False) -> dict[str, dict[str, Any]]:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    result = pbe.run(book, INVENTORY, check=check)
    return {r.task_name: {"status": r.status, **r.result} for r in result.results}


def _tree(root: Path) -> dict[str, tuple[str, str]]:
    """rel path -> (kind and mode, content or link target)."""
    out = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        rel = path.relative_to(root).as_posix()
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = (f"dir {oct(st.st_mode & 0o7777)}", "")
        else:
            out[rel] = (f"file {oct(st.st_mode & 0o7777)}", path.read_text())
    return out


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "f1").write_text("one\n")
    (src / "f1").chmod(0o600)
    (src / "sub" / "f2").write_text("two\n")
    (src / "lnk").symlink_to("f1")
    return src


def test_a_directory_on_the_host_is_copied_with_its_modes_and_links(tmp_path: Path) -> None:
    src = _source(tmp_path)
    tasks = (
        f"    - name: whole\n      copy: {{src: {src}, dest: {tmp_path}/d1, remote_src: true}}\n"
        f"    - name: contents\n      copy: {{src: {src}/, dest: {tmp_path}/d2, {REMOTE}}}\n"
        f"    - name: again\n      copy: {{src: {src}/, dest: {tmp_path}/d2, {REMOTE}}}\n"
    )
    first = _run(tmp_path, tasks)
    assert first["whole"]["status"] == "changed"
    assert first["whole"]["dest"] == f"{tmp_path}/d1/src"
    assert first["contents"]["status"] == "changed" and first["again"]["status"] == "ok"
    want = _tree(src)
    assert want["f1"] == ("file 0o600", "one\n") and want["lnk"] == ("link", "f1")
    assert _tree(tmp_path / "d1" / "src") == want
    assert _tree(tmp_path / "d2") == want
    (src / "sub" / "f2").write_text("changed\n")
    again = _run(tmp_path, tasks)
    assert again["whole"]["status"] == "changed" and again["contents"]["status"] == "changed"
    assert (tmp_path / "d2" / "sub" / "f2").read_text() == "changed\n"


def test_local_follow_true_copies_what_a_host_link_points_to(tmp_path: Path) -> None:
    src = _source(tmp_path)
    got = _run(
        tmp_path,
        f"    - name: followed\n      copy:\n        src: {src}/\n        dest: {tmp_path}/d\n"
        "        remote_src: true\n        local_follow: true\n",
    )
    assert got["followed"]["status"] == "changed"
    assert _tree(tmp_path / "d")["lnk"] == ("file 0o600", "one\n")


def test_a_check_run_predicts_a_host_tree_copy_and_writes_nothing(tmp_path: Path) -> None:
    src = _source(tmp_path)
    tasks = (
        f"    - name: copy\n      copy: {{src: {src}/, dest: {tmp_path}/d, remote_src: true}}\n"
        f"    - name: look\n      stat: {{path: {tmp_path}/d/sub/f2}}\n      register: s\n"
        "    - name: judge\n      assert: {that: [s.stat.exists]}\n"
    )
    got = _run(tmp_path, tasks, check=True)
    assert got["copy"]["status"] == "changed" and got["judge"]["status"] == "ok"
    assert not (tmp_path / "d").exists()


def test_the_registered_result_has_ids_and_the_legacy_md5sum(tmp_path: Path) -> None:
    got = _run(
        tmp_path,
        f'    - name: write\n      copy: {{content: "hello\\n", dest: {tmp_path}/out}}\n'
        f'    - name: same\n      copy: {{content: "hello\\n", dest: {tmp_path}/out}}\n',
    )
    st = (tmp_path / "out").stat()
    write = got["write"]
    assert (write["uid"], write["gid"]) == (st.st_uid, st.st_gid)
    assert write["md5sum"] == hashlib.md5(b"hello\n").hexdigest()
    assert write["checksum"] == hashlib.sha1(b"hello\n").hexdigest()
    assert "md5sum" not in got["same"] and got["same"]["uid"] == st.st_uid


def test_a_controller_tree_of_one_file_answers_with_that_files_result(tmp_path: Path) -> None:
    one = tmp_path / "one" / "deep"
    one.mkdir(parents=True)
    (one / "f.txt").write_text("x")
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "a").write_text("a")
    (tmp_path / "two" / "b").write_text("b")
    got = _run(
        tmp_path,
        f"    - name: one\n      copy: {{src: {tmp_path}/one, dest: {tmp_path}/out/}}\n"
        f"    - name: two\n      copy: {{src: {tmp_path}/two, dest: {tmp_path}/out/}}\n",
    )
    assert got["one"]["dest"] == f"{tmp_path}/out/one/deep/f.txt"
    assert got["one"]["state"] == "file" and got["one"]["size"] == 1
    assert got["two"]["dest"] == f"{tmp_path}/out/two" and got["two"]["state"] == "directory"


def test_the_copy_actions_own_messages(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    cases = {
        "empty src": f"src: '', dest: {tmp_path}/x",
        "no dest": "content: hi",
        "both": f"src: a, content: b, dest: {tmp_path}/x",
        "content to dir": f"content: hi, dest: {tmp_path}/d",
        "device": f"src: /dev/null, dest: {tmp_path}/x, remote_src: true",
    }
    tasks = "".join(
        f"    - name: {name}\n      copy: {{{args}}}\n      ignore_errors: true\n"
        for name, args in cases.items()
    )
    got = _run(tmp_path, tasks)
    assert got["empty src"]["msg"] == "src (or content) is required"
    assert got["no dest"]["msg"] == "dest is required"
    assert got["both"]["msg"] == "src and content are mutually exclusive"
    assert got["content to dir"]["msg"].startswith("can not use content with a dir as dest")
    assert got["device"]["msg"] == "Cannot copy invalid source '/dev/null': not a file"
    assert not (tmp_path / "x").exists()


def test_vault_ciphertext_is_not_installed_as_the_file(tmp_path: Path) -> None:
    vault = tmp_path / "tree" / "sub"
    vault.mkdir(parents=True)
    (tmp_path / "tree" / "plain").write_text("plain")
    (vault / "secret").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    got = _run(
        tmp_path,
        f"    - name: file\n      copy: {{src: {vault}/secret, dest: {tmp_path}/o1}}\n"
        "      ignore_errors: true\n"
        f"    - name: tree\n      copy: {{src: {tmp_path}/tree/, dest: {tmp_path}/o2}}\n"
        "      ignore_errors: true\n"
        f"    - name: raw\n      copy: {{src: {vault}/secret, dest: {tmp_path}/o3}}\n"
        "      args: {decrypt: false}\n",
    )
    want = f"A vault password or secret must be specified to decrypt {vault}/secret"
    assert got["file"]["status"] == "failed" and got["file"]["msg"] == want
    assert got["tree"]["status"] == "failed" and got["tree"]["msg"] == want
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert (tmp_path / "o3").read_text().startswith("$ANSIBLE_VAULT;")


def test_a_diff_of_a_written_file_is_a_list_headed_with_the_destination(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        f'    - copy: {{content: "new\\n", dest: {tmp_path}/f}}\n'
    )
    (tmp_path / "f").write_text("old\n")
    result = pbe.run(book, INVENTORY, diff=True)
    assert result.results[0].result["diff"] == [
        {
            "before": "old\n",
            "after": "new\n",
            "before_header": f"{tmp_path}/f",
            "after_header": f"{tmp_path}/f",
        }
    ]


def test_environment_variables_in_host_paths_are_expanded(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "rc").write_text("rc")
    got = _run(
        tmp_path,
        "    - name: copy\n      copy:\n        src: $PBE_T_HOME/rc\n"
        "        dest: ${PBE_T_HOME}/copied\n        remote_src: true\n"
        f"      environment: {{PBE_T_HOME: {tmp_path}/home}}\n"
        f"    - name: unset\n      copy: {{content: x, dest: {tmp_path}/$PBE_T_UNSET/f}}\n"
        "      ignore_errors: true\n",
    )
    assert got["copy"]["dest"] == f"{tmp_path}/home/copied"
    assert (tmp_path / "home" / "copied").read_text() == "rc"
    assert got["unset"]["msg"] == f"Destination directory {tmp_path}/$PBE_T_UNSET does not exist"
