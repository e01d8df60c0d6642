"""openssl_publickey: the public key of a private key, in PEM or OpenSSH form.

One probe prints the private key's public key (DER, read by the host's openssl with the
passphrase given) and the existing file. The controller writes the new file's text from
that DER itself (PEM, or OpenSSH's ``ssh-rsa AAAA…`` line), so a check run knows exactly
what the real run writes, and the apply script only installs it.
"""

from __future__ import annotations

import base64
import binascii
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
    fingerprints,
    key_source,
    openssh_key,
    passin,
    pem,
)
from .util.der import parse_spki
from .util.hostedit import Section, section


@register("openssl_publickey", "community.crypto.openssl_publickey")
class OpensslPublickey(CryptoFile):
    """Write the public key of an OpenSSL private key (PEM or OpenSSH format)."""

    args = {
        "path": Arg("path", required=True, description="The public key file."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        "privatekey_path": Arg("path", description="The private key file on the host."),
        "privatekey_content": Arg("str", description="The private key itself (PEM)."),
        "privatekey_passphrase": Arg(
            "str", secret=True, description="The private key's passphrase."
        ),
        "format": Arg(
            "str", default="PEM", choices=("OpenSSH", "PEM"), description="The file's format."
        ),
        "force": Arg("bool", default=False, description="Rewrite the file even when it matches."),
        "backup": Arg(
            "bool", default=False, description="Keep a timestamped copy of the old file."
        ),
        "return_content": Arg("bool", default=False, description="Return the key as `publickey`."),
        "select_crypto_backend": BACKEND,
        **FILE_ARGS,
    }
    mutually_exclusive = (("privatekey_path", "privatekey_content"),)
    returns = {
        "filename": "the public key file",
        "format": "PEM or OpenSSH",
        "fingerprint": "hashes of the public key (md5, sha1, sha256 …) as colon hex",
        "privatekey": "the private key's path (None when given as content)",
        "publickey": "the file's content (return_content)",
        "backup_file": "the backup's path (backup)",
    }

    def inputs(self, args: dict[str, Any]) -> list[str | None]:
        return [args["privatekey_path"]]

    def probe(self, args: dict[str, Any], secrets: Secrets, new_inputs: bool) -> list[str]:
        if args["privatekey_path"] is None and args["privatekey_content"] is None:
            raise ModuleError("one of privatekey_path, privatekey_content is required")
        have = section(
            "have", f'p={quote(args["path"])}; [ -e "$p" ] || exit 66; openssl base64 -A < "$p"'
        )
        if new_inputs:
            return [have]
        key = key_source(secrets, args)
        secret = passin(secrets, "PK", args["privatekey_passphrase"])
        return [have, der_section("pub", f"openssl pkey -in {key} {secret} -pubout -outform DER")]

    def decide(
        self, args: dict[str, Any], found: dict[str, Section], have: FileAttrs | None
    ) -> bool:
        wanted = _text(args, found)
        return args["force"] or _existing(found) != _normal(wanted)

    def generate(self, args: dict[str, Any], found: dict[str, Section], secrets: Secrets) -> str:
        secrets.file("out", _text(args, found))
        return ":"

    def values(
        self, args: dict[str, Any], found: dict[str, Section], changed: bool
    ) -> dict[str, Any]:
        der = der_of(found, "pub")
        out: dict[str, Any] = {
            "filename": args["path"],
            "format": args["format"],
            "fingerprint": fingerprints(der) if der else None,
            "privatekey": args["privatekey_path"],
        }
        if args["return_content"]:
            out["publickey"] = _text(args, found) if der else None
        return out


def _text(args: dict[str, Any], found: dict[str, Section]) -> str:
    der = der_of(found, "pub")
    if der is None:
        part = found.get("pub")
        why = part.text.strip() if part else "no output"
        where = args["privatekey_path"] or "privatekey_content"
        raise ModuleError(f"cannot read the private key {where}: {why}")
    if args["format"] == "OpenSSH":
        return openssh_key(parse_spki(der))
    return pem(der, "PUBLIC KEY")


def _existing(found: dict[str, Section]) -> str | None:
    part = found.get("have")
    if part is None or part.rc != 0:
        return None
    try:
        return _normal(base64.b64decode(part.text.strip()).decode())
    except (binascii.Error, UnicodeDecodeError):
        return None


def _normal(text: str) -> str:
    """A key file's text as compared: an OpenSSH line without its comment, or the PEM."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("-----BEGIN"):
        return lines[0] + "".join(line.strip() for line in lines[1:])
    return " ".join(text.split()[:2])
