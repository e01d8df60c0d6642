"""Arguments ansible-core 2.21's modules accept that pbe once refused, run for real over the
local connection. Expected bytes and messages are what Ansible's own modules gave on the
same files (``ansible localhost -m ...``)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def play(tmp_path: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def flags(path: Path) -> str:
    """The chattr flags ``lsattr -d`` shows for ``path``, without dashes."""
    out = subprocess.run(["lsattr", "-d", str(path)], capture_output=True, text=True)
    return out.stdout.split()[0].replace("-", "") if out.returncode == 0 else "?"


def test_lineinfile_edits_a_utf16_file_in_its_encoding(tmp_path: Path) -> None:
    target = tmp_path / "u16.txt"
    target.write_bytes("a\nb\n".encode("utf-16"))
    book = play(
        tmp_path,
        f"""
    - lineinfile: {{path: "{target}", line: "ü", encoding: utf-16}}
      register: added
    - lineinfile: {{path: "{target}", line: "ü", encoding: UTF-16}}
      register: again
""",
    )
    real = check_predicts_run(book, LOCAL)
    assert target.read_bytes() == b"\xff\xfea\x00\n\x00b\x00\n\x00\xfc\x00\n\x00"
    assert real.results[0].result["msg"] == "line added"
    assert real.results[1].status == "ok"


def test_blockinfile_keeps_a_latin1_file_latin1(tmp_path: Path) -> None:
    target = tmp_path / "l1.txt"
    target.write_bytes(b"caf\xe9\n")
    book = play(
        tmp_path,
        f"""
    - blockinfile: {{path: "{target}", block: "né", encoding: latin-1}}
      register: added
""",
    )
    real = check_predicts_run(book, LOCAL)
    assert target.read_bytes() == (
        b"caf\xe9\n# BEGIN ANSIBLE MANAGED BLOCK\nn\xe9\n# END ANSIBLE MANAGED BLOCK\n"
    )
    assert real.results[0].result["msg"] == "Block inserted"


def test_an_unknown_or_wrong_encoding_fails_and_leaves_the_file(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_bytes(b"\xff\xfe\x00")
    book = play(
        tmp_path,
        f"""
    - lineinfile: {{path: "{target}", line: x, encoding: nope}}
      ignore_errors: true
    - lineinfile: {{path: "{target}", line: x, encoding: utf-16}}
      ignore_errors: true
""",
    )
    unknown, wrong = (r.result for r in run(book, LOCAL).results)
    assert unknown["failed"] and unknown["msg"] == "unknown encoding: nope"
    assert wrong["failed"] and "cannot decode" in wrong["msg"]
    assert target.read_bytes() == b"\xff\xfe\x00"


def chattr_works(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.write_text("")
    return flags(probe) != "?" and not subprocess.run(["chattr", "+A", str(probe)]).returncode


@pytest.mark.parametrize("module", ["lineinfile", "blockinfile"])
def test_text_modules_set_chattr_attributes(tmp_path: Path, module: str) -> None:
    if not chattr_works(tmp_path):
        pytest.skip("no chattr attributes on this filesystem")
    target = tmp_path / "f.txt"
    target.write_text("x\n")
    arg = "line: x" if module == "lineinfile" else "block: x, marker: '#{mark}'"
    book = play(
        tmp_path,
        f"""
    - {module}: {{path: "{target}", {arg}, attr: "+A"}}
      register: first
""",
    )
    check = run(book, LOCAL, check=True, diff=True)
    assert check.results[0].result["changed"] and "A" not in flags(target)
    result = run(book, LOCAL, diff=True).results[0].result
    assert "A" in flags(target)
    assert result["changed"] is True
    assert "ownership, perms or SE linux context changed" in result["msg"]


@pytest.mark.parametrize("module", ["copy", "template"])
def test_copy_and_template_set_chattr_attributes(tmp_path: Path, module: str) -> None:
    if not chattr_works(tmp_path):
        pytest.skip("no chattr attributes on this filesystem")
    (tmp_path / "src.j2").write_text("hi {{ 1 + 1 }}\n")
    dest = tmp_path / "out"
    source = "content: hi" if module == "copy" else f"src: {tmp_path}/src.j2"
    book = play(tmp_path, f"    - {module}: {{dest: {dest}, {source}, attributes: '+A'}}\n")
    check = run(book, LOCAL, check=True).results[0].result
    assert check["changed"] and not dest.exists()
    first = run(book, LOCAL).results[0].result
    assert first["changed"] and "A" in flags(dest)
    subprocess.run(["chattr", "-A", str(dest)], check=True)
    again = run(book, LOCAL, diff=True).results[0]  # same content: only the flags change
    assert again.result["changed"] and "A" in flags(dest)
    assert dest.read_text() == ("hi" if module == "copy" else "hi 2\n")


def test_slurp_without_armor_returns_text(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("café\n")
    (tmp_path / "l1.txt").write_bytes(b"caf\xe9\n")
    book = play(
        tmp_path,
        f"""
    - slurp: {{src: "{tmp_path}/t.txt", armor: false}}
    - slurp: {{src: "{tmp_path}/t.txt"}}
    - slurp: {{src: "{tmp_path}/l1.txt", armor: false}}
      ignore_errors: true
""",
    )
    text, armored, latin = (r.result for r in run(book, LOCAL).results)
    assert (text["content"], text["encoding"]) == ("café\n", "utf-8")
    assert (armored["content"], armored["encoding"]) == ("Y2Fmw6kK", "base64")
    assert latin["failed"] and "invalid continuation byte" in latin["msg"]


def test_wait_for_drained_counts_only_the_active_states_and_hosts(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        with client, conn:
            book = play(
                tmp_path,
                f"""
    - wait_for: {{port: {port}, state: drained, timeout: 1}}
      ignore_errors: true
    - wait_for: {{port: {port}, state: drained, timeout: 5, exclude_hosts: [127.0.0.1]}}
    - wait_for: {{port: {port}, state: drained, timeout: 5,
                  active_connection_states: [TIME_WAIT, FIN_WAIT1]}}
    - wait_for: {{port: {port}, exclude_hosts: [127.0.0.1]}}
      ignore_errors: true
    - wait_for: {{port: {port}, state: drained, active_connection_states: [OPEN]}}
      ignore_errors: true
""",
            )
            busy, excluded, other_states, not_drained, unknown = (
                r.result for r in run(book, LOCAL).results
            )
    assert busy["failed"] and "to drain" in busy["msg"]
    assert not excluded.get("failed") and excluded["state"] == "drained"
    assert not other_states.get("failed") and other_states["elapsed"] < 5
    assert not_drained["msg"] == "exclude_hosts should only be with state=drained"
    assert unknown["msg"] == "unknown active_connection_state (OPEN) defined"


def test_htpasswd_sets_chattr_attributes_and_takes_the_selinux_args(tmp_path: Path) -> None:
    if not chattr_works(tmp_path):
        pytest.skip("no chattr attributes on this filesystem")
    dest = tmp_path / "htpasswd"
    book = play(
        tmp_path,
        f"""
    - htpasswd: {{path: "{dest}", name: joe, password: pw, hash_scheme: plaintext,
                  attr: '+A', setype: httpd_sys_content_t}}
""",
    )
    check = run(book, LOCAL, check=True).results[0].result
    assert check["changed"] and not dest.exists()
    first = run(book, LOCAL).results[0].result
    assert first["changed"] and dest.read_text() == "joe:pw\n" and "A" in flags(dest)
    subprocess.run(["chattr", "-A", str(dest)], check=True)
    again = run(book, LOCAL).results[0].result
    assert again["changed"] and "A" in flags(dest)
    # Ansible's words, without a separator when only the attributes changed
    assert again["msg"] == "joe already presentownership, perms or SE linux context changed"
