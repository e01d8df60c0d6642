"""Local accounts as the host's own tools report them (getent, id), parsed purely.

Used by ``user`` (what an account is and what must change) and by the modules that act in
a user's home (``authorized_key``, ``cron``'s owner checks).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ...errors import ModuleError

__all__ = [
    "NOT_LOGGING_PASSWORD",
    "Account",
    "AccountsPrediction",
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
    gid: int | None  # None: a group a check run predicts, whose gid the host would pick


class AccountsPrediction:
    """The users and groups earlier tasks of a check run would have added (with their ids
    when the task gave them) or removed, on one host (``ctx.files.companion``), so a later
    ``user: group=...`` or ``file: owner=...`` plans as the real run will."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, tuple[bool, int | None]] = {}  # name -> (exists, id)
        self._groups: dict[str, tuple[bool, int | None]] = {}

    def user_added(self, name: str, uid: int | None) -> None:
        with self._lock:
            self._users[name] = (True, uid)

    def user_removed(self, name: str) -> None:
        with self._lock:
            self._users[name] = (False, None)

    def group_added(self, name: str, gid: int | None) -> None:
        with self._lock:
            self._groups[name] = (True, gid)

    def group_removed(self, name: str) -> None:
        with self._lock:
            self._groups[name] = (False, None)

    def user(self, name: str) -> tuple[bool, int | None] | None:
        """(exists, uid) as the run would leave ``name``; None when no task touched it."""
        with self._lock:
            return self._users.get(name)

    def group(self, name: str) -> tuple[bool, int | None] | None:
        with self._lock:
            return self._groups.get(name)

    def overlay_groups(self, keys: list[str], found: list[GroupInfo]) -> list[GroupInfo]:
        """``found`` (the host's answer for ``keys``) with the groups the run would add or
        remove."""
        out = list(found)
        for key in keys:
            known = self.group(key)
            if known is None:
                continue
            out = [g for g in out if g.name != key]
            if known[0]:
                out.append(GroupInfo(key, known[1]))
        return out


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
