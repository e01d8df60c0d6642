"""Keyword and language semantics found diverging from Ansible's documented behaviour by
running Ansible's runme.sh integration targets with both tools (environment, debug,
handlers, blocks, includes, tags ...). Each test runs a small playbook on a local host."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import playbook_engine as pbe

LOCAL = {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}


def _run(tmp_path: Path, book: str, inventory: Any = None, **options: Any) -> pbe.RunResult:
    path = tmp_path / "site.yml"
    path.write_text(book)
    return pbe.run(path, inventory or LOCAL, **options)


def _in_order(result: pbe.RunResult) -> list[Any]:
    """Results by task, then host (hosts of one task finish in any order)."""
    return sorted(result.results, key=lambda r: (r.play, r.task, r.host))


def _outcomes(result: pbe.RunResult) -> list[tuple[str, str, str]]:
    return [(r.task_name, r.host, r.status) for r in result.results]


def test_play_environment_built_from_ansible_env_does_not_break_fact_gathering(
    tmp_path: Path,
) -> None:
    result = _run(
        tmp_path,
        """
- hosts: all
  environment:
    PATH: '{{ ansible_env.PATH }}:/pbe-extra'
    MARK: marked
  tasks:
    - {command: 'sh -c "echo $MARK $PATH"', register: out}
    - assert:
        that:
          - out.stdout.startswith('marked ')
          - out.stdout.endswith(':/pbe-extra')
          - "'/pbe-extra' not in ansible_env.PATH"
          - ansible_env.MARK == 'marked'
""",
    )
    assert [o[2] for o in _outcomes(result)] == ["ok", "changed", "ok"]


def test_debug_of_ansible_facts_sets_no_facts(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - set_fact: {ansible_facts: {not_a_fact: 1}}
    - debug: {var: ansible_facts}
    - assert: {that: [not_a_fact is not defined]}
""",
    )
    assert [o[2] for o in _outcomes(result)] == ["ok", "ok", "ok"]


def test_ansible_playbook_python_names_the_controller_interpreter(tmp_path: Path) -> None:
    inventory = {
        "all": {
            "hosts": {
                "a": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                }
            }
        }
    }
    result = _run(
        tmp_path,
        """
- hosts: all
  tasks:
    - debug: {msg: "{{ ansible_playbook_python }}"}
""",
        inventory,
    )
    assert [o[2] for o in _outcomes(result)] == ["ok", "ok"]
    assert result.results[1].result["msg"] == sys.executable


def test_notify_is_inherited_from_blocks_and_include_apply(tmp_path: Path) -> None:
    (tmp_path / "change.yml").write_text("- {debug: {msg: included}, changed_when: true}\n")
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  vars: {which: two}
  tasks:
    - notify: h1
      block:
        - {debug: {msg: in-block}, changed_when: true}
        - {debug: {msg: own-notify}, changed_when: true, notify: h3}
    - include_tasks:
        file: change.yml
        apply: {notify: "h{{ 'two' == which and 2 }}"}
  handlers:
    - {name: h1, set_fact: {h1: ran}}
    - {name: h2, set_fact: {h2: ran}}
    - {name: h3, set_fact: {h3: ran}}
""",
    )
    handlers = [r.task_name for r in result.results if r.action == "set_fact"]
    assert handlers == ["h1", "h2", "h3"]


def test_host_pinned_and_fqcn_strategies_run(tmp_path: Path) -> None:
    for name in ("host_pinned", "ansible.builtin.free", "ansible.builtin.linear"):
        result = _run(
            tmp_path,
            f"""
- hosts: all
  gather_facts: false
  strategy: {name}
  tasks:
    - debug: {{msg: hi}}
""",
        )
        assert _outcomes(result) == [("debug", "a", "ok")], name


def test_a_run_once_handler_runs_on_one_host(tmp_path: Path) -> None:
    inventory = {"all": {"hosts": {h: {"ansible_connection": "local"} for h in ("a", "b", "c")}}}
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - {command: "true", notify: once}
  handlers:
    - {name: once, run_once: true, debug: {msg: handled}, register: seen}
  post_tasks:
    - assert: {that: [seen.msg == 'handled']}
""",
        inventory,
    )
    handled = [(r.host, r.status) for r in result.results if r.task_name == "once"]
    assert handled == [("a", "ok")]
    asserts = [r.status for r in result.results if r.action == "assert"]
    assert asserts == ["ok", "ok", "ok"]


def test_a_handler_failing_in_a_flush_inside_a_block_is_rescued(tmp_path: Path) -> None:
    """The block around ``meta: flush_handlers`` sees the handler's failure: its rescue
    catches it, or (no rescue) its always runs and the host ends (compared with Ansible)."""
    inventory = {"all": {"hosts": {h: {"ansible_connection": "local"} for h in ("a", "b")}}}
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  handlers:
    - {name: h, fail: {msg: boom}, when: inventory_hostname == 'a'}
  tasks:
    - block:
        - {command: "true", notify: h}
        - meta: flush_handlers
        - {debug: {msg: after-flush}}
      rescue:
        - {debug: {msg: rescued}}
      always:
        - {debug: {msg: always}}
    - {debug: {msg: next}}
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - {command: "true", notify: h}
        - meta: flush_handlers
      always:
        - {debug: {msg: always-2}}
    - {debug: {msg: never-on-a}}
  handlers:
    - {name: h, fail: {msg: boom}, when: inventory_hostname == 'a'}
""",
        inventory,
    )
    msgs = [(r.host, r.result.get("msg")) for r in _in_order(result) if r.action == "debug"]
    assert msgs == [
        ("b", "after-flush"),
        ("a", "rescued"),
        ("a", "always"),
        ("b", "always"),
        ("a", "next"),
        ("b", "next"),
        ("a", "always-2"),
        ("b", "always-2"),
        ("b", "never-on-a"),
    ]
    assert (result.stats["a"]["rescued"], result.stats["a"]["failed"]) == (1, 1)
    assert (result.stats["b"]["rescued"], result.stats["b"]["failed"]) == (0, 0)


def test_clear_host_errors_in_always_lets_the_host_go_on(tmp_path: Path) -> None:
    """Compared with Ansible: the failed host goes on after the block, the recap keeps the
    failures, and the last clear (run by b) forgives a's later failure for the exit code."""
    inventory = {"all": {"hosts": {h: {"ansible_connection": "local"} for h in ("a", "b")}}}
    book = (Path(__file__).parent / "data" / "clear_host_errors.yml").read_text()
    result = _run(tmp_path, book, inventory)
    msgs = [(r.host, r.result.get("msg")) for r in _in_order(result) if r.action == "debug"]
    assert msgs == [
        ("a", "always"),
        ("b", "always"),
        ("a", "after-clear-in-always"),
        ("b", "after-clear-in-always"),
        ("a", "next"),
        ("b", "next"),
        ("b", "never-on-a"),
    ]
    assert (result.stats["a"]["failed"], result.stats["a"]["rescued"]) == (2, 1)
    assert result.exit_code == 0


def test_templated_tags_are_rendered_before_matching(tmp_path: Path) -> None:
    book = """
- hosts: all
  gather_facts: false
  vars: {block_tags: [blue], task_tag: green}
  tasks:
    - block:
        - {name: in-block, debug: {msg: b}}
      tags: "{{ block_tags }}"
    - {name: own, debug: {msg: o}, tags: "{{ task_tag }}"}
    - {name: plain, debug: {msg: p}, tags: [red, blue]}
"""

    def names(**options: Any) -> list[str]:
        return [o[0] for o in _outcomes(_run(tmp_path, book, **options))]

    assert names(tags=["blue"]) == ["in-block", "plain"]
    assert names(tags=["green"]) == ["own"]
    assert names(skip_tags=["blue"]) == ["own"]


def test_a_set_fact_loop_sees_what_earlier_items_set(tmp_path: Path) -> None:
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - set_fact: {acc: "{{ acc + [item] }}"}
      loop: [b, c]
      vars: {acc: [a]}
    - debug: {msg: "{{ acc | join(',') }}"}
""",
    )
    assert result.results[-1].result["msg"] == "a,b,c"


def test_a_missing_include_file_fails_its_task_when_it_runs(tmp_path: Path) -> None:
    """include_tasks/include_role read their file/role when they run: a missing one fails
    that task (a rescue catches it, a false `when` skips it), not the whole playbook at
    validation. (`debugger: ~` is accepted, as Ansible does.)"""
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - {include_tasks: missing.yml, when: false, debugger: ~}
    - block:
        - include_tasks: missing.yml
      rescue:
        - debug: {msg: "{{ ansible_failed_result.msg }}"}
    - {include_role: {name: no_such_role}, when: false}
    - block:
        - include_role: {name: no_such_role}
      rescue:
        - debug: {msg: "{{ ansible_failed_result.msg }}"}
""",
    )
    outcomes = [o[2] for o in _outcomes(result)]
    assert outcomes == ["skipped", "failed", "ok", "skipped", "failed", "ok"]
    assert "task file not found: missing.yml" in result.results[2].result["msg"]
    assert "role not found: `no_such_role`" in result.results[-1].result["msg"]
    problems = pbe.validate(tmp_path / "site.yml")
    assert [p.severity for p in problems] == ["warning"] * 4
    assert "include_tasks reads it when it runs" in problems[0].message
    assert "include_role looks for it when it runs" in problems[2].message


def test_include_role_rescuable_false_makes_a_missing_role_an_error(tmp_path: Path) -> None:
    """ansible-core 2.21's `rescuable: false`: the include's own failure is fatal, not a
    task failure a rescue catches; pbe finds it before touching a host."""
    site = tmp_path / "site.yml"
    site.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - block:\n        - include_role: {name: no_such_role, rescuable: false}\n"
        "      rescue:\n        - debug: msg=rescued\n"
    )
    problems = pbe.validate(site)
    assert [(p.severity, p.message) for p in problems] == [
        ("error", "role not found: `no_such_role`")
    ]


def test_a_role_with_only_meta_or_vars_is_a_role(tmp_path: Path) -> None:
    for part, text in (("meta", "dependencies: []\n"), ("defaults", "colour: blue\n")):
        role = tmp_path / "roles" / f"only_{part}" / part
        role.mkdir(parents=True)
        (role / "main.yml").write_text(text)
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  roles: [only_meta, only_defaults]
  tasks:
    - debug: {msg: "{{ colour }}"}
""",
    )
    assert [
        (o[2], r.result.get("msg")) for o, r in zip(_outcomes(result), result.results, strict=True)
    ] == [("ok", "blue")]


def test_task_names_render_role_params_and_block_vars(tmp_path: Path) -> None:
    tasks = tmp_path / "roles" / "greet" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text("- {name: '{{ who }} from {{ role_name }}', debug: {}}\n")
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  roles:
    - {role: greet, who: first}
    - {role: greet, who: second}
  tasks:
    - vars: {colour: blue}
      block:
        - {name: "in {{ colour }}", debug: {}}
""",
    )
    assert [o[0] for o in _outcomes(result)] == [
        "greet : first from greet",  # Ansible's `ROLE : NAME`
        "greet : second from greet",
        "in blue",
    ]


def test_import_role_vars_are_play_wide_and_below_block_and_import_vars(tmp_path: Path) -> None:
    """Ansible's precedence: role defaults < play vars < role vars < block vars < task
    (import) vars < role params; an import_role's vars and defaults are exposed to the
    whole play at parse time, earlier tasks included."""
    role = tmp_path / "roles" / "r"
    for part, text in (
        ("defaults", "d: default\n"),
        ("vars", "v: role\nb: role\ni: role\np: role\n"),
        ("tasks", "- debug: {msg: '{{ d }} {{ v }} {{ b }} {{ i }} {{ p }}'}\n"),
    ):
        (role / part).mkdir(parents=True)
        (role / part / "main.yml").write_text(text)
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  vars: {v: play}
  tasks:
    - debug: {msg: "{{ d }} {{ v }}"}
    - vars: {b: block}
      block:
        - import_role: {name: r}
          vars: {i: import}
- hosts: all
  gather_facts: false
  roles:
    - {role: r, p: param}
""",
    )
    msgs = [r.result["msg"] for r in result.results]
    assert msgs == [
        "default role",
        "default role block import role",
        "default role role role param",
    ]


def test_role_vars_and_defaults_may_be_a_main_directory(tmp_path: Path) -> None:
    role = tmp_path / "roles" / "r"
    (role / "defaults" / "main").mkdir(parents=True)
    (role / "defaults" / "main" / "00.yml").write_text("a: 1\nb: 1\n")
    (role / "defaults" / "main" / "01.yml").write_text("b: 2\n")
    (role / "defaults" / "main" / "02.yml").write_text("")
    (role / "tasks").mkdir()
    (role / "tasks" / "main.yml").write_text("- debug: {msg: '{{ a }}{{ b }}'}\n")
    result = _run(tmp_path, "- hosts: all\n  gather_facts: false\n  roles: [r]\n")
    assert [r.result["msg"] for r in result.results] == ["12"]


def test_delegate_facts_sets_the_delegates_facts(tmp_path: Path) -> None:
    inventory = {"all": {"hosts": {h: {"ansible_connection": "local"} for h in ("a", "b")}}}
    result = _run(
        tmp_path,
        """
- hosts: a
  gather_facts: false
  tasks:
    - {set_fact: {direct: 1}, delegate_to: b, delegate_facts: true}
    - block:
        - set_fact: {inherited: 2}
      delegate_to: b
      delegate_facts: true
    - {set_fact: {own: 3}, delegate_to: b}
    - {set_fact: {to_local: 4}, delegate_to: localhost, delegate_facts: true}
    - assert:
        that:
          - direct is undefined and inherited is undefined and own == 3
          - hostvars['b'].direct == 1 and hostvars['b'].inherited == 2
          - hostvars['b'].own is undefined
          - hostvars['localhost'].to_local == 4
""",
        inventory,
    )
    assert [o[2] for o in _outcomes(result)] == ["ok"] * 5


def test_any_errors_fatal_still_runs_every_hosts_always_section(tmp_path: Path) -> None:
    """Compared with Ansible: the failure fails the whole batch, every host runs the
    always section it is in (the host that did not fail skips the rest of its block),
    then the run stops (no later task, no later play)."""
    inventory = {"all": {"hosts": {h: {"ansible_connection": "local"} for h in ("a", "b")}}}
    book = (Path(__file__).parent / "data" / "any_errors_fatal_always.yml").read_text()
    result = _run(tmp_path, book, inventory)
    msgs = [(r.host, r.result.get("msg")) for r in _in_order(result) if r.action == "debug"]
    assert msgs == [
        ("a", "start"),
        ("b", "start"),
        ("a", "always-1"),
        ("b", "always-1"),
        ("a", "always-2"),
        ("b", "always-2"),
    ]
    assert result.exit_code == 2
    assert (result.stats["b"]["ok"], result.stats["b"]["failed"]) == (3, 0)


def test_static_import_names_render_play_import_and_extra_vars(tmp_path: Path) -> None:
    (tmp_path / "t.yml").write_text("- debug: {msg: imported-tasks}\n")
    tasks = tmp_path / "roles" / "r" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text("- debug: {msg: role-main}\n")
    (tasks / "other.yml").write_text("- debug: {msg: role-other}\n")
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  vars: {play_file: t.yml}
  tasks:
    - import_tasks: "{{ play_file }}"
    - import_tasks: "{{ own_file }}"
      vars: {own_file: t.yml}
    - import_tasks: "{{ extra_file }}"
    - import_role: {name: r, tasks_from: "{{ play_file | replace('t.yml', 'other') }}"}
    - include_role: {name: r, tasks_from: "{{ omit }}"}
    - include_role: {name: r, tasks_from: "{{ inventory_hostname | replace('a', 'other') }}"}
""",
        extra_vars={"extra_file": "t.yml"},
    )
    msgs = [r.result.get("msg") for r in result.results if r.action == "debug"]
    assert msgs == ["imported-tasks"] * 3 + ["role-other", "role-main", "role-other"]


def test_include_role_public_exposes_its_vars_to_later_tasks(tmp_path: Path) -> None:
    for name in ("pub", "priv"):
        role = tmp_path / "roles" / name
        for part, text in (
            ("defaults", f"{name}_default: d\n"),
            ("vars", f"{name}_var: v\n"),
            ("tasks", "- debug: {msg: in-role}\n"),
        ):
            (role / part).mkdir(parents=True)
            (role / part / "main.yml").write_text(text)
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - assert: {that: [pub_var is undefined, pub_default is undefined]}
    - include_role: {name: pub, public: true}
    - include_role: {name: priv}
    - assert:
        that:
          - pub_var == 'v' and pub_default == 'd'
          - priv_var is undefined and priv_default is undefined
- hosts: all
  gather_facts: false
  tasks:
    - assert: {that: [pub_var is undefined]}
""",
    )
    asserts = [r.status for r in result.results if r.action == "assert"]
    assert asserts == ["ok", "ok", "ok"]


def test_include_role_apply_gives_keywords_to_the_roles_tasks(tmp_path: Path) -> None:
    tasks = tmp_path / "roles" / "r" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text("- {name: in-role, debug: {msg: r}}\n")
    book = """
- hosts: all
  gather_facts: false
  vars: {which: r}
  tasks:
    - include_role:
        name: r
        apply: {tags: [foo]}
      tags: [always]
    - include_role:
        name: "{{ which }}"
        apply: {tags: [foo], when: false}
      tags: [always]
"""
    result = _run(tmp_path, book, tags=["foo"])
    assert [(o[0], o[2]) for o in _outcomes(result)] == [
        ("include_role : r", "ok"),
        ("r : in-role", "ok"),
        ("include_role : {{ which }}", "ok"),  # as ansible-core shows it
        ("r : in-role", "skipped"),
    ]
    assert [o[0] for o in _outcomes(_run(tmp_path, book, tags=["bar"]))] == [
        "include_role : r",
        "include_role : {{ which }}",
    ]


def test_a_run_once_set_fact_sets_the_fact_on_every_host(tmp_path: Path) -> None:
    inventory = {"all": {"hosts": {h: {"ansible_connection": "local"} for h in ("a", "b", "c")}}}
    (tmp_path / "inc.yml").write_text("- set_fact: {lola: wiseman}\n")
    result = _run(
        tmp_path,
        """
- hosts: all
  gather_facts: false
  tasks:
    - {set_fact: {shared: one}, run_once: true}
    - include_tasks: {file: inc.yml, apply: {run_once: true}}
      run_once: true
    - assert: {that: [shared == 'one', lola == 'wiseman']}
""",
        inventory,
    )
    asserts = sorted((r.host, r.status) for r in result.results if r.action == "assert")
    assert asserts == [("a", "ok"), ("b", "ok"), ("c", "ok")]


def test_module_defaults_fill_in_what_a_task_does_not_say(tmp_path: Path) -> None:
    """Play, block and task ``module_defaults`` (short names or FQCNs, a list of mappings
    too): an inner layer's value wins, the task's own arguments win over all; fact
    gathering takes ``gather_facts``' and ``setup``'s, as in Ansible."""
    site = tmp_path / "site.yml"
    site.write_text(
        """
- hosts: all
  gather_facts: true
  module_defaults:
    ansible.builtin.debug: {msg: from-play}
    setup: {gather_subset: ['!all'], gather_timeout: 20}
    gather_facts: {gather_subset: [min]}
  tasks:
    - name: play
      debug:
    - name: own
      debug: {msg: own}
    - block:
        - name: block
          debug:
        - name: task
          debug:
          module_defaults:
            - debug: {msg: from-task}
      module_defaults:
        debug: {msg: from-block}
    - name: subset
      debug: {msg: "{{ gather_subset | default('unset') }}"}
    - name: unknown
      debug: {msg: x}
      module_defaults:
        group/aws: {region: x}
"""
    )
    problems = pbe.validate(site)
    assert [(p.severity, p.message) for p in problems] == [
        (
            "warning",
            "module_defaults: pbe knows no action group `aws`: these defaults apply to no module",
        )
    ]
    result = pbe.run(site, LOCAL)
    got = {r.task_name: r.result.get("msg") for r in result.results if r.action == "debug"}
    assert got == {
        "play": "from-play",
        "own": "own",
        "block": "from-block",
        "task": "from-task",
        "subset": ["min"],
        "unknown": "x",
    }
    gathered = next(r for r in result.results if r.task_name == "Gathering Facts")
    assert gathered.action == "gather_facts"
    assert gathered.result["ansible_facts"]["gather_subset"] == ["min"]


def test_a_skipped_result_is_not_judged_by_changed_when_or_failed_when(tmp_path: Path) -> None:
    """A command skipped in a check run has no rc: Ansible does not evaluate its
    changed_when/failed_when (mikegleasonjr.firewall's `failed_when: r.rc != 0`)."""
    book = """
- hosts: all
  gather_facts: false
  tasks:
    - command: /bin/false
      register: r
      failed_when: r.rc != 0 or 'x' in r.stderr
      ignore_errors: true
    - command: /bin/true
      register: r2
      changed_when: r2.rc == 0
"""
    checked = _run(tmp_path, book, check=True)
    assert [(r.status, r.result.get("msg")) for r in checked.results] == [
        ("skipped", "Command would have run if not in check mode")
    ] * 2
    assert "failed_when_result" not in checked.results[0].result
    real = _run(tmp_path, book)
    assert [r.status for r in real.results] == ["failed", "changed"]


def test_a_command_a_task_keeps_in_check_mode_registers_ansibles_empty_output(
    tmp_path: Path,
) -> None:
    """`check_mode: true` on the task itself: the command does not run in the real run
    either, and its registered result has Ansible's shape (rc 0, empty output), which later
    tasks read (linux-system-roles.firewall's `r.stdout != 'offline'`). In a check run of
    the whole play such reads stay unpredictable: the real run has real output."""
    book = """
- hosts: all
  gather_facts: false
  tasks:
    - command: systemctl is-system-running
      register: r
      check_mode: true
    - set_fact:
        booted: "{{ r.stdout != 'offline' }}"
    - command: echo hi
      register: s
    - debug:
        msg: "{{ s.stdout }}"
"""
    real = _run(tmp_path, book)
    first = real.results[0].result
    assert (real.results[0].status, first["rc"], first["stdout"], first["stdout_lines"]) == (
        "skipped",
        0,
        "",
        [],
    )
    assert first["cmd"] == ["systemctl", "is-system-running"]
    assert real.results[1].status == "ok"
    assert real.results[3].result["msg"] == "hi"
    checked = _run(tmp_path, book, check=True)
    assert [r.status for r in checked.results] == ["skipped", "ok", "skipped", "unpredictable"]
