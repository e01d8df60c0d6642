"""known_hosts parsing, host matching, the key decision, and recording keys concurrently."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import paramiko
import pytest

from playbook_engine.errors import HostUnreachable
from playbook_engine.transport.knownhosts import (
    is_known,
    parse_known_hosts,
    read_known_hosts,
    remember,
)

ROOT = Path(__file__).resolve().parents[2]


def key() -> paramiko.PKey:
    return paramiko.ECDSAKey.generate()


def entry(name: str, k: paramiko.PKey, marker: str = "") -> str:
    return f"{marker}{name} {k.get_name()} {k.get_base64()}\n"


def keys_of(text: str, path: str = "kh") -> list[tuple[str, ...]]:
    return [k.patterns for k in parse_known_hosts(text, path).keys]


# -- parsing ----------------------------------------------------------------------------


def test_markers_comments_and_bad_lines_never_raise() -> None:
    a, b, ca = key(), key(), key()
    text = "".join(
        [
            "# a comment\n",
            "\n",
            entry("web1", a),
            entry("* ", ca, "@cert-authority "),
            entry("*", b, "@revoked "),
            "web2 ssh-ed25519 !!notbase64!!\n",
            "web3 ssh-rsa\n",
            f"web4 ssh-ed25519 {a.get_base64()}\n",  # the blob says ECDSA: not this type
            entry("web5", b, "@unknown-marker "),
        ]
    )
    parsed = parse_known_hosts(text, "/k")

    assert [(k.patterns, k.revoked, k.where) for k in parsed.keys] == [
        (("web1",), False, "/k:3"),
        (("*",), True, "/k:5"),
    ]
    assert parsed.ca_lines == (4,)
    assert parsed.bad_lines == (6, 7, 8, 9)


def test_hashed_entries_and_patterns_match_like_openssh() -> None:
    k = key()
    hashed = paramiko.HostKeys.hash_host("[10.0.0.5]:2222")
    text = (
        entry(hashed, k)
        + entry("*.example.com,!db.example.com", k)
        + entry("web?", k)
        + entry("[10.0.0.6]:2222", k)
    )
    first, wildcard, single, ported = parse_known_hosts(text, "kh").keys

    assert first.matches("[10.0.0.5]:2222") and not first.matches("10.0.0.5")
    assert wildcard.matches("App.Example.COM") and not wildcard.matches("db.example.com")
    assert not wildcard.matches("example.com")
    assert single.matches("web1") and not single.matches("web10")
    assert ported.matches("[10.0.0.6]:2222") and not ported.matches("10.0.0.6")


# -- deciding ---------------------------------------------------------------------------


def test_is_known_trusts_revokes_and_refuses() -> None:
    good, other, revoked = key(), key(), key()
    keys = parse_known_hosts(
        entry("h1", good)
        + entry("h1", revoked)
        + entry("h*", revoked, "@revoked ")
        + entry("h2", other),
        "/kh",
    ).keys

    assert is_known(keys, "h1", good) is True
    assert is_known(keys, "h3", good) is False
    with pytest.raises(
        HostUnreachable,
        match=r"host key for h1 is REVOKED: .* which /kh:3 "
        "marks @revoked",
    ):
        is_known(keys, "h1", revoked)
    with pytest.raises(
        HostUnreachable,
        match=r"host key MISMATCH for h2 .* known_hosts has "
        + re.escape(f"ecdsa-sha2-nistp256 {other.fingerprint} (/kh:4)"),
    ):
        is_known(keys, "h2", good)


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HostUnreachable, match=f"cannot read known_hosts file {tmp_path}: "):
        read_known_hosts([str(tmp_path)])  # a directory
    assert read_known_hosts([str(tmp_path / "absent")]) == []


def test_skipped_lines_warn_once_per_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(entry("*", key(), "@cert-authority ") + "garbage\n")
    with caplog.at_level(logging.WARNING, logger="playbook_engine.transport.ssh"):
        for _ in range(3):
            read_known_hosts([str(path)])
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: ignoring @cert-authority line(s) 1: pbe does not verify host certificates, "
        "so hosts covered only by them count as unknown",
        f"{path}: ignoring unreadable line(s) 2",
    ]


def test_a_file_is_parsed_once_while_it_stays_the_same(tmp_path: Path) -> None:
    """Every connection reads known_hosts: 500 hosts share one parsed copy, and an edit
    (accept-new's append renames a new file in) is seen by the next connection."""
    path = tmp_path / "known_hosts"
    path.write_text(entry("a", key()) + entry("b", key()))
    first, again = read_known_hosts([str(path)]), read_known_hosts([str(path)])
    assert len(first) == 2 and all(x is y for x, y in zip(first, again, strict=True))
    k = key()
    remember(str(path), [str(path)], "c", k)
    after = read_known_hosts([str(path)])
    assert [key.patterns for key in after] == [("a",), ("b",), ("c",)]
    with path.open("a") as f:  # an edit in place, as a text editor's save may be
        f.write(entry("d", key()))
    assert [key.patterns for key in read_known_hosts([str(path)])][-1] == ("d",)


# -- recording --------------------------------------------------------------------------


def test_remember_refuses_a_second_key_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    first = entry("[h]:2222", key())
    path.write_text(first)
    with pytest.raises(HostUnreachable, match=r"host key MISMATCH for \[h\]:2222"):
        remember(str(path), [str(path)], "[h]:2222", key())
    assert path.read_text() == first


def test_remember_checks_every_file_again(tmp_path: Path) -> None:
    save, other = tmp_path / "mine", tmp_path / "global"
    other.write_text(entry("h", key()))
    with pytest.raises(HostUnreachable, match="MISMATCH"):
        remember(str(save), [str(save), str(other)], "h", key())
    assert not save.exists()


def test_remember_keeps_mode_symlink_and_other_lines(tmp_path: Path) -> None:
    real = tmp_path / "real_known_hosts"
    real.write_text("# keep me\nold ssh-ed25519 AAAA")  # no newline at the end
    real.chmod(0o640)
    link = tmp_path / "known_hosts"
    link.symlink_to(real)
    k = key()

    assert remember(str(link), [str(link)], "new", k) is True
    assert remember(str(link), [str(link)], "new", k) is False

    assert link.is_symlink()
    assert real.read_text() == "# keep me\nold ssh-ed25519 AAAA\n" + entry("new", k)
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "known_hosts",
        "real_known_hosts",
        "real_known_hosts.lock",
    ]


def test_threads_recording_at_once_write_every_key_once(tmp_path: Path) -> None:
    path = str(tmp_path / "known_hosts")
    shared = key()
    mine = {f"host{i}": key() for i in range(12)}
    start = threading.Barrier(len(mine))
    errors: list[BaseException] = []

    def record(name: str) -> None:
        start.wait()
        try:
            remember(path, [path], name, mine[name])
            remember(path, [path], "shared", shared)
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(n,)) for n in mine]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    lines = Path(path).read_text().splitlines(keepends=True)
    expected = [entry(n, k) for n, k in mine.items()] + [entry("shared", shared)]
    assert sorted(lines) == sorted(expected)


_WORKER = textwrap.dedent("""
    import os, sys, threading, time
    import paramiko
    from playbook_engine.transport.knownhosts import remember
    path, go, tag = sys.argv[1:4]
    keys = {f"{tag}-{i}": paramiko.ECDSAKey.generate() for i in range(4)}
    for name, k in keys.items():
        print(f"{name} {k.get_name()} {k.get_base64()}", flush=True)
    while not os.path.exists(go):
        time.sleep(0.001)
    threads = [threading.Thread(target=remember, args=(path, [path], n, k))
               for n, k in keys.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
""")


def test_processes_recording_at_once_write_every_key_once(tmp_path: Path) -> None:
    path, go = tmp_path / "known_hosts", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), str(go), f"p{n}"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(5)
    ]
    expected = [proc.stdout.readline() for proc in procs for _ in range(4)]  # type: ignore[union-attr]
    go.touch()
    for proc in procs:
        proc.communicate(timeout=60)
        assert proc.returncode == 0

    assert sorted(path.read_text().splitlines(keepends=True)) == sorted(expected)
