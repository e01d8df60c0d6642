"""Streaming JSON for the run documents: ``json.dump``'s output, without its peak memory.

``json.dump`` builds each string's escaped copy whole and cannot take a ``Lines`` without
a list of every line. This writer sends text out in slices and ``Lines`` a block of lines
at a time, so writing a result costs little beyond the result itself. Its output is
exactly ``json.dump(value, indent=indent, ensure_ascii=False, default=str)``'s (``indent``
None: the one-line form with ``", "`` and ``": "``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring
from typing import Any

from ..templating.lines import Lines

_SLICE = 1 << 20  # characters of one string escaped at a time

Write = Callable[[str], object]


def dump(value: Any, write: Write, indent: int | None = None) -> None:
    """Write ``value`` as JSON through ``write`` (e.g. a text file's ``write``)."""
    _Writer(write, indent).value(value, 0)


class _Writer:
    def __init__(self, write: Write, indent: int | None) -> None:
        self.write = write
        self.indent = indent

    def value(self, value: Any, level: int) -> None:
        if isinstance(value, str):
            self.string(value)
        elif isinstance(value, Mapping):
            self.mapping(value, level)
        elif isinstance(value, (list, tuple, Lines)):
            self.array(value, level)
        elif value is None or isinstance(value, (bool, int, float)):
            self.write(json.dumps(value))
        else:
            self.string(str(value))

    def string(self, text: str) -> None:
        if len(text) <= _SLICE:
            self.write(encode_basestring(text))
            return
        self.write('"')
        for start in range(0, len(text), _SLICE):
            self.write(encode_basestring(text[start : start + _SLICE])[1:-1])
        self.write('"')

    def mapping(self, value: Mapping[Any, Any], level: int) -> None:
        if not value:
            self.write("{}")
            return
        inner, sep, close = self._layout(level)
        self.write("{")
        for n, (key, item) in enumerate(value.items()):
            self.write((sep if n else "") + inner + encode_basestring(_key(key)) + ": ")
            self.value(item, level + 1)
        self.write(close + "}")

    def array(self, value: list[Any] | tuple[Any, ...] | Lines, level: int) -> None:
        if not value:
            self.write("[]")
            return
        inner, sep, close = self._layout(level)
        self.write("[")
        if isinstance(value, Lines):  # a block of lines escaped and joined at once
            blocks = (block for block in value.blocks() if block)
            for n, block in enumerate(blocks):
                self.write(
                    (sep if n else "") + inner + (sep + inner).join(map(encode_basestring, block))
                )
        else:
            for n, item in enumerate(value):
                self.write((sep if n else "") + inner)
                self.value(item, level + 1)
        self.write(close + "]")

    def _layout(self, level: int) -> tuple[str, str, str]:
        """What goes before each item, between items, and before the closing bracket."""
        if self.indent is None:
            return "", ", ", ""
        outer = "\n" + " " * (self.indent * level)
        return outer + " " * self.indent, ",", outer


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    return str(key)
