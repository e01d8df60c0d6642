"""x509_certificate_pipe: a certificate returned as text, not written.

The rules are x509_certificate's (the same probe of the CSR, key and CA, the same checks
and the same ``openssl ca`` signing): ``content``, an existing certificate sent on stdin,
is returned unchanged while it still matches; otherwise one more script signs a new one
in a private temp dir and prints it. Like community.crypto's, the module ignores check
mode: it changes nothing on the host.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.crypto import Secrets, der_section, predicted_new
from .util.hostedit import section, sections
from .x509_certificate import X509Certificate, input_parts, validate

_SHOW = section("new", 'cat -- "$w/out"')
_SKIP = {"path", "state", "backup", "return_content", "acme_accountkey_path",
         "acme_challenge_path", "acme_chain", "acme_directory", "mode", "owner", "group",
         "attributes", "seuser", "serole", "setype", "selevel", "unsafe_writes"}  # fmt: skip
_SIGNER = X509Certificate()


@register("x509_certificate_pipe", "community.crypto.x509_certificate_pipe")
class X509CertificatePipe(Module):
    """Sign a self-signed or own-CA certificate; return it (PEM), not a file."""

    args = {
        "content": Arg("str", description="An existing certificate (PEM) to keep when it matches."),
        **{key: arg for key, arg in X509Certificate.args.items() if key not in _SKIP},
        "provider": Arg(
            "str",
            required=True,
            choices=("ownca", "selfsigned"),
            description="Self-signed, or signed by your own CA.",
        ),
    }
    mutually_exclusive = X509Certificate.mutually_exclusive
    returns = {"certificate": "the certificate's PEM (the existing one when it matches)"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        validate(args)
        inputs = ("csr_path", "privatekey_path", "ownca_path", "ownca_privatekey_path")
        if predicted_new(ctx, [args[key] for key in inputs]):  # made earlier in a check run
            return Result(changed=True, values={"certificate": None}, unknown=True)
        probe = Secrets()
        parts = []
        if args["content"] is not None:
            existing = probe.file("cert.pem", args["content"])
            parts.append(der_section("cert", f"openssl x509 -in {existing} -outform DER"))
        parts += input_parts(args, probe)
        found = sections(ctx.run(probe.prelude() + "\n".join(parts), stdin=probe.stdin).out)
        if args["content"] is not None and not _SIGNER.decide(args, found, None):
            return Result(values={"certificate": args["content"]})
        make = Secrets()
        command = _SIGNER.generate(args, found, make)  # adds the secrets it reads
        script = f"{make.prelude()}( set -e\n{command}\n) || exit 1\n{_SHOW}"
        res = ctx.run(script, stdin=make.stdin)
        new = sections(res.out).get("new")
        if res.rc != 0 or new is None or new.rc != 0:
            raise ModuleError(f"cannot make the certificate: {(res.err or res.out).strip()}")
        return Result(changed=True, values={"certificate": new.text})
