"""A certificate revocation list as x509_crl compares and builds it, in pure DER.

The controller reads an existing CRL (the host printed its DER) into a ``Crl``, builds the
wanted one from the task, compares the two, and encodes the wanted one's to-be-signed part
(TBSCertList, RFC 5280 5.1) for the host's openssl to sign with the CA key. The time,
name and serial number rules are community.crypto's.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from ...errors import ModuleError
from . import der
from .csr import general_name, name_oid, oid_short_name

__all__ = [
    "REASONS",
    "Crl",
    "Entry",
    "asn1_time",
    "long_name",
    "parse_crl",
    "serial_of_cert",
    "sig_algorithm",
    "signature_name",
    "tbs",
]

REASONS = (
    "unspecified",
    "key_compromise",
    "ca_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
    "certificate_hold",
    "",  # 7 is not used
    "remove_from_crl",
    "privilege_withdrawn",
    "aa_compromise",
)
_OID_ISSUER, _OID_REASON, _OID_INVALIDITY = "2.5.29.29", "2.5.29.21", "2.5.29.24"
_RELATIVE = re.compile(r"^([+-])((?:\d+[wdhms])+)$")
_UNIT = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_LONG_NAMES = {
    "C": "countryName",
    "ST": "stateOrProvinceName",
    "L": "localityName",
    "O": "organizationName",
    "OU": "organizationalUnitName",
    "CN": "commonName",
    "SN": "surname",
    "GN": "givenName",
    "DC": "domainComponent",
    "UID": "userId",
    "street": "streetAddress",
}
_PRINTABLE = {"2.5.4.6", "2.5.4.5"}  # countryName, serialNumber
_IA5 = {"1.2.840.113549.1.9.1", "0.9.2342.19200300.100.1.25"}  # emailAddress, DC
# (key type, digest) -> (signature algorithm OID, its name, NULL parameters)
_RSA = "1.2.840.113549.1.1."
_ECDSA = "1.2.840.10045.4."
_SIGNATURES: dict[tuple[str, str], tuple[str, str, bool]] = {
    ("RSA", "sha1"): (_RSA + "5", "sha1WithRSAEncryption", True),
    ("RSA", "sha224"): (_RSA + "14", "sha224WithRSAEncryption", True),
    ("RSA", "sha256"): (_RSA + "11", "sha256WithRSAEncryption", True),
    ("RSA", "sha384"): (_RSA + "12", "sha384WithRSAEncryption", True),
    ("RSA", "sha512"): (_RSA + "13", "sha512WithRSAEncryption", True),
    ("ECC", "sha1"): (_ECDSA + "1", "ecdsa-with-SHA1", False),
    ("ECC", "sha224"): (_ECDSA + "3.1", "ecdsa-with-SHA224", False),
    ("ECC", "sha256"): (_ECDSA + "3.2", "ecdsa-with-SHA256", False),
    ("ECC", "sha384"): (_ECDSA + "3.3", "ecdsa-with-SHA384", False),
    ("ECC", "sha512"): (_ECDSA + "3.4", "ecdsa-with-SHA512", False),
    ("DSA", "sha1"): ("1.2.840.10040.4.3", "dsa_with_SHA1", False),
    ("DSA", "sha224"): ("2.16.840.1.101.3.4.3.1", "dsa_with_SHA224", False),
    ("DSA", "sha256"): ("2.16.840.1.101.3.4.3.2", "dsa_with_SHA256", False),
    ("Ed25519", ""): ("1.3.101.112", "ED25519", False),
    ("Ed448", ""): ("1.3.101.113", "ED448", False),
}
_SIG_NAMES = {oid: name for oid, name, _ in _SIGNATURES.values()}
_SIG_NAMES["1.2.840.113549.1.1.10"] = "rsassaPss"


@dataclass(frozen=True, slots=True)
class Entry:
    """One revoked certificate, with its entry extensions."""

    serial: int
    date: datetime
    reason: str | None = None
    reason_critical: bool = False
    invalidity: datetime | None = None
    invalidity_critical: bool = False
    issuer: tuple[str, ...] | None = None
    issuer_critical: bool = False

    def key(self, timestamps: bool) -> tuple[object, ...]:
        when = self.date if timestamps else None
        return (self.serial, when, self.reason, self.reason_critical, self.invalidity,
                self.invalidity_critical, self.issuer, self.issuer_critical)  # fmt: skip

    def report(self) -> dict[str, object]:
        return {
            "serial_number": self.serial,
            "revocation_date": _text(self.date),
            "reason": self.reason,
            "reason_critical": self.reason_critical,
            "invalidity_date": _text(self.invalidity) if self.invalidity else None,
            "invalidity_date_critical": self.invalidity_critical,
            "issuer": list(self.issuer) if self.issuer is not None else None,
            "issuer_critical": self.issuer_critical,
        }


@dataclass(frozen=True, slots=True)
class Crl:
    """What x509_crl compares of a CRL."""

    issuer: list[tuple[str, str]]  # (attribute OID, value)
    last_update: datetime
    next_update: datetime | None
    signature: str  # the signature algorithm's OID
    entries: list[Entry] = field(default_factory=list)

    def same(self, other: Crl, timestamps: bool, update: bool) -> bool:
        """Whether ``other`` (the CRL on the host) already is this one; with ``update`` it
        may hold more entries."""
        if (self.issuer, self.signature) != (other.issuer, other.signature):
            return False
        if timestamps and (self.last_update, self.next_update) != (
            other.last_update,
            other.next_update,
        ):
            return False
        mine = {e.key(timestamps) for e in self.entries}
        theirs = {e.key(timestamps) for e in other.entries}
        return mine <= theirs if update else mine == theirs

    def merged(self, existing: Crl | None) -> Crl:
        """crl_mode=update: the existing entries this one does not name, then its own."""
        if existing is None:
            return self
        serials = {e.serial for e in self.entries}
        kept = [e for e in existing.entries if e.serial not in serials]
        return replace(self, entries=kept + self.entries)

    def report(self) -> dict[str, object]:
        ordered = [[long_name(oid), value] for oid, value in self.issuer]
        return {
            "issuer": {name: value for name, value in ordered},
            "issuer_ordered": ordered,
            "last_update": _text(self.last_update),
            "next_update": _text(self.next_update) if self.next_update else None,
            "digest": signature_name(self.signature),
            "revoked_certificates": [e.report() for e in self.entries],
        }


# -- the task's words ------------------------------------------------------------------


def asn1_time(spec: object, what: str, now: datetime) -> datetime:
    """A time from community.crypto's relative (``+7d``, ``-1h``) or absolute
    (``20250101000000Z``) forms, in UTC."""
    text = str(spec).strip()
    if re.fullmatch(r"\d{14}Z", text):
        return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=timezone.utc)
    match = _RELATIVE.match(text)
    if match is None:
        raise ModuleError(f"Invalid value for {what}: {spec!r} (use +7d, -1h or 20250101000000Z)")
    seconds = sum(int(n) * _UNIT[u] for n, u in re.findall(r"(\d+)([wdhms])", match.group(2)))
    moment = now + timedelta(seconds=-seconds if match.group(1) == "-" else seconds)
    return moment.replace(microsecond=0)


def issuer_name(
    issuer: dict[str, object] | None, ordered: list[object] | None
) -> list[tuple[str, str]]:
    """The issuer as (OID, value) pairs, from ``issuer`` (a dict, lists for repeated
    names) or ``issuer_ordered`` (a list of one-item dicts)."""
    pairs: list[tuple[str, object]] = list((issuer or {}).items())
    for item in ordered or []:
        if not isinstance(item, dict) or len(item) != 1:
            raise ModuleError("issuer_ordered entries must be dicts of one name: value")
        pairs.extend(item.items())
    out = []
    for key, value in pairs:
        for one in value if isinstance(value, list) else [value]:
            if one in (None, ""):
                raise ModuleError(f"Value for {key} in issuer must not be an empty string")
            out.append((name_oid(str(key)), str(one)))
    return out


def serial_number(value: object, style: str) -> int:
    if style == "hex-octets":
        text = str(value).strip()
        if not re.fullmatch(r"[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2})*", text):
            raise ModuleError(f"Invalid serial number {value!r}: use hex octets like 01:02:AF")
        return int(text.replace(":", ""), 16)
    if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
        raise ModuleError(f"Invalid serial number {value!r}: must be an integer")
    return int(str(value).strip())


def general_names_of(names: list[object] | None) -> tuple[str, ...] | None:
    if names is None:
        return None
    return tuple(general_name(str(n), "revoked_certificates issuer") for n in names)


def sig_algorithm(key_type: str, digest: str) -> str:
    """The signature algorithm's OID for a key type and digest."""
    wanted = "" if key_type in ("Ed25519", "Ed448") else digest.lower().replace("-", "")
    found = _SIGNATURES.get((key_type, wanted))
    if found is None:
        raise ModuleError(f"cannot sign a CRL with a {key_type} key and digest {digest}")
    return found[0]


# -- reading DER ---------------------------------------------------------------------------


def parse_crl(data: bytes) -> Crl:
    outer = der.parse(data)[0].children()
    fields = outer[0].children()
    if fields and fields[0].tag == 0x02:  # version (v2)
        fields = fields[1:]
    alg, issuer, this, *rest = fields
    nxt = rest.pop(0) if rest and rest[0].tag in (0x17, 0x18) else None
    revoked = rest.pop(0) if rest and rest[0].tag == 0x30 else None
    entries = [_entry(node) for node in revoked.children()] if revoked else []
    return Crl(
        der.parse_name(issuer),
        _time(this),
        _time(nxt) if nxt else None,
        alg.children()[0].oid(),
        entries,
    )


def _entry(node: der.Node) -> Entry:
    serial, date, *rest = node.children()
    values: dict[str, object] = {}
    for ext in rest[0].children() if rest else []:
        parts = ext.children()
        critical = len(parts) == 3 and parts[1].content != b"\x00"
        oid, inner = parts[0].oid(), der.parse(parts[-1].content)[0]
        if oid == _OID_REASON:
            values.update(reason=REASONS[inner.integer()], reason_critical=critical)
        elif oid == _OID_INVALIDITY:
            values.update(invalidity=_time(inner), invalidity_critical=critical)
        elif oid == _OID_ISSUER:
            names = tuple(der.general_name(n) for n in inner.children())
            values.update(issuer=names, issuer_critical=critical)
    return Entry(serial.integer(), _time(date), **values)  # type: ignore[arg-type]


def _time(node: der.Node) -> datetime:
    text = node.content.decode("ascii")
    fmt = "%y%m%d%H%M%SZ" if node.tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def serial_of_cert(data: bytes) -> int:
    fields = der.parse(data)[0].children()[0].children()
    return (fields[1] if fields[0].tag == 0xA0 else fields[0]).integer()


# -- writing DER ---------------------------------------------------------------------------


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _oid(text: str) -> bytes:
    nums = [int(n) for n in text.split(".")]
    out = bytearray([nums[0] * 40 + nums[1]])
    for num in nums[2:]:
        chunk = [num & 0x7F]
        while num := num >> 7:
            chunk.append(0x80 | (num & 0x7F))
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _when(moment: datetime, general: bool = False) -> bytes:
    if not general and 1950 <= moment.year < 2050:
        return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


def _name(pairs: list[tuple[str, str]]) -> bytes:
    rdns = []
    for oid, value in pairs:
        tag = 0x13 if oid in _PRINTABLE else 0x16 if oid in _IA5 else 0x0C
        rdns.append(_tlv(0x31, _seq(_oid(oid), _tlv(tag, value.encode()))))
    return _seq(*rdns)


def _general_name_der(text: str) -> bytes:
    kind, _, value = text.partition(":")
    if kind == "IP":
        if "/" in value:
            net = ipaddress.ip_network(value)
            return _tlv(0x87, net.network_address.packed + net.netmask.packed)
        return _tlv(0x87, ipaddress.ip_address(value).packed)
    if kind == "RID":
        return b"\x88" + _oid(value)[1:]
    tag = {"email": 0x81, "DNS": 0x82, "URI": 0x86}[kind]
    return _tlv(tag, value.encode())


def _extension(oid: str, critical: bool, value: bytes) -> bytes:
    flag = _tlv(0x01, b"\xff") if critical else b""
    return _seq(_oid(oid), flag, _tlv(0x04, value))


def _entry_der(entry: Entry) -> bytes:
    exts = []
    if entry.issuer is not None:
        names = _seq(*(_general_name_der(n) for n in entry.issuer))
        exts.append(_extension(_OID_ISSUER, entry.issuer_critical, names))
    if entry.reason is not None:
        code = _tlv(0x0A, bytes([REASONS.index(entry.reason)]))
        exts.append(_extension(_OID_REASON, entry.reason_critical, code))
    if entry.invalidity is not None:
        when = _when(entry.invalidity, general=True)
        exts.append(_extension(_OID_INVALIDITY, entry.invalidity_critical, when))
    return _seq(_int(entry.serial), _when(entry.date), _seq(*exts) if exts else b"")


def algorithm_der(oid: str) -> bytes:
    """The AlgorithmIdentifier of a signature algorithm (NULL parameters for RSA)."""
    null = any(o == oid and n for o, _, n in _SIGNATURES.values())
    return _seq(_oid(oid), b"\x05\x00" if null else b"")


def tbs(crl: Crl) -> bytes:
    """The TBSCertList to sign (version 2, no CRL extensions, as community.crypto makes)."""
    revoked = _seq(*(_entry_der(e) for e in crl.entries)) if crl.entries else b""
    nxt = _when(crl.next_update) if crl.next_update else b""
    return _seq(
        _int(1),
        algorithm_der(crl.signature),
        _name(crl.issuer),
        _when(crl.last_update),
        nxt,
        revoked,
    )


def signature_name(oid: str) -> str:
    """A signature algorithm's name (``ecdsa-with-SHA256``), or its OID when unknown."""
    return _SIG_NAMES.get(oid, oid)


def long_name(oid: str) -> str:
    """A name attribute's long name (``commonName``), as community.crypto returns it."""
    short = oid_short_name(oid)
    return _LONG_NAMES.get(short, short)


def _text(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%SZ")
