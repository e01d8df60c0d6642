"""Where and to whom an SSH connection goes, before any byte is sent: the target resolved
from the spec, ``~/.ssh/config`` and defaults (in that order), and the host-key policy
with its known_hosts files. Pure decisions, apart from reading and appending known_hosts.
"""

from __future__ import annotations

import getpass
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import paramiko

from ..errors import HostUnreachable
from .base import ConnectionSpec

logger = logging.getLogger("playbook_engine.transport.ssh")

HOST_KEY_MODES = ("strict", "accept-new", "off")
GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"
DEFAULT_KEYS = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")
_KNOWN_HOSTS_LOCK = threading.Lock()  # accept-new appends from many worker threads


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# -- where to connect: spec > ssh config > defaults -------------------------------------


@dataclass(frozen=True, slots=True)
class SSHTarget:
    """Where and as whom to connect, after merging the spec, ssh config and defaults."""

    hostname: str
    port: int
    user: str
    key_files: tuple[str, ...]
    known_hosts_files: tuple[str, ...]
    allow_agent: bool = True

    @property
    def label(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return f"{host}:{self.port}"

    @property
    def known_hosts_name(self) -> str:
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"


def resolve_target(spec: ConnectionSpec) -> SSHTarget:
    """Apply OpenSSH's precedence: explicit spec values, then ssh config, then defaults.

    ``spec.address`` is looked up in the config like the name given to ``ssh``, so an
    alias may map to another HostName, Port, User and IdentityFile.
    """
    cfg = _ssh_config(spec).lookup(spec.address)
    _refuse_proxies(spec.address, cfg)
    return SSHTarget(
        hostname=cfg.get("hostname", spec.address),
        port=spec.port or _config_port(cfg),
        user=spec.user or cfg.get("user") or getpass.getuser(),
        key_files=_key_files(spec, cfg),
        known_hosts_files=_known_hosts_files(spec, cfg),
        allow_agent=cfg.get("identitiesonly", "no").lower() != "yes",
    )


def _key_files(spec: ConnectionSpec, cfg: paramiko.SSHConfigDict) -> tuple[str, ...]:
    """Like ssh: the explicit key, then IdentityFiles that exist; defaults only if neither."""
    configured = [os.path.expanduser(k) for k in cfg.get("identityfile", [])]
    explicit = [_readable_key(spec.private_key_file)] if spec.private_key_file else []
    if not explicit and not configured:
        configured = [os.path.expanduser(k) for k in DEFAULT_KEYS]
    return tuple(dict.fromkeys(explicit + [k for k in configured if os.path.exists(k)]))


def _config_port(cfg: paramiko.SSHConfigDict) -> int:
    try:
        return int(cfg.get("port", 22))
    except ValueError:
        raise HostUnreachable(f"ssh config has a bad Port: {cfg.get('port')!r}") from None


def _refuse_proxies(address: str, cfg: paramiko.SSHConfigDict) -> None:
    """Connecting directly when the config says to go through a proxy would only confuse."""
    for option in ("proxyjump", "proxycommand"):
        if cfg.get(option, "none").lower() != "none":
            raise HostUnreachable(
                f"ssh config sets {option} for {address}, which pbe does not support yet")


def _readable_key(path: str) -> str:
    """An explicitly named key must exist: failing later would blame the network."""
    path = os.path.expanduser(path)
    try:
        with open(path, "rb"):
            return path
    except OSError as exc:
        raise HostUnreachable(f"cannot read private key file {path}: {_reason(exc)}") from None


def _ssh_config(spec: ConnectionSpec) -> paramiko.SSHConfig:
    path = spec.ssh_config_file or os.path.expanduser("~/.ssh/config")
    if spec.ssh_config_file is None and not os.path.exists(path):
        return paramiko.SSHConfig()
    try:
        return paramiko.SSHConfig.from_path(path)
    except (OSError, paramiko.ConfigParseError) as exc:
        raise HostUnreachable(f"cannot read ssh config {path}: {_reason(exc)}") from None


def _known_hosts_files(spec: ConnectionSpec, cfg: paramiko.SSHConfigDict) -> tuple[str, ...]:
    """Explicit files first (new keys go to the first one), then the user's, then global."""
    user_files = cfg.get("userknownhostsfile", "~/.ssh/known_hosts").split()
    global_files = cfg.get("globalknownhostsfile", GLOBAL_KNOWN_HOSTS).split()
    paths = [os.path.expanduser(p) for p in [*spec.known_hosts_files, *user_files]]
    return tuple(dict.fromkeys([*paths, *global_files]))


class _HostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Decides about keys absent from known_hosts; SSHClient itself rejects mismatches."""

    def __init__(self, mode: str, save_to: str | None) -> None:
        self.mode = mode
        self.save_to = save_to

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        fingerprint = f"{key.get_name()} {key.fingerprint}"
        if self.mode == "off":
            logger.warning("host key checking is off: accepting %s for %s", fingerprint, hostname)
            return
        if self.mode == "accept-new" and self.save_to:
            _remember_host_key(self.save_to, hostname, key)
            logger.warning("added new host key %s for %s to %s", fingerprint, hostname,
                           self.save_to)
            return
        raise HostUnreachable(
            f"host key for {hostname} is not in known_hosts (use --host-key-checking "
            f"accept-new to trust it); the server offered {fingerprint}"
        )


def _remember_host_key(path: str, hostname: str, key: paramiko.PKey) -> None:
    """Append the key unless another thread just did; a failed write only warns (like ssh)."""
    with _KNOWN_HOSTS_LOCK:
        try:
            if os.path.exists(path):
                known = paramiko.HostKeys(path)
                if known.check(hostname, key):
                    return
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(path, "a+b") as fh:
                fh.seek(0, os.SEEK_END)
                sep = b"\n" if fh.tell() and not _ends_with_newline(fh) else b""
                fh.write(sep + f"{hostname} {key.get_name()} {key.get_base64()}\n".encode())
        except (OSError, paramiko.SSHException) as exc:
            logger.warning("could not record the host key of %s in %s: %s", hostname, path,
                           _reason(exc))


def _ends_with_newline(fh: IO[bytes]) -> bool:
    fh.seek(-1, os.SEEK_END)
    last = fh.read(1)
    fh.seek(0, os.SEEK_END)
    return last == b"\n"


def _load_known_hosts(client: paramiko.SSHClient, path: str) -> None:
    if not os.path.exists(path):
        return
    try:
        client.load_system_host_keys(path)
    except (OSError, paramiko.SSHException) as exc:
        raise HostUnreachable(f"cannot read known_hosts file {path}: {_reason(exc)}") from None
