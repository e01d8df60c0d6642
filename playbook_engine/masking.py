"""Which variables hold secrets, and source lines shown with their values masked.

This is the base layer under both redaction (``engine.redact``, which hides known values in
events) and error messages (``source.SourceLocation.snippet``, ``-e`` and inventory errors),
which are raised while parsing, before any value is known: those mask by key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

MASK = "********"
NO_LOG_VALUE = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # a secret argument in `invocation`
SECRET_VARS = frozenset(
    {
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_password",
        "ansible_become_password",
        "ansible_become_pass",
        "ansible_sudo_pass",
        "ansible_sudo_password",
        "ansible_su_pass",
        "ansible_su_password",
    }
)

_KEY = "|".join(sorted(SECRET_VARS, key=len, reverse=True))
# `key: value`, `key=value`, `"key": value` or `key value`; the value quoted (up to its
# closing quote, or the end of the line) or plain (up to the next INI `name=`, a comment,
# or the end of the line). Not after `.`/a word character, not `{{ key }}` or `key | f`.
_ASSIGNED = re.compile(
    rf"""(?<![\w.])(?P<key>["']?(?:{_KEY})["']?)(?P<sep>\s*[:=]\s*|\s+)(?![\s}}|).,\]])"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?|\S.*?(?=\s+[\w.]+\s*=|\s+#|\s*$))"""
)
_OPENS_BLOCK = re.compile(rf"""^\s*(?:-\s+)?["']?(?:{_KEY})["']?\s*:(?:\s|$)""")


# `scheme://user:password@` (or `user@`) in a URL: what Ansible's download modules mask
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s:]+(?P<pw>:[^/@\s]*)?@"
)


def mask_url_credentials(value: Any) -> Any:
    """``value`` with the user and password of every URL in its strings masked (``****``),
    as Ansible's get_url, unarchive, apt_key and rpm_key mask them in their results."""
    if isinstance(value, str):
        return _URL_CREDENTIALS.sub(
            lambda m: f"{m['scheme']}****{':****' if m['pw'] else ''}@", value
        )
    if isinstance(value, dict):
        return {k: mask_url_credentials(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(mask_url_credentials(v) for v in value)
    return value


def mask_line(text: str) -> str:
    """``text`` (a line of YAML, INI, JSON or ``k=v``) with password variables' values
    replaced by ``MASK``; everything else is left as written."""
    return _mask_at(text, 0)[0]


def mask_source_line(lines: Sequence[str], index: int, col: int = 0) -> tuple[str, int]:
    """Line ``index`` of a source file (``lines`` as read, newlines kept or not) as an
    error may show it, and where column ``col`` (1-based) moved to: masked inline by
    ``mask_line``, or wholly when the line lies in the indented block under a password key."""
    line = lines[index].rstrip("\n")
    if _under_secret_key(lines, index):
        indent = len(line) - len(line.lstrip())
        return line[:indent] + MASK, min(col, indent + 1)
    return _mask_at(line, col)


def _mask_at(text: str, col: int) -> tuple[str, int]:
    """``text`` masked, and column ``col`` moved with the text around it (a column inside
    a masked value moves to the mask's start)."""
    parts: list[str] = []
    end = 0
    new_col = col
    for m in _ASSIGNED.finditer(text):
        start, stop = m.span("value")
        parts += [text[end:start], MASK]
        end = stop
        if col > stop:
            new_col += len(MASK) - (stop - start)
        elif col > start:
            new_col -= col - start - 1
    parts.append(text[end:])
    return "".join(parts), new_col


def _under_secret_key(lines: Sequence[str], index: int) -> bool:
    """Whether an ancestor of this YAML line (a less indented line above it) is a password
    key: then the line is part of that key's value (a list, a mapping, a folded string)."""
    limit = _content_indent(lines[index])
    for i in range(index - 1, -1, -1):
        text = lines[i]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        indent = _content_indent(text)
        if indent < limit:
            if _OPENS_BLOCK.match(text):
                return True
            limit = indent
        if limit == 0:
            return False
    return False


def _content_indent(line: str) -> int:
    """Where a YAML line's content starts (a ``- `` item marker counts as indentation)."""
    stripped = line.lstrip(" ")
    while stripped.startswith("- ") or stripped == "-":
        stripped = stripped[2:].lstrip(" ")
    return len(line) - len(stripped)
