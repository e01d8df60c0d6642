"""docker_image_info: what ``docker image inspect`` says of some images, or of all of them."""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .docker_image import image_ref
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, json_value, marked, section


@register("docker_image_info", "community.docker.docker_image_info")
class DockerImageInfo(Module):
    """Inspect Docker images on the host (missing ones are left out)."""

    args = {
        "name": Arg(
            "list",
            elements="str",
            description="Images (`NAME[:TAG]` or IDs); none: every image on the host.",
        ),
        **CONNECTION_ARGS,
    }
    returns = {"images": "`docker image inspect` of each image found"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        cli = docker_cli(args)
        names = [image_ref(str(name), None) for name in args["name"] or []]
        if names:
            wanted = " ".join(quote(name) for name in names)
        else:
            wanted = f"$({cli} image ls --quiet --no-trunc | sort -u)"
        command = (
            f"{cli} image ls --quiet 2>&1 >/dev/null; {marked('daemon')}; "
            f"{cli} image inspect {wanted} 2>/dev/null; {marked('images')}"
        )
        out = ctx.run(command).out
        text, _ = section(out, "images")
        daemon, rc = section(out, "daemon")
        if rc:
            raise ModuleError(f"cannot list the images (rc={rc}): {daemon.strip()}")
        found = json_value(text, "docker image inspect") if text.strip() else []
        return Result(values={"images": found if isinstance(found, list) else []})
