"""dpkg_divert against this machine's dpkg-divert, on throw-away files under tmp_path
(their diversions are removed again after each test): check mode predicts the run, the
second run changes nothing, and dpkg's database and the files are as asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from syshelp import LOCAL, sh

from playbook_engine import run
from playbook_engine.testing.parity import check_predicts_run


def diversion(path: Path) -> tuple[str, str]:
    """(holder, divert location) as dpkg has them; ('', path) when not diverted."""
    holder = sh("dpkg-divert", "--listpackage", str(path)).stdout.strip()
    return holder, sh("dpkg-divert", "--truename", str(path)).stdout.strip()


@pytest.fixture
def conf(root: None, tmp_path: Path) -> Iterator[Path]:
    if sh("sh", "-c", "command -v dpkg-divert").returncode:
        pytest.skip("needs dpkg-divert (Debian family)")
    path = tmp_path / "my conf"
    path.write_text("mine\n")
    yield path
    sh("dpkg-divert", "--no-rename", "--remove", str(path))


def test_added_moved_to_a_new_holder_then_removed(conf: Path, book) -> None:
    site = book(f'- community.general.dpkg_divert: {{path: "{conf}", rename: true}}')
    real = check_predicts_run(
        site, LOCAL, unchanged=lambda: diversion(conf) == ("", str(conf)) or pytest.fail("diverted")
    )
    assert real.results[0].status == "changed"
    assert real.results[0].result["commands"] == [
        f"/usr/bin/dpkg-divert --rename --local --add {conf}"
    ]
    assert diversion(conf) == ("LOCAL", f"{conf}.distrib")
    site = book(f'- dpkg_divert: {{path: "{conf}", holder: pbe-test, divert: "{conf}.pbe"}}')
    real = check_predicts_run(site, LOCAL)
    assert diversion(conf) == ("pbe-test", f"{conf}.pbe")
    assert not conf.exists() and Path(f"{conf}.pbe").read_text() == "mine\n"
    assert real.results[0].result["messages"] == [
        f"Removing 'local diversion of {conf} to {conf}.distrib'",
        f"Adding 'diversion of {conf} to {conf}.pbe by pbe-test'",
    ]
    assert real.results[0].result["diversion"] == {
        "path": str(conf),
        "state": "present",
        "divert": f"{conf}.pbe",
        "holder": "pbe-test",
    }
    site = book(f'- dpkg_divert: {{path: "{conf}", state: absent, rename: true}}')
    check_predicts_run(site, LOCAL)
    assert diversion(conf) == ("", str(conf))
    assert conf.read_text() == "mine\n"


def test_rename_over_a_file_needs_force(conf: Path, book) -> None:
    Path(f"{conf}.distrib").write_text("theirs\n")
    site = book(f'- dpkg_divert: {{path: "{conf}", rename: true}}')
    for check in (True, False):
        failed = run(site, LOCAL, check=check).results[0]
        assert failed.status == "failed"
        assert failed.result["msg"] == "Set 'force' param to True to force renaming of files."
    assert diversion(conf) == ("", str(conf))
    site = book(f'- dpkg_divert: {{path: "{conf}", rename: true, force: true}}')
    check_predicts_run(site, LOCAL)
    assert diversion(conf) == ("LOCAL", f"{conf}.distrib")
    assert Path(f"{conf}.distrib").read_text() == "mine\n" and not conf.exists()
