"""lineinfile: make sure one line is in a file (or not), with Ansible's matching rules.

The decision is the pure ``plan(args, content, path)``: which line matches (the last one,
or the first with ``firstmatch``), whether it is replaced, where a new line goes. It is
unit-tested case by case (tests/unit/modules/cases/lineinfile/); ``run`` only fetches the
file and commits the outcome through ``textedit``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
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
    ending,
    for_search,
    newline_of,
    split_lines,
    terminate_last,
    to_bytes,
)

_EMPTY_PATTERN = (
    "lineinfile: the {what} is an empty string, which matches every line: the "
    "last line is replaced (state=present) or every line removed (state=absent)"
)


@dataclass(frozen=True, slots=True)
class LineSpec:
    """The arguments that decide the edit, compiled once."""

    line: bytes | None
    regexp: re.Pattern[bytes] | None = None
    search: bytes | None = None
    insertafter: str | None = None
    insertbefore: str | None = None
    anchor: re.Pattern[bytes] | None = None  # insertafter/insertbefore as a regex
    backrefs: bool = False
    firstmatch: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> LineSpec:
        """Raises ModuleError for combinations Ansible refuses."""
        present = args.get("state", "present") == "present"
        line, regexp, search = args.get("line"), args.get("regexp"), args.get("search_string")
        if present and line is None:
            raise ModuleError("line is required with state=present")
        if present and args.get("backrefs") and regexp is None:
            raise ModuleError("regexp is required with backrefs=true")
        if not present and (line, regexp, search) == (None, None, None):
            raise ModuleError("one of line, search_string, or regexp is required with state=absent")
        after, before = args.get("insertafter"), args.get("insertbefore")
        if after is None and before is None:
            after = "EOF"
        anchor = (
            after
            if after not in (None, "BOF", "EOF")
            else (before if before not in (None, "BOF") else None)
        )
        return cls(
            line=to_bytes(line) if line is not None else None,
            regexp=compile_regex(regexp, "regexp") if regexp is not None else None,
            search=to_bytes(search) if search is not None else None,
            insertafter=after,
            insertbefore=before,
            anchor=compile_regex(anchor, "insertafter/insertbefore") if anchor else None,
            backrefs=bool(args.get("backrefs")) and present,
            firstmatch=bool(args.get("firstmatch")),
        )


# -- the pure edit -----------------------------------------------------------------------


def plan(args: Mapping[str, Any], content: bytes | None, path: str) -> Outcome:
    """The whole decision for a file whose bytes are ``content`` (None: no such file)."""
    spec = LineSpec.from_args(args)
    warnings = _warnings(args)
    if args.get("state", "present") == "absent":
        if content is None:
            return Outcome(None, "file not present", extra={"found": 0})
        return _with_warnings(absent(content, spec), warnings)
    if content is None and not args.get("create"):
        return Outcome(None, f"Destination {path} does not exist !", failed=True, extra={"rc": 257})
    return _with_warnings(present(content or b"", spec), warnings)


def present(data: bytes, spec: LineSpec) -> Outcome:
    """Ensure the line: replace the matching line, else insert it where asked."""
    if spec.line is None:
        raise ModuleError("line is required with state=present")
    lines = split_lines(data)
    newline = newline_of(data)
    hit = _find(lines, spec)
    if hit is not None:
        index, match = hit
        return _put_at(lines, index, _expand(spec.line, match, spec.backrefs), newline)
    exact, anchor = _scan(lines, spec.line, spec)
    if exact is not None:  # the line is already there, though regexp did not match it
        return _put_at(lines, exact, spec.line, newline)
    if spec.backrefs:  # nothing to expand the backreferences from: leave the file alone
        return Outcome(None)
    return _insert(lines, anchor, spec.line, newline, spec)


def absent(data: bytes, spec: LineSpec) -> Outcome:
    """Remove every line that matches (regexp, search_string, or the exact line)."""
    lines = split_lines(data)
    keep = [line for line in lines if not _matches(line, spec)]
    found = len(lines) - len(keep)
    if not found:
        return Outcome(None, extra={"found": 0})
    return Outcome(b"".join(keep), f"{found} line(s) removed", extra={"found": found})


def _find(lines: list[bytes], spec: LineSpec) -> tuple[int, re.Match[bytes] | None] | None:
    """The line regexp/search_string selects: the last match, or the first with firstmatch."""
    if spec.regexp is None and spec.search is None:
        return None
    found: tuple[int, re.Match[bytes] | None] | None = None
    for index, line in enumerate(lines):
        if spec.regexp is not None:
            match = spec.regexp.search(for_search(line))
            if match:
                found = (index, match)
        elif spec.search is not None and spec.search in for_search(line):
            found = (index, None)
        if found is not None and found[0] == index and spec.firstmatch:
            break
    return found


def _scan(lines: list[bytes], want: bytes, spec: LineSpec) -> tuple[int | None, int | None]:
    """Where the exact line already is (last), and where to insert: after/before the last
    (with firstmatch: the first) line matching insertafter/insertbefore."""
    exact: int | None = None
    anchor: int | None = None
    for index, line in enumerate(lines):
        if body(line) == want:
            exact = index
        elif spec.anchor is not None and spec.anchor.search(for_search(line)):
            anchor = index + 1 if spec.insertbefore is None else index
            if spec.firstmatch:
                break
    return exact, anchor


def _expand(line: bytes, match: re.Match[bytes] | None, backrefs: bool) -> bytes:
    if not backrefs or match is None:
        return line
    try:
        return match.expand(line)
    except (re.error, IndexError) as exc:
        raise ModuleError(f"line: cannot expand the backreferences: {exc}") from None


def _put_at(lines: list[bytes], index: int, new: bytes, newline: bytes) -> Outcome:
    """Make line ``index`` read ``new``, keeping that line's own ending."""
    if not new.endswith(b"\n"):
        new += ending(lines[index], newline)
    if lines[index] == new:
        return Outcome(None)
    lines[index] = new
    return Outcome(b"".join(lines), "line replaced")


def _insert(
    lines: list[bytes], anchor: int | None, line: bytes, newline: bytes, spec: LineSpec
) -> Outcome:
    """Add the line: at the top (BOF), after/before the anchor line, else at the end."""
    if "BOF" in (spec.insertbefore, spec.insertafter):
        anchor = 0
    elif spec.insertafter == "EOF" or anchor is None:
        anchor = len(lines)
    elif spec.insertafter is not None and anchor < len(lines) and body(lines[anchor]) == line:
        return Outcome(None)  # already right after the first insertafter match
    if anchor == len(lines):
        terminate_last(lines, newline)
    lines.insert(anchor, line + newline)
    return Outcome(b"".join(lines), "line added")


def _matches(line: bytes, spec: LineSpec) -> bool:
    if spec.regexp is not None:
        return spec.regexp.search(for_search(line)) is not None
    if spec.search is not None:
        return spec.search in for_search(line)
    return body(line) == spec.line


def _warnings(args: Mapping[str, Any]) -> tuple[str, ...]:
    if args.get("regexp") == "":
        return (
            _EMPTY_PATTERN.format(what="regular expression")
            + "; use '^' to say you mean every line",
        )
    if args.get("search_string") == "":
        return (_EMPTY_PATTERN.format(what="search string"),)
    return ()


def _with_warnings(outcome: Outcome, warnings: tuple[str, ...]) -> Outcome:
    if not warnings:
        return outcome
    return Outcome(outcome.after, outcome.msg, outcome.failed, outcome.extra, warnings)


# -- the module --------------------------------------------------------------------------


@register("lineinfile")
class LineInFile(Module):
    """Ensure a line is in a file (or not), replacing the line a regexp matches."""

    predicts_files = True

    args = {
        "path": Arg(
            "path",
            required=True,
            aliases=("dest", "destfile", "name"),
            description="The file to edit (symlinks are followed).",
        ),
        "line": Arg(
            "str",
            aliases=("value",),
            description="The line to insert or replace; required for "
            "state=present. With backrefs, may hold \\1 or \\g<name>.",
        ),
        "regexp": Arg(
            "str",
            aliases=("regex",),
            description="Python regex looked for in every line: present replaces "
            "the last matching line, absent removes all of them.",
        ),
        "search_string": Arg(
            "str", description="Literal text looked for in every line, used like regexp."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the line should be there or not.",
        ),
        "insertafter": Arg(
            "str",
            description="Without a regexp/search_string match, insert "
            "after the last line matching this regex; "
            "EOF (the default) appends.",
        ),
        "insertbefore": Arg(
            "str",
            description="Without a regexp/search_string match, insert "
            "before the last line matching this regex; BOF "
            "inserts at the top.",
        ),
        "backrefs": Arg(
            "bool",
            default=False,
            description="Expand backreferences from regexp in line; when regexp "
            "matches nothing, the file is left unchanged.",
        ),
        "firstmatch": Arg(
            "bool", default=False, description="Use the first matching line instead of the last."
        ),
        **FILE_ARGS,
        "encoding": ENCODING,
    }
    mutually_exclusive = (
        ("insertbefore", "insertafter"),
        ("regexp", "search_string"),
        ("backrefs", "search_string"),
    )
    returns = {
        "changed": "whether the file changed (content or attributes)",
        "msg": "line added, line replaced, N line(s) removed, file not present, ...",
        "backup": "path of the backup copy, or an empty string",
        "found": "state=absent: how many lines matched",
        "diff": "with --diff: before/after content, and attributes when they change",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.of(self.change(args, ctx))

    def change(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        """The result in Ansible's registered shape, built by the shared file helpers."""
        LineSpec.from_args(args)  # argument errors before the host is asked anything
        result = edit_file(ctx, args, plan)
        if not result.get("failed"):
            result.setdefault("backup", "")
        return result
