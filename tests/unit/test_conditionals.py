"""Conditions must come out true or false (Ansible 2.19's rule, observed with ansible-core
2.21 on the same playbook): a string, a number or a list is an error naming its type, in
`when`, `changed_when`, `failed_when`, `until` and assert's `that`;
ANSIBLE_ALLOW_BROKEN_CONDITIONALS=true restores the old truthiness."""

from __future__ import annotations

from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine.errors import TemplateError
from playbook_engine.templating.templar import TemplateEngine

INVENTORY = {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}
BOOK = """
- hosts: all
  gather_facts: false
  vars: {s: "yes", l: [1], e: "", t: true}
  tasks:
    - {debug: {msg: str-var}, when: s, ignore_errors: true}
    - {debug: {msg: length}, when: l | length, ignore_errors: true}
    - {debug: {msg: empty-str}, when: e, ignore_errors: true}
    - {debug: {msg: template}, when: "{{ t }}", ignore_errors: true}
    - {debug: {msg: compared}, when: l | length > 0 and s | bool, ignore_errors: true}
    - {command: "true", changed_when: s, ignore_errors: true}
    - {command: "true", failed_when: l, ignore_errors: true}
    - {assert: {that: [s]}, ignore_errors: true}
    - {command: "true", register: r, until: r.rc, retries: 1, delay: 0, ignore_errors: true}
"""


def _run(tmp_path: Path) -> pbe.RunResult:
    book = tmp_path / "site.yml"
    book.write_text(BOOK)
    return pbe.run(book, INVENTORY)


def test_a_condition_that_is_not_a_boolean_fails_the_task(tmp_path: Path) -> None:
    result = _run(tmp_path)
    statuses = [r.status for r in result.results]
    assert statuses == ["failed", "failed", "failed", "ok", "ok"] + ["failed"] * 4
    messages = [r.result.get("msg", "") for r in result.results]
    for index, kind in ((0, "str"), (1, "int"), (2, "str"), (5, "str"), (6, "list"), (7, "str")):
        assert f"derived from value of type '{kind}'" in messages[index], messages[index]
        assert "Conditionals must have a boolean result" in messages[index]
    assert "(True)" in messages[0] and "(False)" in messages[2]
    assert "type 'int'" in messages[8]


def test_broken_conditionals_can_be_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANSIBLE_ALLOW_BROKEN_CONDITIONALS", "true")
    statuses = [r.status for r in _run(tmp_path).results]
    # int 1, "yes", length 1 are true, "" is false; changed_when "yes" → changed;
    # failed_when [1] → failed; until 0 → retried then failed
    assert statuses == ["ok", "ok", "skipped", "ok", "ok", "changed", "failed", "ok", "failed"]


def test_literal_conditions_that_are_not_text() -> None:
    """`when: null` is no condition (Ansible runs the task); a number is no expression.
    (Validation refuses both in a playbook, before any host; this is the templar's rule.)"""
    templar = TemplateEngine().templar({})
    assert templar.evaluate(None) is True
    with pytest.raises(TemplateError, match="must be strings"):
        templar.evaluate(1)


def test_a_loop_over_an_undefined_variable_is_skipped_when_its_condition_is_false(
    tmp_path: Path,
) -> None:
    """As Ansible (geerlingguy.clamav: `with_items: "{{ changes }}"` guarded by
    `when: changes is defined`): the condition is judged without an item first."""
    book = tmp_path / "site.yml"
    book.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - debug: {msg: "{{ item }}"}
      with_items: "{{ changes }}"
      when: changes is defined
    - debug: {msg: "{{ item }}"}
      loop: "{{ changes }}"
      when: item > 0
      ignore_errors: true
""")
    result = pbe.run(book, INVENTORY)
    assert [r.status for r in result.results] == ["skipped", "failed"]
    assert "changes" in result.results[1].result["msg"]


def test_failed_when_judges_a_module_failure_too(tmp_path: Path) -> None:
    """A module that fails (Ansible's fail_json) gives a result like any other: a
    `failed_when` judges it, per loop item too, with the module's message to read."""
    book = tmp_path / "site.yml"
    book.write_text(
        f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: forgiven
      file: {{path: "{{{{ item }}}}", mode: a-s, state: file}}
      failed_when: false
      loop: [{tmp_path}/missing-1, {tmp_path}/missing-2]
    - name: judged on the message
      file: {{path: {tmp_path}/missing-3, state: file}}
      register: r
      failed_when: "'is absent' not in r.msg"
    - name: still failing
      file: {{path: {tmp_path}/missing-4, state: file}}
      register: r4
      failed_when: "'missing-4' in r4.msg"
      ignore_errors: true
"""
    )
    result = pbe.run(book, INVENTORY)
    statuses = [(r.task_name, r.status) for r in result.results]
    assert statuses == [
        ("forgiven", "ok"),
        ("judged on the message", "ok"),
        ("still failing", "failed"),
    ], statuses
    forgiven = result.results[0].result
    assert [i["failed"] for i in forgiven["results"]] == [False, False]
    assert "missing-1) is absent" in forgiven["results"][0]["msg"]


def test_a_variable_reading_an_undefined_one_is_undefined_where_used(tmp_path: Path) -> None:
    """Ansible's template/lazy_eval target (2.14+): `deep: "{{ nowhere }}"` is undefined
    itself; only using it fails, naming the variable that is missing."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n"
        "  vars: {deep: '{{ nowhere }}', lazy: true}\n  tasks:\n"
        "    - assert:\n        that:\n          - lazy or deep\n          - deep is undefined\n"
        "          - deep | default('d') == 'd'\n"
        '    - debug: msg="{{ deep }}"\n      ignore_errors: true\n'
    )
    result = pbe.run(book, INVENTORY)
    statuses = [(r.action, r.status) for r in result.results]
    assert statuses == [("assert", "ok"), ("debug", "failed")]
    assert "'nowhere' is undefined" in str(result.results[1].result["msg"])


def test_a_playbook_template_keeps_backslashes_in_string_literals_at_validation_too(
    tmp_path: Path,
) -> None:
    """juju4.harden: `default('[\\A] \\u@\\h {\\W}\\\\$ ')` is no escape error: in a
    value written in the playbook Ansible keeps the backslashes (run and validation)."""
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - debug:\n        msg: "
        "\"{{ ps1 | default('[\\\\A] \\\\u@\\\\h {\\\\W}\\\\\\\\$ ') }}\"\n"
    )
    assert pbe.validate(book) == []
    result = pbe.run(book, INVENTORY)
    assert result.results[0].result["msg"] == "[\\A] \\u@\\h {\\W}\\\\$ "
