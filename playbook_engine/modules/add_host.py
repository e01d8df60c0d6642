"""add_host: add a host (or groups and variables for a known one) to the run's inventory.

The module only describes the change (``add_host`` in its result, as Ansible's does); the
engine applies it, so later plays and ``hostvars``/``groups`` see the host. It runs once
per batch, on the first host; loop it to add several. ``changed`` is true when the
inventory changed.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result


@register("add_host")
class AddHost(Module):
    """Add a host, its groups and variables to the inventory of the run."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "name": Arg(
            "str",
            required=True,
            aliases=("host", "hostname"),
            description="The host's name; `name:port` sets its SSH port.",
        ),
        "groups": Arg(
            "list",
            elements="str",
            default=[],
            aliases=("group", "groupname"),
            description="Groups to put it in (created when missing).",
        ),
    }
    open_args = True  # any other key=value is a variable of the host
    needs_connection = False
    changes_inventory = True
    bypass_host_loop = True
    returns = {"add_host": "`host_name`, `groups` and `host_vars` of the change"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        name, port = _split_port(str(args["name"]).strip())
        if not name:
            raise ModuleError("add_host needs a host name")
        host_vars = {k: v for k, v in args.items() if k not in self.args}
        if port is not None:
            host_vars["ansible_ssh_port"] = port
        groups = [str(g).strip() for g in args["groups"] if str(g).strip()]
        return Result(
            values={"add_host": {"host_name": name, "groups": groups, "host_vars": host_vars}}
        )


def _split_port(name: str) -> tuple[str, int | None]:
    """``web1:2222`` → ("web1", 2222); an IPv6 address (several colons) or ``[addr]:port``
    is kept whole unless it ends in a bracketed port form."""
    if name.startswith("[") and "]:" in name:
        address, _, port = name[1:].partition("]:")
        return (address, int(port)) if port.isdigit() else (name, None)
    head, sep, port = name.rpartition(":")
    if sep and head and ":" not in head and port.isdigit():
        return head, int(port)
    return name, None
