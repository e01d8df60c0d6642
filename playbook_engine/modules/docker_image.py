"""docker_image: an image on the host, pulled, built, loaded or removed (the ``docker`` CLI).

One command inspects the image (and the ``repository`` tag, and that a build or load path
is there); when it is missing, or ``force_source`` asks, one command pulls, builds or loads
it, tags and pushes it, and inspects the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, inspected, mapping, marked, section

_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")
_BUILD_KEYS = {
    "path", "dockerfile", "args", "cache_from", "container_limits", "etc_hosts",
    "http_timeout", "labels", "network", "nocache", "platform", "pull", "rm", "shm_size",
    "target", "use_config_proxy",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Found:
    """The image and the ``repository`` tag as inspected (None: not on the host), and
    whether the build or load path is there."""

    image: dict[str, Any] | None
    repository: dict[str, Any] | None
    source_ok: bool


def image_ref(name: str, tag: str | None) -> str:
    """``name:tag``; a tag (or digest) in ``name`` wins, an image ID stays as it is."""
    if _ID.match(name) or "@" in name or ":" in name.rsplit("/", 1)[-1]:
        return name
    return f"{name}:{tag or 'latest'}"


@register("docker_image", "community.docker.docker_image")
class DockerImage(Module):
    """Pull, build, load, tag, push or remove a Docker image (the `docker` CLI)."""

    args = {
        "name": Arg("str", required=True, description="The image (`NAME[:TAG]`, or an ID)."),
        "tag": Arg("str", default="latest", description="The tag, unless `name` has one."),
        "state": Arg(
            "str", default="present", choices=("absent", "present"), description="On the host."
        ),
        "source": Arg(
            "str",
            choices=("build", "load", "pull", "local"),
            description="Where a missing image comes from (required with `present`).",
        ),
        "force_source": Arg(
            "bool", default=False, description="Pull, build or load even when it is here."
        ),
        "build": Arg(
            "dict",
            description="Build options: `path` (on the host), `dockerfile`, `args`, `labels`, "
            "`target`, `network`, `nocache`, `pull`, `platform`, `cache_from`, `etc_hosts`, "
            "`shm_size` (the rest accepted).",
        ),
        "load_path": Arg("path", description="The `.tar` archive to load (`source: load`)."),
        "pull": Arg("dict", description="Pull options: `platform`."),
        "repository": Arg("str", description="Tag the image as this `REPO[:TAG]` too."),
        "force_tag": Arg("bool", default=False, description="Tag even when the tag is there."),
        "push": Arg("bool", default=False, description="Push it (`repository` if given)."),
        "force_absent": Arg("bool", default=False, description="Remove it with all its tags."),
        **CONNECTION_ARGS,
    }
    returns = {
        "image": "the image as `docker image inspect` shows it ({} when absent)",
        "actions": "what was done (`Pulled image …`, `Built image …`)",
        "stdout": "the build's output",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        _check(args)
        found = _found(ctx.run(_probe(args)).out)
        steps, actions = plan(args, found)
        values: dict[str, Any] = {"image": found.image or {}, "actions": actions}
        if not steps:
            return Result(values=values)
        if ctx.check:  # a forced source or a push may change nothing: not known before
            unsure = found.image is not None and (args["force_source"] or args["push"])
            return Result(changed=not unsure, values=values, unknown=unsure)
        return _applied(args, found, actions, ctx.run(_apply(args, steps)).out)


def _ref(args: dict[str, Any]) -> str:
    return image_ref(args["name"], args["tag"])


def _repository(args: dict[str, Any]) -> str | None:
    repo = args["repository"]
    return image_ref(repo, args["tag"]) if repo else None


def _check(args: dict[str, Any]) -> None:
    source = args["source"]
    if args["state"] == "present" and source is None:
        raise ModuleError("state is present but all of the following are missing: source")
    if source == "build" and not (args["build"] or {}).get("path"):
        raise ModuleError(
            'If "source" is set to "build", the "build.path" option must be specified.'
        )
    if source == "load" and not args["load_path"]:
        raise ModuleError("source is load but all of the following are missing: load_path")
    if source in ("build", "pull") and _ID.match(args["name"]):
        raise ModuleError(
            f"Image name must not be an image ID for source={source}; got: {args['name']}"
        )
    build = mapping(args["build"], "build")
    for key in ("args", "labels", "etc_hosts", "container_limits"):
        mapping(build.get(key), f"build.{key}")
    if not isinstance(build.get("cache_from") or [], list):
        raise ModuleError(f"build.cache_from must be a list, got {build['cache_from']!r}")
    mapping(args["pull"], "pull")
    unknown = sorted(set(build) - _BUILD_KEYS)
    if unknown:
        raise ModuleError(f"build: unsupported options: {', '.join(unknown)}")


def _probe(args: dict[str, Any]) -> str:
    cli = docker_cli(args)
    parts = [f"{cli} image inspect {quote(_ref(args))} 2>&1; {marked('image')}"]
    if (repo := _repository(args)) and args["state"] == "present":
        parts.append(f"{cli} image inspect {quote(repo)} 2>&1; {marked('repository')}")
    if args["state"] == "present" and args["source"] in ("build", "load"):
        path = args["build"]["path"] if args["source"] == "build" else args["load_path"]
        test = "-d" if args["source"] == "build" else "-f"
        parts.append(f"test {test} {quote(path)}; {marked('source')}")
    return "; ".join(parts)


def _found(out: str) -> Found:
    _, source_rc = section(out, "source")
    return Found(_first(out, "image"), _first(out, "repository"), source_rc in (0, None))


def _first(out: str, name: str) -> dict[str, Any] | None:
    found = inspected(out, name, "docker image inspect")
    return found[0] if found else None


def plan(args: dict[str, Any], found: Found) -> tuple[list[str], list[str]]:
    """The steps (``remove``, ``pull``, ``build``, ``load``, ``tag``, ``push``) and
    Ansible's ``actions`` for them; no steps when the image is as asked."""
    ref = _ref(args)
    if args["state"] == "absent":
        return (["remove"], [f"Removed image {ref}"]) if found.image else ([], [])
    steps, actions = _source_steps(args, found)
    repo = _repository(args)
    image_id = (found.image or {}).get("Id")
    if repo and (args["force_tag"] or steps or (found.repository or {}).get("Id") != image_id):
        steps.append("tag")
        actions.append(f"Tagged image {ref} to {repo}")
    if args["push"]:
        steps.append("push")
        actions.append(f"Pushed image {repo or ref}")
    return steps, actions


def _source_steps(args: dict[str, Any], found: Found) -> tuple[list[str], list[str]]:
    source, ref = args["source"], _ref(args)
    if found.image is not None and not args["force_source"]:
        return [], []
    if source == "local":
        if found.image is None:
            raise ModuleError(f"Cannot find the image {ref} locally.")
        return [], []
    if not found.source_ok and source == "build":
        path = args["build"]["path"]
        raise ModuleError(
            f"Requested build path {path} could not be found or you do not have access."
        )
    if not found.source_ok:
        raise ModuleError(
            f"Error loading image {ref}. Specified path {args['load_path']} does not exist."
        )
    done = {
        "pull": f"Pulled image {ref}",
        "build": f"Built image {ref} from {(args['build'] or {}).get('path')}",
        "load": f"Loaded image {ref} from {args['load_path']}",
    }
    return [source], [done[source]]


def _apply(args: dict[str, Any], steps: list[str]) -> str:
    body = " && ".join(_command(args, step) for step in steps)
    cli, ref = docker_cli(args), quote(_ref(args))
    return (
        f"{{ {body}; }} 2>&1; {marked('apply')}; "
        f"{cli} image inspect {ref} 2>/dev/null; {marked('image')}"
    )


def _command(args: dict[str, Any], step: str) -> str:
    cli, ref = docker_cli(args), quote(_ref(args))
    if step == "remove":
        return f"{cli} image rm{' --force' if args['force_absent'] else ''} {ref}"
    if step == "pull":
        platform = (args["pull"] or {}).get("platform")
        return f"{cli} pull --quiet{_opt('--platform', platform)} {ref} >/dev/null"
    if step == "build":
        return f"{cli} build {' '.join(_build_words(args))}"
    if step == "load":
        return f"{cli} load --input {quote(args['load_path'])} >/dev/null"
    if step == "tag":
        return f"{cli} tag {ref} {quote(_repository(args) or '')}"
    return f"{cli} push {quote(_repository(args) or _ref(args))}"


def _opt(flag: str, value: Any) -> str:
    return f" {flag} {quote(str(value))}" if value not in (None, "") else ""


def _build_words(args: dict[str, Any]) -> list[str]:
    build = args["build"] or {}
    words = ["--tag", quote(_ref(args))]
    flags = {"dockerfile": "--file", "target": "--target", "network": "--network",
             "platform": "--platform", "shm_size": "--shm-size"}  # fmt: skip
    for key, flag in flags.items():
        words += [flag, quote(str(build[key]))] if build.get(key) else []
    for key, flag in (("args", "--build-arg"), ("labels", "--label")):
        for name, value in (build.get(key) or {}).items():
            words += [flag, quote(f"{name}={value}")]
    words += [w for host, ip in (build.get("etc_hosts") or {}).items()
              for w in ("--add-host", quote(f"{host}:{ip}"))]  # fmt: skip
    words += [w for image in build.get("cache_from") or [] for w in ("--cache-from", quote(image))]
    words += ["--no-cache"] if build.get("nocache") else []
    words += ["--pull"] if build.get("pull") else []
    return [*words, quote(build["path"])]


def _applied(args: dict[str, Any], found: Found, actions: list[str], out: str) -> Result:
    text, rc = section(out, "apply")
    if rc != 0:
        detail = text.strip() or f"exit status {rc}"
        raise ModuleError(f"docker failed on image {_ref(args)} (rc={rc}): {detail}")
    image = _first(out, "image") or {}
    values: dict[str, Any] = {"image": image, "actions": actions}
    if any(action.startswith("Built") for action in actions):
        values["stdout"] = text
    if args["state"] == "absent":
        return Result(changed=True, values={"image": {"state": "Deleted"}, "actions": actions})
    same = found.image is not None and found.image.get("Id") == image.get("Id")
    pushed = re.search(r": Pushed\b", text) is not None  # a layer the registry lacked
    changed = not same or pushed or any(a.startswith("Tagged") for a in actions)
    return Result(changed=changed, values=values)
