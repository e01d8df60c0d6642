"""openssl_csr: a certificate signing request file made by the host's ``openssl req``.

One probe prints the private key's public key and the existing CSR (DER, and whether its
signature verifies); the controller compares them with the task (util/csr.py). One apply
script writes the ``openssl req`` config from stdin, makes the CSR and installs it.
"""

from __future__ import annotations

from typing import Any

from ..transport.shell import quote
from . import register
from .base import Arg
from .util.crypto import FILE_ARGS, CryptoFile, FileAttrs, Secrets
from .util.csr import CSR_ARGS, CSR_RETURNS, Request, existing_ok, make_csr, probe_csr, report
from .util.hostedit import Section, section


@register("openssl_csr", "community.crypto.openssl_csr")
class OpensslCsr(CryptoFile):
    """Generate (or remove) an OpenSSL certificate signing request file."""

    args = {
        "path": Arg("path", required=True, description="The CSR file."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        **CSR_ARGS,
        "force": Arg("bool", default=False, description="Regenerate it even when it matches."),
        "backup": Arg("bool", default=False, description="Keep a timestamped copy of the old one."),
        "return_content": Arg("bool", default=False, description="Return the CSR as `csr`."),
        **FILE_ARGS,
    }
    mutually_exclusive = (("privatekey_path", "privatekey_content"), ("subject", "subject_ordered"))
    returns = {
        "filename": "the CSR file",
        **CSR_RETURNS,
        "csr": "the CSR's PEM (return_content)",
        "backup_file": "the backup's path (backup)",
    }

    def inputs(self, args: dict[str, Any]) -> list[str | None]:
        return [args["privatekey_path"]]

    def probe(self, args: dict[str, Any], secrets: Secrets, new_inputs: bool) -> list[str]:
        Request.of(args)  # a bad argument fails before anything runs
        if new_inputs:
            return []
        parts = probe_csr(args, secrets, quote(args["path"]))
        if args["return_content"]:
            path = quote(args["path"])
            parts.append(section("content", f"[ -e {path} ] || exit 66; cat -- {path}"))
        return parts

    def decide(
        self, args: dict[str, Any], found: dict[str, Section], have: FileAttrs | None
    ) -> bool:
        return bool(args["force"]) or not existing_ok(Request.of(args), found)

    def generate(self, args: dict[str, Any], found: dict[str, Section], secrets: Secrets) -> str:
        return make_csr(Request.of(args), found, secrets, '"$w/out"')

    def report(self, args: dict[str, Any], secrets: Secrets) -> list[str]:
        return [section("content", 'cat -- "$w/out"')] if args["return_content"] else []

    def values(
        self, args: dict[str, Any], found: dict[str, Section], changed: bool
    ) -> dict[str, Any]:
        content = found.get("content")
        text = content.text if content and content.rc == 0 and args["return_content"] else None
        out = report(Request.of(args), text)
        if not args["return_content"]:
            del out["csr"]
        return {"filename": args["path"], **out}
