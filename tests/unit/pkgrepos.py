"""Throw-away package repositories and roots, for testing the package modules for real.

The modules drive the real tools (rpm, dnf, zypper, pacman) in private roots
(``installroot``, ``--root``) fed from repositories built here on the spot, so nothing on
this machine's own package database changes. Debian ships those tools; ``need`` installs
them with ``.ci/install-pkg-tools`` on a fresh machine (as root), and skips the test where
that is impossible (but fails it under CI, which must not go green by skipping).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

INSTALL_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "install-pkg-tools"
LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
_tried: list[bool] = []


def need(*tools: str) -> None:
    """Skip (fail under CI) unless every tool is on PATH, installing them once if we can."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing and not _tried and os.geteuid() == 0 and shutil.which("apt-get"):
        _tried.append(True)
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False, capture_output=True)
        missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        reason = f"needs {', '.join(missing)} (bash .ci/install-pkg-tools installs them)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def build_rpm(
    out: Path,
    name: str,
    version: str,
    *,
    release: str = "1",
    requires: tuple[str, ...] = (),
    epoch: int | None = None,
    pre: str | None = None,
) -> Path:
    """A noarch rpm holding /usr/share/NAME/version (its version), built with rpmbuild;
    ``pre`` is its %pre scriptlet, in Lua (rpm's own interpreter: an empty root has no
    /bin/sh), e.g. ``error("no")`` makes its installation fail."""
    top = out / f".build-{name}-{version}-{release}"
    (top / "SPECS").mkdir(parents=True, exist_ok=True)
    spec = top / "SPECS" / f"{name}.spec"
    lines = [
        f"Name: {name}",
        f"Version: {version}",
        f"Release: {release}",
        "Summary: pbe test package",
        "License: MIT",
        "BuildArch: noarch",
    ]
    lines += [f"Epoch: {epoch}"] if epoch is not None else []
    lines += [f"Requires: {r}" for r in requires]
    spec.write_text(
        "\n".join(lines)
        + textwrap.dedent(f"""
        %description
        A package for pbe's tests.
        %install
        mkdir -p %{{buildroot}}/usr/share/{name}
        echo {version} > %{{buildroot}}/usr/share/{name}/version
        %files
        /usr/share/{name}/version
        """)
        + (f"%pre -p <lua>\n{pre}\n" if pre else "")
    )
    subprocess.run(
        ["rpmbuild", "--define", f"_topdir {top}", "-bb", str(spec)],
        check=True,
        capture_output=True,
    )
    built = next((top / "RPMS" / "noarch").glob("*.rpm"))
    target = out / built.name
    shutil.move(built, target)
    shutil.rmtree(top)
    return target


def comps(group: str, name: str, packages: list[str]) -> str:
    """A comps.xml with one group."""
    reqs = "".join(f'<packagereq type="mandatory">{p}</packagereq>' for p in packages)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<comps><group><id>{group}</id>'
        f"<name>{name}</name><description>pbe test group</description>"
        f"<default>false</default><uservisible>true</uservisible>"
        f"<packagelist>{reqs}</packagelist></group></comps>\n"
    )


@dataclass
class DnfRoot:
    """A private installroot, its dnf.conf and its repositories (ids ``pbe`` enabled,
    ``pbe-extra`` disabled)."""

    base: Path

    @property
    def root(self) -> Path:
        return self.base / "root"

    @property
    def conf(self) -> Path:
        return self.base / "dnf.conf"

    def repo(self, repo_id: str = "pbe") -> Path:
        return self.base / "repos" / repo_id

    def publish(
        self,
        rpms: list[Path],
        repo_id: str = "pbe",
        group: str | None = None,
        keep_cache: bool = False,
    ) -> None:
        """Put ``rpms`` in the repository (creating or refreshing its metadata). The root's
        metadata cache is dropped unless ``keep_cache``: dnf trusts a cache less than a
        second old even with ``metadata_expire=0``, and these tests are quicker than that."""
        path = self.repo(repo_id)
        path.mkdir(parents=True, exist_ok=True)
        for rpm in rpms:
            shutil.copy(rpm, path / rpm.name)
        cmd = ["createrepo_c", "-q", str(path)]
        groups = self.base / f"comps-{repo_id}.xml"  # kept: later publishes keep the groups
        if group is not None:
            groups.write_text(group)
        if groups.exists():
            cmd[2:2] = ["-g", str(groups)]
        subprocess.run(cmd, check=True, capture_output=True)
        if not keep_cache:
            shutil.rmtree(self.root / "var" / "cache" / "dnf", ignore_errors=True)

    def args(self) -> dict[str, Any]:
        """The module arguments that point dnf at this root and its repositories."""
        return {"installroot": str(self.root), "releasever": "1", "conf_file": str(self.conf)}

    def installed(self) -> dict[str, str]:
        """name -> version-release of what the root's rpm database holds."""
        out = subprocess.run(
            ["rpm", "--root", str(self.root), "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\n"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(line.split(" ", 1) for line in out.splitlines() if line)


def dnf_root(base: Path, *, gpgcheck: bool = False) -> DnfRoot:
    """An empty root with a dnf.conf naming the two repositories (none has packages yet)."""
    made = DnfRoot(base)
    made.root.mkdir(parents=True)
    (base / "repos.d").mkdir()
    for repo_id, enabled in (("pbe", 1), ("pbe-extra", 0)):
        made.repo(repo_id).mkdir(parents=True)
        subprocess.run(
            ["createrepo_c", "-q", str(made.repo(repo_id))], check=True, capture_output=True
        )
        (base / "repos.d" / f"{repo_id}.repo").write_text(
            f"[{repo_id}]\nname={repo_id}\nbaseurl=file://{made.repo(repo_id)}\n"
            f"enabled={enabled}\ngpgcheck={int(gpgcheck)}\nmetadata_expire=0\n"
        )
    made.conf.write_text(
        f"[main]\nreposdir={base / 'repos.d'}\ngpgcheck={int(gpgcheck)}\ninstall_weak_deps=False\n"
    )
    return made


@dataclass
class PacmanRoot:
    """A private pacman root, its pacman.conf and a file:// repository ``pbe`` whose
    database is written here (Debian's repo-add lacks its helpers): packages are made
    with bsdtar and zstd, each holding /usr/share/NAME/version."""

    base: Path
    packages: dict[str, tuple[str, tuple[str, ...], str | None]] = field(default_factory=dict)
    generation: int = 0

    @property
    def conf(self) -> Path:
        return self.base / "pacman.conf"

    def publish(
        self, name: str, version: str, depends: tuple[str, ...] = (), group: str | None = None
    ) -> None:
        """Build the package and put it in the repository (replacing its other version);
        pacman reads the database again at the next -Sy (or update_cache)."""
        repo, build = self.base / "repo", self.base / f"build-{name}-{version}"
        (build / "usr" / "share" / name).mkdir(parents=True)
        (build / "usr" / "share" / name / "version").write_text(version + "\n")
        info = [
            f"pkgname = {name}",
            f"pkgbase = {name}",
            f"pkgver = {version}",
            "pkgdesc = pbe test",
            "builddate = 1700000000",
            "packager = pbe",
            "size = 8",
            "arch = any",
            *(f"depend = {d}" for d in depends),
            *([f"group = {group}"] if group else []),
        ]
        (build / ".PKGINFO").write_text("\n".join(info) + "\n")
        tar = subprocess.run(
            ["bsdtar", "-cf", "-", "-C", str(build), ".PKGINFO", "usr"],
            check=True,
            capture_output=True,
        ).stdout
        out = repo / f"{name}-{version}-any.pkg.tar.zst"
        subprocess.run(["zstd", "-q", "-f", "-o", str(out)], input=tar, check=True)
        shutil.rmtree(build)
        self.packages[name] = (version, depends, group)
        self._database()

    def _database(self) -> None:
        repo = self.base / "repo"
        with tarfile.open(repo / "pbe.db.tar.gz", "w:gz") as tar:
            for name, (version, depends, group) in self.packages.items():
                data = (repo / f"{name}-{version}-any.pkg.tar.zst").read_bytes()
                fields = {
                    "FILENAME": f"{name}-{version}-any.pkg.tar.zst",
                    "NAME": name,
                    "BASE": name,
                    "VERSION": version,
                    "DESC": "pbe test",
                    "CSIZE": str(len(data)),
                    "ISIZE": "8",
                    "SHA256SUM": hashlib.sha256(data).hexdigest(),
                    "ARCH": "any",
                    "BUILDDATE": "1700000000",
                    "PACKAGER": "pbe",
                    "GROUPS": group or "",
                    "DEPENDS": "\n".join(depends),
                }
                desc = "".join(f"%{k}%\n{v}\n\n" for k, v in fields.items() if v).encode()
                folder = tarfile.TarInfo(f"{name}-{version}")
                folder.type, folder.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(folder)
                entry = tarfile.TarInfo(f"{name}-{version}/desc")
                entry.size, entry.mode = len(desc), 0o644
                tar.addfile(entry, io.BytesIO(desc))
        link = repo / "pbe.db"
        if not link.is_symlink():
            link.symlink_to("pbe.db.tar.gz")
        # pacman fetches a file:// database only when it is newer than its copy; tests
        # publish faster than a second, so each version is dated one second later.
        self.generation += 1
        stamp = 1_700_000_000 + self.generation
        os.utime(repo / "pbe.db.tar.gz", (stamp, stamp))

    def refresh(self) -> None:
        """pacman -Sy: the root's copy of the repository database, as a host keeps one."""
        subprocess.run(
            ["pacman", "--config", str(self.conf), "-Sy"], check=True, capture_output=True
        )

    def args(self) -> dict[str, Any]:
        return {"config": str(self.conf)}

    def installed(self) -> dict[str, str]:
        out = subprocess.run(
            ["pacman", "--config", str(self.conf), "-Q"], capture_output=True, text=True
        ).stdout
        return dict(line.split(" ", 1) for line in out.splitlines() if line)

    def explicit(self) -> set[str]:
        out = subprocess.run(
            ["pacman", "--config", str(self.conf), "-Qeq"], capture_output=True, text=True
        ).stdout
        return set(out.split())


def pacman_root(base: Path) -> PacmanRoot:
    """An empty root whose pacman.conf names the (empty) repository, read once."""
    made = PacmanRoot(base)
    for sub in ("repo", "root/var/lib/pacman", "cache"):
        (base / sub).mkdir(parents=True)
    made.conf.write_text(
        f"[options]\nRootDir = {base}/root\nDBPath = {base}/root/var/lib/pacman\n"
        f"CacheDir = {base}/cache\nArchitecture = auto\nSigLevel = Never\n"
        f"[pbe]\nSigLevel = Never\nServer = file://{base}/repo\n"
    )
    made._database()
    made.refresh()
    return made


@dataclass
class ZypperRoot:
    """A private root for zypper (``--root``) with one plain-rpm repository ``pbe``."""

    base: Path

    @property
    def root(self) -> Path:
        return self.base / "root"

    def publish(self, rpms: list[Path]) -> None:
        """Put ``rpms`` in the repository and refresh the root's copy of its metadata."""
        repo = self.base / "repo"
        for rpm in rpms:
            shutil.copy(rpm, repo / rpm.name)
        subprocess.run(["createrepo_c", "-q", str(repo)], check=True, capture_output=True)
        subprocess.run(
            ["zypper", "--root", str(self.root), "--non-interactive", "refresh"],
            check=True,
            capture_output=True,
        )

    def args(self) -> dict[str, Any]:
        return {"extra_args_precommand": f"--root {self.root}"}

    def installed(self) -> dict[str, str]:
        out = subprocess.run(
            ["rpm", "--root", str(self.root), "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\n"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(line.split(" ", 1) for line in out.splitlines() if line)


def zypper_root(base: Path) -> ZypperRoot:
    made = ZypperRoot(base)
    (base / "repo").mkdir(parents=True)
    made.root.mkdir()
    subprocess.run(["createrepo_c", "-q", str(base / "repo")], check=True, capture_output=True)
    subprocess.run(
        [
            "zypper",
            "--root",
            str(made.root),
            "--non-interactive",
            "ar",
            "-G",
            f"file://{base / 'repo'}",
            "pbe",
        ],
        check=True,
        capture_output=True,
    )
    return made
