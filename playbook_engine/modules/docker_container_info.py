"""docker_container_info: what ``docker container inspect`` says of a container, if any."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, json_value


@register("docker_container_info", "community.docker.docker_container_info")
class DockerContainerInfo(Module):
    """Inspect a Docker container: whether it exists, its state and configuration."""

    args = {
        "name": Arg("str", required=True, description="The container (a name or an ID)."),
        **CONNECTION_ARGS,
    }
    returns = {
        "exists": "whether the container exists",
        "container": "`docker container inspect` of it (null when it does not exist)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        res = ctx.run(f"{docker_cli(args)} container inspect {quote(args['name'])}")
        found = json_value(res.out, "docker container inspect") if res.out.strip() else []
        if res.rc != 0 and "no such" not in res.err.lower():
            raise ModuleError(f"docker container inspect failed (rc={res.rc}): {res.err.strip()}")
        container = found[0] if isinstance(found, list) and found else None
        return Result(values={"exists": container is not None, "container": container})
