"""What the *_info crypto modules return about a certificate, a CSR or a public key, read
from the DER the host's openssl printed (pure functions, community.crypto's names).

Real roles read these values to decide renewals (``not_after``, ``expired``,
``valid_at``) and to compare subjects and names, so the formats follow community.crypto's:
long attribute names, OpenSSL's long names for key usages, colon hex key identifiers.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from . import der
from .crl import asn1_time, long_name, signature_name
from .crypto import fingerprints, pem

__all__ = ["cert_info", "csr_info", "public_key_info"]

_KEY_USAGE_NAMES = {
    "digitalSignature": "Digital Signature",
    "nonRepudiation": "Non Repudiation",
    "keyEncipherment": "Key Encipherment",
    "dataEncipherment": "Data Encipherment",
    "keyAgreement": "Key Agreement",
    "keyCertSign": "Certificate Sign",
    "cRLSign": "CRL Sign",
    "encipherOnly": "Encipher Only",
    "decipherOnly": "Decipher Only",
}
_EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "TLS Web Server Authentication",
    "1.3.6.1.5.5.7.3.2": "TLS Web Client Authentication",
    "1.3.6.1.5.5.7.3.3": "Code Signing",
    "1.3.6.1.5.5.7.3.4": "E-mail Protection",
    "1.3.6.1.5.5.7.3.5": "IPSec End System",
    "1.3.6.1.5.5.7.3.6": "IPSec Tunnel",
    "1.3.6.1.5.5.7.3.7": "IPSec User",
    "1.3.6.1.5.5.7.3.8": "Time Stamping",
    "1.3.6.1.5.5.7.3.9": "OCSP Signing",
    "1.3.6.1.5.5.7.3.17": "ipsec Internet Key Exchange",
    "2.5.29.37.0": "Any Extended Key Usage",
    "1.3.6.1.4.1.311.2.1.21": "Microsoft Individual Code Signing",
    "1.3.6.1.4.1.311.2.1.22": "Microsoft Commercial Code Signing",
    "1.3.6.1.4.1.311.10.3.1": "Microsoft Trust List Signing",
    "1.3.6.1.4.1.311.10.3.4": "Microsoft Encrypted File System",
}
_AIA = "1.3.6.1.5.5.7.1.1"
_OCSP, _CA_ISSUERS = "1.3.6.1.5.5.7.48.1", "1.3.6.1.5.5.7.48.2"
_TLS_FEATURE = "1.3.6.1.5.5.7.1.24"


def _hex(data: bytes) -> str:
    return ":".join(f"{b:02x}" for b in data)


def _names(pairs: list[tuple[str, str]], prefix: str) -> dict[str, Any]:
    ordered = [[long_name(oid), value] for oid, value in pairs]
    return {prefix: {k: v for k, v in ordered}, f"{prefix}_ordered": ordered}


def public_key_info(spki: bytes) -> dict[str, Any]:
    """``public_key``, its type, its fingerprints and its numbers (``public_key_data``)."""
    info = der.parse_spki(spki)
    return {
        "public_key": pem(spki, "PUBLIC KEY"),
        "public_key_type": info.type,
        "public_key_data": _key_numbers(info),
        "public_key_fingerprints": fingerprints(spki),
    }


def _key_numbers(info: der.KeyInfo) -> dict[str, Any]:
    if info.type == "RSA":
        modulus, exponent = der.integers(info.key)[:2]
        return {"size": info.size, "modulus": modulus, "exponent": exponent}
    if info.type == "ECC":
        half = (len(info.key) - 1) // 2
        x, y = info.key[1 : 1 + half], info.key[1 + half :]
        return {
            "curve": info.curve,
            "exponent_size": info.size,
            "x": int.from_bytes(x, "big"),
            "y": int.from_bytes(y, "big"),
        }
    if info.type == "DSA":
        params = der.parse(info.der)[0].children()[0].children()[1]
        p, q, g = (node.integer() for node in params.children())
        return {"size": info.size, "p": p, "q": q, "g": g, "y": der.parse(info.key)[0].integer()}
    return {}


def _extension_values(exts: list[der.Extension]) -> dict[str, Any]:
    """The extensions both certificates and CSRs report, None where absent."""
    by_name = {e.name: e for e in exts}
    out: dict[str, Any] = {
        "extensions_by_oid": {
            e.oid: {"critical": e.critical, "value": base64.b64encode(e.value).decode()}
            for e in exts
        }
    }
    ku = by_name.get("keyUsage")
    out["key_usage"] = (
        sorted(_KEY_USAGE_NAMES[n] for n in der.key_usage(ku.value) if n in _KEY_USAGE_NAMES)
        if ku
        else None
    )
    eku = by_name.get("extendedKeyUsage")
    out["extended_key_usage"] = (
        [_EKU_NAMES.get(n.oid(), n.oid()) for n in der.parse(eku.value)[0].children()]
        if eku
        else None
    )
    san = by_name.get("subjectAltName")
    out["subject_alt_name"] = der.general_names(san.value) if san else None
    bc = by_name.get("basicConstraints")
    out["basic_constraints"] = _basic(bc.value) if bc else None
    feature = by_name.get("tlsfeature")
    out["ocsp_must_staple"] = (5 in der.integers(feature.value)) if feature else None
    for key, name in (
        ("key_usage", "keyUsage"),
        ("extended_key_usage", "extendedKeyUsage"),
        ("subject_alt_name", "subjectAltName"),
        ("basic_constraints", "basicConstraints"),
        ("ocsp_must_staple", "tlsfeature"),
    ):
        ext = by_name.get(name)
        out[f"{key}_critical"] = bool(ext and ext.critical)
    ski = by_name.get("subjectKeyIdentifier")
    out["subject_key_identifier"] = _hex(der.octets(ski.value)) if ski else None
    out.update(_authority(by_name.get("authorityKeyIdentifier")))
    return out


def _basic(value: bytes) -> list[str]:
    ca, pathlen = der.basic_constraints(value)
    return [f"CA:{'TRUE' if ca else 'FALSE'}"] + ([] if pathlen is None else [f"pathlen:{pathlen}"])


def _authority(ext: der.Extension | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "authority_key_identifier": None,
        "authority_cert_issuer": None,
        "authority_cert_serial_number": None,
    }
    if ext is None:
        return out
    for node in der.parse(ext.value)[0].children():
        if node.tag == 0x80:
            out["authority_key_identifier"] = _hex(node.content)
        elif node.tag == 0xA1:
            out["authority_cert_issuer"] = [der.general_name(n) for n in node.children()]
        elif node.tag == 0x82:
            out["authority_cert_serial_number"] = int.from_bytes(node.content, "big")
    return out


def _access(exts: list[der.Extension]) -> dict[str, Any]:
    """The OCSP responder's and the issuer certificate's URIs (authority info access)."""
    out: dict[str, Any] = {"ocsp_uri": None, "issuer_uri": None}
    aia = next((e for e in exts if e.oid == _AIA), None)
    for desc in der.parse(aia.value)[0].children() if aia else []:
        method, location = desc.children()[:2]
        name = der.general_name(location)
        if name.startswith("URI:"):
            key = {"ocsp_uri": _OCSP, "issuer_uri": _CA_ISSUERS}
            for field, oid in key.items():
                if method.oid() == oid and out[field] is None:
                    out[field] = name[4:]
    return out


def _time(node: der.Node) -> datetime:
    text = node.content.decode("ascii")
    fmt = "%y%m%d%H%M%SZ" if node.tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def cert_info(data: bytes, valid_at: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """x509_certificate_info's return values for a certificate's DER."""
    outer = der.parse(data)[0].children()
    fields = outer[0].children()
    version = fields[0].children()[0].integer() + 1 if fields[0].tag == 0xA0 else 1
    if fields[0].tag == 0xA0:
        fields = fields[1:]
    serial, _alg, issuer, validity, subject, spki, *_rest = fields
    cert = der.parse_cert(data)
    start, end = (_time(n) for n in validity.children()[:2])
    return {
        **_names(cert.subject, "subject"),
        **_names(cert.issuer, "issuer"),
        "version": version,
        "serial_number": serial.integer(),
        "signature_algorithm": signature_name(outer[1].children()[0].oid()),
        "not_before": start.strftime("%Y%m%d%H%M%SZ"),
        "not_after": end.strftime("%Y%m%d%H%M%SZ"),
        "expired": now > end,
        "valid_at": {
            name: start <= asn1_time(spec, f"valid_at.{name}", now) <= end
            for name, spec in (valid_at or {}).items()
        },
        "fingerprints": fingerprints(data),
        **public_key_info(spki.raw),
        **_extension_values(cert.extensions),
        **_access(cert.extensions),
    }


def csr_info(data: bytes) -> dict[str, Any]:
    """openssl_csr_info's return values for a CSR's DER (``signature_valid`` aside)."""
    csr = der.parse_csr(data)
    out: dict[str, Any] = {
        **_names(csr.subject, "subject"),
        **public_key_info(csr.spki.der),
        **_extension_values(csr.extensions),
        "name_constraints_permitted": None,
        "name_constraints_excluded": None,
        "name_constraints_critical": False,
    }
    nc = csr.ext("nameConstraints")
    if nc is not None:
        for subtrees in der.parse(nc.value)[0].children():  # [0] permitted, [1] excluded
            key = "permitted" if subtrees.tag & 0x1F == 0 else "excluded"
            names = [der.general_name(tree.children()[0]) for tree in subtrees.children()]
            out[f"name_constraints_{key}"] = names
        out["name_constraints_critical"] = nc.critical
    return out
