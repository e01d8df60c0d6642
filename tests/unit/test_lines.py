"""stdout_lines as ``Lines``: split like str.splitlines(), used like a list everywhere."""

from __future__ import annotations

import io
import json
import operator
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

import playbook_engine as pbe
from playbook_engine.cli import main
from playbook_engine.reporting.jsonwrite import dump
from playbook_engine.templating import templar as templating
from playbook_engine.templating.lines import Lines, blocks_of

TEXTS = [
    "",
    "\n",
    "\n\n",
    "a",
    "a\n",
    "a\r\nb",
    "a\rb\n",
    "\r\n\r\n",
    "x\x0by\x0cz\x1c",
    "\x85\u2028\u2029",
    "one\n\ntwo\r\n\rthree",
    "no end",
    "é\nü\r\n☃",
]
HOST_STR = getattr(templating, "Unsafe", str)  # the type host strings have, if any
LOCAL = {"all": {"hosts": {"h": None}, "vars": {"ansible_connection": "local"}}}


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("block", [1, 2, 3, 1 << 20])
def test_split_like_splitlines_in_any_block_size(
    text: str, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks_of, "__defaults__", (block,))
    lines, expected = Lines(text), text.splitlines()
    assert list(lines) == expected
    assert len(lines) == len(expected)
    assert [lines[i] for i in range(len(lines))] == expected
    assert [lines[-i] for i in range(1, len(lines) + 1)] == [
        expected[-i] for i in range(1, len(expected) + 1)
    ]
    assert [x for b in lines.blocks() for x in b] == expected


def test_behaves_like_a_list_of_host_strings() -> None:
    lines = Lines("a\nb\nc\n")
    assert lines == ["a", "b", "c"] and operator.eq(["a", "b", "c"], lines)
    assert lines != ["a", "b"] and lines == Lines("a\nb\nc")
    assert lines[1:] == ["b", "c"] and lines[::-1] == ["c", "b", "a"]
    assert "b" in lines and "ab" not in lines and 3 not in lines
    assert lines + ["d"] == ["a", "b", "c", "d"] and ["z"] + lines == ["z", "a", "b", "c"]
    assert str(lines) == repr(lines) == "['a', 'b', 'c']"
    assert bool(lines) and not Lines("") and list(reversed(lines)) == ["c", "b", "a"]
    assert all(type(line) is HOST_STR for line in [*lines, lines[0], *lines[1:]])
    assert pickle.loads(pickle.dumps(lines)) == ["a", "b", "c"]
    with pytest.raises(IndexError):
        lines[3]
    with pytest.raises(TypeError):
        hash(lines)


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_json_writer_matches_json_dump(indent: int | None) -> None:
    doc: dict[Any, Any] = {
        "s": 'tab\t"quote" é \u2028',
        "n": [1, 2.5, None, True, float("inf")],
        "e": {},
        "l": [],
        "t": (1, [2, {"x": ()}]),
        3: "int key",
        None: 0,
        "o": ValueError("x"),
        "lines": Lines('a\n"b"\n\nc'),
        "none": Lines(""),
        "nested": [Lines("x")],
    }
    out = io.StringIO()
    dump(doc, out.write, indent)
    plain = {**doc, "lines": ["a", '"b"', "", "c"], "none": [], "nested": [["x"]]}
    assert out.getvalue() == json.dumps(plain, indent=indent, default=str, ensure_ascii=False)


def test_registered_lines_work_in_loops_filters_and_files(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  tasks:
    - command: printf 'a\\nb\\nc\\n'
      register: out
    - name: loop
      debug: {{msg: "{{{{ item }}}}"}}
      loop: "{{{{ out.stdout_lines }}}}"
    - name: with_items
      debug: {{msg: "{{{{ item }}}}"}}
      with_items: "{{{{ out.stdout_lines }}}}"
    - name: checks
      assert:
        that:
          - out.stdout_lines | length == 3
          - out.stdout_lines[1] == 'b' and out.stdout_lines[-1] == 'c'
          - "'b' in out.stdout_lines"
          - out.stdout_lines == ['a', 'b', 'c']
          - out.stdout_lines | join(',') == 'a,b,c'
          - out.stdout_lines | first == 'a' and out.stdout_lines | last == 'c'
          - ([out.stdout_lines, ['d']] | flatten) == ['a', 'b', 'c', 'd']
          - out.stdout_lines | select('match', '[ab]') | list == ['a', 'b']
          - out.stdout_lines | type_debug == 'list'
          - (out.stdout_lines | to_json) == '["a", "b", "c"]'
          - (out.stdout_lines | tojson) == '["a", "b", "c"]'
          - (out | to_json | from_json).stdout_lines == ['a', 'b', 'c']
          - (out.stdout_lines | to_yaml | trim) == '[a, b, c]'
          - out.stderr_lines == [] and not out.stderr_lines
    - copy:
        content: "{{{{ out.stdout_lines }}}}"
        dest: {tmp_path}/lines.json
    - set_fact:
        kept: "{{{{ out.stdout_lines }}}}"
    - command:
        argv: "{{{{ ['echo'] + kept }}}}"
      register: echoed
""")
    result = pbe.run(book, LOCAL)
    assert result.exit_code == 0, [r.result.get("msg") for r in result.results]
    loops = {r.task_name: [i["item"] for i in r.items] for r in result.results if r.items}
    assert loops == {"loop": ["a", "b", "c"], "with_items": ["a", "b", "c"]}
    assert json.loads((tmp_path / "lines.json").read_text()) == ["a", "b", "c"]
    echoed = next(r for r in result.results if r.result.get("cmd") == ["echo", "a", "b", "c"])
    assert echoed.result["stdout"] == "a b c"


def test_outputs_write_lines_as_lists_with_secrets_masked(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - name: print
      shell: printf 'one\\nS3cret-pw here\\n'
""")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "h": {"ansible_connection": "local", "ansible_become_password": "S3cret-pw"}
                    }
                }
            }
        )
    )
    for fmt in ("json", "jsonl"):
        out, err = io.StringIO(), io.StringIO()
        assert main(["run", str(book), "-i", str(inventory), "--format", fmt], out, err) == 0
        text = out.getvalue()
        assert "S3cret-pw" not in text
        records = (
            [json.loads(line) for line in text.splitlines()]
            if fmt == "jsonl"
            else [
                h["result"]
                for t in json.loads(text)["plays"][0]["tasks"]
                for h in t["hosts"].values()
            ]
        )
        found = [r.get("result", r) for r in records if "stdout_lines" in r.get("result", r)]
        assert found[0]["stdout_lines"] == ["one", "******** here"], fmt
