"""Argument problems on a task that expects to fail (``ignore_errors: true``): Ansible checks
a module's arguments when the task runs, so such a task is built, warned about, and fails
when it runs with the message a playbook's own asserts read; elsewhere they stay errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.errors import ValidationFailed

INVENTORY = {"all": {"hosts": {"a": None}, "vars": {"ansible_connection": "local"}}}


def _book(tmp_path: Path, tasks: str) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def _by_name(result: pbe.RunResult) -> dict[str, dict[str, object]]:
    return {
        r.task_name: {"status": r.status, "ignored": r.ignored, **r.result} for r in result.results
    }


@pytest.mark.parametrize(
    ("task", "msg"),
    [
        (
            "shell: echo hi\n      args:\n        expand_argument_vars: false",
            "Unsupported parameters for (shell) module: expand_argument_vars",
        ),
        ("command:\n      args:\n        chdir: /", "one of the following is required: cmd, argv"),
        (
            "copy:\n        src: a\n        content: b\n        dest: /nonexistent/x",
            "src and content are mutually exclusive",
        ),
        ("copy:\n        content: b", "dest is required"),
    ],
)
def test_argument_problems_fail_the_task_at_run_time(tmp_path: Path, task: str, msg: str) -> None:
    book = _book(
        tmp_path,
        f"    - name: bad\n      {task}\n      register: out\n      ignore_errors: true\n"
        "    - name: after\n      assert:\n        that: out is failed\n",
    )
    result = pbe.run(book, INVENTORY)
    got = _by_name(result)
    assert got["bad"]["status"] == "failed" and got["bad"]["ignored"] is True
    assert got["bad"]["msg"] == msg
    assert got["after"]["status"] == "ok"
    assert result.exit_code == 0


def test_validation_warns_about_the_deferred_problem(tmp_path: Path) -> None:
    book = _book(
        tmp_path,
        "    - shell: echo hi\n      args:\n        bogus: 1\n      ignore_errors: yes\n",
    )
    warnings = [p for p in pbe.validate(book) if p.severity == "warning"]
    assert any(
        "unsupported argument `bogus`" in p.message and "ignore_errors" in p.message
        for p in warnings
    )


def test_without_ignore_errors_the_problem_stays_an_error(tmp_path: Path) -> None:
    book = _book(tmp_path, "    - shell: echo hi\n      args:\n        bogus: 1\n")
    with pytest.raises(ValidationFailed, match="unsupported argument `bogus`"):
        pbe.run(book, INVENTORY)


def test_a_path_option_takes_a_scalar_as_ansible_does(tmp_path: Path) -> None:
    """``creates: yes`` is the path "True": Ansible converts scalars for path options."""
    book = _book(tmp_path, "    - command:\n        cmd: 'true'\n        creates: yes\n")
    assert not [p for p in pbe.validate(book) if p.severity == "error"]


def test_creates_and_removes_are_relative_to_chdir(tmp_path: Path) -> None:
    (tmp_path / "marker").write_text("")
    book = _book(
        tmp_path,
        f"    - name: created\n      command:\n        cmd: touch ran1\n"
        f"        chdir: {tmp_path}\n        creates: marker\n"
        f"    - name: removed\n      command:\n        cmd: touch ran2\n"
        f"        chdir: {tmp_path}\n        removes: marker\n",
    )
    got = _by_name(pbe.run(book, INVENTORY))
    assert got["created"]["status"] == "ok" and got["created"]["msg"] == (
        "skipped, since marker exists"
    )
    assert got["removed"]["status"] == "changed"
    assert not (tmp_path / "ran1").exists() and (tmp_path / "ran2").exists()


def test_copy_takes_decrypt_and_copies_the_source_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "src.txt").write_text("$ANSIBLE_VAULT;1.1;AES256\n6162\n")
    book = _book(
        tmp_path,
        f"    - name: plain\n      copy:\n        src: {tmp_path}/src.txt\n"
        f"        dest: {tmp_path}/dest.txt\n        decrypt: false\n",
    )
    result = pbe.run(book, INVENTORY)
    assert _by_name(result)["plain"]["status"] == "changed"
    assert (tmp_path / "dest.txt").read_text() == "$ANSIBLE_VAULT;1.1;AES256\n6162\n"
