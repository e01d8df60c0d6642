"""apt and package against this machine (tests run as root), from a private file-based apt
repository (``aptrepo.py``): install a version, upgrade to latest with a dependency, mark,
remove, purge, autoremove, .deb files, dist-upgrade, policy-rc.d. Every step is checked with
``check_predicts_run`` (check mode predicted the run; a second run changes nothing) and by
asking dpkg. The machine's own apt sources are never used; the packages are purged at the end.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aptrepo import LOCAL, AptRepo

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

pytestmark = pytest.mark.skipif(
    not shutil.which("apt-get") or os.geteuid() != 0, reason="needs apt-get and root"
)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[AptRepo]:
    built = AptRepo(tmp_path / "apt").build()
    built.update()
    try:
        yield built
    finally:
        built.purge()


def book(path: Path, repo: AptRepo, tasks: str) -> Path:
    """A play on localhost with the private apt configuration in its environment."""
    path.write_text(f"""
- hosts: all
  gather_facts: false
  environment:
    APT_CONFIG: {repo.config}
  tasks:
{tasks}""")
    return path


def registered(result: Any, index: int = 0) -> dict[str, Any]:
    return dict(result.results[index].result)


def test_install_upgrade_mark_remove_purge(tmp_path: Path, repo: AptRepo) -> None:
    main, dep = repo.main, repo.dep
    play = tmp_path / "site.yml"

    book(
        play,
        repo,
        f"    - apt: {{name: '{main}=1.0', update_cache: true, cache_valid_time: 3600}}\n",
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _absent(repo, main))
    assert repo.status(main) == ("ii", "1.0")
    assert repo.status(dep) is None
    result = registered(real)
    assert result["changed"] is True and result["cache_updated"] is False
    assert f"Setting up {main} (1.0)" in result["stdout"]

    book(play, repo, f"    - package: {{name: {main}, state: latest}}\n")
    check_predicts_run(play, LOCAL, unchanged=lambda: _version(repo, main, "1.0"))
    assert repo.status(main) == ("ii", "2.0")
    assert repo.status(dep) == ("ii", "1.0")
    assert dep in repo.auto(), "a dependency is marked automatically installed"

    book(play, repo, f"    - apt: {{name: {dep}}}\n")  # asked for by name: no longer auto
    real = check_predicts_run(play, LOCAL)
    assert [r.status for r in real.results] == ["ok"]
    assert dep not in repo.auto()

    book(play, repo, f"    - apt: {{name: {main}, state: absent}}\n")
    check_predicts_run(play, LOCAL, unchanged=lambda: _version(repo, main, "2.0"))
    assert repo.status(main) == ("rc", "2.0"), "removed, its conffile kept"

    book(play, repo, f"    - apt: {{name: '{repo.base}*', state: absent, purge: true}}\n")
    check_predicts_run(play, LOCAL, unchanged=lambda: _version(repo, main, "2.0", "rc"))
    assert repo.status(main) is None
    assert repo.status(dep) is None
    assert not Path(f"/etc/{main}").exists()


def test_update_cache_alone_refreshes_a_stale_cache(tmp_path: Path, repo: AptRepo) -> None:
    lists = repo.root / "state" / "lists"
    for entry in lists.glob("*Packages*"):
        entry.unlink()
    os.utime(lists, (0, 0))  # as old as can be: stale for any cache_valid_time
    play = book(
        tmp_path / "site.yml", repo, "    - apt: {update_cache: true, cache_valid_time: 3600}\n"
    )
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _no_lists(lists))
    result = registered(real)
    assert result["changed"] is True and result["cache_updated"] is True
    assert result["cache_update_time"] > 0
    assert list(lists.glob("*Packages*")), "the index was fetched"


def test_deb_files_and_downgrades(tmp_path: Path, repo: AptRepo) -> None:
    main, dep = repo.main, repo.dep
    play = book(tmp_path / "site.yml", repo, f"    - apt: {{deb: {repo.deb(main, '2.0')}}}\n")
    check_predicts_run(play, LOCAL, unchanged=lambda: _absent(repo, main))
    assert repo.status(main) == ("ii", "2.0")
    assert repo.status(dep) == ("ii", "1.0"), "its dependency came from the repository"

    older = book(tmp_path / "older.yml", repo, f"    - apt: {{deb: {repo.deb(main, '1.0')}}}\n")
    for check in (True, False):
        failed = run(older, LOCAL, check=check)
        assert registered(failed)["msg"] == "A later version is already installed"
    assert repo.status(main) == ("ii", "2.0")

    book(older, repo, f"    - apt: {{deb: {repo.deb(main, '1.0')}, allow_downgrade: true}}\n")
    check_predicts_run(older, LOCAL, unchanged=lambda: _version(repo, main, "2.0"))
    assert repo.status(main) == ("ii", "1.0")


def test_policy_rc_d_dist_upgrade_and_autoremove(tmp_path: Path, repo: AptRepo) -> None:
    main, dep = repo.main, repo.dep
    policy = Path("/usr/sbin/policy-rc.d")
    before = (policy.read_bytes(), policy.stat().st_mode) if policy.exists() else None
    play = book(
        tmp_path / "site.yml", repo, f"    - apt: {{name: '{main}=1.0', policy_rc_d: 101}}\n"
    )
    check_predicts_run(play, LOCAL, unchanged=lambda: _absent(repo, main))
    assert repo.policy_record(main).read_text() == "#!/bin/sh\nexit 101\n"
    after = (policy.read_bytes(), policy.stat().st_mode) if policy.exists() else None
    assert after == before, "policy-rc.d is put back as it was"

    book(play, repo, "    - apt: {upgrade: dist}\n")
    real = check_predicts_run(play, LOCAL, unchanged=lambda: _version(repo, main, "1.0"))
    assert repo.status(main) == ("ii", "2.0")
    assert "1 upgraded, 1 newly installed" in registered(real)["msg"]

    book(play, repo, f"    - apt: {{name: {main}, state: absent, purge: true, autoremove: true}}\n")
    check_predicts_run(play, LOCAL, unchanged=lambda: _version(repo, main, "2.0"))
    assert repo.status(main) is None
    assert repo.status(dep) is None, "the unused dependency went with it"


def test_failures_name_the_package(tmp_path: Path, repo: AptRepo) -> None:
    missing = f"{repo.base}-missing"
    play = book(
        tmp_path / "site.yml",
        repo,
        f"""    - apt: {{name: {missing}}}
      ignore_errors: true
    - apt: {{name: '{repo.main}=9.9'}}
      ignore_errors: true
    - apt: {{name: '{repo.base}-nothing*'}}
      ignore_errors: true
""",
    )
    for check in (True, False):
        result = run(play, LOCAL, check=check)
        assert [registered(result, i)["msg"] for i in range(3)] == [
            f"No package matching '{missing}' is available",
            f"no available installation candidate for {repo.main}=9.9",
            f"No package(s) matching '{repo.base}-nothing*' available",
        ]
    assert repo.status(repo.main) is None


def _absent(repo: AptRepo, name: str) -> None:
    assert repo.status(name) is None, f"check mode installed {name}"


def _version(repo: AptRepo, name: str, version: str, status: str = "ii") -> None:
    assert repo.status(name) == (status, version), "check mode changed the package"


def _no_lists(lists: Path) -> None:
    assert not list(lists.glob("*Packages*")), "check mode updated the cache"
