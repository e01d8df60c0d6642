"""rpm_key for real against this machine's rpm database, with keys made for the test by gpg
(unique per test, erased afterwards): import from a file and from a URL (armored and
binary), removal by key id, fingerprint checks, Ansible's failures; check mode predicts
each run, and the key ids and fingerprints pbe reads match gpg's."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pkgrepos import LOCAL, need

from playbook_engine.api import run
from playbook_engine.modules.rpm_key import armor
from playbook_engine.modules.util.openpgp import read_keys
from playbook_engine.testing.parity import check_predicts_run


@dataclass
class Key:
    armored: Path
    binary: Path
    fingerprint: str

    @property
    def short(self) -> str:
        return self.fingerprint[-8:].lower()


@pytest.fixture
def key(tmp_path: Path) -> Iterator[Key]:
    need("rpm", "gpg")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    uid = f"pbe-t{os.getpid()}-{tmp_path.name} <pbe@example.invalid>"
    gpg = functools.partial(subprocess.run, env=env, check=True, capture_output=True)
    gpg(
        [
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            "ed25519",
            "default",
            "never",
        ]
    )
    armored, binary = tmp_path / "key.asc", tmp_path / "key.gpg"
    armored.write_bytes(gpg(["gpg", "--armor", "--export", uid]).stdout)
    binary.write_bytes(gpg(["gpg", "--export", uid]).stdout)
    colons = gpg(["gpg", "--with-colons", "--fingerprint", uid]).stdout.decode()
    fingerprint = next(
        line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:")
    )
    made = Key(armored, binary, fingerprint)
    yield made
    for version in installed(made):
        subprocess.run(
            ["rpm", "--erase", "--allmatches", f"gpg-pubkey-{version}"], capture_output=True
        )


def installed(key: Key) -> list[str]:
    out = subprocess.run(
        ["rpm", "-q", "gpg-pubkey", "--qf", "%{VERSION}-%{RELEASE}\n"],
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if line.startswith(key.short + "-")]


def book(tmp: Path, *tasks: dict[str, Any]) -> Path:
    body = [{"rpm_key": task, "ignore_errors": True} for task in tasks]
    path = tmp / "site.yml"
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": body}]))
    return path


def test_reads_the_ids_gpg_reads(key: Key) -> None:
    for data in (key.armored.read_bytes(), key.binary.read_bytes()):
        found = read_keys(data)[0]
        assert found.fingerprint == key.fingerprint
        assert found.keyid == key.fingerprint[-16:]
    assert read_keys(armor(key.binary.read_bytes()).encode())[0].fingerprint == key.fingerprint


def test_import_from_file_then_remove_by_id(tmp_path: Path, key: Key) -> None:
    spaced = " ".join(key.fingerprint[i : i + 4] for i in range(0, 40, 4))
    first = book(tmp_path, {"key": str(key.armored), "fingerprint": spaced})
    real = check_predicts_run(first, LOCAL, unchanged=lambda: _none(key))
    assert [r.status for r in real.results] == ["changed"]
    assert len(installed(key)) == 1

    gone = book(tmp_path, {"key": "0x" + key.fingerprint[-16:], "state": "absent"})
    real = check_predicts_run(gone, LOCAL, unchanged=lambda: _one(key))
    assert [r.status for r in real.results] == ["changed"]
    assert installed(key) == []


def test_check_run_follows_earlier_tasks(tmp_path: Path, key: Key) -> None:
    steps = book(
        tmp_path,
        {"key": str(key.armored)},
        {"key": str(key.binary)},
        {"key": key.fingerprint, "state": "absent"},
        {"key": key.short.upper(), "state": "absent"},
    )
    checked = run(steps, LOCAL, check=True)
    _none(key)
    real = run(steps, LOCAL)
    assert [r.status for r in checked.results] == ["changed", "ok", "changed", "ok"]
    assert [r.status for r in real.results] == ["changed", "ok", "changed", "ok"]
    assert installed(key) == []


@pytest.mark.parametrize("form", ["armored", "binary"])
def test_import_from_url(tmp_path: Path, key: Key, form: str) -> None:
    need("curl")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        name = key.armored.name if form == "armored" else key.binary.name
        url = f"http://127.0.0.1:{server.server_address[1]}/{name}"
        real = check_predicts_run(book(tmp_path, {"key": url}), LOCAL, unchanged=lambda: _none(key))
        assert [r.status for r in real.results] == ["changed"]
        assert len(installed(key)) == 1
        missing = run(book(tmp_path, {"key": url + ".nope"}), LOCAL)
        msg = missing.results[0].result["msg"]
        assert msg.startswith(f"failed to fetch key at {url}.nope , error was: "), msg
        assert "404" in msg
    finally:
        server.shutdown()
        server.server_close()


def test_refusals(tmp_path: Path, key: Key) -> None:
    (tmp_path / "plain.txt").write_text("not a key\n")
    tasks = book(
        tmp_path,
        {"key": str(key.armored), "fingerprint": "0000"},
        {"key": key.fingerprint},
        {"key": str(tmp_path / "plain.txt")},
        {"key": str(tmp_path / "nothing-here")},
    )
    real = run(tasks, LOCAL, check=True)
    assert [r.status for r in real.results] == ["failed"] * 4
    assert [r.result["msg"] for r in real.results] == [
        f"The specified fingerprint, '{{'0000'}}', does not match any key fingerprints in "
        f"'frozenset({{'{key.fingerprint}'}})'",
        "When importing a key, a valid file must be given",
        "Unable to parse PGP key armor",
        f"Not a valid key {tmp_path / 'nothing-here'}",
    ]
    _none(key)


def _none(key: Key) -> None:
    assert installed(key) == []


def _one(key: Key) -> None:
    assert len(installed(key)) == 1
