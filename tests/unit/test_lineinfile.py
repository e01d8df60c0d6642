"""lineinfile's pure edit, case by case (tests/unit/modules/cases/lineinfile/*.yaml), and
the textedit helpers it is built on.

A case file holds ``args`` (as a task would give them), ``input`` (the file's text, null for
no file; ``encoding`` says how text becomes bytes, UTF-8 by default) and the expected
``output``, ``changed``, ``msg`` (plus ``failed``/``rc``/``found``/``warning``), or the
``error`` the arguments raise. A mismatch prints a unified diff of the file.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml

from playbook_engine.errors import ModuleError
from playbook_engine.modules.lineinfile import LineInFile, plan
from playbook_engine.modules.util.filestate import FileState
from playbook_engine.modules.util.probe import CONTENT_MARK, Env, ProbeCache
from playbook_engine.modules.util.textedit import (
    FileOptions,
    ask_host,
    attr_changes,
    forbidden,
    newline_of,
    owner_after_write,
    split_lines,
)
from playbook_engine.transport.base import CommandResult

CASES = sorted((Path(__file__).parent / "modules" / "cases" / "lineinfile").glob("*.yaml"))


def encode(text: str | None, encoding: str) -> bytes | None:
    return None if text is None else text.encode(encoding)


def show_diff(expected: bytes | None, actual: bytes | None) -> str:
    """A readable reason for a failed case: the unified diff, line endings made visible."""

    def lines(data: bytes | None) -> list[str]:
        if data is None:
            return ["<no file>\n"]
        return [repr(line)[2:-1] + "\n" for line in split_lines(data)]

    return "".join(difflib.unified_diff(lines(expected), lines(actual), "expected", "actual"))


def check_case(
    case: dict[str, Any], args: dict[str, Any], outcome: Any, before: bytes | None
) -> None:
    encoding = case.get("encoding", "utf-8")
    changed = outcome.after is not None and outcome.after != before
    actual = outcome.after if changed else before
    expected = encode(case["output"], encoding)
    assert actual == expected, f"{case['description']}\n{show_diff(expected, actual)}"
    assert changed == case["changed"], case["description"]
    assert outcome.msg == case["msg"], case["description"]
    assert outcome.failed == case.get("failed", False)
    for key in ("rc", "found"):
        if key in case:
            assert outcome.extra.get(key) == case[key], key
    if "warning" in case:
        assert any(case["warning"] in w for w in outcome.warnings), outcome.warnings
    else:
        assert not outcome.warnings


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    args = LineInFile.coerce(case["args"])
    before = encode(case["input"], case.get("encoding", "utf-8"))
    if "error" in case:
        with pytest.raises(ModuleError, match=case["error"].replace("(", r"\(")):
            plan(args, before, args["path"])
        return
    check_case(case, args, plan(args, before, args["path"]), before)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_present_cases_are_idempotent(path: Path) -> None:
    """Running the task again on its own output changes nothing."""
    case = yaml.safe_load(path.read_text())
    if "error" in case or case.get("failed") or case["output"] is None:
        return
    args = LineInFile.coerce(case["args"])
    after = case["output"].encode(case.get("encoding", "utf-8"))
    again = plan(args, after, args["path"])
    assert again.after is None or again.after == after, show_diff(after, again.after)


def test_split_lines_keeps_endings_and_lone_cr() -> None:
    assert split_lines(b"a\r\nb\rc\nd") == [b"a\r\n", b"b\rc\n", b"d"]
    assert split_lines(b"") == []
    assert split_lines(b"\n\n") == [b"\n", b"\n"]


def test_newline_is_judged_by_the_first_line() -> None:
    assert newline_of(b"a\r\nb\n") == b"\r\n"
    assert newline_of(b"a\nb\r\n") == b"\n"
    assert newline_of(b"no newline") == b"\n"
    assert newline_of(b"\r\n") == b"\r\n"


class Replies:
    """The remote-files side of a probe: one canned reply to every query."""

    check = False

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.cache = ProbeCache()
        self.scripts: list[str] = []

    def known(self, path: str) -> FileState | None:
        return None

    def query(self, script: str, stdin: bytes | None = None) -> CommandResult:
        self.scripts.append(script)
        return CommandResult(0, self.reply, b"")


def _reply(real: str, stat: str, w: str = "1|0|1", content: bytes = b"") -> bytes:
    ids = "uid=1000(pbetest) gid=1000(pbetest) groups=1000(pbetest),27(sudo)"
    return (
        f"env|0022|{ids}\nW|{w}\nreal|{real.encode().hex()}\ns|{stat}\n".encode()
        + CONTENT_MARK
        + content
    )


def test_probe_with_odd_path_and_binary_content() -> None:
    content = b"x\0y\n\xff"
    stat = "st|regular file|644|1000|1000|pbetest|pbetest|7|1.0|1700000000.0|1.0|1|5|6"
    files = Replies(_reply("/tmp/a\nb c", stat, content=content))
    target = ask_host(files, "/tmp/link")
    assert len(files.scripts) == 1
    assert target.path == "/tmp/a\nb c"
    assert target.state.kind == "file" and target.state.mode == "0644"
    assert target.content == content
    assert target.writable and target.parent_ok and target.missing == 0
    assert target.identity == USER


def test_probe_of_a_missing_file_in_missing_dirs() -> None:
    target = ask_host(Replies(_reply("/x/y/z", "absent", w="0|2|1")), "/x/y/z")
    assert not target.state.exists and target.content is None
    assert target.missing == 2 and not target.writable


def test_probe_rejects_garbage() -> None:
    with pytest.raises(ModuleError, match="unexpected reply"):
        ask_host(Replies(b"oops"), "/f")


def test_attr_changes_symbolic_and_numeric_ids() -> None:
    state = FileState("/f", "file", mode="0644", uid=0, gid=0, owner="root", group="root")
    assert attr_changes(state, FileOptions(mode="0644", owner="0", group="root")) == {}
    assert attr_changes(state, FileOptions(mode="g+w")) == {"mode": ("0644", "0664")}
    assert attr_changes(state, FileOptions(owner="pbetest")) == {"owner": ("root", "pbetest")}


def test_bad_mode_is_a_module_error() -> None:
    state = FileState("/f", "file", mode="0644")
    with pytest.raises(ModuleError, match="mode"):
        attr_changes(state, FileOptions(mode="u=banana"))


USER = Env.parse("0022", "uid=1000(pbetest) gid=1000(pbetest) groups=1000(pbetest),27(sudo)")
ROOT = Env.parse("0022", "uid=0(root) gid=0(root) groups=0(root)")
MINE = FileState("/f", "file", mode="0644", uid=1000, gid=1000, owner="pbetest", group="pbetest")
ROOTS = FileState("/f", "file", mode="0644", uid=0, gid=0, owner="root", group="root")


@pytest.mark.parametrize(
    ("state", "opts", "rewrite", "expected"),
    [
        (ROOTS, FileOptions(owner="root"), True, "owner"),  # chown of the temp file to root
        (ROOTS, FileOptions(owner="pbetest"), True, None),  # a rewrite makes it ours
        (ROOTS, FileOptions(group="sudo"), True, None),
        (ROOTS, FileOptions(group="root"), True, "group"),
        (ROOTS, FileOptions(mode="0600"), True, None),  # the temp file is ours
        (ROOTS, FileOptions(mode="0600"), False, "mode"),  # chmod needs ownership
        (ROOTS, FileOptions(owner="pbetest"), False, "owner"),  # only root gives files away
        (MINE, FileOptions(mode="0600"), False, None),
        (MINE, FileOptions(group="sudo"), False, None),
        (MINE, FileOptions(group="root"), False, "group"),
    ],
)
def test_what_a_non_root_writer_may_change(
    state: FileState, opts: FileOptions, rewrite: bool, expected: str | None
) -> None:
    attrs = attr_changes(state, opts)
    assert forbidden(state, attrs, opts, USER, rewrite) == expected
    assert forbidden(state, attrs, opts, ROOT, rewrite) is None


def test_owner_after_a_rewrite() -> None:
    none = FileOptions()
    assert owner_after_write(ROOTS, none, ROOT) == ("root", "root")
    assert owner_after_write(ROOTS, none, USER) == ("pbetest", "pbetest")  # chown fails
    assert owner_after_write(MINE, none, USER) == ("pbetest", "pbetest")
    in_sudo = FileState("/f", "file", uid=1000, gid=27, owner="pbetest", group="sudo")
    assert owner_after_write(in_sudo, none, USER) == ("pbetest", "sudo")
    assert owner_after_write(ROOTS, FileOptions(owner="pbetest"), ROOT) == ("pbetest", "root")
    assert owner_after_write(None, FileOptions(group="sudo"), USER) == ("pbetest", "sudo")
