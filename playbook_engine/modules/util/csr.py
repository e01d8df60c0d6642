"""The certificate signing request openssl_csr and openssl_csr_pipe share: its arguments,
the ``openssl req`` config and command that make it, and the comparison of an existing
CSR with the task (community.crypto's rules: subject, each extension and its
criticality, and that the CSR is signed by the private key)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from ...errors import ModuleError
from ...transport.shell import quote
from ..base import Arg
from . import der
from .crypto import BACKEND, Secrets, der_of, der_section, key_source, passin
from .hostedit import Section, section

__all__ = [
    "CSR_ARGS",
    "Request",
    "general_name",
    "make_csr",
    "matches",
    "name_oid",
    "oid_short_name",
    "probe_csr",
    "report",
    "verify_csr",
]

_NAMES = {
    "C": "2.5.4.6",
    "ST": "2.5.4.8",
    "L": "2.5.4.7",
    "O": "2.5.4.10",
    "OU": "2.5.4.11",
    "CN": "2.5.4.3",
    "emailAddress": "1.2.840.113549.1.9.1",
    "serialNumber": "2.5.4.5",
    "street": "2.5.4.9",
    "title": "2.5.4.12",
    "SN": "2.5.4.4",
    "GN": "2.5.4.42",
    "postalCode": "2.5.4.17",
    "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1",
}
_LONG = {
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "commonName": "CN",
    "emailaddress": "emailAddress",
    "E": "emailAddress",
    "surname": "SN",
    "givenName": "GN",
    "domainComponent": "DC",
    "userId": "UID",
    "streetAddress": "street",
}
_KEY_USAGE = {
    "digitalsignature": "digitalSignature",
    "nonrepudiation": "nonRepudiation",
    "contentcommitment": "nonRepudiation",
    "keyencipherment": "keyEncipherment",
    "dataencipherment": "dataEncipherment",
    "keyagreement": "keyAgreement",
    "keycertsign": "keyCertSign",
    "certificatesign": "keyCertSign",
    "crlsign": "cRLSign",
    "encipheronly": "encipherOnly",
    "decipheronly": "decipherOnly",
}
_EKU = {
    "serverauth": "1.3.6.1.5.5.7.3.1",
    "tlswebserverauthentication": "1.3.6.1.5.5.7.3.1",
    "clientauth": "1.3.6.1.5.5.7.3.2",
    "tlswebclientauthentication": "1.3.6.1.5.5.7.3.2",
    "codesigning": "1.3.6.1.5.5.7.3.3",
    "emailprotection": "1.3.6.1.5.5.7.3.4",
    "e-mailprotection": "1.3.6.1.5.5.7.3.4",
    "timestamping": "1.3.6.1.5.5.7.3.8",
    "ocspsigning": "1.3.6.1.5.5.7.3.9",
    "ipsecike": "1.3.6.1.5.5.7.3.17",
    "anyextendedkeyusage": "2.5.29.37.0",
    "mscodeind": "1.3.6.1.4.1.311.2.1.21",
    "mscodecom": "1.3.6.1.4.1.311.2.1.22",
    "msctlsign": "1.3.6.1.4.1.311.10.3.1",
    "msefs": "1.3.6.1.4.1.311.10.3.4",
}
_ESCAPE = re.compile(r"([\\/+])")
_NAME_KINDS = ("DNS", "IP", "email", "URI", "RID")
_UNSUPPORTED = (
    "subject_key_identifier",
    "authority_key_identifier",
    "authority_cert_issuer",
    "authority_cert_serial_number",
    "crl_distribution_points",
)
_NO = "Not supported by pbe: a task that sets it fails."


def _crit(what: str, *aliases: str) -> Arg:
    return Arg("bool", default=False, aliases=aliases, description=f"Mark {what} critical.")


# What both CSR modules return about the request (beside the CSR itself, or its file).
CSR_RETURNS = {
    "privatekey": "the private key's path",
    "subject": "the subject as [name, value] pairs",
    "subjectAltName": "the SANs",
    "keyUsage": "the key usages",
    "extendedKeyUsage": "the extended key usages",
    "basicConstraints": "the basic constraints",
    "ocspMustStaple": "whether OCSP Must Staple is set",
    "name_constraints_permitted": "permitted name constraints",
    "name_constraints_excluded": "excluded name constraints",
}

CSR_ARGS: dict[str, Arg] = {
    "privatekey_path": Arg("path", description="The private key file on the host."),
    "privatekey_content": Arg("str", description="The private key itself (PEM)."),
    "privatekey_passphrase": Arg("str", secret=True, description="The private key's passphrase."),
    "digest": Arg("str", default="sha256", description="The signature's digest."),
    "version": Arg("int", default=1, choices=(1,), description="The CSR version (1)."),
    "subject": Arg("dict", description="Subject fields: name → value or list of values."),
    "subject_ordered": Arg("list", elements="dict", description="The subject, in order."),
    "country_name": Arg("str", aliases=("C", "countryName"), description="Subject C."),
    "state_or_province_name": Arg(
        "str", aliases=("ST", "stateOrProvinceName"), description="Subject ST."
    ),
    "locality_name": Arg("str", aliases=("L", "localityName"), description="Subject L."),
    "organization_name": Arg("str", aliases=("O", "organizationName"), description="Subject O."),
    "organizational_unit_name": Arg(
        "str", aliases=("OU", "organizationalUnitName"), description="Subject OU."
    ),
    "common_name": Arg("str", aliases=("CN", "commonName"), description="Subject CN."),
    "email_address": Arg("str", aliases=("E", "emailAddress"), description="Subject email."),
    "subject_alt_name": Arg(
        "list",
        elements="str",
        aliases=("subjectAltName",),
        description="SANs: `DNS:…`, `IP:…`, `email:…`, `URI:…`, `RID:…`.",
    ),
    "subject_alt_name_critical": _crit("the SAN extension", "subjectAltName_critical"),
    "use_common_name_for_san": Arg(
        "bool",
        default=True,
        aliases=("useCommonNameForSAN",),
        description="Without SANs, use `DNS:<common_name>` as the SAN.",
    ),
    "key_usage": Arg("list", elements="str", aliases=("keyUsage",), description="Key usages."),
    "key_usage_critical": _crit("key usage", "keyUsage_critical"),
    "extended_key_usage": Arg(
        "list",
        elements="str",
        aliases=("extKeyUsage", "extendedKeyUsage"),
        description="Extended key usages (names or OIDs).",
    ),
    "extended_key_usage_critical": _crit(
        "extended key usage", "extKeyUsage_critical", "extendedKeyUsage_critical"
    ),
    "basic_constraints": Arg(
        "list",
        elements="str",
        aliases=("basicConstraints",),
        description="`CA:TRUE`/`CA:FALSE`, `pathlen:N`.",
    ),
    "basic_constraints_critical": _crit("basic constraints", "basicConstraints_critical"),
    "ocsp_must_staple": Arg(
        "bool", default=False, aliases=("ocspMustStaple",), description="Add OCSP Must Staple."
    ),
    "ocsp_must_staple_critical": _crit("OCSP Must Staple", "ocspMustStaple_critical"),
    "name_constraints_permitted": Arg(
        "list", elements="str", description="Permitted name constraints (`DNS:…`, `IP:net/mask`)."
    ),
    "name_constraints_excluded": Arg("list", elements="str", description="Excluded ones."),
    "name_constraints_critical": _crit("name constraints"),
    "create_subject_key_identifier": Arg(
        "bool", default=False, description="Add a subject key identifier (hash of the key)."
    ),
    **{key: Arg("raw", description=_NO) for key in _UNSUPPORTED},
    "select_crypto_backend": BACKEND,
}


@dataclass(frozen=True, slots=True)
class Request:
    """What the task asks the CSR to hold, normalized for comparison and for openssl."""

    subject: list[tuple[str, str]]  # (short name, value)
    ordered: bool
    san: list[str]
    args: dict[str, Any]

    @classmethod
    def of(cls, args: dict[str, Any]) -> Request:
        for key in _UNSUPPORTED:
            if args.get(key) is not None:
                raise ModuleError(f"argument {key} is not supported by pbe")
        subject = _subject(args)
        san = [_general_name(n, "subject_alt_name") for n in args["subject_alt_name"] or []]
        if not san and args["use_common_name_for_san"]:
            san = [f"DNS:{value}" for name, value in subject if name == "CN"][:1]
        return cls(subject, args["subject_ordered"] is not None, san, args)

    def config(self) -> str:
        """The ``openssl req`` config: an empty DN section and the extensions."""
        lines = [f"{key} = {value}" for key, value in self._extensions()]
        head = "[req]\ndistinguished_name = dn\n" + ("req_extensions = ext\n" if lines else "")
        return head + "[dn]\n[ext]\n" + "\n".join(lines) + "\n"

    def _extensions(self) -> list[tuple[str, str]]:
        a = self.args
        out = []
        if self.san:
            out.append(("subjectAltName", _crit_text(a, "subject_alt_name", self.san)))
        if a["key_usage"]:
            out.append(("keyUsage", _crit_text(a, "key_usage", sorted(_key_usage(a)))))
        if a["extended_key_usage"]:
            out.append(("extendedKeyUsage", _crit_text(a, "extended_key_usage", _eku(a))))
        if a["basic_constraints"]:
            ca, pathlen = _basic(a)
            parts = [f"CA:{'TRUE' if ca else 'FALSE'}"] + (
                [] if pathlen is None else [f"pathlen:{pathlen}"]
            )
            out.append(("basicConstraints", _crit_text(a, "basic_constraints", parts)))
        if a["ocsp_must_staple"]:
            out.append(("tlsfeature", _crit_text(a, "ocsp_must_staple", ["status_request"])))
        permitted, excluded = _constraints(a)
        if permitted or excluded:
            parts = [f"permitted;{_openssl_name(n)}" for n in permitted]
            parts += [f"excluded;{_openssl_name(n)}" for n in excluded]
            out.append(("nameConstraints", _crit_text(a, "name_constraints", parts)))
        if a["create_subject_key_identifier"]:
            out.append(("subjectKeyIdentifier", "hash"))
        return [(key, value.replace("$", "\\$")) for key, value in out]

    def subj(self) -> str:
        if not self.subject:
            return "/"
        return "".join(f"/{name}={_escape(value)}" for name, value in self.subject)


def _escape(value: str) -> str:
    return _ESCAPE.sub(r"\\\1", value)


def _subject(args: dict[str, Any]) -> list[tuple[str, str]]:
    fields = (
        ("C", "country_name"),
        ("ST", "state_or_province_name"),
        ("L", "locality_name"),
        ("O", "organization_name"),
        ("OU", "organizational_unit_name"),
        ("CN", "common_name"),
        ("emailAddress", "email_address"),
    )
    out = [(name, str(args[key])) for name, key in fields if args[key]]
    for key, value in (args["subject"] or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item in (None, ""):
                raise ModuleError(f"Value for {key} in subject must not be an empty string")
            out.append((_short(key), str(item)))
    if args["subject_ordered"] is not None:
        if out:
            raise ModuleError("subject_ordered cannot be combined with any other subject field")
        for entry in args["subject_ordered"]:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise ModuleError("subject_ordered entries must be dicts of one name: value")
            ((key, value),) = entry.items()
            out.append((_short(key), str(value)))
    return out


def _short(name: str) -> str:
    short = _LONG.get(name, name)
    if short not in _NAMES:
        raise ModuleError(f"unknown subject field {name!r}")
    return short


def name_oid(name: str) -> str:
    """The OID of a name attribute as tasks write it (``CN``, ``commonName`` …)."""
    return _NAMES[_short(name)]


def oid_short_name(oid: str) -> str:
    """A name attribute's short name (``CN``) from its OID (the OID when unknown)."""
    return next((name for name, known in _NAMES.items() if known == oid), oid)


def general_name(text: str, what: str) -> str:
    """A general name as ``KIND:value``, normalized (see ``_general_name``)."""
    return _general_name(text, what)


def _general_name(text: str, what: str) -> str:
    """A name as ``KIND:value`` with its value normalized (IP addresses and networks)."""
    kind, sep, value = str(text).partition(":")
    if not sep or kind not in _NAME_KINDS:
        raise ModuleError(f"Cannot parse {what} {text!r} (pbe supports {', '.join(_NAME_KINDS)})")
    if kind == "IP":
        try:
            value = str(
                ipaddress.ip_network(value, strict=False)
                if "/" in value
                else ipaddress.ip_address(value)
            )
        except ValueError:
            raise ModuleError(f"Cannot parse {what} {text!r}: not an IP address") from None
    return f"{kind}:{value}"


def _openssl_name(name: str) -> str:
    """A name as openssl's config writes it: networks as address/netmask."""
    kind, _, value = name.partition(":")
    if kind == "IP" and "/" in value:
        net = ipaddress.ip_network(value)
        return f"IP:{net.network_address}/{net.netmask}"
    return name


def _crit_text(args: dict[str, Any], key: str, parts: list[str]) -> str:
    return ", ".join((["critical"] if args[f"{key}_critical"] else []) + parts)


def _key_usage(args: dict[str, Any]) -> set[str]:
    out = set()
    for usage in args["key_usage"] or []:
        name = _KEY_USAGE.get(str(usage).replace(" ", "").lower())
        if name is None:
            raise ModuleError(f"unknown key usage {usage!r}")
        out.add(name)
    return out


def _eku(args: dict[str, Any]) -> list[str]:
    out = []
    for usage in args["extended_key_usage"] or []:
        text = str(usage)
        oid = (
            text if re.fullmatch(r"\d+(\.\d+)+", text) else _EKU.get(text.replace(" ", "").lower())
        )
        if oid is None:
            raise ModuleError(f"unknown extended key usage {usage!r}")
        out.append(oid)
    return out


def _basic(args: dict[str, Any]) -> tuple[bool, int | None]:
    ca, pathlen = False, None
    for item in args["basic_constraints"] or []:
        key, _, value = str(item).partition(":")
        if key.upper() == "CA":
            ca = value.upper() == "TRUE"
        elif key.lower() == "pathlen":
            pathlen = int(value)
        else:
            raise ModuleError(f"unknown basic constraint {item!r}")
    return ca, pathlen


def _constraints(args: dict[str, Any]) -> tuple[list[str], list[str]]:
    return (
        [_general_name(n, "name constraint") for n in args["name_constraints_permitted"] or []],
        [_general_name(n, "name constraint") for n in args["name_constraints_excluded"] or []],
    )


# -- comparing an existing CSR ------------------------------------------------------------


def matches(req: Request, csr: der.Cert, key: der.KeyInfo) -> bool:
    """Whether an existing CSR holds what the task asks (its signature checked apart)."""
    want = [(_NAMES[name], value) for name, value in req.subject]
    subject_ok = want == csr.subject if req.ordered else set(want) == set(csr.subject)
    return (
        subject_ok
        and csr.spki.der == key.der
        and _list_ext(csr, "subjectAltName", set(req.san), req.args["subject_alt_name_critical"])
        and _key_usage_ok(req.args, csr)
        and _eku_ok(req.args, csr)
        and _basic_ok(req.args, csr)
        and _staple_ok(req.args, csr)
        and _nc_ok(req.args, csr)
        and _ski_ok(req.args, csr, key)
    )


def _list_ext(csr: der.Cert, name: str, want: set[str], critical: bool) -> bool:
    ext = csr.ext(name)
    have = set(der.general_names(ext.value)) if ext else set()
    return have == want and not (want and ext and ext.critical != critical)


def _key_usage_ok(args: dict[str, Any], csr: der.Cert) -> bool:
    ext = csr.ext("keyUsage")
    if not args["key_usage"]:
        return ext is None
    return (
        ext is not None
        and der.key_usage(ext.value) == _key_usage(args)
        and ext.critical == args["key_usage_critical"]
    )


def _eku_ok(args: dict[str, Any], csr: der.Cert) -> bool:
    ext = csr.ext("extendedKeyUsage")
    want = set(_eku(args))
    have = der.oid_list(ext.value) if ext else set()
    return have == want and not (
        want and ext and ext.critical != args["extended_key_usage_critical"]
    )


def _basic_ok(args: dict[str, Any], csr: der.Cert) -> bool:
    ext = csr.ext("basicConstraints")
    have = der.basic_constraints(ext.value) if ext else (False, None)
    if have != _basic(args):
        return False
    if args["basic_constraints"]:
        return ext is not None and ext.critical == args["basic_constraints_critical"]
    return ext is None


def _staple_ok(args: dict[str, Any], csr: der.Cert) -> bool:
    ext = csr.ext("tlsfeature")
    if not args["ocsp_must_staple"]:
        return ext is None
    return (
        ext is not None
        and ext.critical == args["ocsp_must_staple_critical"]
        and 5 in der.integers(ext.value)
    )


def _nc_ok(args: dict[str, Any], csr: der.Cert) -> bool:
    ext = csr.ext("nameConstraints")
    permitted, excluded = _constraints(args)
    have = der.name_constraints(ext.value) if ext else (set(), set())
    if have != (set(permitted), set(excluded)):
        return False
    return not (
        (permitted or excluded) and ext and ext.critical != args["name_constraints_critical"]
    )


def _ski_ok(args: dict[str, Any], csr: der.Cert, key: der.KeyInfo) -> bool:
    ext = csr.ext("subjectKeyIdentifier")
    if not args["create_subject_key_identifier"]:
        return ext is None
    return ext is not None and not ext.critical and der.octets(ext.value) == ski(key)


def ski(key: der.KeyInfo) -> bytes:
    """The subject key identifier openssl's ``hash`` makes: SHA-1 of the key's bits."""
    return hashlib.sha1(key.key).digest()


# -- shell ---------------------------------------------------------------------------------


def verify_csr(csr: str) -> str:
    """Shell whose status is 0 only when the CSR at ``csr`` (quoted; PEM) is signed by its
    key: openssl 3's ``req -verify`` exits 0 on a bad signature too, so its words decide."""
    return f"openssl req -in {csr} -noout -verify 2>&1 | grep -q 'verify OK'"


def probe_csr(args: dict[str, Any], secrets: Secrets, csr: str | None) -> list[str]:
    """Sections: the private key's public key (``pub``), and of the CSR at ``csr`` (a
    quoted host path, or None) its DER (``csr``) and signature check (``sig``)."""
    key = key_source(secrets, args)
    secret = passin(secrets, "PK", args["privatekey_passphrase"])
    parts = [der_section("pub", f"openssl pkey -in {key} {secret} -pubout -outform DER")]
    if csr is not None:
        exists = f"[ -e {csr} ] || exit 66; "
        parts.append(der_section("csr", f"openssl req -in {csr} -outform DER", exists))
        parts.append(section("sig", exists + verify_csr(csr)))
    return parts


def existing_ok(req: Request, found: dict[str, Section]) -> bool:
    """Whether the probed CSR matches the task and is signed by the key."""
    key_der = key_of(found, req.args)
    csr_der = der_of(found, "csr")
    sig = found.get("sig")
    if csr_der is None or sig is None or sig.rc != 0:
        return False
    try:
        return matches(req, der.parse_csr(csr_der), der.parse_spki(key_der))
    except (der.DerError, IndexError, ValueError):
        return False


def key_of(found: dict[str, Section], args: dict[str, Any]) -> bytes:
    key_der = der_of(found, "pub")
    if key_der is None:
        part = found.get("pub")
        where = args.get("privatekey_path") or "privatekey_content"
        raise ModuleError(
            f"cannot read the private key {where}: {part.text.strip() if part else ''}"
        )
    return key_der


def make_csr(req: Request, found: dict[str, Section], secrets: Secrets, out: str) -> str:
    """Shell writing the new CSR (PEM) to ``out``."""
    args = req.args
    key = key_source(secrets, args)
    secret = passin(secrets, "PK", args["privatekey_passphrase"])
    config = secrets.file("req.cnf", req.config())
    kind = der.parse_spki(key_of(found, args)).type
    digest = "" if kind in ("Ed25519", "Ed448") else f" -{_digest(args['digest'])}"
    return (
        f"openssl req -new -key {key} {secret} -config {config} -utf8 "
        f"-subj {quote(req.subj())}{digest} -out {out}"
    )


def _digest(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ModuleError(f"unsupported digest {name!r}")
    return name.lower()


def report(req: Request, csr_text: str | None) -> dict[str, Any]:
    """The return values describing the request (Ansible's names)."""
    args = req.args
    return {
        "privatekey": args["privatekey_path"],
        "subject": [list(entry) for entry in req.subject],
        "subjectAltName": req.san or None,
        "keyUsage": args["key_usage"],
        "extendedKeyUsage": args["extended_key_usage"],
        "basicConstraints": args["basic_constraints"],
        "ocspMustStaple": args["ocsp_must_staple"],
        "name_constraints_permitted": args["name_constraints_permitted"],
        "name_constraints_excluded": args["name_constraints_excluded"],
        "csr": csr_text,
    }
