"""getent against this machine: its facts reach later tasks, in check mode as well."""

from __future__ import annotations

from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run


def test_getent_sets_facts_later_tasks_read(account: str, book) -> None:
    sh("useradd", "-M", "-c", "Fact Reader", account)
    uid = sh("id", "-u", account).stdout.strip()
    path = book(f"""
- getent: {{database: passwd, key: {account}}}
- assert:
    that:
      - getent_passwd['{account}'][1] == '{uid}'
      - ansible_facts.getent_passwd['{account}'][3] == 'Fact Reader'
- getent: {{database: group, key: {account}, split: ':'}}
- assert:
    that: ansible_facts.getent_group['{account}'][0] == 'x'
""")
    real = check_predicts_run(path, LOCAL)
    assert [r.status for r in real.results] == ["ok"] * 4
    facts = real.results[0].result["ansible_facts"]["getent_passwd"]
    assert facts == {
        account: ["x", uid, facts[account][2], "Fact Reader", f"/home/{account}", "/bin/sh"]
    }


def test_getent_missing_key_fails_unless_told(account: str, book) -> None:
    result = run(book(f"- getent: {{database: passwd, key: {account}}}"), LOCAL)
    assert result.exit_code == 2
    assert result.results[0].result["msg"] == (
        "One or more supplied key could not be found in the database."
    )
    result = run(
        book(
            f"- getent: {{database: passwd, key: {account}, fail_key: false}}\n"
            f"- assert: {{that: \"getent_passwd['{account}'] is none\"}}"
        ),
        LOCAL,
    )
    assert [r.status for r in result.results] == ["ok", "ok"]
