"""package: a playbook written for several distribution families validates (arguments of
package managers pbe has no backend for are handed on, as in Ansible), a misspelt argument
is still caught, and the host's backend refuses what it does not take at run time."""

from __future__ import annotations

from pathlib import Path

from playbook_engine.api import run, validate

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}

MULTI = """- hosts: all
  gather_facts: false
  tasks:
    - name: SUSE
      package: {name: nginx, state: present, oldpackage: true, extra_args: --no-confirm}
      when: ansible_os_family == "Suse"
    - name: Alpine
      package: {name: nginx, no_cache: true, world: /etc/apk/world}
      when: ansible_os_family == "Alpine"
    - name: Arch
      package: {name: nginx, remove_nosave: true}
      when: ansible_os_family == "Archlinux"
"""


def test_other_managers_arguments_validate(tmp_path: Path) -> None:
    play = tmp_path / "site.yml"
    play.write_text(MULTI)
    assert [p.message for p in validate(play) if p.severity == "error"] == []


def test_a_misspelt_argument_is_still_an_error(tmp_path: Path) -> None:
    play = tmp_path / "site.yml"
    play.write_text("- hosts: all\n  tasks:\n    - package: {name: nginx, oldpackge: true}\n")
    messages = [p.message for p in validate(play) if p.severity == "error"]
    assert len(messages) == 1 and "oldpackge" in messages[0], messages


def test_the_apt_backend_refuses_another_managers_argument(tmp_path: Path) -> None:
    play = tmp_path / "site.yml"
    play.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - package: {name: pbe-no-such-package, oldpackage: true, use: apt}\n"
        "      register: out\n"
    )
    result = run(play, LOCAL)
    out = dict(result.results[0].result)
    assert out["failed"] is True
    assert out["msg"] == "Unsupported parameters for (apt) module: oldpackage"


def test_update_cache_alone_is_handed_to_the_backend(tmp_path: Path) -> None:
    """Ansible's package action hands the task on without `name`; apt updates its cache."""
    play = tmp_path / "site.yml"
    play.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - package: {update_cache: true, use: apt}\n"
    )
    assert [p.message for p in validate(play) if p.severity == "error"] == []
    result = run(play, LOCAL, check=True)
    assert [(r.status, r.result.get("cache_updated")) for r in result.results] == [
        ("changed", True)
    ]
