"""Behaviours Ansible's own integration targets check (each first run under ansible-core
2.21.5): bad symbolic modes, chmod clauses with several operations, the template header's
line prefixes and errors, ``ansible_managed`` set by a play, unarchive of non-ASCII member
names and without its tool."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.modules.util.modes import ModeError, parse_mode

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def _run(tmp_path: Path, tasks: str, **kw: Any) -> dict[str, dict[str, Any]]:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    result = pbe.run(book, INVENTORY, **kw)
    return {r.task_name: {"status": r.status, **r.result} for r in result.results}


def test_a_clause_may_hold_several_operations() -> None:
    assert parse_mode("u+rwX-x,g-wx,o-wx,g+r,o+r", 0o755) == 0o644
    assert parse_mode("u=rwx-x", 0) == 0o600
    for bad in ("u=foo", "foo=r", "ao=r", "oa=r"):
        with pytest.raises(ModeError):
            parse_mode(bad)


def test_a_bad_mode_fails_with_ansibles_message_and_details(tmp_path: Path) -> None:
    got = _run(
        tmp_path,
        f"    - name: bad\n      file: {{path: {tmp_path}/f, state: touch}}\n"
        "      args: {mode: '{{ item }}'}\n"
        "      loop: [u=foo, ao=r]\n      ignore_errors: true\n",
    )
    items = got["bad"]["results"]
    assert [i["msg"] for i in items] == ["mode must be in octal or symbolic form"] * 2
    assert [i["details"] for i in items] == [
        "bad symbolic permission for mode: u=foo",
        "bad symbolic permission for mode: ao=r",
    ]
    assert not (tmp_path / "f").exists()


def test_template_header_line_prefixes_and_errors(tmp_path: Path) -> None:
    (tmp_path / "stmt.j2").write_text(
        '#jinja2: line_statement_prefix: ":"\n: if true\nfoo\n: endif\n'
    )
    (tmp_path / "comment.j2").write_text('#jinja2: line_comment_prefix: "##"\na ## hidden\nb\n')
    (tmp_path / "bad.j2").write_text("#jinja2: lstrip_blocks=True\nx\n")
    (tmp_path / "plain.j2").write_text("{{ ansible_managed }}\n")
    got = _run(
        tmp_path,
        "".join(
            f"    - name: {n}\n      template: {{src: {n}.j2, dest: {tmp_path}/{n}.out}}\n"
            "      ignore_errors: true\n"
            for n in ("stmt", "comment", "bad", "plain")
        )
        + "    - name: managed\n"
        f"      template: {{src: {tmp_path}/plain.j2, dest: {tmp_path}/managed.out,"
        " output_encoding: ''}\n"
        '      vars: {ansible_managed: \'{{ "set " ~ "here" }}\'}\n',
    )
    assert (tmp_path / "stmt.out").read_text() == "foo\n"
    assert (tmp_path / "comment.out").read_text() == "a\nb\n"
    assert "Missing key-value separator" in got["bad"]["msg"]
    assert (tmp_path / "plain.out").read_text() == "Ansible managed\n"
    assert (tmp_path / "managed.out").read_text() == "set here\n"


def test_unarchive_of_non_ascii_names_and_without_its_tool(tmp_path: Path) -> None:
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("café/ü.txt")
        info.size, info.mode = 2, 0o600
        tar.addfile(info, io.BytesIO(b"x\n"))
    (tmp_path / "dest").mkdir()
    (tmp_path / "bin").mkdir()
    for tool in ("head", "od", "tr", "stat", "id", "mktemp"):  # all it needs, but tar
        real = next(p for p in ("/usr/bin", "/bin") if os.path.exists(f"{p}/{tool}"))
        (tmp_path / "bin" / tool).symlink_to(f"{real}/{tool}")
    src = f"{{src: {archive}, dest: {tmp_path}/dest, remote_src: true}}"
    got = _run(
        tmp_path,
        f"    - name: untooled\n      unarchive: {src}\n"
        f"      environment: {{PATH: {tmp_path}/bin}}\n      ignore_errors: true\n"
        f"    - name: unpack\n      unarchive: {{src: {archive}, dest: {tmp_path}/dest,"
        " remote_src: true, mode: 'u+rwX,go+rX'}\n"
        f"    - name: again\n      unarchive: {{src: {archive}, dest: {tmp_path}/dest,"
        " remote_src: true, mode: 'u+rwX,go+rX'}\n",
    )
    assert "Unable to find required 'tar' binary in the path." in got["untooled"]["msg"]
    assert got["unpack"]["status"] == "changed" and got["again"]["status"] == "ok"
    member = tmp_path / "dest" / "café" / "ü.txt"
    assert member.read_bytes() == b"x\n" and member.stat().st_mode & 0o777 == 0o644
