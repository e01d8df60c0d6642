"""htpasswd: a user's entry in an Apache/nginx password file, hashed by the host's openssl.

The password never appears in a command line: it is sent on the command's stdin and read
into a shell variable. One probe reads the file, its owner and mode, and checks the
password against the user's current hash (recomputed with the hash's own salt by
``openssl passwd``; bcrypt entries by ``htpasswd -v``); one command hashes the password
and rewrites the file atomically.
"""

from __future__ import annotations

import stat as stat_mod
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.chattr import ATTRIBUTES, attributes_after_write
from .util.content import IGNORED_FILE_ARGS
from .util.fileargs import UNSAFE_WRITES
from .util.filestate import chown_spec
from .util.hostedit import need, section, sections, write_file
from .util.modes import ModeError, parse_mode

_READ_PW = "pw=$(cat)"
_VERIFY = r"""h=$(U="$u" awk -F: 'NF && $1 == ENVIRON["U"] {sub(/^[^:]*:/, ""); print; exit}' "$p")
c=
case "$h" in
'$apr1$'*|'$1$'*|'$5$'*|'$6$'*) t=${h#?}; a=${t%%\$*}; t=${t#*\$}; s=${t%%\$*}
  c=$(printf '%s\n' "$pw" | openssl passwd -"$a" -salt "$s" -stdin 2>/dev/null) ;;
'$2'*) printf '%s\n' "$pw" | htpasswd -vi "$p" "$u" >/dev/null 2>&1 && c=$h ;;
'{SHA}'*) c={SHA}$(printf '%s' "$pw" | openssl dgst -sha1 -binary | openssl base64) ;;
*) c=$pw ;;
esac
[ -n "$h" ] && [ "$c" = "$h" ] && echo match"""
_HASH = {
    "apr_md5_crypt": "openssl passwd -apr1 -stdin",
    "md5_crypt": "openssl passwd -1 -stdin",
    "sha256_crypt": "openssl passwd -5 -stdin",
    "sha512_crypt": "openssl passwd -6 -stdin",
    "ldap_sha1": "{ printf '{SHA}'; printf '%s' \"$pw\" | openssl dgst -sha1 -binary | "
    "openssl base64; }",
    "plaintext": "cat",
    "bcrypt": "htpasswd -niB x | sed 's/^x://; /^$/d'",
}
_NEW_MODE = "$(printf %04o $((0666 & ~0$(umask))))"


@dataclass(frozen=True, slots=True)
class Htfile:
    lines: list[str] | None  # None: no file
    matches: bool  # the password is the user's current one
    mode: int = 0
    owner: tuple[str, str] = ("", "")  # name, id
    group: tuple[str, str] = ("", "")


@register("htpasswd", "community.general.htpasswd")
class Htpasswd(Module):
    """Add, update or remove a user in an htpasswd file."""

    args = {
        "path": Arg(
            "path", required=True, aliases=("dest", "destfile"), description="The password file."
        ),
        "name": Arg("str", required=True, aliases=("username",), description="The user."),
        "password": Arg("str", secret=True, description="The password (needed to add a user)."),
        "hash_scheme": Arg(
            "str",
            default="apr_md5_crypt",
            aliases=("crypt_scheme",),
            description="apr_md5_crypt, md5_crypt, sha256_crypt, "
            "sha512_crypt, ldap_sha1, plaintext or bcrypt.",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the user is in the file.",
        ),
        "create": Arg("bool", default=True, description="Create the file when missing."),
        "mode": Arg("mode", description="The file's permissions."),
        "owner": Arg("str", description="The file's owner."),
        "group": Arg("str", description="The file's group."),
        "unsafe_writes": UNSAFE_WRITES,
        "attributes": ATTRIBUTES,
        **{key: IGNORED_FILE_ARGS[key] for key in ("seuser", "serole", "setype", "selevel")},
    }
    returns = {"msg": "what was done (`Add/update joe`, `joe already present` …)"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["hash_scheme"] not in _HASH:
            raise ModuleError(
                f"hash_scheme {args['hash_scheme']} is not supported by pbe "
                f"(one of: {', '.join(_HASH)})"
            )
        res = ctx.run(probe(args), stdin=_stdin(args))
        state = parse(res)
        msg, content = plan(args, state)
        if ctx.check and state.lines is None and content is not None:
            msg = f"Create {args['path']}"
        attrs = attrs_differ(args, state)
        if attrs:
            msg += (" and " if content is not None else "") + _ATTRS_CHANGED
            content = content or "keep"
        changed = content is not None
        if changed and not ctx.check:
            res = ctx.run(apply(args, content == "keep"), stdin=_stdin(args))
            if res.rc != 0:
                raise ModuleError((res.err or res.out).strip() or f"exit status {res.rc}")
        if _flags_changed(args, state, ctx) and not attrs:
            changed = True
            msg += (" and " if content is not None else "") + _ATTRS_CHANGED
        return Result(changed=changed, values={"msg": msg})


_ATTRS_CHANGED = "ownership, perms or SE linux context changed"


def _flags_changed(args: dict[str, Any], state: Htfile, ctx: ModuleContext) -> bool:
    """chattr ``attributes`` on the file once it is written, as Ansible does; a check run
    counts a file that is not there yet as changed."""
    out = attributes_after_write(ctx, args["path"], args.get("attributes"), state.lines is not None)
    return bool(out.get("changed"))


def _stdin(args: dict[str, Any]) -> bytes:
    """The password as the commands read it (a line, so that stdin is never empty)."""
    return (("" if args["password"] is None else str(args["password"])) + "\n").encode()


def probe(args: dict[str, Any]) -> str:
    head = f"p={quote(args['path'])}; u={quote(args['name'])}; {_READ_PW}"
    return (
        f'{head}; [ -e "$p" ] || exit 0; '
        + section("file", 'cat -- "$p"')
        + "; "
        + section("stat", 'stat -L -c "%a %U %G %u %g" -- "$p"')
        + "; "
        + section("verify", _VERIFY)
    )


def parse(res: CommandResult) -> Htfile:
    found = sections(res.out)
    if "file" not in found:
        if res.rc != 0:
            raise ModuleError((res.err or res.out).strip() or f"exit status {res.rc}")
        return Htfile(None, False)
    file = need(found, "file", res)
    if file.rc != 0:
        raise ModuleError(f"cannot read the file: {file.text.strip()}")
    mode, owner, group, uid, gid = need(found, "stat", res).text.split()
    lines = [line for line in file.text.splitlines() if line.strip()]
    return Htfile(
        lines,
        need(found, "verify", res).text.strip() == "match",
        int(mode, 8),
        (owner, uid),
        (group, gid),
    )


def plan(args: dict[str, Any], state: Htfile) -> tuple[str, str | None]:
    """(message, "write" when the file must be written, else None), in Ansible's words."""
    name, path = args["name"], args["path"]
    users = [line.split(":", 1)[0] for line in state.lines or []]
    if args["state"] == "absent":
        if name not in users:
            return f"{name} not present", None
        return f"Remove {name}", "write"
    if state.lines is None:
        if not args["create"]:
            raise ModuleError(f"Destination {path} does not exist")
        _need_password(args)
        return f"Created {path} and added {name}", "write"
    if state.matches or (args["password"] is None and name in users):
        return f"{name} already present", None
    _need_password(args)
    return f"Add/update {name}", "write"


def _need_password(args: dict[str, Any]) -> None:
    if args["password"] is None:
        raise ModuleError(f"password is required to add or update {args['name']}")


def attrs_differ(args: dict[str, Any], state: Htfile) -> bool:
    """Whether mode, owner or group asked for differ from the file's (a new file: any)."""
    if state.lines is None:
        return False
    if args["mode"] is not None:
        try:
            if parse_mode(args["mode"], state.mode) != stat_mod.S_IMODE(state.mode):
                return True
        except ModeError as exc:
            raise ModuleError(f"argument mode: {exc}") from None
    return any(
        args[key] is not None and args[key] not in have
        for key, have in (("owner", state.owner), ("group", state.group))
    )


def apply(args: dict[str, Any], keep: bool) -> str:
    """Hash the password (from stdin) and rewrite the file; ``keep``: only its attributes."""
    owner = None
    if args["owner"] is not None or args["group"] is not None:
        owner = chown_spec(args["owner"], args["group"])
    write = write_file(args["path"], mode=args["mode"], owner=owner, new_mode=_NEW_MODE)
    head = f"p={quote(args['path'])}; u={quote(args['name'])}; {_READ_PW}"
    if keep:
        return f'{head}; cat -- "$p" | {{ {write}; }}'
    if args["state"] == "absent":
        edit = 'U="$u" awk -F: \'NF && $1 != ENVIRON["U"]\' "$p"'
        return f"{head}; {edit} | {{ {write}; }}"
    make = _HASH[args["hash_scheme"]]
    edit = (
        '{ [ -e "$p" ] && cat -- "$p"; :; } | U="$u" H="$h" awk -F: '
        '\'NF == 0 {next} $1 == ENVIRON["U"] {if (!d) print ENVIRON["U"] ":" '
        'ENVIRON["H"]; d = 1; next} {print} END {if (!d) print ENVIRON["U"] ":" '
        'ENVIRON["H"]}\''
    )
    return (
        f'{head}; h=$(printf \'%s\\n\' "$pw" | {make}) && [ -n "$h" ] || '
        f"{{ echo 'hashing the password failed ({args['hash_scheme']})' >&2; exit 1; }}; "
        f'mkdir -p -- "$(dirname -- "$p")" && {edit} | {{ {write}; }}'
    )
