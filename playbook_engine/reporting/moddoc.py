"""``pbe doc MODULE``: a module's description, arguments and return values, from its spec.

Everything shown comes from what the module declares once (``Arg``s, ``returns``, its
docstring), the same data validation and check mode use, so the page cannot drift.
"""

from __future__ import annotations

import inspect
import json
import re
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
        parts.append(
            "Returns:\n"
            + "\n".join(
                _wrap(f"{key}: {text}", "  ", "      ") for key, text in module.returns.items()
            )
        )
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
    if arg.secret:
        flags.append("secret: hidden from all output")
    return flags


def _constraints(module: type[Module]) -> str:
    lines = [
        _wrap(f"at most one of: {', '.join(group)}", "  ", "    ")
        for group in module.mutually_exclusive
    ]
    lines += [
        _wrap(f"at least one of: {', '.join(group)}", "  ", "    ")
        for group in module.required_one_of
    ]
    return "Constraints:\n" + "\n".join(lines) if lines else ""


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(
        text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


def _json(value: object) -> str:
    return json.dumps(value, default=str)


# -- the Arguments table of docs/modules/NAME.md ----------------------------------------------
# Its rows (which arguments, their types, defaults, choices, aliases) are generated from the
# spec; a row's prose may be written by hand and is kept. `python -m
# playbook_engine.reporting.moddoc docs/modules` rewrites the pages; a test fails on drift.

TABLE_HEAD = (
    "| Argument | Type | Default | Description |\n|----------|------|---------|-------------|"
)
_GENERATED = re.compile(
    r"(?: Choices: (?:(?! Choices: | Aliases: ).)*\.)?"
    r"(?: Aliases: (?:(?! Aliases: ).)*\.)?"
    r"(?: A secret: hidden from all output\.)?$"
)
_ROW = re.compile(r"^\| `([^`]+)` \|[^|]*\|[^|]*\|(.*)\|\s*$")


def markdown_table(module: type[Module], prose: dict[str, str]) -> str:
    """The Arguments table; ``prose`` is the hand-written description of each argument."""
    rows = [TABLE_HEAD]
    for key, arg in module.args.items():
        kind = f"list of {arg.elements}" if arg.type == "list" and arg.elements else arg.type
        default = (
            "required"
            if arg.required
            else ("" if arg.default is None else f"`{_json(arg.default).strip(chr(34))}`")
        )
        text = (prose.get(key) or arg.description or "").strip()
        if arg.choices:
            text += " Choices: " + ", ".join(f"`{_choice(c)}`" for c in arg.choices) + "."
        if arg.aliases:
            text += " Aliases: " + ", ".join(f"`{a}`" for a in arg.aliases) + "."
        if arg.secret:
            text += " A secret: hidden from all output."
        cell = text.replace("|", "\\|").strip()
        rows.append(f"| `{key}` | {kind} | {default} | {cell} |")
    return "\n".join(rows)


def _choice(value: object) -> str:
    return value if isinstance(value, str) and value.isprintable() else _json(value)


def sync_page(text: str, module: type[Module]) -> str:
    """``text`` with its Arguments table regenerated (a missing one is added)."""
    head, sep, rest = text.partition("\n## Arguments\n")
    if not module.args:  # nothing to tabulate: the page says so in its own words
        return text if sep else text.rstrip("\n") + "\n\n## Arguments\n\nNone.\n"
    if not sep:
        return text.rstrip("\n") + "\n\n## Arguments\n\n" + markdown_table(module, {}) + "\n"
    lines = rest.split("\n")
    section = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    start = next((i for i, line in enumerate(lines[:section]) if line.startswith("|")), None)
    if start is None:  # prose only (or none): the table goes first, the prose stays
        return head + sep + "\n" + markdown_table(module, {}) + "\n" + rest
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    prose = {}
    for line in lines[start:end]:
        if match := _ROW.match(line):
            prose[match.group(1)] = _GENERATED.sub("", match.group(2).strip().replace("\\|", "|"))
    table = markdown_table(module, prose).split("\n")
    return head + sep + "\n".join(lines[:start] + table + lines[end:])


def main(argv: list[str]) -> int:
    """Rewrite the Arguments tables of the pages in a docs/modules directory."""
    from pathlib import Path

    from ..modules import REGISTRY

    folder = Path(argv[0] if argv else "docs/modules")
    for name, module in sorted(REGISTRY.items()):
        page = folder / f"{name}.md"
        if page.exists() and (new := sync_page(page.read_text(), module)) != page.read_text():
            page.write_text(new)
            print(f"updated {page}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
