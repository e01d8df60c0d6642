"""community.general.zypper against real zypper and rpm on this machine, in a private root
(``extra_args_precommand: --root …``, as Ansible's module takes it) fed from a repository
built here: check mode predicts each run, the second run changes nothing, and the root's
rpm database holds what was asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pkgrepos import LOCAL, ZypperRoot, build_rpm, need, zypper_root

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run


@pytest.fixture(scope="module")
def rpms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need("rpm", "rpmbuild", "zypper", "createrepo_c")
    out = tmp_path_factory.mktemp("zrpms")
    return {
        "hello-1": build_rpm(out, "pbe-hello", "1.0"),
        "hello-2": build_rpm(out, "pbe-hello", "2.0"),
        "app": build_rpm(out, "pbe-app", "3.1", requires=("pbe-dep",)),
        "dep": build_rpm(out, "pbe-dep", "0.9"),
    }


@pytest.fixture
def root(tmp_path: Path, rpms: dict[str, Path]) -> ZypperRoot:
    made = zypper_root(tmp_path / "zypper")
    made.publish([rpms["hello-1"], rpms["app"], rpms["dep"]])
    return made


def book(tmp: Path, root: ZypperRoot, *tasks: dict[str, Any]) -> Path:
    body = [
        {"community.general.zypper": {**root.args(), **task}, "ignore_errors": True}
        for task in tasks
    ]
    path = tmp / "site.yml"
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": body}]))
    return path


def test_install_present_latest_remove(
    tmp_path: Path, root: ZypperRoot, rpms: dict[str, Path]
) -> None:
    first = book(tmp_path, root, {"name": ["pbe-app", "pbe-hello"]}, {"name": "pbe-app"})
    real = check_predicts_run(first, LOCAL, unchanged=lambda: _is(root, {}))
    assert [r.status for r in real.results] == ["changed", "ok"]
    assert real.results[0].result["name"] == ["pbe-app", "pbe-hello"]
    assert root.installed() == {"pbe-app": "3.1-1", "pbe-dep": "0.9-1", "pbe-hello": "1.0-1"}

    root.publish([rpms["hello-2"]])
    present = book(tmp_path, root, {"name": ["pbe-hello", "pbe-app"]})
    real = check_predicts_run(present, LOCAL)  # installed is enough: no upgrade
    assert [r.status for r in real.results] == ["ok"]
    assert root.installed()["pbe-hello"] == "1.0-1"

    latest = book(
        tmp_path,
        root,
        {"name": "pbe-hello", "state": "latest"},
        {"name": "pbe-app", "state": "absent"},
    )
    real = check_predicts_run(
        latest,
        LOCAL,
        unchanged=lambda: _is(root, {"pbe-app": "3.1-1", "pbe-dep": "0.9-1", "pbe-hello": "1.0-1"}),
    )
    assert [r.status for r in real.results] == ["changed", "changed"]
    assert root.installed() == {"pbe-dep": "0.9-1", "pbe-hello": "2.0-1"}


def test_check_run_follows_earlier_tasks(tmp_path: Path, root: ZypperRoot) -> None:
    steps = book(
        tmp_path,
        root,
        {"name": "pbe-app"},
        {"name": "pbe-dep"},
        {"name": "pbe-app", "state": "absent"},
    )
    checked = run(steps, LOCAL, check=True)
    real = run(steps, LOCAL)
    assert [r.status for r in checked.results] == ["changed", "ok", "changed"]
    assert [r.status for r in real.results] == ["changed", "ok", "changed"]
    assert root.installed() == {"pbe-dep": "0.9-1"}


def test_unknown_package_fails(tmp_path: Path, root: ZypperRoot) -> None:
    real = run(book(tmp_path, root, {"name": ["pbe-app", "pbe-nope"]}), LOCAL, check=True)
    assert real.results[0].status == "failed"
    assert real.results[0].result["msg"] == "No provider of 'pbe-nope' found."
    assert real.results[0].result["rc"] == 104
    assert root.installed() == {}


def _is(root: ZypperRoot, packages: dict[str, str]) -> None:
    assert root.installed() == packages
