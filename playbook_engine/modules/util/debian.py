"""Debian package data as the host's own tools print it, parsed on the controller (pure).

dpkg's version order, package specs (``foo``, ``foo=1.0*``, ``foo>=1.0``), and the outputs
of ``dpkg-query -W``, ``apt-cache policy``, ``apt-cache showpkg`` and ``apt-get -s``, so the
apt modules read a host without python-apt. Every parser takes text and returns data.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

__all__ = [
    "DPKG_FORMAT",
    "Installed",
    "Policy",
    "Spec",
    "compare_versions",
    "fnmatch_ere",
    "parse_dpkg",
    "parse_policy",
    "parse_providers",
    "sections",
    "simulated_changes",
]

# One line per package instance: name, architecture, status letters, version.
DPKG_FORMAT = r"${Package}\t${Architecture}\t${db:Status-Abbrev}\t${Version}\n"
MARK = "@pbe@ "  # starts a section line in a probe's output; no tool prints it
_ZERO = "0 upgraded, 0 newly installed, 0 to remove"


# -- versions ------------------------------------------------------------------------------


def compare_versions(a: str, b: str) -> int:
    """dpkg's order of two versions: <0, 0 or >0 (``epoch:upstream-revision``, ``~`` first)."""
    ea, ua, ra = _split_version(a)
    eb, ub, rb = _split_version(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def _split_version(version: str) -> tuple[int, str, str]:
    epoch, sep, rest = version.strip().partition(":")
    if not sep:
        epoch, rest = "0", version.strip()
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return (int(epoch) if epoch.isdigit() else 0), upstream, revision


def _order(char: str) -> int:
    """dpkg's weight of a character in the non-digit part: ``~`` sorts before the end."""
    if not char or char.isdigit():
        return 0
    if char == "~":
        return -1
    return ord(char) if char.isalpha() else ord(char) + 256


def _compare_part(a: str, b: str) -> int:
    """dpkg's comparison of an upstream version or revision: alternately non-digit runs,
    character by character, and digit runs, as numbers."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            left, right = _order(a[i : i + 1]), _order(b[j : j + 1])
            if left != right:
                return left - right
            i, j = i + 1, j + 1
        digits_a = re.match(r"[0-9]*", a[i:])
        digits_b = re.match(r"[0-9]*", b[j:])
        num_a = digits_a.group() if digits_a else ""
        num_b = digits_b.group() if digits_b else ""
        if int(num_a or 0) != int(num_b or 0):
            return -1 if int(num_a or 0) < int(num_b or 0) else 1
        i, j = i + len(num_a), j + len(num_b)
    return 0


# -- package specs ---------------------------------------------------------------------------

_WILDCARD = frozenset("*?[]!")


@dataclass(frozen=True, slots=True)
class Spec:
    """``name``, ``name=version`` (a glob: ``1.0*``) or ``name>=version``, as apt takes it."""

    name: str
    op: str | None = None
    version: str | None = None

    @classmethod
    def parse(cls, text: str) -> Spec:
        match = re.match(r"([^=>]*)(>?=)(.*)", text.strip())
        if not match:
            return cls(text.strip())
        if "=" in match.group(3):
            raise ValueError(f"invalid package spec: {text}")
        return cls(match.group(1), match.group(2), match.group(3))

    @property
    def wildcard(self) -> bool:
        return bool(_WILDCARD & set(self.name))

    def accepts(self, version: str) -> bool:
        """Whether ``version`` satisfies the spec (any version when none is asked)."""
        if self.op == "=":
            return fnmatch.fnmatchcase(version, self.version or "")
        if self.op == ">=":
            return compare_versions(version, self.version or "") >= 0
        return True

    def __str__(self) -> str:
        return f"{self.name}{self.op or ''}{self.version or ''}"


def fnmatch_ere(pattern: str) -> str:
    """A shell glob as a POSIX extended regular expression, for ``grep -xE`` on the host."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        else:
            out.append(re.sub(r"([.^$+(){}|\\\[\]])", r"\\\1", char))
        i += 1
    return "".join(out)


# -- tool output -----------------------------------------------------------------------------


def sections(text: str) -> dict[str, str]:
    """A probe's output split at its ``@pbe@ NAME`` lines: {NAME: the text after it}."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith(MARK):
            current = found.setdefault(line[len(MARK) :].strip(), [])
        else:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}


@dataclass(frozen=True, slots=True)
class Installed:
    """One line of ``dpkg-query -W`` (``DPKG_FORMAT``): what dpkg knows of a package."""

    name: str
    arch: str
    status: str  # dpkg's abbreviation: desired, current state, error ("ii ", "rc ")
    version: str

    @property
    def installed(self) -> bool:
        """Fully installed (dpkg state ``installed``), as apt counts it."""
        return self.status[1:2] == "i"

    @property
    def has_files(self) -> bool:
        """Anything left on disk (configuration files at least): purging would change it."""
        return self.status[1:2] not in ("", "n")


def parse_dpkg(text: str) -> list[Installed]:
    rows = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 4 and fields[0]:
            rows.append(Installed(*fields))
    return rows


@dataclass
class Policy:
    """One package's stanza of ``apt-cache policy``: versions in the table's order, each with
    the lines of the sources it comes from (``500 http://… bookworm/main amd64 Packages``)."""

    name: str
    installed: str | None = None
    candidate: str | None = None
    versions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def virtual(self) -> bool:
        return self.candidate is None and self.installed is None and not self.versions


_VERSION_LINE = re.compile(r"^ (?:\*\*\*| {3}) (\S+) -?\d+$")
_SOURCE_LINE = re.compile(r"^ {8}-?\d+ (.*)$")


def parse_policy(text: str) -> dict[str, Policy]:
    """{name as the stanza heads it: Policy}; a name apt does not know has no stanza."""
    found: dict[str, Policy] = {}
    current: Policy | None = None
    version = ""
    for line in text.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = found.setdefault(line[:-1], Policy(line[:-1]))
        elif current is None:
            continue
        elif match := re.match(r"^  (Installed|Candidate): (.*)$", line):
            value = None if match.group(2) == "(none)" else match.group(2)
            setattr(current, match.group(1).lower(), value)
        elif match := _VERSION_LINE.match(line):
            version = match.group(1)
            current.versions.setdefault(version, [])
        elif (match := _SOURCE_LINE.match(line)) and version in current.versions:
            current.versions[version].append(match.group(1))
    return found


def parse_providers(text: str) -> dict[str, list[str]]:
    """``apt-cache showpkg`` of virtual packages: {virtual: the packages that provide it}."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    reverse = False
    for line in text.splitlines():
        if line.startswith("Package: "):
            current, reverse = found.setdefault(line.split()[1], []), False
        elif line.startswith("Reverse Provides:"):
            reverse = True
        elif (
            reverse
            and current is not None
            and line.strip()
            and not line.endswith(":")
            and (name := line.split()[0]) not in current
        ):
            current.append(name)
    return found


def simulated_changes(output: str) -> bool:
    """Whether ``apt-get -s`` (or the real command) installs, upgrades or removes anything."""
    return _ZERO not in output
