"""docker_compose_v2: a Compose project up, stopped, restarted or down (``docker compose``).

One command asks Compose itself what it would do (``--dry-run``) and lists the project's
containers and images; a second runs it for real when the dry run says something changes.
So check mode is Compose's own prediction, and a project in state costs one round trip.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.docker import CLI_ARGS, docker_cli, json_lines, mapping, marked, section

FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
# what Compose prints while it changes something (a finished step prints its past tense)
WORKING = frozenset(
    ("Creating", "Starting", "Restarting", "Stopping", "Killing", "Removing", "Recreate")
)
PULLING, BUILDING = "Pulling", "Building"
STOPPED = frozenset(("created", "exited", "stopped", "killed", "dead"))
_RESOURCE = re.compile(r"^(Network|Image|Volume|Container|Service)\s+(\S+)\s+(\S.*)$")
_SERVICE = re.compile(r"^(\S+)\s+(Pulling|Pulled|Building|Built|Error|Warning)\b\s*(.*)$")
_BUILD = re.compile(r"^build service\s+(\S+)$")
_DRY = "DRY-RUN MODE -"
_MISSING = "@pbe! missing"


@dataclass(frozen=True, slots=True)
class Event:
    """One line of Compose's plain progress: what (container, network …), its id, status."""

    what: str
    id: str
    status: str
    msg: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one compose call printed: its events, exit status, and the project after it."""

    events: list[Event]
    rc: int
    output: str
    containers: list[dict[str, Any]]
    images: list[dict[str, Any]]


def parse_events(output: str) -> list[Event]:
    """Compose's ``--progress plain`` lines as events (dry-run lines too); other lines
    (warnings in prose, pull layers) are left out."""
    events = []
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith(_DRY):
            line = line[len(_DRY) :].strip()
        if found := _RESOURCE.match(line):
            status, _, msg = found.group(3).partition(" ")
            events.append(Event(found.group(1).lower(), found.group(2), status, msg.strip()))
        elif found := _BUILD.match(line):
            events.append(Event("service", found.group(1), BUILDING))
        elif found := _SERVICE.match(line):
            events.append(Event("service", found.group(1), found.group(2), found.group(3)))
    return events


def actions(events: list[Event]) -> list[dict[str, str]]:
    """Ansible's ``actions``: every step that changes something (pulls and builds too)."""
    acting = WORKING | {PULLING, BUILDING}
    return [{"what": e.what, "id": e.id, "status": e.status} for e in events if e.status in acting]


def changes(events: list[Event], ignore_build: bool) -> bool:
    """Whether the events change the project: a pull alone does not (as in Ansible)."""
    return any(e.status in WORKING or (e.status == BUILDING and not ignore_build) for e in events)


def containers(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``docker compose ps --format json`` rows as Ansible returns them: labels as a mapping,
    names and networks as lists."""
    out = []
    for row in raw:
        item = dict(row)
        labels = str(item.get("Labels") or "")
        pairs = (part.partition("=") for part in labels.split(",") if part)
        item["Labels"] = {key: value for key, _, value in pairs}
        item["Names"] = str(item.get("Names", item.get("Name", ""))).split(",")
        item["Networks"] = str(item.get("Networks", "")).split(",")
        item["Publishers"] = item.get("Publishers") or []
        out.append(item)
    return out


def images(raw: list[Any]) -> list[dict[str, Any]]:
    """``docker compose images --format json``: a list, or (Compose 2.37+) a mapping."""
    if len(raw) == 1 and isinstance(raw[0], dict) and "ID" not in raw[0]:
        return list(raw[0].values())
    return [row for row in raw if isinstance(row, dict)]


@register("docker_compose_v2", "community.docker.docker_compose_v2")
class DockerComposeV2(Module):
    """Bring a Docker Compose project up, stop, restart or remove it (`docker compose`)."""

    args = {
        "project_src": Arg("path", description="The directory holding the Compose file."),
        "project_name": Arg("str", description="The project (default: `project_src`'s name)."),
        "files": Arg(
            "list", elements="path", description="Compose files, relative to `project_src`."
        ),
        "definition": Arg(
            "dict", description="The Compose file's content itself (needs `project_name`)."
        ),
        "env_files": Arg(
            "list", elements="path", description="Environment files (default `.env`)."
        ),
        "profiles": Arg("list", elements="str", description="Profiles to enable."),
        "check_files_existing": Arg(
            "bool", default=True, description="Fail when `project_src` has no Compose file."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "stopped", "restarted", "present"),
            description="`up`, `stop`, `restart` or `down`.",
        ),
        "dependencies": Arg(
            "bool", default=True, description="Include linked services (present, restarted)."
        ),
        "pull": Arg(
            "str",
            default="policy",
            choices=("always", "missing", "never", "policy"),
            description="When `up` pulls images.",
        ),
        "build": Arg(
            "str",
            default="policy",
            choices=("always", "never", "policy"),
            description="When `up` builds images.",
        ),
        "ignore_build_events": Arg(
            "bool", default=True, description="A rebuild alone is no change."
        ),
        "recreate": Arg(
            "str",
            default="auto",
            choices=("always", "never", "auto"),
            description="When `up` recreates containers.",
        ),
        "renew_anon_volumes": Arg("bool", default=False, description="Recreate anonymous volumes."),
        "remove_images": Arg("str", choices=("all", "local"), description="Images `down` removes."),
        "remove_orphans": Arg(
            "bool", default=False, description="Remove containers of services no longer defined."
        ),
        "remove_volumes": Arg("bool", default=False, description="`down` removes volumes."),
        "services": Arg("list", elements="str", description="Only these services."),
        "scale": Arg("dict", description="Containers per service (`--scale`)."),
        "wait": Arg("bool", default=False, description="Wait for services to be running/healthy."),
        "wait_timeout": Arg("int", description="At most this many seconds (with `wait`)."),
        "assume_yes": Arg("bool", default=False, description="Answer Compose's prompts with yes."),
        **CLI_ARGS,
        "timeout": Arg("int", description="Seconds to wait for containers to stop."),
    }
    mutually_exclusive = (
        ("project_src", "definition"),
        ("files", "definition"),
        ("docker_host", "cli_context"),
    )
    required_one_of = (("project_src", "definition"),)
    returns = {
        "containers": "the project's containers (`docker compose ps`)",
        "images": "the project's images (`docker compose images`)",
        "actions": "what changed: `what`, `id`, `status` of each step",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["definition"] is not None and not args["project_name"]:
            raise ModuleError("project_name is required when definition is given")
        stdin = _definition(args)
        state = _outcome(ctx.run(_script(args, dry=True, stop=False), stdin=stdin).out, args)
        _fail_on(state, args)
        stop = args["state"] == "stopped" and any(
            str(c.get("State", "")).lower() not in STOPPED for c in state.containers
        )
        if not changes(state.events, args["ignore_build_events"]) and not stop:
            return Result(values=_values(state, []))
        if ctx.check:
            done = actions(state.events) + _stops(state) * stop
            return Result(changed=True, values=_values(state, done))
        real = _outcome(ctx.run(_script(args, dry=False, stop=stop), stdin=stdin).out, args)
        _fail_on(real, args)
        return Result(changed=True, values=_values(real, actions(real.events)))


def _values(outcome: Outcome, done: list[dict[str, str]]) -> dict[str, Any]:
    return {"containers": outcome.containers, "images": outcome.images, "actions": done}


def _stops(state: Outcome) -> list[dict[str, str]]:
    """The stop steps check mode predicts for the running containers of ``stopped``."""
    return [
        {"what": "container", "id": str(c.get("Name", "")), "status": "Stopping"}
        for c in state.containers
        if str(c.get("State", "")).lower() not in STOPPED
    ]


def _definition(args: dict[str, Any]) -> bytes | None:
    if args["definition"] is None:
        return None
    try:  # JSON is YAML, and takes the engine's marked strings as the text they are
        return json.dumps(args["definition"]).encode()
    except (TypeError, ValueError) as exc:
        raise ModuleError(f"definition: cannot write it as a Compose file: {exc}") from None


def _script(args: dict[str, Any], *, dry: bool, stop: bool) -> str:
    """One round trip: the compose command (``--dry-run`` when ``dry``), then ``ps`` and
    ``images`` of the project as it then is, each output ending at a marker."""
    base = _base(args)
    command = f"{base} {_verb(args, dry)}"
    if stop:
        command += f" && {base} stop{_timeout(args)}{_services(args)}"
    listing = (
        f"{base} ps --format json --all --no-trunc 2>/dev/null; {marked('ps')}; "
        f"{base} images --format json 2>/dev/null; {marked('images')}"
    )
    return f"{_enter(args)}\n{{ {command}; }} 2>&1; {marked('compose')}; {listing}"


def _enter(args: dict[str, Any]) -> str:
    """Into the project directory (a temporary one holding ``definition``); a missing
    directory or Compose file is said with a marker line instead."""
    if args["definition"] is not None:
        return (
            "t=$(mktemp -d) || exit; trap 'rm -rf \"$t\"' EXIT; "
            'cat > "$t/compose.yaml" && cd "$t" || exit'
        )
    src = quote(args["project_src"])
    enter = f"cd {src} 2>/dev/null || {{ echo '{_MISSING} directory'; exit 0; }}"
    if args["files"] or not args["check_files_existing"]:
        return enter
    tests = " || ".join(f"[ -e {name} ]" for name in FILES)
    return f"{enter}; {tests} || {{ echo '{_MISSING} file'; exit 0; }}"


def _base(args: dict[str, Any]) -> str:
    words = [docker_cli(args), "compose --ansi never --progress plain"]
    src = '"$t"' if args["definition"] is not None else quote(args["project_src"])
    words.append(f"--project-directory {src}")
    if args["project_name"]:
        words.append(f"--project-name {quote(args['project_name'])}")
    words += [f"--file {quote(f)}" for f in args["files"] or ()]
    words += [f"--env-file {quote(f)}" for f in args["env_files"] or ()]
    words += [f"--profile {quote(p)}" for p in args["profiles"] or ()]
    return " ".join(words)


def _verb(args: dict[str, Any], dry: bool) -> str:
    state = args["state"]
    if state in ("present", "stopped"):
        words = _up(args, no_start=state == "stopped")
    elif state == "restarted":
        words = "restart" + (" --no-deps" if not args["dependencies"] else "") + _timeout(args)
    else:
        words = _down(args)
    return words + (" --dry-run" if dry else "") + _services(args)


def _up(args: dict[str, Any], no_start: bool) -> str:
    words = ["up --detach --no-color --quiet-pull"]
    if args["pull"] != "policy":
        words.append(f"--pull {args['pull']}")
    flags = {
        "--remove-orphans": args["remove_orphans"],
        "--force-recreate": args["recreate"] == "always",
        "--no-recreate": args["recreate"] == "never",
        "--renew-anon-volumes": args["renew_anon_volumes"],
        "--no-deps": not args["dependencies"],
        "--build": args["build"] == "always",
        "--no-build": args["build"] == "never",
        "--wait": args["wait"],
        "--no-start": no_start,
        "--yes": args["assume_yes"],
    }
    words += [flag for flag, on in flags.items() if on]
    if args["wait"] and args["wait_timeout"] is not None:
        words.append(f"--wait-timeout {int(args['wait_timeout'])}")
    for service, count in sorted(mapping(args["scale"], "scale").items()):
        if not isinstance(count, int) and not str(count).isdigit():
            raise ModuleError(f"scale: the count of {service} must be a number, got {count!r}")
        words.append(f"--scale {quote(f'{service}={int(count)}')}")
    return " ".join(words) + _timeout(args)


def _down(args: dict[str, Any]) -> str:
    words = "down" + (" --remove-orphans" if args["remove_orphans"] else "")
    if args["remove_images"]:
        words += f" --rmi {args['remove_images']}"
    return words + (" --volumes" if args["remove_volumes"] else "") + _timeout(args)


def _timeout(args: dict[str, Any]) -> str:
    return f" --timeout {int(args['timeout'])}" if args["timeout"] is not None else ""


def _services(args: dict[str, Any]) -> str:
    return " --" + "".join(f" {quote(s)}" for s in args["services"] or ())


def _outcome(out: str, args: dict[str, Any]) -> Outcome:
    """The round trip's output, split at its markers and parsed."""
    if out.startswith(_MISSING):
        raise ModuleError(_missing(out, args))
    text, rc = section(out, "compose")
    ps, _ = section(out, "ps")
    listed, _ = section(out, "images")
    return Outcome(
        parse_events(text),
        rc if rc is not None else 1,
        text,
        containers(json_lines(ps, "docker compose ps")),
        images(json_lines(listed, "docker compose images")),
    )


def _missing(out: str, args: dict[str, Any]) -> str:
    src = args["project_src"]
    if out.split()[2:3] == ["directory"]:
        return f'"{src}" is not a directory'
    return f'"{src}" does not contain {", ".join(FILES[:-1])}, or {FILES[-1]}'


def _fail_on(outcome: Outcome, args: dict[str, Any]) -> None:
    """A failed compose call fails the task with Compose's own words."""
    if outcome.rc == 0:
        return
    errors = [f"{e.id}: {e.status} {e.msg}".strip() for e in outcome.events if e.status == "Error"]
    lines = [line for line in outcome.output.splitlines() if line.strip()]
    detail = "; ".join(errors) or "\n".join(lines[-5:]) or f"exit status {outcome.rc}"
    raise ModuleError(f"docker compose {_word(args)} failed (rc={outcome.rc}): {detail}")


def _word(args: dict[str, Any]) -> str:
    return {"present": "up", "stopped": "stop", "restarted": "restart", "absent": "down"}[
        args["state"]
    ]
