"""An installed collection's Python module that pbe does not implement runs on the host, as
a project's library module does, with the collection module_utils it imports (followed
through their own absolute and relative imports). Local connection; each test makes its
own collection under tmp_path with a unique name (the module registry is the process's).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playtree import write

import playbook_engine as pbe
from playbook_engine import modules

INVENTORY = {
    "all": {
        "hosts": {"a": None},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"},
    }
}

STAMP = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.NAMESPACE.tools.plugins.module_utils.words import shout
from ..module_utils import numbers


def main():
    module = AnsibleModule(
        argument_spec=dict(path=dict(type='path', required=True), word=dict(default='hi')),
        supports_check_mode=True,
    )
    text = shout(module.params['word']) + numbers.ANSWER
    try:
        with open(module.params['path']) as handle:
            same = handle.read() == text
    except IOError:
        same = False
    if not same and not module.check_mode:
        with open(module.params['path'], 'w') as handle:
            handle.write(text)
    module.exit_json(changed=not same, text=text)


if __name__ == '__main__':
    main()
"""
WORDS = "from .inner.case import upper\n\n\ndef shout(word):\n    return upper(word) + '!'\n"
CASE = "def upper(word):\n    return word.upper()\n"
NUMBERS = "ANSWER = ' 42'\n"


def collection(base: Path, ns: str, module: str = STAMP) -> dict[str, str]:
    root = f"collections/ansible_collections/{ns}/tools/plugins"
    return {
        f"{root}/modules/stamp.py": module.replace("NAMESPACE", ns),
        f"{root}/module_utils/__init__.py": "",
        f"{root}/module_utils/words.py": WORDS,
        f"{root}/module_utils/numbers.py": NUMBERS,
        f"{root}/module_utils/inner/case.py": CASE,
    }


def by_name(result: Any) -> dict[str, Any]:
    return {r.task_name: r for r in result.results}


def unique() -> str:
    return f"pbe{uuid.uuid4().hex[:8]}"


def test_a_collection_module_beside_the_playbook_runs_on_the_host(tmp_path: Path) -> None:
    ns, out = unique(), tmp_path / "out.txt"
    site = write(
        tmp_path,
        {
            **collection(tmp_path, ns),
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - name: stamp\n      {ns}.tools.stamp: {{path: {out}, word: hey}}\n"
            ),
        },
    )
    checked = by_name(pbe.run(site, INVENTORY, check=True))["stamp"]
    assert (checked.status, checked.result["text"]) == ("changed", "HEY! 42")
    assert not out.exists()
    first = by_name(pbe.run(site, INVENTORY))["stamp"]
    assert first.status == "changed"
    assert out.read_text() == "HEY! 42"
    again = by_name(pbe.run(site, INVENTORY))["stamp"]
    assert again.status == "ok"


def test_arguments_are_checked_from_the_modules_spec(tmp_path: Path) -> None:
    ns = unique()
    site = write(
        tmp_path,
        {
            **collection(tmp_path, ns),
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - {ns}.tools.stamp: {{path: /x, wrod: hey}}\n"
            ),
        },
    )
    with pytest.raises(pbe.ValidationFailed) as failed:
        pbe.run(site, INVENTORY)
    assert "site.yml:4:" in str(failed.value)
    assert f"unsupported argument `wrod` for module `{ns}.tools.stamp`" in str(failed.value)


def test_collections_path_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ns, out = unique(), tmp_path / "out.txt"
    write(tmp_path / "installed", collection(tmp_path, ns))
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(tmp_path / "installed" / "collections"))
    site = write(
        tmp_path / "project",
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - name: stamp\n      action: {ns}.tools.stamp path={out}\n"
            )
        },
    )
    assert by_name(pbe.run(site, INVENTORY))["stamp"].status == "changed"
    assert out.read_text() == "HI! 42"


def test_what_pbe_cannot_run_is_said_where_a_task_uses_it(tmp_path: Path) -> None:
    """A module importing a part of ansible.module_utils pbe lacks, with an action plugin,
    or in PowerShell: an error at validation, a warning in a file only included at run
    time."""
    ns = unique()
    lacking = STAMP.replace(
        "from ..module_utils import numbers\n",
        "from ..module_utils import numbers\nfrom ansible.module_utils.pbe_never import x\n",
    )
    files = collection(tmp_path, ns, lacking)
    base = f"collections/ansible_collections/{ns}/tools/plugins"
    files[f"{base}/modules/acted.py"] = STAMP.replace("NAMESPACE", ns)
    files[f"{base}/action/acted.py"] = "class ActionModule: pass\n"
    files[f"{base}/modules/win_x.py"] = "DOCUMENTATION = 'the module is win_x.ps1'\n"
    files[f"{base}/modules/win_x.ps1"] = "#AnsibleRequires -CSharpUtil Ansible.Basic\n"
    files["later.yml"] = f"- {ns}.tools.acted: {{path: /x}}\n"
    files["site.yml"] = (
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        f"    - {ns}.tools.stamp: {{path: /x}}\n"
        "    - include_tasks: later.yml\n"
        f"    - {ns}.tools.win_x: {{}}\n"
    )
    site = write(tmp_path, files)
    with pytest.raises(pbe.ValidationFailed) as failed:
        pbe.run(site, INVENTORY)
    problems = {(p.location.line, p.severity): p.message for p in failed.value.problems}
    assert problems[(4, "error")] == (
        f"`{ns}.tools.stamp` from collection {ns}.tools ({tmp_path}/collections) imports "
        "ansible.module_utils.pbe_never, which pbe's host runtime does not provide"
    )
    assert problems[(6, "error")] == (
        f"`{ns}.tools.win_x` is a PowerShell module for Windows hosts (collection {ns}.tools "
        f"({tmp_path}/collections)): pbe runs none"
    )
    assert problems[(1, "warning")].startswith(
        f"`{ns}.tools.acted` has an Ansible action plugin in collection {ns}.tools"
    )


@pytest.fixture
def forget_lvg() -> Iterator[None]:
    """The registry is the process's: other tests must not find this test's fake `lvg`."""
    yield
    modules.REGISTRY.pop("community.general.lvg", None)
    modules.ALIASES.pop("lvg", None)


@pytest.mark.usefixtures("forget_lvg")
def test_a_short_name_ansible_routes_to_a_collection(tmp_path: Path) -> None:
    """`lvg` is routed by Ansible to community.general.lvg: an installed copy is used."""
    out = tmp_path / "out.txt"
    module = STAMP.replace("NAMESPACE.tools", "community.general").replace(
        "from ..module_utils import numbers\n", "numbers = type('n', (), {'ANSWER': ''})\n"
    )
    root = "collections/ansible_collections/community/general/plugins"
    site = write(
        tmp_path,
        {
            f"{root}/modules/lvg.py": module,
            f"{root}/module_utils/words.py": WORDS,
            f"{root}/module_utils/inner/case.py": CASE,
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - name: routed\n      lvg: {{path: {out}}}\n"
            ),
        },
    )
    assert by_name(pbe.run(site, INVENTORY))["routed"].status == "changed"
    assert out.read_text() == "HI!"


def test_a_collection_module_not_installed_says_how_to_get_it(tmp_path: Path) -> None:
    ns = unique()
    site = write(
        tmp_path,
        {"site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n    - {ns}.tools.x: {{}}\n"},
    )
    with pytest.raises(pbe.ValidationFailed) as failed:
        pbe.run(site, INVENTORY)
    (problem,) = failed.value.problems
    assert problem.message == f"`{ns}.tools.x` is not a module pbe has (collection {ns}.tools)"
    assert problem.hint is not None and problem.hint.startswith(
        f"with collection {ns}.tools installed (`ansible-galaxy collection install {ns}.tools`)"
        ", pbe runs its Python modules on the host"
    )


def test_a_module_a_collection_moved_is_followed_to_its_new_place(tmp_path: Path) -> None:
    """meta/runtime.yml redirects (community.mysql's modules went to ansible.mysql): to an
    installed collection's module, or to one pbe implements."""
    ns, old, out = unique(), unique(), tmp_path / "out.txt"
    site = write(
        tmp_path,
        {
            **collection(tmp_path, ns),
            f"collections/ansible_collections/{old}/old/meta/runtime.yml": (
                "plugin_routing:\n  modules:\n"
                f"    stamp: {{redirect: {ns}.tools.stamp}}\n"
                "    cp: {redirect: ansible.builtin.copy}\n"
            ),
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - name: moved\n      {old}.old.stamp: {{path: {out}}}\n"
                f"    - name: builtin\n      {old}.old.cp: {{content: x, dest: {out}.2}}\n"
            ),
        },
    )
    result = by_name(pbe.run(site, INVENTORY))
    assert (result["moved"].status, result["builtin"].status) == ("changed", "changed")
    assert out.read_text() == "HI! 42"
    assert (tmp_path / "out.txt.2").read_text() == "x"


def test_the_collections_keyword_searches_short_names_as_ansible_does(tmp_path: Path) -> None:
    """The play's `collections:` applies to its own tasks and role names; a role searches
    its meta's list (never the play's), and a collection's role its own collection first."""
    ns = unique()
    col_role = f"collections/ansible_collections/{ns}/tools/roles"
    site = write(
        tmp_path,
        {
            **collection(tmp_path, ns),
            f"{col_role}/inner/tasks/main.yml": (
                f"- name: inner\n  stamp: {{path: {tmp_path}/inner.txt, word: in}}\n"
            ),
            "roles/listed/meta/main.yml": f"collections: [{ns}.tools]\n",
            "roles/listed/tasks/main.yml": (
                f"- name: listed\n  stamp: path={tmp_path}/listed.txt word=meta\n"
                "- include_tasks: \"{{ 'more' }}.yml\"\n"  # read at run time
            ),
            "roles/listed/tasks/more.yml": (
                f"- name: more\n  action: stamp path={tmp_path}/more.txt word=more\n"
            ),
            "site.yml": (
                f"- hosts: a\n  gather_facts: false\n  collections: [{ns}.tools]\n"
                "  roles: [inner, listed]\n  tasks:\n"
                f"    - name: play\n      stamp: {{path: {tmp_path}/play.txt, word: play}}\n"
            ),
        },
    )
    assert [p for p in pbe.validate(site) if p.severity == "error"] == []
    result = pbe.run(site, INVENTORY)
    assert [(r.task_name, r.status) for r in result.results] == [
        ("inner : inner", "changed"),
        ("listed : listed", "changed"),
        ("listed : include_tasks", "ok"),
        ("listed : more", "changed"),
        ("play", "changed"),
    ]
    texts = {n: (tmp_path / f"{n}.txt").read_text() for n in ("inner", "listed", "more", "play")}
    assert texts == {
        "inner": "IN! 42",
        "listed": "META! 42",
        "more": "MORE! 42",
        "play": "PLAY! 42",
    }
    # a role does not inherit the play's list
    (tmp_path / "roles/listed/meta/main.yml").write_text("galaxy_info: {}\n")
    errors = [p.message for p in pbe.validate(site) if p.severity == "error"]
    assert errors == ["unknown module `stamp`"]
