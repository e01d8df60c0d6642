"""Where and to whom an SSH connection goes, before any byte is sent: the target resolved
from the spec, ``~/.ssh/config`` and defaults (in that order), with its known_hosts files.
Reading and recording host keys is ``knownhosts.py``'s job.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

import paramiko

from ..errors import HostUnreachable
from .base import ConnectionSpec

GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"
DEFAULT_KEYS = ("~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa")


def os_reason(exc: BaseException) -> str:
    """An error as a user reads it: the OS's words when there are some."""
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
                f"ssh config sets {option} for {address}, which pbe does not support yet"
            )


def _readable_key(path: str) -> str:
    """An explicitly named key must exist: failing later would blame the network."""
    path = os.path.expanduser(path)
    try:
        with open(path, "rb"):
            return path
    except OSError as exc:
        raise HostUnreachable(f"cannot read private key file {path}: {os_reason(exc)}") from None


def _ssh_config(spec: ConnectionSpec) -> paramiko.SSHConfig:
    path = spec.ssh_config_file or os.path.expanduser("~/.ssh/config")
    if spec.ssh_config_file is None and not os.path.exists(path):
        return paramiko.SSHConfig()
    try:
        return paramiko.SSHConfig.from_path(path)
    except (OSError, paramiko.ConfigParseError) as exc:
        raise HostUnreachable(f"cannot read ssh config {path}: {os_reason(exc)}") from None


def _known_hosts_files(spec: ConnectionSpec, cfg: paramiko.SSHConfigDict) -> tuple[str, ...]:
    """Explicit files first (new keys go to the first one), then the user's, then global."""
    user_files = cfg.get("userknownhostsfile", "~/.ssh/known_hosts").split()
    global_files = cfg.get("globalknownhostsfile", GLOBAL_KNOWN_HOSTS).split()
    paths = [os.path.expanduser(p) for p in [*spec.known_hosts_files, *user_files]]
    return tuple(dict.fromkeys([*paths, *global_files]))
