"""Diagnostics for playbooks written for Ansible: modules pbe lacks (named as Ansible's, never
a typo hint), the run-time include policy, key=value errors, unknown filters, no internal
class names, and no cascade from a handler dropped by an error of its own."""

from __future__ import annotations

from pathlib import Path

from playtree import write

import playbook_engine as pbe
from playbook_engine.errors import Problem

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def play(tasks: str, extra: str = "") -> str:
    return f"- hosts: all\n  gather_facts: false\n{extra}  tasks:\n{tasks}"


def by_severity(problems: list[Problem], severity: str) -> list[str]:
    return [p.message for p in problems if p.severity == severity]


def test_an_ansible_module_pbe_lacks_is_named_as_such_never_as_a_typo(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - subversion: name=x job=ls\n"
                "    - community.general.jenkins_job: name=x\n"
                "    - bower: name=x\n"
                "    - action: subversion name=y\n"
                "    - include: other.yml\n"
                "    - copyy: src=a dest=b\n"
            )
        },
    )
    problems = pbe.validate(site)
    errors = [p for p in problems if p.severity == "error"]
    assert [p.message for p in errors] == [
        "`subversion` is an Ansible module that pbe does not implement",
        "`community.general.jenkins_job` is an Ansible module that pbe does not implement",
        "`bower` is an Ansible module (community.general.bower) that pbe does not implement",
        "`subversion` is an Ansible module that pbe does not implement",
        "`include` was removed from Ansible (2.16)",
        "unknown module `copyy`",  # a real typo still gets its suggestion
    ]
    assert [p.location.line for p in errors if p.location] == [4, 5, 6, 7, 8, 9]
    assert "did you mean" not in str(errors[0].hint)  # not `copy`
    assert "library/" in str(errors[0].hint)
    assert errors[4].hint == "use include_tasks or import_tasks"
    assert "`copy`" in str(errors[5].hint)


def test_a_run_time_include_defers_a_missing_module_to_when_its_task_runs(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "setup-Debian.yml": "- name: not here\n  subversion: name=x job=ls\n  when: false\n"
            "- debug: msg=after-skip\n",
            "setup-RedHat.yml": "- debug: msg=before\n- subversion: name=x job=ls\n",
            "static.yml": "- subversion: name=x job=ls\n  when: never_true | default(false)\n"
            "- include: gone.yml\n  when: never_true | default(false)\n",
            "site.yml": play(
                "    - include_tasks: 'setup-{{ fam }}.yml'\n    - include_tasks: static.yml\n"
            ),
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning") == [
        "`subversion` is an Ansible module that pbe does not implement (in a file included at run "
        "time: an error only if this task runs)",
        "`include` was removed from Ansible (2.16) (in a file included at run time: an error "
        "only if this task runs)",
    ]
    skipped = pbe.run(site, INVENTORY, extra_vars={"fam": "Debian"})
    assert skipped.exit_code == 0
    assert [r.status for r in skipped.results if r.action == "subversion"] == ["skipped", "skipped"]
    assert [r.result.get("msg") for r in skipped.results if r.action == "debug"] == ["after-skip"]
    ran = pbe.run(site, INVENTORY, extra_vars={"fam": "RedHat"})
    assert ran.exit_code == 2
    failed = [r for r in ran.results if r.status == "failed"]
    assert [r.action for r in failed] == ["subversion"]
    assert (
        failed[0]
        .result["msg"]
        .startswith("`subversion` is an Ansible module that pbe does not implement; ")
    )
    assert [r.result.get("msg") for r in ran.results if r.action == "debug"] == ["before"]


def test_a_windows_module_in_static_content_is_a_warning_and_fails_only_if_run(
    tmp_path: Path,
) -> None:
    """Roles for both kinds of host guard Windows tasks with `when` (handlers included):
    pbe manages no Windows host, so it warns of them at validation instead of refusing the
    role, and such a task fails only if it runs. Other modules pbe lacks stay errors."""
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - win_service: {name: x, state: restarted}\n"
                "      when: ansible_os_family == 'Windows'\n"
                "    - ansible.windows.win_file: {path: 'C:\\\\x', state: absent}\n"
                "      when: win | default(false)\n",
                "  vars: {ansible_os_family: Debian}\n",
            ),
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    note = "(for Windows hosts, which pbe does not manage: an error only if this task runs)"
    assert by_severity(problems, "warning") == [
        f"`win_service` is an Ansible module (ansible.windows.win_service) that pbe does not "
        f"implement {note}",
        f"`ansible.windows.win_file` is an Ansible module that pbe does not implement {note}",
    ]
    assert {p.hint for p in problems} == {
        "pbe manages hosts with a POSIX shell; Windows hosts need Ansible"
    }
    skipped = pbe.run(site, INVENTORY)
    assert [r.status for r in skipped.results] == ["skipped", "skipped"]
    ran = pbe.run(site, INVENTORY, extra_vars={"win": True})
    assert [r.status for r in ran.results] == ["skipped", "failed"]
    assert ran.exit_code == 2


def test_a_run_time_include_defers_a_template_that_does_not_compile(tmp_path: Path) -> None:
    """Ansible compiles a template only when its task runs (``default(0700)`` is no Jinja
    number): in a file included at run time that is a warning, in static content an error."""
    bad = '- debug:\n    msg: "{{ item.mode | default(0700) }}"\n  loop: [{}]\n'
    site = write(
        tmp_path,
        {
            "dyn.yml": bad,
            "static.yml": bad,
            "site.yml": play("    - include_tasks: dyn.yml\n      when: go | default(false)\n"),
            "strict.yml": play("    - import_tasks: static.yml\n"),
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning") == [
        "template syntax error: expected token ',', got 'integer' (in a file included at run "
        "time: an error only if this task runs)"
    ]
    assert pbe.run(site, INVENTORY).exit_code == 0
    ran = pbe.run(site, INVENTORY, extra_vars={"go": True})
    failed = [r for r in ran.results if r.status == "failed"]
    assert ran.exit_code == 2 and [r.action for r in failed] == ["debug"]
    # the loop's item fails, as in Ansible: the task says so
    assert failed[0].result["msg"] == "One or more items failed"
    item = failed[0].result["results"][0]
    assert item["msg"].startswith("template syntax error: expected token ','")
    assert by_severity(pbe.validate(tmp_path / "strict.yml"), "error") == [
        "template syntax error: expected token ',', got 'integer'"
    ]


def test_a_run_time_include_defers_arguments_the_module_refuses(tmp_path: Path) -> None:
    """galaxyproject.postgresql: `include_tasks: redhat.yml` when RedHat, whose `command`
    has `warn: false` (removed in Ansible 2.14). Ansible never reads the file on Debian;
    when it does run, the task fails there with the module's message."""
    bad = "- command: echo hi\n  args:\n    warn: false\n- apt: name=x state=installed\n"
    site = write(
        tmp_path,
        {
            "redhat.yml": bad,
            "static.yml": bad,
            "site.yml": play("    - include_tasks: redhat.yml\n      when: go | default(false)\n"),
            "strict.yml": play("    - import_tasks: static.yml\n"),
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning") == [
        "unsupported argument `warn` for module `command` (in a file included at run time: "
        "an error only if this task runs)",
        "apt: `state` must be one of absent, build-dep, fixed, latest, present, got "
        "'installed' (in a file included at run time: an error only if this task runs)",
    ]
    assert pbe.run(site, INVENTORY).exit_code == 0
    ran = pbe.run(site, INVENTORY, extra_vars={"go": True})
    failed = [r for r in ran.results if r.status == "failed"]
    assert ran.exit_code == 2 and [r.action for r in failed] == ["command"]
    assert failed[0].result["msg"] == "Unsupported parameters for (command) module: warn"
    assert len(by_severity(pbe.validate(tmp_path / "strict.yml"), "error")) == 2


def test_static_content_stays_strict(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "tasks.yml": "- subversion: name=x job=ls\n",
            "site.yml": play("    - import_tasks: tasks.yml\n"),
        },
    )
    assert by_severity(pbe.validate(site), "error") == [
        "`subversion` is an Ansible module that pbe does not implement"
    ]


def test_a_module_nobody_knows_in_a_run_time_include_fails_only_if_it_runs(
    tmp_path: Path,
) -> None:
    """A role's module from a library path pbe does not read (weareinteractive.ssh's
    `sshknownhosts`) or a typo: Ansible finds out when the file is included, and fails the
    include then (even for a task whose `when` is false)."""
    site = write(
        tmp_path,
        {
            "hosts.yml": "- sshknownhosts: host=x\n",
            "site.yml": play("    - include_tasks: hosts.yml\n      when: go | default(false)\n"),
            "strict.yml": play("    - import_tasks: hosts.yml\n"),
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning") == [
        "unknown module `sshknownhosts` (in a file included at run time: an error only if "
        "this task runs)"
    ]
    assert pbe.run(site, INVENTORY).exit_code == 0
    ran = pbe.run(site, INVENTORY, extra_vars={"go": True})
    assert [(r.action, r.status) for r in ran.results] == [("include_tasks", "failed")]
    assert ran.results[0].message == (
        f"unknown module `sshknownhosts` ({tmp_path / 'hosts.yml'}:1:3); did you mean "
        "`known_hosts`?"
    )
    assert by_severity(pbe.validate(tmp_path / "strict.yml"), "error") == [
        "unknown module `sshknownhosts`"
    ]


def test_a_notify_whose_handler_was_dropped_by_an_error_adds_no_cascade(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - command: 'true'\n      notify: restart subversion\n"
                "    - command: 'true'\n      notify: no such handler\n",
                "  handlers:\n    - name: restart subversion\n      subversion: name=x job=ls\n",
            )
        },
    )
    assert sorted(by_severity(pbe.validate(site), "error")) == [
        "`subversion` is an Ansible module that pbe does not implement",
        "notify names no handler of this play: `no such handler`",
    ]


def test_key_value_errors_carry_their_location_and_no_cascade(tmp_path: Path) -> None:
    site = write(
        tmp_path, {"site.yml": play('    - copy: src=a "dest=b\n    - set_fact: a=1 "b=2\n')}
    )
    errors = [p for p in pbe.validate(site) if p.severity == "error"]
    assert [(p.message, p.location.line if p.location else None) for p in errors] == [
        ("copy: cannot split arguments: No closing quotation", 4),
        ("set_fact: cannot split arguments: No closing quotation", 5),
    ]


def test_a_key_value_key_may_be_a_template(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": play(
                '    - set_fact: "{{ item.key }}={{ item.value }}"\n'
                "      with_dict: {first: one, second: two}\n"
                "    - debug: msg='{{ first }} {{ second }}'\n"
            )
        },
    )
    assert by_severity(pbe.validate(site), "error") == []
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    assert [r.result["msg"] for r in result.results if r.action == "debug"] == ["one two"]


def test_an_unknown_filter_is_not_a_syntax_error(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - debug: msg=\"{{ 'x' | uper }}\"\n"
                "    - debug: msg=\"{{ 'x' is nosuchtest }}\"\n"
            )
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning") == [
        "unknown filter `uper`",
        "unknown test `nosuchtest`",
    ]
    result = pbe.run(site, INVENTORY)
    msg = str(result.results[0].result["msg"])
    assert msg.startswith("unknown filter `uper`")
    assert "syntax error" not in msg
    assert "did you mean `upper`?" in msg


def test_errors_never_show_pbe_class_names_but_keep_a_plugins(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "filter_plugins/boom.py": (
                "class FilterModule:\n"
                "    def filters(self):\n"
                "        return {'boom': self.boom}\n"
                "    def boom(self, value):\n"
                "        raise KeyError('no ' + value)\n"
            )
        },
    )
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - debug: msg=\"{{ lookup('file', 'nowhere.txt') }}\"\n      ignore_errors: true\n"  # noqa: E501 - test data
                "    - debug: msg=\"{{ 'x' | boom }}\"\n"
            )
        },
    )
    result = pbe.run(site, INVENTORY)
    first, second = (str(r.result["msg"]) for r in result.results)
    assert first.startswith("template error: could not find `nowhere.txt`")
    assert "Lookup" not in first and "_" not in first.split("(")[0]
    assert second.startswith("template error: plugin boom (")
    assert "KeyError: 'no x'" in second


def test_a_templated_module_name_is_resolved_when_the_task_runs(tmp_path: Path) -> None:
    """As in Ansible (``action: "{{ packager }} pkg=x"``): validation warns that the
    arguments are checked at run time; the run renders the name, splits the free-form text
    as that module's, and refuses what the engine must know beforehand (includes)."""
    site = write(
        tmp_path,
        {
            "site.yml": play(
                '    - action: "{{ m }} msg=hi"\n'
                '    - name: cmd\n      action: "{{ c }} echo hello chdir=/tmp"\n'
                '    - name: dict\n      action: {module: "{{ m }}", msg: dict form}\n'
                "    - name: inc\n      action: \"{{ 'include_tasks' }} x.yml\"\n"
                "      ignore_errors: true\n",
                "  vars: {m: debug, c: command}\n",
            )
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning")[0] == (
        "the module name is a template (`{{ m }}`): pbe checks the task's arguments when it runs"
    )
    ran = pbe.run(site, INVENTORY)
    got = {r.task_name: r for r in ran.results}
    assert got["{{ m }}"].result["msg"] == "hi"
    assert (got["cmd"].status, got["cmd"].result["stdout"]) == ("changed", "hello")
    assert got["cmd"].result["cmd"] == ["echo", "hello"]
    assert got["dict"].result["msg"] == "dict form"
    assert got["inc"].result["msg"] == (
        "`include_tasks` cannot be named by a template (`{{ 'include_tasks' }}`)"
    )


def test_numbers_in_a_list_of_strings_are_taken_as_text(tmp_path: Path) -> None:
    """As Ansible converts list elements to the element type: `[1, 2]` for a list of str
    validates, and the module gets text."""
    site = write(
        tmp_path,
        {"site.yml": play("    - name: cmd\n      command: {argv: [echo, 1, 2.5, true]}\n")},
    )
    assert by_severity(pbe.validate(site), "error") == []
    ran = pbe.run(site, INVENTORY)
    assert [r.result["stdout"] for r in ran.results] == ["1 2.5 True"]


def test_free_text_that_cannot_be_split_fails_at_run_time_under_ignore_errors(
    tmp_path: Path,
) -> None:
    """Ansible's own add_host test gives bad text on purpose, with ignore_errors."""
    site = write(
        tmp_path,
        {
            "site.yml": play(
                "    - add_host: namenew groupsx a_var\n      ignore_errors: true\n"
                "      register: bad\n    - assert: {that: bad is failed}\n"
            )
        },
    )
    problems = pbe.validate(site)
    assert by_severity(problems, "error") == []
    assert by_severity(problems, "warning") == [
        "add_host: expected key=value arguments, got `namenew groupsx a_var` (the task has "
        "`ignore_errors`: it fails when it runs, as in Ansible)"
    ]
    result = pbe.run(site, INVENTORY)
    assert [(r.action, r.status) for r in result.results] == [
        ("add_host", "failed"),
        ("assert", "ok"),
    ]
