"""A private apt repository and configuration for tests that install packages for real.

``AptRepo.build`` makes tiny .deb packages with ``dpkg-deb --build`` (each with a conffile,
and a postinst that records what /usr/sbin/policy-rc.d said while it ran), indexes them
(``dpkg-scanpackages`` when the host has it, else a Packages file written here), and writes
an APT_CONFIG whose sources, lists, cache, preferences and auto-install marks all live in the
test's directory: the machine's own sources are never read or changed and nothing touches
the network. Packages are really installed into this machine's dpkg database; ``purge``
removes whatever a test left.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


@dataclass
class AptRepo:
    root: Path
    base: str = field(default_factory=lambda: f"pbe-t-{uuid.uuid4().hex[:10]}")

    @property
    def main(self) -> str:
        return self.base

    @property
    def dep(self) -> str:
        return f"{self.base}-dep"

    @property
    def config(self) -> Path:
        return self.root / "apt.conf"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "APT_CONFIG": str(self.config)}

    def deb(self, name: str, version: str) -> Path:
        return self.root / "repo" / f"{name}_{version}_all.deb"

    def build(self) -> AptRepo:
        """main 1.0, main 2.0 (depends on dep) and dep 1.0, indexed, with the config."""
        (self.root / "repo").mkdir(parents=True)
        self.package(self.main, "1.0")
        self.package(self.main, "2.0", depends=self.dep)
        self.package(self.dep, "1.0")
        self.index()
        self.configure()
        return self

    def package(self, name: str, version: str, depends: str | None = None) -> Path:
        tree = self.root / "build" / f"{name}-{version}"
        (tree / "DEBIAN").mkdir(parents=True)
        (tree / "etc" / name).mkdir(parents=True)
        (tree / "etc" / name / f"{name}.conf").write_text(f"version {version}\n")
        control = (
            f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
            f"Maintainer: pbe tests <tests@example.invalid>\n"
            f"Description: pbe test package\n"
        )
        (tree / "DEBIAN" / "control").write_text(
            control + (f"Depends: {depends}\n" if depends else "")
        )
        (tree / "DEBIAN" / "conffiles").write_text(f"/etc/{name}/{name}.conf\n")
        self._script(
            tree / "DEBIAN" / "postinst",
            f"cat /usr/sbin/policy-rc.d > {self.policy_record(name)} 2>/dev/null || "
            f"echo absent > {self.policy_record(name)}",
        )
        self._script(tree / "DEBIAN" / "postrm", f"rm -f {self.policy_record(name)}")
        out = self.deb(name, version)
        subprocess.run(
            ["dpkg-deb", "-Zgzip", "--root-owner-group", "--build", str(tree), str(out)],
            check=True,
            capture_output=True,
        )
        return out

    def policy_record(self, name: str) -> Path:
        return Path("/var/tmp") / f"{name}.policy-rc.d"

    @staticmethod
    def _script(path: Path, body: str) -> None:
        path.write_text(f"#!/bin/sh\n{body}\nexit 0\n")
        path.chmod(0o755)

    def index(self) -> None:
        repo = self.root / "repo"
        if shutil.which("dpkg-scanpackages"):
            text = subprocess.run(
                ["dpkg-scanpackages", "-m", "."],
                cwd=repo,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        else:
            text = "\n".join(_stanza(deb) for deb in sorted(repo.glob("*.deb")))
        (repo / "Packages").write_text(text)

    def configure(self) -> None:
        """Everything apt keeps in the test's directory; only dpkg's database is the host's."""
        for sub in (
            "etc/sources.list.d",
            "etc/preferences.d",
            "state/lists/partial",
            "cache/archives/partial",
            "log",
        ):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "etc" / "sources.list").write_text(
            f"deb [trusted=yes] file://{self.root / 'repo'} ./\n"
        )
        self.config.write_text(
            "\n".join(
                [
                    f'Dir::Etc::SourceList "{self.root}/etc/sources.list";',
                    f'Dir::Etc::SourceParts "{self.root}/etc/sources.list.d";',
                    f'Dir::Etc::Preferences "{self.root}/etc/preferences";',
                    f'Dir::Etc::PreferencesParts "{self.root}/etc/preferences.d";',
                    f'Dir::State "{self.root}/state";',
                    f'Dir::Cache "{self.root}/cache";',
                    f'Dir::Log "{self.root}/log";',
                    'APT::Sandbox::User "root";',
                    'Acquire::Languages "none";',
                    "",
                ]
            )
        )

    def update(self) -> None:
        subprocess.run(["apt-get", "-q", "update"], env=self.env, check=True, capture_output=True)

    def status(self, name: str) -> tuple[str, str] | None:
        """dpkg's (status letters, version) of ``name``, None when dpkg has no record."""
        res = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Version}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0 or not res.stdout:
            return None
        status, version = res.stdout.split("|")
        return status.strip(), version

    def auto(self) -> set[str]:
        res = subprocess.run(
            ["apt-mark", "showauto"], env=self.env, capture_output=True, text=True, check=True
        )
        return set(res.stdout.split())

    def purge(self) -> None:
        names = [n for n in (self.main, self.dep) if self.status(n) is not None]
        if names:
            subprocess.run(["dpkg", "--purge", *names], capture_output=True, check=False)
        for name in (self.main, self.dep):
            self.policy_record(name).unlink(missing_ok=True)


def _stanza(deb: Path) -> str:
    control = subprocess.run(
        ["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True
    ).stdout
    data = deb.read_bytes()
    return (
        control.rstrip("\n") + f"\nFilename: ./{deb.name}\nSize: {len(data)}\n"
        f"SHA256: {hashlib.sha256(data).hexdigest()}\n"
    )
