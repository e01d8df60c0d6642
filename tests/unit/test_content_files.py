"""slurp, tempfile, find, replace and assemble for real on this machine. Expected
messages, counts and bytes are what Ansible's own modules gave on the same trees (run
with ``ansible localhost -m ...``); check mode predicts the writing modules' runs."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.assemble import assemble, unescape
from playbook_engine.modules.find import access_errors
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def play(tmp_path: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for rel, text in {
        "a.log": "big\n",
        "sub/b.log": "hi\n",
        ".hid/c.log": "s\n",
        ".d.log": "t\n",
        "keep.txt": "k\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_replace_counts_and_is_predicted(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("alpha 1\nbeta 2\nalpha 3\n")
    book = play(
        tmp_path,
        f"""
    - replace: {{path: "{target}", regexp: '^alpha\\s(\\d)', replace: 'A\\1'}}
      register: made
    - replace: {{path: "{target}", regexp: '^zzz', replace: y}}
      register: none
""",
    )
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: target.read_text().startswith("alpha") or pytest.fail("check mode wrote"),
    )
    assert target.read_text() == "A1\nbeta 2\nA3\n"
    assert real.results[0].result["msg"] == "2 replacements made"
    assert (real.results[1].status, real.results[1].result["msg"]) == ("ok", "")


def test_replace_missing_file_and_failed_validate(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("port = 1\n")
    book = play(
        tmp_path,
        f"""
    - replace: {{path: "{tmp_path}/none.txt", regexp: a}}
      ignore_errors: true
    - replace: {{path: "{target}", regexp: '1', replace: '2', validate: 'grep -q 3 %s'}}
      ignore_errors: true
""",
    )
    result = run(book, LOCAL)
    missing, invalid = (r.result for r in result.results)
    assert missing["msg"] == f"Path {tmp_path}/none.txt does not exist !"
    assert missing["rc"] == 257
    assert invalid["failed"] and invalid["msg"].startswith("failed to validate")
    assert target.read_text() == "port = 1\n"


def test_assemble_fragments_as_ansible(tmp_path: Path) -> None:
    frags = tmp_path / "frag"
    frags.mkdir()
    (frags / "01").write_text("a\n")
    (frags / "02").write_text("b")
    (frags / ".h").write_text("x\n")
    dest = tmp_path / "asm.txt"
    book = play(
        tmp_path,
        f"""
    - assemble: {{src: "{frags}", dest: "{dest}", delimiter: '--', mode: '0640'}}
      register: out
    - assemble: {{src: "{frags}", dest: "{tmp_path}/visible.txt", ignore_hidden: true,
                 regexp: '^0'}}
""",
    )
    real = check_predicts_run(
        book, LOCAL, unchanged=lambda: dest.exists() and pytest.fail("check mode wrote")
    )
    assert dest.read_bytes() == b"x\n--\na\n--\nb"  # Ansible's bytes, hidden included
    assert (tmp_path / "visible.txt").read_bytes() == b"a\nb"
    assert oct(dest.stat().st_mode & 0o777) == "0o640"
    assert real.results[0].result["msg"] == "OK"


def test_assemble_pure() -> None:
    assert unescape("\\t|\\x41\\n") == b"\t|A\n"
    frags = [("b", b"2"), ("a", b"1\n")]
    assert assemble(frags, None, False, "#") == b"1\n#\n2"


def test_find_selects_as_ansible(tmp_path: Path, tree: Path) -> None:
    book = play(
        tmp_path,
        f"""
    - find: {{paths: "{tree}", patterns: '*.log', recurse: true}}
      register: logs
    - find: {{paths: "{tree}", patterns: '*.log', recurse: true, hidden: true,
             contains: '^s'}}
      register: containing
    - find: {{paths: "{tree}", file_type: directory}}
      register: dirs
    - find: {{paths: "{tree}/none"}}
      register: missing
""",
    )
    result = run(book, LOCAL)
    logs, containing, dirs, missing = (r.result for r in result.results)
    assert sorted(f["path"] for f in logs["files"]) == [
        f"{tree}/.hid/c.log",
        f"{tree}/a.log",
        f"{tree}/sub/b.log",
    ]
    assert (logs["matched"], logs["examined"], logs["msg"]) == (3, 7, "All paths examined")
    assert [f["path"] for f in containing["files"]] == [f"{tree}/.hid/c.log"]
    assert [f["path"] for f in dirs["files"]] == [f"{tree}/sub"]
    assert missing["matched"] == 0
    assert all(r.status == "ok" for r in result.results)


def test_slurp_and_tempfile(tmp_path: Path) -> None:
    data = bytes(range(256))
    (tmp_path / "bin").write_bytes(data)
    book = play(
        tmp_path,
        f"""
    - slurp: {{src: "{tmp_path}/bin"}}
      register: got
    - slurp: {{src: "{tmp_path}/none"}}
      ignore_errors: true
    - tempfile: {{path: "{tmp_path}", prefix: pre, suffix: .suf}}
      register: made
    - tempfile: {{path: "{tmp_path}", state: directory}}
      register: dir
""",
    )
    result = run(book, LOCAL)
    got, missing, made, made_dir = (r.result for r in result.results)
    assert base64.b64decode(got["content"]) == data and got["encoding"] == "base64"
    assert missing["msg"] == f"File not found: {tmp_path}/none"
    path = Path(made["path"])
    assert path.is_file() and path.name.startswith("pre") and path.name.endswith(".suf")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert Path(made_dir["path"]).is_dir() and Path(made_dir["path"]).name.startswith("ansible.")
    assert [r.status for r in result.results] == ["ok", "failed", "changed", "changed"]


def test_tempfile_refuses_a_prefix_or_suffix_that_leaves_its_directory(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    book = play(
        tmp_path,
        f"""
    - tempfile: {{path: "{tmp_path}/in", prefix: ../escaped}}
      ignore_errors: true
    - tempfile: {{path: "{tmp_path}/in", suffix: /x, state: directory}}
      ignore_errors: true
""",
    )
    result = run(book, LOCAL)
    assert [(r.status, r.message) for r in result.results] == [
        ("failed", "prefix must be a valid file name component, got '../escaped'"),
        ("failed", "suffix must be a valid file name component, got '/x'"),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "site.yml"]
    assert list((tmp_path / "in").iterdir()) == []


def test_find_contains_skips_the_path_of_a_file_it_cannot_decode(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d/hello.gbk").write_bytes("你好世界".encode("gbk"))
    (tmp_path / "d/plain.gbk").write_text("你好世界 too\n")
    book = play(
        tmp_path,
        f"""
    - find: {{paths: "{tmp_path}/d", patterns: "*.gbk", contains: "你好世界"}}
    - find: {{paths: "{tmp_path}/d", patterns: "*.gbk", contains: "你好世界", encoding: gbk}}
    - find: {{paths: "{tmp_path}/d", patterns: "*.gbk", contains: "x", encoding: idontexist}}
""",
    )
    default, gbk, unknown = (r.result for r in run(book, LOCAL).results)
    assert unknown["skipped_paths"] == {f"{tmp_path}/d": "unknown encoding: idontexist"}
    why = (
        f"Failed to decode the file '{tmp_path}/d/hello.gbk' with encoding: utf-8 (Python default)"
    )
    assert (default["msg"], default["skipped_paths"], default["warnings"]) == (
        "Not all paths examined, check warnings for details",
        {f"{tmp_path}/d": why},
        [why],
    )
    assert [f["path"] for f in default["files"]] == [f"{tmp_path}/d/plain.gbk"]
    assert [f["path"] for f in gbk["files"]] == [f"{tmp_path}/d/hello.gbk"]


def test_slurp_says_why_a_path_cannot_be_read_as_ansible_does(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "locked").write_text("secret")
    (tmp_path / "locked").chmod(0o600)
    (tmp_path / "ldir").mkdir(mode=0o700)
    book = play(
        tmp_path,
        f"""
    - slurp: {{src: "{tmp_path}/f/inside"}}
      ignore_errors: true
    - slurp: {{src: "{tmp_path}"}}
      ignore_errors: true
    - slurp: {{src: "{tmp_path}/locked"}}
      ignore_errors: true
      become: true
      become_user: nobody
    - slurp: {{src: "{tmp_path}/ldir"}}
      ignore_errors: true
      become: true
      become_user: nobody
""",
    )
    result = run(book, LOCAL)
    assert [r.message for r in result.results] == [
        f"Unable to slurp file: {tmp_path}/f/inside",
        f"Source is a directory and must be a file: {tmp_path}",
        f"File is not readable: {tmp_path}/locked",
        f"File is not readable: {tmp_path}/ldir",
    ]


def test_find_names_the_directories_it_cannot_read(tmp_path: Path) -> None:
    """Ansible's find target: a directory the become user cannot read is in
    `skipped_paths` with Python's reason, and what else was found is returned."""
    if os.geteuid() != 0 or shutil.which("sudo") is None:
        pytest.skip("needs root and sudo to become `nobody`")
    top = Path(tempfile.mkdtemp(prefix="pbe-find-"))
    try:
        top.chmod(0o755)
        (top / "readable").mkdir(mode=0o755)
        os.chown(top / "readable", 65534, -1)
        (top / "readable/1-unreadable").mkdir(mode=0o700)
        (top / "readable/2-readable").write_text("x")
        book = play(
            tmp_path,
            f"""
    - find: {{paths: "{top}/readable/", patterns: "*", recurse: true}}
      become: true
      become_user: nobody
""",
        )
        found = run(book, LOCAL).results[0].result
    finally:
        shutil.rmtree(top)
    denied = f"{top}/readable/1-unreadable"
    assert found["skipped_paths"] == {denied: f"[Errno 13] Permission denied: '{denied}'"}
    assert found["matched"] == 1 and found["changed"] is False
    assert found["msg"] == "Not all paths examined, check warnings for details"


def test_find_error_lines_as_ansible_reports_them() -> None:
    assert access_errors(
        "find: ‘/a b’: Permission denied\nfind: '/c': Weird thing\nsomething else\n"
    ) == [
        ("/a b", "[Errno 13] Permission denied: '/a b'"),
        ("/c", "Weird thing: '/c'"),
        ("", "something else"),
    ]
