"""slurp: a file's content from the host, base64-encoded (for ``b64decode`` in templates),
or as UTF-8 text with ``armor: false``.

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

# Exit statuses the read script uses to say why there is nothing to read, in the order
# opening the file finds them (a directory the user cannot read: not readable).
_IS_DIR, _MISSING, _UNREADABLE, _NOT_DIR = 21, 22, 23, 24
_READ = (
    f'p={{path}}; if [ -d "$p" ]; then [ -r "$p" ] || exit {_UNREADABLE}; exit {_IS_DIR}; fi; '
    f'if [ ! -e "$p" ]; then case $(LC_ALL=C ls -d -- "$p" 2>&1) in '
    f'*"Not a directory"*) exit {_NOT_DIR};; *"Permission denied"*) exit {_UNREADABLE};; '
    f"esac; exit {_MISSING}; fi; "
    f'[ -r "$p" ] || exit {_UNREADABLE}; exec cat -- "$p"'
)


def parse_read(src: str, res: CommandResult) -> bytes:
    """The file's bytes, or Ansible's message for why there are none (pure; unit-tested)."""
    if res.rc == _IS_DIR:
        raise ModuleError(f"Source is a directory and must be a file: {src}")
    if res.rc == _MISSING:
        raise ModuleError(f"File not found: {src}")
    if res.rc == _UNREADABLE:
        raise ModuleError(f"File is not readable: {src}")
    if res.rc == _NOT_DIR:  # a file on the way: Ansible's message for any other error
        raise ModuleError(f"Unable to slurp file: {src}")
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
        ),
        "armor": Arg(
            "bool",
            default=True,
            description="Return the content base64-encoded; false: as text (`encoding: "
            "utf-8`), and a file that is not UTF-8 fails the task.",
        ),
    }
    returns = {
        "content": "the file's bytes, base64-encoded (armor: false: the text)",
        "encoding": "base64, or utf-8 with armor: false",
        "source": "the file read",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        src: str = args["src"]
        data = predicted_bytes(ctx, src, f"File not found: {src}")
        if data is None:
            data = parse_read(src, ctx.run(_READ.format(path=quote(src))))
        content, encoding = armored(data) if args["armor"] is not False else as_text(src, data)
        return Result(values={"content": content, "encoding": encoding, "source": src})


def armored(data: bytes) -> tuple[str, str]:
    return base64.b64encode(data).decode("ascii"), "base64"


def as_text(src: str, data: bytes) -> tuple[str, str]:
    """``armor: false``: the bytes as UTF-8 text; bytes that are not fail, as in Ansible
    (pure)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        raise ModuleError(
            f"cannot return {src} as text: {exc} (armor: true returns any bytes)"
        ) from None
