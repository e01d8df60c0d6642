"""Library files without an extension are taken by their content, as Ansible takes them: a
Python Ansible module runs by the host's Python whatever its name and ``#!`` line; a
``#!`` script runs as a program (both confirmed with ansible-playbook)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from playtree import write

import playbook_engine as pbe
from playbook_engine import modules
from playbook_engine.language import library
from playbook_engine.modules.util.hostmodule import PythonModule, ScriptModule

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def shout_module(first_line: str = "") -> str:
    """A Python Ansible module (no extension needed) that upper-cases its argument."""
    return (
        first_line + "from ansible.module_utils.basic import AnsibleModule\n\n"
        "mod = AnsibleModule(argument_spec={'word': {'type': 'str', 'required': True}})\n"
        "mod.exit_json(changed=True, loud=mod.params['word'].upper())\n"
    )


ADD_MODULE = (
    "from ansible.module_utils.basic import AnsibleModule\n\n"
    "m = AnsibleModule(argument_spec=dict(a=dict(type='int'), b=dict(type='int')),\n"
    "                  supports_check_mode=True)\n"
    "m.exit_json(changed=False, total=m.params['a'] + m.params['b'])\n"
)

SHELL_MODULE = (
    "#!/bin/sh\n"
    "# an old-style module: its arguments arrive as key=value words in the file $1\n"
    "# (mentioning ansible.module_utils here does not make it Python)\n"
    '. "$1"\n'
    'printf \'{"changed": false, "heard": "%s"}\\n\' "$greeting"\n'
)


def test_python_module_without_extension_beside_the_playbook(tmp_path: Path) -> None:
    name = unique("pbe_t_noext")
    site = write(
        tmp_path,
        {
            f"library/{name}": shout_module(),  # no #! line at all, as Ansible allows
            "site.yml": (
                f"- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - {name}: {{word: hi}}\n      register: out\n"
                "    - debug: {msg: '{{ out.loud }}'}\n"
            ),
        },
    )
    assert [p for p in pbe.validate(site) if p.severity == "error"] == []
    module = modules.get(name)
    assert module is not None and issubclass(module, PythonModule)
    assert set(module.args) == {"word"}  # its argument_spec was read, as for x.py
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    assert [(r.action, r.status) for r in result.results] == [(name, "changed"), ("debug", "ok")]
    assert result.results[0].result["loud"] == "HI"
    assert result.results[1].result["msg"] == "HI"


def test_python_module_without_extension_in_a_role(tmp_path: Path) -> None:
    name = unique("pbe_t_role_noext")
    site = write(
        tmp_path,
        {
            # /usr/bin/python: the Python of the host's choosing, there or not
            f"roles/r/library/{name}": "#!/usr/bin/python\n" + ADD_MODULE,
            "roles/r/tasks/main.yml": f"- {name}: {{a: 2, b: 40}}\n  register: sum\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  roles: [r]\n  tasks:\n"
                "    - debug: {msg: '{{ sum.total }}'}\n"
            ),
        },
    )
    assert [p for p in pbe.validate(site) if p.severity == "error"] == []
    module = modules.get(name)
    assert module is not None and issubclass(module, PythonModule)
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    assert [(r.action, r.status) for r in result.results] == [(name, "ok"), ("debug", "ok")]
    assert result.results[0].result["total"] == 42
    assert str(result.results[1].result["msg"]) == "42"


def test_shell_script_without_extension_still_runs_as_a_script(tmp_path: Path) -> None:
    name = unique("pbe_t_sh")
    site = write(
        tmp_path,
        {
            f"library/{name}": SHELL_MODULE,
            "site.yml": (
                f"- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - {name}: {{greeting: hello}}\n      register: out\n"
            ),
        },
    )
    os.chmod(tmp_path / "library" / name, 0o755)
    assert [p for p in pbe.validate(site) if p.severity == "error"] == []
    module = modules.get(name)
    assert module is not None and issubclass(module, ScriptModule)
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0, result.error
    assert result.results[0].status == "ok"
    assert result.results[0].result["heard"] == "hello"


def test_a_changed_module_file_is_loaded_again_without_a_warning(tmp_path: Path) -> None:
    name = unique("pbe_t_reload")
    folder = tmp_path / "library"
    folder.mkdir()
    path = folder / name
    path.write_text(shout_module())
    assert library.load_modules(folder) == []
    path.write_text(ADD_MODULE)
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    assert library.load_modules(folder) == []  # not "one of pbe's own"
    module = modules.get(name)
    assert module is not None and set(module.args) == {"a", "b"}
