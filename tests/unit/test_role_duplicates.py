"""A role used twice in a play: the roles section runs it once unless its meta allows
duplicates; import_role/include_role run it again unless ``allow_duplicates: false``; and
``rolespec_validate: false`` leaves out its argument check (templated values too)."""

from __future__ import annotations

from pathlib import Path

from playtree import write

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def ran(result: pbe.RunResult) -> list[str]:
    return [str(r.result.get("msg")) for r in result.results if r.action == "debug"]


ROLES = {
    "roles/dup/tasks/main.yml": "- debug: msg=dup\n",
    "roles/dup/meta/main.yml": "allow_duplicates: true\n",
    "roles/once/tasks/main.yml": "- debug: msg=once\n",
    "roles/spec/tasks/main.yml": "- debug: msg=spec\n",
    "roles/spec/meta/argument_specs.yml": (
        "argument_specs:\n  main:\n    options:\n      n: {type: int}\n"
    ),
}


def test_the_roles_section_repeats_a_role_whose_meta_allows_duplicates(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            **ROLES,
            "site.yml": "- hosts: all\n  gather_facts: false\n  roles: [dup, dup, once, once]\n",
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    assert ran(result) == ["dup", "dup", "once"]


def test_allow_duplicates_false_on_imports_and_includes(tmp_path: Path) -> None:
    no = "        allow_duplicates: \"{{ 'no' | bool }}\"\n"
    tasks = "".join(
        f"    - {kind}:\n        name: dup\n{extra}"
        for kind in ("import_role", "include_role")
        for extra in (no, "", no)
    )
    site = write(
        tmp_path, {**ROLES, "site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n" + tasks}
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    # each third one finds the role already brought in by its kind of import or include
    assert ran(result) == ["dup", "dup", "dup", "dup"]


def test_rolespec_validate_false_skips_the_argument_check(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            **ROLES,
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - include_role:\n        name: spec\n"
                "        rolespec_validate: '{{ False | bool }}'\n"
                "      vars: {n: not-a-number}\n"
                "    - import_role:\n        name: spec\n        rolespec_validate: false\n"
                "      vars: {n: not-a-number}\n"
            ),
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    assert [r.action for r in result.results if r.action != "include_role"] == ["debug", "debug"]
