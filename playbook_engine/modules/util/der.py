"""Just enough DER to read keys, CSRs and certificates the host's openssl printed.

The crypto modules compare what a host has with what a task asks for on the controller,
from the DER bytes of the objects (``openssl ... -outform DER | openssl base64``): a
public key's algorithm, size and curve, a name's attributes, a CSR's or certificate's
extensions. Reading them here, not from ``openssl -text``, keeps the comparison the same
whatever the host's openssl version prints. Pure functions, no crypto library.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

__all__ = [
    "CURVE_OIDS",
    "KEY_OIDS",
    "Cert",
    "DerError",
    "Extension",
    "KeyInfo",
    "Node",
    "oid_text",
    "parse",
    "parse_cert",
    "parse_csr",
    "parse_spki",
]

KEY_OIDS = {
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.10040.4.1": "DSA",
    "1.2.840.10045.2.1": "ECC",
    "1.3.101.110": "X25519",
    "1.3.101.111": "X448",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
}
CURVE_OIDS = {
    "1.2.840.10045.3.1.1": "secp192r1",
    "1.2.840.10045.3.1.7": "secp256r1",
    "1.3.132.0.33": "secp224r1",
    "1.3.132.0.10": "secp256k1",
    "1.3.132.0.34": "secp384r1",
    "1.3.132.0.35": "secp521r1",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
    "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
    "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
    "1.3.132.0.1": "sect163k1",
    "1.3.132.0.15": "sect163r2",
    "1.3.132.0.26": "sect233k1",
    "1.3.132.0.27": "sect233r1",
    "1.3.132.0.16": "sect283k1",
    "1.3.132.0.17": "sect283r1",
    "1.3.132.0.36": "sect409k1",
    "1.3.132.0.37": "sect409r1",
    "1.3.132.0.38": "sect571k1",
    "1.3.132.0.39": "sect571r1",
}
_CURVE_BITS = {
    "secp192r1": 192,
    "secp224r1": 224,
    "secp256r1": 256,
    "secp256k1": 256,
    "secp384r1": 384,
    "secp521r1": 521,
    "brainpoolP256r1": 256,
    "brainpoolP384r1": 384,
    "brainpoolP512r1": 512,
}
_EXT_NAMES = {
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.15": "keyUsage",
    "2.5.29.17": "subjectAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.30": "nameConstraints",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.37": "extendedKeyUsage",
    "1.3.6.1.5.5.7.1.24": "tlsfeature",
}
_KEY_USAGE_BITS = (
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
)
_GENERAL_NAMES = {0: "otherName", 1: "email", 2: "DNS", 4: "dirName", 6: "URI", 7: "IP", 8: "RID"}


class DerError(ValueError):
    """The bytes are not the DER structure expected."""


@dataclass(frozen=True, slots=True)
class Node:
    """One TLV: its tag byte, its content, and the whole encoding (for re-hashing)."""

    tag: int
    content: bytes
    raw: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list[Node]:
        return parse_all(self.content)

    def integer(self) -> int:
        return int.from_bytes(self.content, "big", signed=True)

    def oid(self) -> str:
        return oid_text(self.content)

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def parse(data: bytes, pos: int = 0) -> tuple[Node, int]:
    """The TLV at ``pos`` and the position after it."""
    if pos + 2 > len(data):
        raise DerError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise DerError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise DerError("truncated DER")
    return Node(tag, data[start:end], data[pos:end]), end


def parse_all(data: bytes) -> list[Node]:
    nodes, pos = [], 0
    while pos < len(data):
        node, pos = parse(data, pos)
        nodes.append(node)
    return nodes


def oid_text(content: bytes) -> str:
    if not content:
        raise DerError("empty OID")
    first = content[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(map(str, parts))


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A SubjectPublicKeyInfo: the algorithm pbe calls the key type, its size and curve."""

    type: str
    size: int | None
    curve: str | None
    der: bytes  # the whole SubjectPublicKeyInfo, as fingerprints hash it
    key: bytes  # the BIT STRING's bits: the key itself


def parse_spki(der: bytes) -> KeyInfo:
    spki, _ = parse(der)
    alg, bits = spki.children()[:2]
    alg_parts = alg.children()
    kind = KEY_OIDS.get(alg_parts[0].oid(), alg_parts[0].oid())
    key = bits.content[1:]
    curve = size = None
    if kind == "RSA":
        size = parse(key)[0].children()[0].integer().bit_length()
    elif kind == "DSA":
        size = alg_parts[1].children()[0].integer().bit_length()
    elif kind == "ECC":
        curve = CURVE_OIDS.get(alg_parts[1].oid(), alg_parts[1].oid())
        size = _CURVE_BITS.get(curve)
    return KeyInfo(kind, size, curve, spki.raw, key)


@dataclass(frozen=True, slots=True)
class Extension:
    oid: str
    critical: bool
    value: bytes  # the extension's own DER

    @property
    def name(self) -> str:
        return _EXT_NAMES.get(self.oid, self.oid)


@dataclass(frozen=True, slots=True)
class Cert:
    """What the modules compare of a CSR or certificate (issuer only for certificates)."""

    subject: list[tuple[str, str]]
    spki: KeyInfo
    extensions: list[Extension] = field(default_factory=list)
    issuer: list[tuple[str, str]] = field(default_factory=list)
    subject_raw: bytes = b""
    issuer_raw: bytes = b""

    def ext(self, name: str) -> Extension | None:
        return next((e for e in self.extensions if e.name == name), None)


def parse_name(node: Node) -> list[tuple[str, str]]:
    """A Name as (attribute OID, value) pairs, in order."""
    out = []
    for rdn in node.children():
        for atv in rdn.children():
            oid, value = atv.children()[:2]
            out.append((oid.oid(), value.text()))
    return out


def parse_csr(der: bytes) -> Cert:
    info = parse(der)[0].children()[0]
    _version, subject, spki, *rest = info.children()
    extensions: list[Extension] = []
    for attrs in rest:  # [0] attributes: extensionRequest holds the extensions
        for attr in attrs.children():
            oid, values = attr.children()[:2]
            if oid.oid() == "1.2.840.113549.1.9.14":
                extensions = _extensions(values.children()[0])
    return Cert(parse_name(subject), parse_spki(spki.raw), extensions, [], subject.raw)


def parse_cert(der: bytes) -> Cert:
    tbs = parse(der)[0].children()[0]
    fields = tbs.children()
    if fields[0].tag == 0xA0:  # explicit version
        fields = fields[1:]
    _serial, _alg, issuer, _validity, subject, spki, *rest = fields
    extensions = next((_extensions(f.children()[0]) for f in rest if f.tag == 0xA3), [])
    return Cert(
        parse_name(subject),
        parse_spki(spki.raw),
        extensions,
        parse_name(issuer),
        subject.raw,
        issuer.raw,
    )


def _extensions(node: Node) -> list[Extension]:
    out = []
    for ext in node.children():
        parts = ext.children()
        critical = len(parts) == 3 and parts[1].content != b"\x00"
        out.append(Extension(parts[0].oid(), critical, parts[-1].content))
    return out


# -- extension values, in the words the task arguments use -------------------------------


def general_names(der: bytes) -> list[str]:
    """A GeneralNames SEQUENCE as ``DNS:x``, ``IP:1.2.3.4``, ``email:…`` strings."""
    return [general_name(node) for node in parse(der)[0].children()]


def general_name(node: Node) -> str:
    kind = _GENERAL_NAMES.get(node.tag & 0x1F, "other")
    if kind == "IP":
        return "IP:" + _ip_text(node.content)
    if kind == "RID":
        return "RID:" + node.oid()
    if kind in ("dirName", "otherName", "other"):
        return f"{kind}:" + node.content.hex()
    return f"{kind}:{node.text()}"


def _ip_text(content: bytes) -> str:
    half = len(content) // 2
    if len(content) in (4, 16):
        return str(ipaddress.ip_address(content))
    addr, mask = ipaddress.ip_address(content[:half]), ipaddress.ip_address(content[half:])
    prefix = bin(int(mask)).count("1")
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


def key_usage(der: bytes) -> set[str]:
    bits = parse(der)[0].content
    flags = int.from_bytes(bits[1:], "big") if len(bits) > 1 else 0
    width = 8 * (len(bits) - 1)
    return {
        name
        for index, name in enumerate(_KEY_USAGE_BITS)
        if index < width and flags >> (width - 1 - index) & 1
    }


def oid_list(der: bytes) -> set[str]:
    return {node.oid() for node in parse(der)[0].children()}


def basic_constraints(der: bytes) -> tuple[bool, int | None]:
    ca, pathlen = False, None
    for node in parse(der)[0].children():
        if node.tag == 0x01:
            ca = node.content != b"\x00"
        elif node.tag == 0x02:
            pathlen = node.integer()
    return ca, pathlen


def name_constraints(der: bytes) -> tuple[set[str], set[str]]:
    permitted: set[str] = set()
    excluded: set[str] = set()
    for subtrees in parse(der)[0].children():
        into = permitted if subtrees.tag & 0x1F == 0 else excluded
        into.update(general_name(tree.children()[0]) for tree in subtrees.children())
    return permitted, excluded


def octets(der: bytes) -> bytes:
    return parse(der)[0].content


def key_identifier(der: bytes) -> bytes | None:
    """An AuthorityKeyIdentifier's keyIdentifier ([0])."""
    return next((n.content for n in parse(der)[0].children() if n.tag == 0x80), None)


def integers(der: bytes) -> list[int]:
    return [node.integer() for node in parse(der)[0].children()]
