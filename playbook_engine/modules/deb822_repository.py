"""deb822_repository: an apt repository as a ``.sources`` file (deb822 format), and its key.

The file is named after ``name`` in the directory apt reads sources from (``apt-config``,
so ``APT_CONFIG`` in the task's environment is honoured) and holds the fields given, in
Ansible's order and spelling. ``signed_by`` may be a key file on the host, fingerprints, an
inline key, or a URL: a URL is downloaded by the probe (curl or wget on the host) and the
key kept in ``/etc/apt/keyrings/<name>.asc`` (armored) or ``.gpg``. One command reads the
file, the key files and the key; one writes what differs.
"""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util import aptcmd
from .util.debian import MARK
from .util.state import Change, StateModule

KEYRINGS = "/etc/apt/keyrings"
_ARMOR = b"-----BEGIN PGP PUBLIC KEY BLOCK-----"
_FIELD_NAMES = {"name": "X-Repolib-Name", "uris": "URIs"}
_NOT_FIELDS = ("mode", "state", "install_python_debian")


def _flag(description: str) -> Arg:
    return Arg("bool", description=description)


def _words(description: str) -> Arg:
    return Arg("list", elements="str", description=description)


@dataclass
class Found:
    """What the probe read: the sources directory, the file (mode, text) under each of its
    two possible names, the key files' sha256, the signed_by key as downloaded."""

    directory: str
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    signed_by_file: bool = False
    key_data: bytes | None = None


@dataclass(frozen=True, slots=True)
class RepoChange(Change):
    """Paths to write (path, bytes, mode), modes to set, paths to remove."""

    writes: tuple[tuple[str, bytes, str], ...] = ()
    modes: tuple[tuple[str, str], ...] = ()
    removes: tuple[str, ...] = ()


@register("deb822_repository")
class Deb822Repository(StateModule[Found]):
    """Add or remove an apt repository as a deb822 .sources file, with its signing key."""

    args = {
        "name": Arg(
            "str",
            required=True,
            description="The repository: X-Repolib-Name, and the name of its files.",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the repository is there.",
        ),
        "types": Arg(
            "list", elements="str", default=["deb"], choices=None, description="deb and/or deb-src."
        ),
        "uris": _words("Base URIs of the archive."),
        "suites": _words("Suites (codenames), or an exact path ending in `/`."),
        "components": _words("Components (main, contrib …)."),
        "signed_by": Arg(
            "str",
            description="A key file on the host, fingerprints, an inline "
            "key, or a URL to download it from.",
        ),
        "architectures": _words("Architectures to use."),
        "languages": _words("Languages of translated descriptions."),
        "targets": _words("Download targets."),
        "include": _words("Packages to use from it (apt >= 3.1)."),
        "exclude": _words("Packages not to use from it (apt >= 3.1)."),
        "enabled": _flag("Whether apt uses it."),
        "trusted": _flag("Trust it without signatures."),
        "allow_insecure": _flag("Allow an insecure repository."),
        "allow_weak": _flag("Allow weak digests."),
        "allow_downgrade_to_insecure": _flag("Allow it to become insecure."),
        "by_hash": _flag("Fetch indexes by hash."),
        "check_date": _flag("Check the Release file's date."),
        "check_valid_until": _flag("Check Valid-Until (replay attacks)."),
        "pdiffs": _flag("Use PDiffs."),
        "date_max_future": Arg("int", description="Seconds a Release file may be ahead."),
        "inrelease_path": Arg("str", description="Path to the InRelease file."),
        "mode": Arg("mode", default="0644", description="Mode of the .sources file."),
        "install_python_debian": Arg(
            "bool", default=False, description="Accepted: pbe needs nothing on the host."
        ),
    }
    mutually_exclusive = (("exclude", "include"),)
    returns = {
        "repo": "the file's text",
        "dest": "the .sources file",
        "key_filename": "the key file, when there is one",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        for kind in args["types"] or []:
            if kind not in ("deb", "deb-src"):
                raise ModuleError(f"argument types: {kind!r} is not one of: deb, deb-src")
        slugs = tuple(dict.fromkeys((_legacy_slug(args["name"]), _slug(args["name"]))))
        lines = [
            aptcmd.ENV,
            'eval "$(apt-config shell _D Dir::Etc::sourceparts/d)"',
            "_D=${_D:-/etc/apt/sources.list.d/}",
            aptcmd.section("dir"),
            "printf '%s\\n' \"$_D\"",
        ]
        for slug in slugs:
            path = f'"$_D"{quote(slug + ".sources")}'
            lines.append(
                f"[ -f {path} ] && printf '{MARK}file %s %s\\n' "
                f'"$(stat -c %a {path})" {quote(slug)} && base64 -w0 {path} && echo'
            )
        for slug in slugs:
            for ext in ("asc", "gpg"):
                key = quote(f"{KEYRINGS}/{slug}.{ext}")
                lines.append(
                    f"[ -f {key} ] && printf '{MARK}key %s\\n' {quote(slug + '.' + ext)}"
                    f" && sha256sum < {key} | cut -c1-64"
                )
        lines += _signed_by_probe(args["signed_by"])
        return "\n".join(lines)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Found:
        found = Found("")
        section = ""
        for line in res.out.splitlines():
            if line.startswith(MARK):
                section = line[len(MARK) :]
                word, _, rest = section.partition(" ")
                if word == "signed-file":
                    found.signed_by_file = True
                elif word == "key-failed":
                    raise ModuleError("Could not fetch signed_by key.")
                continue
            _store(found, section, line)
        if not found.directory:
            raise ModuleError(f"cannot read the apt configuration: {res.err.strip()}")
        return found

    def plan(self, args: dict[str, Any], found: Found) -> Change | None:
        desired = _desired(args, found)
        if args["state"] == "absent":
            return _plan_absent(found, desired)
        current = found.files.get(desired.slug)
        writes, modes = list(desired.key_writes), []
        mode = str(args["mode"])
        if current is None or current[1] != desired.text.encode():
            writes.append((desired.dest, desired.text.encode(), mode))
        elif int(current[0], 8) != int(mode, 8):
            modes.append((desired.dest, mode))
        if not writes and not modes:
            return None
        before = current[1].decode(errors="replace") if current else ""
        diff = {
            "before": before,
            "after": desired.text,
            "before_header": desired.dest,
            "after_header": desired.dest,
        }
        return RepoChange(
            "write",
            None,
            self.values(args, found),
            diff=diff,
            writes=tuple(writes),
            modes=tuple(modes),
        )

    def values(self, args: dict[str, Any], found: Found) -> dict[str, Any]:
        desired = _desired(args, found)
        if args["state"] == "absent":
            return {
                "repo": None,
                "dest": desired.dest,
                "key_filename": f"{KEYRINGS}/{desired.slug}.gpg",
            }
        return {"repo": desired.text, "dest": desired.dest, "key_filename": desired.key_file}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, RepoChange)
        steps = [f"rm -f -- {quote(path)}" for path in change.removes]
        for path, data, mode in change.writes:
            if path.startswith(KEYRINGS + "/"):
                steps.append(f"mkdir -p -m 0755 {KEYRINGS}")
            steps.append(_write(path, data, mode))
        steps += [f"chmod {quote(mode)} -- {quote(path)}" for path, mode in change.modes]
        return " &&\n".join(steps)


def _store(found: Found, section: str, line: str) -> None:
    word, _, rest = section.partition(" ")
    if word == "dir":
        found.directory = line.strip()
    elif word == "file":
        mode, _, slug = rest.partition(" ")
        found.files[slug] = (mode, base64.b64decode(line.strip() or b""))
    elif word == "key":
        found.keys[rest] = line.strip()
    elif word == "keydata":
        found.key_data = base64.b64decode(line.strip() or b"")


def _signed_by_probe(signed_by: str | None) -> list[str]:
    """Whether signed_by names a file on the host; a URL's key, downloaded (base64)."""
    if not signed_by:
        return []
    if urlparse(signed_by).scheme:
        url = quote(signed_by)
        return [
            f"_k=$({{ curl -fsSL {url} 2>/dev/null || wget -q -O - {url}; }} | base64 -w0)",
            f'if [ -n "$_k" ]; then {aptcmd.section("keydata")}; printf \'%s\\n\' "$_k"; '
            f"else {aptcmd.section('key-failed')}; fi",
        ]
    if "\n" in signed_by:
        return []
    return [f"[ -f {quote(signed_by)} ] && {aptcmd.section('signed-file')}"]


@dataclass(frozen=True, slots=True)
class Desired:
    """The repository as the arguments describe it: its file's name and text, its key."""

    slug: str
    dest: str
    text: str
    key_file: str | None
    key_writes: tuple[tuple[str, bytes, str], ...]


def _desired(args: dict[str, Any], found: Found) -> Desired:
    """Ansible's naming: the older slug when a file by it exists, else spaces as dashes."""
    legacy = _legacy_slug(args["name"])
    slug = legacy if legacy in found.files else _slug(args["name"])
    dest = f"{found.directory.rstrip('/')}/{slug}.sources"
    key_file, key_writes, value = _key(args["signed_by"], found, slug)
    return Desired(slug, dest, _render(args, value), key_file, tuple(key_writes))


def _legacy_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "", re.sub(r"[_\s]+", "-", name.lower()))


def _slug(name: str) -> str:
    return name.replace(" ", "-")


def _key(
    signed_by: str | None, found: Found, slug: str
) -> tuple[str | None, list[tuple[str, bytes, str]], str | None]:
    """(the key file to report, the key file to write, the Signed-By value)."""
    if not signed_by:
        return None, [], None
    if found.signed_by_file:
        return signed_by, [], signed_by
    if found.key_data is None:
        return None, [], signed_by  # fingerprints or an inline key: in the file itself
    ext = "asc" if _ARMOR in found.key_data else "gpg"
    path = f"{KEYRINGS}/{slug}.{ext}"
    same = found.keys.get(f"{slug}.{ext}") == hashlib.sha256(found.key_data).hexdigest()
    return path, [] if same else [(path, found.key_data, "0644")], path


def _render(args: dict[str, Any], signed_by: str | None) -> str:
    """The deb822 stanza: every field given, in the order of the argument names."""
    lines = []
    for key in sorted(k for k in args if k not in _NOT_FIELDS):
        value = signed_by if key == "signed_by" else args[key]
        if value is None:
            continue
        text = _field_value(value)
        name = _FIELD_NAMES.get(key, key.replace("_", "-").title())
        lines.append(f"{name}:{text}" if text.startswith("\n") else f"{name}: {text}")
    return "\n".join(lines) + "\n"


def _field_value(value: Any) -> str:
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list):
        text = " ".join(str(v) for v in value)
    else:
        text = str(value)
    if "\n" not in text:
        return text
    body = "\n".join(line.strip() or "." for line in text.strip().splitlines())
    return "\n" + textwrap.indent(body, "    ")


def _plan_absent(found: Found, desired: Desired) -> RepoChange | None:
    slug = desired.slug
    removes = [desired.dest] if slug in found.files else []
    removes += [
        f"{KEYRINGS}/{name}" for name in (f"{slug}.asc", f"{slug}.gpg") if name in found.keys
    ]
    if not removes:
        return None
    values = {"repo": None, "dest": desired.dest, "key_filename": f"{KEYRINGS}/{slug}.gpg"}
    return RepoChange("remove", None, values, removes=tuple(removes))


def _write(path: str, data: bytes, mode: str) -> str:
    encoded = base64.b64encode(data).decode()
    return (
        f'_t=$(mktemp -- "$(dirname -- {quote(path)})/.pbe-XXXXXX") && '
        f"printf '%s' {quote(encoded)} | base64 -d > \"$_t\" && "
        f'chmod {quote(mode)} "$_t" && mv -f -- "$_t" {quote(path)}'
    )
