"""composer, run for real with this machine's php and composer (Debian's `composer`
package) on a project under tmp_path that needs no network: packagist is off and the one
package comes from a path repository beside it. Skipped where composer is not installed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.modules.composer import Composer, Project, options
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
needs_composer = pytest.mark.skipif(
    not (shutil.which("composer") and shutil.which("php")), reason="composer is not installed"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    pkg, proj = tmp_path / "pkg", tmp_path / "proj"
    (pkg / "src").mkdir(parents=True)
    proj.mkdir()
    (pkg / "composer.json").write_text(
        json.dumps({"name": "pbe/hello", "version": "1.0.0",
                    "autoload": {"psr-4": {"Pbe\\Hello\\": "src/"}}})
    )  # fmt: skip
    (pkg / "src" / "Hi.php").write_text("<?php namespace Pbe\\Hello; class Hi {}\n")
    repos = [{"packagist.org": False}, {"type": "path", "url": "../pkg",
                                        "options": {"symlink": False}}]  # fmt: skip
    (proj / "composer.json").write_text(json.dumps({"name": "pbe/proj", "repositories": repos}))
    return proj


def _book(tmp_path: Path, tasks: list[dict[str, Any]]) -> Path:
    env = {"COMPOSER_HOME": str(tmp_path / "home"), "COMPOSER_CACHE_DIR": str(tmp_path / "cache")}
    lines = ["- hosts: all", "  gather_facts: false", f"  environment: {env!r}", "  tasks:"]
    lines += [f"    - community.general.composer: {task!r}" for task in tasks]
    book = tmp_path / "site.yml"
    book.write_text("\n".join(lines) + "\n")
    return book


@needs_composer
def test_require_install_and_config_check_predicts_run(project: Path, tmp_path: Path) -> None:
    wd = str(project)
    book = _book(
        tmp_path,
        [
            {"command": "require", "arguments": "pbe/hello", "working_dir": wd},
            {"command": "install", "working_dir": wd, "no_dev": True},
            {"command": "config", "arguments": "sort-packages true", "working_dir": wd},
        ],
    )
    before = (project / "composer.json").read_text()
    real = check_predicts_run(book, LOCAL, lambda: _untouched(project, before))
    assert [r.status for r in real.results] == ["changed", "ok", "changed"]
    assert (project / "vendor" / "pbe" / "hello" / "src" / "Hi.php").is_file()
    manifest = json.loads((project / "composer.json").read_text())
    assert manifest["require"] == {"pbe/hello": "^1.0"}
    assert manifest["config"] == {"sort-packages": True}
    first = real.results[0].result
    assert "Installing pbe/hello (1.0.0)" in first["stdout"]
    assert "\n" not in first["msg"] and "Locking pbe/hello (1.0.0)" in first["msg"]


def _untouched(project: Path, before: str) -> None:
    assert (project / "composer.json").read_text() == before
    assert not (project / "vendor").exists() and not (project / "composer.lock").exists()


@needs_composer
def test_create_project_is_skipped_where_composer_json_exists_and_failures_say_why(
    project: Path, tmp_path: Path
) -> None:
    wd = str(project)
    book = _book(
        tmp_path,
        [
            {"command": "create-project", "arguments": "pbe/hello x", "working_dir": wd},
            {"command": "require", "arguments": "pbe/missing", "working_dir": wd},
        ],
    )
    result = run(book, LOCAL)
    created, missing = result.results
    assert created.status == "ok"
    assert created.result["msg"] == (
        "composer.json already exists in working_dir, skipping create-project"
    )
    assert missing.status == "failed"
    assert "Could not find a matching version of package pbe/missing" in missing.result["msg"]
    assert not (project / "vendor").exists()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"command": "require pbe/x", "working_dir": "/srv"}, "Use the 'arguments' param"),
        ({"command": "install"}, "all of the following are missing: working_dir"),
    ],
)
def test_bad_arguments_fail_before_the_host_is_asked(
    tmp_path: Path, given: dict[str, Any], message: str
) -> None:
    result = run(_book(tmp_path, [given]), LOCAL)
    assert result.results[0].status == "failed"
    assert message in result.results[0].result["msg"]


def test_options_are_the_ones_the_command_takes_in_ansibles_order() -> None:
    args = Composer.coerce(
        {"working_dir": "/srv", "prefer_dist": True, "apcu_autoloader": True, "no_scripts": True}
    )
    takes = frozenset({"no-ansi", "no-interaction", "no-dev", "prefer-dist", "apcu-autoloader",
                       "optimize-autoloader", "dry-run"})  # fmt: skip
    assert options(args, Project(True, takes), dry=True) == [
        "--no-ansi", "--no-interaction", "--prefer-dist", "--no-dev", "--apcu-autoloader",
        "--optimize-autoloader", "--dry-run",
    ]  # fmt: skip
