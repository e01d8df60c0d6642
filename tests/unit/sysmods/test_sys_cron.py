"""cron against this machine: a throw-away account's crontab (crontab -l shows what the
run left) and a cron file in a temp directory; check mode predicts the run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(shutil.which("crontab") is None, reason="needs crontab (cron)")


def crontab(user: str) -> str:
    return sh("crontab", "-l", "-u", user).stdout


def test_jobs_and_variables_in_a_users_crontab(account: str, book) -> None:
    sh("useradd", "-M", account)
    path = book(f"""
- cron: {{name: nightly, user: {account}, minute: '5', hour: '2', job: /usr/bin/true}}
- cron: {{name: boot, user: {account}, special_time: reboot, job: echo up}}
- cron: {{name: PATH, user: {account}, env: true, job: /usr/bin:/bin}}
- cron: {{name: MAILTO, user: {account}, env: true, job: ops, insertafter: PATH}}
  register: last
""")
    check_predicts_run(path, LOCAL, unchanged=lambda: crontab(account) and pytest.fail("made"))
    assert crontab(account) == (
        'PATH="/usr/bin:/bin"\nMAILTO="ops"\n#Ansible: nightly\n'
        "5 2 * * * /usr/bin/true\n#Ansible: boot\n@reboot echo up\n"
    )
    path = book(f"""
- cron: {{name: nightly, user: {account}, minute: '5', hour: '3', job: /usr/bin/true,
         disabled: true}}
- cron: {{name: boot, user: {account}, state: absent, backup: true}}
  register: removed
- cron: {{name: MAILTO, user: {account}, env: true, state: absent}}
""")
    real = check_predicts_run(path, LOCAL)
    assert crontab(account) == (
        'PATH="/usr/bin:/bin"\n#Ansible: nightly\n#5 3 * * * /usr/bin/true\n'
    )
    removed = real.results[1].result
    assert removed["jobs"] == ["nightly"] and removed["envs"] == ["PATH", "MAILTO"]
    backup = Path(removed["backup_file"])
    try:
        assert "@reboot echo up" in backup.read_text()
    finally:
        backup.unlink()


def test_cron_file_is_written_and_removed_with_its_last_job(tmp_path: Path, book) -> None:
    cron_file = tmp_path / "pbe-test"
    path = book(f"""
- cron: {{name: a, cron_file: {cron_file}, user: root, minute: '*/10', job: date}}
- cron: {{name: b, cron_file: {cron_file}, user: nobody, special_time: daily, job: id}}
""")
    check_predicts_run(path, LOCAL, unchanged=lambda: cron_file.exists() and pytest.fail("made"))
    assert cron_file.read_text() == (
        "#Ansible: a\n*/10 * * * * root date\n#Ansible: b\n@daily nobody id\n"
    )
    assert oct(cron_file.stat().st_mode & 0o777) == "0o644"
    path = book(f"""
- cron: {{name: a, cron_file: {cron_file}, state: absent}}
- cron: {{name: b, cron_file: {cron_file}, state: absent}}
""")
    check_predicts_run(path, LOCAL)
    assert not cron_file.exists()


def test_cron_refuses_what_ansible_refuses(book, tmp_path: Path) -> None:
    messages = []
    for task in (
        "{name: x, job: date, special_time: daily, minute: '1'}",
        f"{{name: x, job: date, cron_file: {tmp_path}/f}}",
        "{name: x, cron_file: /etc/crontab, state: absent}",
    ):
        result = run(book(f"- cron: {task}"), LOCAL)
        messages.append(result.results[0].result["msg"])
    assert messages == [
        "You cannot combine special_time with any of the time or day/date parameters.",
        "To use cron_file=... parameter you must specify user=... as well",
        "Will not manage /etc/crontab via cron_file, see documentation.",
    ]
