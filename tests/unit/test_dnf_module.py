"""dnf (and yum, its old name) against real dnf and rpm on this machine, in private
installroots fed from repositories built here: check mode predicts each run, the second
run changes nothing, and the root's rpm database holds what was asked for."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pkgrepos import LOCAL, DnfRoot, build_rpm, comps, dnf_root, need

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run


@pytest.fixture(scope="module")
def rpms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need("rpm", "rpmbuild", "dnf", "createrepo_c")
    out = tmp_path_factory.mktemp("rpms")
    return {
        "hello-1": build_rpm(out, "pbe-hello", "1.0"),
        "hello-2": build_rpm(out, "pbe-hello", "2.0"),
        "app": build_rpm(out, "pbe-app", "3.1", requires=("pbe-dep",)),
        "dep": build_rpm(out, "pbe-dep", "0.9"),
        "extra": build_rpm(out, "pbe-extra", "1.0"),
    }


@pytest.fixture
def root(tmp_path: Path, rpms: dict[str, Path]) -> DnfRoot:
    return dnf_root(tmp_path / "dnf")


def book(path: Path, root: DnfRoot, *tasks: dict[str, Any]) -> Path:
    """A playbook of dnf-family tasks, each pointed at the private root."""
    body = []
    for task in tasks:
        module = next(k for k in task if k not in ("register", "name"))
        body.append({**task, module: {**root.args(), **task[module]}})
    path = path / "site.yml"
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": body}]))
    return path


def results(real: Any) -> list[dict[str, Any]]:
    return [r.result for r in real.results]


def test_install_upgrade_remove_and_autoremove(
    tmp_path: Path, root: DnfRoot, rpms: dict[str, Path]
) -> None:
    root.publish([rpms["hello-1"], rpms["app"], rpms["dep"]])
    first = book(tmp_path, root, {"dnf": {"name": ["pbe-hello", "pbe-app"]}})
    real = check_predicts_run(first, LOCAL, unchanged=lambda: _empty(root))
    assert root.installed() == {"pbe-hello": "1.0-1", "pbe-app": "3.1-1", "pbe-dep": "0.9-1"}
    assert sorted(results(real)[0]["results"]) == [
        "Installed: pbe-app-3.1-1.noarch",
        "Installed: pbe-dep-0.9-1.noarch",
        "Installed: pbe-hello-1.0-1.noarch",
    ]

    root.publish([rpms["hello-2"]])
    second = book(
        tmp_path,
        root,
        {"yum": {"name": "pbe-hello"}},
        {"dnf": {"name": "pbe-hello", "state": "latest"}},
    )
    real = check_predicts_run(second, LOCAL, unchanged=lambda: _has(root, "pbe-hello", "1.0-1"))
    assert [r.status for r in real.results] == ["ok", "changed"]
    assert results(real)[0]["msg"] == "Nothing to do"
    assert results(real)[1]["results"] == [
        "Installed: pbe-hello-2.0-1.noarch",
        "Removed: pbe-hello-1.0-1.noarch",
    ]
    assert root.installed()["pbe-hello"] == "2.0-1"

    third = book(
        tmp_path,
        root,
        {"dnf": {"name": "pbe-app", "state": "absent"}},
        {"dnf": {"autoremove": True}},
    )
    real = check_predicts_run(third, LOCAL, unchanged=lambda: _has(root, "pbe-app", "3.1-1"))
    assert results(real)[0]["results"] == ["Removed: pbe-app-3.1-1.noarch"]
    assert results(real)[1]["results"] == ["Removed: pbe-dep-0.9-1.noarch"]
    assert root.installed() == {"pbe-hello": "2.0-1"}


def test_versions_downgrades_and_version_ranges(
    tmp_path: Path, root: DnfRoot, rpms: dict[str, Path]
) -> None:
    root.publish([rpms["hello-1"], rpms["hello-2"]])
    steps = book(
        tmp_path, root, {"dnf": {"name": "pbe-hello-2.0"}}, {"dnf": {"name": "pbe-hello-1.0"}}
    )
    real = check_predicts_run(steps, LOCAL, unchanged=lambda: _empty(root))
    assert [r.status for r in real.results] == ["changed", "ok"]  # no downgrade unasked
    assert root.installed() == {"pbe-hello": "2.0-1"}

    down = book(tmp_path, root, {"dnf": {"name": "pbe-hello-1.0", "allow_downgrade": True}})
    real = check_predicts_run(down, LOCAL, unchanged=lambda: _has(root, "pbe-hello", "2.0-1"))
    assert results(real)[0]["results"] == [
        "Installed: pbe-hello-1.0-1.noarch",
        "Removed: pbe-hello-2.0-1.noarch",
    ]
    ranged = book(tmp_path, root, {"dnf": {"name": "pbe-hello >= 2.0"}})
    check_predicts_run(ranged, LOCAL, unchanged=lambda: _has(root, "pbe-hello", "1.0-1"))
    assert root.installed() == {"pbe-hello": "2.0-1"}


@pytest.fixture
def served(rpms: dict[str, Path]) -> Iterator[str]:
    """The built rpms over HTTP on loopback, for installs from a URL."""
    handler = functools.partial(_QuietHandler, directory=str(rpms["app"].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def test_local_file_and_url(
    tmp_path: Path, root: DnfRoot, rpms: dict[str, Path], served: str
) -> None:
    root.publish([rpms["dep"]])
    url = f"{served}/{rpms['app'].name}"
    steps = book(tmp_path, root, {"dnf": {"name": str(rpms["hello-1"])}}, {"dnf": {"name": url}})
    real = check_predicts_run(steps, LOCAL, unchanged=lambda: _empty(root))
    assert root.installed() == {"pbe-hello": "1.0-1", "pbe-app": "3.1-1", "pbe-dep": "0.9-1"}
    assert results(real)[0]["results"] == [
        f"Installed {rpms['hello-1']}",
        "Installed: pbe-hello-1.0-1.noarch",
    ]
    older = book(
        tmp_path,
        root,
        {"dnf": {"name": str(rpms["hello-2"])}},
        {"dnf": {"name": str(rpms["hello-1"])}},
    )
    real = check_predicts_run(older, LOCAL, unchanged=lambda: _has(root, "pbe-hello", "1.0-1"))
    assert [r.status for r in real.results] == ["changed", "ok"]
    assert root.installed()["pbe-hello"] == "2.0-1"


def test_missing_package_fails_in_check_mode_too(
    tmp_path: Path, root: DnfRoot, rpms: dict[str, Path]
) -> None:
    root.publish([rpms["hello-1"]])
    steps = book(tmp_path, root, {"dnf": {"name": ["pbe-hello", "pbe-nosuch"]}})
    checked = run(steps, LOCAL, check=True)
    real = run(steps, LOCAL)
    for outcome in (checked, real):
        assert outcome.results[0].status == "failed"
        assert (
            outcome.results[0].result["msg"] == "Failed to install some of the specified packages"
        )
        assert outcome.results[0].result["failures"] == ["No package pbe-nosuch available."]
    assert root.installed() == {}  # dnf installs all or nothing


def test_groups(tmp_path: Path, root: DnfRoot, rpms: dict[str, Path]) -> None:
    root.publish(
        [rpms["hello-1"], rpms["dep"]],
        group=comps("pbe-tools", "PBE Tools", ["pbe-hello", "pbe-dep"]),
    )
    steps = book(tmp_path, root, {"dnf": {"name": "@pbe-tools"}})
    real = check_predicts_run(steps, LOCAL, unchanged=lambda: _empty(root))
    assert root.installed() == {"pbe-hello": "1.0-1", "pbe-dep": "0.9-1"}
    assert "Group pbe-tools installed." in results(real)[0]["results"]
    gone = book(tmp_path, root, {"dnf": {"name": "@pbe-tools", "state": "absent"}})
    check_predicts_run(gone, LOCAL, unchanged=lambda: _has(root, "pbe-dep", "0.9-1"))
    assert root.installed() == {}


def test_enablerepo_disablerepo_and_exclude(
    tmp_path: Path, root: DnfRoot, rpms: dict[str, Path]
) -> None:
    root.publish([rpms["hello-1"]])
    root.publish([rpms["extra"]], repo_id="pbe-extra")
    steps = book(
        tmp_path,
        root,
        {"dnf": {"name": "pbe-extra"}},
        {"dnf": {"name": "pbe-hello", "disablerepo": "pbe"}},
        {"dnf": {"name": "pbe-hello", "exclude": ["pbe-hel*"]}},
    )
    checked, real = run(steps, LOCAL, check=True), run(steps, LOCAL)
    for outcome in (checked, real):
        assert [r.status for r in outcome.results] == ["failed"]  # the play stops there
    both = book(
        tmp_path,
        root,
        {"dnf": {"name": "pbe-extra", "enablerepo": "pbe-extra"}},
        {"dnf": {"name": "pbe-hello", "disablerepo": "pbe", "enablerepo": "pbe-e*"}},
    )
    real = check_predicts_run(both, LOCAL, unchanged=lambda: _empty(root))
    assert root.installed() == {"pbe-extra": "1.0-1"}
    assert real.results[1].status == "failed"
    assert real.results[1].result["failures"] == ["No package pbe-hello available."]


def test_gpg_check_and_disable_gpg_check(tmp_path: Path, rpms: dict[str, Path]) -> None:
    root = dnf_root(tmp_path / "dnf", gpgcheck=True)
    root.publish([rpms["hello-1"]])
    signed_only = book(tmp_path, root, {"dnf": {"name": "pbe-hello"}})
    failed = run(signed_only, LOCAL)
    assert failed.results[0].status == "failed"
    msg = failed.results[0].result["msg"]
    assert "you do not have any GPG public keys installed" in msg
    assert msg.endswith("Problem repository: [pbe]")
    assert root.installed() == {}
    unchecked = book(tmp_path, root, {"dnf": {"name": "pbe-hello", "disable_gpg_check": True}})
    check_predicts_run(unchecked, LOCAL, unchanged=lambda: _empty(root))
    assert root.installed() == {"pbe-hello": "1.0-1"}


def test_update_cache_sees_new_versions(
    tmp_path: Path, root: DnfRoot, rpms: dict[str, Path]
) -> None:
    for repo in (root.base / "repos.d").iterdir():  # keep metadata for a day, as usual
        repo.write_text(repo.read_text().replace("metadata_expire=0", "metadata_expire=1d"))
    root.publish([rpms["hello-1"]])
    check_predicts_run(book(tmp_path, root, {"dnf": {"name": "pbe-hello"}}), LOCAL)
    root.publish([rpms["hello-2"]], keep_cache=True)
    stale = book(tmp_path, root, {"dnf": {"name": "pbe-hello", "state": "latest"}})
    assert run(stale, LOCAL).results[0].status == "ok"  # the cached metadata knows no 2.0
    fresh = book(
        tmp_path, root, {"dnf": {"name": "pbe-hello", "state": "latest", "update_cache": True}}
    )
    check_predicts_run(fresh, LOCAL, unchanged=lambda: _has(root, "pbe-hello", "1.0-1"))
    assert root.installed() == {"pbe-hello": "2.0-1"}


def _empty(root: DnfRoot) -> None:
    assert root.installed() == {}


def _has(root: DnfRoot, name: str, version: str) -> None:
    assert root.installed().get(name) == version
