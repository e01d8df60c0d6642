"""pip for real: wheels the test builds, installed by this machine's pip into a virtualenv
the module creates (``python -m venv --without-pip`` seeing the system's pip, so no
network is needed); check mode (``pip install --dry-run`` where only pip can tell)
predicts the run."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from playbook_engine.api import run
from playbook_engine.modules.pip import Want, parse_freeze, satisfies, would_install
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")


def wheel(folder: Path, name: str, version: str) -> None:
    """A minimal pure-Python wheel: one module and its dist-info."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: pbe-test\nRoot-Is-Purelib: true"
        b"\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},sha256={digest(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    with zipfile.ZipFile(folder / f"{module}-{version}-py3-none-any.whl", "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    wheel(folder, "pbe-tpkg-a", "1.0")
    wheel(folder, "pbe-tpkg-b", "1.0")
    wheel(folder, "pbe-tpkg-b", "1.1")
    return folder


def installed(env: Path) -> set[str]:
    site = next(env.glob("lib/python*/site-packages"))
    return {p.name for p in site.glob("pbe_tpkg_*.dist-info")}


def play(tmp_path: Path, env: Path, index: Path | None, tasks: list[str]) -> Path:
    common = (
        f"virtualenv: '{env}', virtualenv_command: '{sys.executable} -m venv "
        f"--without-pip', virtualenv_site_packages: true"
    )
    if index is not None:  # pip uninstall takes no index options
        common += f", extra_args: '--no-index --find-links {index}'"
    body = "".join(f"    - pip: {{{task}, {common}}}\n" for task in tasks)
    book = tmp_path / "site.yml"
    book.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{body}")
    return book


def test_install_pin_upgrade_and_remove(tmp_path: Path, index: Path) -> None:
    env = tmp_path / "venv"
    book = play(
        tmp_path,
        env,
        index,
        [
            "name: pbe-tpkg-a, version: '1.0'",
            "name: ['pbe-tpkg-b<1.1']",
            "name: pbe-tpkg-gone, state: absent",
        ],
    )
    real = check_predicts_run(
        book,
        LOCAL,
        unchanged=lambda: env.exists() and pytest.fail("check mode created the virtualenv"),
    )
    assert [r.status for r in real.results] == ["changed", "changed", "ok"]
    assert installed(env) == {"pbe_tpkg_a-1.0.dist-info", "pbe_tpkg_b-1.0.dist-info"}
    assert "install" in real.results[0].result["cmd"]
    latest = play(tmp_path, env, index, ["name: pbe-tpkg-b, state: latest"])
    real = check_predicts_run(
        latest,
        LOCAL,
        unchanged=lambda: (
            installed(env) == {"pbe_tpkg_a-1.0.dist-info", "pbe_tpkg_b-1.0.dist-info"}
            or pytest.fail("upgraded")
        ),
    )
    assert real.results[0].status == "changed"
    assert "pbe_tpkg_b-1.1.dist-info" in installed(env)
    absent = play(tmp_path, env, None, ["name: [pbe-tpkg-a, PBE_TPKG.B], state: absent"])
    check_predicts_run(absent, LOCAL)
    assert installed(env) == set()


def test_requirements_and_failures(tmp_path: Path, index: Path) -> None:
    env = tmp_path / "venv"
    (tmp_path / "req.txt").write_text("pbe-tpkg-b==1.1\n")
    book = play(tmp_path, env, index, [f"requirements: '{tmp_path}/req.txt'"])
    real = check_predicts_run(book, LOCAL)
    assert real.results[0].status == "changed"
    assert installed(env) == {"pbe_tpkg_b-1.1.dist-info"}
    bad = play(tmp_path, env, index, ["name: pbe-tpkg-none"])
    result = run(bad, LOCAL)
    assert result.results[0].status == "failed"
    msg = result.results[0].result["msg"]
    assert msg.startswith("Error installing with pip: ")
    assert "No matching distribution found for pbe-tpkg-none" in msg


def test_pure_parts() -> None:
    assert satisfies("1.10", ">=1.9,<2") and not satisfies("2.0", ">=1.9,<2")
    assert satisfies("1.4.2", "~=1.4") and not satisfies("2.0", "~=1.4")
    assert satisfies("1.2.0", "==1.2") and satisfies("1.2.7", "==1.2.*")
    assert not satisfies("1.0rc1", ">=1.0")
    want = Want.parse("Requests[socks] >= 2.0", None)
    assert (want.name, want.specifier) == ("requests", ">= 2.0")
    assert Want.parse("git+https://x/y.git", None).name is None
    assert Want.parse("pkg", "1.2").installed_ok({"pkg": "1.2"}) is True
    assert parse_freeze("A_b==1.0\n-e git+x\n") == {"a-b": "1.0"}
    assert would_install("Would install pbe-tpkg-b-1.1\n")
    assert not would_install("Requirement already satisfied: x\n")
