"""openssl_csr_info: what a certificate signing request says, and whether it is signed.

One command prints the CSR's DER (``path`` on the host or ``content`` on stdin) and whether
its signature verifies (``openssl req -verify``); the rest is read on the controller.
"""

from __future__ import annotations

from typing import Any

from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.certinfo import csr_info
from .util.crypto import BACKEND, predicted_new
from .util.csr import verify_csr
from .util.hostedit import section
from .x509_certificate_info import NAME_ENCODING, read_der

_VERIFY = section(
    "sig",
    '{ openssl req -in "$src" -outform DER 2>/dev/null || openssl req -inform DER -in "$src" '
    '-outform DER; } | openssl req -inform DER -out "$w/csr.pem" && ' + verify_csr('"$w/csr.pem"'),
)


@register("openssl_csr_info", "community.crypto.openssl_csr_info")
class OpensslCsrInfo(Module):
    """Read a CSR: subject, extensions, public key, signature (changes nothing)."""

    args = {
        "path": Arg("path", description="The CSR file (PEM or DER) on the host."),
        "content": Arg("str", description="The CSR itself (PEM)."),
        "name_encoding": NAME_ENCODING,
        "select_crypto_backend": BACKEND,
    }
    mutually_exclusive = (("path", "content"),)
    returns = {
        "signature_valid": "whether the CSR's signature verifies with its key",
        "subject, subject_ordered": "long name → value, and the ordered pairs",
        "public_key, public_key_type, public_key_data, public_key_fingerprints": "its key",
        "subject_alt_name, key_usage, extended_key_usage, basic_constraints, ocsp_must_staple, "
        "name_constraints_permitted, name_constraints_excluded": (
            "the extensions (with `*_critical`), None when absent"
        ),
        "subject_key_identifier, authority_key_identifier, authority_cert_issuer, "
        "authority_cert_serial_number, extensions_by_oid": "the rest",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if predicted_new(ctx, [args["path"]]):
            return Result(unknown=True)
        data, found = read_der(ctx, args, "req", "CSR", _VERIFY)
        sig = found.get("sig")
        return Result(values={**csr_info(data), "signature_valid": bool(sig and sig.rc == 0)})
