"""The key ids and fingerprints of an OpenPGP public key, read on the controller.

``rpm_key`` must know which key a file or URL holds before it asks rpm whether that key is
installed. Ansible runs gpg for that; pbe reads the key's packets itself (RFC 4880 / 9580
framing), so the host needs no gpg: a v4 fingerprint is the SHA-1 of the key packet
(prefixed 0x99 and its two-byte length) and its key id the fingerprint's last 16 hex
digits; a v6 fingerprint is a SHA-256 (prefix 0x9B and a four-byte length) whose first 16
hex digits are the key id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

__all__ = ["NotAKey", "PublicKey", "read_keys"]

_PUBLIC_KEY, _PUBLIC_SUBKEY = 6, 14


class NotAKey(ValueError):
    """Not an OpenPGP public key."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A primary key and the fingerprints of it and its subkeys (upper-case hex)."""

    fingerprint: str
    subkeys: tuple[str, ...] = ()

    @property
    def keyid(self) -> str:
        """The long key id (16 hex digits)."""
        return self.fingerprint[-16:] if len(self.fingerprint) == 40 else self.fingerprint[:16]

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return (self.fingerprint, *self.subkeys)


def read_keys(data: bytes) -> list[PublicKey]:
    """The public keys in ASCII-armored (or binary) key data, in order."""
    keys: list[PublicKey] = []
    for tag, body in _packets(_dearmor(data)):
        if tag == _PUBLIC_KEY:
            keys.append(PublicKey(_fingerprint(body)))
        elif tag == _PUBLIC_SUBKEY and keys:
            last = keys[-1]
            keys[-1] = PublicKey(last.fingerprint, (*last.subkeys, _fingerprint(body)))
    if not keys:
        raise NotAKey("no public key in it")
    return keys


def _dearmor(data: bytes) -> bytes:
    """The binary packets: the base64 body between the BEGIN and END lines (headers and
    the checksum line left out), or the data itself when it is not armored."""
    text = data.decode("ascii", "replace")
    if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in text:
        if data[:1] and data[0] & 0x80:
            return data
        raise NotAKey("Unable to parse PGP key armor")
    block = text.split("-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)[1]
    block = block.split("-----END PGP PUBLIC KEY BLOCK-----", 1)[0]
    lines = [line.strip() for line in block.strip("\r\n").splitlines()]
    if "" in lines:  # armor headers end at the first blank line
        lines = lines[lines.index("") + 1 :]
    body = "".join(line for line in lines if line and not line.startswith("="))
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise NotAKey("Unable to parse PGP key armor") from None


def _packets(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, body) of each packet, old and new length formats."""
    out: list[tuple[int, bytes]] = []
    at = 0
    while at < len(data):
        head = data[at]
        if not head & 0x80:
            raise NotAKey("not an OpenPGP packet")
        if head & 0x40:
            tag = head & 0x3F
            length, at = _new_length(data, at + 1)
        else:
            tag = (head >> 2) & 0x0F
            length, at = _old_length(data, at + 1, head & 0x03)
        if at + length > len(data):
            raise NotAKey("truncated OpenPGP packet")
        out.append((tag, data[at : at + length]))
        at += length
    return out


def _new_length(data: bytes, at: int) -> tuple[int, int]:
    first = _byte(data, at)
    if first < 192:
        return first, at + 1
    if first < 224:
        return ((first - 192) << 8) + _byte(data, at + 1) + 192, at + 2
    if first == 255:
        return int.from_bytes(data[at + 1 : at + 5], "big"), at + 5
    raise NotAKey("partial packet lengths do not occur in keys")


def _old_length(data: bytes, at: int, kind: int) -> tuple[int, int]:
    if kind == 3:
        return len(data) - at, at
    size = (1, 2, 4)[kind]
    return int.from_bytes(data[at : at + size], "big"), at + size


def _byte(data: bytes, at: int) -> int:
    if at >= len(data):
        raise NotAKey("truncated OpenPGP packet")
    return data[at]


def _fingerprint(body: bytes) -> str:
    version = body[0] if body else 0
    if version == 4:
        return hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
    if version == 6:
        return hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    raise NotAKey(f"OpenPGP key version {version} is not supported")
