"""Roles (layout, defaults/vars precedence, dependencies, handlers) and task includes."""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def msgs(result: pbe.RunResult, host: str = "a") -> list[str]:
    return [
        str(r.result.get("msg"))
        for r in result.results
        if r.host == host and r.action == "debug" and r.status == "ok"
    ]


def test_role_layout_precedence_dependencies_and_handlers(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "roles/base/tasks/main.yml": "- debug: msg='base {{ base_port }}'\n",
            "roles/base/defaults/main.yml": "base_port: 1\n",
            "roles/web/meta/main.yml": "dependencies:\n  - role: base\n    base_port: 2\n",
            "roles/web/defaults/main.yml": "port: 80\nfrom_default: d\nshadowed: default\n",
            "roles/web/vars/main.yml": "shadowed: rolevar\n",
            "roles/web/tasks/main.yml": (
                "- debug: msg='{{ port }} {{ from_default }} {{ shadowed }} {{ role_name }}'\n"
                "- command: 'true'\n  notify: restart web\n"
                "- include_tasks: extra.yml\n"
            ),
            "roles/web/tasks/extra.yml": "- debug: msg='extra in {{ role_path | basename }}'\n",
            "roles/web/handlers/main.yml": "- name: restart web\n  debug: msg=restarted\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  vars: {port: 8080}\n"
                "  pre_tasks:\n    - debug: msg=pre\n"
                "  roles:\n    - web\n"
                "  tasks:\n    - debug: msg=task\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.exit_code == 0
    # role handlers flush after the roles+tasks section, as in Ansible
    assert msgs(result) == [
        "pre",
        "base 2",
        "8080 d rolevar web",
        "extra in web",
        "task",
        "restarted",
    ]


def test_defaults_and_vars_main_may_be_directories(tmp_path: Path) -> None:
    """``defaults/main/`` and ``vars/main/`` as directories: every vars file below is
    read, in sorted path order (a later file wins), hidden files and others skipped. And
    ``ansible_role_name`` is set in a role, as ``role_name``."""
    write(
        tmp_path,
        {
            "roles/r/defaults/main/a.yml": "port: 1\nname: a\n",
            "roles/r/defaults/main/b/c.yaml": "port: 2\n",
            "roles/r/defaults/main/.hidden.yml": "name: hidden\n",
            "roles/r/defaults/main/notes.md": "not: yaml: at: all\n",
            "roles/r/vars/main/x.json": '{"kind": "json"}\n',
            "roles/r/tasks/main.yml": (
                "- debug: msg='{{ port }} {{ name }} {{ kind }} {{ ansible_role_name }}'\n"
            ),
            "site.yml": "- hosts: a\n  gather_facts: false\n  roles: [r]\n",
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert msgs(result) == ["2 a json r"]


def test_handlers_flush_after_roles_and_tasks_section(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "roles/r/tasks/main.yml": "- command: 'true'\n  notify: h\n",
            "roles/r/handlers/main.yml": "- name: h\n  debug: msg=handler\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  roles: [r]\n  tasks:\n    - debug: msg=task\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert msgs(result) == ["task", "handler"]


def test_import_tasks_is_static_and_inherits_keywords(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "inc/steps.yml": "- debug: msg='one {{ x }}'\n- debug: msg='two {{ x }}'\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - import_tasks: inc/steps.yml\n      vars: {x: 1}\n"
                "      when: inventory_hostname == 'a'\n      tags: [imp]\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert msgs(result, "a") == ["one 1", "two 1"] and msgs(result, "b") == []
    tagged = pbe.run(tmp_path / "site.yml", INVENTORY, skip_tags=("imp",))
    assert tagged.results == []


def test_include_tasks_with_loop_templated_name_and_when(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "tasks/a.yml": "- debug: msg='a got {{ item }}'\n",
            "tasks/b.yml": "- debug: msg='b got {{ item }}'\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - include_tasks: 'tasks/{{ inventory_hostname }}.yml'\n"
                "      loop: [1, 2]\n"
                "    - debug: msg=after\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.exit_code == 0
    assert msgs(result, "a") == ["a got 1", "a got 2", "after"]
    assert msgs(result, "b") == ["b got 1", "b got 2", "after"]


def test_include_role_and_import_role(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "roles/greet/tasks/main.yml": "- debug: msg='hello {{ who }}'\n",
            "roles/greet/tasks/bye.yml": "- debug: msg='bye {{ who }}'\n",
            "roles/greet/defaults/main.yml": "who: world\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - import_role: {name: greet}\n"
                "    - include_role: {name: greet, tasks_from: bye}\n"
                "      vars: {who: you}\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert msgs(result) == ["hello world", "bye you"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"site.yml": "- hosts: a\n  tasks:\n    - import_tasks: missing.yml\n"},
            "site.yml:3:7: task file not found: missing.yml",
        ),
        ({"site.yml": "- hosts: a\n  roles: [nope]\n"}, "site.yml:2:11: role not found: `nope`"),
        (
            {
                "roles/empty/files/a.txt": "a file, no tasks, vars or meta\n",
                "site.yml": "- hosts: a\n  roles: [empty]\n",
            },
            "role `empty` has no tasks",
        ),
        (
            {
                "loop.yml": "- import_tasks: loop.yml\n",
                "site.yml": "- hosts: a\n  tasks:\n    - import_tasks: loop.yml\n",
            },
            "recursive include: loop.yml -> loop.yml",
        ),
        (
            {
                "t.yml": "- debgu: msg=x\n",
                "site.yml": "- hosts: a\n  tasks:\n    - import_tasks: t.yml\n",
            },
            "t.yml:1:3: unknown module `debgu`",
        ),
    ],
)
def test_static_structure_errors_are_validation_errors(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    write(tmp_path, files)
    with pytest.raises(pbe.ValidationFailed) as info:
        pbe.run(tmp_path / "site.yml", INVENTORY)
    assert expected in str(info.value)


def test_loop_over_a_non_list_fails_the_task(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site.yml": "- hosts: a\n  gather_facts: false\n  vars: {d: {k: 1}}\n"
            "  tasks:\n    - debug: msg={{ item }}\n      loop: '{{ d }}'\n"
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.exit_code == 2
    assert "loop needs a list, got a mapping" in result.results[0].result["msg"]


def test_group_and_host_vars_beside_the_playbook(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "group_vars/all.yml": "color: blue\nsize: 1\n",
            "host_vars/b.yml": "color: red\n",
            "site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n"
            "    - debug: msg='{{ color }} {{ size }}'\n",
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert msgs(result, "a") == ["blue 1"] and msgs(result, "b") == ["red 1"]


def test_bad_playbook_group_vars_is_a_validation_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"group_vars/all.yml": "- not\n- a mapping\n", "site.yml": "- hosts: all\n  tasks: []\n"},
    )
    with pytest.raises(pbe.ValidationFailed) as info:
        pbe.run(tmp_path / "site.yml", INVENTORY)
    assert "group_vars/all.yml" in str(info.value)
