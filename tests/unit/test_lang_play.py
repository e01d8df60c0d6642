"""Play-level language: vars_prompt, the magic variables ansible_version/role_names/
ansible_run_tags, templated notify and strategy, handlers from import_tasks and a role's
handler include, include_vars with first_found, import_playbook keywords, vars_files lists."""

from __future__ import annotations

from pathlib import Path

import pytest
from playtree import write

import playbook_engine as pbe
from playbook_engine.engine.run import Runner
from playbook_engine.errors import OptionsError
from playbook_engine.events import TaskStart
from playbook_engine.inventory import inventory_from_dict
from playbook_engine.language.model import VarPrompt
from playbook_engine.language.playbook import load_playbook
from playbook_engine.options import RunOptions
from playbook_engine.templating.cryptpw import password_hash

INVENTORY = {"all": {"hosts": {"a": None, "b": None}, "vars": {"ansible_connection": "local"}}}


def msgs(result: pbe.RunResult, host: str = "a") -> list[str]:
    return [
        str(r.result.get("msg"))
        for r in result.results
        if r.host == host and r.action == "debug" and r.status == "ok"
    ]


PROMPTS = (
    "- hosts: a\n  gather_facts: false\n  vars_prompt:\n"
    "    - name: release\n      prompt: Which release\n      default: '1.0'\n"
    "      private: false\n"
    "    - name: secret\n      encrypt: sha512_crypt\n      salt: abcdefgh\n"
    "      default: pw\n"
    "  tasks:\n    - debug: msg='{{ release }} {{ secret }}'\n"
)


def test_vars_prompt_without_a_terminal_takes_defaults_and_e_wins(tmp_path: Path) -> None:
    site = write(tmp_path, {"site.yml": PROMPTS})
    hashed = password_hash("pw", "sha512_crypt", "abcdefgh", None)
    assert msgs(pbe.run(site, INVENTORY)) == [f"1.0 {hashed}"]
    assert msgs(pbe.run(site, INVENTORY, extra_vars={"release": "2.0"})) == [f"2.0 {hashed}"]


def test_vars_prompt_asks_the_prompter_once_per_entry(tmp_path: Path) -> None:
    site = write(tmp_path, {"site.yml": PROMPTS})
    asked: list[VarPrompt] = []

    def prompter(entry: VarPrompt) -> str:
        asked.append(entry)
        return {"release": "3.1", "secret": ""}[entry.name]

    runner = Runner(load_playbook(site), inventory_from_dict(INVENTORY), RunOptions(), [])
    runner.prompter = prompter
    result = runner.run()
    assert [(e.name, e.prompt, e.private) for e in asked] == [
        ("release", "Which release", False),
        ("secret", "secret", True),
    ]
    # an empty answer takes the default
    assert msgs(result) == [f"3.1 {password_hash('pw', 'sha512_crypt', 'abcdefgh', None)}"]


def test_vars_prompt_without_default_or_terminal_stops_before_anything_runs(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  vars_prompt:\n    - name: token\n"
                "  tasks:\n    - debug: msg=ran\n"
            )
        },
    )
    with pytest.raises(OptionsError, match="`token` has no default .* -e token="):
        pbe.run(site, INVENTORY)


def test_vars_prompt_entries_are_validated(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  vars_prompt:\n    - prompt: no name\n"
                "    - name: x\n      privat: false\n  tasks: []\n"
            )
        },
    )
    errors = [p for p in pbe.validate(site) if p.severity == "error"]
    assert [(p.message, p.hint) for p in errors] == [
        ("a vars_prompt entry needs a `name`", None),
        ("unknown vars_prompt key `privat`", "did you mean `private`?"),
    ]
    assert [p.location.line for p in errors if p.location] == [4, 5]


def test_ansible_version_role_names_and_run_tags(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "roles/base/tasks/main.yml": "- debug: msg=base\n",
            "roles/web/meta/main.yml": "dependencies: [base]\n",
            "roles/web/tasks/main.yml": "- debug: msg=web\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  roles: [web]\n  tasks:\n"
                "    - debug:\n        msg: >-\n"
                "          {{ ansible_version.major }}.{{ ansible_version.minor }}"
                " {{ ansible_version.full is version('2.0', '>') }}"
                " {{ role_names }} {{ ansible_play_role_names }} {{ ansible_role_names }}"
                " {{ ansible_run_tags }} {{ ansible_skip_tags }}\n"
                "      tags: [t]\n"
            ),
        },
    )
    assert msgs(pbe.run(site, INVENTORY, tags="t", skip_tags="x")) == [
        "2.21 True ['web'] ['web'] ['base', 'web'] ['t'] ['x']"
    ]
    assert msgs(pbe.run(site, INVENTORY))[-1].endswith("['all'] []")


def test_a_templated_notify_reaches_its_handler_per_host(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  vars: {svc: web}\n"
                "  tasks:\n"
                "    - command: 'true'\n      notify: 'restart {{ svc }}'\n"
                "    - command: 'true'\n      notify: 'reload {{ inventory_hostname }}'\n"
                "  handlers:\n"
                "    - name: restart web\n      debug: msg=restarted\n"
                "    - name: 'reload {{ svc }}'\n      debug: msg=never\n"
                "    - name: reload b\n      debug: msg=reloaded-b\n"
                "    - name: reload a\n      debug: msg=reloaded-a\n"
            )
        },
    )
    assert not [p for p in pbe.validate(site) if p.severity == "error"]
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    assert msgs(result, "a") == ["restarted", "reloaded-a"]
    assert msgs(result, "b") == ["restarted", "reloaded-b"]


def test_a_handler_name_rendered_with_play_vars_is_known_at_validation(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  vars: {svc: web}\n"
                "  tasks:\n    - command: 'true'\n      notify: restart web\n"
                "  handlers:\n    - name: 'restart {{ svc }}'\n      debug: msg=restarted\n"
            )
        },
    )
    assert not [p for p in pbe.validate(site) if p.severity == "error"]
    assert msgs(pbe.run(site, INVENTORY)) == ["restarted"]


def test_a_templated_strategy(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  strategy: '{{ how | default(\"linear\") }}'\n"  # noqa: E501 - test data
                "  tasks:\n    - debug: msg=one\n"
            )
        },
    )
    assert msgs(pbe.run(site, INVENTORY, extra_vars={"how": "free"})) == ["one"]
    bad = pbe.run(site, INVENTORY, extra_vars={"how": "mitogen"})
    assert bad.exit_code != 0
    assert "unknown strategy `mitogen`" in str(bad.error)


def test_handlers_from_import_tasks_and_a_role_handler_including_tasks(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "roles/r/tasks/main.yml": "- command: 'true'\n  notify: [included, imported]\n",
            "roles/r/tasks/extra.yml": "- debug: msg='extra in {{ role_name }}'\n",
            "roles/r/handlers/main.yml": (
                "- name: included\n  include_tasks: tasks/extra.yml\n- import_tasks: more.yml\n"
            ),
            "roles/r/handlers/more.yml": "- name: imported\n  debug: msg='imported {{ role_name }}'\n",  # noqa: E501 - test data
            "play_handlers.yml": "- name: play handler\n  debug: msg=from-play-import\n",
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  roles: [r]\n"
                "  tasks:\n    - command: 'true'\n      notify: play handler\n"
                "  handlers:\n    - import_tasks: play_handlers.yml\n"
            ),
        },
    )
    assert not [p for p in pbe.validate(site) if p.severity == "error"]
    starts: list[TaskStart] = []
    result = pbe.run(
        site, INVENTORY, on_event=lambda e: isinstance(e, TaskStart) and starts.append(e)
    )
    assert result.exit_code == 0
    # what a handler includes is shown as a handler too
    assert [(s.name, s.is_handler) for s in starts] == [
        ("r : command", False),
        ("command", False),
        ("r : included", True),
        ("r : debug", True),
        ("r : imported", True),
        ("play handler", True),
    ]
    # the roles section's handlers, then the play's (ansible-core 2.21's order)
    assert msgs(result) == ["extra in r", "imported r", "from-play-import"]


def test_include_vars_with_first_found_searches_the_roles_vars(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "roles/r/vars/Debian.yml": "picked: debian\n",
            "roles/r/vars/default.yml": "picked: default\n",
            "roles/r/vars/extra/os.yml": "extra: from-paths\n",
            "roles/r/tasks/main.yml": (
                "- include_vars: '{{ item }}'\n"
                "  with_first_found:\n    - '{{ fam }}.yml'\n    - default.yml\n"
                "- include_vars: '{{ lookup(\"first_found\", params) }}'\n"
                "  vars:\n    params:\n      files: [nope.yml, os.yml]\n"
                "      paths: ['{{ role_path }}/vars/extra']\n"
                "- include_vars: '{{ item }}'\n"
                "  with_first_found:\n    - files: [missing.yml]\n      skip: true\n"
                "- debug: msg=\"{{ lookup('first_found', 'missing.yml', errors='ignore') is none }}\"\n"  # noqa: E501 - test data
                "- debug: msg=\"{{ query('first_found', 'missing.yml', errors='ignore') }}\"\n"
                "- debug: msg='{{ picked }} {{ extra }}'\n"
            ),
            "site.yml": "- hosts: a\n  gather_facts: false\n  roles: [r]\n",
        },
    )
    debian = pbe.run(site, INVENTORY, extra_vars={"fam": "Debian"})
    assert debian.exit_code == 0
    assert msgs(debian) == ["True", "[]", "debian from-paths"]
    skipped = [r for r in debian.results if r.action == "include_vars"][2]
    assert skipped.status == "skipped"
    assert msgs(pbe.run(site, INVENTORY, extra_vars={"fam": "Arch"}))[-1] == "default from-paths"


def test_action_as_a_mapping_with_its_args_under_args(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - action:\n        module: ansible.legacy.debug\n"
                "        args: {msg: from-args}\n"
            )
        },
    )
    assert [p.message for p in pbe.validate(site)] == []
    assert msgs(pbe.run(site, INVENTORY)) == ["from-args"]


def test_import_playbook_written_with_either_prefix(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "inner.yml": "- hosts: all\n  gather_facts: false\n  tasks: [{debug: msg=in}]\n",
            "site.yml": (
                "- ansible.legacy.import_playbook: inner.yml\n"
                "- ansible.builtin.import_playbook: inner.yml\n"
            ),
        },
    )
    assert msgs(pbe.run(site, INVENTORY)) == ["in", "in"]


def test_import_playbook_vars_tags_and_when(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "inner.yml": (
                "- hosts: a\n  gather_facts: false\n  vars: {who: inner, keep: own}\n"
                "  tasks:\n    - debug: msg='{{ who }} {{ keep }}'\n"
            ),
            "site.yml": (
                "- import_playbook: inner.yml\n  vars: {who: importer}\n"
                "  tags: [imported]\n  when: go | default(true)\n"
                "- import_playbook: '{{ which }}.yml'\n"
            ),
        },
    )
    assert msgs(pbe.run(site, INVENTORY, extra_vars={"which": "inner"})) == [
        "importer own",
        "inner own",
    ]
    tagged = pbe.run(site, INVENTORY, tags="imported", extra_vars={"which": "inner"})
    assert msgs(tagged) == ["importer own"]
    skipped = pbe.run(site, INVENTORY, extra_vars={"which": "inner", "go": False})
    assert msgs(skipped) == ["inner own"]


def test_import_playbook_vars_name_the_roles_its_plays_import(tmp_path: Path) -> None:
    """The import's vars are known when its plays are read, as in Ansible: a static
    import_role name (or import_tasks file) may use them."""
    site = write(
        tmp_path,
        {
            "roles/greeter/tasks/main.yml": "- debug: msg=from-greeter\n",
            "tasks/t.yml": "- debug: msg=from-tasks\n",
            "inner.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - import_role: {name: '{{ role_name }}'}\n"
                "    - import_tasks: 'tasks/{{ file_name }}.yml'\n"
            ),
            "site.yml": (
                "- import_playbook: inner.yml\n  vars: {role_name: greeter, file_name: t}\n"
            ),
        },
    )
    assert [p.message for p in pbe.validate(site) if p.severity == "error"] == []
    assert msgs(pbe.run(site, INVENTORY)) == ["from-greeter", "from-tasks"]


def test_vars_files_list_entry_is_the_first_file_that_exists(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "vars/default.yml": "v: default\n",
            "vars/b.yml": "v: for-b\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n"
                "  vars_files:\n    - ['vars/{{ inventory_hostname }}.yml', "
                "vars/default.yml]\n  tasks:\n    - debug: msg='{{ v }}'\n"
            ),
        },
    )
    assert not [p for p in pbe.validate(site) if p.severity == "error"]
    assert msgs(pbe.run(site, INVENTORY, limit="a")) == ["default"]
    only_b = {"all": {"hosts": {"b": None}, "vars": {"ansible_connection": "local"}}}
    assert msgs(pbe.run(site, only_b), "b") == ["for-b"]


def test_pbe_run_without_a_terminal_names_the_missing_prompt_answer(tmp_path: Path) -> None:
    import io

    from playbook_engine.cli import main

    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: localhost\n  gather_facts: false\n  vars_prompt:\n    - name: token\n"
                "  tasks:\n    - debug: msg='token={{ token }}'\n"
            )
        },
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", str(site), "-i", "localhost,"], out, err) == 5
    assert (
        "vars_prompt `token` has no default and there is no terminal to ask on: give it "
        "with -e token=..." in err.getvalue()
    )
    assert "PLAY" not in out.getvalue()
    out = io.StringIO()
    assert main(["run", str(site), "-i", "localhost,", "-e", "token=t1"], out, err) == 0
    assert "token=t1" in out.getvalue()


def test_a_templated_notify_of_a_value_check_mode_cannot_know(tmp_path: Path) -> None:
    site = write(
        tmp_path,
        {
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - command: echo web\n      register: r\n"
                f"    - copy: {{content: x, dest: '{tmp_path}/out'}}\n"
                "      notify: 'restart {{ r.stdout }}'\n"
                "  handlers:\n    - name: restart web\n      debug: msg=restarted\n"
            )
        },
    )
    checked = pbe.run(site, INVENTORY, check=True)
    assert [(r.action, r.status) for r in checked.results] == [
        ("command", "skipped"),
        ("copy", "changed"),
    ]
    assert not (tmp_path / "out").exists()
    assert msgs(pbe.run(site, INVENTORY)) == ["restarted"]


def test_user_is_the_old_name_of_remote_user(tmp_path: Path) -> None:
    """`user:` at play level still works in ansible-core 2.21 (ansible_user reads it)."""
    book = write(tmp_path, {"site.yml": "- hosts: all\n  user: deploy\n  tasks: []\n"})
    assert load_playbook(book).plays[0].remote_user == "deploy"
    write(tmp_path, {"site.yml": "- hosts: all\n  user: a\n  remote_user: b\n  tasks: []\n"})
    assert load_playbook(book).plays[0].remote_user == "b"
