"""x509_certificate_info: what a certificate says, for tasks that decide renewals.

One command prints the certificate's DER (from ``path`` on the host, PEM or DER, or from
``content`` sent on stdin); everything else is read on the controller (util/certinfo.py).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.certinfo import cert_info
from .util.crypto import BACKEND, Secrets, der_of, der_section, predicted_new
from .util.hostedit import sections

NAME_ENCODING = Arg(
    "str",
    default="ignore",
    choices=("ignore", "idna", "unicode"),
    description="Accepted; names are returned as the object holds them.",
)


def read_der(
    ctx: ModuleContext, args: dict[str, Any], command: str, what: str, extra: str = ""
) -> tuple[bytes, dict[str, Any]]:
    """The DER ``openssl <command>`` prints of the task's ``path`` or ``content`` (and the
    sections of ``extra``, shell run on the same input ``$src``)."""
    if (args["path"] is None) == (args["content"] is None):
        raise ModuleError("one of the following is required: path, content")
    secrets = Secrets()
    source = secrets.file("in", args["content"]) if args["content"] else quote(args["path"])
    read = (
        f'{{ openssl {command} -in "$src" -outform DER 2>/dev/null || '
        f'openssl {command} -inform DER -in "$src" -outform DER; }}'
    )
    parts = [f"src={source}", der_section("der", read), extra]
    found = sections(
        ctx.run(secrets.prelude() + "\n".join(filter(None, parts)), stdin=secrets.stdin).out
    )
    data = der_of(found, "der")
    if data is None:
        part = found.get("der")
        where = f" {args['path']}" if args["path"] else ""
        raise ModuleError(f"cannot read the {what}{where}: {part.text.strip() if part else ''}")
    return data, found


@register("x509_certificate_info", "community.crypto.x509_certificate_info")
class X509CertificateInfo(Module):
    """Read a certificate: names, dates, extensions, public key (changes nothing)."""

    args = {
        "path": Arg("path", description="The certificate file (PEM or DER) on the host."),
        "content": Arg("str", description="The certificate itself (PEM)."),
        "valid_at": Arg(
            "dict",
            description="Name → time (`+1d`, `20250101000000Z`): whether it is valid then.",
        ),
        "name_encoding": NAME_ENCODING,
        "select_crypto_backend": BACKEND,
    }
    mutually_exclusive = (("path", "content"),)
    returns = {
        "subject, issuer": "long name → value (`subject_ordered`, `issuer_ordered`: pairs)",
        "not_before, not_after": "the validity dates (ASN.1 TIME)",
        "expired": "whether not_after has passed",
        "valid_at": "name → whether it is valid at that time",
        "serial_number, version, signature_algorithm, fingerprints": "as the names say",
        "public_key, public_key_type, public_key_data, public_key_fingerprints": "its key",
        "subject_alt_name, key_usage, extended_key_usage, basic_constraints, ocsp_must_staple": (
            "the extensions (with `*_critical`), None when absent"
        ),
        "subject_key_identifier, authority_key_identifier, authority_cert_issuer, "
        "authority_cert_serial_number, ocsp_uri, issuer_uri, extensions_by_oid": "the rest",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if predicted_new(ctx, [args["path"]]):
            return Result(unknown=True)
        data, _ = read_der(ctx, args, "x509", "certificate")
        return Result(values=cert_info(data, args["valid_at"], datetime.now(timezone.utc)))
