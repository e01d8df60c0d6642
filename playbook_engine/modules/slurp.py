"""slurp: a file's content from the host, base64-encoded (for ``b64decode`` in templates).

One ``cat`` round trip; the encoding happens on the controller, so the host needs no
``base64`` tool. In a check run a file an earlier task would have written is read as it
predicts it.
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.content import predicted_bytes

# Exit statuses the read script uses to say why there is nothing to read.
_IS_DIR, _MISSING = 21, 22
_READ = (
    f'p={{path}}; if [ -d "$p" ]; then exit {_IS_DIR}; fi; '
    f'if [ ! -e "$p" ]; then exit {_MISSING}; fi; exec cat -- "$p"'
)


def parse_read(src: str, res: CommandResult) -> bytes:
    """The file's bytes, or Ansible's message for why there are none (pure; unit-tested)."""
    if res.rc == _IS_DIR:
        raise ModuleError(f"Source is a directory and must be a file: {src}")
    if res.rc == _MISSING:
        raise ModuleError(f"File not found: {src}")
    if res.rc != 0:
        reason = res.err.strip().rsplit(": ", 1)[-1] or f"exit status {res.rc}"
        raise ModuleError(f"Cannot read {src}: {reason}")
    return res.stdout


@register("slurp")
class Slurp(Module):
    """Read a file on the host; its content comes back base64-encoded."""

    args = {
        "src": Arg(
            "path", required=True, aliases=("path",), description="The file to read on the host."
        )
    }
    returns = {
        "content": "the file's bytes, base64-encoded",
        "encoding": "base64",
        "source": "the file read",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        src: str = args["src"]
        data = predicted_bytes(ctx, src, f"File not found: {src}")
        if data is None:
            data = parse_read(src, ctx.run(_READ.format(path=quote(src))))
        return Result(
            values={
                "content": base64.b64encode(data).decode("ascii"),
                "encoding": "base64",
                "source": src,
            }
        )
