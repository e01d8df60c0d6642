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
    "--name",
    "--env",
    "--label",
    "--publish",
    "--expose",
    "--volume",
    "--mount",
    "--restart",
    "--network",
    "--network-alias",
    "--alias",
    "--ip",
    "--ip6",
    "--link",
    "--user",
    "--workdir",
    "--hostname",
    "--domainname",
    "--cap-add",
    "--cap-drop",
    "--device",
    "--log-driver",
    "--log-opt",
    "--entrypoint",
    "--memory",
    "--sysctl",
    "--security-opt",
    "--tmpfs",
    "--pid",
    "--ipc",
    "--stop-signal",
    "--stop-timeout",
    "--dns",
    "--add-host",
    "--time",
    "--tag",
    "--build-arg",
    "--target",
    "--platform",
    "--input",
    "--subnet",
    "--gateway",
    "--ip-range",
    "--aux-address",
    "--ipam-driver",
    "--ipam-opt",
    "--opt",
    "--scope",
    "--driver",
    "--filter",
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


# ---- containers and images -------------------------------------------------------------
# state["registry"]: what `pull` can fetch (ref -> image document); state["images"]: the
# local images; state["containers"]: name -> {"inspect": document} (compose's are apart).


def image_ref(ref: str) -> str:
    return ref if ":" in ref.rsplit("/", 1)[-1] or "@" in ref else f"{ref}:latest"


def fetch(ref: str, state: dict[str, Any]) -> dict[str, Any] | None:
    found = state.get("registry", {}).get(image_ref(ref))
    if found is not None:
        state.setdefault("images", {})[image_ref(ref)] = found
    return found


def local_image(ref: str, state: dict[str, Any]) -> dict[str, Any] | None:
    images = state.setdefault("images", {})
    if ref in images or image_ref(ref) in images:
        return images.get(ref) or images[image_ref(ref)]
    return next((i for i in images.values() if i["Id"] in (ref, f"sha256:{ref}")), None)


def image(argv: list[str], state: dict[str, Any]) -> int:
    """image inspect | ls | rm, as the CLI answers them."""
    opts, words = parse_all(argv[1:])
    if argv[0] == "ls":
        for ref, found in state.setdefault("images", {}).items():
            repo, _, version = ref.rpartition(":")
            row = {"Repository": repo, "Tag": version, "ID": found["Id"], "Size": "192MB"}
            print(found["Id"] if "--quiet" in opts else json.dumps(row))
        return 0
    if argv[0] == "rm":
        return remove_image(words[0], state)
    assert argv[0] == "inspect", argv
    found = [i for i in (local_image(ref, state) for ref in words) if i]
    missing = [ref for ref in words if local_image(ref, state) is None]
    if opts.get("--format") == ["{{.Id}}"]:
        print("\n".join(i["Id"] for i in found))
    else:
        print(json.dumps(found, indent=4))
    for ref in missing:
        print(f"Error response from daemon: No such image: {ref}", file=sys.stderr)
    return 1 if missing else 0


def remove_image(ref: str, state: dict[str, Any]) -> int:
    images = state.setdefault("images", {})
    key = image_ref(ref) if image_ref(ref) in images else ref
    if key not in images:
        print(f"Error response from daemon: No such image: {ref}", file=sys.stderr)
        return 1
    print(f"Untagged: {key}\nDeleted: {images.pop(key)['Id']}")
    save(state)
    return 0


def build(argv: list[str], state: dict[str, Any]) -> int:
    """Builds from PATH/Dockerfile (or --file): the image's ID is the digest of that file
    and the build args, so the same inputs give the same image."""
    opts, words = parse_all(argv)
    dockerfile = Path(words[0]) / one(opts, "--file", "Dockerfile")
    text = dockerfile.read_text()
    ident = "sha256:" + digest([text, opts.get("--build-arg", [])])
    tag = opts["--tag"][-1]
    state.setdefault("images", {})[image_ref(tag)] = {
        "Id": ident,
        "RepoTags": [image_ref(tag)],
        "Config": {"Env": [], "Cmd": ["sh"], "Labels": pairs(opts.get("--label", []))},
    }
    save(state)
    print(f"#1 [internal] load build definition from {dockerfile.name}", file=sys.stderr)
    print(f"#5 naming to docker.io/library/{image_ref(tag)} done", file=sys.stderr)
    return 0


def tag(argv: list[str], state: dict[str, Any]) -> int:
    _, (source, target) = parse_all(argv)
    found = local_image(source, state)
    if found is None:
        print(f"Error response from daemon: No such image: {source}", file=sys.stderr)
        return 1
    state["images"][image_ref(target)] = found
    save(state)
    return 0


def push(argv: list[str], state: dict[str, Any]) -> int:
    _, words = parse_all(argv)
    found = local_image(words[0], state)
    if found is None:
        print(f"An image does not exist locally with the tag: {words[0]}", file=sys.stderr)
        return 1
    registry = state.setdefault("registry", {})
    layer = found["Id"][7:19]
    same = registry.get(image_ref(words[0]), {}).get("Id") == found["Id"]
    registry[image_ref(words[0])] = found
    save(state)
    print(f"{layer}: {'Layer already exists' if same else 'Pushed'}")
    return 0


def pull(argv: list[str], state: dict[str, Any]) -> int:
    _, words = parse_all(argv)
    if fetch(words[0], state) is None:
        print(f"Error response from daemon: pull access denied for {words[0]}", file=sys.stderr)
        return 1
    save(state)
    print(f"docker.io/library/{image_ref(words[0])}")
    return 0


def container(argv: list[str], state: dict[str, Any]) -> int:
    assert argv[0] == "inspect", argv
    found = state["containers"].get(argv[-1])
    if found is None or "inspect" not in found:
        print("[]")
        print(f"Error: No such container: {argv[-1]}", file=sys.stderr)
        return 1
    print(json.dumps([found["inspect"]], indent=4))
    return 0


def create(argv: list[str], state: dict[str, Any]) -> int:
    opts, rest = split(argv)
    name, ref, command = opts["--name"][-1], rest[0], rest[1:]
    if name in state["containers"]:
        print(
            f'Error response from daemon: Conflict. The container name "/{name}" is already in use',
            file=sys.stderr,
        )
        return 1
    found = local_image(ref, state)
    if found is None:
        print(f"Unable to find image '{image_ref(ref)}' locally", file=sys.stderr)
        found = fetch(ref, state)
    if found is None:
        print(f"Error response from daemon: pull access denied for {ref}", file=sys.stderr)
        return 1
    state["containers"][name] = {"inspect": inspect_doc(name, ref, found, opts, command)}
    save(state)
    print(state["containers"][name]["inspect"]["Id"])
    return 0


def one(opts: dict[str, list[str]], flag: str, default: Any = "") -> Any:
    return opts[flag][-1] if flag in opts else default


def inspect_doc(
    name: str, ref: str, img: dict[str, Any], opts: dict[str, list[str]], command: list[str]
) -> dict[str, Any]:
    """The container as `docker container inspect` documents it (the fields pbe reads)."""
    config = img.get("Config", {})
    env = list(config.get("Env") or [])
    for path in opts.get("--env-file", []):
        env += [ln for ln in Path(path).read_text().splitlines() if "=" in ln]
    env += opts.get("--env", [])
    entry = [opts["--entrypoint"][-1]] if "--entrypoint" in opts else config.get("Entrypoint")
    cmd = command or (None if "--entrypoint" in opts else config.get("Cmd"))
    ident = digest([name, ref, opts, command])
    network = one(opts, "--network", "bridge")
    volumes = [v for v in opts.get("--volume", []) if ":" not in v]
    restart, _, retries = one(opts, "--restart", "no").partition(":")
    return {
        "Id": ident,
        "Name": f"/{name}",
        "Image": img["Id"],
        "State": {"Status": "created", "Running": False, "ExitCode": 0},
        "Config": {
            "Hostname": one(opts, "--hostname", ident[:12]),
            "Domainname": one(opts, "--domainname"),
            "User": one(opts, "--user"),
            "Env": env,
            "Cmd": cmd,
            "Entrypoint": entry,
            "Image": ref,
            "WorkingDir": one(opts, "--workdir", config.get("WorkingDir", "")),
            "Labels": {**config.get("Labels", {}), **pairs(opts.get("--label", []))},
            "ExposedPorts": {**config.get("ExposedPorts", {}), **exposed(opts)},
            "Volumes": dict.fromkeys(volumes, {}) or None,
            "Tty": "--tty" in opts,
            "OpenStdin": "--interactive" in opts,
            "StopSignal": one(opts, "--stop-signal", None),
            "StopTimeout": int(one(opts, "--stop-timeout", 0)) or None,
        },
        "HostConfig": {
            "Binds": [v for v in opts.get("--volume", []) if ":" in v] or None,
            "NetworkMode": network,
            "PortBindings": bindings(opts.get("--publish", [])),
            "RestartPolicy": {"Name": restart, "MaximumRetryCount": int(retries or 0)},
            "AutoRemove": "--rm" in opts,
            "CapAdd": [caps(c) for c in opts.get("--cap-add", [])] or None,
            "CapDrop": [caps(c) for c in opts.get("--cap-drop", [])] or None,
            "Dns": opts.get("--dns", []),
            "ExtraHosts": opts.get("--add-host") or None,
            "Privileged": "--privileged" in opts,
            "ReadonlyRootfs": "--read-only" in opts,
            "SecurityOpt": opts.get("--security-opt") or None,
            "Init": True if "--init" in opts else None,
            "PidMode": one(opts, "--pid"),
            "IpcMode": one(opts, "--ipc", "private"),
            "Memory": size(one(opts, "--memory", "0")),
            "Devices": [device(d) for d in opts.get("--device", [])],
            "LogConfig": {
                "Type": one(opts, "--log-driver", "json-file"),
                "Config": pairs(opts.get("--log-opt", [])),
            },
            "Sysctls": pairs(opts.get("--sysctl", [])) or None,
            "Tmpfs": dict(t.partition(":")[::2] for t in opts.get("--tmpfs", [])) or None,
            "Mounts": [mount(m) for m in opts.get("--mount", [])] or None,
        },
        "NetworkSettings": {
            "Networks": {
                "bridge" if network == "default" else network: {
                    "IPAMConfig": {"IPv4Address": one(opts, "--ip")} if "--ip" in opts else None,
                    "Aliases": opts.get("--network-alias") or None,
                }
            }
        },
    }


def pairs(items: list[str]) -> dict[str, str]:
    return dict(item.partition("=")[::2] for item in items)


def exposed(opts: dict[str, list[str]]) -> dict[str, Any]:
    ports = opts.get("--expose", []) + [p.rsplit(":", 1)[-1] for p in opts.get("--publish", [])]
    return {(p if "/" in p else f"{p}/tcp"): {} for p in ports}


def bindings(specs: list[str]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        text, _, proto = spec.partition("/")
        parts = text.split(":")
        port = f"{parts[-1]}/{proto or 'tcp'}"
        host_ip = parts[0] if len(parts) == 3 else ""
        host_port = parts[-2] if len(parts) > 1 else ""
        out.setdefault(port, []).append({"HostIp": host_ip, "HostPort": host_port})
    return out


def caps(name: str) -> str:
    name = name.upper()
    return name if name.startswith("CAP_") else f"CAP_{name}"


def size(text: str) -> int:
    units = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    return int(text[:-1]) * units[text[-1]] if text[-1:].isalpha() else int(text)


def device(spec: str) -> dict[str, str]:
    parts = spec.split(":")
    inside = parts[1] if len(parts) > 1 and parts[1].startswith("/") else parts[0]
    perms = parts[-1] if len(parts) > 1 and not parts[-1].startswith("/") else "rwm"
    return {"PathOnHost": parts[0], "PathInContainer": inside, "CgroupPermissions": perms}


def mount(spec: str) -> dict[str, Any]:
    fields = dict(f.partition("=")[::2] for f in spec.split(","))
    return {
        "Type": fields.get("type", "volume"),
        "Source": fields.get("source", ""),
        "Target": fields["target"],
        "ReadOnly": "readonly" in fields,
    }


def lifecycle(op: str) -> Any:
    """start, stop, kill, restart, rm of a container by name."""

    def handle(argv: list[str], state: dict[str, Any]) -> int:
        opts, words = parse_all(argv)
        name = words[-1]
        found = state["containers"].get(name)
        if found is None or "inspect" not in found:
            print(f"Error response from daemon: No such container: {name}", file=sys.stderr)
            return 1
        run_state = found["inspect"]["State"]
        if op == "rm":
            if run_state["Running"] and "--force" not in opts:
                print(
                    "Error response from daemon: cannot remove a running container", file=sys.stderr
                )
                return 1
            del state["containers"][name]
        else:
            running = op in ("start", "restart") and "--attach" not in opts  # ran, exited
            run_state.update(Running=running, Status="running" if running else "exited")
        save(state)
        if op == "start" and "--attach" in opts:
            print(f"hello from {name}")
            return int(os.environ.get("PBE_FAKE_EXIT", "0"))
        print(name)
        return 0

    return handle


def network(argv: list[str], state: dict[str, Any]) -> int:
    """network create | inspect | rm | ls | connect | disconnect (kept in state["nets"])."""
    opts, words = parse_all(argv[1:])
    nets = state.setdefault("nets", {})
    verb = argv[0]
    if verb in ("inspect", "ls"):
        return show(
            verb,
            [nets[w] for w in words if w in nets] if words else list(nets.values()),
            [w for w in words if w not in nets],
            "network",
        )
    if verb == "create":
        nets[words[0]] = network_doc(words[0], opts)
    elif verb == "rm":
        if nets.get(words[0], {}).get("Containers"):
            print(
                f"Error response from daemon: error while removing network: network {words[0]} "
                "has active endpoints",
                file=sys.stderr,
            )
            return 1
        nets.pop(words[0])
    else:
        attach(verb, words[0], words[1], opts, state)
    save(state)
    return 0


def show(verb: str, found: list[dict[str, Any]], missing: list[str], kind: str) -> int:
    if verb == "ls":
        for item in found:
            print(json.dumps({"Name": item["Name"], "Driver": item["Driver"]}))
        return 0
    print(json.dumps(found, indent=4))
    for name in missing:  # each kind in the daemon's own words
        said = f"network {name} not found" if kind == "network" else f"get {name}: no such volume"
        print(f"Error response from daemon: {said}", file=sys.stderr)
    return 1 if missing else 0


def network_doc(name: str, opts: dict[str, list[str]]) -> dict[str, Any]:
    blocks = [{"Subnet": subnet} for subnet in opts.get("--subnet", [])]
    for block, gateway in zip(blocks, opts.get("--gateway", []), strict=False):
        block["Gateway"] = gateway
    return {
        "Name": name,
        "Id": digest(name),
        "Scope": one(opts, "--scope", "local"),
        "Driver": one(opts, "--driver", "bridge"),
        "EnableIPv6": "--ipv6" in opts,
        "IPAM": {"Driver": one(opts, "--ipam-driver", "default"), "Options": {}, "Config": blocks},
        "Internal": "--internal" in opts,
        "Attachable": "--attachable" in opts,
        "Containers": {},
        "Options": pairs(opts.get("--opt", [])),
        "Labels": pairs(opts.get("--label", [])),
    }


def attach(
    verb: str, net: str, name: str, opts: dict[str, list[str]], state: dict[str, Any]
) -> None:
    found = next(  # by name or by ID, as the CLI takes either
        c["inspect"]
        for key, c in state["containers"].items()
        if "inspect" in c and name in (key, c["inspect"]["Id"])
    )
    networks = found["NetworkSettings"]["Networks"]
    members = state.setdefault("nets", {}).get(net, {}).get("Containers")
    if verb == "disconnect":
        del networks[net]
        if members is not None:
            members.pop(found["Id"], None)
        return
    ipam = {"IPv4Address": one(opts, "--ip")} if "--ip" in opts else None
    networks[net] = {"IPAMConfig": ipam, "Aliases": opts.get("--alias") or None}
    if members is not None:
        members[found["Id"]] = {"Name": name, "IPv4Address": one(opts, "--ip")}


def volume(argv: list[str], state: dict[str, Any]) -> int:
    """volume create | inspect | rm | ls (kept in state["volumes"])."""
    opts, words = parse_all(argv[1:])
    volumes = state.setdefault("volumes", {})
    verb = argv[0]
    if verb in ("inspect", "ls"):
        found = [volumes[w] for w in words if w in volumes] if words else list(volumes.values())
        return show(verb, found, [w for w in words if w not in volumes], "volume")
    if verb == "create":
        volumes[words[0]] = {
            "Name": words[0],
            "Driver": one(opts, "--driver", "local"),
            "Mountpoint": f"/var/lib/docker/volumes/{words[0]}/_data",
            "Labels": pairs(opts.get("--label", [])) or None,
            "Options": pairs(opts.get("--opt", [])) or None,
            "Scope": "local",
        }
        print(words[0])
    else:
        volumes.pop(words[0])
        print(words[0])
    save(state)
    return 0


def system(argv: list[str], state: dict[str, Any]) -> int:
    info = {"ID": "fake", "Containers": len(state["containers"]), "ServerVersion": "28.2.2"}
    print(json.dumps(info if argv[0] == "info" else {"Type": "Images", "TotalCount": "1"}))
    return 0


EXTRA: dict[str, Any] = {
    "login": login,
    "logout": logout,
    "image": image,
    "pull": pull,
    "container": container,
    "create": create,
    "network": network,
    "volume": volume,
    "system": system,
    "build": build,
    "tag": tag,
    "push": push,
    **{op: lifecycle(op) for op in ("start", "stop", "kill", "restart", "rm")},
}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
