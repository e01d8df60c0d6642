"""A tiny stand-in for the `docker` CLI, for tests on a machine with no Docker engine.

Run as `docker ARGS` (a wrapper first on PATH execs this file): it appends its argv to
$PBE_FAKE_DOCKER/calls.jsonl and answers from $PBE_FAKE_DOCKER/state.json, printing what
the real CLI prints in the same formats (`--progress plain` events, `ps --format json`,
`inspect` arrays), so a module runs end to end against it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HOME = Path(os.environ["PBE_FAKE_DOCKER"])
STATE = HOME / "state.json"
FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
VALUED = {
    "--host",
    "-H",
    "--context",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    "--ansi",
    "--progress",
    "--project-directory",
    "--project-name",
    "--file",
    "-f",
    "--env-file",
    "--profile",
    "--pull",
    "--timeout",
    "-t",
    "--scale",
    "--rmi",
    "--wait-timeout",
    "--format",
    "--config",
    "--username",
    "-u",
}
GLOBAL: dict[str, list[str]] = {}  # the global options of this call (--config …)
HUB = "https://index.docker.io/v1/"


def load() -> dict[str, Any]:
    if STATE.exists():
        state: dict[str, Any] = json.loads(STATE.read_text())
        return state
    return {"containers": {}, "networks": [], "images": {}, "auths": {}}


def save(state: dict[str, Any]) -> None:
    STATE.write_text(json.dumps(state, indent=1, sort_keys=True))


def split(argv: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Options (each a list of values) up to the first positional word, and the rest."""
    opts: dict[str, list[str]] = {}
    rest = list(argv)
    while rest and rest[0].startswith("-") and rest[0] != "--":
        take(rest, opts)
    return opts, rest


def parse_all(argv: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Options anywhere among the words (after `--` only positionals), and the words."""
    opts: dict[str, list[str]] = {}
    words: list[str] = []
    rest = list(argv)
    while rest:
        if rest[0] == "--":
            return opts, words + rest[1:]
        if rest[0].startswith("-"):
            take(rest, opts)
        else:
            words.append(rest.pop(0))
    return opts, words


def take(rest: list[str], opts: dict[str, list[str]]) -> None:
    flag, eq, value = rest.pop(0).partition("=")
    if not eq and flag in VALUED:
        value = rest.pop(0)
    opts.setdefault(flag, []).append(value)


def event(dry: bool, what: str, name: str, status: str) -> None:
    prefix = " DRY-RUN MODE - " if dry else ""
    print(f"{prefix} {what} {name}  {status}", file=sys.stderr)


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# ---- compose ---------------------------------------------------------------------------


def compose(argv: list[str], state: dict[str, Any]) -> int:
    opts, rest = split(argv)
    directory = Path(opts.get("--project-directory", ["."])[-1])
    named = opts.get("--project-name", [directory.resolve().name])[-1]
    project = re.sub(r"[^a-z0-9_-]", "", named.lower())  # as Compose normalizes it
    files = opts.get("--file") or [f for f in FILES if (directory / f).exists()][:1]
    if not files:
        print("no configuration file provided: not found", file=sys.stderr)
        return 1
    services: dict[str, Any] = {}
    for name in files:
        services.update(yaml.safe_load((directory / name).read_text()).get("services", {}))
    verb, sub = rest[0], rest[1:]
    handler = {
        "up": up,
        "stop": stop,
        "restart": restart,
        "down": down,
        "ps": ps,
        "images": images,
    }[verb]
    return handler(project, services, sub, state)


def selected(project: str, services: dict[str, Any], words: list[str]) -> list[str]:
    return sorted(words or services)


def up(project: str, services: dict[str, Any], argv: list[str], state: dict[str, Any]) -> int:
    opts, words = parse_all(argv)
    dry, no_start = "--dry-run" in opts, "--no-start" in opts
    network = f"{project}_default"
    if network not in state["networks"]:
        event(dry, "Network", network, "Creating")
        event(dry, "Network", network, "Created")
        state["networks"].append(network)
    for service in selected(project, services, words):
        name, config = f"{project}-{service}-1", services[service]
        found = state["containers"].get(name)
        recreate = (
            found is not None
            and "--no-recreate" not in opts
            and (found["config"] != digest(config) or "--force-recreate" in opts)
        )
        if found is None or recreate:
            event(dry, "Container", name, "Recreate" if recreate else "Creating")
            event(dry, "Container", name, "Recreated" if recreate else "Created")
            found = state["containers"][name] = new_container(project, service, config)
        if found["state"] != "running" and not no_start:
            event(dry, "Container", name, "Starting")
            event(dry, "Container", name, "Started")
            found["state"] = "running"
        elif found["state"] == "running":
            event(dry, "Container", name, "Running")
    if not dry:
        save(state)
    return 0


def new_container(project: str, service: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "project": project,
        "service": service,
        "config": digest(config),
        "image": config.get("image", f"{project}-{service}"),
        "state": "created",
        "id": digest([project, service, config]),
    }


def members(project: str, state: dict[str, Any], words: list[str]) -> list[str]:
    return sorted(
        name
        for name, c in state["containers"].items()
        if c.get("project") == project and (not words or c["service"] in words)
    )


def stop(project: str, services: dict[str, Any], argv: list[str], state: dict[str, Any]) -> int:
    opts, words = parse_all(argv)
    for name in members(project, state, words):
        event("--dry-run" in opts, "Container", name, "Stopping")
        event("--dry-run" in opts, "Container", name, "Stopped")
        state["containers"][name]["state"] = "exited"
    if "--dry-run" not in opts:
        save(state)
    return 0


def restart(project: str, services: dict[str, Any], argv: list[str], state: dict[str, Any]) -> int:
    opts, words = parse_all(argv)
    for name in members(project, state, words):
        event("--dry-run" in opts, "Container", name, "Restarting")
        event("--dry-run" in opts, "Container", name, "Started")
        state["containers"][name]["state"] = "running"
    if "--dry-run" not in opts:
        save(state)
    return 0


def down(project: str, services: dict[str, Any], argv: list[str], state: dict[str, Any]) -> int:
    opts, words = parse_all(argv)
    dry = "--dry-run" in opts
    for name in members(project, state, words):
        for status in ("Stopping", "Stopped", "Removing", "Removed"):
            event(dry, "Container", name, status)
        del state["containers"][name]
    network = f"{project}_default"
    if network in state["networks"] and not members(project, state, []):
        event(dry, "Network", network, "Removing")
        event(dry, "Network", network, "Removed")
        state["networks"].remove(network)
    if not dry:
        save(state)
    return 0


def ps(project: str, services: dict[str, Any], argv: list[str], state: dict[str, Any]) -> int:
    for name in members(project, state, []):
        c = state["containers"][name]
        running = c["state"] == "running"
        print(
            json.dumps(
                {
                    "Command": '"sleep infinity"',
                    "CreatedAt": "2024-01-02 12:20:41 +0100 CET",
                    "ExitCode": 0,
                    "Health": "",
                    "ID": c["id"],
                    "Image": c["image"],
                    "Labels": f"com.docker.compose.project={project},"
                    f"com.docker.compose.service={c['service']}",
                    "LocalVolumes": "0",
                    "Mounts": "",
                    "Name": name,
                    "Names": name,
                    "Networks": f"{project}_default",
                    "Ports": "",
                    "Project": project,
                    "Publishers": None,
                    "RunningFor": "2 minutes ago",
                    "Service": c["service"],
                    "Size": "0B",
                    "State": c["state"],
                    "Status": "Up 2 minutes" if running else "Exited (0) 1 minute ago",
                }
            )
        )
    return 0


def images(project: str, services: dict[str, Any], argv: list[str], state: dict[str, Any]) -> int:
    rows = []
    for name in members(project, state, []):
        repo, _, tag = state["containers"][name]["image"].partition(":")
        rows.append(
            {
                "ContainerName": name,
                "Repository": repo,
                "Tag": tag or "latest",
                "Platform": "linux/amd64",
                "Size": 7800000,
                "ID": "sha256:" + digest(repo + tag),
            }
        )
    print(json.dumps(rows))
    return 0


# ---- entry -----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    with (HOME / "calls.jsonl").open("a") as log:
        log.write(json.dumps(argv) + "\n")
    opts, rest = split(argv)
    GLOBAL.update(opts)
    state = load()
    command, sub = rest[0], rest[1:]
    handlers = {"compose": compose, **EXTRA}
    if command not in handlers:
        print(f"docker: unknown command: docker {command}", file=sys.stderr)
        return 1
    return handlers[command](sub, state)


# ---- login ---------------------------------------------------------------------------


def config_file() -> Path:
    if "--config" in GLOBAL:
        return Path(GLOBAL["--config"][-1]) / "config.json"
    home = os.environ.get("DOCKER_CONFIG") or f"{os.environ['HOME']}/.docker"
    return Path(home) / "config.json"


def server_key(words: list[str]) -> str:
    if not words:
        return HUB
    return words[0].split("://", 1)[-1].split("/", 1)[0]


def login(argv: list[str], state: dict[str, Any]) -> int:
    opts, words = parse_all(argv)
    user = (opts.get("--username") or opts.get("-u") or [""])[-1]
    password = sys.stdin.read() if "--password-stdin" in opts else ""
    key = server_key(words)
    if password == "wrong":
        print(
            f'Error response from daemon: Get "https://{key}/v2/": unauthorized: '
            "incorrect username or password",
            file=sys.stderr,
        )
        return 1
    path = config_file()
    config = json.loads(path.read_text()) if path.exists() else {}
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config.setdefault("auths", {})[key] = {"auth": auth}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent="\t"))
    print("Login Succeeded")
    return 0


def logout(argv: list[str], state: dict[str, Any]) -> int:
    _, words = parse_all(argv)
    key, path = server_key(words), config_file()
    config = json.loads(path.read_text()) if path.exists() else {}
    if key not in config.get("auths", {}):
        print(f"Not logged in to {key}")
        return 0
    del config["auths"][key]
    path.write_text(json.dumps(config, indent="\t"))
    print(f"Removing login credentials for {key}")
    return 0


EXTRA: dict[str, Any] = {"login": login, "logout": logout}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
