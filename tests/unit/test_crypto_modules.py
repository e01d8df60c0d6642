"""The community.crypto modules against this machine's openssl (tests run as root, local
connection): check mode predicts the run, the second run changes nothing, and the files
are what openssl and ssh-keygen say they should be."""

from __future__ import annotations

import hashlib
import stat
import subprocess
from pathlib import Path

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def _book(tmp_path: Path, tasks: str) -> Path:
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def _openssl(*argv: str) -> str:
    return subprocess.run(["openssl", *argv], capture_output=True, text=True, check=True).stdout


def test_key_csr_and_self_signed_certificate(tmp_path: Path) -> None:
    d = tmp_path
    book = _book(
        d,
        f"""
    - openssl_privatekey: {{path: {d}/key.pem, size: 2048, passphrase: pw}}
      register: key
    - community.crypto.openssl_publickey:
        path: {d}/key.pub
        privatekey_path: {d}/key.pem
        privatekey_passphrase: pw
        format: OpenSSH
    - openssl_csr:
        path: {d}/site.csr
        privatekey_path: {d}/key.pem
        privatekey_passphrase: pw
        common_name: www.example.test
        key_usage: [digitalSignature, keyEncipherment]
        extended_key_usage: [serverAuth]
    - openssl_certificate:
        path: {d}/site.crt
        privatekey_path: {d}/key.pem
        privatekey_passphrase: pw
        csr_path: {d}/site.csr
        provider: selfsigned
        selfsigned_not_after: "+30d"
""",
    )

    def nothing_written() -> None:
        assert sorted(p.name for p in d.iterdir()) == ["site.yml"]

    real = check_predicts_run(book, LOCAL, unchanged=nothing_written)
    assert [r.status for r in real.results] == ["changed"] * 4
    assert stat.S_IMODE((d / "key.pem").stat().st_mode) == 0o600
    assert "ENCRYPTED" in (d / "key.pem").read_text()
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-P", "pw", "-f", str(d / "key.pem")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (d / "key.pub").read_text() == derived
    text = _openssl("x509", "-in", str(d / "site.crt"), "-noout", "-text")
    assert "Subject: CN = www.example.test" in text and "DNS:www.example.test" in text
    assert "TLS Web Server Authentication" in text
    spki = subprocess.run(
        [
            "openssl",
            "pkey",
            "-in",
            str(d / "key.pem"),
            "-passin",
            "pass:pw",
            "-pubout",
            "-outform",
            "DER",
        ],
        capture_output=True,
        check=True,
    ).stdout
    digest = hashlib.sha256(spki).hexdigest()
    expected = ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    assert real.results[0].result["fingerprint"]["sha256"] == expected


def test_an_rsa_key_of_another_size_is_regenerated_or_refused(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            str(key),
        ],
        check=True,
        capture_output=True,
    )
    old = key.read_bytes()
    refused = run(
        _book(
            tmp_path, f"    - openssl_privatekey: {{path: {key}, size: 2048, regenerate: fail}}\n"
        ),
        LOCAL,
    )
    assert refused.results[0].status == "failed"
    assert "Key has wrong type and/or size" in refused.results[0].result["msg"]
    kept = run(
        _book(
            tmp_path, f"    - openssl_privatekey: {{path: {key}, size: 2048, regenerate: never}}\n"
        ),
        LOCAL,
    )
    assert kept.results[0].status == "ok" and key.read_bytes() == old
    book = _book(tmp_path, f"    - openssl_privatekey: {{path: {key}, size: 2048, backup: true}}\n")
    real = check_predicts_run(book, LOCAL, unchanged=lambda: key.read_bytes() == old or 1 / 0)
    assert key.read_bytes() != old
    assert "Private-Key: (2048 bit" in _openssl("pkey", "-in", str(key), "-noout", "-text")
    assert Path(real.results[0].result["backup_file"]).read_bytes() == old


def test_own_ca_signs_a_csr_made_by_the_pipe(tmp_path: Path) -> None:
    d = tmp_path
    csr_args = f"""
        privatekey_path: {d}/srv.key
        common_name: srv.example.test
        subject_alt_name: ["DNS:srv.example.test", "IP:192.0.2.7"]
        basic_constraints: ['CA:FALSE']"""
    book = _book(
        d,
        f"""
    - openssl_privatekey: {{path: {d}/ca.key, type: ECC, curve: secp384r1}}
    - community.crypto.openssl_csr_pipe:
        privatekey_path: {d}/ca.key
        common_name: Test CA
        basic_constraints: ['CA:TRUE', 'pathlen:0']
        basic_constraints_critical: true
        key_usage: [keyCertSign, cRLSign]
        create_subject_key_identifier: true
      register: ca_csr
    - x509_certificate:
        path: {d}/ca.crt
        csr_content: "{{{{ ca_csr.csr }}}}"
        privatekey_path: {d}/ca.key
        provider: selfsigned
    - openssl_privatekey: {{path: {d}/srv.key, type: Ed25519}}
    - community.crypto.openssl_csr_pipe:{csr_args}
      register: srv_csr
    - community.crypto.x509_certificate:
        path: {d}/srv.crt
        csr_content: "{{{{ srv_csr.csr }}}}"
        provider: ownca
        ownca_path: {d}/ca.crt
        ownca_privatekey_path: {d}/ca.key
        ownca_not_before: "-1d"
        ownca_not_after: "+365d"
        mode: "0644"
    - copy: {{content: "{{{{ srv_csr.csr }}}}", dest: {d}/srv.csr}}
""",
    )
    first = run(book, LOCAL)
    assert first.exit_code == 0, first.error
    verified = _openssl("verify", "-CAfile", str(d / "ca.crt"), str(d / "srv.crt"))
    assert verified.strip().endswith(": OK")
    assert stat.S_IMODE((d / "srv.crt").stat().st_mode) == 0o644
    again = _book(
        d,
        f"""
    - community.crypto.openssl_csr_pipe:{csr_args}
        content: "{{{{ lookup('file', '{d}/srv.csr') }}}}"
      register: same
    - community.crypto.x509_certificate:
        path: {d}/srv.crt
        csr_path: {d}/srv.csr
        provider: ownca
        ownca_path: {d}/ca.crt
        ownca_privatekey_path: {d}/ca.key
""",
    )
    check_predicts_run(again, LOCAL)
    cert = (d / "srv.crt").read_bytes()
    assert run(again, LOCAL).results[1].status == "ok" and (d / "srv.crt").read_bytes() == cert


def test_dhparam_is_kept_while_its_size_matches(tmp_path: Path) -> None:
    path = tmp_path / "dh.pem"
    book = _book(tmp_path, f"    - openssl_dhparam: {{path: {path}, size: 512, mode: '0640'}}\n")
    check_predicts_run(book, LOCAL, unchanged=lambda: not path.exists() or 1 / 0)
    assert "(512 bit)" in _openssl("dhparam", "-in", str(path), "-noout", "-text")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    book.write_text(book.read_text().replace("'0640'", "'0600'"))
    real = check_predicts_run(book, LOCAL)
    assert real.results[0].status == "changed" and stat.S_IMODE(path.stat().st_mode) == 0o600
