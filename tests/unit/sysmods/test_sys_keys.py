"""authorized_key and known_hosts against this machine: real files in a throw-away
account's home and in a temp file, check mode predicting the run."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three fresh public keys: ed25519, ed25519, rsa (type, blob, comment)."""
    out = []
    base = tmp_path_factory.mktemp("keys")
    for index, kind in enumerate(("ed25519", "ed25519", "rsa")):
        path = base / f"k{index}"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"key{index}", "-f", str(path)],
            check=True,
            capture_output=True,
        )
        out.append(path.with_suffix(".pub").read_text().strip())
    return out


def test_authorized_keys_added_with_options_then_made_exclusive(
    account: str, book, keys: list[str]
) -> None:
    sh("useradd", "-m", account)
    ssh_dir = Path(f"/home/{account}/.ssh")
    path = book(f"""
- authorized_key: {{user: {account}, key: "{keys[0]}"}}
- authorized_key:
    user: {account}
    key: "{keys[1]}"
    key_options: 'no-pty,from="10.0.0.1"'
    comment: second
""")
    check_predicts_run(path, LOCAL, unchanged=lambda: ssh_dir.exists() and pytest.fail("made"))
    file = ssh_dir / "authorized_keys"
    blob1 = keys[1].split()[1]
    assert file.read_text() == (f'{keys[0]}\nno-pty,from="10.0.0.1" ssh-ed25519 {blob1} second\n')
    assert stat.S_IMODE(ssh_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert file.stat().st_uid == ssh_dir.stat().st_uid == int(sh("id", "-u", account).stdout)
    both = "\\n".join(keys[1:])
    path = book(f'- authorized_key: {{user: {account}, key: "{both}", exclusive: true}}')
    real = check_predicts_run(path, LOCAL)
    assert file.read_text() == f"ssh-ed25519 {blob1} second\n{keys[2]}\n"
    assert real.results[0].result["keyfile"] == str(file)
    path = book(f'- authorized_key: {{user: {account}, key: "{keys[2]}", state: absent}}')
    check_predicts_run(path, LOCAL)
    assert file.read_text() == f"ssh-ed25519 {blob1} second\n"


def test_authorized_key_from_a_file_on_the_host_and_follow(
    account: str, book, tmp_path: Path, keys: list[str]
) -> None:
    sh("useradd", "-m", account)
    source = tmp_path / "keys.pub"
    source.write_text(f"# team keys\n{keys[0]}\n\n{keys[2]}\n")
    target = tmp_path / "real_keys"
    target.write_text("")
    link = tmp_path / "linked"
    link.symlink_to(target)
    path = book(f"""
- authorized_key:
    user: {account}
    key: file://{source}
    path: {link}
    manage_dir: false
    follow: true
""")
    check_predicts_run(path, LOCAL)
    assert link.is_symlink()
    assert target.read_text() == f"{keys[0]}\n{keys[2]}\n"


def test_authorized_key_errors(account: str, book) -> None:
    result = run(book(f"- authorized_key: {{user: {account}, key: ssh-rsa}}"), LOCAL)
    assert result.results[0].result["msg"] == f"Failed to lookup user {account}: no such user"
    sh("useradd", "-M", account)
    result = run(book(f"- authorized_key: {{user: {account}, key: garbage}}"), LOCAL)
    assert result.results[0].result["msg"] == "invalid key specified: garbage"


def test_known_hosts_add_replace_hash_and_remove(tmp_path: Path, book, keys: list[str]) -> None:
    known = tmp_path / "known_hosts"
    ed1, ed2, rsa = (" ".join(k.split()[:2]) for k in keys)
    path = book(f"""
- known_hosts: {{path: {known}, name: Web1.example, key: "web1.example,10.0.0.5 {ed1}"}}
- known_hosts: {{path: {known}, name: web1.example, key: "web1.example {rsa}"}}
- known_hosts: {{path: {known}, name: "[git.example]:2222", key: "[git.example]:2222 {ed1}",
                hash_host: true}}
""")
    check_predicts_run(path, LOCAL, unchanged=lambda: known.exists() and pytest.fail("made"))
    lines = known.read_text().splitlines()
    assert lines[:2] == [f"web1.example,10.0.0.5 {ed1}", f"web1.example {rsa}"]
    assert lines[2].startswith("|1|") and lines[2].endswith(ed1)
    found = sh("ssh-keygen", "-F", "[git.example]:2222", "-f", str(known)).stdout
    assert ed1 in found  # ssh itself finds the hashed entry
    path = book(f'- known_hosts: {{path: {known}, name: web1.example, key: "web1.example {ed2}"}}')
    check_predicts_run(path, LOCAL)
    assert known.read_text().splitlines()[1:] == [lines[2], f"web1.example {ed2}"]
    path = book(f"- known_hosts: {{path: {known}, name: web1.example, state: absent}}")
    check_predicts_run(path, LOCAL)
    assert known.read_text().splitlines() == [lines[2]]


def test_known_hosts_key_must_name_the_host(tmp_path: Path, book, keys: list[str]) -> None:
    known = tmp_path / "known_hosts"
    result = run(
        book(f'- known_hosts: {{path: {known}, name: a.example, key: "b.example {keys[0]}"}}'),
        LOCAL,
    )
    assert result.results[0].result["msg"] == (
        "Host parameter does not match hashed host field in supplied key"
    )
    assert not known.exists()
