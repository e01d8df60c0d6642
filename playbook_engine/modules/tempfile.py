"""tempfile: create a uniquely named temporary file or directory on the host.

The name is ``PREFIX`` + eight random characters + ``SUFFIX`` in ``path`` (default:
``$TMPDIR``, else ``/tmp``), created exclusively (``set -C`` for a file, ``mkdir`` for a
directory) with mode 0600 / 0700, and stat'ed in the same round trip. Like Ansible's, it
does not run in check mode: a name it would create cannot be known beforehand.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.probe import PRELUDE, parse_entry, parse_records, unhex

_ALPHABET = string.ascii_lowercase + string.digits + "_"
_CREATE = {
    "file": '(umask 077 && set -C && : > "$p")',
    "directory": '(umask 077 && mkdir -- "$p")',
}
# Create, then the probe layer's stat of what was made and its path (hex).
_SCRIPT = (
    'd={dir}; if [ -z "$d" ]; then d=${{TMPDIR:-/tmp}}; fi; p=${{d%/}}/{name}; '
    "{create} || exit 3; "
    "_q t \"$p\" -; printf 'P|'; printf '%s' \"$p\" | _h; echo"
)


def random_name(prefix: str, suffix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(8)) + suffix


def parse_created(res: CommandResult) -> dict[str, Any]:
    """The new path and its attributes, in Ansible's result shape (pure; unit-tested)."""
    if res.rc != 0:
        raise ModuleError(
            f"cannot create the temporary path: "
            f"{(res.err or res.out).strip() or f'exit status {res.rc}'}"
        )
    records = parse_records(res.out)
    if "P" not in records or "t" not in records:
        raise ModuleError("cannot create the temporary path: unexpected reply from the host")
    path = unhex(records["P"][0][0])
    state = parse_entry(path, records["t"]).state
    return {
        "path": path,
        "state": state.kind,
        "mode": state.mode,
        "owner": state.owner,
        "group": state.group,
        "uid": state.uid,
        "gid": state.gid,
        "size": state.size,
    }


@register("tempfile")
class TempFile(Module):
    """Create a temporary file or directory with a unique name; its path is returned."""

    args = {
        "state": Arg(
            "str",
            default="file",
            choices=("file", "directory"),
            description="Create a file (mode 0600) or a directory (mode 0700).",
        ),
        "path": Arg(
            "path",
            description="The directory to create it in; default $TMPDIR, else /tmp. It must exist.",
        ),
        "prefix": Arg("str", default="ansible.", description="Start of the name."),
        "suffix": Arg("str", default="", description="End of the name."),
    }
    supports_check = False
    returns = {
        "path": "the path created",
        "state": "file or directory",
        "mode": "its mode",
        "owner": "its owner",
        "group": "its group",
        "uid": "owner uid",
        "gid": "group gid",
        "size": "its size",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        for part in ("prefix", "suffix"):  # a `/` in either would put the file elsewhere
            if "/" in args[part]:
                return Result.fail(
                    f"{part} must be a valid file name component, got {args[part]!r}"
                )
        name = random_name(args["prefix"], args["suffix"])
        script = PRELUDE + _SCRIPT.format(
            dir=quote(args["path"] or ""), name=quote(name), create=_CREATE[args["state"]]
        )
        return Result(changed=True, values=parse_created(ctx.run(script)))
