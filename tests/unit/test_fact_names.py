"""Facts a module returns are variables of the names it gave them, and sit in
``ansible_facts`` without the ``ansible_`` prefix, as in Ansible (setup's ``ansible_os_family``
is ``ansible_facts.os_family``; service_facts' ``services`` is ``services``)."""

from __future__ import annotations

from pathlib import Path

import playbook_engine as pbe
from playbook_engine.engine.facts import FactStore


def test_each_fact_is_a_variable_of_its_returned_name() -> None:
    store = FactStore()
    store.add_facts("h", {"ansible_os_family": "Debian", "module_setup": True})
    store.add_facts(
        "h",
        {"services": {"ssh.service": {"state": "running"}}, "getent_passwd": {"root": ["x", "0"]}},
    )
    layer = store.fact_layer("h")
    assert layer["ansible_os_family"] == "Debian" and layer["module_setup"] is True
    assert layer["services"] == {"ssh.service": {"state": "running"}}
    assert layer["getent_passwd"] == {"root": ["x", "0"]}
    assert "ansible_services" not in layer and "os_family" not in layer
    assert sorted(layer["ansible_facts"]) == [
        "getent_passwd",
        "module_setup",
        "os_family",
        "services",
    ]
    store.clear("h")
    assert store.fact_layer("h") == {"ansible_facts": {}}


def test_setup_registers_the_names_ansible_does(tmp_path: Path) -> None:
    book = tmp_path / "site.yml"
    book.write_text("""- hosts: all
  gather_facts: false
  tasks:
    - setup: {gather_subset: "!all,!min,platform", filter: "ansible_kernel"}
      register: s
    - assert:
        that:
          - s.ansible_facts.ansible_kernel == ansible_kernel
          - ansible_facts.kernel == ansible_kernel
""")
    inventory = {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}
    result = pbe.run(book, inventory)
    assert [r.status for r in result.results] == ["ok", "ok"], [r.result for r in result.results]
