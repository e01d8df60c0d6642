"""ping: prove that pbe can log in and run a command on the host."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result


@register("ping")
class Ping(Module):
    """Log in and run `true`; returns `ping: pong`. Targets need no Python."""

    args = {"data": Arg("str", default="pong", description="Value to return; 'crash' fails.")}
    returns = {"ping": "the value of `data`"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["data"] == "crash":
            raise ModuleError("boom (ping data=crash)")
        res = ctx.run("true")
        if res.rc != 0:
            raise ModuleError(f"`true` failed with rc={res.rc}: {res.err.strip()}")
        return Result(values={"ping": args["data"]})
