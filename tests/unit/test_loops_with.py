"""The older ``with_<lookup>`` loop forms and ``loop_control.break_when``, run end to end.

Every form is run twice: with the plain ``item``, and with ``loop_control`` (``loop_var``,
``index_var``, ``label``, ``extended``), which must give the same items. Expected values
were checked against ansible-core 2.21.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}
VARS = """
    users:
      - {name: alice, keys: [k1, k2]}
      - {name: bob, keys: [k3]}
    partial:
      - {name: carol, keys: [k4]}
      - {name: dave}
    nested_users:
      - {name: erin, auth: {keys: [k5]}}
"""

# (loop keyword, its YAML value, the items it gives)
FORMS: list[tuple[str, str, list[Any]]] = [
    ("with_together", "[[1, 2, 3], [a, b]]", [[1, "a"], [2, "b"], [3, None]]),
    (
        "with_together",
        "[\"{{ users | map(attribute='name') }}\", [x, y]]",
        [["alice", "x"], ["bob", "y"]],
    ),
    ("with_nested", "[[1, 2], [a, b]]", [[1, "a"], [1, "b"], [2, "a"], [2, "b"]]),
    ("with_nested", "[[1], [a, b], [x]]", [[1, "a", "x"], [1, "b", "x"]]),
    (
        "with_subelements",
        '["{{ users }}", keys]',
        [[{"name": "alice"}, "k1"], [{"name": "alice"}, "k2"], [{"name": "bob"}, "k3"]],
    ),
    (
        "with_subelements",
        '["{{ partial }}", keys, {skip_missing: true}]',
        [[{"name": "carol"}, "k4"]],
    ),
    (  # other flags are ignored, as in Ansible (bertvv.bind writes `- flags:` above them)
        "with_subelements",
        '["{{ partial }}", keys, {flags: null, skip_missing: true}]',
        [[{"name": "carol"}, "k4"]],
    ),
    (
        "with_subelements",
        '["{{ nested_users }}", auth.keys]',
        [[{"name": "erin", "auth": {}}, "k5"]],
    ),
    ("with_indexed_items", "[a, b, [c, d]]", [[0, "a"], [1, "b"], [2, "c"], [3, "d"]]),
    ("with_indexed_items", "\"{{ ['x', 'y'] }}\"", [[0, "x"], [1, "y"]]),
    ("with_flattened", "[1, [2, [3, [4]]], ~]", [1, 2, 3, 4]),
    ("with_community.general.flattened", "[[a], [[b]]]", ["a", "b"]),
    ("with_lines", "\"printf 'one\\\\ntwo\\\\n'\"", ["one", "two"]),
    ("with_random_choice", "[only]", ["only"]),
    ("with_varnames", "'^(users|partial)$'", ["users", "partial"]),
    ("loop", "\"{{ query('together', [1, 2], ['a']) }}\"", [[1, "a"], [2, None]]),
    ("loop", "\"{{ lookup('nested', [1], ['a', 'b'], wantlist=True) }}\"", [[1, "a"], [1, "b"]]),
]


def run(tmp_path: Path, tasks: str) -> pbe.RunResult:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: a\n  gather_facts: false\n  vars:{VARS}\n  tasks:\n{tasks}")
    return pbe.run(book, INVENTORY)


def items_of(result: pbe.RunResult, index: int = -1) -> list[dict[str, Any]]:
    assert result.exit_code == 0, [r.result for r in result.results if r.status == "failed"]
    return list(result.results[index].items)


@pytest.mark.parametrize(
    ("keyword", "value", "expected"), FORMS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(FORMS)]
)
def test_loop_form_items(tmp_path: Path, keyword: str, value: str, expected: list[Any]) -> None:
    result = run(
        tmp_path,
        f"""
    - debug: {{msg: "{{{{ item }}}}"}}
      {keyword}: {value}
""",
    )
    assert [i["msg"] for i in items_of(result)] == expected


@pytest.mark.parametrize(
    ("keyword", "value", "expected"), FORMS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(FORMS)]
)
def test_loop_form_with_loop_control(
    tmp_path: Path, keyword: str, value: str, expected: list[Any]
) -> None:
    result = run(
        tmp_path,
        f"""
    - debug:
        msg: "{{{{ [idx, it, ansible_loop.index, ansible_loop.last, ansible_loop.length] }}}}"
      {keyword}: {value}
      loop_control: {{loop_var: it, index_var: idx, label: "#{{{{ idx }}}}", extended: true}}
""",
    )
    items = items_of(result)
    n = len(expected)
    assert [i["msg"] for i in items] == [
        [k, item, k + 1, k == n - 1, n] for k, item in enumerate(expected)
    ]
    assert [i["_ansible_item_label"] for i in items] == [f"#{k}" for k in range(n)]
    assert [i["it"] for i in items] == expected
    assert all(i["ansible_loop_var"] == "it" and i["ansible_index_var"] == "idx" for i in items)


def test_random_choice_picks_one_of_the_terms(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - debug: {msg: "{{ item }}"}
      with_random_choice: [a, b, c]
""",
    )
    assert [i["msg"] in ("a", "b", "c") for i in items_of(result)] == [True]


def test_with_ini_and_csvfile(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "app.ini").write_text("[db]\nuser = bob\nport = 5432\n")
    (tmp_path / "data.csv").write_text("alice,1\nbob,2\n")
    result = run(
        tmp_path,
        """
    - debug: {msg: "{{ item }}"}
      with_ini: [user section=db file=app.ini, port section=db file=app.ini]
    - debug: {msg: "{{ item }}"}
      with_csvfile: ["bob file=data.csv delimiter=,"]
""",
    )
    assert [i["msg"] for i in items_of(result, 0)] == ["bob", "5432"]
    assert [i["msg"] for i in items_of(result, 1)] == ["2"]


BAD_FORMS = [
    ("with_subelements", '["{{ partial }}", keys]', "could not find 'keys'"),
    ("with_subelements", '["{{ users }}"]', "two or three items"),
    (
        "with_subelements",
        '["{{ users }}", keys, {skip_mising: true}]',
        "unknown flag(s) skip_mising",
    ),
    ("with_subelements", '["{{ users }}", name]', "should point to a list"),
    ("with_nested", "[]", "needs at least one list"),
    ("with_together", "[]", "requires at least one element in each list"),
    ("with_together", "[[1], 5]", "every term must be a list, got int"),
    ("with_lines", '"exit 3"', "rc=3"),
    ("with_varnames", "'('", "Unable to use '(' as a search parameter"),
]


@pytest.mark.parametrize(("keyword", "value", "message"), BAD_FORMS)
def test_bad_loop_input_fails_the_task_with_a_message(
    tmp_path: Path, keyword: str, value: str, message: str
) -> None:
    result = run(
        tmp_path,
        f"""
    - debug: {{msg: "{{{{ item }}}}"}}
      {keyword}: {value}
""",
    )
    assert result.exit_code == 2
    assert [r.status for r in result.results] == ["failed"]
    assert message in str(result.results[0].result["msg"])
    assert str(result.results[0].result["msg"]).startswith(keyword)


# -- loop_control.break_when -----------------------------------------------------------------

# (task lines, how many items ran, the msg of each item or None, break_when_result per item)
BREAKS: dict[str, tuple[str, list[Any], list[bool]]] = {
    "on_item": (
        """
    - debug: {msg: "{{ item }}"}
      loop: [1, 2, 3, 4]
      loop_control: {break_when: item == 2}""",
        [1, 2],
        [False, True],
    ),
    "on_the_registered_result": (
        """
    - debug: {msg: "{{ item }}"}
      loop: [1, 2, 3, 4]
      register: r
      loop_control: {break_when: r.msg == 3}""",
        [1, 2, 3],
        [False, False, True],
    ),
    "on_a_skipped_item": (
        """
    - debug: {msg: "{{ item }}"}
      loop: [1, 2, 3]
      when: item != 2
      register: r
      loop_control: {break_when: r is skipped}""",
        [1, None],
        [False, True],
    ),
    "all_conditions_of_a_list": (
        """
    - debug: {msg: "{{ item }}"}
      loop: [1, 2, 3, 4, 5]
      loop_control:
        break_when: [item >= 3, item % 2 == 0]""",
        [1, 2, 3, 4],
        [False, False, False, True],
    ),
    "with_loop_var_and_index_var": (
        """
    - debug: {msg: "{{ it }}"}
      loop: [a, b, c]
      loop_control: {loop_var: it, index_var: i, break_when: "i == 1 and it == 'b'"}""",
        ["a", "b"],
        [False, True],
    ),
    "in_a_with_form": (
        """
    - debug: {msg: "{{ item }}"}
      with_nested: [[1, 2], [a, b]]
      loop_control: {break_when: "item == [1, 'b']"}""",
        [[1, "a"], [1, "b"]],
        [False, True],
    ),
    "never": (
        """
    - debug: {msg: "{{ item }}"}
      loop: [1, 2]
      loop_control: {break_when: false}""",
        [1, 2],
        [False, False],
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_break_when(tmp_path: Path, case: str) -> None:
    tasks, msgs, verdicts = BREAKS[case]
    result = run(tmp_path, tasks + "\n")
    items = items_of(result)
    assert [i.get("msg") for i in items] == msgs
    assert [i["break_when_result"] for i in items] == verdicts


def test_break_when_sees_facts_set_by_the_item(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """
    - set_fact: {x: "{{ item }}"}
      loop: [1, 2, 3, 4]
      loop_control: {break_when: x == 2}
    - debug: {msg: "{{ x }}"}
""",
    )
    assert len(items_of(result, 0)) == 2
    assert result.results[-1].result["msg"] == 2


def test_break_when_is_validated(tmp_path: Path) -> None:
    with pytest.raises(pbe.ValidationFailed) as info:
        run(
            tmp_path,
            """
    - debug: {msg: x}
      loop: [1]
      loop_control: {break_when: {a: 1}}
""",
        )
    assert "break_when" in str(info.value)


def test_a_loop_with_no_value_is_no_loop(tmp_path: Path) -> None:
    """`loop:` left empty (mariadb-galera-cluster has one) runs the task once, without
    `item`, as Ansible does; an empty `with_items:` is refused at validation, as Ansible
    refuses it."""
    result = run(
        tmp_path,
        """
    - debug: {msg: "{{ item | default('no item') }}"}
      loop:
""",
    )
    assert [(r.status, r.result["msg"]) for r in result.results] == [("ok", "no item")]
