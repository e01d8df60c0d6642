"""A fleet of real OpenSSH daemons on loopback addresses, for tests and benchmarks.

``Fleet`` starts one ``sshd -D`` per host on 127.0.0.<n>, each with its own host key,
config and log file. All of them let the unprivileged user ``pbetest`` in with a generated
client key or a known password, and that user may ``sudo`` without a password (for
``become``). The hosts share this machine's filesystem, so each gets its own work
directory. Root is needed to run sshd as a real server and to create the user;
``fleet_available()`` says why a fleet cannot run here::

    with Fleet(Path(tempfile.mkdtemp())) as fleet:
        conn = SSHConnection.open(fleet.spec("h01"))
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from ..transport.base import ConnectionSpec

__all__ = ["Fleet", "FleetHost", "fleet_available"]

SSHD = "/usr/sbin/sshd"
TEST_USER = "pbetest"
SUDOERS_FILE = Path("/etc/sudoers.d/pbetest")
READY_TIMEOUT = 10.0
# SHA-512 crypt of Fleet.password, so setting it costs no hashing (and is skipped when set).
_PASSWORD_HASH = (
    "$6$pbetestfleet$byYXhPKGy9FtMTvBrU1ElGyse8crlPTTrIPtog3UnUn3co5dixfdtKcy2PMLOoBHweEMW"
    "x/ovEcs6q8QOYZ901"
)
_live: set[Fleet] = set()


@dataclass(frozen=True, slots=True)
class FleetHost:
    """One daemon of the fleet; ``workdir`` is this host's private, pbetest-writable dir."""

    name: str
    address: str
    port: int
    host_key_path: Path
    workdir: Path
    log_path: Path

    @property
    def known_hosts_name(self) -> str:
        return f"[{self.address}]:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.host_key_path.parent / "sshd_config"


class FleetError(RuntimeError):
    """The fleet could not be started; the message says which host and why."""


def fleet_available() -> str | None:
    """None if a fleet can run on this machine, else the reason it cannot."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the sshd fleet needs root (to run sshd and create the pbetest user)"
    if not os.access(SSHD, os.X_OK):
        return f"OpenSSH server is not installed ({SSHD} missing)"
    for tool in ("ssh-keygen", "useradd", "sudo"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


class Fleet:
    """Real sshd daemons on 127.0.0.<first_octet>.. for as long as the context lasts."""

    user = TEST_USER
    password = "pbetest-fleet-pw"

    def __init__(
        self, root: Path, size: int = 5, first_octet: int = 11, sshd_options: Sequence[str] = ()
    ) -> None:
        """``sshd_options``: extra sshd_config lines for every host, e.g. "RekeyLimit 1M"."""
        if size < 1 or not 1 < first_octet <= 255 - size:
            raise ValueError(f"cannot fit {size} hosts from 127.0.0.{first_octet}")
        self.root = Path(root).resolve()
        self.size = size
        self.first_octet = first_octet
        self.sshd_options = tuple(sshd_options)
        self.private_key = self.root / "client_ed25519"
        self.known_hosts = self.root / "known_hosts"
        self.authorized_keys = self.root / "authorized_keys"
        self.ssh_config = self.root / "ssh_config"
        self.hosts: list[FleetHost] = []
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Fleet:
        """Start every daemon and return once all accept connections.

        The daemons die with the thread that started them (PR_SET_PDEATHSIG), so a killed
        test run leaves none behind: start the fleet from a thread that outlives it.

        Raises:
            FleetError: with the reason (including ``fleet_available()``'s).
        """
        if reason := fleet_available():
            raise FleetError(reason)
        _live.add(self)
        try:
            self._prepare()
            self._start_daemons()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Kill every daemon this fleet started, and the sessions they forked; idempotent."""
        procs, self._procs = self._procs, {}
        for proc in procs.values():
            _kill_tree(proc)
        _live.discard(self)

    def host(self, name: str) -> FleetHost:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def spec(self, host: str | FleetHost, **overrides: Any) -> ConnectionSpec:
        """A ConnectionSpec for ``host`` with the fleet's user, key and known_hosts.

        It uses the fleet's own ``ssh_config`` (no user or global known_hosts) instead of
        ``~/.ssh/config``, so a developer's own files cannot change what the tests see.
        """
        h = self.host(host) if isinstance(host, str) else host
        spec = ConnectionSpec(
            host=h.name,
            address=h.address,
            port=h.port,
            user=self.user,
            private_key_file=str(self.private_key),
            known_hosts_files=(str(self.known_hosts),),
            ssh_config_file=str(self.ssh_config),
            connect_timeout=5.0,
        )
        return replace(spec, **overrides)

    def write_inventory(
        self,
        path: Path,
        extra_vars: Mapping[str, Any] | None = None,
        hosts: Iterable[FleetHost | str] | None = None,
    ) -> Path:
        """Write an Ansible YAML inventory of (some of) the hosts, all in group ``fleet``."""
        picked = self.hosts if hosts is None else hosts
        chosen = [self.host(h) if isinstance(h, str) else h for h in picked]
        entries = {
            h.name: {
                "ansible_host": h.address,
                "ansible_port": h.port,
                "ansible_user": self.user,
                "ansible_ssh_private_key_file": str(self.private_key),
            }
            for h in chosen
        }
        group: dict[str, Any] = {
            "hosts": entries,
            "children": {"fleet": {"hosts": {h.name: None for h in chosen}}},
        }
        if extra_vars:
            group["vars"] = dict(extra_vars)
        path = Path(path)
        path.write_text(yaml.safe_dump({"all": group}, sort_keys=False))
        return path

    def make_workdirs(self, label: str) -> dict[str, Path]:
        """A fresh, empty directory per host (name -> path), owned by pbetest.

        The hosts share one filesystem, so a test that writes files gives each host its own.
        """
        user = pwd.getpwnam(TEST_USER)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label)[:60] or "work"
        dirs = {}
        for host in self.hosts:
            path = Path(tempfile.mkdtemp(prefix=f"{safe}-", dir=host.workdir))
            path.chmod(0o755)
            os.chown(path, user.pw_uid, user.pw_gid)
            dirs[host.name] = path
        return dirs

    def kill_sessions(self, name: str) -> int:
        """Kill every open SSH connection to host ``name`` (not the daemon); returns how many
        processes were signalled. For testing how pbe copes with a connection dropped mid-run.
        """
        proc = self._procs[name]
        victims = _descendants(proc.pid)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(victims)

    # -- setup -------------------------------------------------------------------------

    def _prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        _check_searchable(self.root)
        ensure_test_user()
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        client_pub = _keygen(self.private_key, "pbe-fleet-client")
        self.authorized_keys.write_text(client_pub + "\n")
        self.authorized_keys.chmod(0o644)
        self.ssh_config.write_text(
            "Host *\n    UserKnownHostsFile /dev/null\n    GlobalKnownHostsFile /dev/null\n"
        )
        user = pwd.getpwnam(TEST_USER)
        for i in range(self.size):
            hostdir = self.root / f"h{i + 1:02d}"
            workdir = hostdir / "work"
            workdir.mkdir(parents=True, exist_ok=True)
            os.chown(workdir, user.pw_uid, user.pw_gid)
            _keygen(hostdir / "ssh_host_ed25519_key", f"pbe-fleet-h{i + 1:02d}")

    def _start_daemons(self) -> None:
        """Pick a port free on every address, launch, wait; retry if the port got taken."""
        addresses = [f"127.0.0.{self.first_octet + i}" for i in range(self.size)]
        for _attempt in range(3):
            port = _free_port(addresses)
            self.hosts = [self._configure(i, addr, port) for i, addr in enumerate(addresses)]
            self._write_known_hosts()
            for host in self.hosts:
                self._procs[host.name] = _launch(host)
            try:
                self._wait_ready()
                return
            except _PortTaken:
                for proc in self._procs.values():
                    _kill_tree(proc)
                self._procs = {}
        raise FleetError("no port stayed free on all fleet addresses after 3 attempts")

    def _configure(self, index: int, address: str, port: int) -> FleetHost:
        hostdir = self.root / f"h{index + 1:02d}"
        host = FleetHost(
            name=f"h{index + 1:02d}",
            address=address,
            port=port,
            host_key_path=hostdir / "ssh_host_ed25519_key",
            workdir=hostdir / "work",
            log_path=hostdir / "sshd.log",
        )
        text = _sshd_config(host, self.authorized_keys)
        host.config_path.write_text(text + "".join(f"{line}\n" for line in self.sshd_options))
        return host

    def _write_known_hosts(self) -> None:
        lines = []
        for host in self.hosts:
            key = Path(f"{host.host_key_path}.pub").read_text().split()[:2]
            lines.append(f"{host.known_hosts_name} {' '.join(key)}\n")
        self.known_hosts.write_text("".join(lines))

    def _wait_ready(self) -> None:
        """Poll-connect every daemon (bounded); a daemon that exits is reported with its log."""
        pending = list(self.hosts)
        deadline = time.monotonic() + READY_TIMEOUT
        while pending:
            for host in list(pending):
                self._check_alive(host)
                if _accepts(host.address, host.port):
                    pending.remove(host)
            if pending and time.monotonic() > deadline:
                names = ", ".join(h.name for h in pending)
                raise FleetError(f"sshd not accepting connections after {READY_TIMEOUT}s: {names}")
            if pending:
                time.sleep(0.005)

    def _check_alive(self, host: FleetHost) -> None:
        rc = self._procs[host.name].poll()
        if rc is None:
            return
        log = host.log_path.read_text(errors="replace")[-2000:]
        if "Address already in use" in log:
            raise _PortTaken(host.name)
        raise FleetError(f"sshd for {host.name} exited with status {rc}:\n{log}")


class _PortTaken(FleetError):
    pass


def ensure_test_user() -> None:
    """Create ``pbetest`` (shell /bin/sh, own home), set its password, allow it sudo."""
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/sh", TEST_USER],
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            pwd.getpwnam(TEST_USER)  # another process may have won the race: fine
        except KeyError:
            raise FleetError(f"useradd {TEST_USER} failed: {made.stderr.strip()}") from None
    if _shadow_hash(TEST_USER) != _PASSWORD_HASH:
        subprocess.run(
            ["chpasswd", "-e"],
            input=f"{TEST_USER}:{_PASSWORD_HASH}\n".encode(),
            capture_output=True,
            check=True,
        )
    # Passwordless sudo, except to `nobody`: that one asks for the password (the last
    # matching rule wins), so become-with-password is tested against a real prompt.
    rule = f"{TEST_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n{TEST_USER} ALL=(nobody) PASSWD: ALL\n"
    if not SUDOERS_FILE.exists() or SUDOERS_FILE.read_text() != rule:
        SUDOERS_FILE.parent.mkdir(mode=0o755, exist_ok=True)
        SUDOERS_FILE.write_text(rule)
        SUDOERS_FILE.chmod(0o440)


def _shadow_hash(user: str) -> str | None:
    with open("/etc/shadow") as shadow:
        for line in shadow:
            fields = line.split(":")
            if fields[0] == user and len(fields) > 1:
                return fields[1]
    return None


def _check_searchable(path: Path) -> None:
    """sshd reads authorized_keys as pbetest, so every parent must be world-searchable."""
    for parent in [path, *path.parents]:
        if not parent.stat().st_mode & 0o001:
            raise FleetError(
                f"{parent} is not searchable by {TEST_USER}; put the fleet root in a "
                "world-searchable place such as tempfile.mkdtemp()"
            )


def _keygen(path: Path, comment: str) -> str:
    """Generate an ed25519 key pair at ``path`` (replacing one there); return the public line."""
    for stale in (path, Path(f"{path}.pub")):
        stale.unlink(missing_ok=True)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return Path(f"{path}.pub").read_text().strip()


def _free_port(addresses: list[str]) -> int:
    """A port below the ephemeral range that is bindable on every address right now."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        if all(_bindable(addr, port) for addr in addresses):
            return port
    raise FleetError("found no port free on all fleet addresses")


def _bindable(address: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _accepts(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


@cache
def _sshd_version() -> tuple[int, int]:
    out = subprocess.run([SSHD, "-V"], capture_output=True, text=True, check=False)
    match = re.search(r"OpenSSH_(\d+)\.(\d+)", out.stdout + out.stderr)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def _sshd_config(host: FleetHost, authorized_keys: Path) -> str:
    lines = [
        f"ListenAddress {host.address}:{host.port}",
        f"HostKey {host.host_key_path}",
        f"PidFile {host.host_key_path.parent / 'sshd.pid'}",
        f"AuthorizedKeysFile {authorized_keys}",
        f"AllowUsers {TEST_USER}",
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        "LogLevel VERBOSE",
        "MaxSessions 100",
        "MaxStartups 200",
        "MaxAuthTries 20",
        "UseDNS no",
        "PrintMotd no",
        "PrintLastLog no",
        "X11Forwarding no",
        "Subsystem sftp internal-sftp",
    ]
    if _sshd_version() >= (9, 8):  # don't lock out loopback after the auth-failure tests
        lines.append("PerSourcePenalties no")
    return "\n".join(lines) + "\n"


def _launch(host: FleetHost) -> subprocess.Popen[bytes]:
    with open(host.log_path, "ab") as log:
        return subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(host.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=_die_with_parent,
        )


def _die_with_parent() -> None:
    """In the child before exec: have the kernel SIGTERM sshd if the test process dies."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def _load_prctl() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """Stop a listener and its per-connection children (they call setsid, so no killpg)."""
    victims = [proc.pid, *_descendants(proc.pid)]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(entry.path, "stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(), [])
        found.extend(kids)
        todo.extend(kids)
    return found


@atexit.register
def _stop_all() -> None:
    """Safety net: no daemon outlives the process that started it."""
    for fleet in list(_live):
        fleet.stop()
