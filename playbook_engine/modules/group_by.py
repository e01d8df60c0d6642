"""group_by: put each host in a group named from its variables (``os_{{ ansible_distribution }}``).

Runs per host; the engine applies the ``add_group`` the result describes, as Ansible's
strategy does, so later plays can target the group. ``changed`` is true when the host
joined the group.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result


@register("group_by")
class GroupBy(Module):
    """Put the host in a group (created when missing) named by `key`."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "key": Arg("str", required=True, description="The group's name (spaces become -)."),
        "parents": Arg(
            "list", elements="str", default=["all"], description="Groups the new group goes under."
        ),
    }
    needs_connection = False
    changes_inventory = True
    returns = {"add_group": "the group's name", "parent_groups": "its parent groups"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        group = str(args["key"]).strip().replace(" ", "-")
        if not group:
            raise ModuleError("group_by needs a non-empty `key`")
        parents = [str(p).strip().replace(" ", "-") for p in args["parents"] if str(p).strip()]
        return Result(values={"add_group": group, "parent_groups": parents or ["all"]})
