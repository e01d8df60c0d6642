"""docker_host_info: the Docker host's ``docker system info``, and lists of its containers,
images, networks and volumes, and its disk usage, in one round trip."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, json_lines, json_value, marked, section

_LISTS = ("containers", "images", "networks", "volumes")


def _filters(kind: str) -> Arg:
    return Arg("dict", description=f"Filters for the {kind} (`--filter KEY=VALUE`).")


@register("docker_host_info", "community.docker.docker_host_info")
class DockerHostInfo(Module):
    """Facts about the Docker host: system info, and lists of its objects on request."""

    args = {
        "containers": Arg("bool", default=False, description="List the containers."),
        "containers_all": Arg("bool", default=False, description="Stopped containers too."),
        "containers_filters": _filters("containers"),
        "images": Arg("bool", default=False, description="List the images."),
        "images_filters": _filters("images"),
        "networks": Arg("bool", default=False, description="List the networks."),
        "networks_filters": _filters("networks"),
        "volumes": Arg("bool", default=False, description="List the volumes."),
        "volumes_filters": _filters("volumes"),
        "disk_usage": Arg("bool", default=False, description="Summarize the disk usage."),
        "verbose_output": Arg("bool", default=False, description="Accepted: the CLI's rows."),
        **CONNECTION_ARGS,
    }
    returns = {
        "can_talk_to_docker": "whether the daemon answered",
        "host_info": "`docker system info` as JSON",
        "containers": "`docker container ls` rows (with `containers`)",
        "images": "`docker image ls` rows (with `images`)",
        "networks": "`docker network ls` rows (with `networks`)",
        "volumes": "`docker volume ls` rows (with `volumes`)",
        "disk_usage": "`docker system df` rows by type (with `disk_usage`)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        cli = docker_cli(args)
        parts = [f"{cli} system info --format '{{{{json .}}}}' 2>&1; {marked('info')}"]
        for kind in (k for k in _LISTS if args[k]):
            parts.append(f"{cli} {_list_command(args, kind)} 2>/dev/null; {marked(kind)}")
        if args["disk_usage"]:
            parts.append(f"{cli} system df --format '{{{{json .}}}}' 2>/dev/null; {marked('df')}")
        out = ctx.run("; ".join(parts)).out
        text, rc = section(out, "info")
        said = [line for line in text.splitlines() if line.strip()]
        complaint = " ".join(line for line in said if not line.startswith("{"))
        if rc != 0:  # the CLI prints its own half of the info, then why it has no more
            raise ModuleError(f"cannot talk to the docker daemon: {complaint}")
        info = json_value(said[0] if said else "", "docker system info")
        if isinstance(info, dict) and info.get("ServerErrors"):
            raise ModuleError(f"cannot talk to the docker daemon: {info['ServerErrors'][0]}")
        values: dict[str, Any] = {"can_talk_to_docker": True, "host_info": info}
        for kind in (k for k in _LISTS if args[k]):
            values[kind] = json_lines(section(out, kind)[0], f"docker {kind} ls")
        if args["disk_usage"]:
            rows = json_lines(section(out, "df")[0], "docker system df")
            values["disk_usage"] = {str(row.get("Type")): row for row in rows}
        return Result(values=values)


def _list_command(args: dict[str, Any], kind: str) -> str:
    noun = kind[:-1]
    words = [noun, "ls", "--format", "'{{json .}}'"]
    if kind == "containers" and args["containers_all"]:
        words.append("--all")
    if kind == "images" or kind == "containers":
        words.append("--no-trunc")
    for key, value in (args[f"{kind}_filters"] or {}).items():
        for item in value if isinstance(value, list) else [value]:
            words += ["--filter", quote(f"{key}={_text(item)}")]
    return " ".join(words)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
