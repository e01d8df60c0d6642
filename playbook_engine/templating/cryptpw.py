"""Unix crypt(3) password hashes — SHA-512, SHA-256 and MD5 — in pure Python.

Python 3.13 removed the ``crypt`` module, and pbe adds no dependency for ``password_hash``,
so the three schemes ``/etc/shadow`` uses are written here from their published
specifications: Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" and Poul-Henning
Kamp's MD5-crypt. The output is what glibc, libxcrypt and ``openssl passwd -1/-5/-6`` make
for the same salt. As in Ansible, SHA hashes always carry their rounds (Ansible's defaults:
656000 for SHA-512, 535000 for SHA-256), so a hash does not depend on the host's default.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["crypt_hash", "password_hash", "random_salt"]

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SALT_CHARS = frozenset(_ITOA64)


@dataclass(frozen=True)
class _Scheme:
    ident: str
    salt_size: int
    default_rounds: int | None
    order: tuple[tuple[int, ...], ...]  # digest bytes per output group, high byte first


# Which digest bytes make each output group (high byte first), from the specifications.
_SHA512_ORDER = (
    (0, 21, 42),
    (22, 43, 1),
    (44, 2, 23),
    (3, 24, 45),
    (25, 46, 4),
    (47, 5, 26),
    (6, 27, 48),
    (28, 49, 7),
    (50, 8, 29),
    (9, 30, 51),
    (31, 52, 10),
    (53, 11, 32),
    (12, 33, 54),
    (34, 55, 13),
    (56, 14, 35),
    (15, 36, 57),
    (37, 58, 16),
    (59, 17, 38),
    (18, 39, 60),
    (40, 61, 19),
    (62, 20, 41),
    (63,),
)
_SHA256_ORDER = (
    (0, 10, 20),
    (21, 1, 11),
    (12, 22, 2),
    (3, 13, 23),
    (24, 4, 14),
    (15, 25, 5),
    (6, 16, 26),
    (27, 7, 17),
    (18, 28, 8),
    (9, 19, 29),
    (31, 30),
)
_MD5_ORDER = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5), (11,))

_SCHEMES = {
    "sha512": _Scheme("6", 16, 656000, _SHA512_ORDER),
    "sha256": _Scheme("5", 16, 535000, _SHA256_ORDER),
    "md5": _Scheme("1", 8, None, _MD5_ORDER),
}
_ALIASES = {"sha512_crypt": "sha512", "sha256_crypt": "sha256", "md5_crypt": "md5"}


def _encode(digest: bytes, order: tuple[tuple[int, ...], ...]) -> str:
    """crypt's base-64: each group of bytes (high first) as 6-bit chars, low bits first."""
    out = []
    for group in order:
        value = 0
        for index in group:
            value = (value << 8) | digest[index]
        chars = len(group) + 1
        for _ in range(chars):
            out.append(_ITOA64[value & 0x3F])
            value >>= 6
    return "".join(out)


def _repeat(block: bytes, length: int) -> bytes:
    return (block * (length // len(block) + 1))[:length]


def _sha_crypt(password: bytes, salt: bytes, rounds: int, new: Callable[..., Any]) -> bytes:
    """The digest of Drepper's SHA-crypt (steps 1-21 of the specification)."""
    alt = new(password + salt + password).digest()
    start = new(password + salt + _repeat(alt, len(password)))
    length = len(password)
    while length:
        start.update(alt if length & 1 else password)
        length >>= 1
    current = start.digest()
    p_bytes = _repeat(new(password * len(password)).digest(), len(password))
    s_bytes = _repeat(new(salt * (16 + current[0])).digest(), len(salt))
    for i in range(rounds):
        step = new(p_bytes if i & 1 else current)
        if i % 3:
            step.update(s_bytes)
        if i % 7:
            step.update(p_bytes)
        step.update(current if i & 1 else p_bytes)
        current = step.digest()
    return bytes(current)


def _md5_crypt(password: bytes, salt: bytes) -> bytes:
    """The digest of Kamp's MD5-crypt: 1000 rounds over password, salt and ``$1$``."""
    alt = hashlib.md5(password + salt + password).digest()  # noqa: S324 - it is the scheme
    ctx = hashlib.md5(password + b"$1$" + salt + _repeat(alt, len(password)))  # noqa: S324
    length = len(password)
    while length:
        ctx.update(b"\0" if length & 1 else password[:1])
        length >>= 1
    current = ctx.digest()
    for i in range(1000):
        step = hashlib.md5(password if i & 1 else current)  # noqa: S324
        if i % 3:
            step.update(salt)
        if i % 7:
            step.update(password)
        step.update(current if i & 1 else password)
        current = step.digest()
    return current


def crypt_hash(password: str, scheme: str, salt: str, rounds: int | None = None) -> str:
    """The crypt(3) string of ``password``; ``scheme`` is sha512, sha256 or md5."""
    spec = _SCHEMES[scheme]
    secret, salt_bytes = password.encode("utf-8"), salt.encode("ascii")
    if spec.default_rounds is None:
        digest = _md5_crypt(secret, salt_bytes)
        return f"$1${salt}${_encode(digest, spec.order)}"
    count = min(max(spec.default_rounds if rounds is None else rounds, 1000), 999_999_999)
    new = hashlib.sha512 if scheme == "sha512" else hashlib.sha256
    digest = _sha_crypt(secret, salt_bytes, count, new)
    # crypt(3)'s default count goes unwritten, as Ansible writes it (the same hash)
    setting = "" if count == _CRYPT_DEFAULT_ROUNDS else f"rounds={count}$"
    return f"${spec.ident}${setting}{salt}${_encode(digest, spec.order)}"


_CRYPT_DEFAULT_ROUNDS = 5000


def random_salt(size: int) -> str:
    return "".join(secrets.choice(_ITOA64) for _ in range(size))


def scheme_of(hashtype: Any) -> str:
    """The scheme for an Ansible/passlib hash name; ValueError names the ones pbe has."""
    name = str(hashtype).strip().lower()
    name = _ALIASES.get(name, name)
    if name not in _SCHEMES:
        hint = (
            " (bcrypt needs passlib, which pbe does not use)"
            if name in ("bcrypt", "blowfish")
            else ""
        )
        raise ValueError(
            f"password_hash does not support the hash type {hashtype!r}{hint}; pbe has "
            "sha512, sha256 and md5 (also as sha512_crypt, sha256_crypt, md5_crypt)"
        )
    return name


def checked_salt(scheme: str, salt: Any, salt_size: Any = None) -> str:
    """``salt`` as given (validated), or a new random one of ``salt_size`` characters."""
    limit = _SCHEMES[scheme].salt_size
    whole = isinstance(salt_size, int) and not isinstance(salt_size, bool)
    if not (salt_size is None or whole or str(salt_size).strip().isdigit()):
        raise ValueError(f"salt_size must be an integer, got {salt_size!r}")
    size = limit if salt_size is None else int(salt_size)
    if not 0 < size <= limit:
        raise ValueError(f"invalid salt size {size} for {scheme}, expected 1 to {limit}")
    if salt is None or salt == "":
        return random_salt(size)
    text = str(salt)
    if not set(text) <= SALT_CHARS:
        raise ValueError("invalid characters in salt (allowed: a-z A-Z 0-9 . /)")
    if len(text) > limit:
        raise ValueError(f"invalid salt size {len(text)} for {scheme}, expected at most {limit}")
    return text


def password_hash(
    password: Any,
    hashtype: str = "sha512",
    salt: Any = None,
    salt_size: Any = None,
    rounds: Any = None,
    ident: Any = None,
) -> str:
    """Ansible's ``password_hash`` filter: a crypt(3) hash for ``/etc/shadow``.

    Without ``salt`` a random one is used, so the result changes on every run: pass a
    fixed salt (e.g. ``'secret' | password_hash('sha512', 'mysalt')``) to stay idempotent."""
    scheme = scheme_of(hashtype)
    if ident is not None:
        raise ValueError("password_hash: `ident` only applies to bcrypt, which pbe lacks")
    if rounds is not None and scheme == "md5":
        raise ValueError("password_hash: md5 has a fixed number of rounds")
    count = None if rounds is None else int(rounds)
    return crypt_hash(str(password), scheme, checked_salt(scheme, salt, salt_size), count)
