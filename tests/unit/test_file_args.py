"""Arguments of the file and command modules that follow Ansible closely: word expansion
(``expand_argument_vars``, ``validate``), ``validate`` itself, the SELinux parts, links in
copied trees and ``stat``'s mime type, against a local ``sh`` and recorded SELinux hosts."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.errors import ModuleError
from playbook_engine.modules.blockinfile import BlockInFile
from playbook_engine.modules.command import Command
from playbook_engine.modules.copy import Copy
from playbook_engine.modules.file import Facts, Want, plan
from playbook_engine.modules.lineinfile import LineInFile
from playbook_engine.modules.stat import Stat, mime_values, selinux_list
from playbook_engine.modules.util import selinux
from playbook_engine.modules.util.filestate import FileState, Prediction
from playbook_engine.modules.util.filetree import local_tree
from playbook_engine.modules.util.probe import Entry, Env
from playbook_engine.modules.util.remotefs import RemoteFiles
from playbook_engine.modules.util.selinux import SeContext
from playbook_engine.modules.util.textedit import ask_host
from playbook_engine.modules.util.words import ValidateFailed, command_line, validate_line
from playbook_engine.testing.recorded import Answer, RecordedHost
from playbook_engine.transport.base import CommandResult


def sh(command: str, stdin: bytes | None = None, **_: Any) -> CommandResult:
    proc = subprocess.run(
        ["/bin/sh", "-c", command], input=stdin or b"", capture_output=True, check=False
    )
    return CommandResult(proc.returncode, proc.stdout, proc.stderr)


# -- words, as Ansible's run_command expands them -----------------------------------------

WORDS = [
    "$X",
    "~$Y",
    "$Z",
    "~root/a",
    "~nobody",
    "~nosuchuser/x",
    "$EMPTY|",
    "${X}",
    "${}",
    "$1a",
    "$",
    "$$",
    "~/",
    "x~",
    "${A B}",
    "$UNI_é",
    "~$X",
    "plain",
    "a b",
    "it's",
    "$HOME$HOME",
    "~",
    "~0",
    "$NL",
    "-n",
    "${UNSET}tail",
    "$X/$Y",
]


@pytest.mark.parametrize("home", ["/root/", "", None])
def test_words_expand_like_pythons_expandvars_then_expanduser(
    monkeypatch: pytest.MonkeyPatch, home: str | None
) -> None:
    env = {"X": "~/q", "Y": "root", "Z": "~", "EMPTY": "", "NL": "a\n\n"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("UNSET", raising=False)
    if home is None:
        monkeypatch.delenv("HOME", raising=False)
    else:
        monkeypatch.setenv("HOME", home)
    script = command_line(["printf", "%s\\0", *WORDS])
    out = sh(script)
    assert out.rc == 0, out.err
    expected = [os.path.expanduser(os.path.expandvars(w)) for w in WORDS]
    assert out.stdout.decode().split("\0")[:-1] == expected


def test_words_without_anything_to_expand_are_one_quoted_line() -> None:
    assert command_line(["echo", "a b", "$X"], expand=False) == "echo 'a b' '$X'"
    assert command_line(["echo", "a~b"]) == "echo 'a~b'"


def test_validate_line_needs_percent_s_and_a_valid_format() -> None:
    with pytest.raises(ModuleError, match="validate must contain %s: visudo -c"):
        validate_line("visudo -c", "t")
    with pytest.raises(ModuleError, match="not enough arguments"):
        validate_line("echo %s %s", "t")
    with pytest.raises(ModuleError, match="No closing quotation"):
        validate_line("echo '%s", "t")


def test_validate_line_puts_the_file_in_unexpanded_and_expands_the_rest() -> None:
    script = validate_line("printf '%%s|' %s $HOME ~", "t")
    out = sh(f"t='/x/$(y) ~'; {script}")
    assert out.stdout.decode() == f"/x/$(y) ~|{os.environ['HOME']}|{os.path.expanduser('~')}|"


# -- validate, on a local sh -------------------------------------------------------------


def put(stream: Any, path: str, mode: int | None) -> None:
    Path(path).write_bytes(stream.read())
    os.chmod(path, mode or 0o600)


def files(check: bool = False) -> RemoteFiles:
    return RemoteFiles(sh, put, check, Prediction())


def test_a_failing_validate_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    dest = tmp_path / "conf"
    dest.write_text("old\n")
    with pytest.raises(ValidateFailed) as caught:
        files().write(
            str(dest), b"new\n", validate="sh -c 'cat $0; echo no >&2; exit 3' %s", backup=True
        )
    assert (caught.value.rc, caught.value.stdout, caught.value.stderr) == (3, "new\n", "no\n")
    assert caught.value.message == "failed to validate: rc:3 error:no\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conf"]
    assert dest.read_text() == "old\n"


def test_a_passing_validate_sees_the_new_file_with_its_mode(tmp_path: Path) -> None:
    dest = tmp_path / "conf"
    dest.write_text("old\n")
    backup = files().write(
        str(dest),
        b"new\n",
        mode="0640",
        backup=True,
        validate="sh -c 'test $(stat -c %%a $0) = 640 && grep -q new $0' %s",
    )
    assert dest.read_text() == "new\n" and dest.stat().st_mode & 0o777 == 0o640
    assert backup is not None and Path(backup).read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["conf", Path(backup).name])


def test_check_mode_does_not_run_validate(tmp_path: Path) -> None:
    dest = tmp_path / "conf"
    assert files(check=True).write(str(dest), b"x", validate="no percent") is None
    assert not dest.exists()


@dataclass
class LocalCtx:
    """The module context the file modules use, on the local sh."""

    check: bool = False
    diff: bool = False
    host: str = "local"
    prediction: Prediction = field(default_factory=Prediction)

    @property
    def files(self) -> RemoteFiles:
        return RemoteFiles(sh, put, self.check, self.prediction)

    def run(self, command: str, **kw: Any) -> CommandResult:
        return sh(command, **kw)


def run(module: Any, ctx: Any, **args: Any) -> dict[str, Any]:
    result: dict[str, Any] = module().run(module.coerce(args), ctx).as_dict()
    return result


@pytest.mark.parametrize("module", [LineInFile, BlockInFile])
def test_text_edits_fail_validation_as_ansible_words_it(module: Any, tmp_path: Path) -> None:
    dest = tmp_path / "f"
    dest.write_text("a\n")
    key = "line" if module is LineInFile else "block"
    result = run(
        module,
        LocalCtx(),
        path=str(dest),
        **{key: "b"},
        validate="sh -c 'echo out; echo err >&2; exit 3' %s",
    )
    assert result == {
        "changed": False,
        "failed": True,
        "msg": "failed to validate: rc:3 error:err\n",
    }
    assert dest.read_text() == "a\n"
    assert run(module, LocalCtx(), path=str(dest), **{key: "b"}, validate="grep -q b %s")["changed"]
    assert "b\n" in dest.read_text()


def test_copy_fails_validation_with_exit_status_and_output(tmp_path: Path) -> None:
    dest = tmp_path / "f"
    dest.write_text("a\n")
    result = run(
        Copy,
        LocalCtx(),
        content="b\n",
        dest=str(dest),
        validate="sh -c 'echo out; echo err >&2; exit 3' %s",
    )
    assert {
        k: result[k]
        for k in (
            "failed",
            "changed",
            "msg",
            "exit_status",
            "stdout",
            "stderr",
            "stdout_lines",
            "checksum",
        )
    } == {
        "failed": True,
        "changed": False,
        "msg": "failed to validate",
        "exit_status": 3,
        "stdout": "out\n",
        "stderr": "err\n",
        "stdout_lines": ["out"],
        "checksum": hashlib.sha1(b"b\n").hexdigest(),
    }
    assert dest.read_text() == "a\n"
    unchanged = run(Copy, LocalCtx(), content="a\n", dest=str(dest), validate="not used")
    assert unchanged["changed"] is False and "failed" not in unchanged


def test_copy_remote_src_validates_too(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.write_text("new\n")
    dest.write_text("old\n")
    result = run(
        Copy, LocalCtx(), src=str(src), remote_src=True, dest=str(dest), validate="false %s"
    )
    assert result["failed"] and dest.read_text() == "old\n" and src.read_text() == "new\n"
    assert run(
        Copy, LocalCtx(), src=str(src), remote_src=True, dest=str(dest), validate="grep -q new %s"
    )["changed"]
    assert dest.read_text() == "new\n" and src.exists()


# -- command --------------------------------------------------------------------------------


def test_command_warns_that_it_ignores_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PBE_T", "v")
    result = run(Command, LocalCtx(), cmd="echo $PBE_T ~root", executable="/bin/false")
    assert result["stdout"] == "v /root" and result["rc"] == 0
    assert result["cmd"] == ["echo", "$PBE_T", "~root"]
    assert "executable" in result["warnings"][0]
    literal = run(Command, LocalCtx(), argv=["echo", "$PBE_T", "~root"], expand_argument_vars=False)
    assert literal["stdout"] == "$PBE_T ~root" and "warnings" not in literal


# -- SELinux --------------------------------------------------------------------------------


def test_selinux_parts_resolve_default_and_compare_only_what_is_given() -> None:
    se = SeContext("system_u:object_r:etc_t:s0", "system_u:object_r:httpd_config_t:s0")
    assert selinux.wanted({"setype": "_default", "seuser": "u"}, se) == {
        "seuser": "u",
        "setype": "httpd_config_t",
    }
    assert selinux.wanted({"setype": "x_t"}, None) == {}  # SELinux off: ignored
    assert selinux.wanted({"selevel": "_default"}, SeContext("a:b:c:s0", "")) == {}
    assert selinux.changes({"setype": "etc_t"}, se) is None
    assert selinux.changes({"setype": "x_t"}, se) == (se.current, "system_u:object_r:x_t:s0")
    assert selinux.changes({"setype": "x_t"}, SeContext("", "")) == ("", "::x_t")
    assert selinux.after({"selevel": "s0:c1,c2"}, "u:r:t:s0") == "u:r:t:s0:c1,c2"
    assert selinux.split("u:r:t:s0-s0:c0.c1023") == ["u", "r", "t", "s0-s0:c0.c1023"]
    assert selinux.chcon({"setype": "a b"}, '"$t"') == "chcon -h -t 'a b' -- \"$t\""
    assert selinux.parse_line("Z") is None
    assert selinux.parse_line("Z|?|") == SeContext("", "")


def test_the_selinux_probe_prints_nothing_where_selinux_is_off(tmp_path: Path) -> None:
    assert not Path("/sys/fs/selinux/enforce").exists(), "this test needs SELinux off"
    assert sh(selinux.probe(str(tmp_path))).stdout == b""
    assert sh(selinux.probe(str(tmp_path), always=True)).stdout == b"Z\n"


ROOT = Env(uid=0, gid=0, groups=frozenset({0}), umask=0o022, user="root", group="root")
ETC = "system_u:object_r:etc_t:s0"
ETC_CONTEXT = SeContext(ETC, ETC)


def _file_facts(kind: str = "file", se: SeContext | None = ETC_CONTEXT) -> Facts:
    state = FileState("/w/x", kind, mode="0644", uid=0, gid=0, owner="root", group="root", nlink=1)
    parent = Entry(FileState("/w", "directory", "0755", 0, 0, "root", "root"), access="rwx")
    return Facts(Entry(state), ROOT, ancestors=(parent,), se=se)


def test_file_plans_chcon_only_where_the_context_differs() -> None:
    result = plan(Want("/w/x", "file", selinux={"setype": "httpd_t"}), _file_facts())
    assert result.changed and result.steps == ["chcon -t httpd_t -- /w/x"]
    assert result.before["secontext"] == ETC
    assert result.after["secontext"] == "system_u:object_r:httpd_t:s0"
    assert result.final.selinux == SeContext("system_u:object_r:httpd_t:s0", ETC)
    same = plan(Want("/w/x", "file", selinux={"setype": "etc_t"}), _file_facts())
    assert not same.changed and not same.steps
    off = plan(Want("/w/x", "file", selinux={"setype": "httpd_t"}), _file_facts(se=None))
    assert not off.changed and not off.steps


def test_file_chcons_the_directories_it_makes() -> None:
    facts = Facts(
        Entry(FileState("/w/x")),
        ROOT,
        ancestors=(
            Entry(FileState("/w", "directory", "0755", 0, 0, "root", "root"), access="rwx"),
        ),
        se=SeContext("", ETC),
    )
    result = plan(Want("/w/x", "directory", selinux={"seuser": "_default"}), facts)
    assert result.steps[-1] == '{ [ $# = 0 ] || chcon -h -u system_u -- "$@"; }'


@dataclass
class SeHost(RecordedHost):
    """A recorded host whose file operations go through RemoteFiles, as on a real one."""

    prediction: Prediction = field(default_factory=Prediction)
    _files: RemoteFiles | None = None

    @property
    def files(self) -> RemoteFiles:
        if self._files is None:  # one per task, as the executor's: it holds the probe cache
            self._files = RemoteFiles(self.run, lambda *a: None, self.check, self.prediction)
        return self._files


def _stat_reply(data: bytes, context: str) -> str:
    """The probe layer's answer for /etc/app.conf (with its sha1 and context), its
    directory and the user (root)."""
    return (
        f"p0|st|regular file|644|0|0|root|root|{len(data)}|1.0|1700000000.0|1.0|1|5|6\n"
        f"p0|sum|{hashlib.sha1(data).hexdigest()}\nZp0|{context}|{ETC}\n"
        "dir|st|directory|755|0|0|root|root|4096|1.0|1.0|1.0|2|7|6\ndir|acc|rwx\n"
        "env|0022|uid=0(root) gid=0(root) groups=0(root)\n"
    )


def test_copy_chcons_a_file_whose_content_is_right_in_place() -> None:
    host = SeHost(
        [
            Answer("_q p0 /etc/app.conf NS", stdout=_stat_reply(b"x", ETC)),
            Answer("chcon -h -t httpd_config_t -- /etc/app.conf"),
        ]
    )
    result = run(Copy, host, content="x", dest="/etc/app.conf", setype="httpd_config_t")
    assert result["changed"] and result["secontext"] == "system_u:object_r:httpd_config_t:s0"
    assert len(host.commands) == 2 and not host.answers
    host = SeHost([Answer("_q p0 /etc/app.conf NS", stdout=_stat_reply(b"x", ETC))], check=True)
    assert run(Copy, host, content="x", dest="/etc/app.conf", setype="etc_t")["changed"] is False


def test_copy_chcons_the_temp_file_before_the_rename() -> None:
    host = SeHost(
        [
            Answer("_q p0 /etc/app.conf NS", stdout=_stat_reply(b"old", ETC)),
            Answer('chcon -h -t httpd_config_t -- "$t"'),
        ]
    )
    assert run(Copy, host, content="new", dest="/etc/app.conf", setype="httpd_config_t")["changed"]
    assert "chcon --reference=" in host.commands[-1]  # the old context first, as Ansible
    assert host.commands[-1].index("chcon --reference") < host.commands[-1].index("mv -fT")


def test_lineinfile_reads_the_context_in_its_one_probe() -> None:
    probe = (
        "env|0022|uid=0(root) gid=0(root) groups=0(root)\nW|1|0|1\n"
        f"real|{b'/etc/f'.hex()}\n"
        "s|st|regular file|644|0|0|root|root|2|1.0|1.0|1.0|1|5|6\n"
        f"Zs|{ETC}|{ETC}\n\n@@pbe-content@@\0a\n"
    )
    host = SeHost([Answer("case $p in", stdout=probe)])
    target = ask_host(host.files, "/etc/f", context=True)
    assert target.state.selinux == SeContext(ETC, ETC) and target.content == b"a\n"
    host = SeHost([Answer("case $p in", stdout=probe), Answer("chcon -h -l s1 -- /etc/f")])
    result = run(LineInFile, host, path="/etc/f", line="a", selevel="s1")
    assert result["changed"] and result["msg"] == "ownership, perms or SE linux context changed"
    assert len(host.commands) == 2


# -- links in copied trees ------------------------------------------------------------------


def test_local_tree_keeps_links_as_links_without_follow(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "a").write_text("a")
    (root / "rel").symlink_to("a")
    (root / "broken").symlink_to("nowhere")
    (root / "dirlink").symlink_to("sub")
    (root / "sub" / "loop").symlink_to("..")
    followed = {e.rel: (e.kind, e.target) for e in local_tree(root, follow=True)}
    assert followed == {
        "a": ("file", None),
        "broken": ("link", "nowhere"),
        "dirlink": ("dir", None),
        "dirlink/loop": ("link", ".."),
        "rel": ("file", None),
        "sub": ("dir", None),
        "sub/loop": ("link", ".."),
    }
    kept = {e.rel: (e.kind, e.target) for e in local_tree(root, follow=False)}
    assert kept == {
        "a": ("file", None),
        "broken": ("link", "nowhere"),
        "dirlink": ("link", "sub"),
        "rel": ("link", "a"),
        "sub": ("dir", None),
        "sub/loop": ("link", ".."),
    }


# -- stat's mime type -------------------------------------------------------------------------


def test_mime_values_parse_files_answer_or_say_unknown() -> None:
    assert mime_values("text/plain; charset=utf-8") == {
        "mimetype": "text/plain",
        "charset": "utf-8",
    }
    assert mime_values("inode/symlink") == {"mimetype": "unknown", "charset": "unknown"}
    assert mime_values(None) == {"mimetype": "unknown", "charset": "unknown"}
    assert selinux_list(None, True) == [None, None, None]
    assert selinux_list(SeContext("u:r:t:s0"), True) == ["u", "r", "t", "s0"]
    assert selinux_list(SeContext(""), True) == [None] * 4


def test_stat_reports_the_mime_type_of_the_path_itself(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("héllo\n")
    (tmp_path / "lnk").symlink_to("t.txt")
    (tmp_path / "empty").write_bytes(b"")
    seen = {
        name: {
            k: run(Stat, LocalCtx(), path=str(tmp_path / name), follow=True)["stat"][k]
            for k in ("mimetype", "charset")
        }
        for name in ("t.txt", "lnk", "empty", ".")
    }
    assert seen == {
        "t.txt": {"mimetype": "text/plain", "charset": "utf-8"},
        "lnk": {"mimetype": "inode/symlink", "charset": "binary"},
        "empty": {"mimetype": "inode/x-empty", "charset": "binary"},
        ".": {"mimetype": "inode/directory", "charset": "binary"},
    }
    off = run(
        Stat, LocalCtx(), path=str(tmp_path / "t.txt"), get_mime=False, get_selinux_context=True
    )["stat"]
    assert "mimetype" not in off and off["selinux_context"] == [None, None, None]


def test_stat_reports_blocks_and_disk_usage_as_ansible_2_21(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 10000)
    want = os.stat(tmp_path / "f")
    got = run(Stat, LocalCtx(), path=str(tmp_path / "f"))["stat"]
    assert (got["blocks"], got["block_size"], got["disk_usage_bytes"]) == (
        want.st_blocks,
        want.st_blksize,
        want.st_blocks * 512,
    )
    assert (
        run(Stat, LocalCtx(), path="/dev/null")["stat"]["device_type"]
        == os.stat("/dev/null").st_rdev
    )


def test_stat_of_a_file_a_check_run_would_write_asks_file_about_its_bytes(tmp_path: Path) -> None:
    ctx = LocalCtx(check=True)
    path = str(tmp_path / "new.sh")
    ctx.prediction.record(
        FileState(path, "file", mode="0755", content=b"#!/bin/sh\necho\n", size=15)
    )
    result = Stat().run(Stat.coerce({"path": path}), ctx)  # type: ignore[arg-type]
    assert not result.unknown
    assert result.values["stat"]["mimetype"] == "text/x-shellscript"
