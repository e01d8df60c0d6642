"""The community.docker modules end to end on the local connection, against a fake `docker`
program (tests/unit/modules/fakedocker.py) first on PATH: this machine has the docker CLI
but no engine. The fake records every argv and keeps a tiny state file, so a test asserts
the exact commands the module issued, the result, that check mode predicted the run and
that a second run changes nothing."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}
FAKE = Path(__file__).parent / "modules" / "fakedocker.py"


class FakeDocker:
    """The fake's home: its calls (argv lists) and its state."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def calls(self) -> list[list[str]]:
        log = self.home / "calls.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [json.loads(line) for line in lines]

    def reset_calls(self) -> None:
        (self.home / "calls.jsonl").unlink(missing_ok=True)

    def state(self) -> dict[str, Any]:
        path = self.home / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture
def docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    home = tmp_path / "fakedocker"
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "docker"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PBE_FAKE_DOCKER", str(home))
    return FakeDocker(home)


def book(tmp_path: Path, tasks: str) -> Path:
    path = tmp_path / "site.yml"
    path.write_text(f"- hosts: all\n  gather_facts: false\n  tasks:\n{tasks}")
    return path


def project(tmp_path: Path, image: str = "nginx:1.27") -> Path:
    src = tmp_path / "web app"
    src.mkdir(exist_ok=True)
    (src / "compose.yaml").write_text(
        f"services:\n  web:\n    image: {image}\n  cache:\n    image: redis:7\n"
    )
    return src


# ---- docker_compose_v2 ---------------------------------------------------------------


def test_compose_up_is_predicted_then_idempotent(tmp_path: Path, docker: FakeDocker) -> None:
    src = project(tmp_path)
    path = book(
        tmp_path,
        f"""    - community.docker.docker_compose_v2:
        project_src: "{src}"
        build: never
      register: up
""",
    )
    real = check_predicts_run(path, LOCAL, unchanged=lambda: None)
    assert [r.status for r in real.results] == ["changed"]
    result = real.results[0].result
    assert [(a["what"], a["id"], a["status"]) for a in result["actions"]] == [
        ("network", "webapp_default", "Creating"),
        ("container", "webapp-cache-1", "Creating"),
        ("container", "webapp-cache-1", "Starting"),
        ("container", "webapp-web-1", "Creating"),
        ("container", "webapp-web-1", "Starting"),
    ]
    assert sorted(c["Name"] for c in result["containers"]) == ["webapp-cache-1", "webapp-web-1"]
    assert all(c["State"] == "running" for c in result["containers"])
    assert result["containers"][0]["Labels"]["com.docker.compose.service"] == "cache"
    assert sorted(i["Repository"] for i in result["images"]) == ["nginx", "redis"]
    assert set(docker.state()["containers"]) == {"webapp-cache-1", "webapp-web-1"}


def test_compose_commands_are_dry_run_then_up(tmp_path: Path, docker: FakeDocker) -> None:
    """One round trip asks Compose with --dry-run and lists the project; the real `up`
    runs only when the dry run changes something, with the arguments Ansible passes."""
    src = project(tmp_path)
    path = book(
        tmp_path,
        f"""    - docker_compose_v2:
        project_src: "{src}"
        build: never
        pull: missing
        remove_orphans: true
        services: [web]
""",
    )
    assert run(path, LOCAL).exit_code == 0
    base = ["compose", "--ansi", "never", "--progress", "plain", "--project-directory", str(src)]
    up = [*base, "up", "--detach", "--no-color", "--quiet-pull", "--pull", "missing"]
    up += ["--remove-orphans", "--no-build"]
    listing = [
        [*base, "ps", "--format", "json", "--all", "--no-trunc"],
        [*base, "images", "--format", "json"],
    ]
    assert docker.calls() == [
        [*up, "--dry-run", "--", "web"],
        *listing,
        [*up, "--", "web"],
        *listing,
    ]
    assert set(docker.state()["containers"]) == {"webapp-web-1"}
    docker.reset_calls()
    again = run(path, LOCAL)
    assert [r.status for r in again.results] == ["ok"]
    assert docker.calls() == [[*up, "--dry-run", "--", "web"], *listing]


def test_compose_recreates_a_changed_service_and_stops_and_removes(
    tmp_path: Path, docker: FakeDocker
) -> None:
    src = project(tmp_path)
    task = f'    - docker_compose_v2: {{project_src: "{src}", state: STATE}}\n      register: r\n'
    assert run(book(tmp_path, task.replace("STATE", "present")), LOCAL).exit_code == 0
    project(tmp_path, image="nginx:1.28")
    real = check_predicts_run(book(tmp_path, task.replace("STATE", "present")), LOCAL)
    assert [(a["id"], a["status"]) for a in real.results[0].result["actions"]] == [
        ("webapp-web-1", "Recreate"),
        ("webapp-web-1", "Starting"),
    ]
    assert docker.state()["containers"]["webapp-web-1"]["image"] == "nginx:1.28"

    def running() -> None:
        states = {c["state"] for c in docker.state()["containers"].values()}
        assert states == {"running"}

    stopped = check_predicts_run(book(tmp_path, task.replace("STATE", "stopped")), LOCAL, running)
    assert {c["State"] for c in stopped.results[0].result["containers"]} == {"exited"}
    assert {c["state"] for c in docker.state()["containers"].values()} == {"exited"}

    def present() -> None:
        assert len(docker.state()["containers"]) == 2

    gone = check_predicts_run(book(tmp_path, task.replace("STATE", "absent")), LOCAL, present)
    assert gone.results[0].result["containers"] == []
    assert docker.state()["containers"] == {} and docker.state()["networks"] == []


def test_compose_restarted_always_restarts(tmp_path: Path, docker: FakeDocker) -> None:
    src = project(tmp_path)
    up = f'    - docker_compose_v2: {{project_src: "{src}"}}\n'
    restart = f'    - docker_compose_v2: {{project_src: "{src}", state: restarted}}\n'
    result = run(book(tmp_path, up + restart), LOCAL)
    assert [r.status for r in result.results] == ["changed", "changed"]
    assert {a["status"] for a in result.results[1].result["actions"]} == {"Restarting"}


def test_compose_without_a_compose_file_fails_clearly(tmp_path: Path, docker: FakeDocker) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    tasks = (
        f'    - docker_compose_v2: {{project_src: "{empty}"}}\n      ignore_errors: true\n'
        f'    - docker_compose_v2: {{project_src: "{tmp_path}/nowhere"}}\n'
    )
    result = run(book(tmp_path, tasks), LOCAL)
    first, second = (r.result["msg"] for r in result.results)
    assert first == (
        f'"{empty}" does not contain compose.yaml, compose.yml, docker-compose.yaml, '
        "or docker-compose.yml"
    )
    assert second == f'"{tmp_path}/nowhere" is not a directory'
    assert docker.calls() == []


# ---- docker_login ----------------------------------------------------------------------

SECRET = "s3cr3t-Pa55 'x\""


def login_task(config: Path | None, **extra: Any) -> str:
    args = {"registry_url": "https://registry.example.com", "username": "deploy"}
    args["password"] = SECRET
    if config is not None:
        args["config_path"] = str(config)
    args.update(extra)
    return f"    - community.docker.docker_login: {json.dumps(args)}\n      register: login\n"


def test_login_stores_credentials_and_the_password_goes_on_stdin_only(
    tmp_path: Path, docker: FakeDocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cfg" / "config.json"
    path = book(tmp_path, login_task(config))
    events: list[Any] = []
    real = check_predicts_run(
        path, LOCAL, unchanged=lambda: assert_missing(config), on_event=events.append
    )
    assert [r.status for r in real.results] == ["changed"]
    assert real.results[0].result["login_result"] == {
        "serveraddress": "registry.example.com",
        "username": "deploy",
    }
    stored = json.loads(config.read_text())["auths"]["registry.example.com"]["auth"]
    assert stored == base64.b64encode(f"deploy:{SECRET}".encode()).decode()
    assert docker.calls() == [
        ["--config", str(config.parent), "login", "--username", "deploy", "--password-stdin"]
        + ["https://registry.example.com"]
    ]
    assert SECRET not in (docker.home / "calls.jsonl").read_text()
    assert not [e for e in events if SECRET in repr(e)]
    assert SECRET not in json.dumps([r.result for r in real.results])


def assert_missing(path: Path) -> None:
    assert not path.exists()


def test_login_reauthorize_changed_password_and_logout(
    tmp_path: Path, docker: FakeDocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default config path is the host user's ~/.docker/config.json."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    config = tmp_path / ".docker" / "config.json"
    tasks = login_task(None) + login_task(None) + login_task(None, reauthorize=True)
    result = run(book(tmp_path, tasks), LOCAL)
    assert [r.status for r in result.results] == ["changed", "ok", "changed"]
    assert "registry.example.com" in json.loads(config.read_text())["auths"]
    out = login_task(None, state="absent").replace(f', "password": {json.dumps(SECRET)}', "")
    gone = check_predicts_run(book(tmp_path, out), LOCAL)
    assert [r.status for r in gone.results] == ["changed"]
    assert json.loads(config.read_text())["auths"] == {}


def test_login_failure_says_why_without_the_password(tmp_path: Path, docker: FakeDocker) -> None:
    config = tmp_path / "config.json"
    task = login_task(config).replace(json.dumps(SECRET), '"wrong"')
    result = run(book(tmp_path, task), LOCAL)
    assert result.results[0].status == "failed"
    assert result.results[0].result["msg"] == (
        "docker login failed (rc=1): Error response from daemon: Get "
        '"https://registry.example.com/v2/": unauthorized: incorrect username or password'
    )
    assert not config.exists()


def test_login_config_path_must_be_a_config_json(tmp_path: Path, docker: FakeDocker) -> None:
    result = run(book(tmp_path, login_task(tmp_path / ".mydockercfg")), LOCAL)
    assert result.results[0].result["msg"] == (
        f"config_path {tmp_path}/.mydockercfg: the docker CLI keeps its config in a file "
        "named config.json (its --config option takes the directory)"
    )
    assert docker.calls() == []
