"""Source positions, and rendering the offending line with a caret under it."""

from __future__ import annotations

import linecache
from dataclasses import dataclass


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
        """The source line and a caret under the column, or '' if the line can't be read."""
        if not self.line:
            return ""
        text = linecache.getline(self.file, self.line).rstrip("\n")
        if not text.strip():
            return ""
        caret = " " * max(self.col - 1, 0) + "^"
        return f"    {text}\n    {caret}"
