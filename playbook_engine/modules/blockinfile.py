"""blockinfile: keep a block of lines between two marker lines, with Ansible's rules.

The pure ``plan(args, content, path)`` finds the markers (the last BEGIN and the last END
line), replaces what lies between them, or inserts the block where ``insertafter`` /
``insertbefore`` say when they are missing. ``run`` fetches and commits via ``textedit``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.textedit import (
    ENCODING,
    FILE_ARGS,
    Outcome,
    body,
    compile_regex,
    edit_file,
    for_search,
    newline_of,
    split_lines,
    to_bytes,
)


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """The arguments that decide the edit, as bytes and compiled regexes."""

    begin: bytes
    end: bytes
    block: bytes
    present: bool
    insertafter: str | None = None
    insertbefore: str | None = None
    anchor: re.Pattern[bytes] | None = None
    prepend_newline: bool = False
    append_newline: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> BlockSpec:
        marker = args.get("marker") or "# {mark} ANSIBLE MANAGED BLOCK"
        after, before = args.get("insertafter"), args.get("insertbefore")
        if after is None and before is None:
            after = "EOF"
        anchor = (
            after
            if after not in (None, "EOF")
            else (before if before not in (None, "BOF") else None)
        )
        return cls(
            begin=to_bytes(marker.replace("{mark}", args.get("marker_begin") or "BEGIN")),
            end=to_bytes(marker.replace("{mark}", args.get("marker_end") or "END")),
            block=to_bytes(args.get("block") or ""),
            present=args.get("state", "present") == "present",
            insertafter=after,
            insertbefore=before,
            anchor=compile_regex(anchor, "insertafter/insertbefore") if anchor else None,
            prepend_newline=bool(args.get("prepend_newline")),
            append_newline=bool(args.get("append_newline")),
        )

    def lines(self, newline: bytes) -> list[bytes]:
        """Marker, block and marker lines in the file's line ending (none to remove it); in
        an LF file a block line written with CRLF keeps it, as in Ansible."""
        if not (self.present and self.block):
            return []
        text = self.block[:-1] if self.block.endswith(b"\n") else self.block
        crlf = newline == b"\r\n"
        inner = [(p.removesuffix(b"\r") if crlf else p) + newline for p in text.split(b"\n")]
        return [self.begin + newline, *inner, self.end + newline]


# -- the pure edit -----------------------------------------------------------------------


def plan(args: Mapping[str, Any], content: bytes | None, path: str) -> Outcome:
    """The whole decision for a file whose bytes are ``content`` (None: no such file)."""
    spec = BlockSpec.from_args(args)
    if content is None:
        if not spec.present:
            return Outcome(None, f"File {path} not present")
        if not args.get("create"):
            return Outcome(None, f"Path {path} does not exist !", failed=True, extra={"rc": 257})
    after = edit(content or b"", spec)
    if content is None:
        return Outcome(after, "File created")
    if after == content:
        return Outcome(None)
    return Outcome(after, "Block inserted" if spec.lines(b"\n") else "Block removed")


def edit(data: bytes, spec: BlockSpec) -> bytes:
    """The file's new bytes: the block put in place of the old one, or where asked."""
    lines = split_lines(data)
    newline = newline_of(data)
    block = spec.lines(newline)
    begin, end = _marker_lines(lines, spec)
    if begin is not None and end is not None:
        first, last = sorted((begin, end))
        del lines[first : last + 1]
        at = first
    elif not block:  # nothing to remove and nothing to insert
        return data
    else:
        at = _insert_at(data, lines, spec)
    if block:
        _place(lines, at, block, newline, spec)
    return b"".join(lines)


def _marker_lines(lines: list[bytes], spec: BlockSpec) -> tuple[int | None, int | None]:
    """The last BEGIN and the last END marker line (compared without line endings)."""
    begin = end = None
    for index, line in enumerate(lines):
        text = body(line)
        if text == spec.begin:
            begin = index
        if text == spec.end:
            end = index
    return begin, end


def _insert_at(data: bytes, lines: list[bytes], spec: BlockSpec) -> int:
    """Where a new block goes: after/before the last line matching the regex (a (?m)
    regex is searched in the whole text), BOF, or the end of the file."""
    if spec.anchor is None:
        return 0 if spec.insertbefore == "BOF" else len(lines)
    after = spec.insertbefore is None
    if spec.anchor.flags & re.MULTILINE:
        match = spec.anchor.search(data)
        if match is None:
            return len(lines)
        return data.count(b"\n", 0, match.end() if after else match.start()) + after
    found = None
    for index, line in enumerate(lines):
        if spec.anchor.search(for_search(line)):
            found = index
    if found is None:
        return len(lines)
    return found + after


def _place(
    lines: list[bytes], at: int, block: list[bytes], newline: bytes, spec: BlockSpec
) -> None:
    """Insert the block at ``at``, with a blank line around it when asked."""
    at = min(at, len(lines))
    if at > 0 and not lines[at - 1].endswith(b"\n"):
        lines[at - 1] += newline
    if spec.prepend_newline and at > 0 and body(lines[at - 1]):
        lines.insert(at, newline)
        at += 1
    lines[at:at] = block
    after = at + len(block)
    if spec.append_newline and after < len(lines) and body(lines[after]):
        lines.insert(after, newline)


# -- the module --------------------------------------------------------------------------


@register("blockinfile")
class BlockInFile(Module):
    """Insert, update or remove a block of lines between marker lines."""

    predicts_files = True

    args = {
        "path": Arg(
            "path",
            required=True,
            aliases=("dest", "destfile", "name"),
            description="The file to edit (symlinks are followed).",
        ),
        "block": Arg(
            "str",
            default="",
            aliases=("content",),
            description="The lines to keep between the markers; empty removes the "
            "block like state=absent.",
        ),
        "marker": Arg(
            "str",
            default="# {mark} ANSIBLE MANAGED BLOCK",
            description="Marker line template; {mark} becomes marker_begin or "
            "marker_end. Keep one marker per block in a file.",
        ),
        "marker_begin": Arg("str", default="BEGIN", description="{mark} in the first marker."),
        "marker_end": Arg("str", default="END", description="{mark} in the last marker."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the block should be there or not.",
        ),
        "insertafter": Arg(
            "str",
            description="Without markers in the file, insert after the "
            "last line matching this regex; EOF (the "
            "default) appends. (?m) searches the whole text.",
        ),
        "insertbefore": Arg(
            "str",
            description="Without markers in the file, insert before the "
            "last line matching this regex; BOF inserts at "
            "the top.",
        ),
        "append_newline": Arg(
            "bool",
            default=False,
            description="Add a blank line after an inserted block unless "
            "one (or the end of the file) is there.",
        ),
        "prepend_newline": Arg(
            "bool",
            default=False,
            description="Add a blank line before an inserted block unless "
            "one (or the start of the file) is there.",
        ),
        **FILE_ARGS,
        "encoding": ENCODING,
    }
    mutually_exclusive = (("insertbefore", "insertafter"),)
    returns = {
        "changed": "whether the file changed (content or attributes)",
        "msg": "Block inserted, Block removed, File created, ... or empty",
        "backup_file": "path of the backup copy, when one was made (also as `backup`)",
        "diff": "with --diff: before/after content, and attributes when they change",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.of(self.change(args, ctx))

    def change(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        """The result in Ansible's registered shape, built by the shared file helpers."""
        BlockSpec.from_args(args)  # argument errors before the host is asked anything
        result = edit_file(ctx, args, plan)
        if "backup" in result:
            result["backup_file"] = result["backup"]
        return result
