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


# ---- docker_container ------------------------------------------------------------------


def nginx(version: str) -> dict[str, Any]:
    """An image as `docker image inspect` documents it (the fields pbe reads)."""
    return {
        "Id": "sha256:" + (version.replace(".", "") * 32)[:64],
        "RepoTags": [f"nginx:{version}"],
        "Config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["nginx", "-g", "daemon off;"],
            "Entrypoint": ["/docker-entrypoint.sh"],
            "ExposedPorts": {"80/tcp": {}},
            "Labels": {"maintainer": "NGINX Docker Maintainers"},
        },
    }


@pytest.fixture
def registry(docker: FakeDocker) -> FakeDocker:
    state = {"containers": {}, "networks": [], "images": {}, "auths": {}}
    state["registry"] = {"nginx:1.27": nginx("1.27"), "nginx:1.28": nginx("1.28")}
    (docker.home / "state.json").write_text(json.dumps(state))
    return docker


WEB = {
    "name": "web",
    "image": "nginx:1.27",
    "env": {"MODE": "prod", "WORKERS": 4},
    "labels": {"tier": "front"},
    "published_ports": ["127.0.0.1:8080:80", "8443:443/tcp"],
    "volumes": ["/srv/www:/usr/share/nginx/html:ro", "/cache"],
    "restart_policy": "unless-stopped",
    "capabilities": ["net_admin"],
    "log_driver": "json-file",
    "log_options": {"max-size": "10m"},
    "memory": "256m",
    "command": "nginx -g 'daemon off;'",
}


def container_task(**args: Any) -> str:
    return f"    - community.docker.docker_container: {json.dumps(args)}\n      register: c\n"


def test_container_is_created_as_asked_then_left_alone(
    tmp_path: Path, registry: FakeDocker
) -> None:
    path = book(tmp_path, container_task(**WEB))
    real = check_predicts_run(path, LOCAL, unchanged=lambda: assert_no_container(registry, "web"))
    assert [r.status for r in real.results] == ["changed"]
    inspect = registry.state()["containers"]["web"]["inspect"]
    assert inspect["State"]["Running"] is True
    assert "MODE=prod" in inspect["Config"]["Env"] and "WORKERS=4" in inspect["Config"]["Env"]
    assert inspect["HostConfig"]["PortBindings"]["80/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": "8080"}
    ]
    assert inspect["HostConfig"]["Memory"] == 256 * 1024 * 1024
    assert real.results[0].result["container"]["Name"] == "/web"
    create = next(c for c in registry.calls() if c[0] == "create")
    assert create == [
        "create", "--name", "web", "--env", "MODE=prod", "--env", "WORKERS=4",
        "--label", "tier=front", "--publish", "127.0.0.1:8080:80", "--publish", "8443:443/tcp",
        "--volume", "/srv/www:/usr/share/nginx/html:ro", "--volume", "/cache",
        "--cap-add", "net_admin", "--log-driver", "json-file", "--log-opt", "max-size=10m",
        "--memory", "256m", "--restart", "unless-stopped", "nginx:1.27",
        "nginx", "-g", "daemon off;",
    ]  # fmt: skip
    registry.reset_calls()
    assert [r.status for r in run(path, LOCAL).results] == ["ok"]
    assert registry.calls() == [
        ["container", "inspect", "web"],
        ["image", "inspect", "nginx:1.27"],
    ]


def assert_no_container(docker: FakeDocker, name: str) -> None:
    assert name not in docker.state().get("containers", {})


def test_container_recreated_on_a_difference_then_stopped_and_removed(
    tmp_path: Path, registry: FakeDocker
) -> None:
    assert run(book(tmp_path, container_task(**WEB)), LOCAL).exit_code == 0
    first = registry.state()["containers"]["web"]["inspect"]["Id"]
    changed = {**WEB, "image": "nginx:1.28", "env": {"MODE": "dev"}}
    real = check_predicts_run(book(tmp_path, container_task(**changed)), LOCAL)
    inspect = registry.state()["containers"]["web"]["inspect"]
    assert inspect["Id"] != first and inspect["Image"] == nginx("1.28")["Id"]
    assert "MODE=dev" in inspect["Config"]["Env"]
    assert real.results[0].result["container"]["Config"]["Image"] == "nginx:1.28"
    stopped = {**changed, "state": "stopped"}
    check_predicts_run(book(tmp_path, container_task(**stopped)), LOCAL)
    assert registry.state()["containers"]["web"]["inspect"]["State"]["Running"] is False
    gone = check_predicts_run(book(tmp_path, container_task(name="web", state="absent")), LOCAL)
    assert gone.results[0].result["container"] == {}
    assert_no_container(registry, "web")


def test_container_joins_a_network_without_recreation(tmp_path: Path, registry: FakeDocker) -> None:
    base = {"name": "api", "image": "nginx:1.27", "networks": [{"name": "front"}]}
    assert run(book(tmp_path, container_task(**base)), LOCAL).exit_code == 0
    ident = registry.state()["containers"]["api"]["inspect"]["Id"]
    more = {**base, "networks": [{"name": "front"}, {"name": "back", "aliases": ["db"]}]}
    registry.reset_calls()
    check_predicts_run(book(tmp_path, container_task(**more)), LOCAL)
    inspect = registry.state()["containers"]["api"]["inspect"]
    assert inspect["Id"] == ident
    assert inspect["NetworkSettings"]["Networks"]["back"]["Aliases"] == ["db"]
    assert ["network", "connect", "--alias", "db", "back", "api"] in registry.calls()


def test_container_run_to_completion_with_cleanup(
    tmp_path: Path, registry: FakeDocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = {"name": "job", "image": "nginx:1.27", "detach": False, "cleanup": True}
    result = run(book(tmp_path, container_task(**job)), LOCAL)
    assert result.results[0].status == "changed"
    assert result.results[0].result["status"] == 0
    assert result.results[0].result["container"]["Output"] == "hello from job"
    assert_no_container(registry, "job")
    monkeypatch.setenv("PBE_FAKE_EXIT", "3")
    failed = run(book(tmp_path, container_task(**job)), LOCAL)
    assert failed.results[0].status == "failed"
    assert failed.results[0].result["status"] == 3


def test_container_image_missing_with_pull_never(tmp_path: Path, registry: FakeDocker) -> None:
    task = container_task(name="x", image="redis:7", pull="never")
    result = run(book(tmp_path, task), LOCAL)
    assert result.results[0].result["msg"] == (
        "Cannot find image with name redis:7, and pull=never"
    )
    assert [c[0] for c in registry.calls()] == ["container", "image"]


# ---- docker_image, docker_image_info ---------------------------------------------------


def image_task(module: str = "docker_image", **args: Any) -> str:
    return f"    - {module}: {json.dumps(args)}\n      register: i\n"


def test_image_built_from_a_directory(tmp_path: Path, registry: FakeDocker) -> None:
    """What ansible-for-devops' docker playbook does."""
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "Dockerfile").write_text('FROM busybox\nCMD ["true"]\n')
    build = {"path": str(tmp_path / "test"), "args": {"VERSION": "1"}}
    path = book(tmp_path, image_task(name="test", source="build", build=build, state="present"))
    real = check_predicts_run(path, LOCAL, unchanged=lambda: assert_no_image(registry, "test"))
    result = real.results[0].result
    assert result["actions"] == [f"Built image test:latest from {tmp_path / 'test'}"]
    assert result["image"]["RepoTags"] == ["test:latest"]
    assert "naming to docker.io/library/test:latest" in result["stdout"]
    assert [
        "build",
        "--tag",
        "test:latest",
        "--build-arg",
        "VERSION=1",
        str(tmp_path / "test"),
    ] in (registry.calls())


def assert_no_image(docker: FakeDocker, ref: str) -> None:
    assert f"{ref}:latest" not in docker.state().get("images", {})


def test_image_pulled_forced_tagged_pushed_and_removed(
    tmp_path: Path, registry: FakeDocker
) -> None:
    pulled = check_predicts_run(
        book(tmp_path, image_task(name="nginx", tag="1.27", source="pull")), LOCAL
    )
    assert pulled.results[0].result["actions"] == ["Pulled image nginx:1.27"]
    assert pulled.results[0].result["image"]["Id"] == nginx("1.27")["Id"]
    forced = image_task(name="nginx:1.27", source="pull", force_source=True)
    again = check_predicts_run(book(tmp_path, forced), LOCAL)
    assert [r.status for r in again.results] == ["ok"]  # pulled, the same image
    pushed = image_task(
        name="nginx:1.27", source="local", repository="registry.example.com/web:1", push=True
    )
    first = run(book(tmp_path, pushed), LOCAL)
    assert [r.status for r in first.results] == ["changed"]
    assert first.results[0].result["actions"] == [
        "Tagged image nginx:1.27 to registry.example.com/web:1",
        "Pushed image registry.example.com/web:1",
    ]
    assert registry.state()["registry"]["registry.example.com/web:1"]["Id"] == nginx("1.27")["Id"]
    assert [r.status for r in run(book(tmp_path, pushed), LOCAL).results] == ["ok"]
    gone = check_predicts_run(
        book(tmp_path, image_task(name="nginx", tag="1.27", state="absent")), LOCAL
    )
    assert gone.results[0].result["actions"] == ["Removed image nginx:1.27"]
    assert "nginx:1.27" not in registry.state()["images"]


def test_image_local_missing_fails(tmp_path: Path, registry: FakeDocker) -> None:
    result = run(book(tmp_path, image_task(name="nginx:9", source="local")), LOCAL)
    assert result.results[0].result["msg"] == "Cannot find the image nginx:9 locally."


def test_image_info_lists_the_images_found(tmp_path: Path, registry: FakeDocker) -> None:
    tasks = image_task(name="nginx:1.27", source="pull") + image_task(
        "community.docker.docker_image_info", name=["nginx:1.27", "redis"]
    )
    result = run(book(tmp_path, tasks), LOCAL)
    assert [r.status for r in result.results] == ["changed", "ok"]
    assert [i["Id"] for i in result.results[1].result["images"]] == [nginx("1.27")["Id"]]
    every = run(book(tmp_path, image_task("docker_image_info")), LOCAL)
    assert [i["RepoTags"] for i in every.results[0].result["images"]] == [["nginx:1.27"]]


# ---- docker_network, docker_volume, docker_container_info, docker_host_info -----------


def test_network_created_recreated_connected_and_removed(
    tmp_path: Path, registry: FakeDocker
) -> None:
    setup = container_task(name="app", image="nginx:1.27") + container_task(
        name="db", image="nginx:1.27"
    )
    assert run(book(tmp_path, setup), LOCAL).exit_code == 0
    net = {"name": "back", "ipam_config": [{"subnet": "172.30.0.0/16"}], "connected": ["app"]}
    real = check_predicts_run(book(tmp_path, image_task("docker_network", **net)), LOCAL)
    made = registry.state()["nets"]["back"]
    assert made["IPAM"]["Config"] == [{"Subnet": "172.30.0.0/16"}]
    assert [c["Name"] for c in made["Containers"].values()] == ["app"]
    assert real.results[0].result["network"]["Name"] == "back"
    moved = {**net, "ipam_config": [{"subnet": "172.31.0.0/16"}], "connected": ["db"]}
    registry.reset_calls()
    check_predicts_run(book(tmp_path, image_task("docker_network", **moved)), LOCAL)
    made = registry.state()["nets"]["back"]
    assert made["IPAM"]["Config"] == [{"Subnet": "172.31.0.0/16"}]
    assert [c["Name"] for c in made["Containers"].values()] == ["db"]
    app_id = registry.state()["containers"]["app"]["inspect"]["Id"]
    assert ["network", "disconnect", "--force", "back", app_id] in registry.calls()
    gone = image_task("docker_network", name="back", state="absent")
    check_predicts_run(book(tmp_path, gone), LOCAL)
    assert "back" not in registry.state()["nets"]


def test_volume_created_kept_and_recreated_on_options(tmp_path: Path, docker: FakeDocker) -> None:
    vol = {"name": "data", "labels": {"app": "web"}, "driver_options": {"type": "tmpfs"}}
    real = check_predicts_run(book(tmp_path, image_task("docker_volume", **vol)), LOCAL)
    assert real.results[0].result["volume"]["Labels"] == {"app": "web"}
    assert [c for c in docker.calls() if c[:2] == ["volume", "create"]] == [
        ["volume", "create", "--driver", "local", "--opt", "type=tmpfs", "--label", "app=web"]
        + ["data"]
    ]
    other = {**vol, "labels": {"app": "api"}}
    kept = run(book(tmp_path, image_task("docker_volume", **other)), LOCAL)
    assert [r.status for r in kept.results] == ["ok"]  # recreate: never (the default)
    changed = {**other, "recreate": "options-changed"}
    check_predicts_run(book(tmp_path, image_task("docker_volume", **changed)), LOCAL)
    assert docker.state()["volumes"]["data"]["Labels"] == {"app": "api"}
    gone = check_predicts_run(
        book(tmp_path, image_task("docker_volume", volume_name="data", state="absent")), LOCAL
    )
    assert [r.status for r in gone.results] == ["changed"]
    assert docker.state()["volumes"] == {}


def test_container_info_and_host_info(tmp_path: Path, registry: FakeDocker) -> None:
    tasks = (
        container_task(name="web", image="nginx:1.27")
        + image_task("docker_container_info", name="web")
        + image_task("docker_container_info", name="nothere")
        + image_task("community.docker.docker_host_info", images=True, volumes=True)
    )
    result = run(book(tmp_path, tasks), LOCAL)
    assert [r.status for r in result.results] == ["changed", "ok", "ok", "ok"]
    found, missing, host = (r.result for r in result.results[1:])
    assert found["exists"] is True and found["container"]["Name"] == "/web"
    assert missing["exists"] is False and missing["container"] is None
    assert host["can_talk_to_docker"] is True and host["host_info"]["Containers"] == 1
    assert host["images"] and host["volumes"] == []


def test_compose_inline_definition(tmp_path: Path, docker: FakeDocker) -> None:
    """A definition goes to the host on stdin, into a temporary project directory."""
    spec = {"services": {"web": {"image": "nginx:1.27"}}}
    args = {"project_name": "inline", "definition": spec}
    real = check_predicts_run(book(tmp_path, image_task("docker_compose_v2", **args)), LOCAL)
    assert [c["Name"] for c in real.results[0].result["containers"]] == ["inline-web-1"]
    assert docker.state()["containers"]["inline-web-1"]["image"] == "nginx:1.27"
    directory = docker.calls()[0][docker.calls()[0].index("--project-directory") + 1]
    assert not Path(directory).exists()  # removed after the command
    down = {**args, "state": "absent"}
    check_predicts_run(book(tmp_path, image_task("docker_compose_v2", **down)), LOCAL)
    assert docker.state()["containers"] == {}


def test_container_ports_written_as_numbers(tmp_path: Path, registry: FakeDocker) -> None:
    """`- 80` is a port, as in Ansible: validation takes it and the run is idempotent."""
    path = book(
        tmp_path,
        "    - docker_container: {name: n, image: nginx:1.27, ports: [80], expose: [9000]}\n",
    )
    real = check_predicts_run(path, LOCAL)
    assert [r.status for r in real.results] == ["changed"]
    inspect = registry.state()["containers"]["n"]["inspect"]
    assert inspect["HostConfig"]["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": ""}]}
    assert "9000/tcp" in inspect["Config"]["ExposedPorts"]
