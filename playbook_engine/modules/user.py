"""user: make a local account exist with the given attributes, or not.

One probe reads the account (``getent passwd``, ``id -Gn``, ``getent shadow``), the groups
the task names, whether the home directory exists and the SSH key; one command changes it
with the host's own tools (useradd/usermod/userdel, ``chpasswd -e`` fed on stdin so the hash
is never on a command line, chage, ssh-keygen) and prints the account back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ModuleError
from ..templating.values import Unpredictable
from ..transport.base import CommandResult
from ..transport.shell import join, quote
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.accounts import (
    NOT_LOGGING_PASSWORD,
    Account,
    GroupInfo,
    parse_account,
    parse_groups,
    resolve_groups,
    shadow_date,
)
from .util.hostedit import ABSENT_RC, Edit, HostStateModule, Section, need, section, sections
from .util.state import Change

DEFAULT_KEY_COMMENT = "ansible-generated on $HOSTNAME"
_IGNORED = "Accepted and ignored (not used on Linux)."
_CHAGE = (
    ("password_expire_min", 3, "-m"),
    ("password_expire_max", 4, "-M"),
    ("password_expire_warn", 5, "-W"),
    ("password_expire_account_disable", 6, "-I"),
)


@dataclass(frozen=True, slots=True)
class Key:
    path: str
    public: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class UserState:
    account: Account | None
    groups: tuple[GroupInfo, ...] = ()  # the groups the task names, those that exist
    home_exists: bool = False  # the home the task wants (else the current one)
    old_home_exists: bool = False  # the current home
    key: Key | None = None


# A crypt hash as /etc/shadow holds it (`$id$salt$hash`, DES's 13 characters), possibly
# behind a lock (`!`), or no password at all (`!`, `*`, empty).
_HASHED = re.compile(r"^(?:!{0,2}|\*)(?:\$[^$]+\$.+|[./0-9A-Za-z]{13})?$")


@register("user")
class User(HostStateModule[UserState]):
    """Add, change or remove a local user account."""

    args = {
        "name": Arg("str", required=True, aliases=("user",), description="The account."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the account exists.",
        ),
        "uid": Arg("int", description="Its user id."),
        "non_unique": Arg("bool", default=False, description="Allow a uid already in use."),
        "group": Arg("str", description="Its primary group (name or gid; must exist)."),
        "groups": Arg(
            "list",
            elements="str",
            description=("Its supplementary groups; an empty list removes it from all of them."),
        ),
        "append": Arg(
            "bool",
            default=False,
            description="Add `groups` to the ones it has instead of replacing them.",
        ),
        "comment": Arg("str", description="The GECOS field."),
        "home": Arg("path", description="Its home directory."),
        "move_home": Arg(
            "bool", default=False, description="Move the old home's contents when `home` changes."
        ),
        "create_home": Arg(
            "bool",
            default=True,
            aliases=("createhome",),
            description="Create the home directory when it is missing.",
        ),
        "skeleton": Arg("str", description="Directory whose files a new home gets."),
        "shell": Arg("path", description="Its login shell."),
        "system": Arg(
            "bool", default=False, description="Create it as a system account (only on creation)."
        ),
        "password": Arg(
            "str",
            secret=True,
            description="The password hash (crypt format), set with `chpasswd -e`.",
        ),
        "update_password": Arg(
            "str",
            default="always",
            choices=("always", "on_create"),
            description="`on_create` sets the password of new accounts only.",
        ),
        "password_lock": Arg("bool", description="Lock (true) or unlock (false) the password."),
        "expires": Arg(
            "float", description="Account expiry, seconds since the epoch; negative removes it."
        ),
        "password_expire_max": Arg("int", description="Maximum days between password changes."),
        "password_expire_min": Arg("int", description="Minimum days between password changes."),
        "password_expire_warn": Arg("int", description="Days of warning before expiry."),
        "password_expire_account_disable": Arg(
            "int", description="Days after password expiry until the account is disabled."
        ),
        "remove": Arg(
            "bool",
            default=False,
            description="With state=absent, remove the home and mail spool too.",
        ),
        "force": Arg(
            "bool", default=False, description="With state=absent, remove it even while logged in."
        ),
        "generate_ssh_key": Arg(
            "bool", default=False, description="Create an SSH key pair when there is none."
        ),
        "ssh_key_type": Arg("str", default="rsa", description="ssh-keygen's -t."),
        "ssh_key_bits": Arg("int", description="ssh-keygen's -b (its default when unset)."),
        "ssh_key_file": Arg(
            "path", description="Private key path, relative to the home; default .ssh/id_TYPE."
        ),
        "ssh_key_comment": Arg(
            "str",
            default=DEFAULT_KEY_COMMENT,
            description="The key's comment ($HOSTNAME: the host's name).",
        ),
        "ssh_key_passphrase": Arg("str", secret=True, description="The private key's passphrase."),
        "umask": Arg("str", description="Umask of a home directory created for it."),
        "uid_min": Arg("int", description="Lowest uid useradd may pick."),
        "uid_max": Arg("int", description="Highest uid useradd may pick."),
        "local": Arg(
            "bool",
            default=False,
            description="Accepted: accounts are always managed in the local files.",
        ),
        "seuser": Arg("str", description="Accepted and ignored (no SELinux user mapping)."),
        "login_class": Arg("str", description=_IGNORED),
        "authorization": Arg("str", description=_IGNORED),
        "profile": Arg("str", description=_IGNORED),
        "role": Arg("str", description=_IGNORED),
        "hidden": Arg("bool", description=_IGNORED),
    }
    returns = {
        "name": "the account",
        "state": "present or absent",
        "uid": "its user id",
        "group": "its primary group's gid",
        "groups": "its supplementary groups, comma-separated",
        "home": "its home",
        "shell": "its shell",
        "comment": "its GECOS field",
        "system": "whether it was created as a system account (on creation)",
        "create_home": "the argument (on creation)",
        "append": "the argument",
        "move_home": "the argument",
        "password": "NOT_LOGGING_PASSWORD when a password was given",
        "ssh_public_key": "the public key (with generate_ssh_key)",
        "ssh_key_file": "the private key's path",
        "ssh_fingerprint": "ssh-keygen -l's line",
        "force": "the argument (state=absent)",
        "remove": "the argument (state=absent)",
        "stdout": "userdel's output",
        "stderr": "userdel's messages",
    }

    # -- probe ------------------------------------------------------------------------------

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        head = f'n={quote(args["name"])}; p=$(getent passwd "$n")'
        parts = [head, section("passwd", 'printf "%s\\n" "$p"; [ -n "$p" ]')]
        if args["state"] == "absent":
            return "; ".join(parts)
        home = quote(args["home"]) if args["home"] else '"$c"'
        parts[0] += f"; c=${{p%:*}}; c=${{c##*:}}; h={home}"
        parts += [
            section("groups", '[ -n "$p" ] && id -Gn "$n"'),
            section("shadow", '[ -n "$p" ] && getent shadow "$n"'),
            section("home", '[ -n "$h" ] && [ -d "$h" ]'),
            section("oldhome", '[ -n "$c" ] && [ -d "$c" ]'),
        ]
        if keys := _group_keys(args):
            parts.append(section("grp", f"getent group {join(keys)}"))
        if args["generate_ssh_key"]:
            parts.append(section("key", _key_probe(args)))
        return "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> UserState:
        found = sections(res.out)
        passwd = need(found, "passwd", res)
        none = Section(1, "")
        shadow = found.get("shadow", none)
        account = (
            parse_account(
                passwd.text, found.get("groups", none).text, shadow.text if shadow.rc == 0 else None
            )
            if passwd.rc == 0
            else None
        )
        return UserState(
            account,
            tuple(parse_groups(found.get("grp", none).text)),
            found.get("home", none).rc == 0,
            found.get("oldhome", none).rc == 0,
            _parse_key(found.get("key", Section(ABSENT_RC, ""))),
        )

    # -- check runs: accounts earlier tasks would add ----------------------------------------

    def overlay(self, args: dict[str, Any], state: UserState, ctx: ModuleContext) -> UserState:
        """The groups (and this account) as earlier tasks of the check run leave them."""
        prediction = ctx.files.accounts()
        if prediction is None:
            return state
        groups = prediction.overlay_groups(_group_keys(args), list(state.groups))
        state = replace(state, groups=tuple(groups))
        known = prediction.user(args["name"])
        if known is not None and not known[0]:
            state = replace(state, account=None)
        elif known is not None and state.account is None:
            raise Unpredictable(f"the account {args['name']}, which an earlier task adds")
        return state

    def would_leave(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> None:
        prediction = ctx.files.accounts()
        if prediction is None:
            return
        if change.op == "userdel":
            prediction.user_removed(args["name"])
        elif change.op == "useradd":
            prediction.user_added(args["name"], args["uid"])

    # -- plan -------------------------------------------------------------------------------

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        result = super().run(args, ctx)
        password = args["password"]
        if password is not None and not _HASHED.match(password):
            result.values.setdefault("warnings", []).append(
                "the password does not look like a crypt hash: it is stored as given, so "
                "it will not work for logging in; hash it first (the password_hash filter)"
            )
        return result

    def plan(self, args: dict[str, Any], state: UserState) -> Edit | None:
        account = state.account
        if args["state"] == "absent":
            if account is None:
                return None
            flags = (["-f"] if args["force"] else []) + (["-r"] if args["remove"] else [])
            return Edit(
                "userdel",
                "",
                values=_absent_values(args),
                command=f"userdel {join(flags + [args['name']])}",
            )
        primary = (
            resolve_groups([args["group"]], list(state.groups))[0]
            if args["group"] is not None
            else None
        )
        extra = resolve_groups(args["groups"] or [], list(state.groups))
        if account is None:
            return _create(args, state, primary, extra)
        return _modify(args, state, account, primary, extra)

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        assert isinstance(change, Edit)
        return change.command

    def applied(self, args: dict[str, Any], change: Any, res: CommandResult) -> dict[str, Any]:
        if change.op == "userdel":
            values = _absent_values(args)
            values.update(_outputs(res))
            return values
        found = sections(res.out)
        passwd = need(found, "passwd", res)
        account = parse_account(passwd.text, found.get("groups", Section(1, "")).text)
        key = _parse_key(found.get("key", Section(ABSENT_RC, "")))
        return _values(args, account, change.op == "useradd", key)

    def values(self, args: dict[str, Any], state: UserState) -> dict[str, Any]:
        if args["state"] == "absent":
            return {"name": args["name"], "state": "absent"}
        return _values(args, state.account, False, state.key)


# -- creating ----------------------------------------------------------------------------------


def _create(
    args: dict[str, Any], state: UserState, primary: GroupInfo | None, extra: list[GroupInfo]
) -> Edit:
    flags = _id_flags(args)
    if primary is not None:
        flags += ["-g", primary.name]
    elif any(g.name == args["name"] for g in state.groups):
        flags.append("-N")  # a group of its name exists: don't let useradd try to make one
    if wanted := [g.name for g in extra if primary is None or g.name != primary.name]:
        flags += ["-G", ",".join(wanted)]
    for key, flag in (("comment", "-c"), ("home", "-d"), ("shell", "-s")):
        if args[key] is not None:
            flags += [flag, args[key]]
    if args["expires"] is not None and args["expires"] >= 0:
        flags += ["-e", shadow_date(args["expires"])[1]]
    flags += ["-r"] if args["system"] else []
    flags += (
        (["-m"] + (["-k", args["skeleton"]] if args["skeleton"] else []))
        if args["create_home"]
        else ["-M"]
    )
    flags += _defs(args)
    steps = [f"useradd {join(flags + [args['name']])}"]
    stdin = None
    if args["password"] is not None:
        steps.append("chpasswd -e")
        stdin = f"{args['name']}:{args['password']}\n".encode()
    if args["password_lock"]:
        steps.append('usermod -L "$n"')
    steps += _chage(args, None)
    if args["generate_ssh_key"]:
        steps.append(_keygen(args))
    values = {
        "name": args["name"],
        "state": "present",
        "system": args["system"],
        "create_home": args["create_home"],
        "uid": args["uid"],
        "group": primary.gid if primary else None,
        "comment": args["comment"] or "",
        "home": args["home"],
        "shell": args["shell"],
        "groups": ",".join(g.name for g in extra),
    }
    if args["password"] is not None:
        values["password"] = NOT_LOGGING_PASSWORD
    return Edit(
        "useradd",
        "",
        values={k: v for k, v in values.items() if v is not None},
        stdin=stdin,
        command=_script(args, steps),
    )


def _id_flags(args: dict[str, Any]) -> list[str]:
    if args["uid"] is None:
        return []
    return ["-u", str(args["uid"])] + (["-o"] if args["non_unique"] else [])


def _defs(args: dict[str, Any]) -> list[str]:
    """useradd's -K overrides of login.defs."""
    out = []
    for key, name in (("umask", "UMASK"), ("uid_min", "UID_MIN"), ("uid_max", "UID_MAX")):
        if args[key] is not None:
            out += ["-K", f"{name}={args[key]}"]
    return out


# -- changing ----------------------------------------------------------------------------------


def _modify(
    args: dict[str, Any],
    state: UserState,
    account: Account,
    primary: GroupInfo | None,
    extra: list[GroupInfo],
) -> Edit | None:
    flags, after = _usermod_flags(args, account, primary, extra)
    steps = [f"usermod {join(flags + [args['name']])}"] if flags else []
    stdin, locked = None, (account.shadow_field(1) or "").startswith("!")
    if _password_differs(args, account):
        steps.append("chpasswd -e")
        stdin = f"{args['name']}:{args['password']}\n".encode()
        locked = args["password"].startswith("!")
    if args["password_lock"] is True and not locked:
        steps.append('usermod -L "$n"')
    elif args["password_lock"] is False and locked:
        steps.append('usermod -U "$n"')
    steps += _chage(args, account)
    moved = args["move_home"] and after.home != account.home and state.old_home_exists
    if args["create_home"] and not state.home_exists and not moved:
        steps.append(_make_home(args))
    if args["generate_ssh_key"] and state.key is None:
        steps.append(_keygen(args))
    if not steps:
        return None
    values = _values(args, after, False, state.key)
    return Edit("usermod", "", values=values, stdin=stdin, command=_script(args, steps))


def _usermod_flags(
    args: dict[str, Any], account: Account, primary: GroupInfo | None, extra: list[GroupInfo]
) -> tuple[list[str], Account]:
    """usermod's flags for what differs, and the account as they leave it."""
    flags: list[str] = []
    after = account
    if args["uid"] is not None and args["uid"] != account.uid:
        flags += _id_flags(args)
        after = replace(after, uid=args["uid"])
    if primary is not None and primary.gid != account.gid:
        flags += ["-g", primary.name]
        after = replace(after, gid=primary.gid, primary=primary.name)
    if args["groups"] is not None:
        wanted = [g.name for g in extra if g.name != after.primary]
        current = [g for g in account.groups if g != after.primary]
        if args["append"] and not set(wanted) <= set(current):
            flags += ["-a", "-G", ",".join(wanted)]
            after = replace(after, groups=tuple(dict.fromkeys(current + wanted)))
        elif not args["append"] and set(wanted) != set(current):
            flags += ["-G", ",".join(wanted)]
            after = replace(after, groups=tuple(wanted))
    for key, flag in (("comment", "-c"), ("home", "-d"), ("shell", "-s")):
        if args[key] is not None and args[key] != getattr(account, key):
            flags += [flag, args[key]] + (["-m"] if key == "home" and args["move_home"] else [])
            after = replace(after, **{key: args[key]})
    if args["expires"] is not None and account.shadow is not None:
        days, date = shadow_date(args["expires"])
        expiry = account.shadow_field(7) or ""
        if (expiry if expiry != "-1" else "") != days:
            flags += ["-e", date]
    return flags, after


def _password_differs(args: dict[str, Any], account: Account) -> bool:
    if args["password"] is None or args["update_password"] != "always":
        return False
    current = account.shadow_field(1)
    return current is None or current.lstrip("!") != args["password"].lstrip("!")


def _chage(args: dict[str, Any], account: Account | None) -> list[str]:
    flags: list[str] = []
    for key, index, flag in _CHAGE:
        value = args[key]
        if value is not None and (account is None or account.shadow_field(index) != str(value)):
            flags += [flag, str(value)]
    return [f'chage {join(flags)} "$n"'] if flags else []


def _make_home(args: dict[str, Any]) -> str:
    """Create a missing home as useradd -m would: the skeleton's files, owned by the
    account, with login.defs' HOME_MODE (or its UMASK, or the ``umask`` argument)."""
    skel = quote(args["skeleton"] or "/etc/skel")
    if args["umask"] is not None:
        mode = f"m=$(printf %o $((0777 & ~0{int(args['umask'], 8):o})))"
    else:
        mode = (
            "m=$(awk '$1==\"HOME_MODE\"{print $2}' /etc/login.defs 2>/dev/null); "
            '[ -n "$m" ] || { u=$(awk \'$1=="UMASK"{print $2}\' /etc/login.defs '
            "2>/dev/null); m=$(printf %o $((0777 & ~0${u:-022}))); }"
        )
    return (
        f'{{ h=$(getent passwd "$n" | cut -d: -f6); {mode}; mkdir -p -- "$h" && '
        f'{{ [ ! -d {skel} ] || cp -a {skel}/. "$h"/; }} && chown -R "$n": "$h" && '
        'chmod "$m" "$h"; }'
    )


# -- ssh keys ----------------------------------------------------------------------------------


def _key_path(args: dict[str, Any]) -> str:
    """The private key's path as sh text (``$h`` is the home)."""
    path = args["ssh_key_file"] or f".ssh/id_{args['ssh_key_type']}"
    return quote(path) if path.startswith("/") else f'"$h"/{quote(path)}'


def _key_probe(args: dict[str, Any]) -> str:
    return (
        f'[ -n "$h" ] || exit {ABSENT_RC}; f={_key_path(args)}; '
        f'[ -f "$f" ] || exit {ABSENT_RC}; printf "%s\\n" "$f"; cat -- "$f.pub"; '
        'ssh-keygen -l -f "$f.pub"'
    )


def _keygen(args: dict[str, Any]) -> str:
    """Create the key pair (and its directory, private to the account) unless it exists."""
    comment = args["ssh_key_comment"]
    text = (
        '"ansible-generated on $(hostname)"' if comment == DEFAULT_KEY_COMMENT else quote(comment)
    )
    bits = f" -b {int(args['ssh_key_bits'])}" if args["ssh_key_bits"] else ""
    return (
        f'{{ h=$(getent passwd "$n" | cut -d: -f6); f={_key_path(args)}; '
        'd=$(dirname -- "$f"); [ -f "$f" ] || { '
        '{ [ -d "$d" ] || { mkdir -p -- "$d" && chown "$n": "$d" && chmod 700 "$d"; }; } && '
        f"ssh-keygen -q -t {quote(args['ssh_key_type'])}{bits} -C {text} "
        f'-N {quote(args["ssh_key_passphrase"] or "")} -f "$f" </dev/null && '
        'chown "$n": "$f" "$f.pub"; }; }'
    )


def _parse_key(found: Section) -> Key | None:
    if found.rc != 0:
        return None
    lines = found.text.splitlines() + ["", "", ""]
    return Key(lines[0], lines[1].strip(), lines[2].strip())


# -- the apply command and the values ----------------------------------------------------------


def _script(args: dict[str, Any], steps: list[str]) -> str:
    """Run ``steps`` in order (stopping at the first failure), then print the account."""
    show = [
        'h=$(getent passwd "$n" | cut -d: -f6)',
        section("passwd", 'getent passwd "$n"'),
        section("groups", 'id -Gn "$n"'),
    ]
    if args["generate_ssh_key"]:
        show.append(section("key", _key_probe(args)))
    return f"n={quote(args['name'])}; {' && '.join(steps)} || exit $?; " + "; ".join(show)


def _values(
    args: dict[str, Any], account: Account | None, created: bool, key: Key | None
) -> dict[str, Any]:
    if account is None:
        raise ModuleError(f"user {args['name']} is missing after the change")
    out: dict[str, Any] = {
        "name": account.name,
        "state": "present",
        "comment": account.comment,
        "group": account.gid,
        "groups": ",".join(account.groups),
        "home": account.home,
        "shell": account.shell,
        "uid": account.uid,
    }
    if created:
        out.update(create_home=args["create_home"], system=args["system"])
    else:
        out.update(append=args["append"], move_home=args["move_home"])
    if args["password"] is not None:
        out["password"] = NOT_LOGGING_PASSWORD
    if args["generate_ssh_key"] and key is not None:
        out.update(
            ssh_fingerprint=key.fingerprint, ssh_key_file=key.path, ssh_public_key=key.public
        )
    return out


def _absent_values(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": args["name"],
        "state": "absent",
        "force": args["force"],
        "remove": args["remove"],
    }


def _outputs(res: CommandResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, text in (("stdout", res.out), ("stderr", res.err)):
        if text:
            out[key] = text
            out[f"{key}_lines"] = text.splitlines()
    return out


def _group_keys(args: dict[str, Any]) -> list[str]:
    """The groups to look up: the primary, the supplementary ones, and the account's own
    name (useradd must not try to create a group that exists)."""
    keys = ([args["group"]] if args["group"] is not None else []) + list(args["groups"] or [])
    if args["group"] is None:
        keys.append(args["name"])
    return list(dict.fromkeys(k for k in keys if k))
