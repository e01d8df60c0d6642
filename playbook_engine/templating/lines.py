"""``Lines``: a command's output lines (``stdout_lines``) as a compact, read-only sequence.

A list of millions of short ``str`` objects costs about 60 bytes a line on top of the text
(20 MB of short lines took over a gigabyte). ``Lines`` keeps the one text it was made from
and splits it on demand: iteration slices it a block at a time, while ``len``, indexing
and slicing use a table of line starts (4 bytes a line) built on first use. It behaves
like a list of ``str`` where results are used: templates (``length``, ``[0]``, ``in``,
loops, filters), ``==`` with a list, ``+``, ``str()``, and the JSON writers stream it.
Lines are split exactly as ``str.splitlines()`` does. They are host data: plain ``str``,
never trusted template text (see ``values``).

Also here: how many trailing newlines a rendered template file keeps (Ansible's rule, for
the template module and lookup alike).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, overload

_BLOCK = 1 << 20  # characters split at a time
# Every line boundary str.splitlines() knows; "\r\n" counts as one.
_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def blocks_of(text: str, size: int = _BLOCK) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters, each ending right after a "\\n"
    (or at the end): no line, and no "\\r\\n" pair, is ever cut in two."""
    pos, end = 0, len(text)
    while pos < end:
        cut = text.find("\n", pos + size)
        stop = end if cut < 0 else cut + 1
        yield text[pos:stop]
        pos = stop


def json_default(value: Any) -> Any:
    """A ``default=`` for ``json.dumps``: a ``Lines`` is written as the list it stands for."""
    if isinstance(value, Lines):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class Lines(Sequence[str]):
    """The lines of ``text``, like ``text.splitlines()`` but without a str per line."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str = "") -> None:
        self._text = text
        self._starts: array[int] | None = None

    @property
    def text(self) -> str:
        return self._text

    def blocks(self) -> Iterator[list[str]]:
        """The lines a block at a time, as plain strings (for writers)."""
        for block in blocks_of(self._text):
            yield block.splitlines()

    def __iter__(self) -> Iterator[str]:
        for block in self.blocks():
            yield from block

    def __len__(self) -> int:
        return len(self._index()) - 1

    def __bool__(self) -> bool:
        return bool(self._text)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._line(i) for i in range(*index.indices(len(self)))]
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError("list index out of range")
        return self._line(index)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str) or value not in self._text:
            return False
        return any(line == value for block in self.blocks() for line in block)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lines) and other._text == self._text:
            return True
        if not isinstance(other, (Lines, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def __add__(self, other: Any) -> list[Any]:
        if not isinstance(other, (Lines, list)):
            return NotImplemented
        return [*self, *other]

    def __radd__(self, other: Any) -> list[Any]:
        if not isinstance(other, list):
            return NotImplemented
        return [*other, *self]

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(line) for block in self.blocks() for line in block) + "]"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[Lines], tuple[str]]:
        return Lines, (self._text,)

    def _line(self, index: int) -> str:
        starts, text = self._index(), self._text
        start, end = starts[index], starts[index + 1]
        if text.startswith("\r\n", end - 2, end) and end - 2 >= start:
            end -= 2
        elif end > start and text[end - 1] in _BREAKS:
            end -= 1
        return text[start:end]

    def _index(self) -> array[int]:
        """Where each line starts, plus the text's length: built once, from C-speed splits."""
        if self._starts is None:
            text = self._text
            starts: array[int] = array("I" if len(text) < 1 << 32 else "Q")
            base = 0
            for block in blocks_of(text):
                starts.extend(accumulate(map(len, block.splitlines(True)), initial=base))
                base = starts.pop()
            starts.append(len(text))
            self._starts = starts
        return self._starts


def trailing_newlines(text: str) -> int:
    """How many ``\\n`` end ``text`` (the first character never counts, as in Ansible)."""
    return min(len(text) - len(text.rstrip("\n")), max(len(text) - 1, 0))


def with_trailing_newlines(text: str, source: str, newline: str) -> str:
    """Ansible renders without Jinja's trailing newline and then gives the output as many
    trailing newlines as the template source has, if it has fewer."""
    missing = trailing_newlines(source) - trailing_newlines(text)
    return text + newline * missing if missing > 0 else text
