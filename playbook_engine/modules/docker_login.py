"""docker_login: credentials for a registry in the Docker CLI's config, or not (docker login).

The password goes to ``docker login --password-stdin`` on stdin: it is never on a command
line, in a result or in an error. Whether the stored credentials are already the ones asked
for is read from the config file (or from its credential helper).
"""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, marked, section

HUB = "https://index.docker.io/v1/"
_HUB_NAMES = frozenset(("docker.io", "index.docker.io", "registry-1.docker.io", HUB.rstrip("/")))
DEFAULT_CONFIG = "~/.docker/config.json"
MASK = "********"


@dataclass(frozen=True, slots=True)
class Stored:
    """The registry's entry in the config: found at all, its user and password (None when
    unknown, e.g. kept by a credential helper this module could not ask)."""

    found: bool
    username: str | None = None
    password: str | None = None


@register("docker_login", "community.docker.docker_login")
class DockerLogin(Module):
    """Log in to (or out of) a Docker registry: credentials in the Docker CLI's config."""

    args = {
        "registry_url": Arg(
            "str", default=HUB, aliases=("registry", "url"), description="The registry."
        ),
        "username": Arg("str", description="The account (required with `state: present`)."),
        "password": Arg(
            "str", secret=True, description="Its password (required with `state: present`)."
        ),
        "email": Arg("str", description="Accepted and ignored (older collections' argument)."),
        "reauthorize": Arg(
            "bool",
            default=False,
            aliases=("reauth",),
            description="Log in again even when the stored credentials are these.",
        ),
        "config_path": Arg(
            "path",
            default=DEFAULT_CONFIG,
            aliases=("dockercfg_path",),
            description="The CLI's config file (its name must be `config.json`).",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Logged in (`present`) or out.",
        ),
        **CONNECTION_ARGS,
        "timeout": Arg("int", default=60, description="Accepted: the CLI waits as needed."),
    }
    returns = {"login_result": "`serveraddress` and `username` (state present)"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        try:
            return _run(args, ctx)
        except ModuleError as exc:  # the tool's words may quote what it was given
            raise ModuleError(_masked(exc.message, args)) from None


def _run(args: dict[str, Any], ctx: ModuleContext) -> Result:
    """Read the config (and its credential helper), decide, log in or out."""
    _check(args)
    probe = ctx.run(f"cat {_config_file(args)} 2>/dev/null; {marked('config')}")
    text, rc = section(probe.out, "config")
    stored = _stored(_config(text) if rc == 0 else {}, _registry(args["registry_url"]), ctx)
    op = _plan(args, stored)
    values = _values(args)
    if op is None:
        return Result(values=values)
    msg = "logged in" if op == "login" else "logged out"
    if ctx.check:
        return Result(changed=True, msg=msg, values=values)
    res = ctx.run(_command(args, op), stdin=_stdin(args, op))
    if res.rc != 0:
        detail = (res.err or res.out).strip() or f"exit status {res.rc}"
        raise ModuleError(f"docker {op} failed (rc={res.rc}): {detail}")
    return Result(changed=True, msg=msg, values=values)


def _plan(args: dict[str, Any], stored: Stored) -> str | None:
    if args["state"] == "absent":
        return "logout" if stored.found else None
    same = (stored.username, stored.password) == (args["username"], args["password"])
    return None if same and not args["reauthorize"] else "login"


def _values(args: dict[str, Any]) -> dict[str, Any]:
    if args["state"] == "absent":
        return {}
    server = _registry(args["registry_url"])
    return {"login_result": {"serveraddress": server, "username": args["username"]}}


def _stored(config: dict[str, Any], registry: str, ctx: ModuleContext) -> Stored:
    """The registry's credentials: from the config's ``auths``, or from the credential
    helper the config names for it (``credHelpers``, ``credsStore``)."""
    auths = config.get("auths") or {}
    key = next((k for k in _keys(registry) if k in auths), None)
    entry = auths.get(key) if key is not None else None
    user, password = _decode(entry)
    helpers = config.get("credHelpers") or {}
    helper = next((helpers[k] for k in _keys(registry) if k in helpers), config.get("credsStore"))
    if password is not None or not helper:
        return Stored(entry is not None, user, password)
    asked = ctx.run(f"printf %s {quote(key or registry)} | docker-credential-{quote(helper)} get")
    found = _config(asked.out) if asked.rc == 0 else {}
    if not found.get("Secret"):
        return Stored(entry is not None)
    return Stored(True, found.get("Username"), found.get("Secret"))


def _check(args: dict[str, Any]) -> None:
    if args["state"] == "present" and not (args["username"] and args["password"]):
        raise ModuleError(
            "state is present but all of the following are missing: "
            + ", ".join(k for k in ("username", "password") if not args[k])
        )
    if posixpath.basename(args["config_path"]) != "config.json":
        raise ModuleError(
            f"config_path {args['config_path']}: the docker CLI keeps its config in a file "
            "named config.json (its --config option takes the directory)"
        )


def _config_file(args: dict[str, Any]) -> str:
    path = args["config_path"]
    if path == DEFAULT_CONFIG:
        return '"${DOCKER_CONFIG:-$HOME/.docker}/config.json"'
    return _shell_path(path)


def _shell_path(path: str) -> str:
    """A path as a shell word, a leading ``~/`` being the host user's home."""
    if path.startswith("~/"):
        return f'"$HOME"/{quote(path[2:])}'
    return quote(path)


def _command(args: dict[str, Any], op: str) -> str:
    words = [docker_cli(args)]
    if args["config_path"] != DEFAULT_CONFIG:
        words.append(f"--config {_shell_path(posixpath.dirname(args['config_path']) or '.')}")
    registry = quote(args["registry_url"])
    if op == "logout":
        return " ".join([*words, "logout", registry])
    user = quote(args["username"])
    return " ".join([*words, "login", "--username", user, "--password-stdin", registry])


def _stdin(args: dict[str, Any], op: str) -> bytes | None:
    return args["password"].encode() if op == "login" else None


def _config(text: str) -> dict[str, Any]:
    try:
        config = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ModuleError(f"cannot read the docker config: {exc}") from None
    return config if isinstance(config, dict) else {}


def _registry(url: str) -> str:
    """The registry as the CLI names it: Docker Hub by its index URL, others by host."""
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return HUB if host in _HUB_NAMES or url.rstrip("/") in _HUB_NAMES else host


def _keys(registry: str) -> list[str]:
    """The keys the CLI may have stored the registry under."""
    if registry == HUB:
        return [HUB, "index.docker.io", "docker.io"]
    return [registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/"]


def _decode(entry: Any) -> tuple[str | None, str | None]:
    """User and password of a config entry (``auth`` is base64 of ``user:password``)."""
    if not isinstance(entry, dict):
        return None, None
    if entry.get("auth"):
        try:
            text = base64.b64decode(str(entry["auth"])).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        user, _, password = text.partition(":")
        return user, password
    return entry.get("username"), entry.get("password")


def _masked(text: str, args: dict[str, Any]) -> str:
    password = args.get("password")
    return text.replace(password, MASK) if password else text
