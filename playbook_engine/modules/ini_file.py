"""ini_file (community.general): set, add or remove options and sections of an INI file.

The edit is the pure ``plan(args, content, path)``, line by line as the community module
does it, so files keep their comments, order and spacing: a section is the lines after
the first ``[name]`` header (spaces inside the brackets allowed) up to the next header;
the lines before the first header are the options without a section. Option lines match
``name = value``, ``name=value`` or a bare ``name``; commented ones (``#``/``;``) count too
with ``modify_inactive_option``. With ``state=present``, the lines that already hold one of
the wanted values are rewritten in the canonical ``name = value`` form first, then other
lines of the option take the remaining values (``exclusive``: extra ones are removed), and
what is left is added after the section's last line that is neither blank nor a comment.
Fetching the file and the atomic write-back are ``textedit``'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.chattr import ATTRIBUTES
from .util.content import ATTR_ARGS, IGNORED_FILE_ARGS
from .util.textedit import Outcome, edit_file

_BOM = "\ufeff"
_BLANK_OR_COMMENT = re.compile(r"^\s*([#;].*)?$")
_HEADER = re.compile(r"^\[")
# The name community.general's module gives the options before the first header when it
# looks for them as a section: with ``section_has_values`` unmatched it adds a section so
# named to the end of the file, as this module does.
_NO_SECTION = "ad01e11446efb704fcdbdb21f2c43757423d91c5"


@dataclass
class Spec:
    """The arguments that decide the edit."""

    section: str | None
    option: str | None
    values: list[str | None]
    present: bool
    exclusive: bool
    spaces: bool  # "name = value" (not no_extra_spaces)
    allow_no_value: bool
    inactive: bool  # modify_inactive_option
    ignore_spaces: bool
    has_values: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Spec:
        values: list[str | None] = list(args.get("values") or [])
        if args.get("value") is not None:
            values = [args["value"]]
        present = args.get("state", "present") == "present"
        if values and args.get("option") is None:
            raise ModuleError("option is required with value or values")
        if present and not values and not args.get("allow_no_value"):
            raise ModuleError(
                "Parameter 'value(s)' must be defined if state=present and allow_no_value=False."
            )
        if not values and args.get("allow_no_value"):
            values = [None]
        return cls(
            args.get("section") or None,  # null, omitted or "": the options before any header
            args.get("option"),
            values,
            present,
            args.get("exclusive", True) is not False,
            not args.get("no_extra_spaces"),
            bool(args.get("allow_no_value")),
            args.get("modify_inactive_option", True) is not False,
            bool(args.get("ignore_spaces")),
            list(args.get("section_has_values") or []),
        )

    def line(self, value: str | None) -> str:
        """The canonical option line for ``value``."""
        if value is None:
            return f"{self.option}\n"
        return f"{self.option} = {value}\n" if self.spaces else f"{self.option}={value}\n"


def _option_re(option: str) -> re.Pattern[str]:
    """``name = value`` or a bare ``name``, or a commented-out ``# name = value``;
    capturing the comment mark, ``=`` and the value."""
    name = re.escape(option)
    return re.compile(
        r"^[ \t]*(?:([#;])[ \t]*" + name + r"[ \t]*(=)|()" + name + r"[ \t]*(=|$))[ \t]*(.*)$"
    )


def _parts(match: re.Match[str]) -> tuple[bool, str | None]:
    """(active, value) of an option line; a bare name has no value."""
    if match.group(1):
        return False, match.group(5)
    return True, match.group(5) if match.group(4) == "=" else None


def _header_re(section: str) -> re.Pattern[str]:
    return re.compile(r"^\[\s*" + re.escape(section) + r"\s*\]")


# -- finding things ---------------------------------------------------------------------------


def sections(lines: list[str], name: str | None) -> list[tuple[int, int]]:
    """(first line, end) of every section called ``name`` (header excluded); the lines
    before the first header for None."""
    if name is None:
        end = next((i for i, line in enumerate(lines) if _HEADER.match(line)), len(lines))
        return [(0, end)]
    header = _header_re(name)
    out = []
    for index, line in enumerate(lines):
        if header.match(line):
            end = next(
                (j for j in range(index + 1, len(lines)) if _HEADER.match(lines[j])), len(lines)
            )
            out.append((index + 1, end))
    return out


def _holds(lines: list[str], span: tuple[int, int], option: str, value: Any) -> bool:
    pattern = _option_re(option)
    for line in lines[span[0] : span[1]]:
        match = pattern.match(line.rstrip("\n"))
        if match and _parts(match) == (True, None if value is None else str(value)):
            return True
    return False


def _pick(lines: list[str], spec: Spec) -> tuple[int, int] | None:
    """The section to edit: the first of that name, or with section_has_values the first
    that holds every option/value listed."""
    found = sections(lines, spec.section)
    if not spec.has_values:
        return found[0] if found else None
    for span in found:
        if all(
            _holds(lines, span, str(item["option"]), value)
            for item in spec.has_values
            for value in (item.get("values") or [None])
        ):
            return span
    return None


# -- the edit (pure) ----------------------------------------------------------------------------


def _same(line: str, wanted: str, spec: Spec) -> bool:
    if line == wanted:
        return True
    if not spec.ignore_spaces:
        return False
    squeeze = re.compile(r"\s*=\s*")
    return squeeze.sub("=", line.strip()) == squeeze.sub("=", wanted.strip())


def _set_values(lines: list[str], span: tuple[int, int], spec: Spec) -> tuple[bool, bool]:
    """Present: rewrite, remove and add option lines in ``span``; (changed, added)."""
    assert spec.option is not None
    pattern = _option_re(spec.option)
    remaining = list(spec.values)
    matched: list[tuple[int, bool, str | None]] = []  # index, active, value
    for index in range(span[0], span[1]):
        match = pattern.match(lines[index].rstrip("\n"))
        if match and (_parts(match)[0] or spec.inactive):
            matched.append((index, *_parts(match)))
    changed = False
    rewrite: dict[int, str | None] = {}
    leftover = []
    for index, _active, value in matched:
        if value in remaining:
            remaining.remove(value)
            rewrite[index] = spec.line(value)
        else:
            leftover.append(index)
    delete = set()
    for index in leftover:  # other lines of the option: reused or removed
        if not spec.exclusive:
            continue
        if remaining:
            rewrite[index] = spec.line(remaining.pop(0))
        else:
            delete.add(index)
    for index, wanted in rewrite.items():
        if wanted is not None and not _same(lines[index], wanted, spec):
            lines[index] = wanted
            changed = True
    if delete:
        changed = True
    added = bool(remaining)
    insert_at = _insertion_point(lines, span)
    kept = [line for i, line in enumerate(lines[:insert_at]) if i not in delete]
    rest = [line for i, line in enumerate(lines[insert_at:], insert_at) if i not in delete]
    lines[:] = kept + [spec.line(v) for v in remaining] + rest
    return changed or added, added


def _insertion_point(lines: list[str], span: tuple[int, int]) -> int:
    """After the section's last line that is neither blank nor a comment (its header)."""
    for index in range(span[1] - 1, span[0] - 1, -1):
        if not _BLANK_OR_COMMENT.match(lines[index]):
            return index + 1
    return span[0]


def _remove_values(lines: list[str], span: tuple[int, int], spec: Spec) -> bool:
    """Absent: drop the option's active lines (only those holding ``values`` unless
    exclusive)."""
    assert spec.option is not None
    pattern = _option_re(spec.option)
    keep = []
    for index, line in enumerate(lines):
        match = pattern.match(line.rstrip("\n")) if span[0] <= index < span[1] else None
        active, value = _parts(match) if match else (False, None)
        if active and (spec.exclusive or value in spec.values):
            continue
        keep.append(line)
    changed = len(keep) != len(lines)
    lines[:] = keep
    return changed


def edit(lines: list[str], spec: Spec) -> str:
    """Edit ``lines`` in place; the message (``OK`` when nothing changed)."""
    span = _pick(lines, spec)
    if not spec.present:
        if span is None:
            return "OK"
        if spec.option is None:  # the community module takes the header after the
            start = span[0] - 1 if spec.section is not None else span[0]  # options
            end = span[1] if spec.section is not None else span[1] + 1  # without one too
            del lines[start:end]
            return "section removed"
        return "option changed" if _remove_values(lines, span, spec) else "OK"
    if span is None:
        lines.append(f"[{_NO_SECTION if spec.section is None else spec.section}]\n")
        if spec.option is None:
            return "only section added"
        lines.extend(spec.line(v) for v in spec.values)
        lines.extend(_has_values_lines(spec))
        return "section and option added"
    if spec.option is None:
        return "OK"
    changed, added = _set_values(lines, span, spec)
    return ("option added" if added else "option changed") if changed else "OK"


def _has_values_lines(spec: Spec) -> list[str]:
    out = []
    for item in spec.has_values:
        if item.get("option") == spec.option:
            continue
        for value in item.get("values") or [None]:
            out.append(
                Spec(
                    spec.section,
                    str(item["option"]),
                    [],
                    True,
                    True,
                    spec.spaces,
                    True,
                    True,
                    False,
                ).line(None if value is None else str(value))
            )
    return out


def plan(args: Mapping[str, Any], content: bytes | None, path: str) -> Outcome:
    """The whole decision for a file whose bytes are ``content`` (None: no such file)."""
    spec = Spec.from_args(args)
    if content is None and args.get("create") is False:
        return Outcome(None, f"Destination {path} does not exist!", failed=True, extra={"rc": 257})
    text = (content or b"").decode("utf-8", "surrogateescape").removeprefix(_BOM)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # read as text: \n only
    lines = text.splitlines(keepends=True) or (["\n"] if spec.present else [])
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    msg = edit(lines, spec)
    after = "".join(lines)
    if msg == "OK" and not text:  # the empty line a new or empty file is read as: no edit
        return Outcome(None, msg)
    if after == text and content is not None:  # ending the last line counts, as in Ansible
        return Outcome(None, msg)
    return Outcome(after.encode("utf-8", "surrogateescape"), msg)


@register("ini_file", "community.general.ini_file")
class IniFile(Module):
    """Set, add or remove options and sections in an INI file, keeping the rest as is."""

    predicts_files = True

    args = {
        "path": Arg(
            "path",
            required=True,
            aliases=("dest",),
            description="The INI file (created when missing, with create).",
        ),
        "section": Arg(
            "str",
            description="The section; omit it (or give null) for the options before the "
            "first section header.",
        ),
        "option": Arg("str", description="The option; omit to add or remove a whole section."),
        "value": Arg("str", description="The option's value."),
        "values": Arg(
            "list", elements="str", description="Several values for the option (one line each)."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the option (or section) should be there.",
        ),
        "exclusive": Arg(
            "bool",
            default=True,
            description="present: remove the option's other values; absent: "
            "remove all its lines, not only the values given.",
        ),
        "no_extra_spaces": Arg(
            "bool", default=False, description="Write name=value instead of name = value."
        ),
        "ignore_spaces": Arg(
            "bool",
            default=False,
            description="Leave a line alone when only spaces around = differ.",
        ),
        "allow_no_value": Arg(
            "bool", default=False, description="Allow an option without a value (a bare name)."
        ),
        "modify_inactive_option": Arg(
            "bool",
            default=True,
            description="Reuse a commented-out line of the option (# name = ...) for its value.",
        ),
        "create": Arg(
            "bool", default=True, description="Create the file when missing; false: fail instead."
        ),
        "backup": Arg(
            "bool",
            default=False,
            description="Keep a timestamped copy of the file before changing it.",
        ),
        "section_has_values": Arg(
            "list",
            elements="dict",
            description="Among sections of the same name, edit the "
            "first holding these {option, values}.",
        ),
        "follow": Arg(
            "bool", default=False, description="Accepted: symlinks at path are always followed."
        ),
        **ATTR_ARGS,
        **IGNORED_FILE_ARGS,
        "attributes": ATTRIBUTES,
    }
    mutually_exclusive = (("value", "values"),)
    returns = {
        "changed": "whether the file changed",
        "path": "the file",
        "msg": "OK, option added, option changed, only section added, section and "
        "option added, section removed",
        "backup_file": "the backup's path, when one was made",
        "diff": "with --diff: the content before and after",
    }

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """``section: null`` is the section omitted (the options before the first header),
        as community.general reads it."""
        schema = super().json_schema()
        section = schema["properties"]["section"]
        section["type"] = [*section["type"], "null"]
        return schema

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        Spec.from_args(args)  # argument errors before the host is asked
        result = edit_file(ctx, {**args, "create": args["create"] is not False}, plan)
        if "backup" in result:
            result["backup_file"] = result.pop("backup")
        result["path"] = args["path"]
        _name_content_diff(result.get("diff"), str(args["path"]))
        return Result.of(result)


def _name_content_diff(diff: Any, path: str) -> None:
    """The content diff's headers as community.general's module names them: ``PATH
    (content)``."""
    for part in diff if isinstance(diff, list) else [diff]:
        if isinstance(part, dict) and isinstance(part.get("before"), str):
            for key in ("before_header", "after_header"):
                if part.get(key) == path:
                    part[key] = f"{path} (content)"
