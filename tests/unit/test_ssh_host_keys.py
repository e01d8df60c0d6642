"""Host-key checking of SSHConnection against an in-process paramiko SSH server.

The server speaks the real protocol on 127.0.0.1 with host keys made per test, so a test
can present any key, several keys, or hold the handshake while it edits known_hosts.
"""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from playbook_engine.errors import HostUnreachable
from playbook_engine.transport.base import ConnectionSpec
from playbook_engine.transport.ssh import SSHConnection

PASSWORD = "host-key-tests"


def ed25519_key() -> paramiko.PKey:
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return paramiko.Ed25519Key(file_obj=io.StringIO(pem.decode()))


class _Accepting(paramiko.ServerInterface):
    def get_allowed_auths(self, username: str) -> str:
        return "password,publickey"

    def check_auth_password(self, username: str, password: str) -> int:
        return paramiko.AUTH_SUCCESSFUL if password == PASSWORD else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        return paramiko.AUTH_SUCCESSFUL


class KeyServer:
    """An SSH server on 127.0.0.1 presenting ``keys``; every connection is served until
    ``close``. Clear ``go`` to hold each handshake after TCP accept (``accepted`` is set)."""

    def __init__(self, *keys: paramiko.PKey) -> None:
        self.keys = keys
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.go = threading.Event()
        self.go.set()
        self.accepted = threading.Event()
        self._transports: list[paramiko.Transport] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def name(self) -> str:
        return f"[127.0.0.1]:{self.port}"

    def line(self, key: paramiko.PKey | None = None, name: str | None = None) -> str:
        key = key or self.keys[0]
        return f"{name or self.name} {key.get_name()} {key.get_base64()}\n"

    def _serve(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.set()
            self.go.wait()
            transport = paramiko.Transport(sock)
            for key in self.keys:
                transport.add_server_key(key)
            self._transports.append(transport)
            try:
                transport.start_server(server=_Accepting())
            except (paramiko.SSHException, EOFError, OSError):
                continue  # the client hung up during key exchange: serve the next one

    def close(self) -> None:
        self.go.set()
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        self.listener.close()
        for transport in self._transports:
            transport.close()
        self._thread.join()


@pytest.fixture
def server() -> Iterator[KeyServer]:
    srv = KeyServer(ed25519_key())
    yield srv
    srv.close()


def spec_for(srv: KeyServer, known: Path, mode: str = "strict") -> ConnectionSpec:
    return ConnectionSpec(
        host="target",
        address="127.0.0.1",
        port=srv.port,
        user="tester",
        password=PASSWORD,
        known_hosts_files=(str(known),),
        ssh_config_file=os.devnull,
        host_key_checking=mode,
        connect_timeout=5.0,
    )


def connects(spec: ConnectionSpec) -> bool:
    with SSHConnection.open(spec) as conn:
        return conn.transport.is_authenticated()


# -- accept-new never records a second key ----------------------------------------------


def test_accept_new_refuses_a_key_recorded_meanwhile_by_someone_else(
    server: KeyServer, tmp_path: Path
) -> None:
    """Another process records a key for the host while we connect: ours is refused."""
    known = tmp_path / "known_hosts"
    rival = server.line(ed25519_key())
    server.go.clear()
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            connects(spec_for(server, known, "accept-new"))
            outcome.append(None)
        except BaseException as exc:  # asserted below
            outcome.append(exc)

    client = threading.Thread(target=connect)
    client.start()
    assert server.accepted.wait(10)  # the client has read known_hosts (still absent)
    known.write_text(rival)
    server.go.set()
    client.join()

    assert isinstance(outcome[0], HostUnreachable)
    assert f"host key MISMATCH for {server.name}" in outcome[0].message
    assert "the host key changed" in outcome[0].message
    assert known.read_text() == rival


def test_accept_new_refuses_a_host_known_with_another_key(
    server: KeyServer, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    old = server.line(ed25519_key())
    known.write_text(old)

    with pytest.raises(HostUnreachable, match="host key MISMATCH"):
        connects(spec_for(server, known, "accept-new"))
    assert known.read_text() == old


def test_accept_new_refuses_a_key_of_another_type_than_the_known_one(tmp_path: Path) -> None:
    srv = KeyServer(paramiko.ECDSAKey.generate())
    try:
        known = tmp_path / "known_hosts"
        known.write_text(srv.line(ed25519_key()))
        with pytest.raises(
            HostUnreachable,
            match=r"offered ecdsa-sha2-nistp256 SHA256:\S+, "
            r"known_hosts has ssh-ed25519 ",
        ):
            connects(spec_for(srv, known, "accept-new"))
        assert len(known.read_text().splitlines()) == 1
    finally:
        srv.close()


def test_accept_new_records_a_new_host_once(
    server: KeyServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    known = tmp_path / "ssh" / "known_hosts"
    with caplog.at_level(logging.WARNING, logger="playbook_engine.transport.ssh"):
        assert connects(spec_for(server, known, "accept-new"))
        assert connects(spec_for(server, known, "accept-new"))
    assert known.read_text() == server.line()
    assert oct(known.stat().st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in known.parent.iterdir()) == ["known_hosts", "known_hosts.lock"]
    added = [r for r in caplog.records if "added new host key" in r.getMessage()]
    assert len(added) == 1


# -- several keys per host --------------------------------------------------------------


def test_the_known_key_type_is_asked_for_first(tmp_path: Path) -> None:
    """The server has ed25519 and ECDSA keys; known_hosts only the ECDSA one."""
    ecdsa = paramiko.ECDSAKey.generate()
    srv = KeyServer(ed25519_key(), ecdsa)
    try:
        known = tmp_path / "known_hosts"
        known.write_text(srv.line(ecdsa))
        assert connects(spec_for(srv, known))
    finally:
        srv.close()


def test_any_of_several_known_keys_of_one_type_is_accepted(
    server: KeyServer, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(server.line(ed25519_key()) + server.line())
    assert connects(spec_for(server, known))


# -- markers ----------------------------------------------------------------------------


def test_a_revoked_key_is_refused_even_when_also_listed(server: KeyServer, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(server.line() + "@revoked * " + server.line().split(" ", 1)[1])

    for mode in ("strict", "accept-new"):
        with pytest.raises(HostUnreachable) as caught:
            connects(spec_for(server, known, mode))
        assert caught.value.message.startswith(
            f"host key for {server.name} is REVOKED: the server offered "
            f"{server.keys[0].get_name()} {server.keys[0].fingerprint}, which {known}:2 marks "
            "@revoked"
        )
    assert len(known.read_text().splitlines()) == 2


def test_cert_authority_lines_are_skipped_with_one_warning(
    server: KeyServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ca = ed25519_key()
    known = tmp_path / "known_hosts"
    ca_line = f"@cert-authority * {ca.get_name()} {ca.get_base64()}\n"
    known.write_text(ca_line)

    with caplog.at_level(logging.WARNING, logger="playbook_engine.transport.ssh"):
        with pytest.raises(
            HostUnreachable, match=re.escape(f"host key for {server.name} is not in known_hosts")
        ):
            connects(spec_for(server, known))
        assert connects(spec_for(server, known, "accept-new"))
        assert connects(spec_for(server, known))
    assert known.read_text() == ca_line + server.line()
    warnings = [r.getMessage() for r in caplog.records if "@cert-authority" in r.getMessage()]
    assert warnings == [
        f"{known}: ignoring @cert-authority line(s) 1: pbe does not verify "
        "host certificates, so hosts covered only by them count as unknown"
    ]
