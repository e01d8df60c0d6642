"""Where relative file names are found, as Ansible finds them: a role task file's own
directory for first_found, and paths normalised before they are tried (`vars/../../x`
when `vars/` does not exist). Each case comes from a public role (corpus6) and was run
under ansible-core 2.21.5 first."""

from __future__ import annotations

from pathlib import Path

from playtree import write

import playbook_engine as pbe

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def messages(result: pbe.RunResult) -> list[str]:
    return [str(r.result.get("msg")) for r in result.results if r.action == "debug"]


def test_first_found_searches_the_task_files_own_directory(tmp_path: Path) -> None:
    """limepepper.certbot: tasks/sub/main.yml includes the first of its siblings."""
    site = write(
        tmp_path,
        {
            "site.yml": "- hosts: all\n  gather_facts: false\n  roles: [r]\n",
            "roles/r/tasks/main.yml": "- include_tasks: sub/main.yml\n",
            "roles/r/tasks/sub/main.yml": (
                "- include_tasks: '{{ item }}'\n"
                "  with_first_found:\n    - files: [Nonexistent.yml, Linux.yml]\n"
            ),
            "roles/r/tasks/sub/Linux.yml": "- debug: msg=included\n",
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, [r.result for r in result.results]
    assert messages(result) == ["included"]


def test_a_path_is_normalised_before_it_is_looked_for(tmp_path: Path) -> None:
    """wazuh-agent: `include_vars: ../../vars/main.yml` from a role without `vars/`."""
    site = write(
        tmp_path,
        {
            "site.yml": "- hosts: all\n  gather_facts: false\n  roles: [r]\n",
            "roles/r/tasks/main.yml": (
                "- include_vars: {file: ../../vars/main.yml}\n- debug: msg='{{ shared }}'\n"
            ),
            "roles/vars/main.yml": "shared: from roles/vars\n",
        },
    )
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, [r.result for r in result.results]
    assert messages(result) == ["from roles/vars"]


def test_a_static_import_name_may_use_role_defaults_and_playbook_dir(tmp_path: Path) -> None:
    """openstack.ansible-hardening (`import_tasks: "{{ stig_version }}stig/main.yml"` with a
    role default) and roots/trellis (`{{ playbook_dir }}/roles/common/tasks/x.yml`)."""
    site = write(
        tmp_path,
        {
            "site.yml": "- hosts: all\n  gather_facts: false\n  roles: [r]\n",
            "roles/r/defaults/main.yml": "version: v1\n",
            "roles/r/tasks/main.yml": (
                "- import_tasks: '{{ version }}/main.yml'\n"
                "- import_tasks: '{{ playbook_dir }}/roles/common/tasks/shared.yml'\n"
            ),
            "roles/r/tasks/v1/main.yml": "- debug: msg=v1\n",
            "roles/common/tasks/shared.yml": "- debug: msg=shared\n",
        },
    )
    assert [p for p in pbe.validate(site) if p.severity == "error"] == []
    assert messages(pbe.run(site, INVENTORY)) == ["v1", "shared"]
