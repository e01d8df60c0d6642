"""apt_key against this machine's apt-key, on a keyring file in the test's directory (the
host's own keyrings are never touched). The keys are made by gpg for the test, in a
throw-away home. Each step is checked with ``check_predicts_run`` and by listing the
keyring with apt-key itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(
    not shutil.which("apt-key") or not shutil.which("gpg") or os.geteuid() != 0,
    reason="needs apt-key, gpg and root",
)
LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@dataclass
class Key:
    armored: Path
    binary: Path
    fingerprint: str

    @property
    def long_id(self) -> str:
        return self.fingerprint[-16:]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Key:
    """A fresh ed25519 key, exported armored and binary."""
    base = tmp_path_factory.mktemp("gpg")
    home = base / "home"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch"]
    subprocess.run(
        [
            *gpg,
            "--passphrase",
            "",
            "--quick-gen-key",
            "pbe test <t@example.invalid>",
            "ed25519",
            "sign",
            "never",
        ],
        check=True,
        capture_output=True,
    )
    armored, binary = base / "key.asc", base / "key.gpg"
    armored.write_bytes(
        subprocess.run([*gpg, "--armor", "--export"], check=True, capture_output=True).stdout
    )
    binary.write_bytes(subprocess.run([*gpg, "--export"], check=True, capture_output=True).stdout)
    colons = subprocess.run(
        [*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True, text=True
    ).stdout
    fpr = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr"))
    return Key(armored, binary, fpr)


def listed(keyring: Path) -> str:
    return subprocess.run(
        ["apt-key", "--keyring", str(keyring), "adv", "--list-public-keys", "--keyid-format=long"],
        capture_output=True,
        text=True,
    ).stdout


def book(path: Path, task: str) -> Path:
    path.write_text(
        f"- hosts: all\n  gather_facts: false\n  tasks:\n    - {task}\n      register: out\n"
    )
    return path


def registered(result: Any) -> dict[str, Any]:
    return dict(result.results[0].result)


def _absent(keyring: Path, key: Key) -> None:
    assert key.long_id not in listed(keyring), "check mode added the key"


def test_file_key_added_by_its_derived_id_then_removed_by_fingerprint(
    tmp_path: Path, key: Key
) -> None:
    ring = tmp_path / "ring.gpg"
    play = book(tmp_path / "add.yml", f"apt_key: {{file: {key.armored}, keyring: {ring}}}\n")
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _absent(ring, key))
    assert key.long_id in listed(ring)
    out = registered(real)
    assert out["changed"] is True
    assert (out["id"], out["key_id"], out["fp"], out["short_id"]) == (
        key.long_id,
        key.long_id,
        key.long_id,
        key.long_id[-8:],
    )
    assert out["before"] == [] and out["after"] == [key.long_id]

    gone = book(
        tmp_path / "del.yml",
        f"apt_key: {{id: '0x{key.fingerprint.lower()}', keyring: {ring}, state: absent}}\n",
    )
    real = check_predicts_run(gone, LOCAL, unchanged=lambda: _present(ring, key))
    assert key.long_id not in listed(ring)
    assert registered(real)["after"] == []
    assert registered(real)["key_id"] == key.fingerprint


def _present(keyring: Path, key: Key) -> None:
    assert key.long_id in listed(keyring), "check mode removed the key"


def test_data_and_url_keys_with_short_and_full_ids(tmp_path: Path, key: Key) -> None:
    ring = tmp_path / "ring.gpg"
    data = key.armored.read_text().replace("\n", "\\n")
    play = book(
        tmp_path / "data.yml",
        f'apt_key: {{data: "{data}", id: {key.long_id[-8:]}, keyring: {ring}}}\n',
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _absent(ring, key))
    assert key.long_id in listed(ring)
    assert registered(real)["after"] == [key.long_id[-8:]], "a short id lists short ids"

    ring2 = tmp_path / "ring2.gpg"
    play = book(
        tmp_path / "url.yml", f"apt_key: {{url: 'file://{key.binary}', keyring: {ring2}}}\n"
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _absent(ring2, key))
    assert key.long_id in listed(ring2)
    assert registered(real)["id"] == key.long_id


def test_failures_are_clear_messages(tmp_path: Path, key: Key) -> None:
    ring = tmp_path / "ring.gpg"
    cases = {
        f"apt_key: {{id: '12345', keyring: {ring}}}": "Invalid key_id: '12345' (8, 16 or more hex digits)",  # noqa: E501 - test data
        f"apt_key: {{keyserver: keyserver.invalid, keyring: {ring}}}": "Missing key_id, required with keyserver.",  # noqa: E501 - test data
        f"apt_key: {{url: 'file://{tmp_path}/none.asc', keyring: {ring}}}": f"Failed to download key at file://{tmp_path}/none.asc",  # noqa: E501 - test data
        f"apt_key: {{file: {tmp_path / 'add.yml'}, keyring: {ring}}}": f"Unable to extract key from '{tmp_path / 'add.yml'}'",  # noqa: E501 - test data
        f"apt_key: {{state: absent, keyring: {ring}}}": "key is required to remove a key",
    }
    for task, message in cases.items():
        play = book(tmp_path / "add.yml", task + "\n")
        for check in (True, False):
            out = registered(run(play, LOCAL, check=check))
            assert out["failed"] is True and out["msg"] == message, (task, out)
    assert not ring.exists() or key.long_id not in listed(ring)
