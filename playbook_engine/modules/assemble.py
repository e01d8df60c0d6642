"""assemble: concatenate the fragments in a directory into one file on the host.

Fragments are the regular files of ``src`` (on the host with ``remote_src``, the default,
else on the controller), in name order, filtered by ``regexp`` (``re.search`` on the name)
and ``ignore_hidden``. A fragment not ending in a newline gets one before the next, and
``delimiter`` (backslash escapes decoded, a newline added unless it ends in one) goes
between fragments. The host's fragments come back in one round trip; the destination is
written through ``textedit`` (atomic, ``validate``, ``backup``, attributes), so a check run
predicts the write exactly.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.content import ATTR_ARGS, IGNORED_FILE_ARGS, file_values
from .util.filestate import FileState
from .util.textedit import FileOptions, Outcome, commit, kind_failure, probe
from .util.words import validate_line

_MISSING, _NOT_DIR = 22, 21
# NAME NUL SIZE LF BYTES, for each regular file (links followed) of the directory.
_DUMP = (
    f'd={{src}}; [ -e "$d" ] || exit {_MISSING}; [ -d "$d" ] || exit {_NOT_DIR}; '
    'for f in "$d"/* "$d"/.*; do [ -f "$f" ] || continue; '
    'n=$(wc -c < "$f") || exit 1; printf \'%s\\0%s\\n\' "${{f##*/}}" "$n"; '
    'head -c "$n" -- "$f"; done'
)
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.DOTALL)
_SIMPLE = {
    "n": b"\n",
    "t": b"\t",
    "r": b"\r",
    "\\": b"\\",
    "'": b"'",
    '"': b'"',
    "a": b"\a",
    "b": b"\b",
    "f": b"\f",
    "v": b"\v",
}


def unescape(text: str) -> bytes:
    """Backslash escapes (``\\n``, ``\\t``, ``\\x41``, ``\\101`` ...) as bytes, the rest as
    UTF-8: what Ansible does to ``delimiter``."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        simple = _SIMPLE.get(code)
        return simple.decode("latin-1") if simple else "\\" + code

    parts = []
    pos = 0
    for match in _ESCAPE.finditer(text):
        parts.append(text[pos : match.start()].encode("utf-8", "surrogateescape"))
        parts.append(one(match).encode("latin-1"))
        pos = match.end()
    parts.append(text[pos:].encode("utf-8", "surrogateescape"))
    return b"".join(parts)


def parse_dump(src: str, res: CommandResult) -> list[tuple[str, bytes]]:
    """The fragments the dump script printed, as (name, bytes) (pure; unit-tested)."""
    if res.rc == _MISSING:
        raise ModuleError(f"Source ({src}) does not exist")
    if res.rc == _NOT_DIR:
        raise ModuleError(f"Source ({src}) is not a directory")
    if res.rc != 0:
        raise ModuleError(
            f"cannot read the fragments in {src}: {res.err.strip() or f'exit status {res.rc}'}"
        )
    data, pos, out = res.stdout, 0, []
    while pos < len(data):
        nul = data.index(b"\0", pos)
        eol = data.index(b"\n", nul)
        size = int(data[nul + 1 : eol])
        name = data[pos:nul].decode("utf-8", "surrogateescape")
        out.append((name, data[eol + 1 : eol + 1 + size]))
        pos = eol + 1 + size
    return out


def local_fragments(path: Path) -> list[tuple[str, bytes]]:
    """The regular files of a controller directory, as (name, bytes)."""
    if not path.exists():
        raise ModuleError(f"Source ({path}) does not exist")
    if not path.is_dir():
        raise ModuleError(f"Source ({path}) is not a directory")
    return [(p.name, p.read_bytes()) for p in path.iterdir() if p.is_file()]


def assemble(
    fragments: list[tuple[str, bytes]],
    regexp: str | None,
    ignore_hidden: bool,
    delimiter: str | None,
) -> bytes:
    """The assembled bytes (pure; unit-tested)."""
    pattern = _regex(regexp) if regexp else None
    delim = unescape(delimiter) if delimiter else b""
    if delim and not delim.endswith(b"\n"):
        delim += b"\n"
    out: list[bytes] = []
    for name, data in sorted(fragments):
        if (pattern is not None and not pattern.search(name)) or (
            ignore_hidden and name.startswith(".")
        ):
            continue
        if out and not out[-1].endswith(b"\n"):
            out.append(b"\n")
        if out and delim:
            out.append(delim)
        out.append(data)
    return b"".join(out)


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ModuleError(f"regexp: invalid regular expression {pattern!r}: {exc}") from None


@register("assemble")
class Assemble(Module):
    """Concatenate the fragment files of a directory into one file on the host."""

    predicts_files = True
    supports_async = False  # Ansible's action refuses async too

    local_paths = frozenset({"src"})
    args = {
        "src": Arg(
            "path",
            required=True,
            description="The directory of fragments (on the host with remote_src).",
        ),
        "dest": Arg("path", required=True, description="The file to write on the host."),
        "remote_src": Arg(
            "bool",
            default=True,
            description="src is on the host; false: on the controller (searched in files/).",
        ),
        "regexp": Arg(
            "str",
            description="Only fragments whose name this Python regex finds a match in (re.search).",
        ),
        "delimiter": Arg(
            "str", description="Written between fragments; backslash escapes (\\n) are decoded."
        ),
        "ignore_hidden": Arg(
            "bool", default=False, description="Leave out fragments whose name starts with a dot."
        ),
        "backup": Arg(
            "bool",
            default=False,
            description="Keep a timestamped copy of dest before replacing it.",
        ),
        "validate": Arg(
            "str",
            description="Command run on the new file before it replaces "
            "dest; %s is the new file's path.",
        ),
        "decrypt": Arg(
            "bool", default=True, description="Accepted; pbe has no vault files to decrypt here."
        ),
        **ATTR_ARGS,
        **IGNORED_FILE_ARGS,
    }
    returns = {
        "dest": "the file written",
        "src": "the fragment directory",
        "checksum": "sha1 of the result",
        "md5sum": "md5 of the result",
        "size": "its size",
        "mode": "its mode",
        "owner": "its owner",
        "group": "its group",
        "uid": "owner uid",
        "gid": "group gid",
        "state": "file",
        "backup_file": "the backup's path, when one was made",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["regexp"]:
            _regex(args["regexp"])
        data = assemble(
            self._fragments(args, ctx), args["regexp"], args["ignore_hidden"], args["delimiter"]
        )
        if args["validate"]:
            validate_line(args["validate"], "t")  # "must contain %s": fail before writing
        dest = args["dest"]
        target = probe(ctx, dest)
        if failure := kind_failure(target, dest):
            return Result.of(failure)
        opts = FileOptions(
            backup=args["backup"],
            mode=args["mode"],
            owner=args["owner"],
            group=args["group"],
            validate=args["validate"],
        )
        done = commit(ctx, dest, target, Outcome(data, "OK"), opts)
        state = target.state
        if done["changed"]:
            known = ctx.files.known(target.path)
            state = known or ctx.files.stat(target.path)
        values = {
            "dest": dest,
            "src": args["src"],
            "checksum": hashlib.sha1(data).hexdigest(),
            "md5sum": hashlib.md5(data, usedforsecurity=False).hexdigest(),
            **_attrs(state, len(data)),
        }
        if "backup" in done:
            values["backup_file"] = done["backup"]
        return Result(changed=done["changed"], msg="OK", values=values, diff=done.get("diff"))

    def _fragments(self, args: dict[str, Any], ctx: ModuleContext) -> list[tuple[str, bytes]]:
        if not args["remote_src"]:
            return local_fragments(ctx.find_file("files", args["src"]))
        return parse_dump(args["src"], ctx.run(_DUMP.format(src=quote(args["src"]))))


def _attrs(state: FileState, size: int) -> dict[str, Any]:
    values = file_values(state)
    values["size"] = size
    values["state"] = "file"
    return values
