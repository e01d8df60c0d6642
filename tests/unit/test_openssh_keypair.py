"""openssh_keypair against this machine's ssh-keygen (tests run as root, local connection):
check mode predicts the run, the second run changes nothing, and the key files are what
ssh-keygen itself reads back."""

from __future__ import annotations

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


def _keygen(*argv: str) -> str:
    return subprocess.run(
        ["ssh-keygen", *argv], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    ).stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_a_new_pair_with_comment_and_mode(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    book = _book(
        tmp_path,
        f"""
    - community.crypto.openssh_keypair: {{path: {key}, type: ed25519, comment: me@example}}
      register: made
    - openssh_keypair: {{path: {tmp_path}/id_rsa, size: 2048, mode: "0640"}}
""",
    )

    def nothing_written() -> None:
        assert _files(tmp_path) == ["site.yml"]

    real = check_predicts_run(book, LOCAL, unchanged=nothing_written)
    assert [r.status for r in real.results] == ["changed", "changed"]
    derived = _keygen("-y", "-P", "", "-f", str(key)).strip()
    assert key.with_suffix(".pub").read_text().strip() == derived
    assert derived.startswith("ssh-ed25519 ") and derived.endswith(" me@example")
    assert (_mode(key), _mode(key.with_suffix(".pub"))) == (0o600, 0o644)
    values = real.results[0].result
    listed = _keygen("-l", "-f", str(key)).split()
    assert values["fingerprint"] == listed[1] and values["size"] == 256
    assert values["public_key"] == " ".join(derived.split()[:2])
    assert values["comment"] == "me@example"
    rsa = tmp_path / "id_rsa"
    assert _keygen("-l", "-f", str(rsa)).split()[0] == "2048"
    assert (_mode(rsa), _mode(tmp_path / "id_rsa.pub")) == (0o640, 0o640)


def test_the_checked_run_writes_nothing(tmp_path: Path) -> None:
    key = tmp_path / "k"
    checked = run(
        _book(tmp_path, f"    - openssh_keypair: {{path: {key}, type: ecdsa}}\n"), LOCAL, check=True
    )
    assert checked.results[0].status == "changed"
    assert _files(tmp_path) == ["site.yml"]


def test_a_key_of_another_size_is_regenerated_refused_or_kept(tmp_path: Path) -> None:
    key = tmp_path / "k"
    _keygen("-q", "-t", "rsa", "-b", "1024", "-N", "", "-C", "", "-f", str(key))
    old = key.read_bytes()
    refused = run(
        _book(tmp_path, f"    - openssh_keypair: {{path: {key}, size: 2048, regenerate: fail}}\n"),
        LOCAL,
    )
    assert refused.results[0].status == "failed"
    assert "Key has wrong type and/or size" in refused.results[0].result["msg"]
    kept = run(
        _book(tmp_path, f"    - openssh_keypair: {{path: {key}, size: 2048, regenerate: never}}\n"),
        LOCAL,
    )
    assert kept.results[0].status == "ok" and key.read_bytes() == old
    book = _book(tmp_path, f"    - openssh_keypair: {{path: {key}, size: 2048}}\n")
    real = check_predicts_run(book, LOCAL, unchanged=lambda: None)
    assert real.results[0].status == "changed" and key.read_bytes() != old
    assert _keygen("-l", "-f", str(key)).split()[0] == "2048"
    derived = _keygen("-y", "-P", "", "-f", str(key)).split()[:2]
    assert (tmp_path / "k.pub").read_text().split()[:2] == derived


def test_a_missing_pub_is_restored_and_the_comment_changed_in_the_key(tmp_path: Path) -> None:
    key = tmp_path / "k"
    _keygen("-q", "-t", "ed25519", "-N", "", "-C", "old", "-f", str(key))
    (tmp_path / "k.pub").unlink()
    old = _keygen("-y", "-P", "", "-f", str(key)).split()[:2]
    book = _book(tmp_path, f"    - openssh_keypair: {{path: {key}, type: ed25519, comment: new}}\n")
    real = check_predicts_run(book, LOCAL, unchanged=lambda: None)
    assert real.results[0].status == "changed"
    assert (tmp_path / "k.pub").read_text() == " ".join([*old, "new"]) + "\n"
    assert _keygen("-y", "-P", "", "-f", str(key)).split() == [*old, "new"]
    assert (_mode(key), _mode(tmp_path / "k.pub")) == (0o600, 0o644)


def test_a_mismatching_pub_without_comment_is_rewritten(tmp_path: Path) -> None:
    key = tmp_path / "k"
    _keygen("-q", "-t", "ed25519", "-N", "", "-C", "c", "-f", str(key))
    other = tmp_path / "other"
    _keygen("-q", "-t", "ed25519", "-N", "", "-C", "c", "-f", str(other))
    (tmp_path / "k.pub").write_bytes((tmp_path / "other.pub").read_bytes())
    (tmp_path / "k.pub").chmod(0o640)
    book = _book(tmp_path, f"    - openssh_keypair: {{path: {key}, type: ed25519}}\n")
    check_predicts_run(book, LOCAL)
    derived = _keygen("-y", "-P", "", "-f", str(key)).split()[:2]
    assert (tmp_path / "k.pub").read_text() == " ".join(derived) + "\n"
    assert _mode(tmp_path / "k.pub") == 0o640


def test_a_passphrase_encrypts_and_is_checked(tmp_path: Path) -> None:
    key = tmp_path / "k"
    secret = "s3 cr'et $x"
    book = _book(
        tmp_path,
        f"""
    - openssh_keypair: {{path: {key}, type: ed25519, passphrase: "{secret}"}}
""",
    )
    check_predicts_run(book, LOCAL)
    assert "ENCRYPTED" not in key.read_text()  # OpenSSH format: the cipher is inside
    derived = _keygen("-y", "-P", secret, "-f", str(key)).split()[:2]
    assert (tmp_path / "k.pub").read_text().split()[:2] == derived
    plain = subprocess.run(["ssh-keygen", "-y", "-P", "", "-f", str(key)], capture_output=True)
    assert plain.returncode != 0
    unreadable = run(
        _book(tmp_path, f"    - openssh_keypair: {{path: {key}, type: ed25519}}\n"), LOCAL
    )
    assert unreadable.results[0].status == "failed"
    assert "Unable to read the key" in unreadable.results[0].result["msg"]
    old = key.read_bytes()
    full = f"    - openssh_keypair: {{path: {key}, type: ed25519, regenerate: full_idempotence}}\n"
    check_predicts_run(_book(tmp_path, full), LOCAL)
    assert key.read_bytes() != old
    _keygen("-y", "-P", "", "-f", str(key))


def test_attributes_of_an_existing_pair_are_fixed_without_a_new_key(tmp_path: Path) -> None:
    key = tmp_path / "k"
    _keygen("-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(key))
    old = key.read_bytes()
    book = _book(
        tmp_path,
        f'    - openssh_keypair: {{path: {key}, type: ed25519, mode: "0400", group: daemon}}\n',
    )
    real = check_predicts_run(book, LOCAL, unchanged=lambda: None)
    assert real.results[0].status == "changed" and key.read_bytes() == old
    for path in (key, tmp_path / "k.pub"):
        assert _mode(path) == 0o400
        assert (
            subprocess.run(
                ["stat", "-c", "%G", str(path)], capture_output=True, text=True
            ).stdout.strip()
            == "daemon"
        )


def test_absent_removes_both_files(tmp_path: Path) -> None:
    key = tmp_path / "k"
    _keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key))
    book = _book(tmp_path, f"    - openssh_keypair: {{path: {key}, state: absent}}\n")
    real = check_predicts_run(book, LOCAL, unchanged=lambda: None)
    assert real.results[0].status == "changed"
    assert _files(tmp_path) == ["site.yml"]


def test_bad_arguments_fail_with_a_message(tmp_path: Path) -> None:
    bad = run(
        _book(
            tmp_path,
            f"""
    - openssh_keypair: {{path: {tmp_path}/a, type: ecdsa, size: 300}}
      ignore_errors: true
    - openssh_keypair: {{path: {tmp_path}/b, private_key_format: pkcs1}}
      ignore_errors: true
    - openssh_keypair: {{path: {tmp_path}/nodir/c}}
      ignore_errors: true
""",
        ),
        LOCAL,
    )
    msgs = [r.result["msg"] for r in bad.results]
    assert "256, 384 or 521" in msgs[0]
    assert "'auto' is the only valid option" in msgs[1]
    assert "does not exist" in msgs[2]
    assert _files(tmp_path) == ["site.yml"]


def test_a_new_comment_on_an_encrypted_key(tmp_path: Path) -> None:
    key = tmp_path / "k"
    first = f"    - openssh_keypair: {{path: {key}, type: ed25519, passphrase: pw, comment: a}}\n"
    assert run(_book(tmp_path, first), LOCAL).results[0].status == "changed"
    old = key.read_bytes()
    book = _book(tmp_path, first.replace("comment: a", "comment: b"))
    real = check_predicts_run(book, LOCAL, unchanged=lambda: None)
    assert real.results[0].status == "changed" and real.results[0].result["comment"] == "b"
    assert _keygen("-y", "-P", "pw", "-f", str(key)).split()[2] == "b"
    assert (tmp_path / "k.pub").read_text().split()[2] == "b"
    assert key.read_bytes() != old and "ENCRYPTED" not in key.read_text()
    assert subprocess.run(
        ["ssh-keygen", "-y", "-P", "", "-f", str(key)], capture_output=True
    ).returncode
