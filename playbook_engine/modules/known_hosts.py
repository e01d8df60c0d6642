"""known_hosts: make a host's SSH key be (or not be) in a known_hosts file.

The file is read in one command and edited here: one entry per host and key type (a new
key of a type the host already has replaces it), hashed host names (``|1|salt|hash``)
matched and made with HMAC-SHA1 as ssh does, then written back atomically.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import (
    ABSENT_RC,
    Edit,
    HostStateModule,
    Known,
    TextFile,
    home_path,
    need,
    section,
    sections,
    write_file,
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One known_hosts line: its host patterns (or hash), key type and key."""

    hosts: str
    type: str
    blob: str

    def names(self, name: str) -> bool:
        """Whether this entry is for host ``name`` (plainly or hashed)."""
        if self.hosts.startswith("|1|"):
            return _hashed_match(self.hosts, name)
        return name in (h.lower() for h in self.hosts.split(","))


def parse_entry(line: str) -> Entry | None:
    words = line.split()
    if words and words[0].startswith("@"):  # @cert-authority, @revoked
        words = words[1:]
    if len(words) < 3 or line.lstrip().startswith("#"):
        return None
    return Entry(words[0], words[1], words[2])


def hash_name(name: str, salt: bytes | None = None) -> str:
    """``name`` hashed as ssh-keygen -H does: ``|1|base64(salt)|base64(hmac-sha1)``."""
    salt = salt if salt is not None else os.urandom(20)
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _hashed_match(field: str, name: str) -> bool:
    parts = field.split("|")
    if len(parts) != 4:
        return False
    try:
        salt = base64.b64decode(parts[2])
    except ValueError:
        return False
    return hmac.compare_digest(hash_name(name, salt), field)


@register("known_hosts")
class KnownHosts(HostStateModule[TextFile]):
    """Add or remove a host's key in a known_hosts file."""

    args = {
        "name": Arg(
            "str",
            required=True,
            aliases=("host",),
            description="The host (as in the key; `[host]:port` for another port).",
        ),
        "key": Arg("str", description="The known_hosts line: `host[,ip] type key`."),
        "path": Arg("path", default="~/.ssh/known_hosts", description="The file."),
        "hash_host": Arg("bool", default=False, description="Write the host name hashed."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the host's key is in the file.",
        ),
    }
    returns = {
        "name": "the host",
        "key": "the argument",
        "path": "the file",
        "hash_host": "the argument",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        return (
            f"f={home_path(args['path'])}; "
            + section("path", 'printf "%s\\n" "$f"')
            + "; "
            + section("file", f'[ -e "$f" ] || exit {ABSENT_RC}; cat -- "$f"')
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> TextFile:
        found = sections(res.out)
        path = need(found, "path", res).text.strip()
        file = need(found, "file", res)
        if file.rc not in (0, ABSENT_RC):
            raise ModuleError(f"Failed to read {path!r}: exit status {file.rc}")
        return TextFile(path, None if file.rc else file.text)

    def foresee(self, args: dict[str, Any], state: TextFile, known: Known) -> TextFile:
        return known(state.path) or state

    def plan(self, args: dict[str, Any], state: TextFile) -> Edit | None:
        name = args["name"].lower()
        wanted = _wanted(args, name)
        lines = _edited(args, name, wanted, state.lines)
        if lines == state.lines:
            return None
        text = "".join(f"{line}\n" for line in lines)
        diff = {
            "before": state.text or "",
            "after": text,
            "before_header": state.path if state.text is not None else "/dev/null",
            "after_header": state.path,
        }
        return Edit(
            "write",
            "",
            values=_values(args, state.path),
            diff=diff,
            stdin=text.encode(),
            writes=((state.path, text),),
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        path = change.writes[0][0]
        return (
            f'f={home_path(path)}; d=$(dirname -- "$f"); '
            '{ [ -d "$d" ] || mkdir -p -m 700 -- "$d"; } && ' + write_file('"$f"', quoted=True)
        )

    def values(self, args: dict[str, Any], state: TextFile) -> dict[str, Any]:
        return _values(args, state.path)


def _wanted(args: dict[str, Any], name: str) -> tuple[Entry, str] | None:
    """The entry the key gives and the line to write; None with no key (absent)."""
    if re.search(r"\S+(\s+)?,(\s+)?", name):
        raise ModuleError(
            "Comma separated list of names is not supported. "
            "Please pass a single name to lookup in the known_hosts file."
        )
    if not args["key"]:
        if args["state"] == "present":
            raise ModuleError("No key specified when adding a host")
        return None
    line = args["key"].strip()
    entry = parse_entry(line)
    if entry is None or not entry.names(name):
        raise ModuleError("Host parameter does not match hashed host field in supplied key")
    if args["hash_host"] and not entry.hosts.startswith("|1|"):
        hashed = hash_name(name)
        line = f"{hashed} {line.split(None, 1)[1]}"
        entry = Entry(hashed, entry.type, entry.blob)
    return entry, line


def _edited(
    args: dict[str, Any], name: str, wanted: tuple[Entry, str] | None, lines: list[str]
) -> list[str]:
    """The file's lines after the change (an added or replacing entry goes last)."""
    mine = [
        (i, e)
        for i, line in enumerate(lines)
        if (e := parse_entry(line)) is not None and e.names(name)
    ]
    if wanted is None:  # absent, no key: every entry of the host goes
        drop = {i for i, _ in mine}
        return [line for i, line in enumerate(lines) if i not in drop]
    entry, line = wanted
    if any((e.type, e.blob) == (entry.type, entry.blob) for _, e in mine):
        return lines if args["state"] == "present" else _without(lines, mine, entry.type)
    same_type = [i for i, e in mine if e.type == entry.type]
    if args["state"] == "absent":
        return _without(lines, mine, entry.type)
    skip = same_type[:1]
    return [x for i, x in enumerate(lines) if i not in skip] + [line]


def _without(lines: list[str], mine: list[tuple[int, Entry]], key_type: str) -> list[str]:
    first = next((i for i, e in mine if e.type == key_type), None)
    return [x for i, x in enumerate(lines) if i != first]


def _values(args: dict[str, Any], path: str) -> dict[str, Any]:
    return {"name": args["name"], "key": args["key"], "path": path, "hash_host": args["hash_host"]}
