"""openssl_pkcs12, x509_crl and x509_certificate_info over SSH on the sshd fleet: the
passphrases and the CRL to sign travel on the commands' stdin through paramiko; check mode
predicts the run on every host and the second run changes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from parity import assert_check_predicts_run, own, write

from playbook_engine.testing.fleet import Fleet

pytestmark = pytest.mark.fleet


def _openssl(*argv: str) -> str:
    done = subprocess.run(["openssl", *argv], capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def _pki(d: Path) -> None:
    """A CA and a user certificate made by openssl, handed to the login user."""
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-aes256", "-pass", "pass:ca-secret", "-out", str(d / "ca.key"))  # fmt: skip
    _openssl("req", "-x509", "-new", "-key", str(d / "ca.key"), "-passin", "pass:ca-secret",
             "-subj", "/CN=Fleet CA", "-days", "30", "-out", str(d / "ca.crt"))  # fmt: skip
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(d / "u.key"))  # fmt: skip
    _openssl("req", "-new", "-key", str(d / "u.key"), "-subj", "/CN=u", "-out", str(d / "u.csr"))
    _openssl("x509", "-req", "-in", str(d / "u.csr"), "-CA", str(d / "ca.crt"), "-CAkey",
             str(d / "ca.key"), "-passin", "pass:ca-secret", "-set_serial", "99",
             "-days", "30", "-out", str(d / "u.crt"))  # fmt: skip
    own(*d.iterdir())


def test_pkcs12_and_crl_over_ssh(
    fleet: Fleet, fleet_inventory: Path, host_dirs: dict[str, Path], tmp_path: Path
) -> None:
    for path in host_dirs.values():
        _pki(path)
    dirs = write(tmp_path / "dirs.json", json.dumps({h: str(p) for h, p in host_dirs.items()}))
    book = write(
        tmp_path / "site.yml",
        """- hosts: fleet
  gather_facts: false
  vars:
    d: "{{ (lookup('file', 'DIRS') | from_json)[inventory_hostname] }}"
  tasks:
    - name: p12
      community.crypto.openssl_pkcs12:
        path: "{{ d }}/u.p12"
        friendly_name: u
        privatekey_path: "{{ d }}/u.key"
        certificate_path: "{{ d }}/u.crt"
        other_certificates: ["{{ d }}/ca.crt"]
        passphrase: p12-secret
        encryption_level: compatibility2022
    - name: crl
      community.crypto.x509_crl:
        path: "{{ d }}/ca.crl"
        privatekey_path: "{{ d }}/ca.key"
        privatekey_passphrase: ca-secret
        issuer: {CN: Fleet CA}
        last_update: "20250101000000Z"
        next_update: "20350101000000Z"
        revoked_certificates: [{path: "{{ d }}/u.crt", revocation_date: "20250102000000Z"}]
    - name: info
      community.crypto.x509_certificate_info: {path: "{{ d }}/u.crt"}
      register: info
    - name: expiry
      assert: {that: ["not info.expired", "info.serial_number == 99"]}
""".replace("DIRS", str(dirs)),
    )
    doc = assert_check_predicts_run(fleet, book, fleet_inventory, list(host_dirs.values()))
    statuses = {
        t["name"]: {r["status"] for r in t["hosts"].values()} for t in doc["plays"][0]["tasks"]
    }
    assert statuses["p12"] == {"changed"} and statuses["crl"] == {"changed"}
    for path in host_dirs.values():
        info = _openssl(
            "pkcs12", "-in", str(path / "u.p12"), "-passin", "pass:p12-secret", "-nokeys"
        )
        assert "friendlyName: u" in info and "subject=CN = Fleet CA" in info
        crl = _openssl("crl", "-in", str(path / "ca.crl"), "-CAfile", str(path / "ca.crt"), "-text")
        assert "verify OK" in crl and "Serial Number: 63" in crl
        assert (path / "u.p12").stat().st_uid == (path / "u.key").stat().st_uid
    shown = json.dumps(doc)
    assert "p12-secret" not in shown and "ca-secret" not in shown
