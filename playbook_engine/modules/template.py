"""template: render a Jinja2 file on the controller with the host's variables, then write it
exactly as ``copy`` writes content (the same ``install``: sha1 compare, atomic write,
attributes, backup, diff and check-run prediction)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ModuleError, TemplateError
from . import register
from .base import Arg, Module, ModuleContext
from .copy import FILE_ARGS, FILE_RETURNS
from .result import Result
from .util.filewriter import Payload, WriteOptions, install, resolve_dest
from .util.modes import format_mode

# YAML '\r\n' (single-quoted) is the four characters; Ansible accepts both spellings.
_SEQUENCES = {"\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n"}
_NEWLINES = re.compile(r"\r\n|\r|\n")
_BLOCK_END_NEWLINE = re.compile(r"(?<![+-])([%#]})\n")
_LINE_INDENT_BEFORE_BLOCK = re.compile(r"^[ \t]+(?=\{[%#](?!\+))", re.MULTILINE)


def apply_whitespace_options(source: str, trim_blocks: bool, lstrip_blocks: bool) -> str:
    """Jinja's ``trim_blocks``/``lstrip_blocks`` as a source rewrite, because the run's one
    template environment has both off: drop the newline right after a ``%}``/``#}`` tag
    (not ``+%}``), and the spaces and tabs between a line's start and a ``{%``/``{#`` tag
    (not ``{%+``). Newlines are made ``\\n`` first, as Jinja's lexer does."""
    source = _NEWLINES.sub("\n", source)
    if lstrip_blocks:
        source = _LINE_INDENT_BEFORE_BLOCK.sub("", source)
    if trim_blocks:
        source = _BLOCK_END_NEWLINE.sub(r"\1", source)
    return source


def with_newlines(text: str, sequence: str) -> str:
    """Jinja writes ``\\n``; a template asking for ``\\r\\n`` or ``\\r`` gets those throughout."""
    return text if sequence == "\n" else _NEWLINES.sub(sequence, text)


@register("template")
class Template(Module):
    """Render a Jinja2 template (from templates/) with the host's variables onto the host."""

    args = {
        "src": Arg("path", required=True,
                   description="Jinja2 template on the controller, searched in templates/."),
        **FILE_ARGS,
        "newline_sequence": Arg("str", default="\n",
                                choices=(*_SEQUENCES.values(), *_SEQUENCES),
                                description="Line ending of the written file: '\\n', "
                                            "'\\r\\n' or '\\r' (escaped or not)."),
        "trim_blocks": Arg("bool", default=True,
                           description="Remove the first newline after a block tag."),
        "lstrip_blocks": Arg("bool", default=False,
                             description="Strip spaces and tabs before a block tag on its line."),
        "output_encoding": Arg("str", default="utf-8",
                               description="Encoding of the written file."),
    }
    returns = FILE_RETURNS

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.of(self.change(args, ctx))

    def change(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        """The result in Ansible's registered shape, built by the shared file helpers."""
        path = ctx.find_file("templates", args["src"])
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModuleError(f"cannot read template {path}: {exc}") from None
        source = apply_whitespace_options(source, args["trim_blocks"], args["lstrip_blocks"])
        try:
            text = ctx.render_text(source)
        except TemplateError as exc:
            raise ModuleError(f"{exc.message} in template {args['src']} ({path})") from None
        try:
            sequence = _SEQUENCES.get(args["newline_sequence"], args["newline_sequence"])
            data = with_newlines(text, sequence).encode(args["output_encoding"])
        except (LookupError, UnicodeEncodeError) as exc:
            raise ModuleError(f"cannot encode {args['src']}: {exc}") from None
        opts = WriteOptions.from_args(args)
        payload = Payload.of_bytes(data, label=str(path), mode=format_mode(path.stat().st_mode))
        result = install(ctx, payload, *resolve_dest(ctx, args["dest"], path.name, opts), opts)
        return {**result, "src": args["src"]}
