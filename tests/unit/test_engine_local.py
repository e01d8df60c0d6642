"""The whole engine over the local connection: results, stats, exit codes, templating."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.events import CommandSent, Event, HostResult, RunEnd, TaskStart

INVENTORY = {
    "all": {"hosts": {"a": None, "b": None, "c": None}, "vars": {"ansible_connection": "local"}}
}


def play(tmp_path: Path, text: str, name: str = "site.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def statuses(result: pbe.RunResult, task: str) -> dict[str, str]:
    return {r.host: r.status for r in result.results if r.task_name == task}


def test_register_when_and_templates_flow_between_tasks(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: all
  gather_facts: false
  vars:
    base: {tmp_path}
  tasks:
    - name: write
      shell: >-
        echo "{{{{ inventory_hostname }}}}-$((20 + 1))"
        > {{{{ base }}}}/{{{{ inventory_hostname }}}}.txt
    - name: read
      command: cat {{{{ base }}}}/{{{{ inventory_hostname }}}}.txt
      register: content
      changed_when: false
    - name: only b
      command: touch {{{{ base }}}}/{{{{ content.stdout }}}}.flag
      when: inventory_hostname == 'b'
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    assert (tmp_path / "a.txt").read_text() == "a-21\n"
    assert statuses(result, "read") == {"a": "ok", "b": "ok", "c": "ok"}
    assert statuses(result, "only b") == {"a": "skipped", "b": "changed", "c": "skipped"}
    assert (tmp_path / "b-21.flag").exists() and not (tmp_path / "a-21.flag").exists()
    assert result.stats["b"] == {
        "ok": 3,
        "changed": 2,
        "unreachable": 0,
        "failed": 0,
        "skipped": 0,
        "rescued": 0,
        "ignored": 0,
        "unpredictable": 0,
    }
    assert result.stats["a"]["skipped"] == 1


def test_failed_host_stops_others_continue_exit_2(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: fail on a
      command: "false"
      when: inventory_hostname == 'a'
    - name: after
      command: touch {tmp_path}/{{{{ inventory_hostname }}}}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 2
    assert result.failed_hosts == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == "") == ["b", "c"]
    assert result.stats["a"]["failed"] == 1
    failed = next(r for r in result.results if r.status == "failed")
    assert (
        failed.result["rc"] == 1
        and failed.result["msg"] == "The command exited with a non-zero return code."
    )


def test_failed_when_ignore_errors_and_ignored_stats(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - name: grep fails but is fine
      shell: echo nothing | grep something
      register: g
      failed_when: g.rc > 1
    - name: real failure, ignored
      command: "false"
      ignore_errors: true
    - name: fail with a message
      fail:
        msg: "rc was {{ g.rc }}"
      ignore_errors: yes
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    assert statuses(result, "grep fails but is fine") == {"a": "changed"}
    assert statuses(result, "real failure, ignored") == {"a": "failed"}
    msg = next(r for r in result.results if r.task_name == "fail with a message")
    assert msg.ignored and msg.result["msg"] == "rc was 1"
    assert result.stats["a"] == {
        "ok": 3,
        "changed": 2,
        "unreachable": 0,
        "failed": 0,
        "skipped": 0,
        "rescued": 0,
        "ignored": 2,
        "unpredictable": 0,
    }


def test_check_mode_skips_commands_and_changes_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "created"
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - name: side effect
      command: touch {marker}
    - name: guarded
      command: touch {marker}
      args:
        removes: {tmp_path}/nothing-here
    - name: shell side effect
      shell: touch {marker}
    - debug: msg="check is {{{{ ansible_check_mode }}}}"
""",
    )
    result = pbe.run(book, INVENTORY, check=True)
    assert result.exit_code == 0
    assert not marker.exists()
    assert statuses(result, "side effect") == {"a": "skipped"}
    assert statuses(result, "guarded") == {"a": "ok"}
    assert statuses(result, "shell side effect") == {"a": "skipped"}
    debug = next(r for r in result.results if r.action == "debug")
    assert debug.result["msg"] == "check is True"


def test_native_types_and_lazy_vars(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  vars:
    n: "{{ 3 }}"
    twice: "{{ n * 2 }}"
    items_: "{{ [1, 2] + [n] }}"
  tasks:
    - assert:
        that:
          - n == 3
          - twice == 6
          - items_ | length == 3
          - extra == 'yes'
""",
    )
    result = pbe.run(book, INVENTORY, extra_vars={"extra": "yes", "n": 3})
    assert result.exit_code == 0, result.results[-1].result


def test_undefined_variable_names_it_and_the_task(tmp_path: Path) -> None:
    book = play(
        tmp_path, '- hosts: a\n  gather_facts: false\n  tasks:\n    - debug: msg="{{ nope }}"\n'
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 2
    msg = result.results[0].result["msg"]
    assert "'nope' is undefined" in msg and f"{book}:4:7" in msg


def test_host_output_is_never_rendered_as_a_template(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - command: echo "{{ '{{' }} 7 * 7 {{ '}}' }}"
      register: out
    - set_fact:
        copied: "{{ out.stdout }}"
    - debug: msg="{{ copied }}"
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.results[-1].result["msg"] == "{{ 7 * 7 }}"


def test_block_rescue_always(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a,b
  gather_facts: false
  tasks:
    - block:
        - command: "false"
          when: inventory_hostname == 'a'
        - name: after failure
          debug: msg=not on a
      rescue:
        - name: rescue
          debug: msg="rescued {{ ansible_failed_task.name }}"
      always:
        - name: always
          debug: msg=always
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    assert statuses(result, "after failure") == {"b": "ok"}
    assert statuses(result, "rescue") == {"a": "ok"}
    assert statuses(result, "always") == {"a": "ok", "b": "ok"}
    assert result.stats["a"]["rescued"] == 1 and result.stats["a"]["failed"] == 0


def test_a_rescue_reads_the_failed_tasks_own_name(tmp_path: Path) -> None:
    """As Ansible gives it: rendered, without the role's `ROLE : `, empty when unnamed."""
    (tmp_path / "roles/r/tasks").mkdir(parents=True)
    (tmp_path / "roles/r/tasks/main.yml").write_text(
        """
- block:
    - name: "named {{ 1 + 1 }}"
      command: "false"
  rescue:
    - debug: msg="[{{ ansible_failed_task.name }}]"
- block:
    - command: "false"
  rescue:
    - debug: msg="[{{ ansible_failed_task.name }}] {{ ansible_failed_result.msg }}"
"""
    )
    book = play(tmp_path, "- hosts: a\n  gather_facts: false\n  roles: [r]\n")
    result = pbe.run(book, INVENTORY)
    assert [r.result["msg"] for r in result.results if r.action == "debug"] == [
        "[named 2]",
        "[] The command exited with a non-zero return code.",
    ]


def test_loop_and_register_results(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - command: touch {tmp_path}/{{{{ item }}}}
      loop: [x, y]
      register: touched
    - assert:
        that:
          - touched.results | length == 2
          - touched.results[1].item == 'y'
          - touched is changed
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    assert (tmp_path / "x").exists() and (tmp_path / "y").exists()


def test_events_in_order_and_no_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = play(
        tmp_path,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n    - debug: msg=hi\n",
    )
    seen: list[Event] = []
    result = pbe.run(book, INVENTORY, on_event=seen.append)
    assert result.ok
    sent = [e for e in seen if isinstance(e, CommandSent)]
    assert sorted(e.host for e in sent) == ["a", "b", "c"]  # ping runs `true` on each host
    events = [e for e in seen if not isinstance(e, CommandSent)]
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "RunStart" and kinds[-1] == "RunEnd"
    assert kinds.count("TaskStart") == 2 and kinds.count("HostResult") == 6
    first_task = kinds.index("TaskStart")
    assert isinstance(events[first_task], TaskStart)
    assert all(isinstance(e, HostResult) for e in events[first_task + 1 : first_task + 4])
    assert isinstance(events[-1], RunEnd) and events[-1].exit_code == 0
    assert capsys.readouterr() == ("", "")


def test_gather_facts(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  tasks:
    - assert:
        that:
          - ansible_facts.system == 'Linux'
          - ansible_system == ansible_facts.system
          - ansible_facts.processor_nproc >= 1
          - ansible_hostname | length > 0
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0, result.results[-1].result
    assert [r.task_name for r in result.results][:1] == ["Gathering Facts"]


def test_concurrent_runs_do_not_interfere(tmp_path: Path) -> None:
    outcomes: dict[str, Any] = {}

    def go(tag: str) -> None:
        book = play(
            tmp_path,
            f"- hosts: all\n  gather_facts: false\n  tasks:\n"
            f"    - set_fact: {{who: {tag}}}\n"
            f"    - command: echo {{{{ who }}}}\n      register: r\n"
            f"    - assert: {{that: r.stdout == '{tag}'}}\n",
            name=f"{tag}.yml",
        )
        outcomes[tag] = pbe.run(book, INVENTORY)

    threads = [threading.Thread(target=go, args=(t,)) for t in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes["one"].ok and outcomes["two"].ok
    assert len(outcomes["one"].results) == 9


def test_json_document(tmp_path: Path) -> None:
    import io

    from playbook_engine.cli import main

    book = play(
        tmp_path,
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - name: hello\n      command: echo hi\n",
    )
    inv = tmp_path / "inv.yml"
    inv.write_text(json.dumps(INVENTORY))
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", str(book), "-i", str(inv), "--format", "json"], out, err)
    doc = json.loads(out.getvalue())
    assert code == 0 and doc["exit_code"] == 0
    task = doc["plays"][0]["tasks"][0]
    assert list(task["hosts"]) == ["a", "b", "c"]
    assert task["hosts"]["b"]["result"]["stdout"] == "hi"
    assert doc["stats"]["c"]["changed"] == 1


def test_tags_are_inherited_and_filter_tasks(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tags: [site]
  tasks:
    - name: web task
      debug: msg=web
      tags: web
    - block:
        - name: db task
          debug: msg=db
      tags: [db]
    - name: debug only
      debug: msg=dbg
      tags: [never, debug]
    - name: always
      debug: msg=always
      tags: always
""",
    )
    ran = [r.task_name for r in pbe.run(book, INVENTORY, tags=("db",)).results]
    assert ran == ["db task", "always"]
    ran = [r.task_name for r in pbe.run(book, INVENTORY, skip_tags=("db",)).results]
    assert ran == ["web task", "always"]
    ran = [r.task_name for r in pbe.run(book, INVENTORY, tags=("site", "debug")).results]
    assert ran == ["web task", "db task", "debug only", "always"]


def test_handlers_run_once_in_definition_order_for_notifying_hosts(tmp_path: Path) -> None:
    log = tmp_path / "log"
    book = play(
        tmp_path,
        f"""
- hosts: all
  gather_facts: false
  handlers:
    - name: second
      shell: echo "second {{{{ inventory_hostname }}}}" >> {log}
    - name: first
      shell: echo "first {{{{ inventory_hostname }}}}" >> {log}
      listen: topic
  tasks:
    - name: change a and b
      command: "true"
      when: inventory_hostname != 'c'
      notify: [topic, second]
    - name: change a again
      command: "true"
      when: inventory_hostname == 'a'
      notify: second
    - name: unchanged never notifies
      command: "true"
      changed_when: false
      notify: second
    - meta: flush_handlers
    - name: after flush
      shell: echo "after {{{{ inventory_hostname }}}}" >> {log}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    lines = log.read_text().splitlines()
    # handlers run in definition order ("second" is defined first), once per host
    assert sorted(lines[:2]) == ["second a", "second b"]
    assert sorted(lines[2:4]) == ["first a", "first b"]
    assert sorted(lines[4:]) == ["after a", "after b", "after c"]
    assert result.stats["c"]["changed"] == 1 and result.stats["a"]["changed"] == 5


def test_notify_of_unknown_handler_is_a_validation_error(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  handlers:
    - name: restart web
      debug: msg=restart
  tasks:
    - command: "true"
      notify: restart wbe
""",
    )
    with pytest.raises(pbe.ValidationFailed) as info:
        pbe.run(book, INVENTORY)
    text = str(info.value)
    assert f"{book}:8:7: notify names no handler of this play: `restart wbe`" in text
    assert "did you mean `restart web`?" in text


def test_notify_of_unknown_handler_in_a_run_time_include_fails_only_a_change(
    tmp_path: Path,
) -> None:
    """Ansible looks the handler up when the task reports a change: a file included at run
    time is not refused for it, and only the host whose task changed fails."""
    (tmp_path / "inc.yml").write_text(
        """
- command: "true"
  notify: restart wbe
  changed_when: inventory_hostname == 'b'
- name: after
  command: "true"
  changed_when: false
"""
    )
    book = play(
        tmp_path,
        """
- hosts: a,b
  gather_facts: false
  handlers:
    - name: restart web
      debug: msg=restart
  tasks:
    - include_tasks: inc.yml
""",
    )
    problems = pbe.validate(book, INVENTORY)
    assert [(p.severity, p.message) for p in problems] == [
        (
            "warning",
            "notify names no handler of this play: `restart wbe` (in a file included at run "
            "time: an error only if this task reports a change)",
        )
    ]
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 2
    failed = [r for r in result.results if r.status == "failed"]
    assert [(r.host, r.message) for r in failed] == [
        ("b", "notify names no handler of this play: `restart wbe`")
    ]
    assert statuses(result, "after") == {"a": "ok"}


def test_notify_rendered_to_no_handler_fails_the_change(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a,b
  gather_facts: false
  handlers:
    - name: restart web
      debug: msg=restart
  tasks:
    - command: "true"
      notify: "restart {{ 'web' if inventory_hostname == 'a' else 'db' }}"
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 2
    assert statuses(result, "command") == {"a": "changed", "b": "failed"}
    assert statuses(result, "restart web") == {"a": "ok"}
    assert [r.message for r in result.results if r.host == "b"] == [
        "notify names no handler of this play: `restart db`"
    ]


def test_check_mode_marks_dependents_unpredictable_not_failed(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - name: query
      command: echo 42
      register: q
    - name: uses it
      debug: msg="answer {{ q.stdout }}"
    - name: derived fact
      set_fact:
        answer: "{{ q.stdout | int }}"
    - name: uses the fact
      command: echo {{ answer }}
    - name: guarded by check mode
      debug: msg="{{ 'check' if ansible_check_mode else q.stdout }}"
    - name: independent
      debug: msg=fine
""",
    )
    result = pbe.run(book, INVENTORY, check=True)
    assert result.exit_code == 0
    got = {r.task_name: r.status for r in result.results}
    assert got == {
        "query": "skipped",
        "uses it": "unpredictable",
        "derived fact": "unpredictable",
        "uses the fact": "skipped",  # a command check mode skips whatever its arguments
        "guarded by check mode": "ok",
        "independent": "ok",
    }
    assert result.stats["a"]["unpredictable"] == 4  # those whose outcome is known count too
    assert result.stats["a"]["skipped"] == 4 and result.stats["a"]["failed"] == 0
    real = pbe.run(book, INVENTORY)
    assert real.exit_code == 0
    assert [r.result.get("msg") for r in real.results if r.action == "debug"][0] == "answer 42"


def test_a_command_check_mode_skips_anyway_is_skipped_whatever_its_when(tmp_path: Path) -> None:
    """As Ansible: a command without creates/removes is skipped in check mode whether its
    `when` holds or not, so a `when` check mode cannot decide does not matter there."""
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - name: query
      command: echo 42
      register: q
    - name: plain
      shell: touch {tmp_path}/made
      when: q.stdout == '42'
    - name: guarded
      shell: touch {tmp_path}/made
      args: {{creates: {tmp_path}/made}}
      when: q.stdout == '42'
    - name: not a command
      debug: msg=x
      when: q.stdout == '42'
""",
    )
    result = pbe.run(book, INVENTORY, check=True)
    assert {r.task_name: r.status for r in result.results} == {
        "query": "skipped",
        "plain": "skipped",
        "guarded": "unpredictable",
        "not a command": "unpredictable",
    }
    assert not (tmp_path / "made").exists()


def test_free_form_args_keep_templates_and_numbers(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  connection: local
  vars: {{d: {tmp_path}}}
  tasks:
    - command: pwd chdir={{{{ d }}}}
      register: where
    - debug: msg="{{{{ where.stdout }}}}" verbosity=0
""",
    )
    result = pbe.run(book, {"all": {"hosts": {"a": None}}})  # no ansible_connection var
    assert result.exit_code == 0, result.results
    assert result.results[-1].result["msg"] == str(tmp_path)


def test_a_chdir_that_cannot_be_entered_runs_nothing_as_in_ansible(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - name: one line
      command: touch {tmp_path}/one
      args: {{chdir: {tmp_path}/nope}}
      ignore_errors: true
    - name: script
      shell: "touch {tmp_path}/two\\ntouch {tmp_path}/three"
      args: {{chdir: {tmp_path}/nope}}
      ignore_errors: true
""",
    )
    for check in (True, False):
        result = pbe.run(book, INVENTORY, check=check)
        for res in result.results:
            assert (res.status, res.message, "rc" in res.result) == (
                "failed",
                "Unable to change directory before execution.",
                False,
            )
            assert res.result["changed"] is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.yml"]


def test_creates_sees_what_an_earlier_task_would_create_in_check_mode(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - file: path={tmp_path}/marker state=touch
    - name: guarded
      command: touch {tmp_path}/other
      args:
        creates: {tmp_path}/marker
""",
    )
    check = pbe.run(book, INVENTORY, check=True)
    assert statuses(check, "guarded") == {"a": "ok"}
    real = pbe.run(book, INVENTORY)
    assert statuses(real, "guarded") == {"a": "ok"}
    assert not (tmp_path / "other").exists()


def test_loop_control_extended_label_and_index(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ i }}:{{ fruit }} {{ ansible_loop.index }}/{{ ansible_loop.length }}
              first={{ ansible_loop.first }} prev={{ ansible_loop.previtem | default(None) }}"
      loop: [apple, pear]
      loop_control: {loop_var: fruit, index_var: i, extended: true, label: "{{ fruit }}"}
""",
    )
    result = pbe.run(book, INVENTORY)
    items = result.results[0].items
    assert [i["msg"] for i in items] == [
        "0:apple 1/2 first=True prev=None",
        "1:pear 2/2 first=False prev=apple",
    ]
    assert [i["_ansible_item_label"] for i in items] == ["apple", "pear"]


def test_unsafe_tag_environment_list_and_bad_values(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - name: unsafe
      debug:
        msg: !unsafe "{{ not rendered }}"
    - name: env list
      shell: echo "$A-$B"
      environment: [{A: 1}, {B: 2}]
      register: env
    - assert: {that: "env.stdout == '1-2'"}
    - name: bad retries
      command: "true"
      until: false
      retries: "{{ 'ten' }}"
      ignore_errors: true
    - name: bad become
      command: "true"
      become: true
      become_method: "{{ 'doas' }}"
      ignore_errors: true
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0
    by_name = {r.task_name: r for r in result.results}
    assert by_name["unsafe"].result["msg"] == "{{ not rendered }}"
    assert (
        by_name["bad retries"].result["msg"]
        == "`retries` must be a number; `{{ 'ten' }}` gave a string"
    )  # never the value
    assert "become_method `doas` is not supported" in by_name["bad become"].result["msg"]


def test_vars_files_of_an_imported_playbook_are_relative_to_it(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "vars.yml").write_text("color: green\n")
    (sub / "inner.yml").write_text(
        "- hosts: a\n  gather_facts: false\n  vars_files: [vars.yml]\n"
        "  tasks:\n    - debug: msg='{{ color }}'\n"
    )
    book = play(tmp_path, "- import_playbook: sub/inner.yml\n")
    result = pbe.run(book, INVENTORY)
    assert result.results[0].result["msg"] == "green"


def test_include_vars_render_and_explicit_false_overrides(tmp_path: Path) -> None:
    (tmp_path / "vars.yml").write_text('sum: "{{ 1 + 2 }}"\n')
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  environment: {A: play, B: play}
  tasks:
    - include_vars: vars.yml
    - assert: {that: "sum == 3"}
    - block:
        - name: explicit false wins over the block's true
          fail: msg=must count as failed
          ignore_errors: false
      ignore_errors: true
      rescue:
        - name: rescued
          shell: echo "$A-$B"
          environment: {B: task}
          register: env
    - assert: {that: "env.stdout == 'play-task'"}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert result.exit_code == 0, [r.result for r in result.results]
    assert result.stats["a"]["rescued"] == 1 and result.stats["a"]["ignored"] == 0


def test_task_names_render_play_and_extra_vars(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  vars: {pkg: nginx}
  tasks:
    - name: "install {{ pkg }} on {{ env }}"
      debug: msg=x
    - name: "per host {{ inventory_hostname_short }}"
      debug: msg=y
""",
    )
    result = pbe.run(book, INVENTORY, extra_vars={"env": "prod"})
    assert [r.task_name for r in result.results] == [
        "install nginx on prod",
        "per host a",  # with the host's vars, as Ansible shows it
    ]


@pytest.mark.parametrize("strategy", ["linear", "free"])
def test_a_handler_failing_in_a_flush_ends_its_host(tmp_path: Path, strategy: str) -> None:
    """As Ansible: after `meta: flush_handlers` ran a handler that failed, the host's later
    tasks do not run (pbe went on with them: robertdebock.postfix's aliases task)."""
    book = tmp_path / "site.yml"
    book.write_text(f"""
- hosts: all
  gather_facts: false
  strategy: {strategy}
  tasks:
    - command: "true"
      notify: bad
    - meta: flush_handlers
    - copy: {{content: x, dest: {tmp_path}/after}}
  handlers:
    - name: bad
      command: "false"
""")
    result = pbe.run(book, {"all": {"hosts": {"h": {"ansible_connection": "local"}}}})
    assert not (tmp_path / "after").exists()
    assert result.stats["h"]["failed"] == 1 and result.stats["h"]["changed"] == 1
    assert [r.action for r in result.results] == ["command", "command"]


def test_a_keyword_rendered_to_omit_is_as_if_not_given(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - copy: {{content: x, dest: "{tmp_path}/f"}}
      check_mode: "{{{{ omit }}}}"
      ignore_errors: "{{{{ omit }}}}"
""",
    )
    assert [r.status for r in pbe.run(book, INVENTORY, check=True).results] == ["changed"]
    assert not (tmp_path / "f").exists()  # the run's --check stands
    assert [r.status for r in pbe.run(book, INVENTORY).results] == ["changed"]
    assert (tmp_path / "f").read_text() == "x"


def test_creates_and_removes_are_glob_patterns_as_in_ansible(tmp_path: Path) -> None:
    (tmp_path / "a dir").mkdir()
    (tmp_path / "a dir/made.1").write_text("")
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - name: creates matches
      command: touch "{tmp_path}/ran1"
      args: {{creates: "{tmp_path}/a dir/made.*"}}
    - name: creates matches nothing
      command: touch "{tmp_path}/ran2"
      args: {{creates: "{tmp_path}/a dir/other.*"}}
    - name: removes matches nothing
      command: touch "{tmp_path}/ran3"
      args: {{removes: "{tmp_path}/a dir/gone?"}}
    - name: a literal name with glob characters is itself
      command: touch "{tmp_path}/ran4"
      args: {{creates: "{tmp_path}/a dir/made.[1]"}}
""",
    )
    result = pbe.run(book, INVENTORY)
    assert {r.task_name: r.status for r in result.results} == {
        "creates matches": "ok",
        "creates matches nothing": "changed",
        "removes matches nothing": "ok",
        "a literal name with glob characters is itself": "ok",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a dir", "ran2", "site.yml"]


def test_a_failing_loop_item_fails_alone_and_the_others_run(tmp_path: Path) -> None:
    """As Ansible: each item gets its result (an undefined variable or a module failure
    included), the task fails with `One or more items failed`."""
    book = play(
        tmp_path,
        f"""
- hosts: a
  gather_facts: false
  tasks:
    - file: path={{{{ item }}}} state=file
      loop: ["{tmp_path}/missing", "{tmp_path}/site.yml"]
      register: files
      ignore_errors: true
    - command: echo {{{{ nowhere }}}} {{{{ item }}}}
      loop: [a, b]
      register: undefined
      ignore_errors: true
    - command: echo {{{{ item }}}}
      loop: [shown, skipped]
      loop_control: {{label: "{{{{ labelled.stdout }}}}"}}
      when: item == 'shown'
      register: labelled
""",
    )
    result = pbe.run(book, INVENTORY)
    files, undefined, labelled = (r.result for r in result.results)
    assert files["msg"] == "One or more items failed"
    assert [i.get("failed", False) for i in files["results"]] == [True, False]
    assert [i["failed"] for i in undefined["results"]] == [True, True]
    assert "'nowhere' is undefined" in undefined["results"][1]["msg"]
    assert result.results[2].status == "changed"
    assert labelled["results"][0]["_ansible_item_label"] == "shown"
    assert len(labelled["results"][1]["warnings"]) == 1  # no output to label it with


def test_omit_in_an_environment_list_leaves_the_entry_out(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - shell: echo "[$IAMHERE][$NOTHERE][$ANOTHER]"
      environment:
        - NOTHERE: "{{ omit }}"
          IAMHERE: hello
        - "{{ omit }}"
        - ANOTHER: still
""",
    )
    assert pbe.run(book, INVENTORY).results[0].result["stdout"] == "[hello][][still]"


def test_ansible_verbosity_is_the_number_of_v(tmp_path: Path) -> None:
    book = play(
        tmp_path,
        "- hosts: a\n  gather_facts: false\n  tasks:\n    - debug: var=ansible_verbosity\n",
    )
    assert pbe.run(book, INVENTORY, verbosity=2).results[0].result["ansible_verbosity"] == 2


def test_ansible_gathering_explicit_gathers_only_where_a_play_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = play(
        tmp_path,
        "- hosts: a\n  tasks: [{debug: msg=one}]\n"
        "- hosts: a\n  gather_facts: true\n  tasks: [{debug: msg=two}]\n",
    )
    gathered = [r.action for r in pbe.run(book, INVENTORY).results]
    assert gathered == ["gather_facts", "debug", "gather_facts", "debug"]
    monkeypatch.setenv("ANSIBLE_GATHERING", "explicit")
    explicit = [r.action for r in pbe.run(book, INVENTORY).results]
    assert explicit == ["debug", "gather_facts", "debug"]


def test_become_the_user_one_already_is_runs_without_sudo(tmp_path: Path) -> None:
    """As Ansible (become_allow_same_user false): root becoming root runs the command
    directly, so neither `ansible_env` nor the command sees a `SUDO_USER` (a CIS role
    branches on it). Another become user still goes through sudo."""
    me = pwd.getpwuid(os.geteuid()).pw_name
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  become: true\n"
        f"  become_user: {me}\n  tasks:\n"
        "    - command: sh -c 'echo ${SUDO_USER:-unset}'\n"
        "    - command: echo other\n      become_user: nobody\n"
    )
    events: list[Event] = []
    result = pbe.run(
        book,
        {"all": {"hosts": {"a": {"ansible_connection": "local"}}}},
        on_event=events.append,
        verbosity=2,
    )
    assert result.results[0].result["stdout"] == "unset"
    sent = [e.command for e in events if isinstance(e, CommandSent)]
    assert not any("sudo" in c for c in sent if "SUDO_USER" in c)
    assert any("sudo" in c and "nobody" in c for c in sent if "echo other" in c)


@pytest.mark.skipif(shutil.which("sudo") is None, reason="needs sudo (.ci/run installs it)")
def test_a_become_user_the_host_lacks_is_named(tmp_path: Path) -> None:
    """sudo's "unknown user" was read as the module's own output (get_url: "printed no
    report"); the task now says which become user is missing."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - command: echo hi\n      become: true\n      become_user: pbe_no_such_user_zz\n"
    )
    result = pbe.run(book, {"all": {"hosts": {"a": {"ansible_connection": "local"}}}})
    assert result.results[0].status == "failed"
    assert result.results[0].result["msg"] == (
        "become_user `pbe_no_such_user_zz` does not exist on a"
    )


def test_delegated_vars_give_a_delegate_without_an_address_its_name(tmp_path: Path) -> None:
    """Ansible's delegate_to target: a host added at run time has no `ansible_host`; in
    `ansible_delegated_vars` it is the host's name, as in its own task variables."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - add_host: {name: added1, groups: [extra]}\n"
        "    - set_fact:\n"
        "        dv: '{{ ansible_delegated_vars[ansible_host][\"ansible_host\"] }}'\n"
        "      delegate_to: added1\n      delegate_facts: true\n"
        "- hosts: extra\n  gather_facts: false\n  tasks:\n"
        "    - debug: msg='{{ dv }}'\n"
    )
    result = pbe.run(book, {"all": {"hosts": {"a": {"ansible_connection": "local"}}}})
    assert result.exit_code == 0, [r.result for r in result.results]
    assert result.results[-1].result["msg"] == "added1"
