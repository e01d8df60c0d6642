"""Keyword behaviours matched on Ansible's own integration targets (loop, delegate_to,
tags, check_mode), run on the local connection."""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}


def play(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("loop", ["'{{ range(3) }}'", "'{{ 5 }}'", "'{{ none }}'"])
def test_loop_over_what_is_not_a_list_fails_the_task(tmp_path: Path, loop: str) -> None:
    """Ansible refuses a loop that is not a list (a range, a number ...); pbe used to loop
    once over it as a single item."""
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        f"    - debug: msg={{{{ item }}}}\n      loop: {loop}\n"
        "    - debug: msg=ok\n      loop: '{{ range(2) | list }}'\n",
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 2
    assert [r.status for r in result.results] == ["failed"]
    assert "loop needs a list, got" in str(result.results[0].result["msg"])


@pytest.mark.parametrize("cli_check", [False, True])
def test_a_task_forced_into_check_mode_registers_a_known_result(
    tmp_path: Path, cli_check: bool
) -> None:
    """`check_mode: true` on the task or play: the command is not run, in a real run too,
    so what it registers is known (not 'unpredictable'), with or without --check."""
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  check_mode: true\n  tasks:\n"
        "    - command: echo ran\n      register: by_play\n"
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - command: echo ran\n      register: by_task\n      check_mode: true\n"
        "    - assert:\n        that:\n"
        "          - '\"check mode\" in by_task.msg'\n"
        "          - '\"check mode\" in hostvars[inventory_hostname].by_play.msg'\n"
        "          - by_task is skipped\n",
    )
    result = pbe.run(site, INVENTORY, check=cli_check)
    assert [r.status for r in result.results] == ["skipped", "skipped", "ok"]
    assert result.exit_code == 0


@pytest.mark.parametrize("clear", [True, False])
def test_free_strategy_any_errors_fatal_runs_always_first(tmp_path: Path, clear: bool) -> None:
    """Under `strategy: free` too, an any_errors_fatal failure inside a block lets the
    host run the always section first; a `meta: clear_host_errors` there lets the play
    go on, as under linear (it used to stop the play at once)."""
    always = "        - debug: msg=always\n" + (
        "        - meta: clear_host_errors\n" if clear else ""
    )
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  strategy: free\n  tasks:\n"
        "    - block:\n        - block:\n            - fail: msg=boom\n"
        "          any_errors_fatal: true\n"
        f"      always:\n{always}"
        "    - debug: msg=after\n",
    )
    result = pbe.run(site, INVENTORY)
    shown = [(r.result.get("msg"), r.status) for r in result.results]
    assert shown[:2] == [("boom", "failed"), ("always", "ok")]
    assert (("after", "ok") in shown) is clear
    assert result.exit_code == (0 if clear else 2)
