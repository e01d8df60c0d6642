"""Reading the rpm database with ``rpm -q``, for the rpm-based managers (dnf, zypper).

``rpm -q --qf`` prints exactly the fields asked for, so the probes of those modules ask
rpm, not the slower resolver, what is installed, and one tab-separated line per installed
package comes back (tag ``I``; ``P`` for the package inside an .rpm file).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...transport.shell import quote

__all__ = ["FILE_QF", "INSTALLED_QF", "OLD_QF", "Nevra", "parse_nevras", "rpm_command"]

_FIELDS = r"%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}"
INSTALLED_QF = rf"I\t{_FIELDS}\n"
OLD_QF = rf"O\t{_FIELDS}\n"     # installed versions of a package a spec names another of
# The package in a file, and its name-version-release.arch for an ``rpm -q`` of it.
FILE_QF = rf"P\t{_FIELDS}\t%{{NAME}}-%{{VERSION}}-%{{RELEASE}}.%{{ARCH}}\n"


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
        fields = line.split("\t")
        if fields[0] == tag and len(fields) >= 6:
            epoch = int(fields[2]) if fields[2].isdigit() else 0
            out.append(Nevra(fields[1], epoch, fields[3], fields[4], fields[5]))
    return out


def rpm_command(root: str | None = None) -> str:
    """``rpm``, reading the database under ``root`` when one is given."""
    return "rpm" if root in (None, "", "/") else f"rpm --root {quote(str(root))}"
