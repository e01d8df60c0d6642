"""The round-trip budget of a file write: content up to ``SMALL_WRITE`` bytes goes as the
stdin of the one command that finishes the write (no upload); larger content is uploaded,
then finished. Against a local ``sh``; and end to end over the local persistent session."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any

import pytest

import playbook_engine as pbe
from playbook_engine.modules.util.filestate import Prediction
from playbook_engine.modules.util.remotefs import SMALL_WRITE, RemoteFiles
from playbook_engine.transport.base import CommandResult
from playbook_engine.transport.local import LocalConnection


class Host:
    """A RemoteFiles runner on the local /bin/sh that counts commands and uploads."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.uploads: list[str] = []

    def run(self, command: str, stdin: bytes | None = None, **_: Any) -> CommandResult:
        self.commands.append(command)
        proc = subprocess.run(
            ["/bin/sh", "-c", command], input=stdin or b"", capture_output=True, check=False
        )
        return CommandResult(proc.returncode, proc.stdout, proc.stderr)

    def put(self, source: IO[bytes], path: str, mode: int | None) -> None:
        self.uploads.append(path)
        with open(path, "wb") as out:
            shutil.copyfileobj(source, out)
        if mode is not None:
            os.chmod(path, mode)


def _write(tmp_path: Path, data: bytes | IO[bytes], **kw: Any) -> tuple[Host, Path]:
    host = Host()
    files = RemoteFiles(host.run, host.put, False, Prediction())
    dest = tmp_path / "out"
    files.write(str(dest), data, **kw)
    return host, dest


BINARY = b"\0\x01no trailing newline\xff"


@pytest.mark.parametrize(
    "data",
    [b"line\n", b"", BINARY, b"x" * SMALL_WRITE],
    ids=["text", "empty", "binary", "at-the-limit"],
)
def test_small_content_is_one_command_and_no_upload(tmp_path: Path, data: bytes) -> None:
    host, dest = _write(tmp_path, data, mode="0640")
    assert (len(host.commands), host.uploads) == (1, [])
    assert dest.read_bytes() == data and dest.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp file left


def test_a_small_stream_is_read_whole_and_sent_the_same_way(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.write_bytes(BINARY)
    with source.open("rb") as stream:
        host, dest = _write(tmp_path, stream)
    assert (len(host.commands), host.uploads) == (1, [])
    assert dest.read_bytes() == BINARY


@pytest.mark.parametrize("as_stream", [False, True], ids=["bytes", "stream"])
def test_larger_content_is_uploaded_whole_then_finished(tmp_path: Path, as_stream: bool) -> None:
    data = bytes(range(256)) * (SMALL_WRITE // 256 + 1)
    host, dest = _write(tmp_path, io.BytesIO(data) if as_stream else data, mode="0600")
    assert len(host.commands) == 1 and len(host.uploads) == 1
    assert dest.read_bytes() == data and dest.stat().st_mode & 0o777 == 0o600


def test_a_failed_validate_keeps_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_bytes(b"old\n")
    with pytest.raises(Exception, match="validat"):
        _write(tmp_path, b"new\n", validate="grep -q old %s")
    assert (tmp_path / "out").read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_modules_write_without_uploads_over_the_local_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """copy (binary src, content), template, lineinfile, blockinfile: no upload at all, and
    the second run changes nothing."""
    uploads: list[str] = []
    real_put = LocalConnection.put

    def counting_put(
        self: LocalConnection, source: IO[bytes], path: str, mode: int | None = None
    ) -> None:
        uploads.append(path)
        real_put(self, source, path, mode)

    monkeypatch.setattr(LocalConnection, "put", counting_put)
    (tmp_path / "bin").write_bytes(BINARY)
    (tmp_path / "t.j2").write_text("hello {{ who }}\n")
    d = tmp_path / "d"
    d.mkdir()
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  vars: {{who: world}}
  tasks:
    - copy: {{src: {tmp_path}/bin, dest: {d}/bin, mode: "0600"}}
    - copy: {{content: "a\\nb\\n", dest: {d}/content}}
    - template: {{src: {tmp_path}/t.j2, dest: {d}/t}}
    - lineinfile: {{path: {d}/ini, line: "port=1", create: true}}
    - blockinfile: {{path: {d}/ini, block: "x=1"}}
""")
    inventory = {"all": {"hosts": {"here": {"ansible_connection": "local"}}}}
    first = pbe.run(book, inventory)
    second = pbe.run(book, inventory)
    assert first.stats["here"]["changed"] == 5 and second.stats["here"]["changed"] == 0
    assert uploads == []
    assert (d / "bin").read_bytes() == BINARY and (d / "bin").stat().st_mode & 0o777 == 0o600
    assert (d / "content").read_bytes() == b"a\nb\n"
    assert (d / "t").read_text() == "hello world\n"
    assert (d / "ini").read_text().startswith("port=1\n# BEGIN ANSIBLE MANAGED BLOCK\nx=1\n")
    assert sorted(p.name for p in d.iterdir()) == ["bin", "content", "ini", "t"]


def test_the_round_trip_budget_of_file_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10's budget, over the local session: a file module that changes its file
    costs two commands (one probe asks the destination, its directory and the user
    together, then the write); one in state costs one."""
    sent: list[str] = []
    real_run = LocalConnection.run

    def counting_run(self: LocalConnection, command: str, **kw: Any) -> CommandResult:
        sent.append(command)
        return real_run(self, command, **kw)

    monkeypatch.setattr(LocalConnection, "run", counting_run)
    (tmp_path / "t.j2").write_text("hello {{ who }}\n")
    d = tmp_path / "d"
    d.mkdir()
    (d / "ini").write_text("a=1\n")
    tasks = {
        "copy": f'{{content: "a\\n", dest: {d}/content, mode: "0640"}}',
        "template": f"{{src: {tmp_path}/t.j2, dest: {d}/t}}",
        "lineinfile": f"{{path: {d}/ini, line: port=1}}",
        "blockinfile": f'{{path: {d}/ini, block: "x=1"}}',
    }
    inventory = {"all": {"hosts": {"here": {"ansible_connection": "local"}}}}
    for module, args in tasks.items():
        book = tmp_path / f"{module}.yml"
        book.write_text(
            f"- hosts: all\n  gather_facts: false\n  vars: {{who: w}}\n"
            f"  tasks:\n    - {module}: {args}\n"
        )
        sent.clear()
        assert pbe.run(book, inventory).stats["here"]["changed"] == 1
        changing = len(sent)
        sent.clear()
        assert pbe.run(book, inventory).stats["here"]["changed"] == 0
        assert (module, changing, len(sent)) == (module, 2, 1)
    assert (d / "content").read_text() == "a\n" and (d / "content").stat().st_mode & 0o777 == 0o640
    assert (d / "t").read_text() == "hello w\n"
    assert "port=1\n" in (d / "ini").read_text() and "x=1\n" in (d / "ini").read_text()


def test_the_user_and_umask_are_asked_once_per_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command runs from the host's one shell, whose user and umask no task changes:
    the probe layer asks `id` once for a run of file tasks, not once per task."""
    sent: list[str] = []
    real_run = LocalConnection.run

    def counting_run(self: LocalConnection, command: str, **kw: Any) -> CommandResult:
        sent.append(command)
        return real_run(self, command, **kw)

    monkeypatch.setattr(LocalConnection, "run", counting_run)
    d = tmp_path / "d"
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - file: {{path: {d}, state: directory, mode: "0750"}}
    - copy: {{content: "a\\n", dest: {d}/a}}
    - lineinfile: {{path: {d}/b, line: x, create: true}}
    - file: {{path: {d}/b, mode: "0600"}}
""")
    inventory = {"all": {"hosts": {"here": {"ansible_connection": "local"}}}}
    assert pbe.run(book, inventory).stats["here"]["changed"] == 4
    assert sum("; id" in c for c in sent) == 1, [c for c in sent if "; id" in c]
    assert (d / "b").stat().st_mode & 0o777 == 0o600 and (d / "a").read_text() == "a\n"


SHIMMED = ("setsid", "stat", "od", "tr", "ls", "head", "sha1sum", "file", "cat", "id", "readlink")


def test_a_file_task_in_state_starts_few_programs_on_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Host CPU goes on starting programs. A probe is pbe's own script, so it runs in a
    subshell of the session, without ``setsid`` and a shell of its own; a file task with
    nothing to change then starts only the programs that read the file."""
    shims, log = tmp_path / "shims", tmp_path / "programs.log"
    shims.mkdir()
    for name in SHIMMED:
        real = shutil.which(name)
        assert real, name
        shim = shims / name
        shim.write_text(f'#!/bin/sh\necho {name} >> {log}\nexec {real} "$@"\n')
        shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shims}:{os.environ['PATH']}")
    d = tmp_path / "d"
    (tmp_path / "t.j2").write_text("hello\n")
    tasks = {
        "directory": f'file: {{path: {d}, state: directory, mode: "0755"}}',
        "copy": f'copy: {{content: "a\\n", dest: {d}/a, mode: "0644"}}',
        "template": f"template: {{src: {tmp_path}/t.j2, dest: {d}/t}}",
        "lineinfile": f"lineinfile: {{path: {d}/ini, line: port=1, create: true}}",
        "chmod": f'file: {{path: {d}/ini, mode: "0600"}}',
    }
    inventory = {"all": {"hosts": {"here": {"ansible_connection": "local"}}}}
    started: dict[str, list[str]] = {}
    for name, task in tasks.items():
        book = tmp_path / f"{name}.yml"
        book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n    - {task}\n")
        assert pbe.run(book, inventory).stats["here"]["changed"] == 1
        log.write_text("")
        assert pbe.run(book, inventory).stats["here"]["changed"] == 0
        programs = log.read_text().split()
        # the session's start tries setsid once; the run asks `id` once
        assert (programs.count("setsid"), programs.count("id")) == (1, 1), (name, programs)
        started[name] = [p for p in programs if p not in ("id", "setsid")]
    assert started == {
        "directory": ["stat"],
        "copy": ["stat", "sha1sum", "stat"],
        "template": ["stat", "sha1sum", "stat"],
        "lineinfile": ["stat", "cat"],
        "chmod": ["stat"],
    }
