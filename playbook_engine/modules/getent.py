"""getent: read a name service database (passwd, group, hosts …) into facts.

One ``getent`` command; its lines become ``ansible_facts.getent_<database>``, keyed by the
first field, as Ansible shapes them (a key seen on several lines gets a list of lists).
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

_COLON_DATABASES = frozenset({"passwd", "shadow", "group", "gshadow"})
_MISSING_KEY = "One or more supplied key could not be found in the database."
_ERRORS = {
    1: "Missing arguments, or database unknown.",
    3: "Enumeration not supported on this database.",
}


@register("getent")
class Getent(Module):
    """Read a getent database (or one key of it) into ``getent_<database>`` facts."""

    args = {
        "database": Arg(
            "str", required=True, description="The database: passwd, group, hosts, services …"
        ),
        "key": Arg("str", description="The entry to read; the whole database when unset."),
        "split": Arg(
            "str",
            description="Field separator; `:` for passwd, shadow, group and "
            "gshadow, whitespace otherwise.",
        ),
        "fail_key": Arg("bool", default=True, description="Fail when the key is missing."),
        "service": Arg("str", description="Ask only this NSS service (getent -s)."),
    }
    returns = {"ansible_facts": "getent_<database>: {first field: [the other fields]}"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["split"] == "":
            raise ModuleError("Invalid split value. The value must be a non-empty string")
        res = ctx.run(_command(args))
        fact = f"getent_{args['database']}"
        msg = None
        if res.rc == 2 and args["key"] is not None:
            if args["fail_key"]:
                return Result.fail(_MISSING_KEY)
            msg, entries = _MISSING_KEY, {args["key"]: None}
        elif res.rc != 0:
            return Result.fail(
                _ERRORS.get(res.rc, (res.err or res.out).strip() or f"getent failed (rc={res.rc})")
            )
        else:
            entries = parse_entries(res.out, _separator(args))
        if hasattr(ctx, "set_facts"):  # Ansible injects the fact under its own name too
            ctx.set_facts({fact: entries})
        return Result(msg=msg, facts={fact: entries})


def _command(args: dict[str, Any]) -> str:
    words = ["getent"]
    if args["service"]:
        words += ["-s", quote(args["service"])]
    words.append(quote(args["database"]))
    if args["key"] is not None:
        words.append(quote(args["key"]))
    return " ".join(words)


def _separator(args: dict[str, Any]) -> str | None:
    if args["split"] is not None:
        return str(args["split"])
    return ":" if args["database"] in _COLON_DATABASES else None


def parse_entries(output: str, separator: str | None) -> dict[str, Any]:
    """Lines → {first field: rest}; a repeated key collects a list of the rests (pure)."""
    entries: dict[str, Any] = {}
    repeated: set[str] = set()
    for line in output.splitlines():
        if not line.strip():
            continue
        fields = line.split(separator)
        key, rest = fields[0], fields[1:]
        if key not in entries:
            entries[key] = rest
        elif key in repeated:
            entries[key].append(rest)
        else:
            entries[key] = [entries[key], rest]
            repeated.add(key)
    return entries
