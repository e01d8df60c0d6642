"""apt_key: an OpenPGP key in apt's keyring (apt-key), present or not.

Deprecated in Ansible and in apt, still in wide use. One command lists the keyring's keys
(``apt-key adv --list-public-keys``) and, when no ``id`` is given, works the key's id out of
the file, the data or the URL (downloaded once, on the host, and kept for the add); one
command adds or deletes the key and lists the keyring again to confirm it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util import aptcmd
from .util.debian import MARK, sections
from .util.state import Change, StateModule

_NO_APT_KEY = (
    "apt-key is not on the host: it is deprecated and gone from newer releases; "
    "use deb822_repository (signed_by) instead"
)
_NOT_DONE = (
    "apt-key did not return an error, but {} (check that the id is correct and *not* a subkey)"
)
# gpg with a throw-away home: reading a key file must leave nothing behind.
_SHOW = (
    '_g=$(mktemp -d) && gpg --homedir "$_g" --batch --with-colons --show-keys {} 2>&1; rm -rf "$_g"'
)


@dataclass
class Keyring:
    """The keyring's key ids (long), the key's id when derived, the downloaded key."""

    keys: list[str]
    derived: str | None = None
    data: bytes | None = None
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KeyChange(Change):
    """The change, and the key downloaded by the probe (to add without a second download)."""

    data: bytes | None = None
    fail_msg: str = ""


@register("apt_key")
class AptKey(StateModule[Keyring]):
    """Add or remove an apt key (apt-key; deprecated, as in Ansible)."""

    masks_url_credentials = True  # `https://user:password@...` shown as `****:****`

    args = {
        "id": Arg(
            "str", description="The key's id (8, 16 or more hex digits); required for state=absent."
        ),
        "url": Arg("str", description="Download the key from this URL (on the host)."),
        "data": Arg("str", description="The key itself."),
        "file": Arg("path", description="A key file on the host."),
        "keyring": Arg("path", description="The keyring file (default: apt's)."),
        "keyserver": Arg("str", description="Receive the key from this keyserver."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the key is there.",
        ),
        "validate_certs": Arg("bool", default=True, description="Accepted and ignored."),
    }
    mutually_exclusive = (("data", "file", "keyserver", "url"),)
    returns = {
        "id": "the id given or found",
        "key_id": "the full id",
        "fp": "the long id",
        "short_id": "the short id",
        "before": "the keyring's key ids",
        "after": "the key ids after the change",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        _check_args(args)
        lines = [
            aptcmd.ENV,
            f"command -v apt-key >/dev/null || {{ echo {quote(_NO_APT_KEY)} >&2; exit 127; }}",
            aptcmd.section("keys"),
            f"{_apt_key(args)} adv --list-public-keys --keyid-format=long 2>&1",
            f'echo "{MARK}rc $?"',
        ]
        if not args["id"]:
            lines += _derive(args)
        return "\n".join(lines)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Keyring:
        if res.rc == 127:
            raise ModuleError(res.err.strip() or _NO_APT_KEY)
        out = sections(res.out)
        if "fetch-failed" in out:
            raise ModuleError(f"Failed to download key at {args['url']}")
        if "rc 0" not in out:
            raise ModuleError(f"Unable to list public keys: {_quiet(out.get('keys', ''))}")
        ring = Keyring(keys_in(out.get("keys", "")))
        if "keydata" in out:
            ring.data = base64.b64decode(out["keydata"].strip())
        if "keyid" in out:
            found = keys_in(out["keyid"])
            if not found:
                source = "inline data" if args["file"] is None else args["file"]
                raise ModuleError(f"Unable to extract key from '{source}'")
            ring.derived = found[0]
        ring.ids = key_ids(args["id"] or ring.derived or "")
        return ring

    def plan(self, args: dict[str, Any], ring: Keyring) -> Change | None:
        ids, keys = ring.ids, _compared(ring.keys, ring.ids)
        values = self.values(args, ring)
        if args["state"] == "absent":
            if ids["fp"] not in ring.keys:
                return None
            return KeyChange(
                "del", None, values, fail_msg=f"Unable to remove a key with id {ids['short_id']}"
            )
        if _wanted(ids) in keys:
            return None
        return KeyChange("add", None, values, data=ring.data, fail_msg=_failed(args, ids))

    def values(self, args: dict[str, Any], ring: Keyring) -> dict[str, Any]:
        return {
            "id": args["id"] or ring.derived,
            **ring.ids,
            "before": _compared(ring.keys, ring.ids),
        }

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, KeyChange)
        if change.op == "del":
            command = f"{_apt_key(args)} del {quote(change.values['short_id'])}"
        else:
            command = _add(args, change.values["key_id"], change.data)
        listing = f"{_apt_key(args)} adv --list-public-keys --keyid-format=long"
        return f"{aptcmd.ENV}\n{command} || exit $?\n{aptcmd.section('after')}\n{listing} 2>&1"

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        assert isinstance(change, KeyChange)
        detail = _quiet(res.err or res.out)
        return f"{change.fail_msg}: {detail}" if detail else change.fail_msg

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        after = _compared(keys_in(sections(res.out).get("after", "")), change.values)
        if change.op == "add" and _wanted(change.values) not in after:
            raise ModuleError(_NOT_DONE.format("failed to add the key"))
        if change.op == "del" and change.values["fp"] in after:
            raise ModuleError(_NOT_DONE.format("the key was not removed"))
        return {**change.values, "after": after}


def _check_args(args: dict[str, Any]) -> None:
    """Ansible's refusals, before anything runs on the host."""
    if args["id"]:
        key_ids(args["id"])
        return
    if args["keyserver"]:
        raise ModuleError("Missing key_id, required with keyserver.")
    if (
        args["state"] == "absent"
        and args["file"] is None
        and args["data"] is None
        and not args["url"]
    ):
        raise ModuleError("key is required to remove a key")
    if args["file"] is None and args["data"] is None and not args["url"]:
        raise ModuleError("Invalid key_id: give `id`, or a key by `file`, `data` or `url`")


def key_ids(key_id: str) -> dict[str, str]:
    """The id as given (upper case, no ``0x``), its long (16) and short (8) forms; apt-key
    lists long ids and deletes by the short one."""
    text = key_id.strip().upper()
    text = text[2:] if text.startswith("0X") else text
    if not re.fullmatch(r"[0-9A-F]+", text) or (len(text) not in (8, 16) and len(text) < 16):
        raise ModuleError(f"Invalid key_id: {key_id!r} (8, 16 or more hex digits)")
    return {"key_id": text, "fp": text[-16:], "short_id": text[-8:]}


def keys_in(listing: str) -> list[str]:
    """The long ids of the keys and subkeys a listing shows (apt-key's ``pub rsa4096/ID``
    lines or gpg's ``pub:…:ID:`` records), expired ones left out."""
    found = []
    for line in listing.splitlines():
        if not line.startswith(("pub", "sub")) or "expired" in line:
            continue
        words = line.split()
        if len(words) > 1 and "/" in words[1]:
            found.append(words[1].split("/", 1)[1])
        elif len(fields := line.split(":")) > 4 and fields[4]:
            found.append(fields[4])
    return found


def _compared(keys: list[str], ids: dict[str, Any]) -> list[str]:
    """The ids as compared: short ones when the id given is a short one."""
    return [k[-8:] for k in keys] if len(ids["key_id"]) == 8 else list(keys)


def _wanted(ids: dict[str, Any]) -> str:
    return str(ids["short_id"] if len(ids["key_id"]) == 8 else ids["fp"])


def _apt_key(args: dict[str, Any]) -> str:
    return f"apt-key --keyring {quote(args['keyring'])}" if args["keyring"] else "apt-key"


def _download(args: dict[str, Any]) -> str:
    """The URL's key, base64 in ``$_k`` (empty when the download failed)."""
    url = quote(args["url"])
    curl, wget = ("-k ", "--no-check-certificate ") if not args["validate_certs"] else ("", "")
    return (
        f"_k=$({{ curl -fsSL {curl}{url} 2>/dev/null || "
        f"wget -q {wget}-O - {url} 2>/dev/null; }} | base64 -w0)"
    )


def _derive(args: dict[str, Any]) -> list[str]:
    """The probe's lines that find the key's id in the file, the data or the URL's key."""
    if args["file"] is not None:
        return [aptcmd.section("keyid"), _SHOW.format(quote(args["file"]))]
    if args["data"] is not None:
        return [
            aptcmd.section("keyid"),
            f"printf '%s\\n' {quote(args['data'])} | {{ {_SHOW.format('-')}; }}",
        ]
    return [
        _download(args),
        f'[ -n "$_k" ] || {{ {aptcmd.section("fetch-failed")}; exit 0; }}',
        aptcmd.section("keydata"),
        "printf '%s\\n' \"$_k\"",
        aptcmd.section("keyid"),
        f"printf '%s' \"$_k\" | base64 -d | {{ {_SHOW.format('-')}; }}",
    ]


def _add(args: dict[str, Any], key_id: str, data: bytes | None) -> str:
    """The command that adds the key: from the file, the keyserver, the data given or
    downloaded by the probe, or (with an id) downloaded now."""
    apt_key = _apt_key(args)
    if args["file"] is not None:
        return f"{apt_key} add {quote(args['file'])} 2>&1"
    if args["keyserver"]:
        recv = f"{apt_key} adv --no-tty --keyserver {quote(args['keyserver'])} --recv {key_id}"
        return f"for _i in 1 2 3 4 5; do {recv} 2>&1 && break; [ $_i = 5 ] && exit 1; done"
    if args["data"] is not None:
        return f"printf '%s\\n' {quote(args['data'])} | {apt_key} add - 2>&1"
    if data is not None:
        encoded = base64.b64encode(data).decode()
        return f"printf '%s' {encoded} | base64 -d | {apt_key} add - 2>&1"
    return (
        f'{_download(args)}\n[ -n "$_k" ] || '
        f"{{ echo {quote('Failed to download key at ' + args['url'])} >&2; exit 1; }}\n"
        f"printf '%s' \"$_k\" | base64 -d | {apt_key} add - 2>&1"
    )


def _failed(args: dict[str, Any], ids: dict[str, str]) -> str:
    """Ansible's words for a failed add, by where the key comes from."""
    if args["file"] is not None:
        return f"Unable to add a key from file {args['file']}"
    if args["keyserver"]:
        return f"Error fetching key {ids['key_id']} from keyserver: {args['keyserver']}"
    return "Unable to add a key from binary data"


def _quiet(text: str) -> str:
    """The tool's words without apt-key's deprecation warning."""
    return "\n".join(
        line
        for line in text.strip().splitlines()
        if not line.startswith("Warning: apt-key is deprecated")
    ).strip()
