"""openssl_csr_pipe: a certificate signing request returned as text, not written.

Like community.crypto's, it ignores check mode (it changes nothing on the host): one
probe compares ``content`` (an existing CSR, sent on stdin) with the task, and when it
does not match, one more script makes a new CSR with the host's ``openssl req``.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.crypto import Secrets, predicted_new
from .util.csr import CSR_ARGS, CSR_RETURNS, Request, existing_ok, make_csr, probe_csr, report
from .util.hostedit import section, sections

_SHOW = section("new", 'cat -- "$w/new"')


@register("openssl_csr_pipe", "community.crypto.openssl_csr_pipe")
class OpensslCsrPipe(Module):
    """Make a certificate signing request and return it (PEM) as `csr`."""

    args = {
        "content": Arg("str", description="An existing CSR (PEM) to keep when it matches."),
        **CSR_ARGS,
    }
    mutually_exclusive = (("privatekey_path", "privatekey_content"), ("subject", "subject_ordered"))
    returns = {
        "csr": "the CSR's PEM",
        **CSR_RETURNS,
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        req = Request.of(args)
        if predicted_new(ctx, [args["privatekey_path"]]):  # the key a check run would make
            return Result(changed=True, values=report(req, None), unknown=True)
        probe = Secrets()
        existing = None if args["content"] is None else probe.file("csr.pem", args["content"])
        parts = probe_csr(args, probe, existing)
        found = sections(ctx.run(probe.prelude() + "\n".join(parts), stdin=probe.stdin).out)
        if existing is not None and existing_ok(req, found):
            return Result(values=report(req, args["content"]))
        make = Secrets()
        command = make_csr(req, found, make, '"$w/new"')  # adds the secrets it reads
        script = f"{make.prelude()}{command} || exit 1\n{_SHOW}"
        res = ctx.run(script, stdin=make.stdin)
        new = sections(res.out).get("new")
        if res.rc != 0 or new is None or new.rc != 0:
            raise ModuleError(f"cannot make the CSR: {(res.err or res.out).strip()}")
        return Result(changed=True, values=report(req, new.text))
