"""Role and include parameters sit above set_fact and registered results (Ansible's
precedence levels 20-21), block, task and a `roles:` entry's `vars:` below them; a play's
vars_files may be a list of mappings. Every expected value here is what ansible-core
2.21.5 printed for the same playbook."""

from __future__ import annotations

from pathlib import Path

from playtree import write

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def messages(result: pbe.RunResult) -> list[str]:
    return [str(r.result.get("msg")) for r in result.results if r.action == "debug"]


def test_parameters_beat_set_fact_and_vars_do_not(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - set_fact: {x: from_set_fact, y: from_set_fact, z: from_set_fact}\n"
                "    - include_tasks: inc.yml\n      vars: {x: from_include_vars}\n"
                "    - include_role: {name: r}\n      vars: {y: from_include_role_vars}\n"
                "    - import_role: {name: r}\n      vars: {y: from_import_role_vars}\n"
                '    - block:\n        - debug: msg="block {{ z }}"\n'
                "      vars: {z: from_block_vars}\n"
                '    - debug: msg="task {{ z }}"\n      vars: {z: from_task_vars}\n'
                "- hosts: all\n  gather_facts: false\n"
                "  pre_tasks:\n    - set_fact: {y: from_set_fact}\n"
                "  roles:\n"
                "    - {role: r, y: from_role_param}\n"
                "    - {role: r, vars: {y: from_roles_entry_vars}}\n"
                "  tasks:\n"
                "    - include_role: {name: r2}\n      vars: {y: outer}\n"
            ),
            "inc.yml": '- debug: msg="inc {{ x }}"\n',
            "roles/r/tasks/main.yml": '- debug: msg="role {{ y }}"\n',
            "roles/r2/meta/main.yml": "dependencies: [{role: r3}]\n",
            "roles/r2/tasks/main.yml": '- debug: msg="r2 {{ y }}"\n',
            "roles/r3/tasks/main.yml": '- debug: msg="r3 {{ y }}"\n',
        },
    )
    assert messages(pbe.run(site, INVENTORY)) == [
        "inc from_include_vars",
        "role from_include_role_vars",
        "role from_set_fact",
        "block from_set_fact",
        "task from_set_fact",
        "role from_role_param",
        "role from_set_fact",
        "r3 outer",  # a dependency sees the parameters of the include that brought it in
        "r2 outer",
    ]


def test_a_dependency_sees_its_parents_parameters_over_set_fact(tmp_path: Path) -> None:
    """Ansible's var_precedence target: role1 depends on `dep`; dep reads role1's param."""
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n"
                "  pre_tasks:\n    - set_fact: {p: BAD}\n"
                "  roles:\n    - {role: top, p: from_top}\n"
            ),
            "roles/top/meta/main.yml": "dependencies:\n  - {role: role1, p: from_role1}\n",
            "roles/top/tasks/main.yml": '- debug: msg="top {{ p }}"\n',
            "roles/role1/meta/main.yml": "dependencies: [dep]\n",
            "roles/role1/tasks/main.yml": '- debug: msg="role1 {{ p }}"\n',
            "roles/dep/tasks/main.yml": '- debug: msg="dep {{ p }}"\n',
        },
    )
    assert messages(pbe.run(site, INVENTORY)) == [
        "dep from_role1",
        "role1 from_role1",
        "top from_top",
    ]


def test_a_vars_file_may_be_a_list_of_mappings(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  vars_files: [list.yml]\n"
                '  tasks:\n    - debug: msg="{{ a }} {{ b }}"\n'
            ),
            "list.yml": "- {a: 1, b: 1}\n- {b: 2}\n",
        },
    )
    assert pbe.validate(site) == []
    assert messages(pbe.run(site, INVENTORY)) == ["1 2"]
    (tmp_path / "list.yml").write_text("- {a: 1}\n- just text\n")
    assert [p.message for p in pbe.validate(site)] == [
        "a vars file must be a mapping of names to values, or a list of them"
    ]
