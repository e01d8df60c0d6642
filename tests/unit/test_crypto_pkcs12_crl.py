"""openssl_pkcs12, x509_crl and x509_certificate_pipe against this machine's openssl (the
suite runs as root, local connection): check mode predicts the run, the second run
changes nothing, and openssl itself reads back what the modules wrote."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import stat
import subprocess
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.cli import main
from playbook_engine.testing.parity import check_predicts_run, statuses

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def _book(tmp_path: Path, tasks: str, name: str = "site.yml") -> Path:
    book = tmp_path / name
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return book


def _openssl(*argv: str, data: bytes | None = None) -> str:
    done = subprocess.run(["openssl", *argv], capture_output=True, input=data, check=True)
    return done.stdout.decode() + done.stderr.decode()


def _ca(d: Path, name: str = "ca", subject: str = "/CN=Test CA", algo: str = "EC") -> None:
    """A CA key and self-signed certificate made by openssl itself."""
    opts = ["-pkeyopt", "ec_paramgen_curve:P-256"] if algo == "EC" else []
    if algo == "RSA":
        opts = ["-pkeyopt", "rsa_keygen_bits:2048"]
    _openssl("genpkey", "-algorithm", algo, *opts, "-out", str(d / f"{name}.key"))
    _openssl("req", "-x509", "-new", "-key", str(d / f"{name}.key"), "-subj", subject,
             "-days", "30", "-out", str(d / f"{name}.crt"))  # fmt: skip


def _leaf(d: Path, name: str, ca: str = "ca") -> None:
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(d / f"{name}.key"))  # fmt: skip
    csr = _openssl("req", "-new", "-key", str(d / f"{name}.key"), "-subj", f"/CN={name}")
    _openssl("x509", "-req", "-CA", str(d / f"{ca}.crt"), "-CAkey", str(d / f"{ca}.key"),
             "-set_serial", "4660", "-days", "30", "-out", str(d / f"{name}.crt"),
             data=csr.encode())  # fmt: skip


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}


# -- openssl_pkcs12 ------------------------------------------------------------------------


def test_pkcs12_export_then_parse(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d)
    _leaf(d, "alice")
    book = _book(
        d,
        f"""
    - community.crypto.openssl_pkcs12:
        path: {d}/alice.p12
        friendly_name: alice
        privatekey_path: {d}/alice.key
        certificate_path: {d}/alice.crt
        other_certificates: [{d}/ca.crt]
        passphrase: s3cret-p12
        encryption_level: compatibility2022
        return_content: true
      register: p12
    - openssl_pkcs12:
        action: parse
        src: {d}/alice.p12
        path: {d}/alice.pem
        passphrase: s3cret-p12
""",
    )
    before = _files(d)
    real = check_predicts_run(book, LOCAL, unchanged=lambda: _files(d) == before or 1 / 0)
    assert [r.status for r in real.results] == ["changed", "changed"]
    p12 = d / "alice.p12"
    assert stat.S_IMODE(p12.stat().st_mode) == 0o400  # community.crypto's default
    info = _openssl("pkcs12", "-in", str(p12), "-passin", "pass:s3cret-p12", "-info", "-nodes")
    assert "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 50000" in info
    assert "MAC: sha1" in info and "friendlyName: alice" in info
    subjects = [line for line in info.splitlines() if line.startswith("subject=")]
    assert subjects == ["subject=CN = alice", "subject=CN = Test CA"]
    result = real.results[0].result
    assert result["filename"] == str(p12) and result["privatekey_path"] == f"{d}/alice.key"
    assert base64.b64decode(result["pkcs12"]) == p12.read_bytes()
    assert "s3cret-p12" not in json.dumps([r.result for r in real.results], default=str)
    pem = (d / "alice.pem").read_text()
    key = _openssl("pkey", "-in", str(d / "alice.key"), "-traditional")
    assert pem == key + (d / "alice.crt").read_text() + (d / "ca.crt").read_text()


def test_pkcs12_is_remade_when_what_it_holds_changes(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d)
    _leaf(d, "bob")
    task = f"""
    - community.crypto.openssl_pkcs12:
        path: {d}/bob.p12
        friendly_name: NAME
        privatekey_path: {d}/bob.key
        certificate_path: {d}/bob.crt
        passphrase: PASS
        mode: "0600"
"""
    book = _book(d, task.replace("NAME", "bob").replace("PASS", "one"))
    check_predicts_run(book, LOCAL)
    assert stat.S_IMODE((d / "bob.p12").stat().st_mode) == 0o600
    for name, secret in (("robert", "one"), ("robert", "two")):
        made = (d / "bob.p12").read_bytes()
        book = _book(d, task.replace("NAME", name).replace("PASS", secret))
        real = check_predicts_run(book, LOCAL)
        assert real.results[0].status == "changed" and (d / "bob.p12").read_bytes() != made
    info = _openssl("pkcs12", "-in", str(d / "bob.p12"), "-passin", "pass:two", "-nokeys")
    assert "friendlyName: robert" in info
    book = _book(d, task.replace("NAME", "robert").replace("PASS", "two").replace("0600", "0640"))
    made = (d / "bob.p12").read_bytes()
    assert run(book, LOCAL).results[0].status == "changed"
    assert (d / "bob.p12").read_bytes() == made  # only the mode changed
    assert stat.S_IMODE((d / "bob.p12").stat().st_mode) == 0o640


def test_pkcs12_without_key_and_its_failures(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d)
    _leaf(d, "carol")
    book = _book(
        d,
        f"""
    - openssl_pkcs12:
        path: {d}/chain.p12
        friendly_name: chain
        certificate_path: {d}/carol.crt
        other_certificates_content: ["{{{{ lookup('file', '{d}/ca.crt') }}}}"]
""",
    )
    check_predicts_run(book, LOCAL)
    info = _openssl("pkcs12", "-in", str(d / "chain.p12"), "-passin", "pass:", "-nokeys")
    assert "friendlyName: chain" in info and info.index("CN = carol") < info.index("CN = Test CA")
    failing = _book(
        d,
        f"""
    - openssl_pkcs12: {{path: {d}/x.p12, certificate_path: {d}/carol.crt}}
      ignore_errors: true
    - openssl_pkcs12: {{path: {d}/x.p12, friendly_name: x}}
      ignore_errors: true
    - openssl_pkcs12: {{action: parse, src: {d}/chain.p12, path: {d}/x.pem, passphrase: no}}
      ignore_errors: true
""",
        "fail.yml",
    )
    checked, real = run(failing, LOCAL, check=True), run(failing, LOCAL)
    assert statuses(checked) == statuses(real)  # the check run fails where the run does
    msgs = [r.result["msg"] for r in real.results]
    assert msgs[0] == "Friendly_name is required"
    assert msgs[1] == "You must supply at least one of key, cert, or cas"
    assert f"cannot read {d}/chain.p12" in msgs[2] and "Mac verify error" in msgs[2]
    assert not (d / "x.p12").exists() and not (d / "x.pem").exists()


# -- x509_crl ------------------------------------------------------------------------------


def _crl_text(path: Path, der: bool = False) -> str:
    return _openssl("crl", "-in", str(path), *(["-inform", "DER"] if der else []), "-noout",
                    "-text")  # fmt: skip


def test_crl_is_signed_by_the_ca_key_and_kept(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d, subject="/CN=Test CA/O=Org")
    _leaf(d, "dave")
    crl_task = f"""
    - community.crypto.x509_crl:
        path: {d}/ca.crl
        privatekey_path: {d}/ca.key
        issuer: {{CN: Test CA, O: Org}}
        last_update: "20250101000000Z"
        next_update: "20350101000000Z"
        mode: "0644"
        revoked_certificates:
          - path: {d}/dave.crt
            revocation_date: 20250102000000Z
          - serial_number: 1234
            revocation_date: 20250103000000Z
            reason: key_compromise
            reason_critical: true
            invalidity_date: 20241201000000Z
      register: crl
"""
    book = _book(d, crl_task)
    real = check_predicts_run(book, LOCAL, unchanged=lambda: (d / "ca.crl").exists() and 1 / 0)
    assert "verify OK" in _openssl("crl", "-in", f"{d}/ca.crl", "-CAfile", f"{d}/ca.crt", "-noout")
    text = _crl_text(d / "ca.crl")
    assert "Issuer: CN = Test CA, O = Org" in text and "Next Update: Jan  1 00:00:00 2035" in text
    assert "Serial Number: 1234" in text and "Serial Number: 04D2" in text
    assert "CRL Reason Code: critical" in text and "Key Compromise" in text
    assert "Invalidity Date" in text and stat.S_IMODE((d / "ca.crl").stat().st_mode) == 0o644
    result = real.results[0].result
    assert result["digest"] == "ecdsa-with-SHA256" and result["last_update"] == "20250101000000Z"
    assert result["issuer"] == {"commonName": "Test CA", "organizationName": "Org"}
    assert [e["serial_number"] for e in result["revoked_certificates"]] == [4660, 1234]
    assert result["revoked_certificates"][1]["reason"] == "key_compromise"
    # a new CA key (same name): the old CRL no longer verifies, so it is signed again
    _ca(d, subject="/CN=Test CA/O=Org")
    real = check_predicts_run(book, LOCAL)
    assert real.results[0].status == "changed"
    assert "verify OK" in _openssl("crl", "-in", f"{d}/ca.crl", "-CAfile", f"{d}/ca.crt", "-noout")


def test_crl_format_mode_and_timestamps(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d, subject="/CN=RSA CA", algo="RSA")
    task = f"""
    - x509_crl:
        path: {d}/rsa.crl
        privatekey_path: {d}/ca.key
        issuer_ordered: [{{CN: RSA CA}}]
        next_update: "+7d"
        ignore_timestamps: IGNORE
        format: FORMAT
        crl_mode: MODE
        serial_numbers: hex-octets
        revoked_certificates: ENTRIES
"""

    def book(ignore: str, fmt: str, mode: str, entries: str) -> Path:
        text = task.replace("IGNORE", ignore).replace("FORMAT", fmt)
        return _book(d, text.replace("MODE", mode).replace("ENTRIES", entries))

    check_predicts_run(book("true", "pem", "generate", "[{serial_number: '01:02:AF'}]"), LOCAL)
    assert "Serial Number: 0102AF" in _crl_text(d / "rsa.crl")
    assert "sha256WithRSAEncryption" in _crl_text(d / "rsa.crl")
    before = _crl_text(d / "rsa.crl")
    real = check_predicts_run(
        book("true", "der", "generate", "[{serial_number: '01:02:AF'}]"), LOCAL
    )
    assert real.results[0].status == "changed"
    assert _crl_text(d / "rsa.crl", der=True) == before  # converted, not signed again
    check_predicts_run(book("true", "der", "update", "[{serial_number: '03'}]"), LOCAL)
    text = _crl_text(d / "rsa.crl", der=True)
    assert "Serial Number: 0102AF" in text and "Serial Number: 03" in text
    # relative timestamps, compared: a last update other than the CRL's makes a new one (an
    # hour back, not "now": two runs in the same second would sign the same CRL)
    relative = _book(
        d,
        task.replace("IGNORE", "false")
        .replace("FORMAT", "der")
        .replace("MODE", "update")
        .replace("ENTRIES", "[{serial_number: '03'}]")
        .replace('next_update: "+7d"', 'next_update: "+7d"\n        last_update: "-1h"'),
    )
    assert [r.status for r in run(relative, LOCAL).results] == ["changed"]
    assert "verify OK" in _openssl("crl", "-inform", "DER", "-in", f"{d}/rsa.crl", "-CAfile",
                                   f"{d}/ca.crt", "-noout")  # fmt: skip


def test_crl_bad_arguments_fail_clearly(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d)
    base = f"path: {d}/a.crl, privatekey_path: {d}/ca.key"
    book = _book(
        d,
        f"""
    - x509_crl: {{{base}, issuer: {{CN: x}}, next_update: +1d, revoked_certificates: [{{x: 1}}]}}
      ignore_errors: true
    - x509_crl: {{{base}, issuer: {{CN: x}}, next_update: soon, revoked_certificates: []}}
      ignore_errors: true
    - x509_crl: {{{base}, next_update: "+1d", revoked_certificates: []}}
      ignore_errors: true
""",
    )
    msgs = [r.result["msg"] for r in run(book, LOCAL).results]
    assert msgs[0] == "revoked_certificates[0]: unsupported keys x"
    assert "Invalid value for next_update: 'soon'" in msgs[1]
    assert msgs[2].endswith("missing: issuer or issuer_ordered")
    assert not (d / "a.crl").exists()


# -- x509_certificate_pipe -----------------------------------------------------------------


def test_certificate_pipe_keeps_a_matching_certificate(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d)
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
             str(d / "srv.key"))  # fmt: skip
    _openssl("req", "-new", "-key", str(d / "srv.key"), "-subj", "/CN=srv", "-out",
             str(d / "srv.csr"))  # fmt: skip
    args = f"""
        provider: ownca
        csr_path: {d}/srv.csr
        ownca_path: {d}/ca.crt
        ownca_privatekey_path: {d}/ca.key
        ownca_not_after: "+30d\""""
    book = _book(
        d,
        f"""
    - community.crypto.x509_certificate_pipe:{args}
      register: made
    - copy: {{content: "{{{{ made.certificate }}}}", dest: {d}/srv.crt}}
    - community.crypto.x509_certificate_pipe:{args}
        content: "{{{{ made.certificate }}}}"
      register: kept
    - x509_certificate_pipe:
        provider: selfsigned
        csr_path: {d}/srv.csr
        privatekey_path: {d}/srv.key
        content: "{{{{ made.certificate }}}}"
      register: own
""",
    )
    result = run(book, LOCAL)
    assert [r.status for r in result.results] == ["changed", "changed", "ok", "changed"]
    made, kept, own = (result.results[i].result["certificate"] for i in (0, 2, 3))
    assert kept == made and own != made
    assert _openssl("verify", "-CAfile", f"{d}/ca.crt", f"{d}/srv.crt").strip().endswith(": OK")
    assert "Issuer: CN = srv" in _openssl("x509", "-noout", "-text", data=own.encode())


# -- validation of real-world tasks ---------------------------------------------------------


def test_real_world_crl_and_pkcs12_tasks_validate(tmp_path: Path) -> None:
    """The tasks of algo's strongswan role that use these modules (openssl.yml)."""
    book = _book(
        tmp_path,
        """
    - community.crypto.x509_crl:
        path: /etc/pki/crl.pem
        privatekey_path: /etc/pki/private/cakey.pem
        privatekey_passphrase: "{{ ca_password }}"
        last_update: "{{ '%Y%m%d%H%M%SZ' | strftime(0) }}"
        next_update: "{{ '%Y%m%d%H%M%SZ' | strftime(86400) }}"
        crl_mode: generate
        issuer: {CN: "{{ name }}"}
        revoked_certificates: "{{ revoked }}"
    - community.crypto.openssl_pkcs12:
        path: /etc/pki/private/u.p12
        friendly_name: u
        privatekey_path: /etc/pki/private/u.key
        certificate_path: /etc/pki/certs/u.crt
        other_certificates: ["/etc/pki/cacert.pem"]
        passphrase: "{{ p12_password }}"
        mode: "0600"
        encryption_level: compatibility2022
""",
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(book)], out, err) == 0, err.getvalue()


def test_a_template_for_a_whole_list_is_not_checked_item_by_item(tmp_path: Path) -> None:
    """Each character of ``"{{ codes }}"`` was checked as a list item: an integer for uri's
    status_code, a mapping for alternatives' subcommands."""
    book = _book(
        tmp_path,
        """
    - uri: {url: "http://localhost/", status_code: "{{ codes }}"}
    - community.general.alternatives: {name: editor, path: /usr/bin/vim, subcommands: "{{ subs }}"}
""",
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(book)], out, err) == 0, err.getvalue()
    bad = _book(
        tmp_path, '    - uri: {url: "http://localhost/", status_code: [200, "x"]}\n', "b.yml"
    )
    assert main(["validate", str(bad)], out, err) == 4
    assert "an item of `status_code` must be an integer, got 'x'" in err.getvalue()


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("openssl_pkcs12: {path: /x, action: unpack}", "`action` must be one of export, parse"),
        ("x509_crl: {path: /x, crl_mode: merge}", "`crl_mode` must be one of generate, update"),
        ("x509_certificate_pipe: {csr_path: /x}", "`provider` is a required argument"),
    ],
)
def test_bad_arguments_are_validation_errors(tmp_path: Path, task: str, message: str) -> None:
    book = _book(tmp_path, f"    - {task}\n")
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(book)], out, err) == 4
    assert f"{book}:4:" in err.getvalue() and message in err.getvalue()


# -- the *_info modules ----------------------------------------------------------------------


def test_certificate_and_csr_info_read_what_openssl_reads(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d, subject="/C=DE/O=Org/CN=Test CA")
    _openssl("req", "-new", "-key", str(d / "ca.key"), "-subj", "/CN=srv.example",
             "-addext", "subjectAltName=DNS:srv.example,IP:192.0.2.1",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
             "-addext", "extendedKeyUsage=serverAuth,1.3.6.1.5.5.7.3.17",
             "-out", str(d / "srv.csr"))  # fmt: skip
    der = subprocess.run(["openssl", "req", "-in", str(d / "srv.csr"), "-outform", "DER"],
                         capture_output=True, check=True).stdout  # fmt: skip
    (d / "bad.csr").write_bytes(der[:-1] + bytes([der[-1] ^ 1]))  # a broken signature
    book = _book(
        d,
        f"""
    - x509_certificate:
        path: {d}/old.crt
        csr_path: {d}/srv.csr
        privatekey_path: {d}/ca.key
        provider: selfsigned
        selfsigned_not_before: "-3d"
        selfsigned_not_after: "-1d"
    - community.crypto.x509_certificate_info:
        content: "{{{{ lookup('file', '{d}/ca.crt') }}}}"
        valid_at: {{now: "+0s", later: "+3650d", abs: "20200101000000Z"}}
      register: ca
    - x509_certificate_info: {{path: {d}/old.crt}}
      register: old
    - community.crypto.openssl_csr_info: {{path: {d}/srv.csr}}
      register: csr
    - openssl_csr_info: {{path: {d}/bad.csr}}
      register: bad
""",
    )
    real = check_predicts_run(book, LOCAL)
    ca, old, csr, bad = (real.results[i].result for i in (1, 2, 3, 4))
    assert ca["subject"] == {
        "countryName": "DE",
        "organizationName": "Org",
        "commonName": "Test CA",
    }
    assert ca["subject_ordered"][0] == ["countryName", "DE"] and ca["issuer"] == ca["subject"]
    end = _openssl("x509", "-in", f"{d}/ca.crt", "-noout", "-enddate", "-serial")
    assert f"notAfter={_asn1_to_openssl(ca['not_after'])}" in end
    assert f"serial={ca['serial_number']:X}" in end.replace("serial=0", "serial=")
    cert_der = subprocess.run(["openssl", "x509", "-in", f"{d}/ca.crt", "-outform", "DER"],
                              capture_output=True, check=True).stdout  # fmt: skip
    digest = hashlib.sha256(cert_der).hexdigest()
    assert ca["fingerprints"]["sha256"] == ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    assert ca["valid_at"] == {"now": True, "later": False, "abs": False} and not ca["expired"]
    assert ca["public_key_type"] == "ECC" and ca["public_key_data"]["curve"] == "secp256r1"
    assert (
        ca["basic_constraints"] == ["CA:TRUE"] and ca["signature_algorithm"] == "ecdsa-with-SHA256"
    )
    assert old["expired"] is True and old["subject"] == {"commonName": "srv.example"}
    assert csr["signature_valid"] is True and bad["signature_valid"] is False
    assert csr["subject_alt_name"] == ["DNS:srv.example", "IP:192.0.2.1"]
    assert (
        csr["key_usage"] == ["Digital Signature", "Key Encipherment"] and csr["key_usage_critical"]
    )
    assert csr["extended_key_usage"] == [
        "TLS Web Server Authentication",
        "ipsec Internet Key Exchange",
    ]
    assert csr["public_key"] == _openssl("pkey", "-in", f"{d}/ca.key", "-pubout")


def _asn1_to_openssl(text: str) -> str:
    from datetime import datetime

    moment = datetime.strptime(text, "%Y%m%d%H%M%SZ")
    return f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S %Y} GMT"


def test_privatekey_info_never_returns_the_secret(tmp_path: Path) -> None:
    d = tmp_path
    _ca(d, algo="RSA")
    _openssl("pkey", "-in", f"{d}/ca.key", "-aes256", "-passout", "pass:k3y-pass",
             "-out", f"{d}/enc.key")  # fmt: skip
    book = _book(
        d,
        f"""
    - community.crypto.openssl_privatekey_info:
        path: {d}/enc.key
        passphrase: k3y-pass
        check_consistency: true
    - openssl_privatekey_info: {{path: {d}/enc.key}}
      ignore_errors: true
    - openssl_privatekey_info: {{path: {d}/enc.key, passphrase: wrong}}
      ignore_errors: true
    - openssl_privatekey_info: {{path: {d}/missing.key}}
      ignore_errors: true
    - openssl_privatekey_info:
        path: {d}/enc.key
        passphrase: k3y-pass
        return_private_key_data: true
      ignore_errors: true
""",
    )
    checked, real = run(book, LOCAL, check=True), run(book, LOCAL)
    assert statuses(checked) == statuses(real)
    good, empty, wrong, missing, private = (r.result for r in real.results)
    assert good["type"] == "RSA" and good["public_data"]["size"] == 2048
    assert good["key_is_consistent"] is True and good["can_parse_key"] is True
    assert good["public_key"] == _openssl("pkey", "-in", f"{d}/ca.key", "-pubout")
    assert empty["msg"] == "Wrong or empty passphrase provided for private key"
    assert wrong["msg"].startswith("Wrong passphrase provided for private key")
    assert wrong["can_load_key"] is True and wrong["can_parse_key"] is False
    assert missing["can_load_key"] is False and "No such file" in missing["msg"]
    assert private["msg"] == "return_private_key_data is not supported by pbe"
    shown = json.dumps([r.result for r in real.results], default=str)
    assert "k3y-pass" not in shown and "PRIVATE KEY" not in shown


def test_a_csr_whose_signature_does_not_verify_is_not_kept(tmp_path: Path) -> None:
    """openssl 3's ``req -verify`` exits 0 on a bad signature: openssl_csr kept such a CSR
    and openssl_csr_info called it valid."""
    d = tmp_path
    _ca(d)
    book = _book(
        d,
        f"""
    - openssl_csr: {{path: {d}/srv.csr, privatekey_path: {d}/ca.key, common_name: srv}}
    - openssl_csr_info: {{path: {d}/srv.csr}}
      register: info
""",
    )
    check_predicts_run(book, LOCAL)
    der = subprocess.run(["openssl", "req", "-in", f"{d}/srv.csr", "-outform", "DER"],
                         capture_output=True, check=True).stdout  # fmt: skip
    broken = _openssl("req", "-inform", "DER", data=der[:-1] + bytes([der[-1] ^ 1]))
    (d / "srv.csr").write_text(broken)
    first = run(book, LOCAL)
    assert [r.status for r in first.results] == ["changed", "ok"]
    assert first.results[1].result["signature_valid"] is True
    assert "verify OK" in _openssl("req", "-in", f"{d}/srv.csr", "-noout", "-verify")
    (d / "srv.csr").write_text(broken)
    info = run(_book(d, f"    - openssl_csr_info: {{path: {d}/srv.csr}}\n", "i.yml"), LOCAL)
    assert info.results[0].result["signature_valid"] is False
