"""known_hosts files read the way OpenSSH reads them, and pbe's host-key check.

paramiko's ``HostKeys`` is not used: a ``@cert-authority`` or ``@revoked`` marker shifts
its fields and it raises on the whole file, it keeps one key per type and host, and it
knows no ``*``/``?``/``!`` host patterns. Here each line keeps its marker, host patterns
and key blob, and keys are compared as blobs (nothing is parsed as a crypto key).

The SSHClient is given no keys at all, so paramiko hands every server key to
``HostKeyCheck`` after key exchange and before authentication: a refused host never
sees a password. ``accept-new`` records a key under a process lock (threads) and an
``flock`` on a lock file beside known_hosts (processes), re-reads the files under them
(someone may have recorded another key for the host meanwhile), and replaces the file
with a complete new copy (temp file + rename), so readers never see half a line.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import logging
import os
import re
import struct
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import paramiko

from ..errors import HostUnreachable
from .sshtarget import os_reason

logger = logging.getLogger("playbook_engine.transport.ssh")  # users filter on this name

HOST_KEY_MODES = ("strict", "accept-new", "off")
_WRITE_LOCK = threading.Lock()  # flock alone would do; this keeps threads off the lock file
_warned: set[str] = set()
_warned_lock = threading.Lock()
_parsed: dict[str, tuple[tuple[int, int, int], KnownHostsFile]] = {}
_parsed_lock = threading.Lock()


# -- reading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownKey:
    """One usable known_hosts line: host patterns, key, and ``FILE:LINE`` for messages."""

    patterns: tuple[str, ...]
    keytype: str
    blob: bytes
    where: str
    revoked: bool = False

    def matches(self, name: str) -> bool:
        """OpenSSH's rule: some pattern matches the name and no negated (``!``) one does."""
        hit = False
        for pattern in self.patterns:
            negated = pattern.startswith("!")
            if _match(pattern[1:] if negated else pattern, name):
                if negated:
                    return False
                hit = True
        return hit

    @property
    def fingerprint(self) -> str:
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode()
        return f"SHA256:{digest.rstrip('=')}"


@dataclass(frozen=True, slots=True)
class KnownHostsFile:
    """A parsed file: its keys, and the lines skipped (CA lines, unreadable lines)."""

    keys: tuple[KnownKey, ...]
    ca_lines: tuple[int, ...] = ()
    bad_lines: tuple[int, ...] = ()


def parse_known_hosts(text: str, path: str) -> KnownHostsFile:
    """Parse known_hosts text; never raises: a line pbe cannot use is skipped and noted."""
    keys: list[KnownKey] = []
    ca: list[int] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else ""
        if marker == "@cert-authority":
            ca.append(number)
        elif key := _key_from(fields, marker, f"{path}:{number}"):
            keys.append(key)
        else:
            bad.append(number)
    return KnownHostsFile(tuple(keys), tuple(ca), tuple(bad))


def _key_from(fields: list[str], marker: str, where: str) -> KnownKey | None:
    if marker not in ("", "@revoked") or len(fields) < 3:
        return None
    try:
        blob = base64.b64decode(fields[2], validate=True)
    except binascii.Error:
        return None
    if _blob_type(blob) != fields[1]:
        return None
    return KnownKey(tuple(fields[0].split(",")), fields[1], blob, where, marker == "@revoked")


def _blob_type(blob: bytes) -> str | None:
    """The key type a public key blob names in its first field (RFC 4253 section 6.6)."""
    if len(blob) < 4:
        return None
    size = struct.unpack(">I", blob[:4])[0]
    if len(blob) < 4 + size:
        return None
    return blob[4 : 4 + size].decode("ascii", "replace")


def _match(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        return _hashed_match(pattern, name)
    return _pattern(pattern.lower()).fullmatch(name.lower()) is not None


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))


def _hashed_match(entry: str, name: str) -> bool:
    """``|1|salt|hash``: HMAC-SHA1 of the name (as written, or lowercased like ssh does)."""
    parts = entry.split("|")
    if len(parts) != 4:
        return False
    try:
        salt, digest = base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except binascii.Error:
        return False
    return any(
        hmac.compare_digest(hmac.new(salt, n.encode(), hashlib.sha1).digest(), digest)
        for n in {name, name.lower()}
    )


def read_known_hosts(paths: Sequence[str]) -> list[KnownKey]:
    """Every usable key in ``paths`` (a missing file has none).

    Raises:
        HostUnreachable: a file exists but cannot be read.
    """
    return [key for path in paths for key in _read_file(path).keys]


def _read_file(path: str) -> KnownHostsFile:
    """The file parsed once while it stays the same (inode, size, mtime): 500 hosts
    would each parse, and keep, their own copy of every line."""
    try:
        st = os.stat(path)
        version = (st.st_ino, st.st_size, st.st_mtime_ns)
        with _parsed_lock:
            cached = _parsed.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return KnownHostsFile(())
    except OSError as exc:
        raise HostUnreachable(f"cannot read known_hosts file {path}: {os_reason(exc)}") from None
    parsed = parse_known_hosts(data.decode("utf-8", "replace"), path)
    _warn_skipped(path, parsed)
    with _parsed_lock:
        _parsed[path] = (version, parsed)
    return parsed


def _warn_skipped(path: str, parsed: KnownHostsFile) -> None:
    """Say once per file (not per host) which lines pbe cannot use."""
    if not (parsed.ca_lines or parsed.bad_lines):
        return
    with _warned_lock:
        if path in _warned:
            return
        _warned.add(path)
    if parsed.ca_lines:
        logger.warning(
            "%s: ignoring @cert-authority line(s) %s: pbe does not verify host certificates, "
            "so hosts covered only by them count as unknown",
            path,
            _numbers(parsed.ca_lines),
        )
    if parsed.bad_lines:
        logger.warning("%s: ignoring unreadable line(s) %s", path, _numbers(parsed.bad_lines))


def _numbers(lines: tuple[int, ...]) -> str:
    shown = ", ".join(str(n) for n in lines[:10])
    return shown + (f" (and {len(lines) - 10} more)" if len(lines) > 10 else "")


# -- deciding ---------------------------------------------------------------------------


def is_known(keys: Sequence[KnownKey], name: str, key: paramiko.PKey) -> bool:
    """Whether ``key`` is trusted for host ``name`` (False: no key is known for it).

    Raises:
        HostUnreachable: ``key`` is revoked, or the host is known with other keys.
    """
    mine = [k for k in keys if k.matches(name)]
    blob = key.asbytes()
    if revoked := next((k for k in mine if k.revoked and k.blob == blob), None):
        raise HostUnreachable(
            f"host key for {name} is REVOKED: the server offered {_describe(key)}, which "
            f"{revoked.where} marks @revoked; refusing to connect"
        )
    trusted = [k for k in mine if not k.revoked]
    if any(k.blob == blob for k in trusted):
        return True
    if trusted:
        raise HostUnreachable(_changed(name, key, trusted))
    return False


def _changed(name: str, key: paramiko.PKey, trusted: list[KnownKey]) -> str:
    shown = [k for k in trusted if k.keytype == key.get_name()] or trusted
    known = ", ".join(f"{k.keytype} {k.fingerprint} ({k.where})" for k in shown)
    return (
        f"host key MISMATCH for {name} — possible man-in-the-middle, or the host key "
        f"changed: the server offered {_describe(key)}, known_hosts has {known} (if the "
        "host was reinstalled, remove its old entry from known_hosts)"
    )


def _describe(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


def known_key_types(keys: Sequence[KnownKey], name: str) -> list[str]:
    """The key types trusted for ``name``, in file order."""
    types = (k.keytype for k in keys if not k.revoked and k.matches(name))
    return list(dict.fromkeys(types))


# -- recording (accept-new) ---------------------------------------------------------------


def remember(path: str, files: Sequence[str], name: str, key: paramiko.PKey) -> bool:
    """Add ``key`` for ``name`` to the known_hosts file ``path``; False if already there.

    Under the locks, ``files`` (which include ``path``) are read again: a key recorded
    for the host since the connection started means this one is a second, different key.

    Raises:
        HostUnreachable: the host is now known with another key (or this one is revoked).
        OSError: the file, its lock or its directory cannot be written.
    """
    real = os.path.realpath(path)  # a symlinked known_hosts stays a symlink
    Path(real).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(real):
        if is_known(read_known_hosts(files), name, key):
            return False
        line = f"{name} {key.get_name()} {key.get_base64()}\n".encode()
        _append_atomically(real, line)
    return True


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """Exclusive across threads and processes. The lock is a separate file: known_hosts
    itself is replaced by rename, so a lock on it would be lost with the old inode."""
    with _WRITE_LOCK, open(f"{path}.lock", "ab") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield  # closing the file releases the flock


def _append_atomically(path: str, line: bytes) -> None:
    """Write old content + ``line`` to a temp file beside ``path`` and rename it over."""
    try:
        old, mode = Path(path).read_bytes(), os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        old, mode = b"", 0o600
    sep = b"\n" if old and not old.endswith(b"\n") else b""
    fd, tmp = tempfile.mkstemp(prefix=".known_hosts.", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(old + sep + line)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- the paramiko policy ----------------------------------------------------------------


class HostKeyCheck(paramiko.MissingHostKeyPolicy):
    """The whole host-key decision for one connection to ``name`` (``host`` or
    ``[host]:port``). Set it on an SSHClient that holds no keys, so paramiko asks it about
    every server key; ``transport`` builds the client's Transport."""

    def __init__(self, mode: str, name: str, files: Sequence[str], save_to: str | None) -> None:
        self.mode = mode
        self.name = name
        self.files = tuple(files)
        self.save_to = save_to
        self.known = [] if mode == "off" else read_known_hosts(self.files)

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        if self.mode == "off":
            logger.warning(
                "host key checking is off: accepting %s for %s", _describe(key), hostname
            )
            return
        if is_known(self.known, hostname, key):
            return
        if self.mode == "accept-new" and self.save_to:
            _record(self.save_to, self.files, hostname, key)
            return
        raise HostUnreachable(
            f"host key for {hostname} is not in known_hosts (use --host-key-checking "
            f"accept-new to trust it); the server offered {_describe(key)}"
        )

    def transport(self, sock: Any, **kwargs: Any) -> paramiko.Transport:
        """A Transport that asks first for the key types known for the host, as ssh does,
        so a server with several host keys offers one that can be checked."""
        transport = paramiko.Transport(sock, **kwargs)
        options = transport.get_security_options()
        wanted = {a for t in known_key_types(self.known, self.name) for a in _algorithms(t)}
        offered = list(options.key_types)
        options.key_types = [a for a in offered if a in wanted] + [
            a for a in offered if a not in wanted
        ]
        return transport


def _record(path: str, files: Sequence[str], hostname: str, key: paramiko.PKey) -> None:
    """Like ssh, a key that cannot be written is still trusted for this connection."""
    try:
        added = remember(path, files, hostname, key)
    except OSError as exc:
        logger.warning(
            "could not record the host key of %s in %s: %s", hostname, path, os_reason(exc)
        )
        return
    if added:
        logger.warning("added new host key %s for %s to %s", _describe(key), hostname, path)


def _algorithms(keytype: str) -> tuple[str, ...]:
    """Signature algorithms that present a key of ``keytype`` (RSA keys sign with SHA-2)."""
    return ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa") if keytype == "ssh-rsa" else (keytype,)
