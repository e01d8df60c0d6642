"""x509_crl: a certificate revocation list, built on the controller, signed by the host.

One probe prints (as DER) the existing CRL, whether the CA key's public key verifies its
signature, the key's public key and the revoked certificates named by path; the controller
compares the CRL with the task (util/crl.py: issuer, signature algorithm, entries and,
unless ``ignore_timestamps``, the dates). When it must change, the controller encodes the
new TBSCertList and one apply script signs it with the host's openssl (the key never
leaves the host), assembles the CRL and installs it, as PEM or DER.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg
from .util import crl as crlmod
from .util.crl import Crl, Entry
from .util.crypto import (
    FILE_ARGS,
    CryptoFile,
    FileAttrs,
    Secrets,
    der_of,
    der_section,
    key_source,
    passin,
)
from .util.der import DerError, parse_spki
from .util.hostedit import Section, section

_ENTRY_KEYS = {
    "path", "content", "serial_number", "revocation_date", "reason", "reason_critical",
    "invalidity_date", "invalidity_date_critical", "issuer", "issuer_critical",
}  # fmt: skip
_READ = (
    '{ openssl crl -in "$p" -outform DER 2>/dev/null || '
    'openssl crl -inform DER -in "$p" -outform DER; }'
)
_EXISTS = '[ -e "$p" ] || exit 66; '
# the offset, header length and length of the CRL's parts: TBS first, signature last
_PARTS = (
    'openssl asn1parse -inform DER -in "$w/crl.der" | '
    'awk \'/d=1/ { gsub(/[:=]/, " "); print $1, $5, $7 }\' > "$w/parts"'
)
_LENGTH_SHELL = r"""o() { for x; do printf "\\$(printf %03o "$x")"; done; }
dl() { if [ "$1" -lt 128 ]; then o "$1"; elif [ "$1" -lt 256 ]; then o 129 "$1"
  elif [ "$1" -lt 65536 ]; then o 130 $(($1 / 256)) $(($1 % 256))
  else o 131 $(($1 / 65536)) $(($1 / 256 % 256)) $(($1 % 256)); fi; }
hl() { if [ "$1" -lt 128 ]; then echo 1; elif [ "$1" -lt 256 ]; then echo 2
  elif [ "$1" -lt 65536 ]; then echo 3; else echo 4; fi; }"""


def _time_arg(what: str, default: str | None = None) -> Arg:
    return Arg(
        "str",
        default=default,
        description=f"{what}: relative (`+7d`, `-1h`, `+32w1d2h`) or absolute "
        "(`20250101000000Z`), UTC.",
    )


@register("x509_crl", "community.crypto.x509_crl")
class X509Crl(CryptoFile):
    """Generate, update (or remove) a certificate revocation list signed by a CA key."""

    args = {
        "path": Arg("path", required=True, description="The CRL file."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        "crl_mode": Arg(
            "str",
            default="generate",
            choices=("generate", "update"),
            description="`generate`: exactly `revoked_certificates`; `update`: also keep the "
            "existing CRL's other entries.",
        ),
        "force": Arg("bool", default=False, description="Regenerate it even when it matches."),
        "backup": Arg("bool", default=False, description="Keep a timestamped copy of the old one."),
        "privatekey_path": Arg("path", description="The CA's private key on the host."),
        "privatekey_content": Arg("str", description="The CA's private key itself (PEM)."),
        "privatekey_passphrase": Arg("str", secret=True, description="The CA key's passphrase."),
        "format": Arg(
            "str", default="pem", choices=("pem", "der"), description="The file's format."
        ),
        "issuer": Arg("dict", description="The issuer's name: name → value (a list repeats it)."),
        "issuer_ordered": Arg(
            "list", elements="dict", description="The issuer's name, in order (one-item dicts)."
        ),
        "last_update": _time_arg("When the CRL was issued", "+0s"),
        "next_update": _time_arg("When the next CRL is due (required for present)"),
        "digest": Arg("str", default="sha256", description="The signature's digest."),
        "ignore_timestamps": Arg(
            "bool",
            default=False,
            description="Do not compare last_update, next_update and revocation dates.",
        ),
        "revoked_certificates": Arg(
            "list",
            elements="dict",
            description="The revoked certificates: `path`, `content` or `serial_number`, with "
            "`revocation_date`, `reason`, `invalidity_date`, `issuer` and their `*_critical`.",
        ),
        "serial_numbers": Arg(
            "str",
            default="integer",
            choices=("integer", "hex-octets"),
            description="How `serial_number` is written: `66223` or `01:02:AF`.",
        ),
        "name_encoding": Arg(
            "str",
            default="ignore",
            choices=("ignore", "idna", "unicode"),
            description="Accepted; pbe returns names as the CRL holds them.",
        ),
        "return_content": Arg("bool", default=False, description="Return the CRL as `crl`."),
        **FILE_ARGS,
    }
    mutually_exclusive = (("privatekey_path", "privatekey_content"), ("issuer", "issuer_ordered"))
    returns = {
        "filename": "the CRL file",
        "privatekey": "the CA key's path",
        "format": "`pem` or `der`",
        "digest": "the signature algorithm (`sha256WithRSAEncryption`, `ecdsa-with-SHA256` …)",
        "issuer": "the issuer: long name → value",
        "issuer_ordered": "the issuer as [name, value] pairs, in order",
        "last_update": "when it was issued (ASN.1 TIME)",
        "next_update": "when the next one is due (ASN.1 TIME)",
        "revoked_certificates": "the entries: serial_number, revocation_date, reason, "
        "invalidity_date, issuer and their *_critical",
        "crl": "the CRL (PEM, or base64 of the DER) (return_content)",
        "backup_file": "the backup's path (backup)",
    }

    def inputs(self, args: dict[str, Any]) -> list[str | None]:
        paths = [e.get("path") for e in _entries_arg(args) if isinstance(e, dict)]
        return [args["privatekey_path"], *paths]

    def probe(self, args: dict[str, Any], secrets: Secrets, new_inputs: bool) -> list[str]:
        _validate(args)
        head = f"p={quote(args['path'])}; {_EXISTS}"
        parts = [
            der_section("crl", _READ, head),
            section(
                "fmt", f"{head}if grep -q -- '-----BEGIN' \"$p\"; then echo pem; else echo der; fi"
            ),
        ]
        if args["return_content"]:
            parts.append(section("content", head + _content_shell('"$p"')))
        key = key_source(secrets, args)
        secret = passin(secrets, "PK", args["privatekey_passphrase"])
        parts.append(der_section("pub", f"openssl pkey -in {key} {secret} -pubout -outform DER"))
        for index, entry in enumerate(_entries_arg(args)):
            if entry.get("path") is not None:
                cert = quote(str(entry["path"]))
                parts.append(der_section(f"rev{index}", f"openssl x509 -in {cert} -outform DER"))
        if not new_inputs:
            parts.append(section("sigok", f"{head}{_verify(args, key, secret)}"))
        return parts

    def check_inputs(self, args: dict[str, Any], found: dict[str, Section]) -> None:
        _wanted(args, found)

    def decide(
        self, args: dict[str, Any], found: dict[str, Section], have: FileAttrs | None
    ) -> bool:
        return not _content_ok(args, found) or _format(found) != args["format"]

    def generate(self, args: dict[str, Any], found: dict[str, Section], secrets: Secrets) -> str:
        fmt = "-outform DER" if args["format"] == "der" else ""
        if _content_ok(args, found):  # only the format differs: convert, as Ansible does
            return f'p={quote(args["path"])}; {_READ} > "$w/der"\n' + _emit(fmt)
        return _sign(args, _wanted(args, found), found, secrets) + "\n" + _emit(fmt)

    def report(self, args: dict[str, Any], secrets: Secrets) -> list[str]:
        if args["return_content"]:
            return [section("content", _content_shell('"$w/out"'))]
        return []

    def values(
        self, args: dict[str, Any], found: dict[str, Section], changed: bool
    ) -> dict[str, Any]:
        crl = _existing(found) if not changed else None
        try:
            shown = crl or _wanted(args, found)
        except ModuleError:
            shown = None
        out: dict[str, Any] = {
            "filename": args["path"],
            "privatekey": args["privatekey_path"],
            "format": args["format"],
            **(shown.report() if shown else {}),
        }
        if args["return_content"]:
            content = found.get("content")
            out["crl"] = content.text.strip() + "\n" if content and content.rc == 0 else None
            if out["crl"] and args["format"] == "der":
                out["crl"] = out["crl"].strip()
        return out


def _entries_arg(args: dict[str, Any]) -> list[dict[str, Any]]:
    return list(args["revoked_certificates"] or [])


def _validate(args: dict[str, Any]) -> None:
    missing = [k for k in ("next_update", "revoked_certificates") if args[k] is None]
    if args["privatekey_path"] is None and args["privatekey_content"] is None:
        missing.insert(0, "privatekey_path or privatekey_content")
    if args["issuer"] is None and args["issuer_ordered"] is None:
        missing.append("issuer or issuer_ordered")
    if missing:
        raise ModuleError(
            f"state is present but all of the following are missing: {', '.join(missing)}"
        )
    for index, entry in enumerate(_entries_arg(args)):
        if not isinstance(entry, dict):
            raise ModuleError(f"revoked_certificates[{index}] must be a dict")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise ModuleError(
                f"revoked_certificates[{index}]: unsupported keys {', '.join(unknown)}"
            )
        given = [k for k in ("path", "content", "serial_number") if entry.get(k) is not None]
        if len(given) != 1:
            raise ModuleError(
                f"revoked_certificates[{index}]: exactly one of path, content, serial_number "
                "is required"
            )
        if (
            entry.get("reason") is not None
            and entry["reason"] not in crlmod.REASONS[:7] + crlmod.REASONS[8:]
        ):
            raise ModuleError(f"revoked_certificates[{index}]: unknown reason {entry['reason']!r}")


def _wanted(args: dict[str, Any], found: dict[str, Section]) -> Crl:
    """The CRL the task asks for (in update mode, with the existing one's other entries)."""
    now = args.setdefault("_now", datetime.now(timezone.utc))  # one clock for the whole task
    pub = der_of(found, "pub")
    if pub is None:
        part = found.get("pub")
        raise ModuleError(f"cannot read the private key: {part.text.strip() if part else ''}")
    crl = Crl(
        crlmod.issuer_name(args["issuer"], args["issuer_ordered"]),
        crlmod.asn1_time(args["last_update"], "last_update", now),
        crlmod.asn1_time(args["next_update"], "next_update", now),
        crlmod.sig_algorithm(parse_spki(pub).type, str(args["digest"])),
        [_entry(args, index, entry, found, now) for index, entry in enumerate(_entries_arg(args))],
    )
    return crl.merged(_existing(found)) if args["crl_mode"] == "update" else crl


def _entry(
    args: dict[str, Any],
    index: int,
    entry: dict[str, Any],
    found: dict[str, Section],
    now: datetime,
) -> Entry:
    where = f"revoked_certificates[{index}]"
    if entry.get("path") is not None:
        data = der_of(found, f"rev{index}")
        if data is None:
            part = found.get(f"rev{index}")
            raise ModuleError(f"cannot read {entry['path']}: {part.text.strip() if part else ''}")
        serial = crlmod.serial_of_cert(data)
    elif entry.get("content") is not None:
        serial = crlmod.serial_of_cert(_pem_der(str(entry["content"]), where))
    else:
        serial = crlmod.serial_number(entry["serial_number"], args["serial_numbers"])
    invalidity = entry.get("invalidity_date")
    return Entry(
        serial,
        crlmod.asn1_time(entry.get("revocation_date") or "+0s", f"{where}.revocation_date", now),
        entry.get("reason"),
        bool(entry.get("reason_critical", False)),
        crlmod.asn1_time(invalidity, f"{where}.invalidity_date", now) if invalidity else None,
        bool(entry.get("invalidity_date_critical", False)),
        crlmod.general_names_of(entry.get("issuer")),
        bool(entry.get("issuer_critical", False)),
    )


def _pem_der(text: str, where: str) -> bytes:
    match = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", text, re.S)
    if match is None:
        raise ModuleError(f"{where}.content is not a PEM certificate")
    return base64.b64decode(re.sub(r"\s", "", match.group(1)))


def _content_ok(args: dict[str, Any], found: dict[str, Section]) -> bool:
    """The CRL on the host is the one asked for, signed by the key (its format aside)."""
    want = _wanted(args, found)
    existing = _existing(found)
    if args["force"] or existing is None or found.get("sigok", Section(1, "")).rc != 0:
        return False
    return want.same(existing, not args["ignore_timestamps"], args["crl_mode"] == "update")


def _existing(found: dict[str, Section]) -> Crl | None:
    data = der_of(found, "crl")
    if data is None:
        return None
    try:
        return crlmod.parse_crl(data)
    except (DerError, IndexError, ValueError):
        return None


def _format(found: dict[str, Section]) -> str:
    part = found.get("fmt")
    return part.text.strip() if part and part.rc == 0 else "pem"


def _content_shell(path: str) -> str:
    pem = f"grep -q -- '-----BEGIN' {path}"
    return f"if {pem}; then cat -- {path}; else openssl base64 -A < {path}; fi"


def _digest_option(args: dict[str, Any], kind: str) -> str:
    if kind in ("Ed25519", "Ed448"):
        return ""
    digest = str(args["digest"]).lower()
    if not re.fullmatch(r"[a-z0-9-]+", digest):
        raise ModuleError(f"unsupported digest {args['digest']!r}")
    return f"-{digest}"


def _verify(args: dict[str, Any], key: str, secret: str) -> str:
    """Shell whose status says whether the existing CRL's signature verifies with the key."""
    sign = (
        'openssl pkeyutl -verify -pubin -inkey "$w/pub.pem" -rawin -in "$w/tbs" -sigfile "$w/sig"'
    )
    dgst = 'openssl dgst {d} -verify "$w/pub.pem" -signature "$w/sig" "$w/tbs"'
    digest = str(args["digest"]).lower()
    safe = re.fullmatch(r"[a-z0-9-]+", digest) is not None
    return (
        f'{_READ} > "$w/crl.der" && openssl pkey -in {key} {secret} -pubout -out "$w/pub.pem" '
        f'&& {_PARTS} && set -- $(head -n 1 "$w/parts") $(tail -n 1 "$w/parts") && '
        'tail -c +$(($1 + 1)) "$w/crl.der" | head -c $(($2 + $3)) > "$w/tbs" && '
        'tail -c +$(($4 + $5 + 2)) "$w/crl.der" | head -c $(($6 - 1)) > "$w/sig" && '
        f"{{ {dgst.format(d='-' + digest if safe else '')} || {sign}; }} >/dev/null 2>&1"
    )  # an EdDSA key signs the data itself: dgst refuses it, pkeyutl -rawin verifies


def _sign(args: dict[str, Any], want: Crl, found: dict[str, Section], secrets: Secrets) -> str:
    """Shell signing the new TBSCertList with the CA key and assembling the CRL's DER."""
    pub = der_of(found, "pub")
    kind = parse_spki(pub).type if pub else ""
    body = crlmod.tbs(want)
    alg = crlmod.algorithm_der(want.signature)
    tbs_file = secrets.file("tbs.b64", base64.b64encode(body).decode())
    key = key_source(secrets, args)
    secret = passin(secrets, "PK", args["privatekey_passphrase"])
    if kind in ("Ed25519", "Ed448"):
        signer = f'openssl pkeyutl -sign -inkey {key} {secret} -rawin -in "$w/tbs" -out "$w/sig"'
    else:
        option = _digest_option(args, kind)
        signer = f'openssl dgst {option} -sign {key} {secret} -out "$w/sig" "$w/tbs"'
    octal = "".join(f"\\{b:03o}" for b in alg)
    return "\n".join(
        [
            f'openssl base64 -d -A -in {tbs_file} -out "$w/tbs"',
            signer,
            _LENGTH_SHELL,
            's=$(wc -c < "$w/sig"); b=$((s + 1))',
            f"n=$(({len(body)} + {len(alg)} + 1 + $(hl $b) + b))",
            f'{{ o 48; dl $n; cat "$w/tbs"; printf \'{octal}\'; o 3; dl $b; o 0; cat "$w/sig"; }} '
            '> "$w/der"',
        ]
    )


def _emit(fmt: str) -> str:
    """Shell writing ``$w/der`` to ``$w/out`` in the format asked."""
    return f'openssl crl -inform DER -in "$w/der" {fmt} -out "$w/out"'
