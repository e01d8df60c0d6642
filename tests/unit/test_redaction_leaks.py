"""Redaction rules, piece by piece: every type of password value and every form it prints
as, masking by key in source lines shown by errors, templated secrets resolved before they
are used, and internal errors that must not carry a value to the log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.engine.redact import Redactor
from playbook_engine.events import CommandSent, HostResult, RunEnd
from playbook_engine.masking import MASK, mask_line, mask_source_line, mask_url_credentials
from playbook_engine.modules import REGISTRY


def result(data: dict[str, Any], no_log: bool = False) -> HostResult:
    return HostResult(0, 1, "t", "debug", "h", "ok", data, 0.0, no_log=no_log)


@pytest.mark.parametrize(
    ("secret", "shown", "expected"),
    [
        (33334444, {"n": 33334444, "s": "pw=33334444;"}, {"n": MASK, "s": f"pw={MASK};"}),
        ("33334444", {"n": 133334444}, {"n": f"1{MASK}"}),
        (2.5, {"f": 2.5, "s": "x 2.5"}, {"f": MASK, "s": f"x {MASK}"}),
        (["MKa", 7777], {"a": ["MKa", "7777"]}, {"a": [MASK, MASK]}),
        ({"k": {"deep": "MKd"}}, {"out": "MKd and k"}, {"out": f"{MASK} and k"}),
        ("it's", {"cmd": "echo 'it'\"'\"'s'"}, {"cmd": f"echo {MASK}"}),
        (
            "MK\nline",
            {"str": str(["MK\nline"]), "raw": "MK\nline"},
            {"str": f"['{MASK}']", "raw": MASK},
        ),
        ('a"b\\c', {"json": '{"pw": "a\\"b\\\\c"}'}, {"json": f'{{"pw": "{MASK}"}}'}),
    ],
)
def test_every_type_and_form_of_a_secret_is_masked(
    secret: object, shown: dict[str, Any], expected: dict[str, Any]
) -> None:
    redactor = Redactor([secret])
    assert redactor.event(result(shown)).result == expected


def test_booleans_none_and_templates_are_not_secrets() -> None:
    redactor = Redactor([True, None, "", "{{ vault_pw }}", ["{{ x }}", False]])
    assert not redactor.active
    data = {"ok": True, "n": 1, "s": "{{ vault_pw }}"}
    assert redactor.event(result(data)).result == data


def test_recap_counters_are_never_masked() -> None:
    redactor = Redactor([1])
    end = redactor.event(RunEnd({"h1": {"ok": 1, "failed": 0}}, 2, 1.0, error="1 failed"))
    assert isinstance(end, RunEnd)
    assert end.stats == {"h1": {"ok": 1, "failed": 0}} and end.error == f"{MASK} failed"


def test_values_under_a_password_name_in_a_result_are_learnt_and_masked() -> None:
    """set_fact and ``debug: var=`` report a password variable before any task used it."""
    redactor = Redactor()
    fact = redactor.event(result({"ansible_facts": {"ansible_become_pass": [12345678, "MKx"]}}))
    assert fact.result == {"ansible_facts": {"ansible_become_pass": [MASK, MASK]}}
    later = redactor.event(CommandSent("h", "echo MKx 12345678"))
    assert isinstance(later, CommandSent) and later.command == f"echo {MASK} {MASK}"
    redactor.event(result({"ansible_password": "VARIABLE IS NOT DEFINED!"}))
    assert redactor.scrub("VARIABLE IS NOT DEFINED!") == "VARIABLE IS NOT DEFINED!"


def test_add_vars_renders_templated_passwords_and_skips_what_cannot_render() -> None:
    from playbook_engine.templating.templar import TemplateEngine

    redactor = Redactor()
    from playbook_engine.templating.values import trust

    variables = trust(
        {
            "ansible_password": "{{ vault }}",
            "vault": 98765432,
            "ansible_become_password": "{{ undefined_thing }}",
            "other": "MKother",
        }
    )
    redactor.add_vars(TemplateEngine().templar(variables).vars)
    assert redactor.scrub("98765432 MKother") == f"{MASK} MKother"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ansible_password: s3cr3t  # note", f"ansible_password: {MASK}  # note"),
        ('  "ansible_become_pass": "a b", "x": 1', f'  "ansible_become_pass": {MASK}, "x": 1'),
        (
            "h1 ansible_ssh_pass='p w' ansible_port=22",
            f"h1 ansible_ssh_pass={MASK} ansible_port=22",
        ),
        (
            "h1 ansible_sudo_pass=abc def ansible_port=2",
            f"h1 ansible_sudo_pass={MASK} ansible_port=2",
        ),
        ("ansible_su_pass = 1234", f"ansible_su_pass = {MASK}"),
        ("ansible_password hunter2", f"ansible_password {MASK}"),
        ('pw: "{{ ansible_password }}"', 'pw: "{{ ansible_password }}"'),
        ("x: {{ ansible_password | default('') }}", "x: {{ ansible_password | default('') }}"),
        ("my_ansible_password: shown", "my_ansible_password: shown"),
        ("ansible_password:", "ansible_password:"),
    ],
)
def test_mask_line_hides_values_of_password_keys_only(line: str, expected: str) -> None:
    assert mask_line(line) == expected


def test_mask_source_line_hides_the_block_under_a_password_key_and_moves_the_caret() -> None:
    lines = [
        "all:",
        "  vars:",
        "    ansible_become_password:",
        "      - one",
        "      -",
        "        nested: two",
        "    user: me",
        "    ansible_password: abc; x: 1",
    ]
    assert mask_source_line(lines, 3, 9) == (f"      {MASK}", 7)
    assert mask_source_line(lines, 5, 9) == (f"        {MASK}", 9)
    assert mask_source_line(lines, 6, 5) == ("    user: me", 5)
    assert mask_source_line(lines, 7, 31) == (f"    ansible_password: {MASK}", 23)
    ini = ["h1 ansible_password=abc ansible_port=x"]
    assert mask_source_line(ini, 0, 38) == (f"h1 ansible_password={MASK} ansible_port=x", 43)


# -- runs -----------------------------------------------------------------------------------


def _play(tmp_path: Path, text: str) -> Path:
    book = tmp_path / "book.yml"
    book.write_text(text)
    return book


def test_unresolvable_templated_password_does_not_fail_the_run(tmp_path: Path) -> None:
    """Redaction renders password variables early, but one that can't be rendered yet
    (undefined, or needing facts) fails only the task that uses it, as before."""
    book = _play(
        tmp_path,
        """
- hosts: h1
  gather_facts: false
  tasks:
    - debug: {msg: "fine"}
    - set_fact: {later: MKlate1}
    - debug: {msg: "{{ ansible_become_password }}"}
""",
    )
    inventory = {
        "all": {
            "hosts": {
                "h1": {
                    "ansible_connection": "local",
                    "ansible_password": "{{ nowhere }}",
                    "ansible_become_password": "{{ later }}",
                }
            }
        }
    }
    run = pbe.run(book, inventory)
    assert run.exit_code == 0
    assert [r.result.get("msg") for r in run.results] == ["fine", None, MASK]


def test_undecidable_no_log_hides_the_result(tmp_path: Path) -> None:
    book = _play(
        tmp_path,
        """
- hosts: localhost
  gather_facts: false
  tasks:
    - command: echo MKhide1
      no_log: "{{ not_defined_anywhere }}"
""",
    )
    run = pbe.run(book)
    assert run.exit_code == 0 and "MKhide1" not in repr(run.results)
    assert set(run.results[0].result) == {"changed", "failed", "censored"}


def test_internal_errors_log_no_hidden_value_and_no_known_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(self: object, args: dict[str, Any], ctx: object) -> dict[str, Any]:
        raise RuntimeError(f"kaboom {args['msg']}")

    monkeypatch.setattr(REGISTRY["debug"], "run", boom)
    book = _play(
        tmp_path,
        """
- hosts: localhost
  gather_facts: false
  vars: {token: MKtok1, ansible_password: MKpw1}
  tasks:
    - {debug: {msg: "{{ token }}"}, no_log: true, ignore_errors: true}
    - {debug: {msg: "{{ ansible_password }}"}, ignore_errors: true}
""",
    )
    with caplog.at_level(logging.ERROR, logger="playbook_engine"):
        run = pbe.run(book)
    assert run.exit_code == 0
    assert "MKtok1" not in caplog.text and "MKpw1" not in caplog.text
    assert "RuntimeError (details hidden by no_log)" in caplog.text
    assert f"RuntimeError: kaboom {MASK}" in caplog.text  # the traceback, masked
    assert [r.status for r in run.results] == ["failed", "failed"]
    assert (
        run.results[1].result["msg"] == f"internal error in module debug: RuntimeError: "
        f"kaboom {MASK}"
    )


def test_url_credentials_are_masked_as_ansible_masks_them() -> None:
    assert mask_url_credentials(
        {
            "msg": "Failure downloading http://u:p%40ss@host/x, refused",
            "list": ["ftp://me@h/f", "no url", "https://host/path@v1"],
        }
    ) == {
        "msg": "Failure downloading http://****:****@host/x, refused",
        "list": ["ftp://****@h/f", "no url", "https://host/path@v1"],
    }


def test_a_download_url_with_credentials_shows_them_nowhere(tmp_path: Path) -> None:
    """Registered results (read by later tasks, as Ansible's tests read them) and the
    commands shown at -vv: the user and password never appear."""
    url = "http://secretuser:secretpassword@127.0.0.1:9/nothere"
    book = tmp_path / "site.yml"
    book.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        f"    - unarchive: {{src: '{url}', dest: '{tmp_path}', remote_src: true}}\n"
        "      register: one\n      ignore_errors: true\n"
        f"    - get_url: {{url: '{url}', dest: '{tmp_path}/x'}}\n"
        "      register: two\n      ignore_errors: true\n"
        '    - debug: msg="{{ one | to_json }} {{ two | to_json }}"\n'
    )
    events: list[Any] = []
    result = pbe.run(
        book, {"all": {"hosts": {"a": {"ansible_connection": "local"}}}}, on_event=events.append
    )
    shown = [str(r.result) for r in result.results] + [
        e.command for e in events if isinstance(e, CommandSent)
    ]
    assert [r.status for r in result.results] == ["failed", "failed", "ok"]
    assert any("http://****:****@127.0.0.1:9/nothere" in text for text in shown)
    assert not [text for text in shown if "secretuser" in text or "secretpassword" in text]
