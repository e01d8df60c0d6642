"""openssl_pkcs12: a PKCS#12 archive made (export) or unpacked (parse) by the host's openssl.

export: one probe opens the existing archive with the passphrase given and prints its
certificates (with their friendly names) and its key's public key, beside the inputs'
certificates and public key; the controller compares them (same key, same certificates in
the same order, same friendly name), as community.crypto does. The encryption settings are
not compared. One apply script runs ``openssl pkcs12 -export`` in a private temp dir and
installs the archive. parse: the probe unpacks ``src`` into PEM (key, certificate, other
certificates) in the temp dir and compares it with ``path`` byte for byte.

Private keys never leave the host: only their public keys are compared.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg
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
from .util.hostedit import Section, section

_PEM_CERT = re.compile(
    r"(?:Bag Attributes(?P<attrs>[^\n]*\n(?:[ \t][^\n]*\n)*))?[^-]*?"
    r"-----BEGIN CERTIFICATE-----\n(?P<body>[A-Za-z0-9+/=\n]+)-----END CERTIFICATE-----"
)
_FRIENDLY = re.compile(r"^\s*friendlyName: (.*)$", re.M)
_COMPAT = "-keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -iter {iter}"
_NO_SECRET = "-keypbe NONE -certpbe NONE -passout pass:"
_ARCHIVE = '[ -e "$p" ] || exit 66; '
_CERTS = "sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p'"


@register("openssl_pkcs12", "community.crypto.openssl_pkcs12")
class OpensslPkcs12(CryptoFile):
    """Generate (export) or unpack (parse) a PKCS#12 archive."""

    default_mode = "0400"
    args = {
        "action": Arg(
            "str",
            default="export",
            choices=("export", "parse"),
            description="Make the archive at `path` (export) or unpack `src` into `path` (parse).",
        ),
        "path": Arg("path", required=True, description="The archive (export) or PEM (parse) file."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        "src": Arg("path", description="The archive to unpack (parse)."),
        "privatekey_path": Arg("path", description="The private key file on the host."),
        "privatekey_content": Arg("str", description="The private key itself (PEM)."),
        "privatekey_passphrase": Arg(
            "str", secret=True, description="The private key's passphrase."
        ),
        "certificate_path": Arg("path", description="The certificate file (PEM) on the host."),
        "certificate_content": Arg("str", description="The certificate itself (PEM)."),
        "other_certificates": Arg(
            "list",
            elements="path",
            aliases=("ca_certificates",),
            description="Other certificate files (PEM) to include, in order.",
        ),
        "other_certificates_content": Arg(
            "list", elements="str", description="Other certificates (PEM) to include, in order."
        ),
        "other_certificates_parse_all": Arg(
            "bool",
            default=False,
            description="Take every certificate of each other certificate, not only the first.",
        ),
        "friendly_name": Arg(
            "str", aliases=("name",), description="The friendly name of the key and certificate."
        ),
        "passphrase": Arg("str", secret=True, description="The archive's passphrase."),
        "encryption_level": Arg(
            "str",
            default="auto",
            choices=("auto", "compatibility2022"),
            description="openssl's default (AES-256, SHA-256 MAC) or 3DES with a SHA-1 MAC for "
            "older software; not compared with an existing archive.",
        ),
        "iter_size": Arg(
            "int", description="Iterations with compatibility2022 (default 50000); not compared."
        ),
        "maciter_size": Arg("int", description="Ignored (deprecated in community.crypto)."),
        "force": Arg("bool", default=False, description="Regenerate it even when it matches."),
        "backup": Arg("bool", default=False, description="Keep a timestamped copy of the old one."),
        "return_content": Arg(
            "bool", default=False, description="Return the archive (base64) as `pkcs12`."
        ),
        "select_crypto_backend": BACKEND,
        **FILE_ARGS,
    }
    mutually_exclusive = (
        ("privatekey_path", "privatekey_content"),
        ("certificate_path", "certificate_content"),
        ("other_certificates", "other_certificates_content"),
    )
    returns = {
        "filename": "the archive (export) or PEM file (parse)",
        "privatekey_path": "the private key file (when given)",
        "pkcs12": "the archive, base64 (export with return_content)",
        "backup_file": "the backup's path (backup)",
    }

    def inputs(self, args: dict[str, Any]) -> list[str | None]:
        if args["action"] == "parse":
            return [args["src"]]
        return [args["privatekey_path"], args["certificate_path"], *_others(args)]

    def probe(self, args: dict[str, Any], secrets: Secrets, new_inputs: bool) -> list[str]:
        _validate(args)
        path = quote(args["path"])
        parts = []
        if args["return_content"] and args["action"] == "export":
            parts.append(
                section("content", f"[ -e {path} ] || exit 66; openssl base64 -A < {path}")
            )
        if new_inputs:
            return parts
        if args["action"] == "parse":
            unpack = _unpack(args, secrets, '"$w/new"')
            return [*parts, section("same", f'{unpack} && cmp -s -- "$w/new" {path}')]
        p12 = f'openssl pkcs12 -in "$p" {passin(secrets, "PP", args["passphrase"])}'
        return [*parts, *_archive_parts(path, p12), *_input_parts(args, secrets)]

    def check_inputs(self, args: dict[str, Any], found: dict[str, Section]) -> None:
        if args["action"] == "parse":
            same = found.get("same")
            if same is not None and same.rc == 3:
                raise ModuleError(f"cannot read {args['src']}: {same.text.strip()}")
            return
        _wanted_certs(args, found)
        _wanted_key(args, found)

    def decide(
        self, args: dict[str, Any], found: dict[str, Section], have: FileAttrs | None
    ) -> bool:
        if args["action"] == "parse":
            same = found.get("same")
            return bool(args["force"]) or same is None or same.rc != 0
        return bool(args["force"]) or not _matches(args, found)

    def generate(self, args: dict[str, Any], found: dict[str, Section], secrets: Secrets) -> str:
        if args["action"] == "parse":
            return _unpack(args, secrets, '"$w/out"')
        return _export(args, secrets)

    def report(self, args: dict[str, Any], secrets: Secrets) -> list[str]:
        if args["return_content"] and args["action"] == "export":
            return [section("content", 'openssl base64 -A < "$w/out"')]
        return []

    def values(
        self, args: dict[str, Any], found: dict[str, Section], changed: bool
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"filename": args["path"]}
        if args["privatekey_path"] is not None and args["action"] == "export":
            out["privatekey_path"] = args["privatekey_path"]
        if args["return_content"] and args["action"] == "export":
            content = found.get("content")
            out["pkcs12"] = content.text.strip() if content and content.rc == 0 else None
        return out


def _validate(args: dict[str, Any]) -> None:
    if args["action"] == "parse":
        if args["src"] is None:
            raise ModuleError("action is parse but all of the following are missing: src")
        return
    given = [args[k] for k in ("privatekey_path", "privatekey_content")]
    given += [args[k] for k in ("certificate_path", "certificate_content")]
    if not any(v is not None for v in given) and not _others(args) and not _others_content(args):
        raise ModuleError("You must supply at least one of key, cert, or cas")
    if args["friendly_name"] is None:
        raise ModuleError("Friendly_name is required")


def _others(args: dict[str, Any]) -> list[str]:
    return [str(p) for p in args["other_certificates"] or []]


def _others_content(args: dict[str, Any]) -> list[str]:
    return [str(c) for c in args["other_certificates_content"] or []]


def _has_key(args: dict[str, Any]) -> bool:
    return args["privatekey_path"] is not None or args["privatekey_content"] is not None


def _has_cert(args: dict[str, Any]) -> bool:
    return args["certificate_path"] is not None or args["certificate_content"] is not None


# -- probe ---------------------------------------------------------------------------------


def _archive_parts(path: str, p12: str) -> list[str]:
    """The existing archive's certificates (all, in order, with their bag attributes), its
    key's public key and the key's friendly name."""
    head = f"p={path}; {_ARCHIVE}"
    key = f'{head}{p12} -nocerts -nodes > "$w/k" 2>"$w/err" || {{ cat -- "$w/err"; exit 1; }}'
    return [
        section("certs", f"{head}{p12} -nokeys"),
        section("keyname", f'{key}; grep -- "friendlyName:" "$w/k" || :'),
        der_section("keypub", 'openssl pkey -in "$w/k" -pubout -outform DER', f"{head}"),
    ]


def _input_parts(args: dict[str, Any], secrets: Secrets) -> list[str]:
    parts = []
    if _has_key(args):
        key = key_source(secrets, args)
        secret = passin(secrets, "PK", args["privatekey_passphrase"])
        parts.append(der_section("pub", f"openssl pkey -in {key} {secret} -pubout -outform DER"))
    if _has_cert(args):
        cert = key_source(secrets, args, "certificate")
        parts.append(section("cert", f"openssl x509 -in {cert}"))
    parts.append(section("others", _collect_others(args, secrets, "")))
    return parts


def _collect_others(args: dict[str, Any], secrets: Secrets, into: str) -> str:
    """Shell printing (or appending to ``into``) the other certificates as PEM, in order."""
    sources = [quote(p) for p in _others(args)]
    sources += [secrets.file(f"other{i}", c) for i, c in enumerate(_others_content(args))]
    steps = [": "]
    for src in sources:
        steps.append(
            f"[ -r {src} ] && {_CERTS} {src}"
            if args["other_certificates_parse_all"]
            else f"openssl x509 -in {src}"
        )
    redirect = f" >> {into}" if into else ""
    return " && ".join(f"{{ {step}; }}{redirect}" for step in steps)


# -- compare -------------------------------------------------------------------------------


def cert_blocks(text: str) -> list[tuple[str | None, bytes]]:
    """The certificates of openssl PEM output, each with its friendly name (if any)."""
    out = []
    for match in _PEM_CERT.finditer(text):
        name = _FRIENDLY.search(match.group("attrs") or "")
        der = base64.b64decode(re.sub(r"\s", "", match.group("body")))
        out.append((name.group(1).strip() if name else None, der))
    return out


def _text(found: dict[str, Section], name: str) -> str | None:
    part = found.get(name)
    return part.text if part is not None and part.rc == 0 else None


def _need_text(found: dict[str, Section], name: str, what: str) -> str:
    text = _text(found, name)
    if text is None:
        part = found.get(name)
        raise ModuleError(f"cannot read {what}: {part.text.strip() if part else ''}")
    return text


def _wanted_certs(args: dict[str, Any], found: dict[str, Section]) -> list[bytes]:
    """The certificate (first) and the other certificates the archive must hold."""
    want = [der for _, der in cert_blocks(_need_text(found, "others", "the other certificates"))]
    if _has_cert(args):
        cert = cert_blocks(_need_text(found, "cert", "the certificate"))
        want = [cert[0][1], *want]
    return want


def _wanted_key(args: dict[str, Any], found: dict[str, Section]) -> bytes | None:
    """The private key's public key (None without a key)."""
    if not _has_key(args):
        return None
    pub = der_of(found, "pub")
    if pub is None:
        part = found.get("pub")
        raise ModuleError(f"cannot read the private key: {part.text.strip() if part else ''}")
    return pub


def _matches(args: dict[str, Any], found: dict[str, Section]) -> bool:
    """The existing archive opens with the passphrase and holds the same key, the same
    certificates in the same order and the same friendly name."""
    want, want_key = _wanted_certs(args, found), _wanted_key(args, found)
    certs, keyname = _text(found, "certs"), _text(found, "keyname")
    if certs is None or keyname is None:
        return False  # no archive, or it does not open with this passphrase
    have = cert_blocks(certs)
    if [der for _, der in have] != want or der_of(found, "keypub") != want_key:
        return False
    names = _FRIENDLY.findall(keyname) if want_key else [n for n, _ in have[:1] if n]
    return [n.strip() for n in names[:1]] == [args["friendly_name"]]


# -- apply ---------------------------------------------------------------------------------


def _export(args: dict[str, Any], secrets: Secrets) -> str:
    name = quote(args["friendly_name"])
    collect = _collect_others(args, secrets, '"$w/others.pem"')
    options = ['"$@"']
    if _has_key(args):
        key = key_source(secrets, args)
        options.append(f"-inkey {key} {passin(secrets, 'PK', args['privatekey_passphrase'])}")
        options.append(f"-name {name}")
    else:
        options.append(f"-nokeys -caname {name}")
    if _has_cert(args):
        options.append(f"-in {key_source(secrets, args, 'certificate')}")
    elif _has_key(args):
        options.append("-nocerts")
    else:
        options.append('-in "$w/others.pem"')
        options[0] = ""
    options.append(_encryption(args, secrets))
    return (
        f': > "$w/others.pem"; {collect}\n'
        'set --; if [ -s "$w/others.pem" ]; then set -- -certfile "$w/others.pem"; fi\n'
        f'openssl pkcs12 -export -out "$w/out" {" ".join(filter(None, options))}'
    )


def _encryption(args: dict[str, Any], secrets: Secrets) -> str:
    if args["passphrase"] is None:
        return _NO_SECRET
    out = f"-passout env:{secrets.var('PO', args['passphrase'])}"
    if args["encryption_level"] == "compatibility2022":
        out += " " + _COMPAT.format(iter=int(args["iter_size"] or 50000))
    return out


def _unpack(args: dict[str, Any], secrets: Secrets, into: str) -> str:
    """Shell writing ``src``'s key (traditional PEM), certificate and other certificates to
    ``into``, as community.crypto's parse does (status 3 when ``src`` cannot be read)."""
    src = quote(args["src"])
    p12 = f"openssl pkcs12 -in {src} {passin(secrets, 'PS', args['passphrase'])}"
    fail = '2>"$w/err" || { cat -- "$w/err"; exit 3; }'
    return (
        f"{{ [ -e {src} ] || {{ echo {quote(args['src'] + ' does not exist')}; exit 3; }}; "
        f'{p12} -nocerts -nodes > "$w/pk" {fail}; '
        f'{p12} -nokeys -clcerts > "$w/cl" {fail}; '
        f'{p12} -nokeys -cacerts > "$w/ca" {fail}; : > {into}; '
        f'if grep -q -- "-----BEGIN" "$w/pk"; then '
        f'openssl pkey -in "$w/pk" -traditional >> {into} {fail}; fi; '
        f'{_CERTS} "$w/cl" "$w/ca" >> {into}; }}'
    )
