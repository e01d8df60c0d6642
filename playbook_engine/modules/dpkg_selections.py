"""dpkg_selections: a package's selection in dpkg (install, hold, deinstall, purge).

One command reads the selection (``dpkg --get-selections``), one sets it
(``dpkg --set-selections``). Like Ansible's, a selection only says what dpkg and apt should
do with the package next: setting it installs or removes nothing.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.state import Change, StateModule

_ENV = "export LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C LANGUAGE=C"


@register("dpkg_selections")
class DpkgSelections(StateModule[str]):
    """Set a package's selection in dpkg (hold it, for one)."""

    args = {
        "name": Arg("str", required=True, description="The package."),
        "selection": Arg(
            "str",
            required=True,
            choices=("install", "hold", "deinstall", "purge"),
            description="The selection to set.",
        ),
    }
    returns = {
        "before": "the selection before (`not present` when dpkg has none)",
        "after": "the selection asked for",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        return f"{_ENV}\ndpkg --get-selections -- {quote(args['name'])}"

    def parse(self, args: dict[str, Any], res: CommandResult) -> str:
        if "no packages found matching" in res.err:
            raise ModuleError(
                f"Failed to find package '{args['name']}' to perform selection "
                f"'{args['selection']}'."
            )
        if res.rc != 0:
            raise ModuleError(res.err.strip() or f"dpkg --get-selections failed (rc={res.rc})")
        words = res.out.split()
        return words[1] if len(words) > 1 else "not present"

    def plan(self, args: dict[str, Any], current: str) -> Change | None:
        if current == args["selection"]:
            return None
        return Change(
            "set",
            None,
            {"before": current, "after": args["selection"]},
            diff={"before": f"{current}\n", "after": f"{args['selection']}\n"},
        )

    def values(self, args: dict[str, Any], current: str) -> dict[str, Any]:
        return {"before": current, "after": args["selection"]}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        line = quote(f"{args['name']} {args['selection']}\n")
        return f"{_ENV}\nprintf '%s' {line} | dpkg --set-selections"

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return res.err.strip() or super().failed(args, change, res)
