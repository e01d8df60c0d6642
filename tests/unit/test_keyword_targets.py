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


def test_delegated_vars_name_the_delegate_rendered_once(tmp_path: Path) -> None:
    """`ansible_delegated_vars` holds the delegate (rendered once, so a `| random` choice
    is the host the task runs on) with its variables, where inventory_hostname stays the
    delegating host's; per loop item too."""
    inventory = {
        "all": {
            "hosts": {"a": None, "d1": {"role_of": "one"}, "d2": {"role_of": "two"}},
            "vars": {"ansible_connection": "local"},
        }
    }
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - debug:\n        msg: >-\n"
        "          {{ ansible_delegated_vars | list }}\n"
        "          {{ ansible_delegated_vars['d1'].inventory_hostname }}\n"
        "          {{ ansible_delegated_vars['d1'].role_of }}\n"
        "      delegate_to: d1\n"
        "    - assert:\n        that: [item in ansible_delegated_vars]\n"
        "      delegate_to: '{{ item }}'\n"
        '      loop: [\'{{ ["d1", "d2"] | random }}\', d2]\n'
        "    - command: echo {{ ansible_delegated_vars | list | first }}\n"
        '      delegate_to: \'{{ ["d1", "d2"] | random }}\'\n',
    )
    result = pbe.run(site, inventory)
    assert result.exit_code == 0
    first, looped, command = result.results
    assert first.result["msg"] == "['d1'] a one"
    assert looped.status == "ok"
    assert command.result["stdout"] in ("d1", "d2")


# host `gone` listens nowhere: it is unreachable at once
WITH_GONE = {
    "all": {
        "hosts": {
            "a": {"ansible_connection": "local"},
            "gone": {"ansible_host": "127.0.0.1", "ansible_port": 1},
        }
    }
}


def test_ignore_unreachable_shows_unreachable_and_counts_it_ignored(tmp_path: Path) -> None:
    """As Ansible: the result stays `unreachable` (registered: `is unreachable`), the
    recap counts it ok and ignored, not unreachable, and the host goes on (exit 0)."""
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - command: 'true'\n      delegate_to: gone\n"
        "      ignore_unreachable: true\n      register: r\n"
        "    - assert:\n        that: [r is unreachable]\n",
    )
    result = pbe.run(site, WITH_GONE, timeout=2)
    assert [(x.status, x.ignored) for x in result.results] == [
        ("unreachable", True),
        ("ok", False),
    ]
    stats = result.stats["a"]
    assert (stats["ok"], stats["ignored"], stats["unreachable"]) == (2, 1, 0)
    assert result.exit_code == 0


def test_clear_host_errors_in_a_block_inside_always_lets_the_host_go_on(tmp_path: Path) -> None:
    """`meta: clear_host_errors` nested in a block of the always section clears the
    failure as one written in the always section itself does: the host goes on."""
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - block:\n        - fail: msg=boom\n"
        "      always:\n        - block:\n            - meta: clear_host_errors\n"
        "    - debug: msg=after\n",
    )
    result = pbe.run(site, INVENTORY)
    assert [(r.result.get("msg"), r.status) for r in result.results] == [
        ("boom", "failed"),
        ("after", "ok"),
    ]
    assert result.exit_code == 0


def test_an_argument_with_the_reserved_ansible_prefix_is_refused(tmp_path: Path) -> None:
    """Ansible reserves `_ansible_` for itself: refused at load, even under ignore_errors."""
    site = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - set_fact:\n        _ansible_foo: bar\n      ignore_errors: true\n",
    )
    with pytest.raises(pbe.ValidationFailed) as exc:
        pbe.run(site, INVENTORY)
    assert "site.yml:5:9: argument `_ansible_foo` of `set_fact` begins with `_ansible_`" in str(
        exc.value
    )


def test_play_run_once_and_ignore_unreachable_reach_every_task(tmp_path: Path) -> None:
    """`run_once` on a play runs each task on the first host only (facts are still
    gathered on every host); `ignore_unreachable` on a play keeps an unreachable host
    going."""
    inventory = {
        "all": {
            "hosts": {
                "a": {"ansible_connection": "local"},
                "b": {"ansible_connection": "local"},
                "gone": {"ansible_host": "127.0.0.1", "ansible_port": 1},
            }
        }
    }
    site = play(
        tmp_path,
        "- hosts: a,b\n  gather_facts: true\n  gather_subset: [min]\n  run_once: true\n"
        "  tasks:\n    - debug: msg=once\n"
        "- hosts: gone\n  gather_facts: false\n  ignore_unreachable: true\n  tasks:\n"
        "    - command: 'true'\n    - debug: msg=still-here\n",
    )
    result = pbe.run(site, inventory, timeout=2)
    shown = [(r.task_name, r.host, r.status) for r in result.results]
    assert shown == [
        ("Gathering Facts", "a", "ok"),
        ("Gathering Facts", "b", "ok"),
        ("debug", "a", "ok"),
        ("command", "gone", "unreachable"),
        ("debug", "gone", "ok"),
    ]
    assert result.exit_code == 0


def test_a_connection_with_other_settings_is_opened_anew(tmp_path: Path) -> None:
    """A host reached locally in one play (`connection: local`) is reached over ssh in the
    next, as its variables say: the cached local connection is not reused for it (the
    ssh port here refuses, so the second play's task is unreachable)."""
    inventory = {"all": {"hosts": {"h": {"ansible_host": "127.0.0.1", "ansible_port": 1}}}}
    site = play(
        tmp_path,
        "- hosts: h\n  gather_facts: false\n  connection: local\n  tasks:\n"
        "    - command: echo local\n"
        "- hosts: h\n  gather_facts: false\n  tasks:\n    - command: echo ssh\n",
    )
    result = pbe.run(site, inventory, timeout=2)
    assert [(r.status, r.result.get("stdout")) for r in result.results] == [
        ("changed", "local"),
        ("unreachable", None),
    ]
    assert result.exit_code == 3


def test_an_unreachable_result_is_registered_for_later_plays(tmp_path: Path) -> None:
    """ansible-core 2.21 registers it (its ignore_unreachable test reads
    `hostvars.gone.r is unreachable` after `meta: clear_host_errors`)."""
    site = play(
        tmp_path,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n      register: r\n"
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - assert:\n        that: [hostvars.gone.r is unreachable, hostvars.a.r is success]\n",
    )
    result = pbe.run(site, WITH_GONE, timeout=2)
    assert [(x.host, x.status) for x in result.results] == [
        ("a", "ok"),
        ("gone", "unreachable"),
        ("a", "ok"),
    ]
