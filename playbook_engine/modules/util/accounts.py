"""Local accounts as the host's own tools report them (getent, id), parsed purely.

Used by ``user`` (what an account is and what must change) and by the modules that act in
a user's home (``authorized_key``, ``cron``'s owner checks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ...errors import ModuleError

__all__ = [
    "NOT_LOGGING_PASSWORD",
    "Account",
    "GroupInfo",
    "parse_account",
    "parse_groups",
    "resolve_groups",
    "shadow_date",
]

NOT_LOGGING_PASSWORD = "NOT_LOGGING_PASSWORD"  # what Ansible returns for a given password


@dataclass(frozen=True, slots=True)
class Account:
    """A passwd entry, the account's supplementary groups, and its shadow fields (None
    when the shadow database could not be read, e.g. without root)."""

    name: str
    uid: int | None
    gid: int | None
    comment: str
    home: str
    shell: str
    primary: str = ""  # the primary group's name
    groups: tuple[str, ...] = ()  # supplementary groups, the primary excluded
    shadow: tuple[str, ...] | None = None  # name, hash, lastchg, min, max, warn, inactive, expire

    def shadow_field(self, index: int) -> str | None:
        if self.shadow is None or len(self.shadow) <= index:
            return None
        return self.shadow[index]


@dataclass(frozen=True, slots=True)
class GroupInfo:
    name: str
    gid: int


def parse_account(passwd: str, id_groups: str = "", shadow: str | None = None) -> Account | None:
    """``getent passwd NAME``, ``id -Gn NAME`` and ``getent shadow NAME`` output as an
    Account; None when the passwd line is missing."""
    line = passwd.strip().splitlines()[0] if passwd.strip() else ""
    fields = line.split(":")
    if len(fields) < 7:
        return None
    names = id_groups.split()
    primary = names[0] if names else ""
    extra = tuple(dict.fromkeys(g for g in names[1:] if g != primary))
    shadow_fields = tuple(shadow.strip().split(":")) if shadow and shadow.strip() else None
    return Account(
        fields[0],
        _int(fields[2]),
        _int(fields[3]),
        fields[4],
        fields[5],
        fields[6],
        primary,
        extra,
        shadow_fields,
    )


def parse_groups(output: str) -> list[GroupInfo]:
    """``getent group A B …`` output: the groups that exist."""
    found = []
    for line in output.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            found.append(GroupInfo(fields[0], int(fields[2])))
    return found


def resolve_groups(keys: list[str], known: list[GroupInfo]) -> list[GroupInfo]:
    """Each of ``keys`` (a group name or gid) as the group it names, in order; a missing
    one fails as Ansible words it."""
    out = []
    for key in keys:
        match = next((g for g in known if key in (g.name, str(g.gid))), None)
        if match is None:
            raise ModuleError(f"Group {key} does not exist")
        out.append(match)
    return out


def shadow_date(expires: float) -> tuple[str, str]:
    """``expires`` (seconds since the epoch; negative: never) as the shadow file's day
    count and as usermod's ``-e`` argument."""
    if expires < 0:
        return "", ""
    return str(int(expires // 86400)), time.strftime("%Y-%m-%d", time.gmtime(expires))


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None
