"""acl: a POSIX ACL entry on a path, present or absent, or the path's ACL read back.

Whether the entry must change is what ``setfacl --test`` says (it prints ``*`` for an ACL
it would leave as is, as ansible.posix.acl reads it), so masks and default ACLs are judged
by the tool itself. One probe runs that test and ``getfacl``; one command runs ``setfacl``
and ``getfacl`` again for the ``acl`` return value.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import need, section, sections
from .util.state import Change, StateModule

_NO_PATH, _AFTER = 93, "::pbe:after"
_TYPES = (("u", "user"), ("g", "group"), ("m", "mask"), ("o", "other"))


@register("acl", "ansible.posix.acl")
class Acl(StateModule[tuple[bool, list[str]]]):
    """Set or remove a POSIX ACL entry (setfacl), or read a path's ACL (getfacl)."""

    args = {
        "path": Arg("path", required=True, aliases=("name",), description="The file or directory."),
        "entry": Arg("str", description="Deprecated: `[d[efault]:]etype:qualifier[:perms]`."),
        "entity": Arg("str", default="", description="The user or group of the entry."),
        "etype": Arg(
            "str", choices=("group", "mask", "other", "user"), description="The entry's type."
        ),
        "permissions": Arg("str", description="r, w, x, X in any combination (or 0)."),
        "state": Arg(
            "str",
            default="query",
            choices=("absent", "present", "query"),
            description="present/absent: the entry; query: only read the ACL.",
        ),
        "follow": Arg("bool", default=True, description="Follow a symlink at path."),
        "default": Arg("bool", default=False, description="The directory's default ACL."),
        "recursive": Arg(
            "bool",
            default=False,
            aliases=("recurse",),
            description="Apply to everything below path too.",
        ),
        "recalculate_mask": Arg(
            "str",
            default="default",
            choices=("default", "mask", "no_mask"),
            description="Recalculate the mask (setfacl --mask/--no-mask).",
        ),
        "use_nfsv4_acls": Arg(
            "bool", default=False, description="NFSv4 ACLs: not supported by pbe (fails)."
        ),
    }
    returns = {
        "acl": "the path's ACL entries after the task (getfacl, one per item)",
        "msg": "`ENTRY is present`, `ENTRY is absent` or `current acl`",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        spec = entry_spec(args)
        path = (
            f'p={quote(args["path"])}; [ -e "$p" ] || {{ echo \'Path not found or not '
            f"accessible.'; exit {_NO_PATH}; }}"
        )
        test = "" if spec is None else "; " + section("test", setfacl(args, spec, "--test "))
        return f"{path}{test}; {section('acl', getfacl(args))}"

    def parse(self, args: dict[str, Any], res: CommandResult) -> tuple[bool, list[str]]:
        if res.rc == _NO_PATH:
            raise ModuleError(res.out.strip())
        found = sections(res.out)
        changed = False
        if "test" in found:
            test = found["test"]
            if test.rc != 0:
                raise ModuleError(test.text.strip())
            changed = any(not line.endswith("*,*") for line in acl_lines(test.text))
        listing = need(found, "acl", res)
        if listing.rc != 0:
            raise ModuleError(listing.text.strip())
        return changed, acl_lines(listing.text)

    def plan(self, args: dict[str, Any], state: tuple[bool, list[str]]) -> Change | None:
        changed, acl = state
        if not changed:
            return None
        spec = entry_spec(args)
        assert spec is not None
        return Change(args["state"], _message(args), values={"acl": acl})

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        spec = entry_spec(args)
        assert spec is not None
        then = " &&" if change.op == "present" else ";"  # Ansible ignores -x's failure
        return (
            f"p={quote(args['path'])}; {setfacl(args, spec)}{then} {{ echo {_AFTER}; "
            f"{getfacl(args)}; }}"
        )

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return (res.err or res.out).strip() or f"setfacl failed (rc={res.rc})"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        return {"acl": acl_lines(res.out.partition(f"{_AFTER}\n")[2])}

    def values(self, args: dict[str, Any], state: tuple[bool, list[str]]) -> dict[str, Any]:
        return {"msg": _message(args), "acl": state[1]}


def entry_spec(args: dict[str, Any]) -> tuple[bool, str] | None:
    """(default ACL, setfacl entry) for present/absent, None for query; the argument
    checks Ansible's module makes, with its messages."""
    state, entry = args["state"], args["entry"]
    if args["use_nfsv4_acls"]:
        raise ModuleError("use_nfsv4_acls is not supported by pbe")
    if state == "query":
        if args["recursive"]:
            raise ModuleError("'recursive' MUST NOT be set when 'state=query'.")
        if args["recalculate_mask"] in ("mask", "no_mask"):
            raise ModuleError(
                "'recalculate_mask' MUST NOT be set to 'mask' or 'no_mask' when 'state=query'."
            )
    if not entry:
        return _fields(args)
    if args["etype"] or args["entity"] or args["permissions"]:
        raise ModuleError(
            "'entry' MUST NOT be set when 'entity', 'etype' or 'permissions' are set."
        )
    sections_ok = {"present": (2, 3), "absent": (1, 2)}
    if state in sections_ok and entry.count(":") not in sections_ok[state]:
        parts = "3 or 4" if state == "present" else "2 or 3"
        raise ModuleError(
            f"'entry' MUST have {parts} sections divided by ':' when 'state={state}'."
        )
    if state == "query":
        raise ModuleError("'entry' MUST NOT be set when 'state=query'.")
    return split_entry(args, entry)


def _fields(args: dict[str, Any]) -> tuple[bool, str] | None:
    state, etype, entity, perms = (
        args["state"],
        args["etype"],
        args["entity"] or "",
        args["permissions"],
    )
    if state == "absent" and perms:
        raise ModuleError("'permissions' MUST NOT be set when 'state=absent'.")
    if state == "absent" and not entity:
        raise ModuleError("'entity' MUST be set when 'state=absent'.")
    if state in ("present", "absent") and not etype:
        raise ModuleError(f"'etype' MUST be set when 'state={state}'.")
    if state == "query":
        return None
    return args["default"], _entry(etype, entity, perms if state == "present" else None)


def split_entry(args: dict[str, Any], entry: str) -> tuple[bool, str]:
    """The deprecated ``entry`` as (default, normalized entry), read as Ansible reads it."""
    parts = entry.split(":")
    default = args["default"]
    if entry.lower().startswith("d"):
        default = True
        parts.pop(0)
    if len(parts) == 2:
        parts.append("")
    kind = next((full for short, full in _TYPES if parts[0].lower().startswith(short)), "")
    perms = parts[2] if args["state"] == "present" else None
    return default, _entry(kind, parts[1], perms)


def _entry(etype: str, entity: str, perms: str | None) -> str:
    return f"{etype}:{entity}:{perms}" if perms else f"{etype}:{entity}"


def setfacl(args: dict[str, Any], spec: tuple[bool, str], test: str = "") -> str:
    default, entry = spec
    op = "-m" if args["state"] == "present" else "-x"
    return (
        f"LC_ALL=C setfacl {test}{'-d ' if default else ''}{op} {quote(entry)}"
        f'{_options(args, set_mode=True)} "$p" 2>&1'
    )


def getfacl(args: dict[str, Any]) -> str:
    default = "-d " if args["default"] else ""
    return (
        f"LC_ALL=C getfacl {default}--absolute-names --omit-header"
        f'{_options(args, set_mode=False)} "$p" 2>&1'
    )


def _options(args: dict[str, Any], set_mode: bool) -> str:
    opts = " --recursive" if args["recursive"] else ""
    if set_mode and args["recalculate_mask"] != "default":
        opts += " --mask" if args["recalculate_mask"] == "mask" else " --no-mask"
    return opts + ("" if args["follow"] else " --physical")


def acl_lines(text: str) -> list[str]:
    """getfacl/setfacl output as Ansible returns it: comments dropped, lines stripped, a
    last empty line dropped."""
    lines = [line.strip() for line in text.splitlines() if not line.startswith("#")]
    return lines[:-1] if lines and not lines[-1] else lines


def _message(args: dict[str, Any]) -> str:
    spec = entry_spec(args)
    if spec is None:
        return "current acl"
    return f"{spec[1]} is {args['state']}"
