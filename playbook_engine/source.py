"""Source positions, and rendering the offending line with a caret under it."""

from __future__ import annotations

import linecache
from dataclasses import dataclass

from .masking import mask_source_line


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A 1-based line and column in a file; ``line == 0`` means 'the whole file'."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"

    def snippet(self) -> str:
        """The source line and a caret under the column, or '' if the line can't be read.
        Values of password variables in it are masked (see ``masking``)."""
        if not self.line:
            return ""
        lines = linecache.getlines(self.file)
        if not 0 < self.line <= len(lines) or not lines[self.line - 1].strip():
            return ""
        text, col = mask_source_line(lines, self.line - 1, self.col)  # never a password
        caret = " " * max(col - 1, 0) + "^"
        return f"    {text}\n    {caret}"
