"""user against this machine: check mode predicts the run, a second run changes nothing,
and the account really is as asked (getent, id, the shadow entry, the key files)."""

from __future__ import annotations

import pwd
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run

HASH = "$6$pbesalt$Wq3tN0b4Pq6iZ1yYqfZxgG6yQ1QGqkq6sQn2mM2s1y5vJw1kVQ9W9m1qgk4n6u0m1bqg3a7"


def passwd(name: str) -> list[str]:
    return sh("getent", "passwd", name).stdout.strip().split(":")


def shadow(name: str) -> list[str]:
    return sh("getent", "shadow", name).stdout.strip().split(":")


def groups(name: str) -> set[str]:
    return set(sh("id", "-Gn", name).stdout.split()[1:])


def absent(name: str) -> Callable[[], None]:
    def check() -> None:
        with pytest.raises(KeyError):
            pwd.getpwnam(name)

    return check


def test_user_is_created_with_groups_password_and_key(account: str, book) -> None:
    path = book(f"""
- user:
    name: {account}
    comment: Pbe Test
    shell: /bin/sh
    groups: [users, daemon]
    password: '{HASH}'
    generate_ssh_key: true
    ssh_key_type: ed25519
    ssh_key_comment: pbe test key
  register: made
""")
    real = check_predicts_run(path, LOCAL, unchanged=absent(account))
    entry = passwd(account)
    assert entry[4:] == ["Pbe Test", f"/home/{account}", "/bin/sh"]
    assert groups(account) == {"users", "daemon"}
    assert shadow(account)[1] == HASH
    key = Path(f"/home/{account}/.ssh/id_ed25519")
    assert key.stat().st_uid == int(entry[2])
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    result = real.results[0].result
    assert result["uid"] == int(entry[2]) and result["group"] == int(entry[3])
    assert result["password"] == "NOT_LOGGING_PASSWORD"
    assert result["ssh_public_key"] == Path(f"{key}.pub").read_text().strip()
    assert result["ssh_public_key"].endswith(" pbe test key")
    assert result["ssh_key_file"] == str(key)
    assert HASH not in str(real.results)


def test_user_is_changed_then_removed(account: str, book, tmp_path: Path) -> None:
    assert run(book(f"- user: {{name: {account}, groups: [daemon]}}"), LOCAL).exit_code == 0
    home = tmp_path / "moved-home"
    path = book(f"""
- user:
    name: {account}
    uid: 43917
    group: users
    groups: [users]
    append: true
    home: {home}
    move_home: true
    password: '{HASH}'
    password_lock: true
    expires: 1893456000
    password_expire_max: 90
    password_expire_min: 1
  register: changed
""")
    before = passwd(account)
    check_predicts_run(
        path,
        LOCAL,
        unchanged=lambda: (
            passwd(account) == before or pytest.fail("check mode changed the account")
        ),
    )
    entry = passwd(account)
    assert entry[2:4] == ["43917", "100"] and entry[5] == str(home)
    assert groups(account) == {"daemon"}  # users is now its primary group
    assert home.is_dir() and not Path(before[5]).exists()
    fields = shadow(account)
    assert fields[1] == "!" + HASH and fields[3:5] == ["1", "90"]
    assert fields[7] == str(1893456000 // 86400)
    path = book(f"- user: {{name: {account}, state: absent, remove: true}}")
    real = check_predicts_run(path, LOCAL, unchanged=lambda: pwd.getpwnam(account))
    absent(account)()
    assert not home.exists()
    assert real.results[0].result["remove"] is True


def test_user_groups_replaced_and_unlocked(account: str, book) -> None:
    first = book(
        f"- user: {{name: {account}, groups: [daemon, users], password: '{HASH}', "
        f"password_lock: true, create_home: false}}"
    )
    assert run(first, LOCAL).exit_code == 0
    assert not Path(f"/home/{account}").exists()
    path = book(f"- user: {{name: {account}, groups: '', password_lock: false}}")
    check_predicts_run(path, LOCAL)
    assert groups(account) == set()
    assert shadow(account)[1] == HASH
    assert Path(f"/home/{account}").is_dir()  # create_home: a missing home is made
    assert Path(f"/home/{account}").stat().st_uid == pwd.getpwnam(account).pw_uid


def test_missing_group_fails_with_ansibles_words(account: str, book) -> None:
    result = run(book(f"- user: {{name: {account}, groups: [pbe-no-such-group]}}"), LOCAL)
    assert result.exit_code == 2
    assert result.results[0].result["msg"] == "Group pbe-no-such-group does not exist"
    absent(account)()


def test_absent_user_is_ok(account: str, book) -> None:
    result = check_predicts_run(book(f"- user: {{name: {account}, state: absent}}"), LOCAL)
    assert result.results[0].status == "ok"
    assert result.results[0].result == {
        "changed": False,
        "failed": False,
        "name": account,
        "state": "absent",
    }
