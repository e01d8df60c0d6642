"""``ansible_inject_invocation`` (results carry the module's arguments, as Ansible's do with
it set), module arguments that are secrets (Ansible's ``no_log`` options), and a template
whose result holds an undefined value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import playbook_engine as pbe
from playbook_engine.events import Event
from playbook_engine.masking import MASK, NO_LOG_VALUE
from playbook_engine.modules.htpasswd import Htpasswd
from playbook_engine.modules.user import User

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def _run(tmp_path: Path, tasks: str) -> tuple[pbe.RunResult, list[Event]]:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    events: list[Event] = []
    return pbe.run(book, INVENTORY, on_event=events.append), events


def _by_name(result: pbe.RunResult) -> dict[str, dict[str, Any]]:
    return {r.task_name: {"status": r.status, **r.result} for r in result.results}


def test_invocation_only_where_asked_with_every_argument(tmp_path: Path) -> None:
    result, _ = _run(
        tmp_path,
        f"    - name: copy\n      copy: {{content: x, dest: {tmp_path}/f}}\n"
        "      loop: [true, false]\n      vars: {ansible_inject_invocation: '{{ item }}'}\n"
        "    - name: plain\n      command: echo hi\n",
    )
    got = _by_name(result)
    first, second = got["copy"]["results"]
    assert first["invocation"]["module_args"]["dest"] == f"{tmp_path}/f"
    assert first["invocation"]["module_args"]["mode"] is None  # defaults are shown too
    assert "invocation" not in second and "invocation" not in got["plain"]


def test_a_secret_argument_is_hidden_in_invocation_and_everywhere_after(tmp_path: Path) -> None:
    password = "pbe-Secret-4711"
    result, events = _run(
        tmp_path,
        f"    - name: fetch\n      get_url:\n        url: file:///etc/hostname\n"
        f"        dest: {tmp_path}/h\n        url_username: bob\n"
        f"        url_password: {password}\n"
        "      vars: {ansible_inject_invocation: true}\n"
        "      register: got\n"
        "    - name: show\n      debug: {msg: 'the password is " + password + "'}\n",
    )
    got = _by_name(result)
    args = got["fetch"]["invocation"]["module_args"]
    assert args["url_password"] == NO_LOG_VALUE and args["url_username"] == "bob"
    assert got["show"]["msg"] == f"the password is {MASK}"
    assert (tmp_path / "h").read_bytes() == Path("/etc/hostname").read_bytes()
    assert password not in json.dumps([repr(e) for e in events])


def test_the_secret_arguments_are_those_ansible_hides() -> None:
    assert User.secret_args() == ("password", "ssh_key_passphrase")
    assert Htpasswd.secret_args() == ("password",)
    shown = User.shown_args({"name": "bob", "password": "$6$hash", "ssh_key_passphrase": None})
    assert shown == {"name": "bob", "password": NO_LOG_VALUE, "ssh_key_passphrase": None}


def test_an_undefined_value_inside_a_rendered_list_fails_the_task(tmp_path: Path) -> None:
    result, _ = _run(
        tmp_path,
        "    - name: reg\n      command: 'true'\n      register: c\n"
        "    - name: listed\n      debug: {msg: '{{ [c.nope] }}'}\n      ignore_errors: true\n"
        "    - name: mapped\n      set_fact: {x: '{{ {\"k\": [1, c.nope]} }}'}\n"
        "      ignore_errors: true\n",
    )
    got = _by_name(result)
    for name in ("listed", "mapped"):
        assert got[name]["status"] == "failed"
        assert "has no attribute 'nope'" in got[name]["msg"]
    assert result.exit_code == 0
