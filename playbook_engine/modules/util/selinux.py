"""SELinux contexts for the file modules: ``seuser``, ``serole``, ``setype``, ``selevel``.

As in Ansible, they apply only where SELinux is on (selinuxfs mounted) and are ignored
everywhere else. A module that is given one adds ``probe()`` to the command that reads the
file anyway, so the host says in the same round trip whether SELinux is on, the file's
context and, for ``_default``, the policy's context for the path (``matchpathcon``). The
change is a ``chcon`` of the parts given, on the temp file before the rename or in place.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ENABLED",
    "PARTS",
    "SeContext",
    "after",
    "chcon",
    "changes",
    "parse_line",
    "probe",
    "split",
    "wanted",
]

PARTS = ("seuser", "serole", "setype", "selevel")
_FLAGS = {"seuser": "-u", "serole": "-r", "setype": "-t", "selevel": "-l"}
ENABLED = "{ [ -e /sys/fs/selinux/enforce ] || [ -e /selinux/enforce ]; }"


@dataclass(frozen=True, slots=True)
class SeContext:
    """What SELinux says of a path: its context ("" when it does not exist) and the
    policy's default ("" when unknown)."""

    current: str = ""
    default: str = ""


def probe(
    path: str, *, follow: bool = False, default: bool = True, tag: str = "Z", always: bool = False
) -> str:
    """Shell printing ``TAG|CONTEXT|DEFAULT`` for ``path`` (a shell word: quoted, or
    ``"$r"``) where SELinux is on; elsewhere nothing, or ``TAG`` alone with ``always``."""
    stat = f"stat {'-L ' if follow else ''}-c %C -- {path} 2>/dev/null"
    lookup = f"matchpathcon -n -- {path} 2>/dev/null | head -n1" if default else ":"
    off = f"; else echo {tag}" if always else ""
    return f'if {ENABLED}; then printf \'{tag}|%s|%s\\n\' "$({stat})" "$({lookup})"{off}; fi'


def parse_line(line: str) -> SeContext | None:
    """A line of ``probe``'s output (pure): None where SELinux is off."""
    fields = line.rstrip("\n").split("|")
    if len(fields) < 2:
        return None
    current, default = (fields[1:] + [""])[:2]
    return SeContext(current if current != "?" else "", default)


def split(context: str) -> list[str]:
    """user, role, type, level (a level may hold colons itself)."""
    parts = context.split(":", 3) if context else []
    return parts + [""] * (4 - len(parts))


def wanted(args: Mapping[str, Any], se: SeContext | None) -> dict[str, str]:
    """The parts to set (``_default`` resolved from the policy); none where SELinux is off
    (``se`` is None) or for a ``_default`` the policy does not know, which Ansible leaves
    as it is."""
    if se is None:
        return {}
    out: dict[str, str] = {}
    for index, key in enumerate(PARTS):
        value = args.get(key)
        if value == "_default":
            value = split(se.default)[index] or None
        if value is not None:
            out[key] = str(value)
    return out


def after(parts: Mapping[str, str], current: str) -> str:
    """The context ``chcon`` leaves."""
    now = split(current)
    new = [parts.get(key, now[index]) for index, key in enumerate(PARTS)]
    return ":".join(new if new[3] else new[:3])


def changes(parts: Mapping[str, str], se: SeContext | None) -> tuple[str, str] | None:
    """(before, after) contexts when ``chcon`` would change a part given, else None. A
    part whose value is not known (a file a check run would create) counts as changed."""
    if not parts or se is None:
        return None
    now = split(se.current)
    if all(now[index] == parts[key] for index, key in enumerate(PARTS) if key in parts):
        return None
    return se.current, after(parts, se.current)


def chcon(parts: Mapping[str, str], path: str, *, no_deref: bool = True) -> str:
    """``chcon`` of the given parts; ``path`` is a shell word (quoted, or ``"$t"``)."""
    flags = " ".join(f"{_FLAGS[key]} {shlex.quote(value)}" for key, value in parts.items())
    return f"chcon {'-h ' if no_deref else ''}{flags} -- {path}"
