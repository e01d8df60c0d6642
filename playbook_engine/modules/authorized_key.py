"""authorized_key: make SSH public keys be (or not be) in a user's authorized_keys.

One probe reads the account, the key file, its directory and (for a URL or ``file://``
key) the keys themselves, fetched on the host as Ansible does; the new file is computed
here and written back atomically in one command, with the directory made private to
the user when ``manage_dir`` asks for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import (
    ABSENT_RC,
    Edit,
    HostStateModule,
    Known,
    Section,
    TextFile,
    need,
    section,
    sections,
    write_file,
)

_KEY_TYPE = re.compile(r"^(ssh-[\w.@-]+|ecdsa-sha2-[\w.@-]+|sk-[\w.@-]+|x509v3-[\w.@-]+)$")


@dataclass(frozen=True, slots=True)
class KeyLine:
    """One key as authorized_keys holds it: ``options type blob comment``."""

    options: str
    type: str
    blob: str
    comment: str

    @property
    def ident(self) -> tuple[str, str]:
        return (self.type, self.blob)

    def render(self) -> str:
        words = [self.options] if self.options else []
        words += [self.type, self.blob] + ([self.comment] if self.comment else [])
        return " ".join(words)


@dataclass(frozen=True, slots=True)
class KeyFile:
    owner: str  # user:group of the account
    file: TextFile  # the file written (a symlink's target with follow)
    dir_ok: bool  # the directory exists, private to the account
    dir_exists: bool
    fetched: str | None = None  # keys read from a URL or file://


def parse_key(text: str) -> KeyLine | None:
    """An authorized_keys line (options may quote spaces); None when it holds no key."""
    words = _words(text.strip())
    for index, word in enumerate(words[:-1]):
        if _KEY_TYPE.match(word):
            return KeyLine(
                " ".join(words[:index]), word, words[index + 1], " ".join(words[index + 2 :])
            )
    return None


def _words(text: str) -> list[str]:
    """Split at blanks outside double quotes (``from="a, b"`` stays one word)."""
    words, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char in " \t" and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    return [*words, current] if current else words


@register("authorized_key", "ansible.posix.authorized_key")
class AuthorizedKey(HostStateModule[KeyFile]):
    """Add or remove SSH public keys in a user's authorized_keys file."""

    args = {
        "user": Arg("str", required=True, description="Whose authorized_keys."),
        "key": Arg(
            "str",
            required=True,
            description=(
                "The public key(s), one a line; or an https:// URL or file:// path (read on the "
                "host) that gives them."
            ),
        ),
        "path": Arg("path", description="Another file than ~USER/.ssh/authorized_keys."),
        "manage_dir": Arg(
            "bool",
            default=True,
            description=("Create the file's directory, private to the user (0700, owned by them)."),
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the keys are in the file.",
        ),
        "key_options": Arg("str", description="Options put before each key."),
        "exclusive": Arg(
            "bool", default=False, description="Remove every other key (and line) from the file."
        ),
        "comment": Arg(
            "str", description="The comment the keys get (the existing one is kept when unset)."
        ),
        "validate_certs": Arg(
            "bool", default=True, description="Verify the certificate of an https key URL."
        ),
        "follow": Arg(
            "bool",
            default=False,
            description="Write the file a symlinked path points to, keeping the link.",
        ),
    }
    returns = {
        "keyfile": "the file",
        "user": "the argument",
        "key": "the argument",
        "key_options": "the argument",
        "exclusive": "the argument",
        "manage_dir": "the argument",
        "path": "the argument",
        "state": "the argument",
        "comment": "the argument",
        "follow": "the argument",
        "validate_certs": "the argument",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        path = quote(args["path"]) if args["path"] else '"$h"/.ssh/authorized_keys'
        follow = 'if [ -L "$f" ]; then f=$(readlink -f -- "$f"); fi; ' if args["follow"] else ""
        parts = [
            f'u={quote(args["user"])}; p=$(getent passwd "$u"); h=${{p%:*}}; '
            f'h=${{h##*:}}; f={path}; {follow}d=$(dirname -- "$f")',
            section("user", '[ -n "$p" ] && printf "%s\\n" "$f" && id -un "$u" && id -gn "$u"'),
            section("dir", '[ -d "$d" ] || exit 66; stat -L -c "%a %U %G" -- "$d"'),
            section("file", f'[ -e "$f" ] || exit {ABSENT_RC}; cat -- "$f"'),
        ]
        if fetch := _fetch(args):
            parts.append(section("fetched", fetch))
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> KeyFile:
        found = sections(res.out)
        user = need(found, "user", res)
        if user.rc != 0:
            raise ModuleError(f"Failed to lookup user {args['user']}: no such user")
        path, name, group = (user.text.splitlines() + ["", "", ""])[:3]
        directory = found.get("dir", Section(ABSENT_RC, ""))
        file = found.get("file", Section(ABSENT_RC, ""))
        if file.rc not in (0, ABSENT_RC):
            raise ModuleError(f"cannot read {path}: exit status {file.rc}")
        fetched = found.get("fetched")
        if fetched is not None and fetched.rc != 0:
            raise ModuleError(f"Error getting key from: {args['key']}")
        return KeyFile(
            f"{name}:{group}",
            TextFile(path, None if file.rc else file.text),
            directory.text.split() == ["700", name, group],
            directory.rc == 0,
            fetched.text if fetched else None,
        )

    def foresee(self, args: dict[str, Any], state: KeyFile, known: Known) -> KeyFile:
        predicted = known(state.file.path)
        return (
            state
            if predicted is None
            else KeyFile(state.owner, predicted, state.dir_ok, state.dir_exists, state.fetched)
        )

    def plan(self, args: dict[str, Any], state: KeyFile) -> Edit | None:
        wanted = _wanted(args, state.fetched if state.fetched is not None else args["key"])
        lines = _edit(args, state.file.lines, wanted)
        text = "".join(f"{line}\n" for line in lines)
        present = args["state"] == "present"
        fix_dir = present and args["manage_dir"] and not state.dir_ok
        if (
            lines == state.file.lines
            and (state.file.text is not None or not present)
            and not fix_dir
        ):
            return None
        path = state.file.path
        diff = {
            "before": state.file.text or "",
            "after": text,
            "before_header": path,
            "after_header": path,
        }
        return Edit(
            "write",
            "",
            values=self._values(args, path),
            diff=diff,
            stdin=text.encode(),
            writes=((path, text),),
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        path, _ = change.writes[0]
        head = (
            f'u={quote(args["user"])}; g=$(id -gn "$u"); f={quote(path)}; '
            'if [ -e "$f" ]; then new=; else new=1; fi'
        )
        steps = []
        if args["manage_dir"] and args["state"] == "present":
            steps.append(
                'd=$(dirname -- "$f"); { [ -d "$d" ] || mkdir -p -- "$d"; } && '
                'chown "$u:$g" "$d" && chmod 700 "$d"'
            )
        steps.append(write_file('"$f"', quoted=True, new_mode="0600"))
        steps.append('[ -z "$new" ] || chown "$u:$g" "$f"')
        return f"{head}; " + " && ".join(f"{{ {s}; }}" for s in steps)

    def values(self, args: dict[str, Any], state: KeyFile) -> dict[str, Any]:
        return self._values(args, state.file.path)

    def _values(self, args: dict[str, Any], keyfile: str) -> dict[str, Any]:
        values = {
            k: args[k]
            for k in (
                "user",
                "key",
                "key_options",
                "exclusive",
                "manage_dir",
                "path",
                "state",
                "comment",
                "follow",
                "validate_certs",
            )
        }
        values["keyfile"] = keyfile
        return values


def _fetch(args: dict[str, Any]) -> str | None:
    """The host-side command that reads keys given as a URL or file:// path."""
    key = args["key"].strip()
    if key.startswith("file://"):
        return f"cat -- {quote(key[len('file://') :])}"
    if not re.match(r"^(https?|ftp)://", key):
        return None
    curl = "-k " if not args["validate_certs"] else ""
    wget = "--no-check-certificate " if not args["validate_certs"] else ""
    return (
        f"if command -v curl >/dev/null 2>&1; then curl -fsSL {curl}{quote(key)}; "
        f"else wget -qO- {wget}{quote(key)}; fi"
    )


def _wanted(args: dict[str, Any], text: str) -> list[KeyLine]:
    """The keys the task names, with its key_options and comment applied."""
    keys = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key = parse_key(line)
        if key is None:
            raise ModuleError(f"invalid key specified: {line.strip()}")
        options = args["key_options"] if args["key_options"] is not None else key.options
        comment = args["comment"] if args["comment"] is not None else key.comment
        keys.append(KeyLine(options, key.type, key.blob, comment))
    return keys


def _edit(args: dict[str, Any], lines: list[str], wanted: list[KeyLine]) -> list[str]:
    """The file's lines after adding (or removing) ``wanted``."""
    by_ident = {k.ident: k for k in wanted}
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for line in lines:
        key = parse_key(line) if line.strip() and not line.lstrip().startswith("#") else None
        if key is None or key.ident not in by_ident:
            if not args["exclusive"] or args["state"] == "absent":
                out.append(line)
            continue
        if args["state"] == "absent" or key.ident in seen:
            continue
        seen.add(key.ident)
        out.append(_merge(args, key, by_ident[key.ident]).render())
    if args["state"] == "present":
        for key in wanted:
            if key.ident not in seen:
                seen.add(key.ident)
                out.append(key.render())
    return out


def _merge(args: dict[str, Any], existing: KeyLine, wanted: KeyLine) -> KeyLine:
    """An existing key as the task wants it: its options, and its comment only when the
    task gives one."""
    comment = wanted.comment if args["comment"] is not None else existing.comment
    return KeyLine(wanted.options, existing.type, existing.blob, comment)
