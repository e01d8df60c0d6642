"""The plugin seam: project modules in ``library/`` (beside the playbook, in a role) and
installed packages' ``pbe.modules`` entry points."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from playtree import write

import playbook_engine as pbe
from playbook_engine import modules
from playbook_engine.language import library
from playbook_engine.modules.util.hostmodule import PythonModule

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def module_file(
    name: str, body: str = "return Result(changed=True, values={'said': args['word']})"
) -> str:
    return (
        "from playbook_engine.modules import Arg, Module, Result, register\n\n"
        f"@register({name!r})\n"
        "class Mod(Module):\n"
        "    args = {'word': Arg('str', required=True, description='what to say')}\n"
        "    needs_connection = False\n"
        "    def run(self, args, ctx):\n"
        f"        {body}\n"
    )


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_a_library_module_beside_the_playbook_and_in_a_role(tmp_path: Path) -> None:
    top, inner = unique("pbe_t_top"), unique("pbe_t_role")
    site = write(
        tmp_path,
        {
            f"library/{top}.py": module_file(top),
            f"roles/r/library/{inner}.py": module_file(inner),
            "roles/r/tasks/main.yml": f"- {inner}: word=from-role\n  register: r\n",
            "site.yml": (
                f"- hosts: a\n  gather_facts: false\n  roles: [r]\n  tasks:\n"
                f"    - {top}: word=hello\n      register: t\n"
                "    - debug: msg='{{ t.said }} {{ r.said }}'\n"
            ),
        },
    )
    assert not [p for p in pbe.validate(site) if p.severity == "error"]
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    assert [(r.action, r.status) for r in result.results] == [
        (inner, "changed"),
        (top, "changed"),
        ("debug", "ok"),
    ]
    assert result.results[-1].result["msg"] == "hello from-role"


def test_library_arguments_are_validated_like_pbes_own(tmp_path: Path) -> None:
    name = unique("pbe_t_args")
    site = write(
        tmp_path,
        {
            f"library/{name}.py": module_file(name),
            "site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n    - {name}: wrod=x\n",
        },
    )
    errors = [p.message for p in pbe.validate(site) if p.severity == "error"]
    assert f"unsupported argument `wrod` for module `{name}`" in errors


def test_an_ansible_module_file_runs_on_the_host_never_imported_here(tmp_path: Path) -> None:
    name = unique("pbe_t_ansible")
    site = write(
        tmp_path,
        {
            f"library/{name}.py": (
                "from ansible.module_utils.basic import AnsibleModule\n"
                "raise SystemExit('must not be imported')\n"
            ),
            "site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n    - {name}: x=1\n",
        },
    )
    assert pbe.validate(site) == []
    module = modules.get(name)
    assert module is not None and issubclass(module, PythonModule)
    assert module.open_args  # no literal argument_spec: the module checks its arguments


def test_a_library_cannot_replace_pbes_modules_and_bad_files_are_located(tmp_path: Path) -> None:
    broken = unique("pbe_t_broken")
    site = write(
        tmp_path,
        {
            "library/copy.py": module_file("copy"),
            f"library/{broken}.py": "import os\n\nx = 1 / 0\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - copy: content=x dest=/dev/null\n"
            ),
        },
    )
    problems = pbe.validate(site)
    found = sorted((p.message, p.location.line if p.location else None) for p in problems)
    assert found == [
        (f"cannot load {broken}.py: ZeroDivisionError: division by zero", 3),
        ("copy.py: module `copy` is one of pbe's own; a library module cannot replace it", 0),
    ]
    assert modules.get("copy").__module__ == "playbook_engine.modules.copy"  # type: ignore[union-attr]


def test_two_projects_may_ship_a_module_of_the_same_name(tmp_path: Path) -> None:
    name = unique("pbe_t_same")
    results = []
    for project in ("one", "two"):
        site = write(
            tmp_path / project,
            {
                f"library/{name}.py": module_file(name, f"return Result(msg={project!r})"),
                "site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n    - {name}: word=x\n",
            },
        )
        results.append(pbe.run(site, INVENTORY).results[0].result["msg"])
    assert results == ["one", "two"]


def test_entry_points_register_installed_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package, by_class, by_file = unique("pbe_t_pkg"), unique("pbe_t_ep"), unique("pbe_t_epf")
    write(
        tmp_path,
        {
            f"{package}/__init__.py": module_file(by_file).replace("class Mod", "class Registered")
            + "\n\n"
            + module_file("unused").split("@register")[0]
            + "class Plain(Module):\n"
            "    args = {}\n    needs_connection = False\n"
            "    def run(self, args, ctx):\n        return Result(msg='plain')\n",
            f"{package}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {package}\n"
            "Version: 1.0\n",
            f"{package}-1.0.dist-info/entry_points.txt": (
                f"[pbe.modules]\n{by_class} = {package}:Plain\n{by_file} = {package}\n"
                f"broken_{by_class} = {package}_missing:X\n"
            ),
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    problems = library.load_entry_points.__wrapped__()  # type: ignore[attr-defined]
    assert [p.message.split(":")[0] for p in problems] == [
        f"entry point broken_{by_class} ({package}_missing"
    ]
    assert problems[0].severity == "warning"
    assert modules.get(by_class) is not None and modules.get(by_file) is not None
    site = write(
        tmp_path,
        {
            "site.yml": (
                f"- hosts: a\n  gather_facts: false\n  tasks:\n    - {by_class}: {{}}\n"
                f"    - {by_file}: word=w\n"
            )
        },
    )
    result = pbe.run(site, INVENTORY)
    assert [(r.action, r.status, r.result.get("msg")) for r in result.results] == [
        (by_class, "ok", "plain"),
        (by_file, "changed", None),
    ]
    sys.modules.pop(package, None)


def test_an_ansible_action_plugin_is_named_as_such(tmp_path: Path) -> None:
    """A project's ``action_plugins/x.py`` runs inside Ansible's controller: pbe says so
    instead of calling `x` an unknown module."""
    name = unique("pbe_t_action")
    site = write(
        tmp_path,
        {
            f"action_plugins/{name}.py": "from ansible.plugins.action import ActionBase\n",
            "site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n    - {name}: {{}}\n",
        },
    )
    problems = [p for p in pbe.validate(site) if p.severity == "error"]
    assert [p.message for p in problems] == [
        f"`{name}` is an Ansible action plugin "
        f"({(tmp_path / 'action_plugins' / name).resolve()}.py): it runs inside Ansible's "
        "controller, which pbe is not"
    ]
