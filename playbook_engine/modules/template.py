"""template: render a Jinja2 file on the controller with the host's variables, then write it
exactly as ``copy`` writes content (the same ``install``: sha1 compare, atomic write,
attributes, backup, diff and check-run prediction)."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jinja2

from ..errors import ModuleError, TemplateError
from ..templating.lines import with_trailing_newlines
from ..templating.templar import template_files, template_vars
from . import register
from .base import Arg, Module, ModuleContext
from .copy import FILE_ARGS, FILE_RETURNS
from .result import Result
from .util.filewriter import Payload, WriteOptions, install, resolve_dest
from .util.modes import format_mode

# YAML '\r\n' (single-quoted) is the four characters; Ansible accepts both spellings.
_SEQUENCES = {"\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n"}
_ESCAPED = {"\n": "\\n", "\r": "\\r", "\r\n": "\\r\\n"}
_HEADER = "#jinja2:"
DELIMITERS = {
    "block_start_string": "{%",
    "block_end_string": "%}",
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
}
SYNTAX = (*DELIMITERS, "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline")
_HEADER_OPTIONS = (*SYNTAX, "line_statement_prefix", "line_comment_prefix")
_OPENING = re.compile(r"\{(?=[{%#])")  # text that the run's Jinja would read as a tag
_SKIPPED = frozenset(
    {"comment_begin", "comment", "comment_end", "raw_begin", "raw_end"}
    | {"linecomment_begin", "linecomment", "linecomment_end"}
)
_STANDARD = {
    "block_begin": "{%",
    "block_end": "%}",
    "variable_begin": "{{",
    "variable_end": "}}",
    "linestatement_begin": "{%",
    "linestatement_end": "%}",
}


def header_overrides(source: str) -> tuple[str, dict[str, Any]]:
    """A first line ``#jinja2: key: value, ...`` sets Jinja options for this template
    (winning over the task's), as in Ansible; the line itself is not output."""
    if not source.startswith(_HEADER):
        return source, {}
    line, _, rest = source.partition("\n")
    options: dict[str, Any] = {}
    for pair in line[len(_HEADER) :].split(","):
        key, sep, value = pair.partition(":")
        key = key.strip()
        if not sep:
            raise ModuleError(
                f"Missing key-value separator in the #jinja2: header {line!r}: "
                f"{pair.strip()!r} (write `key: value`)"
            )
        if key not in _HEADER_OPTIONS:
            raise ModuleError(
                f"cannot read the #jinja2: header {line!r}: {key!r} "
                f"is not one of {', '.join(_HEADER_OPTIONS)}"
            )
        try:
            options[key] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ModuleError(
                f"cannot read the #jinja2: header {line!r}: the value of "
                f"{key} is not a Python literal"
            ) from None
    return rest, options


def translate(source: str, syntax: dict[str, Any]) -> str:
    """The template in the run's own Jinja syntax, rendering exactly what Jinja configured
    with ``syntax`` would (delimiters, trim_blocks, lstrip_blocks, newline_sequence, a
    header's line statement and comment prefixes): the
    run shares one environment, so the template is lexed here with the options and written
    back with the standard tags, whitespace control already applied, comments dropped and
    literal text that looks like a tag escaped."""
    lexer = jinja2.Environment(
        **{k: syntax[k] for k in DELIMITERS},
        newline_sequence="\n",
        trim_blocks=bool(syntax["trim_blocks"]),
        lstrip_blocks=bool(syntax["lstrip_blocks"]),
        keep_trailing_newline=bool(syntax["keep_trailing_newline"]),
        line_statement_prefix=syntax.get("line_statement_prefix"),
        line_comment_prefix=syntax.get("line_comment_prefix"),
    )
    newline = syntax["newline_sequence"]
    out = []
    for _, kind, value in lexer.lex(source):
        if kind in _SKIPPED:
            continue
        if kind == "data":
            value = _OPENING.sub("{{ '{' }}", value)
            if newline != "\n":
                value = value.replace("\n", "{{ '" + _ESCAPED[newline] + "' }}")
        elif kind == "string" and newline != "\n":
            value = value.replace("\n", _ESCAPED[newline])
        out.append(_STANDARD.get(kind, value))
    return "".join(out)


@register("template")
class Template(Module):
    """Render a Jinja2 template (from templates/) with the host's variables onto the host."""

    predicts_files = True
    supports_async = False  # Ansible's action refuses async too

    local_paths = frozenset({"src"})
    args = {
        "src": Arg(
            "path",
            required=True,
            description="Jinja2 template on the controller, searched in templates/.",
        ),
        **FILE_ARGS,
        "newline_sequence": Arg(
            "str",
            default="\n",
            choices=(*_SEQUENCES.values(), *_SEQUENCES),
            description="Line ending of the template's own text: '\\n', "
            "'\\r\\n' or '\\r' (escaped or not); line breaks "
            "inside variable values are kept as they are.",
        ),
        "trim_blocks": Arg(
            "bool",
            default=True,
            description="Remove the first newline after a block or comment tag.",
        ),
        "lstrip_blocks": Arg(
            "bool",
            default=False,
            description="Strip spaces and tabs before a block or comment tag that starts a line.",
        ),
        "block_start_string": Arg("str", default="{%", description="The tag opening a block."),
        "block_end_string": Arg("str", default="%}", description="The tag closing a block."),
        "variable_start_string": Arg(
            "str", default="{{", description="The tag opening an expression."
        ),
        "variable_end_string": Arg(
            "str", default="}}", description="The tag closing an expression."
        ),
        "comment_start_string": Arg("str", description="The tag opening a comment (default `{#`)."),
        "comment_end_string": Arg("str", description="The tag closing a comment (default `#}`)."),
        "output_encoding": Arg(
            "str",
            default="utf-8",
            description="Encoding of the written file (the template itself is read as UTF-8).",
        ),
    }
    returns = FILE_RETURNS

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.of(self.change(args, ctx))

    @staticmethod
    def syntax(source: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The template's Jinja options: the task's, then its ``#jinja2:`` header's."""
        source, header = header_overrides(source)
        syntax = {key: args.get(key) for key in SYNTAX}
        syntax.update((k, v) for k, v in header.items() if v is not None)
        for key, default in DELIMITERS.items():
            syntax[key] = syntax[key] or default
        sequence = syntax["newline_sequence"] or "\n"
        syntax["newline_sequence"] = _SEQUENCES.get(sequence, sequence)
        if syntax["newline_sequence"] not in _ESCAPED:
            raise ModuleError(f"newline_sequence {sequence!r} is not one of \\n, \\r, \\r\\n")
        return source, syntax

    def change(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        """The result in Ansible's registered shape, built by the shared file helpers."""
        path = ctx.find_file("templates", args["src"])
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModuleError(f"cannot read template {path}: {exc}") from None

        def beside(name: str) -> Path:  # Ansible searches the file's own directory first
            local = path.parent / name
            return local if local.is_file() else ctx.find_file("templates", name)

        try:
            body, syntax = self.syntax(source, args)
            with template_files(beside):
                extra = template_vars(path, str(args.get("dest")))
                rendered = ctx.render_text(translate(body, syntax), extra)
            text = with_trailing_newlines(rendered, source, syntax["newline_sequence"])
        except jinja2.TemplateSyntaxError as exc:
            raise ModuleError(
                f"template syntax error: {exc.message} (line {exc.lineno}) in "
                f"template {args['src']} ({path})"
            ) from None
        except TemplateError as exc:
            raise ModuleError(f"{exc.message} in template {args['src']} ({path})") from None
        try:
            data = text.encode(args["output_encoding"] or "utf-8")  # "": the default
        except (LookupError, UnicodeEncodeError) as exc:
            raise ModuleError(f"cannot encode {args['src']}: {exc}") from None
        opts = replace(WriteOptions.from_args(args), attributes=args.get("attributes"))
        payload = Payload.of_bytes(data, label=str(path), mode=format_mode(path.stat().st_mode))
        result = install(ctx, payload, *resolve_dest(ctx, args["dest"], path.name, opts), opts)
        return {**result, "src": args["src"]}
