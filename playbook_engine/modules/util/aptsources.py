"""apt's one-line sources files (``sources.list``, ``sources.list.d/*.list``), read and
rewritten the way Ansible's apt_repository does, and the sh that reads and writes them.

A file is a list of ``SourceLine``s. A line is *valid* when its first word is ``deb`` or
``deb-src``, *enabled* unless commented out; its text is normalised (single spaces) and a
trailing ``# comment`` kept apart. Two repositories are the same when their normalised texts
are. A changed file is written in its normalised form, atomically; an emptied one removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...transport.shell import quote
from .debian import MARK

__all__ = [
    "SOURCE_TYPES",
    "SourceLine",
    "SourcesFile",
    "parse_line",
    "parse_probe",
    "read_probe",
    "suggest_filename",
    "write_command",
]

SOURCE_TYPES = frozenset({"deb", "deb-src"})

# Where apt reads sources (honouring APT_CONFIG), and every one-line sources file there.
_READ = r"""eval "$(apt-config shell _L Dir::Etc::sourcelist/f _D Dir::Etc::sourceparts/d)"
echo '@pbe@ main'; printf '%s\n' "${_L:-/etc/apt/sources.list}"
echo '@pbe@ dir'; printf '%s\n' "${_D:-/etc/apt/sources.list.d/}"
for _f in "${_L:-/etc/apt/sources.list}" "${_D:-/etc/apt/sources.list.d/}"*.list; do
  [ -f "$_f" ] || continue
  printf '@pbe@ file %s\n' "$_f"
  if [ -L "$_f" ]; then printf '@pbe@ link %s\n' "$(readlink -f -- "$_f")"; fi
  printf '@pbe@ mode %s\n' "$(stat -c %a -- "$_f")"
  awk 1 "$_f" || exit 3
done"""


@dataclass(frozen=True, slots=True)
class SourceLine:
    valid: bool
    enabled: bool
    source: str
    comment: str = ""

    def render(self) -> str:
        text = ("" if self.enabled else "# ") + self.source
        return text + (f" # {self.comment}" if self.comment else "") + "\n"


def parse_line(line: str) -> SourceLine:
    """One line as Ansible's apt_repository reads it."""
    text = line.strip()
    enabled = not text.startswith("#")
    if not enabled:
        text = text[1:]
    comment = ""
    if (cut := text.find("#")) > 0:
        text, comment = text[:cut], text[cut + 1 :].strip()
    chunks = text.split()
    valid = bool(chunks) and chunks[0] in SOURCE_TYPES
    return SourceLine(valid, enabled, " ".join(chunks) if valid else text.strip(), comment)


@dataclass
class SourcesFile:
    """One sources file: its lines, the path written to (a symlink's target), its mode."""

    path: str
    lines: list[SourceLine]
    target: str = ""
    mode: str = ""

    def dump(self) -> str:
        return "".join(line.render() for line in self.lines)

    def enable(self, source: str) -> bool:
        """Enable every line of ``source`` (commented out or not); False when none."""
        found = [i for i, line in enumerate(self.lines) if line.valid and line.source == source]
        for index in found:
            self.lines[index] = replace(self.lines[index], enabled=True)
        return bool(found)

    def remove(self, source: str) -> None:
        self.lines = [
            line
            for line in self.lines
            if not (line.valid and line.enabled and line.source == source)
        ]


def read_probe() -> str:
    return _READ


def parse_probe(text: str) -> tuple[str, str, dict[str, SourcesFile]]:
    """(sources.list path, sources.list.d directory, {path: its file}) from ``read_probe``."""
    main, directory, files = "", "", {}
    current: SourcesFile | None = None
    for line in text.splitlines():
        if not line.startswith(MARK):
            if current is not None:
                current.lines.append(parse_line(line))
            continue
        word, _, value = line[len(MARK) :].partition(" ")
        if word == "file":
            current = files[value] = SourcesFile(value, [])
        elif word == "link" and current is not None:
            current.target = value
        elif word == "mode" and current is not None:
            current.mode = value
        current = current if word in ("file", "link", "mode") else None
    main, directory = _single(text, "main"), _single(text, "dir")
    return main, directory, files


def _single(text: str, name: str) -> str:
    match = re.search(rf"^{re.escape(MARK + name)}\n(.*)$", text, re.M)
    return match.group(1) if match else ""


def suggest_filename(source: str, directory: str, filename: str | None) -> str:
    """Where a new repository goes: ``filename`` (``.list`` added; in ``directory`` unless it
    has a ``/``), else a name made of the repository's host and path, as Ansible makes it."""
    if filename is None:
        text = re.sub(r"\[[^\]]+\]", "", source)
        text = re.sub(r"\w+://", "", text)
        parts = [p for p in text.split() if p not in SOURCE_TYPES] or [""]
        first = parts[0].split("@", 1)[-1]
        filename = "_".join(re.sub("[^a-zA-Z0-9]", " ", first).split())
    name = f"{filename}.list"
    return name if "/" in name else f"{directory.rstrip('/')}/{name}"


def write_command(path: str, text: str, mode: str) -> str:
    """Write ``text`` to ``path`` atomically (a temporary file beside it, renamed), with
    ``mode`` (octal digits, or ``keep`` for the existing file's)."""
    chmod = (
        f'chmod --reference={quote(path)} "$_t"' if mode == "keep" else f'chmod {quote(mode)} "$_t"'
    )
    return (
        f'mkdir -p -- "$(dirname -- {quote(path)})" && '
        f'_t=$(mktemp -- "$(dirname -- {quote(path)})/.pbe-sources-XXXXXX") && '
        f'printf \'%s\' {quote(text)} > "$_t" && {chmod} && mv -f -- "$_t" {quote(path)}'
    )
