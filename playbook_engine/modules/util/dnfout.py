"""Reading dnf's output (dnf4 and dnf5 layouts) and the dnf backend's probe, for
pkgmgr_dnf: the transaction table of a dry run as rows, dnf's complaints as words, the
probe's per-spec rpm lines, and ``list=`` answers. Pure functions, no host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...transport.base import CommandResult
from .rpmdb import Nevra, parse_nevras

__all__ = [
    "FILTERED",
    "MARK",
    "NO_GROUP",
    "NO_MATCH",
    "DnfState",
    "DryRun",
    "Row",
    "SpecState",
    "complaint",
    "kind_of",
    "name_guess",
    "parse_listing",
    "parse_probe",
    "parse_transaction",
]

MARK = "::pbe"
_OP_SPEC = re.compile(r"\S+\s+(?:<=|>=|=|<|>)\s+\S+")
NO_MATCH = re.compile(r"No match for argument: (.+)")
NO_GROUP = re.compile(r"Module or Group '(.+)' is not available\.")
FILTERED = re.compile(r"All matches were filtered out by exclude filtering for argument: (.+)")
_PROGRESS = re.compile(r".*\|\s+[\d.]+\s+[kMGT]?i?B\s+\d\d:\d\d$")  # a download's progress
_NOISE = (
    "Last metadata expiration check",
    "Dependencies resolved",
    "Nothing to do",
    "Complete!",
    "Operation aborted",
    "[MIRROR]",
    "Package ",
    "Updating and loading",
    "Repositories loaded",
    "Transaction Summary",
    "Total size",
    "Total download",
    "Installed size",
    "Freed space",
    "Downloading Packages",
)


def kind_of(spec: str) -> str:
    """url, file (a local .rpm), group (@...), versioned ('n >= 1'), path, glob or name."""
    if "://" in spec:
        return "url"
    if spec.endswith(".rpm"):
        return "file"
    if spec.startswith("@"):
        return "group"
    if _OP_SPEC.fullmatch(spec):
        return "versioned"
    if spec.startswith("/"):
        return "path"
    return "glob" if any(c in spec for c in "*?[") else "name"


# -- parsing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of dnf's transaction table: what it does to which package."""

    action: str  # the section: Installing, Upgrading, Downgrading, Removing ...
    name: str
    arch: str = ""
    evr: str = ""
    marker: bool = False  # a group, environment or module stream, not a package

    @property
    def nevra(self) -> str:
        return f"{self.name}-{self.evr}.{self.arch}" if self.arch else self.name

    @property
    def removes(self) -> bool:
        return self.action.startswith(("Removing", "Replacing", "Obsoleting"))


@dataclass
class DryRun:
    """What ``dnf --assumeno COMMAND`` said: its rows, its other lines, its exit status."""

    command: str
    rc: int = 0
    rows: list[Row] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def aborted(self) -> bool:
        """A transaction was resolved and then declined, as asked."""
        return any(line.startswith("Operation aborted") for line in self.lines)


@dataclass
class SpecState:
    spec: str
    kind: str
    installed: list[Nevra] = field(default_factory=list)
    old: list[Nevra] = field(default_factory=list)  # what a new version would replace
    package: Nevra | None = None  # the package inside a local .rpm

    @property
    def certain_kind(self) -> bool:
        """rpm alone can tell whether it is installed."""
        return self.kind in ("name", "path", "file")

    @property
    def certain(self) -> bool:
        """Installed, as rpm alone can tell."""
        return bool(self.installed) and self.certain_kind


@dataclass
class DnfState:
    specs: list[SpecState]
    runs: dict[str, DryRun] = field(default_factory=dict)
    listing: list[Any] | None = None


_HEADER = re.compile(r"([A-Z][A-Za-z ]*(?:/[a-z ]+)?):$")
_VERBS = (
    "Installing",
    "Upgrading",
    "Downgrading",
    "Reinstalling",
    "Removing",
    "Replacing",
    "Obsoleting",
    "Enabling",
    "Disabling",
    "Resetting",
    "Switching",
)


def parse_transaction(command: str, rc: int, lines: list[str]) -> DryRun:
    """dnf's output for one command, its table read into rows (dnf4 and dnf5 layouts).
    Lines outside the table are kept in ``lines``: dnf's remarks and complaints."""
    run = DryRun(command, rc)
    section = pending = ""
    for line in lines:
        match = _HEADER.fullmatch(line.strip())
        if match and not line.startswith(" "):  # a section: its rows follow, indented
            section = match.group(1) if match.group(1).startswith(_VERBS) else ""
            pending = ""
            if section:
                continue
        if section and line.startswith(" ") and line.strip():
            pending, row = _table_row(section, pending + " " + line.strip())
            if row is not None:
                run.rows.append(row)
            continue
        section = section if line.strip() else ""
        run.lines.append(line)
    return run


def _table_row(section: str, text: str) -> tuple[str, Row | None]:
    """A row from its words; a name dnf wrapped onto a line of its own waits for the rest.
    Groups, environments and module streams are named, not versioned."""
    words = text.split()
    if section.lower().endswith(("groups", "streams", "profiles")):
        return "", Row(section, " ".join(words), marker=True)
    if words[0] == "replacing":
        return "", _replaced(words)
    if len(words) == 1:
        return words[0], None
    if len(words) < 3:
        return "", None
    return "", Row(section, words[0], words[1], words[2])


def _replaced(words: list[str]) -> Row | None:
    """``replacing name.arch evr`` (dnf4) or ``replacing name arch evr repo size`` (dnf5)
    under an upgrade: the old package goes."""
    if len(words) >= 5:
        return Row("Replacing", words[1], words[2], words[3])
    if len(words) < 3:
        return None
    name, _, arch = words[1].rpartition(".")
    return Row("Replacing", name, arch, words[2])


def parse_probe(specs: list[str], out: str) -> DnfState:
    """Split the probe's output at its markers: per spec, rpm's lines; per dry run, dnf's."""
    state = DnfState([SpecState(s, kind_of(s)) for s in specs])
    current: SpecState | None = None
    run: tuple[str, list[str]] | None = None
    for line in out.splitlines():
        if line.startswith(MARK):
            current, run = _marker(state, line, current, run)
        elif run is not None:
            run[1].append(line)
        elif current is not None:
            current.installed += parse_nevras([line])
            current.old += parse_nevras([line], "O")
            if files := parse_nevras([line], "P"):
                current.package = files[0]
    return state


def _marker(
    state: DnfState, line: str, current: SpecState | None, run: tuple[str, list[str]] | None
) -> tuple[SpecState | None, tuple[str, list[str]] | None]:
    _, what, value = line.split(" ", 2)
    if what == "spec":
        return state.specs[int(value)], None
    if what == "dry":
        return None, (value, [])
    if what == "rc" and run is not None:
        state.runs[run[0]] = parse_transaction(run[0], int(value), run[1])
    return current, None


def name_guess(spec: str) -> str:
    """The package name in a name-version[-release][.arch] spec (dnf knows for sure; this
    only finds the installed version it would replace)."""
    base = spec.rsplit("/", 1)[-1].split()[0]
    return re.sub(r"-[0-9][^-]*(-[^-]+)?(\.[a-z0-9_]+)?(\.rpm)?$", "", base)


def complaint(run: DryRun) -> str:
    """dnf's complaint, without its progress remarks (nor the dump of a repository's
    settings that follows ``Problem repository:``)."""
    text: list[str] = []
    for line in (line.strip() for line in run.lines):
        if line and not line.startswith(_NOISE) and not _PROGRESS.fullmatch(line):
            text.append(line)
        if line.startswith("Problem repository:"):
            break
    return "\n".join(text)


def parse_listing(what: str, res: CommandResult) -> list[Any]:
    """list=...: Ansible's dictionaries for packages, or repo ids for repos."""
    lines = res.out.splitlines()
    if what in ("repos", "repositories"):
        return [
            {"repoid": line.split()[0], "state": "enabled"} for line in lines[1:] if line.strip()
        ]
    out: list[Any] = []
    for nevra in parse_nevras(lines):
        out.append(_package(nevra, "@System", "installed"))
    for line in lines:
        fields = line.split("|")
        if len(fields) == 6 and fields[0] != "I":
            epoch = int(fields[1]) if fields[1].isdigit() else 0
            out.append(_package(Nevra(fields[0], epoch, *fields[2:5]), fields[5], "available"))
    return out


def _package(nevra: Nevra, repo: str, yumstate: str) -> dict[str, Any]:
    return {
        "name": nevra.name,
        "epoch": str(nevra.epoch),
        "version": nevra.version,
        "release": nevra.release,
        "arch": nevra.arch,
        "repo": repo,
        "envra": nevra.envra,
        "nevra": nevra.envra,
        "yumstate": yumstate,
    }
