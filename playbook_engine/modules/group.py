"""group: make a local group exist with a gid, or not (groupadd, groupmod, groupdel)."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..templating.values import Unpredictable
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.state import Change, StateModule


@register("group")
class Group(StateModule[int | None]):
    """Add, change the gid of, or remove a local group."""

    args = {
        "name": Arg("str", required=True, description="The group."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the group exists.",
        ),
        "gid": Arg("int", description="Its group id."),
        "system": Arg("bool", default=False, description="Create it as a system group."),
        "non_unique": Arg("bool", default=False, description="Allow a gid already in use."),
        "local": Arg(
            "bool",
            default=False,
            description="Accepted: groups are always local (groupadd). Not with "
            "`gid_min`/`gid_max`, as in Ansible.",
        ),
        "gid_min": Arg(
            "int",
            description="Lowest gid groupadd may pick for a new group (`-K GID_MIN=`; "
            "overrides login.defs).",
        ),
        "gid_max": Arg(
            "int",
            description="Highest gid groupadd may pick for a new group (`-K GID_MAX=`; "
            "overrides login.defs).",
        ),
        "force": Arg("bool", default=False, description="Accepted for compatibility."),
    }
    returns = {
        "name": "the group",
        "state": "present or absent",
        "gid": "its group id",
        "system": "whether it was created as a system group",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if args["non_unique"] and args["gid"] is None:  # Ansible's spec: required_if
            raise ModuleError("non_unique is True but all of the following are missing: gid")
        if args["local"]:
            for key in ("gid_min", "gid_max"):
                if args.get(key) is not None:
                    raise ModuleError(f"'{key}' can not be used with 'local'")
        return f"getent group {quote(args['name'])}"

    def parse(self, args: dict[str, Any], res: CommandResult) -> int | None:
        """The group's gid; None when there is no such group."""
        fields = res.out.strip().split(":")
        return int(fields[2]) if res.rc == 0 and len(fields) > 2 else None

    def overlay(self, args: dict[str, Any], gid: int | None, ctx: ModuleContext) -> int | None:
        """A group an earlier task of the check run would add or remove. Added without a
        gid, the host picks one: what this task would find is not known."""
        known = (prediction := ctx.files.accounts()) and prediction.group(args["name"])
        if not known:
            return gid
        exists, predicted = known
        if not exists:
            return None
        if predicted is None:
            raise Unpredictable(f"the gid of group {args['name']}, which an earlier task adds")
        return predicted

    def would_leave(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> None:
        prediction = ctx.files.accounts()
        if prediction is None:
            return
        if change.op == "groupdel":
            prediction.group_removed(args["name"])
        else:
            prediction.group_added(args["name"], args["gid"])

    def plan(self, args: dict[str, Any], gid: int | None) -> Change | None:
        new = args["gid"]
        if args["state"] == "absent":
            return None if gid is None else Change("groupdel", "group removed")
        if gid is not None and new in (None, gid):
            return None
        op, msg = ("groupadd", "group added") if gid is None else ("groupmod", "gid changed")
        return Change(op, msg, diff={"before": {"gid": gid}, "after": {"gid": new}})

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        name, gid = quote(args["name"]), args["gid"]
        opts = "" if gid is None else f" -g {int(gid)}" + (" -o" if args["non_unique"] else "")
        system = " -r" if args["system"] and change.op == "groupadd" else ""
        if change.op == "groupadd":
            system += _login_defs(args)
        show = "" if change.op == "groupdel" else f" && getent group {name}"
        return f"{change.op}{system}{opts} {name}{show}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        return self.values(args, self.parse(args, res))

    def values(self, args: dict[str, Any], gid: int | None) -> dict[str, Any]:
        return {"name": args["name"], "state": args["state"], "gid": gid, "system": args["system"]}


def _login_defs(args: dict[str, Any]) -> str:
    """groupadd's ``-K`` overrides of login.defs for gid_min/gid_max."""
    keys = (("gid_min", "GID_MIN"), ("gid_max", "GID_MAX"))
    given = [(name, int(args[key])) for key, name in keys if args.get(key) is not None]
    return "".join(f" -K {name}={value}" for name, value in given)
