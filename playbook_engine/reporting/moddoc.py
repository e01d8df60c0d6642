"""``pbe doc MODULE``: a module's description, arguments and return values, from its spec.

Everything shown comes from what the module declares once (``Arg``s, ``returns``, its
docstring), the same data validation and check mode use, so the page cannot drift.
"""

from __future__ import annotations

import inspect
import json
import textwrap

from ..modules.base import Arg, Module

WIDTH = 79


def render_doc(module: type[Module]) -> str:
    parts = [f"{module.name}: {module.summary()}"]
    if body := _body(module):
        parts.append(body)
    if module.free_form:
        parts.append(f"Free form: `{module.name}: TEXT` is the `{module.free_form}` argument.")
    parts.append(_arguments(module))
    if constraints := _constraints(module):
        parts.append(constraints)
    if module.returns:
        parts.append("Returns:\n" + "\n".join(
            _wrap(f"{key}: {text}", "  ", "      ") for key, text in module.returns.items()))
    check = "supported" if module.supports_check else "not supported (reported as skipped)"
    parts.append(f"Check mode: {check}")
    return "\n\n".join(parts) + "\n"


def _body(module: type[Module]) -> str:
    doc = inspect.cleandoc(module.__doc__ or "")
    rest = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    paragraphs = [" ".join(p.split()) for p in rest.split("\n\n") if p.strip()]
    return "\n\n".join(textwrap.fill(p, WIDTH) for p in paragraphs)


def _arguments(module: type[Module]) -> str:
    if not module.args and not module.open_args:
        return "Arguments: none"
    lines = ["Arguments:"]
    for key, arg in module.args.items():
        lines.append(_wrap(f"{key} ({'; '.join(_flags(arg))})", "  ", "      "))
        if arg.description:
            lines.append(_wrap(arg.description, "      ", "      "))
    if module.open_args:
        lines.append("  any other key=value: a variable of that name, with that value")
    return "\n".join(lines)


def _flags(arg: Arg) -> list[str]:
    kind = f"list of {arg.elements}" if arg.type == "list" and arg.elements else arg.type
    flags = [kind, "required" if arg.required else f"default: {_json(arg.default)}"]
    if arg.choices:
        flags.append("choices: " + ", ".join(map(str, arg.choices)))
    if arg.aliases:
        flags.append("aliases: " + ", ".join(arg.aliases))
    return flags


def _constraints(module: type[Module]) -> str:
    lines = [f"  at most one of: {', '.join(group)}" for group in module.mutually_exclusive]
    lines += [f"  at least one of: {', '.join(group)}" for group in module.required_one_of]
    return "Constraints:\n" + "\n".join(lines) if lines else ""


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False)


def _json(value: object) -> str:
    return json.dumps(value, default=str)
