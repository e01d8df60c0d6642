"""blockinfile's pure edit, case by case (tests/unit/modules/cases/blockinfile/*.yaml).

The case format is lineinfile's (see test_lineinfile.py): ``args``, ``input`` (null: no
file), expected ``output``/``changed``/``msg``, or the ``error`` the arguments raise.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from playbook_engine.errors import ModuleError
from playbook_engine.modules.blockinfile import BlockInFile, BlockSpec, plan
from playbook_engine.modules.util.textedit import split_lines

CASES = sorted((Path(__file__).parent / "modules" / "cases" / "blockinfile").glob("*.yaml"))


def show_diff(expected: bytes | None, actual: bytes | None) -> str:
    def lines(data: bytes | None) -> list[str]:
        if data is None:
            return ["<no file>\n"]
        return [repr(line)[2:-1] + "\n" for line in split_lines(data)]

    return "".join(difflib.unified_diff(lines(expected), lines(actual), "expected", "actual"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    encoding = case.get("encoding", "utf-8")
    args = BlockInFile.coerce(case["args"])
    before = None if case["input"] is None else case["input"].encode(encoding)
    if "error" in case:
        with pytest.raises(ModuleError, match=case["error"]):
            plan(args, before, args["path"])
        return
    outcome = plan(args, before, args["path"])
    changed = outcome.after is not None and outcome.after != before
    actual = outcome.after if changed else before
    expected = None if case["output"] is None else case["output"].encode(encoding)
    assert actual == expected, f"{case['description']}\n{show_diff(expected, actual)}"
    assert changed == case["changed"], case["description"]
    assert outcome.msg == case["msg"], case["description"]
    assert outcome.failed == case.get("failed", False)
    if "rc" in case:
        assert outcome.extra.get("rc") == case["rc"]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_cases_are_idempotent(path: Path) -> None:
    """Running the task again on its own output changes nothing."""
    case = yaml.safe_load(path.read_text())
    if "error" in case or case.get("failed") or case["output"] is None:
        return
    args = BlockInFile.coerce(case["args"])
    after = case["output"].encode(case.get("encoding", "utf-8"))
    again = plan(args, after, args["path"])
    assert again.after is None or again.after == after, show_diff(after, again.after)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 12


def test_block_lines_take_the_file_line_ending() -> None:
    spec = BlockSpec.from_args(BlockInFile.coerce({"path": "/f", "block": "a\r\nb\n"}))
    assert spec.lines(b"\r\n") == [
        b"# BEGIN ANSIBLE MANAGED BLOCK\r\n",
        b"a\r\n",
        b"b\r\n",
        b"# END ANSIBLE MANAGED BLOCK\r\n",
    ]
    assert spec.lines(b"\n")[1:3] == [b"a\r\n", b"b\n"]  # its own CRLF kept, as Ansible


def test_block_keeps_inner_blank_lines() -> None:
    spec = BlockSpec.from_args(BlockInFile.coerce({"path": "/f", "block": "a\n\nb\n\n"}))
    assert spec.lines(b"\n")[1:-1] == [b"a\n", b"\n", b"b\n", b"\n"]
