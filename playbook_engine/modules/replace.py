"""replace: replace every match of a regex in a file, optionally only between two markers.

The decision is the pure ``plan``: the file is decoded with ``encoding``, the section
between the first match of ``after`` and the first match of ``before`` after it is cut out
(both are searched with DOTALL), and ``regexp`` (MULTILINE) is substituted there with
Python's ``re.subn``, backreferences and all, as Ansible does. Fetching the file, the
atomic write-back, ``validate``, ``backup`` and the attributes are ``textedit``'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.content import ATTR_ARGS, IGNORED_FILE_ARGS
from .util.textedit import Outcome, edit_file
from .util.words import validate_line


def _compile(pattern: str, what: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ModuleError(f"{what}: invalid regular expression {pattern!r}: {exc}") from None


def section_of(text: str, after: str | None, before: str | None) -> tuple[int, int] | str:
    """Where the edited section starts and ends, or Ansible's message when the markers
    are not found (the file is then left alone)."""
    if not after and not before:
        return 0, len(text)
    if after and before:
        pattern = f"{after}(?P<subsection>.*?){before}"
    elif after:
        pattern = f"{after}(?P<subsection>.*)"
    else:
        pattern = f"(?P<subsection>.*){before}"
    match = _compile(pattern, "after/before", re.DOTALL).search(text)
    if match is None:
        return f"Pattern for before/after params did not match the given file: {pattern}"
    return match.start("subsection"), match.end("subsection")


def plan(args: Mapping[str, Any], content: bytes | None, path: str) -> Outcome:
    """The whole decision for a file whose bytes are ``content`` (None: no such file)."""
    if content is None:
        return Outcome(None, f"Path {path} does not exist !", failed=True, extra={"rc": 257})
    encoding = args.get("encoding") or "utf-8"
    try:
        text = content.decode(encoding, "surrogateescape")
    except LookupError:
        raise ModuleError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise ModuleError(f"cannot decode {path} as {encoding}: {exc}") from None
    span = section_of(text, args.get("after"), args.get("before"))
    if isinstance(span, str):
        return Outcome(None, span, extra={"rc": 0})
    start, end = span
    regexp = _compile(args["regexp"], "regexp", re.MULTILINE)
    try:
        new, count = regexp.subn(args.get("replace") or "", text[start:end])
    except (re.error, IndexError) as exc:
        raise ModuleError(f"replace: cannot expand the backreferences: {exc}") from None
    if count == 0 or new == text[start:end]:
        return Outcome(None, extra={"rc": 0})
    after = (text[:start] + new + text[end:]).encode(encoding, "surrogateescape")
    return Outcome(after, f"{count} replacements made", extra={"rc": 0})


@register("replace")
class Replace(Module):
    """Replace all matches of a regular expression in a file on the host."""

    predicts_files = True

    args = {
        "path": Arg(
            "path",
            required=True,
            aliases=("dest", "destfile", "name"),
            description="The file to edit (symlinks are followed).",
        ),
        "regexp": Arg(
            "str",
            required=True,
            description="Python regex (MULTILINE: ^ and $ match at every line).",
        ),
        "replace": Arg(
            "str",
            default="",
            description="The replacement; may use \\1 or \\g<name> "
            "backreferences. Default: remove the matches.",
        ),
        "after": Arg("str", description="Only edit after the first match of this regex (DOTALL)."),
        "before": Arg(
            "str",
            description="Only edit before the first match of this regex "
            "(DOTALL; after the after match when both).",
        ),
        "backup": Arg(
            "bool",
            default=False,
            description="Keep a timestamped copy of the file before changing it.",
        ),
        "validate": Arg(
            "str",
            description="Command run on the new file before it replaces "
            "the old one; %s is the new file's path.",
        ),
        "encoding": Arg("str", default="utf-8", description="The file's character encoding."),
        **ATTR_ARGS,
        **IGNORED_FILE_ARGS,
    }
    returns = {
        "changed": "whether the file changed (content or attributes)",
        "msg": "N replacements made, or why nothing was done",
        "rc": "0 (257: the file does not exist, 256: it is a directory)",
        "backup_file": "the backup's path, when one was made",
        "diff": "with --diff: the content before and after",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        for key, flags in (("regexp", re.MULTILINE), ("after", re.DOTALL), ("before", re.DOTALL)):
            if args.get(key):
                _compile(args[key], key, flags)  # argument errors before the host is asked

        def checked_plan(a: dict[str, Any], content: bytes | None, path: str) -> Outcome:
            outcome = plan(a, content, path)
            if outcome.after is not None and a.get("validate"):
                validate_line(a["validate"], "t")  # "must contain %s": in check runs too
            return outcome

        result = edit_file(ctx, args, checked_plan)
        if "backup" in result:
            result["backup_file"] = result.pop("backup")
        return Result.of(result)
