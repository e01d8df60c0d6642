"""x509_certificate: a certificate from a CSR, self-signed or signed by your own CA.

One probe prints (as DER) the existing certificate, the CSR (and whether its signature
verifies), the private key's public key and the CA certificate; the controller decides,
with community.crypto's rules, whether the certificate still matches them. One apply
script signs the CSR with ``openssl ca`` (which, unlike ``openssl x509 -req``, takes a
start date on every openssl version) in a private temp dir and installs the result.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg
from .util import der
from .util.crypto import (
    BACKEND,
    FILE_ARGS,
    CryptoFile,
    FileAttrs,
    Secrets,
    der_of,
    der_section,
    key_source,
    passin,
)
from .util.csr import ski, verify_csr
from .util.hostedit import Section, section

_SKI = ("create_if_not_provided", "always_create", "never_create")
_NO = "Not supported by pbe (the acme provider): a task that sets it fails."
_RELATIVE = re.compile(r"^([+-])((?:\d+[wdhms])+)$")
_CA_CONFIG = """[ca]
default_ca = pbe
[pbe]
dir = $ENV::w
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = {digest}
policy = pol
unique_subject = no
copy_extensions = copy
x509_extensions = ext
[pol]
[ext]
{extensions}
"""


def _when(kind: str, default: str, *aliases: str) -> Arg:
    return Arg(
        "str",
        default=default,
        aliases=aliases,
        description=f"The certificate's {kind}: relative (`+3650d`, `-1d`, `+32w1d2h`) or "
        "absolute (`20250101000000Z`).",
    )


@register("x509_certificate", "community.crypto.x509_certificate", "openssl_certificate")
class X509Certificate(CryptoFile):
    """Generate (or remove) an X.509 certificate: self-signed or signed by your own CA."""

    args = {
        "path": Arg("path", required=True, description="The certificate file."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        "provider": Arg(
            "str",
            choices=("acme", "ownca", "selfsigned"),
            description="selfsigned or ownca (acme is not supported by pbe); required for present.",
        ),
        "csr_path": Arg("path", description="The CSR file on the host."),
        "csr_content": Arg("str", description="The CSR itself (PEM)."),
        "privatekey_path": Arg("path", description="The certificate's private key on the host."),
        "privatekey_content": Arg("str", description="The private key itself (PEM)."),
        "privatekey_passphrase": Arg(
            "str", secret=True, description="The private key's passphrase."
        ),
        "force": Arg("bool", default=False, description="Regenerate it even when it matches."),
        "backup": Arg("bool", default=False, description="Keep a timestamped copy of the old one."),
        "return_content": Arg("bool", default=False, description="Return it as `certificate`."),
        "ignore_timestamps": Arg(
            "bool", default=True, description="Must stay true: pbe does not compare validity dates."
        ),
        "selfsigned_digest": Arg("str", default="sha256", description="The signature's digest."),
        "selfsigned_not_before": _when("start", "+0s", "selfsigned_notBefore"),
        "selfsigned_not_after": _when("end", "+3650d", "selfsigned_notAfter"),
        "selfsigned_version": Arg("int", default=3, choices=(3,), description="X.509 version 3."),
        "selfsigned_create_subject_key_identifier": Arg(
            "str", default="create_if_not_provided", choices=_SKI, description="When to add a SKI."
        ),
        "ownca_path": Arg("path", description="The CA certificate on the host."),
        "ownca_content": Arg("str", description="The CA certificate itself (PEM)."),
        "ownca_privatekey_path": Arg("path", description="The CA's private key on the host."),
        "ownca_privatekey_content": Arg("str", description="The CA's private key itself (PEM)."),
        "ownca_privatekey_passphrase": Arg(
            "str", secret=True, description="The CA key's passphrase."
        ),
        "ownca_digest": Arg("str", default="sha256", description="The signature's digest."),
        "ownca_not_before": _when("start", "+0s"),
        "ownca_not_after": _when("end", "+3650d"),
        "ownca_version": Arg("int", default=3, choices=(3,), description="X.509 version 3."),
        "ownca_create_subject_key_identifier": Arg(
            "str", default="create_if_not_provided", choices=_SKI, description="When to add a SKI."
        ),
        "ownca_create_authority_key_identifier": Arg(
            "bool", default=True, description="Add an authority key identifier (the CA's)."
        ),
        "acme_accountkey_path": Arg("path", description=_NO),
        "acme_challenge_path": Arg("path", description=_NO),
        "acme_chain": Arg("bool", default=False, description=_NO),
        "acme_directory": Arg(
            "str", default="https://acme-v02.api.letsencrypt.org/directory", description=_NO
        ),
        "select_crypto_backend": BACKEND,
        **FILE_ARGS,
    }
    mutually_exclusive = (
        ("csr_path", "csr_content"),
        ("privatekey_path", "privatekey_content"),
        ("ownca_path", "ownca_content"),
        ("ownca_privatekey_path", "ownca_privatekey_content"),
    )
    unsupported = ("acme_accountkey_path", "acme_challenge_path", "acme_chain")
    returns = {
        "filename": "the certificate file",
        "certificate": "the certificate's PEM (return_content)",
        "backup_file": "the backup's path (backup)",
    }

    def inputs(self, args: dict[str, Any]) -> list[str | None]:
        return [args["csr_path"], args["privatekey_path"], args["ownca_path"]]

    def probe(self, args: dict[str, Any], secrets: Secrets, new_inputs: bool) -> list[str]:
        validate(args)
        path = quote(args["path"])
        parts = [
            der_section(
                "cert", f"openssl x509 -in {path} -outform DER", f"[ -e {path} ] || exit 66; "
            )
        ]
        if args["return_content"]:
            parts.append(section("content", f"[ -e {path} ] || exit 66; cat -- {path}"))
        if new_inputs:
            return parts
        return parts + input_parts(args, secrets)

    def decide(
        self, args: dict[str, Any], found: dict[str, Section], have: FileAttrs | None
    ) -> bool:
        csr = _need(found, "csr", "the CSR", args.get("csr_path"))
        if args["force"] or (cert_der := der_of(found, "cert")) is None:
            return True
        try:
            cert = der.parse_cert(cert_der)
            return not _matches(args, found, cert, der.parse_csr(csr))
        except (der.DerError, IndexError, ValueError):
            return True

    def generate(self, args: dict[str, Any], found: dict[str, Section], secrets: Secrets) -> str:
        own = args["provider"] == "ownca"
        prefix = "ownca" if own else "selfsigned"
        csr = key_source(secrets, args, "csr")
        extensions = _extensions(args, der.parse_csr(_need(found, "csr", "the CSR", None)))
        digest = _digest(args[f"{prefix}_digest"], found, own)
        config = secrets.file("ca.cnf", _CA_CONFIG.format(digest=digest, extensions=extensions))
        start, end = (_date(args[f"{prefix}_not_{when}"]) for when in ("before", "after"))
        if own:
            key = key_source(secrets, args, "ownca_privatekey")
            signer = f"-cert {key_source(secrets, args, 'ownca')} -keyfile {key} "
            signer += passin(secrets, "PC", args["ownca_privatekey_passphrase"])
        else:
            signer = f"-selfsign -keyfile {key_source(secrets, args)} "
            signer += passin(secrets, "PK", args["privatekey_passphrase"])
        return (
            'export w; : > "$w/index.txt"; openssl rand -hex 16 > "$w/serial"\n'
            f'openssl ca -batch -config {config} -in {csr} -out "$w/out" -notext -preserveDN '
            f'-startdate {start} -enddate {end} {signer} >"$w/log" 2>&1 || '
            '{ cat -- "$w/log" >&2; exit 1; }'
        )

    def report(self, args: dict[str, Any], secrets: Secrets) -> list[str]:
        return [section("content", 'cat -- "$w/out"')] if args["return_content"] else []

    def values(
        self, args: dict[str, Any], found: dict[str, Section], changed: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"filename": args["path"]}
        if args["return_content"]:
            content = found.get("content")
            out["certificate"] = content.text if content and content.rc == 0 else None
        return out


def input_parts(args: dict[str, Any], secrets: Secrets) -> list[str]:
    """Probe sections printing what the certificate is made from: the CSR (and whether its
    signature verifies), the private key's public key and the CA certificate (DER)."""
    csr = key_source(secrets, args, "csr")
    parts = [der_section("csr", f"openssl req -in {csr} -outform DER")]
    parts.append(section("csrsig", verify_csr(csr)))
    if args["privatekey_path"] or args["privatekey_content"]:
        key = key_source(secrets, args)
        secret = passin(secrets, "PK", args["privatekey_passphrase"])
        parts.append(der_section("pub", f"openssl pkey -in {key} {secret} -pubout -outform DER"))
    if args["provider"] == "ownca":
        ca = key_source(secrets, args, "ownca")
        parts.append(der_section("ca", f"openssl x509 -in {ca} -outform DER"))
    return parts


def validate(args: dict[str, Any]) -> None:
    provider = args["provider"]
    if provider is None:
        raise ModuleError("provider is required when state is present")
    if provider == "acme":
        raise ModuleError("provider acme is not supported by pbe")
    if not args["ignore_timestamps"]:
        raise ModuleError("ignore_timestamps=false is not supported by pbe")
    if args["csr_path"] is None and args["csr_content"] is None:
        raise ModuleError("pbe needs a CSR: one of csr_path, csr_content")
    if provider == "selfsigned" and not (args["privatekey_path"] or args["privatekey_content"]):
        raise ModuleError("provider selfsigned needs privatekey_path or privatekey_content")
    if provider == "ownca":
        if not (args["ownca_path"] or args["ownca_content"]):
            raise ModuleError("provider ownca needs ownca_path or ownca_content")
        if not (args["ownca_privatekey_path"] or args["ownca_privatekey_content"]):
            raise ModuleError(
                "provider ownca needs ownca_privatekey_path or ownca_privatekey_content"
            )
    for key in (
        "selfsigned_not_before",
        "selfsigned_not_after",
        "ownca_not_before",
        "ownca_not_after",
    ):
        _date(args[key])


def _need(found: dict[str, Section], name: str, what: str, path: str | None) -> bytes:
    data = der_of(found, name)
    if data is None:
        part = found.get(name)
        raise ModuleError(
            f"cannot read {what}{f' {path}' if path else ''}: {part.text.strip() if part else ''}"
        )
    return data


def _matches(
    args: dict[str, Any], found: dict[str, Section], cert: der.Cert, csr: der.Cert
) -> bool:
    """community.crypto's checks, with the issuer's name and key identifier standing in for
    verifying the certificate's signature."""
    own = args["provider"] == "ownca"
    ski_mode = args[
        "ownca_create_subject_key_identifier" if own else "selfsigned_create_subject_key_identifier"
    ]
    aki = own and args["ownca_create_authority_key_identifier"]
    pub = der_of(found, "pub")
    if pub is not None and der.parse_spki(pub).der != cert.spki.der:
        return False
    sig = found.get("csrsig")
    if sig is None or sig.rc != 0 or csr.spki.der != cert.spki.der or csr.subject != cert.subject:
        return False
    if not _same_extensions(cert, csr, ski_mode != "never_create", aki):
        return False
    if ski_mode != "never_create" and not _ski_ok(cert, csr, ski_mode):
        return False
    if not own:
        return cert.issuer == cert.subject
    ca = der.parse_cert(_need(found, "ca", "the CA certificate", args["ownca_path"]))
    return cert.issuer == ca.subject and (not aki or _aki_ok(cert, ca))


def _same_extensions(cert: der.Cert, csr: der.Cert, skip_ski: bool, skip_aki: bool) -> bool:
    skip = {"subjectKeyIdentifier"} if skip_ski else set()
    if skip_aki:
        skip.add("authorityKeyIdentifier")
    mine = sorted((e.oid, e.critical, e.value) for e in cert.extensions if e.name not in skip)
    theirs = sorted((e.oid, e.critical, e.value) for e in csr.extensions if e.name not in skip)
    return mine == theirs


def _ski_ok(cert: der.Cert, csr: der.Cert, mode: str) -> bool:
    ext = cert.ext("subjectKeyIdentifier")
    if ext is None:
        return False
    asked = csr.ext("subjectKeyIdentifier") if mode == "create_if_not_provided" else None
    want = der.octets(asked.value) if asked else ski(cert.spki)
    return der.octets(ext.value) == want


def _aki_ok(cert: der.Cert, ca: der.Cert) -> bool:
    ext = cert.ext("authorityKeyIdentifier")
    ca_ski = ca.ext("subjectKeyIdentifier")
    want = der.octets(ca_ski.value) if ca_ski else ski(ca.spki)
    return ext is not None and der.key_identifier(ext.value) == want


def _extensions(args: dict[str, Any], csr: der.Cert) -> str:
    """The extensions ``openssl ca`` adds to the CSR's (which it copies when absent)."""
    own = args["provider"] == "ownca"
    mode = args[
        "ownca_create_subject_key_identifier" if own else "selfsigned_create_subject_key_identifier"
    ]
    lines = []
    if mode == "always_create" or (
        mode == "create_if_not_provided" and not csr.ext("subjectKeyIdentifier")
    ):
        lines.append("subjectKeyIdentifier = hash")
    if own and args["ownca_create_authority_key_identifier"]:
        lines.append("authorityKeyIdentifier = keyid")
    return "\n".join(lines)


def _digest(name: str, found: dict[str, Section], own: bool) -> str:
    signer = der_of(found, "ca") if own else der_of(found, "pub")
    if signer is not None:
        kind = (der.parse_cert(signer).spki if own else der.parse_spki(signer)).type
        if kind in ("Ed25519", "Ed448"):
            return "default"
    if not re.fullmatch(r"[A-Za-z0-9-]+", name):
        raise ModuleError(f"unsupported digest {name!r}")
    return name.lower()


def _date(spec: str, now: datetime | None = None) -> str:
    """A validity date as ``openssl ca`` takes it (YYYYMMDDHHMMSSZ, UTC), from Ansible's
    relative (``+3650d``) or absolute (``20250101000000Z``) forms."""
    text = str(spec).strip()
    if re.fullmatch(r"\d{14}Z", text):
        return text
    match = _RELATIVE.match(text)
    if match is None:
        raise ModuleError(f"cannot parse the time {spec!r} (use +3650d, -1d or 20250101000000Z)")
    seconds = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    total = sum(int(n) * seconds[u] for n, u in re.findall(r"(\d+)([wdhms])", match.group(2)))
    sign = -1 if match.group(1) == "-" else 1
    moment = (now or datetime.now(timezone.utc)) + timedelta(seconds=sign * total)
    return moment.strftime("%Y%m%d%H%M%SZ")
