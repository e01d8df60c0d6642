"""Reading the rpm database with ``rpm -q``, for the rpm-based managers (dnf, zypper).

``rpm -q --qf`` prints exactly the fields asked for, so the probes of those modules ask
rpm, not the slower resolver, what is installed, and one line of |-separated fields per installed
package comes back (tag ``I``; ``P`` for the package inside an .rpm file).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...transport.shell import quote

__all__ = ["FILE_QF", "INSTALLED_QF", "OLD_QF", "Nevra", "parse_nevras", "rpm_command"]

_FIELDS = r"%{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}"
INSTALLED_QF = rf"I|{_FIELDS}\n"
OLD_QF = rf"O|{_FIELDS}\n"  # installed versions of a package a spec names another of
# The package in a file, and its name-version-release.arch for an ``rpm -q`` of it.
FILE_QF = rf"P|{_FIELDS}|%{{NAME}}-%{{VERSION}}-%{{RELEASE}}.%{{ARCH}}\n"


@dataclass(frozen=True, slots=True)
class Nevra:
    """One package: name, epoch, version, release, arch."""

    name: str
    epoch: int
    version: str
    release: str
    arch: str

    @property
    def evr(self) -> str:
        """``[epoch:]version-release`` as dnf shows it (epoch only when not 0)."""
        epoch = f"{self.epoch}:" if self.epoch else ""
        return f"{epoch}{self.version}-{self.release}"

    def __str__(self) -> str:
        return f"{self.name}-{self.evr}.{self.arch}"

    @property
    def envra(self) -> str:
        """``epoch:name-version-release.arch``, the epoch always shown."""
        return f"{self.epoch}:{self.name}-{self.version}-{self.release}.{self.arch}"


def parse_nevras(lines: list[str], tag: str = "I") -> list[Nevra]:
    """The packages on the lines tagged ``tag`` (other lines are rpm's own remarks)."""
    out: list[Nevra] = []
    for line in lines:
        fields = line.split("|")
        if fields[0] == tag and len(fields) >= 6:
            epoch = int(fields[2]) if fields[2].isdigit() else 0
            out.append(Nevra(fields[1], epoch, fields[3], fields[4], fields[5]))
    return out


def rpm_command(root: str | None = None) -> str:
    """``rpm``, reading the database under ``root`` when one is given."""
    return "rpm" if root in (None, "", "/") else f"rpm --root {quote(str(root))}"


def evr_compare(left: str, right: str) -> int:
    """Compare two ``[epoch:]version[-release]`` strings as rpm orders them: -1, 0 or 1."""
    (le, lv, lr), (re_, rv, rr) = _split_evr(left), _split_evr(right)
    if le != re_:
        return -1 if le < re_ else 1
    return vercmp(lv, rv) or vercmp(lr, rr)


def _split_evr(evr: str) -> tuple[int, str, str]:
    epoch, _, rest = evr.rpartition(":")
    version, _, release = rest.partition("-")
    return (int(epoch) if epoch.isdigit() else 0), version, release


def vercmp(left: str, right: str) -> int:
    """rpm's segment-wise comparison of one version (or release) string: runs of digits
    compare as numbers and beat runs of letters; ``~`` sorts before everything, even the
    end of the string (pre-releases); ``^`` after the end but before anything else."""
    i = j = 0
    while i < len(left) or j < len(right):
        i, j = _skip(left, i), _skip(right, j)
        special = _special(left, i, right, j)
        if special is not None:
            if special[0] != 0:
                return special[0]
            i, j = i + 1, j + 1
            continue
        if i >= len(left) or j >= len(right):
            break
        digits = left[i].isdigit()
        a, i = _segment(left, i, digits)
        b, j = _segment(right, j, digits)
        if not b:  # a number against letters: the number is newer
            return 1 if digits else -1
        order = _compare_segment(a, b, digits)
        if order:
            return order
    return _rest(left, i, right, j)


def _skip(text: str, at: int) -> int:
    while at < len(text) and not (text[at].isalnum() or text[at] in "~^"):
        at += 1
    return at


def _special(left: str, i: int, right: str, j: int) -> tuple[int] | None:
    """The order a ``~`` or ``^`` at the current positions decides; (0,) when both strings
    have it (skip it), None when neither has."""
    a_tilde, b_tilde = left[i : i + 1] == "~", right[j : j + 1] == "~"
    if a_tilde or b_tilde:
        return (0,) if a_tilde and b_tilde else ((-1,) if a_tilde else (1,))
    a_caret, b_caret = left[i : i + 1] == "^", right[j : j + 1] == "^"
    if not (a_caret or b_caret):
        return None
    if i >= len(left):  # a base version is older than any ^ build of it
        return (-1,)
    if j >= len(right):
        return (1,)
    return (0,) if a_caret and b_caret else ((-1,) if a_caret else (1,))


def _segment(text: str, at: int, digits: bool) -> tuple[str, int]:
    start = at
    while (
        at < len(text)
        and text[at].isascii()
        and (text[at].isdigit() if digits else text[at].isalpha())
    ):
        at += 1
    return text[start:at], at


def _compare_segment(a: str, b: str, digits: bool) -> int:
    if digits:
        a, b = a.lstrip("0"), b.lstrip("0")
        if len(a) != len(b):
            return -1 if len(a) < len(b) else 1
    return (a > b) - (a < b)


def _rest(left: str, i: int, right: str, j: int) -> int:
    """Equal so far: whichever has segments left is newer."""
    a, b = i < len(left), j < len(right)
    return 0 if a == b else (1 if a else -1)
