"""community.general.pacman against real pacman on this machine, in a private root fed from
a file:// repository built here: check mode predicts each run, the second run changes
nothing, and the root's database holds what was asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pkgrepos import LOCAL, PacmanRoot, need, pacman_root

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run


@pytest.fixture
def root(tmp_path: Path) -> PacmanRoot:
    need("pacman", "bsdtar", "zstd")
    made = pacman_root(tmp_path / "pacman")
    made.publish("pbe-dep", "0.9-1")
    made.publish("pbe-app", "1.0-1", depends=("pbe-dep",))
    made.publish("pbe-tool", "2.0-1", group="pbe-kit")
    made.refresh()
    return made


def book(tmp: Path, root: PacmanRoot, *tasks: dict[str, Any]) -> Path:
    body = [
        {"community.general.pacman": {**root.args(), **task}, "ignore_errors": True}
        for task in tasks
    ]
    path = tmp / "site.yml"
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": body}]))
    return path


def test_install_with_dependency_then_remove(tmp_path: Path, root: PacmanRoot) -> None:
    first = book(tmp_path, root, {"name": "pbe-app"}, {"name": ["pbe-app", "pbe-dep"]})
    real = check_predicts_run(first, LOCAL, unchanged=lambda: _is(root, {}))
    assert [r.status for r in real.results] == ["changed", "ok"]
    assert real.results[0].result["packages"] == ["pbe-dep", "pbe-app"]
    assert real.results[0].result["msg"] == "Installed 2 package(s)"
    assert real.results[1].result["msg"] == "package(s) already installed"
    assert root.installed() == {"pbe-app": "1.0-1", "pbe-dep": "0.9-1"}
    assert root.explicit() == {"pbe-app"}

    gone = book(tmp_path, root, {"name": "pbe-app", "state": "absent"})
    real = check_predicts_run(
        gone,
        LOCAL,
        unchanged=lambda: _is(root, {"pbe-app": "1.0-1", "pbe-dep": "0.9-1"}),
        diff=True,
    )
    assert real.results[0].result["packages"] == ["pbe-app-1.0-1"]
    assert real.results[0].result["diff"] == {"before": "pbe-app-1.0-1\n", "after": ""}
    assert root.installed() == {"pbe-dep": "0.9-1"}


def test_check_messages_and_predicted_state(tmp_path: Path, root: PacmanRoot) -> None:
    steps = book(
        tmp_path,
        root,
        {"name": "pbe-tool"},
        {"name": "pbe-tool"},
        {"name": "pbe-tool", "state": "absent"},
    )
    checked = run(steps, LOCAL, check=True)
    assert [r.status for r in checked.results] == ["changed", "ok", "changed"]
    assert checked.results[0].result["msg"] == "Would have installed 1 packages"
    assert root.installed() == {}
    real = run(steps, LOCAL)
    assert [r.status for r in real.results] == ["changed", "ok", "changed"]
    assert root.installed() == {}


def test_latest_group_and_reason(tmp_path: Path, root: PacmanRoot) -> None:
    first = book(tmp_path, root, {"name": "pbe-kit", "reason": "dependency"})
    check_predicts_run(first, LOCAL, unchanged=lambda: _is(root, {}))
    assert root.installed() == {"pbe-tool": "2.0-1"}
    assert root.explicit() == set()

    root.publish("pbe-tool", "2.1-1", group="pbe-kit")
    latest = book(
        tmp_path,
        root,
        {"name": "pbe-tool", "state": "latest", "update_cache": True},
        {"name": "pbe-tool", "reason": "explicit", "reason_for": "all"},
    )
    real = check_predicts_run(latest, LOCAL, unchanged=lambda: _is(root, {"pbe-tool": "2.0-1"}))
    assert real.results[0].result["packages"] == ["pbe-tool"]
    assert real.results[0].result["cache_updated"] is True
    assert real.results[1].status == "changed"
    assert root.installed() == {"pbe-tool": "2.1-1"}
    assert root.explicit() == {"pbe-tool"}


def test_unknown_package_fails(tmp_path: Path, root: PacmanRoot) -> None:
    real = run(book(tmp_path, root, {"name": ["pbe-app", "pbe-nope"]}), LOCAL, check=True)
    assert real.results[0].status == "failed"
    assert real.results[0].result["msg"] == "Failed to list package pbe-nope"
    assert root.installed() == {}


def _is(root: PacmanRoot, packages: dict[str, str]) -> None:
    assert root.installed() == packages
