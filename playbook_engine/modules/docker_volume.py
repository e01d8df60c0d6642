"""docker_volume: a Docker volume with a driver, options and labels, or none."""

from __future__ import annotations

from typing import Any

from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.docker import CONNECTION_ARGS, docker_cli, inspected, json_value, marked
from .util.state import Change, StateModule

Volume = dict[str, Any] | None


@register("docker_volume", "community.docker.docker_volume")
class DockerVolume(StateModule[Volume]):
    """Create, recreate or remove a Docker volume (`docker volume`)."""

    args = {
        "volume_name": Arg("str", required=True, aliases=("name",), description="The volume."),
        "driver": Arg("str", default="local", description="Its driver."),
        "driver_options": Arg("dict", default={}, description="Driver options (`--opt`)."),
        "labels": Arg("dict", description="Labels."),
        "recreate": Arg(
            "str",
            default="never",
            choices=("always", "never", "options-changed"),
            description="When an existing volume is removed and created again (its data lost).",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether it exists.",
        ),
        **CONNECTION_ARGS,
    }
    returns = {"volume": "the volume as `docker volume inspect` shows it"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        name = quote(args["volume_name"])
        return f"{docker_cli(args)} volume inspect {name} 2>&1; {marked('volume')}"

    def parse(self, args: dict[str, Any], res: CommandResult) -> Volume:
        return _inspected(res.out)

    def plan(self, args: dict[str, Any], volume: Volume) -> Change | None:
        if args["state"] == "absent":
            return Change("remove", None) if volume else None
        if volume is None:
            return Change("create", None)
        recreate = args["recreate"]
        if recreate == "always" or (recreate == "options-changed" and _differs(args, volume)):
            return Change("recreate", None)
        return None

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        cli, name = docker_cli(args), quote(args["volume_name"])
        remove = f"{cli} volume rm {name} >/dev/null"
        if change.op == "remove":
            return remove
        words = [f"--driver {quote(args['driver'])}"]
        words += [f"--opt {quote(f'{k}={v}')}" for k, v in args["driver_options"].items()]
        words += [f"--label {quote(f'{k}={v}')}" for k, v in (args["labels"] or {}).items()]
        create = f"{cli} volume create {' '.join(words)} {name} >/dev/null"
        steps = f"{remove} && {create}" if change.op == "recreate" else create
        return f"{steps} && {cli} volume inspect {name}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        found = json_value(res.out, "docker volume inspect")
        return {"volume": found[0] if isinstance(found, list) and found else {}}

    def values(self, args: dict[str, Any], volume: Volume) -> dict[str, Any]:
        return {"volume": volume or {}}


def _inspected(out: str) -> Volume:
    found = inspected(out, "volume", "docker volume inspect")
    return found[0] if found else None


def _differs(args: dict[str, Any], volume: dict[str, Any]) -> bool:
    """Driver, driver options or labels other than asked (Ansible's options-changed)."""
    if volume.get("Driver") != args["driver"]:
        return True
    options, labels = volume.get("Options") or {}, volume.get("Labels") or {}
    wanted = {str(k): str(v) for k, v in args["driver_options"].items()}
    if any(options.get(k) != v for k, v in wanted.items()):
        return True
    return any(labels.get(str(k)) != str(v) for k, v in (args["labels"] or {}).items())
