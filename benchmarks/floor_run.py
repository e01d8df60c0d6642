"""The floor of a whole run, as a process of its own: what any tool built on paramiko pays
before its own work.

Starts the interpreter, imports paramiko, connects to every host (``forks`` threads, one
connection each, as pbe and pyinfra do), starts one ``sh`` per host and runs ``true``
TASKS times through it, every host in lockstep per command, then exits. ``bench_fleet.py``
times it like the tools (wall, CPU with start-up, the hosts' CPU, peak RSS) as the
``floor (run)`` row. Usage: ``python floor_run.py HOSTS.json`` (written by bench_fleet).
"""

from __future__ import annotations

import json
import shlex
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import paramiko

# One `sh` per host reading a command per line; each ends with a marker line.
SCRIPT = 'while IFS= read -r c; do sh -c "$c" </dev/null; echo "--end $?"; done'


def client(address: str, port: int, user: str, key: str, known_hosts: str) -> paramiko.SSHClient:
    """Plain paramiko, as every floor of the benchmarks connects: TCP_NODELAY, one key,
    known hosts checked, no agent."""
    sock = socket.create_connection((address, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ssh = paramiko.SSHClient()
    ssh.load_system_host_keys(known_hosts)
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    ssh.connect(
        address,
        port,
        username=user,
        sock=sock,
        key_filename=key,
        look_for_keys=False,
        allow_agent=False,
    )
    return ssh


def connect(host: dict[str, Any], known_hosts: str) -> paramiko.Channel:
    ssh = client(
        str(host["address"]), int(host["port"]), str(host["user"]), str(host["key"]), known_hosts
    )
    transport = ssh.get_transport()
    assert transport is not None
    # paramiko's thread wakes ten times a second to look for a close: at 500 hosts that
    # alone costs seconds of CPU. pbe polls once a second; the floor does no worse.
    transport.sock.settimeout(1.0)
    chan = transport.open_session()
    chan.exec_command(f"exec sh -c {shlex.quote(SCRIPT)}")
    chan._pbe_client = ssh  # type: ignore[attr-defined]  # keep the client alive
    return chan


def run(chan: paramiko.Channel) -> None:
    chan.sendall(b"true\n")
    seen = b""
    while b"--end " not in seen:
        seen += chan.recv(4096)


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    with ThreadPoolExecutor(spec["forks"]) as pool:
        chans = list(pool.map(lambda h: connect(h, spec["known_hosts"]), spec["hosts"]))
        for _ in range(spec["tasks"]):
            list(pool.map(run, chans))
    for chan in chans:
        chan._pbe_client.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
