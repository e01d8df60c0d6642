"""pam_limits: set one limit (domain, type, item) in a limits.conf-style file.

The file goes through the shared text-file editor (``util/textedit``): one round trip when
the limit is already as wanted, the new content decided by a pure function here, the
write atomic (with ``backup``), a missing file created, and a check run exact.

Every line for the same domain, type and item is set to the new value; with no such line
one is appended. A line whose value is already the one wanted is left byte for byte (a
different ``comment`` alone changes nothing, as in Ansible).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.textedit import FileOptions, Outcome, commit, kind_failure, probe, split_lines

ITEMS = (
    "core", "data", "fsize", "memlock", "nofile", "rss", "stack", "cpu", "nproc", "as",
    "maxlogins", "maxsyslogins", "priority", "locks", "sigpending", "msgqueue", "nice",
    "rtprio", "chroot",
)  # fmt: skip
UNLIMITED = frozenset({"unlimited", "infinity", "-1"})
_SIGNED = frozenset({"nice", "priority"})  # -20..19; -1 is a value there, not "no limit"


@register("pam_limits", "community.general.pam_limits")
class PamLimits(Module):
    """Add or change a PAM limit in /etc/security/limits.conf or a file like it."""

    args = {
        "domain": Arg("str", required=True, description="A user, @group, wildcard or range."),
        "limit_type": Arg(
            "str", required=True, choices=("hard", "soft", "-"), description="The limit's type."
        ),
        "limit_item": Arg("str", required=True, choices=ITEMS, description="What is limited."),
        "value": Arg(
            "str",
            required=True,
            description="The limit: a number of 0 or more, or `unlimited`/`infinity`/`-1` "
            "for none; -20 to 19 for `nice` and `priority`.",
        ),
        "use_max": Arg(
            "bool", default=False, description="Keep the file's value when it is larger."
        ),
        "use_min": Arg(
            "bool", default=False, description="Keep the file's value when it is smaller."
        ),
        "backup": Arg(
            "bool", default=False, description="Keep a timestamped copy of the file first."
        ),
        "dest": Arg(
            "path",
            default="/etc/security/limits.conf",
            description="The file (created if missing).",
        ),
        "comment": Arg("str", default="", description="A comment written after the limit."),
    }
    returns = {
        "msg": "the limit's line as it is in the file afterwards",
        "backup_file": "the backup's path, when one was made",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        check_args(args)
        dest = args["dest"]
        target = probe(ctx, dest)
        if target.missing:
            parent = PurePosixPath(dest).parent
            raise ModuleError(
                f"directory {parent} is not writable (check presence, access rights, use sudo)"
            )
        if failure := kind_failure(target, dest):
            return Result.of(failure)
        content = target.content if target.state.exists else None
        new, line = edit(args, content)
        result = commit(
            ctx, dest, target, Outcome(new, line), FileOptions(create=True, backup=args["backup"])
        )
        if "backup" in result:
            result["backup_file"] = result.pop("backup")
        return Result.of(result)


def check_args(args: dict[str, Any]) -> None:
    """Ansible's refusals: both use_min and use_max, and a value out of range."""
    if args["use_min"] and args["use_max"]:
        raise ModuleError("Cannot use use_min and use_max at the same time.")
    value, item = args["value"], args["limit_item"]
    if item in _SIGNED:
        if not _is_int(value) or not -20 <= int(value) <= 19:
            raise ModuleError(
                f"Value of {value!r} for item {item!r} is invalid. Value must be a number "
                "in the range -20 to 19 inclusive. Refer to the limits.conf(5) manual pages "
                "for more details."
            )
    elif value not in UNLIMITED and not (_is_int(value) and int(value) >= 0):
        raise ModuleError(
            f"Value of {value!r} for item {item!r} is invalid. Value must either be "
            "'unlimited', 'infinity' or -1, all of which indicate no limit, or a limit of 0 "
            "or larger. Refer to the limits.conf(5) manual pages for more details."
        )


# -- the edit (pure) ---------------------------------------------------------------------


def edit(args: dict[str, Any], data: bytes | None) -> tuple[bytes | None, str]:
    """The file's new content (None: unchanged) and the limit's line as it ends up."""
    text = (data or b"").decode("utf-8", "surrogateescape")
    lines = split_lines(text.encode("utf-8", "surrogateescape"))
    key = (args["domain"], args["limit_type"], args["limit_item"])
    shown: str | None = None
    changed = False
    for index, raw in enumerate(lines):
        line = raw.decode("utf-8", "surrogateescape")
        parsed = parse_line(line)
        if parsed is None or parsed[:3] != key:
            continue
        value = wanted(args, parsed[3])
        if value != parsed[3]:
            comment = f"#{args['comment']}" if args["comment"] else parsed[4]
            ending = line[len(line.rstrip("\r\n")) :] or "\n"
            line = render(key, value, comment) + ending
            lines[index] = line.encode("utf-8", "surrogateescape")
            changed = True
        shown = shown or line.rstrip("\r\n") + "\n"
    if shown is None:
        shown = render(key, args["value"], f"#{args['comment']}" if args["comment"] else "") + "\n"
        if lines and not lines[-1].endswith(b"\n"):
            lines[-1] += b"\n"
        lines.append(shown.encode("utf-8", "surrogateescape"))
        changed = True
    return (b"".join(lines) if changed else None), shown


def parse_line(line: str) -> tuple[str, str, str, str, str] | None:
    """(domain, type, item, value, comment) of a limit line; None for a comment, a blank
    or a line that is not four fields."""
    body, hash_, comment = line.rstrip("\r\n").partition("#")
    fields = body.split()
    if len(fields) != 4:
        return None
    return fields[0], fields[1], fields[2], fields[3], hash_ + comment.rstrip()


def render(key: tuple[str, str, str], value: str, comment: str) -> str:
    """A limit line in Ansible's layout: tab-separated, the comment last."""
    line = "\t".join((*key, value))
    return f"{line}\t{comment}" if comment else line


def wanted(args: dict[str, Any], actual: str) -> str:
    """The value to write given the file's: with use_max/use_min the larger/smaller one
    (no limit counts as the largest), else the task's."""
    value: str = args["value"]
    if not (args["use_max"] or args["use_min"]):
        return value
    signed = args["limit_item"] in _SIGNED
    mine, theirs = _magnitude(value, signed), _magnitude(actual, signed)
    if theirs is None or mine is None:
        return value
    keep = theirs >= mine if args["use_max"] else theirs <= mine
    return actual if keep else value


def _magnitude(value: str, signed: bool) -> float | None:
    if not signed and value in UNLIMITED:
        return float("inf")
    return float(int(value)) if _is_int(value) else None


def _is_int(value: str) -> bool:
    text = value[1:] if value.startswith(("-", "+")) else value
    return text.isdigit()
