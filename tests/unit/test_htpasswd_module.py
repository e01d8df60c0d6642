"""htpasswd against this machine (openssl hashes the passwords): check mode predicts the
run, the second run changes nothing, the file holds hashes that the host's openssl
reproduces from the password and salt, and the password never appears in a command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def book(tmp: Path, tasks: str) -> Path:
    path = tmp / "site.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def rehash(entry: str, password: str) -> str:
    """The entry's hash recomputed by openssl from its own scheme and salt."""
    _, scheme, salt, _ = entry.split("$", 3)
    return subprocess.run(
        ["openssl", "passwd", f"-{scheme}", "-salt", salt, "-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_users_are_added_updated_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "munin-htpasswd"
    tasks = f"""\
    - community.general.htpasswd: {{path: {path}, name: munin, password: "s3cret pw'$x",
                                    create: true, mode: "0640"}}
      register: added
    - htpasswd: {{path: {path}, name: other, password: two, hash_scheme: sha512_crypt}}
    - htpasswd: {{path: {path}, name: plain, password: three, crypt_scheme: plaintext}}
"""
    real = check_predicts_run(book(tmp_path, tasks), LOCAL, unchanged=lambda: _absent(path))
    assert [r.result["msg"] for r in real.results] == [
        f"Created {path} and added munin",
        "Add/update other",
        "Add/update plain",
    ]
    entries = dict(line.split(":", 1) for line in path.read_text().splitlines())
    assert list(entries) == ["munin", "other", "plain"]
    assert entries["munin"].startswith("$apr1$")
    assert rehash(entries["munin"], "s3cret pw'$x") == entries["munin"]
    assert rehash(entries["other"], "two") == entries["other"]
    assert entries["plain"] == "three"
    assert path.stat().st_mode & 0o777 == 0o640
    tasks = f"""\
    - htpasswd: {{path: {path}, name: munin, password: changed}}
    - htpasswd: {{path: {path}, name: other, state: absent}}
"""
    again = check_predicts_run(book(tmp_path, tasks), LOCAL)
    assert [r.result["msg"] for r in again.results] == ["Add/update munin", "Remove other"]
    entries = dict(line.split(":", 1) for line in path.read_text().splitlines())
    assert list(entries) == ["munin", "plain"]
    assert rehash(entries["munin"], "changed") == entries["munin"]
    assert path.stat().st_mode & 0o777 == 0o640


def test_password_is_not_in_any_command_and_errors_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "ht"
    tasks = f"""\
    - htpasswd: {{path: {path}, name: u, password: pbe-secret-word, create: false}}
      ignore_errors: true
    - htpasswd: {{path: {path}, name: u, password: pbe-secret-word}}
    - htpasswd: {{path: {path}, name: v}}
      ignore_errors: true
"""
    hosts = tmp_path / "hosts.ini"
    hosts.write_text("localhost ansible_connection=local\n")
    out = subprocess.run(
        [
            "python",
            "-m",
            "playbook_engine",
            "run",
            str(book(tmp_path, tasks)),
            "-i",
            str(hosts),
            "-vvv",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "EXEC" in out.stdout
    assert "pbe-secret-word" not in out.stdout + out.stderr
    assert f"Destination {path} does not exist" in out.stdout
    assert "password is required to add or update v" in out.stdout
    assert path.read_text().startswith("u:$apr1$")


def test_unsupported_scheme_fails_before_touching_the_host(tmp_path: Path) -> None:
    real = run(
        book(
            tmp_path,
            f"    - htpasswd: {{path: {tmp_path / 'h'}, name: u, "
            f"password: s3cr3t, hash_scheme: des_crypt}}\n",
        ),
        LOCAL,
    )
    assert real.results[0].result["msg"].startswith("hash_scheme des_crypt is not supported")
    assert not (tmp_path / "h").exists()


def _absent(path: Path) -> None:
    assert not path.exists()
