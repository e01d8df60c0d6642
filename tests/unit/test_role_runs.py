"""How roles run per host: ``meta: end_role``, and a repeated role running once per host
only after it completed there (Ansible's deduplication), on the local connection."""

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


def shown(result: pbe.RunResult, host: str) -> list[tuple[str, str]]:
    """(task name without its `ROLE : ` prefix, status) of every result shown for
    ``host``, debug ones by message."""
    return [
        (str(r.result.get("msg")) if r.action == "debug" else _bare(r.task_name), r.status)
        for r in result.results
        if r.host == host
    ]


def _bare(name: str) -> str:
    """``include_role : r`` (an unnamed include_role) -> ``include_role``."""
    return "include_role" if name.startswith("include_role : ") else name.rpartition(" : ")[2]


@pytest.mark.parametrize("strategy", ["linear", "free"])
def test_end_role_skips_the_rest_of_the_innermost_role(tmp_path: Path, strategy: str) -> None:
    """end_role (when it holds) ends the role it is in, even from a task file it includes
    and inside a block (whose always is skipped too); the outer role and play go on."""
    write(
        tmp_path,
        {
            "roles/inner/tasks/main.yml": ("- include_tasks: more.yml\n- debug: msg=inner-after\n"),
            "roles/inner/tasks/more.yml": (
                "- block:\n"
                "    - meta: end_role\n"
                "      when: inventory_hostname == 'a'\n"
                "    - debug: msg=inner-block\n"
                "  always:\n"
                "    - debug: msg=inner-always\n"
            ),
            "roles/outer/tasks/main.yml": (
                "- debug: msg=outer-before\n"
                "- include_role: {name: inner}\n"
                "- debug: msg=outer-after\n"
            ),
            "site.yml": (
                f"- hosts: all\n  gather_facts: false\n  strategy: {strategy}\n"
                "  roles: [outer]\n"
                "  tasks:\n    - debug: msg=play\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.exit_code == 0
    debug_a = [m for m, s in shown(result, "a") if s == "ok"]
    assert [m for m in debug_a if m.startswith(("outer", "inner", "play"))] == [
        "outer-before",
        "outer-after",
        "play",
    ]
    debug_b = [m for m, s in shown(result, "b") if s == "ok"]
    assert [m for m in debug_b if m.startswith(("outer", "inner", "play"))] == [
        "outer-before",
        "inner-block",
        "inner-always",
        "inner-after",
        "outer-after",
        "play",
    ]
    # the meta task is shown as skipped on the host whose `when` is false, not counted
    assert ("meta", "skipped") in shown(result, "b")
    assert result.stats["b"]["skipped"] == 0


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("  tasks:\n    - meta: end_role\n", "`meta: end_role` cannot run outside a role"),
        (
            "  tasks:\n    - debug: msg=x\n      changed_when: true\n      notify: h\n"
            "  handlers:\n    - name: h\n      meta: end_role\n",
            "`meta: end_role` cannot run in a handler",
        ),
    ],
)
def test_end_role_outside_a_role_is_a_validation_error(
    tmp_path: Path, where: str, message: str
) -> None:
    write(tmp_path, {"site.yml": "- hosts: all\n  gather_facts: false\n" + where})
    with pytest.raises(pbe.ValidationFailed) as exc:
        pbe.run(tmp_path / "site.yml", INVENTORY)
    assert message in str(exc.value)
    assert "site.yml:" in str(exc.value)


def test_a_repeated_role_runs_again_until_it_completed_on_the_host(tmp_path: Path) -> None:
    """A role listed again with the same parameters is skipped on a host where it already
    completed (a task of it ran there); where all its tasks were skipped, or it was only
    another host's run_once, it runs again. Different parameters, import_role and
    meta ``allow_duplicates`` run it again; so does an include_role with
    ``allow_duplicates: false``, which (as in ansible-core 2.21) only looks at earlier
    include_roles."""
    write(
        tmp_path,
        {
            "roles/r/tasks/main.yml": (
                "- debug: msg='r {{ p | default(0) }}'\n  when: go | default(false)\n"
            ),
            "roles/once/tasks/main.yml": "- debug: msg=once\n  run_once: true\n",
            "roles/dup/tasks/main.yml": "- debug: msg=dup\n",
            "roles/dup/meta/main.yml": "allow_duplicates: true\n",
            "roles/setgo/tasks/main.yml": "- set_fact: {go: true}\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n"
                "  roles:\n    - r\n    - setgo\n    - r\n    - r\n"
                "    - {role: r, p: 1}\n    - once\n    - once\n    - dup\n    - dup\n"
                "  tasks:\n"
                "    - import_role: {name: r}\n"
                "    - include_role: {name: r, allow_duplicates: false}\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.exit_code == 0
    ok = {h: [m for m, s in shown(result, h) if s == "ok" and m != "set_fact"] for h in "ab"}
    assert ok["a"] == ["r 0", "r 1", "once", "dup", "dup", "r 0", "include_role", "r 0"]
    # b: `once` ran only on a (run_once), so the second listing runs it again, on b
    assert ok["b"] == ["r 0", "r 1", "once", "dup", "dup", "r 0", "include_role", "r 0"]
    skipped = [m for m, s in shown(result, "a") if s == "skipped"]
    assert skipped == ["None"]  # the first `r` (its debug), before `go` was set


def test_import_role_public_no_keeps_its_vars_to_itself(tmp_path: Path) -> None:
    """An import_role's defaults and vars are seen by the whole play, unless it says
    ``public: no``; ``lookup('config', 'DEFAULT_PRIVATE_ROLE_VARS')`` tells pbe's setting."""
    write(
        tmp_path,
        {
            "roles/pub/defaults/main.yml": "pub_default: 1\n",
            "roles/priv/defaults/main.yml": "priv_default: 2\n",
            "roles/priv/vars/main.yml": "priv_var: 3\n",
            "roles/priv/tasks/main.yml": "- debug: msg='in {{ priv_default }} {{ priv_var }}'\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - debug:\n        msg: >-\n"
                "          {{ pub_default | default('u') }} {{ priv_default | default('u') }}\n"
                "          {{ priv_var | default('u') }}\n"
                "          {{ lookup('config', 'DEFAULT_PRIVATE_ROLE_VARS') }}\n"
                "    - import_role: {name: pub}\n"
                "    - import_role: {name: priv, public: no}\n"
            ),
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert result.exit_code == 0
    assert [m for m, s in shown(result, "a") if s == "ok"] == ["1 u u False", "in 2 3"]


def test_config_lookup_of_a_setting_pbe_does_not_have(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - debug: msg=\"{{ lookup('config', 'NO_SUCH', on_missing='skip') }}\"\n"
                "    - debug: msg=\"{{ lookup('config', 'DEFAULT_KEEP_REMOTE_FILES') }}\"\n"
            )
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    first, second = [r for r in result.results if r.host == "a"]
    assert first.status == "ok"
    assert second.status == "failed"
    assert "does not read the setting `DEFAULT_KEEP_REMOTE_FILES`" in str(second.result["msg"])


@pytest.mark.parametrize("name", ["../../../outside.yml", "sub/../../../../outside.yml", "ABS"])
def test_tasks_from_outside_the_role_is_refused(tmp_path: Path, name: str) -> None:
    """import_role: a validation error; include_role with a templated name: the task
    fails on its host; a file in a subdirectory of tasks/ is fine."""
    name = str(tmp_path / "outside.yml") if name == "ABS" else name
    write(
        tmp_path,
        {
            "outside.yml": "- debug: msg=outside\n",
            "roles/r/tasks/main.yml": "- debug: msg=main\n",
            "roles/r/tasks/sub/in.yml": "- debug: msg=inside\n",
            "static.yml": (
                f"- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - import_role: {{name: r, tasks_from: '{name}'}}\n"
            ),
            "dynamic.yml": (
                f"- hosts: a\n  gather_facts: false\n  vars: {{f: '{name}'}}\n  tasks:\n"
                "    - include_role: {name: r, tasks_from: sub/in.yml}\n"
                "    - include_role: {name: r, tasks_from: '{{ f }}'}\n"
            ),
        },
    )
    with pytest.raises(pbe.ValidationFailed) as exc:
        pbe.run(tmp_path / "static.yml", INVENTORY)
    assert "of role `r` is not inside the expected role path" in str(exc.value)
    assert "static.yml:4:" in str(exc.value)
    result = pbe.run(tmp_path / "dynamic.yml", INVENTORY)
    assert result.exit_code == 2
    assert shown(result, "a")[:2] == [("include_role", "ok"), ("inside", "ok")]
    last = result.results[-1]
    assert last.status == "failed"
    assert "is not inside the expected role path" in str(last.result["msg"])


def test_a_collection_roles_names_and_magic_variables(tmp_path: Path) -> None:
    """As ansible-core 2.21 shows them: `role_name` is a collection role's own name,
    `ansible_role_name` its FQCN, `ansible_collection_name` its collection (null in a role
    of no collection, undefined outside roles); an include_role task never gets the
    `ROLE : ` prefix and is `include_role : NAME` when unnamed."""  # checked with ansible-core
    probe = (
        '- debug:\n    msg: "{{ [role_name, ansible_role_name, ansible_collection_name '
        "| default('UNDEF')] | join(',') }}\"\n"
    )
    write(
        tmp_path,
        {
            "collections/ansible_collections/acme/web/roles/site/tasks/main.yml": probe
            + "- include_role: {name: plain}\n"
            "- name: named include\n  include_role: {name: plain}\n",
            "roles/plain/tasks/main.yml": probe,
            "site.yml": "- hosts: a\n  gather_facts: false\n  roles: [acme.web.site]\n"
            "  tasks:\n    - debug: msg=\"{{ ansible_collection_name | default('UNDEF') }}\"\n",
        },
    )
    result = pbe.run(tmp_path / "site.yml", INVENTORY)
    assert [(r.task_name, r.result.get("msg")) for r in result.results] == [
        ("acme.web.site : debug", "site,acme.web.site,acme.web"),
        ("include_role : plain", None),
        ("plain : debug", "plain,plain,None"),
        ("named include", None),
        ("plain : debug", "plain,plain,None"),
        ("debug", "UNDEF"),
    ]
