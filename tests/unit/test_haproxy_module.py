"""haproxy against a stats socket for real: a small fake HAProxy served on a Unix socket
under tmp_path (always), and the real HAProxy where it is installed. The module talks to it
with the host's socat or nc -U; check mode predicts the run (or says it cannot) and the
second run changes nothing."""

from __future__ import annotations

import shutil
import socketserver
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pkgrepos import LOCAL, need

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

HEADER = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
    "wredis,status,weight,act,bck,\n"
)


class FakeHaproxy(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Answers HAProxy's socket commands for a few servers, one command line per
    connection, in HAProxy's formats (``show stat`` CSV, ``get weight``)."""

    daemon_threads = True

    def __init__(self, path: str) -> None:
        self.servers = {
            ("www", "web1"): {"status": "UP", "weight": "1"},
            ("www", "web2"): {"status": "UP", "weight": "1"},
            ("api", "web1"): {"status": "UP", "weight": "1"},
        }
        self.received: list[str] = []
        super().__init__(path, _Handler)

    def answer(self, line: str) -> str:
        self.received.append(line)
        return "".join(self._one(cmd.split()) for cmd in line.split(";") if cmd.strip())

    def _one(self, words: list[str]) -> str:
        if words[:2] == ["show", "stat"]:
            rows = [self._row(px, sv) for px, sv in self.servers]
            rows += [
                f"{px},BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,2,2,0,\n" for px in ("www", "api")
            ]
            return HEADER + "".join(rows) + "\n"
        if words[:2] == ["show", "info"]:
            return "Name: HAProxy\nVersion: 2.6.12\n\n"
        server = self.servers.get(tuple(words[2].split("/")))  # type: ignore[arg-type]
        if server is None:
            return "No such server.\n\n"
        if words[:2] == ["get", "weight"]:
            return f"{server['weight']} (initial 1)\n\n"
        if words[:2] == ["set", "weight"]:
            server["weight"] = words[3]
        elif words[1] == "server" and words[0] in ("enable", "disable"):
            server["status"] = "UP" if words[0] == "enable" else "MAINT"
        return "\n"

    def _row(self, px: str, sv: str) -> str:
        s = self.servers[(px, sv)]
        return f"{px},{sv},0,0,0,0,,0,0,0,,0,,0,0,0,0,{s['status']},{s['weight']},1,0,\n"


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline().decode().strip()
        self.wfile.write(self.server.answer(line).encode())  # type: ignore[attr-defined]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeHaproxy]:
    need("socat")
    server = FakeHaproxy(str(tmp_path / "admin.sock"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def book(tmp_path: Path) -> Callable[[str], Path]:
    def write(tasks: str) -> Path:
        path = tmp_path / f"site-{uuid.uuid4().hex[:6]}.yml"
        body = "\n".join("    " + line for line in tasks.strip("\n").splitlines())
        path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{body}\n")
        return path

    return write


def test_disable_then_enable_with_a_weight(fake: FakeHaproxy, book, tmp_path: Path) -> None:
    sock = tmp_path / "admin.sock"
    site = book(f"- haproxy: 'state=disabled backend=www host=web1 socket={sock}'")
    real = check_predicts_run(
        site,
        LOCAL,
        unchanged=lambda: (
            fake.servers[("www", "web1")]["status"] == "UP" or pytest.fail("check mode acted")
        ),
    )
    assert fake.servers[("www", "web1")]["status"] == "MAINT"
    assert fake.servers[("api", "web1")]["status"] == "UP"
    result = real.results[0].result
    assert result["command"] == ["get weight www/web1; disable server www/web1"]
    assert result["output"] == ["1 (initial 1)"]
    assert result["state_before"] == [{"status": "UP", "weight": "1", "scur": "0"}]
    assert result["state_after"] == [{"status": "MAINT", "weight": "1", "scur": "0"}]
    site = book(
        f"- community.general.haproxy: {{state: enabled, host: web1, socket: {sock}, weight: '5'}}"
    )
    check_predicts_run(site, LOCAL)
    assert fake.servers[("www", "web1")] == {"status": "UP", "weight": "5"}
    assert fake.servers[("api", "web1")] == {"status": "UP", "weight": "5"}


def test_wait_polls_until_the_status(fake: FakeHaproxy, book, tmp_path: Path) -> None:
    site = book(
        f"- haproxy: {{state: disabled, backend: www, host: web2, socket: {tmp_path}/admin.sock, "
        "wait: true, wait_interval: 0, shutdown_sessions: true}"
    )
    assert run(site, LOCAL).results[0].status == "changed"
    assert "get weight www/web2; disable server www/web2; shutdown sessions server www/web2" in (
        fake.received
    )
    assert fake.received.count("show stat") == 3  # before, one look while waiting, after


def test_not_found(fake: FakeHaproxy, book, tmp_path: Path) -> None:
    site = book(
        f"- haproxy: {{state: disabled, backend: www, host: nope, socket: {tmp_path}/admin.sock, "
        "fail_on_not_found: true}"
    )
    result = run(site, LOCAL).results[0]
    assert result.result["msg"] == "The specified backend 'www/nope' was not found!"


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[Path]:
    """The real HAProxy with two backends and an admin stats socket (no ports bound)."""
    if shutil.which("haproxy") is None:
        pytest.skip("HAProxy is not installed (the fake socket tests still run)")
    need("socat")
    sock = tmp_path / "real.sock"
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(
        f"global\n    stats socket {sock} level admin\n"
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n"
        "    timeout server 1s\n"
        "backend myapplb\n    server web1 127.0.0.1:9 weight 10\n    server web2 127.0.0.1:9\n"
        "backend other\n    server web1 127.0.0.1:9\n"
    )
    proc = subprocess.Popen(["haproxy", "-f", str(cfg), "-db"], stderr=subprocess.DEVNULL)
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    yield sock
    proc.terminate()
    proc.wait(10)


def status(sock: Path, backend: str, server: str) -> str:
    out = subprocess.run(
        ["socat", "-t", "5", "stdio", f"UNIX-CONNECT:{sock}"],
        input="show stat\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split(",") for line in out.splitlines()]
    return next(r[17] for r in rows if r[:2] == [backend, server])


def test_real_haproxy_disable_and_drain(haproxy: Path, book) -> None:
    site = book(f"""
- haproxy: {{state: disabled, backend: myapplb, host: web1, socket: {haproxy}}}
- haproxy: {{state: drain, backend: myapplb, host: web2, socket: {haproxy}}}
""")
    real = check_predicts_run(site, LOCAL)
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert status(haproxy, "myapplb", "web1") == "MAINT"
    assert status(haproxy, "myapplb", "web2") == "DRAIN"
    assert status(haproxy, "other", "web1") == "no check"
