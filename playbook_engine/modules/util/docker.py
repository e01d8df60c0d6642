"""What the community.docker modules share: the connection arguments every one of them takes,
the ``docker`` command line those arguments make, and reading the CLI's JSON.

pbe drives the host's ``docker`` CLI (no Docker SDK, no Python on the host): the daemon
connection arguments become the CLI's global options (``--host``, ``--context``,
``--tlsverify`` …) and ``api_version`` its ``DOCKER_API_VERSION``.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import ModuleError
from ...transport.shell import quote
from ..base import Arg
from .services import mark, sections

__all__ = [
    "CONNECTION_ARGS",
    "dicts",
    "docker_cli",
    "mapping",
    "inspected",
    "json_lines",
    "json_value",
    "marked",
    "section",
]

CONNECTION_ARGS: dict[str, Arg] = {
    "docker_host": Arg(
        "str", aliases=("docker_url",), description="The daemon's URL or socket (`--host`)."
    ),
    "tls_hostname": Arg(
        "str", description="Accepted: the CLI checks the name given in `docker_host`."
    ),
    "api_version": Arg(
        "str",
        default="auto",
        aliases=("docker_api_version",),
        description="The API version (`DOCKER_API_VERSION`); `auto` lets the CLI choose.",
    ),
    "timeout": Arg("int", description="Accepted: the CLI waits as long as it needs."),
    "ca_path": Arg(
        "path",
        aliases=("ca_cert", "tls_ca_cert", "cacert_path"),
        description="CA certificate to verify the daemon with (`--tlscacert`).",
    ),
    "client_cert": Arg(
        "path", aliases=("tls_client_cert", "cert_path"), description="Client certificate."
    ),
    "client_key": Arg("path", aliases=("tls_client_key", "key_path"), description="Client key."),
    "tls": Arg("bool", default=False, description="TLS without verifying the daemon."),
    "validate_certs": Arg(
        "bool", default=False, aliases=("tls_verify",), description="TLS, verifying the daemon."
    ),
    "use_ssh_client": Arg("bool", default=False, description="Accepted: the CLI uses ssh."),
    "debug": Arg("bool", default=False, description="Accepted: no effect."),
}

# compose modules talk to the daemon through the CLI alone: they take these instead
CLI_ARGS: dict[str, Arg] = {
    **{k: a for k, a in CONNECTION_ARGS.items() if k not in ("use_ssh_client", "debug")},
    "docker_cli": Arg("path", description="The docker CLI to run (default: `docker` on PATH)."),
    "cli_context": Arg("str", description="The CLI context (`--context`)."),
}


def docker_cli(args: dict[str, Any]) -> str:
    """``docker`` with the global options the connection arguments ask for, quoted."""
    words = [quote(args.get("docker_cli") or "docker")]
    if args.get("cli_context"):
        words += ["--context", quote(args["cli_context"])]
    if args.get("docker_host"):
        words += ["--host", quote(args["docker_host"])]
    if args.get("validate_certs") or args.get("tls"):
        words.append("--tlsverify" if args.get("validate_certs") else "--tls")
    for key, option in (("ca_path", "--tlscacert"), ("client_cert", "--tlscert")):
        if args.get(key):
            words += [option, quote(args[key])]
    if args.get("client_key"):
        words += ["--tlskey", quote(args["client_key"])]
    version = args.get("api_version")
    prefix = f"DOCKER_API_VERSION={quote(version)} " if version and version != "auto" else ""
    return prefix + " ".join(words)


def marked(name: str, status: str = "$?") -> str:
    """A shell snippet ending the section ``name`` with the exit status of the command
    before it (or ``status``), so one round trip carries several commands' outputs
    (``section`` splits them): the service modules' markers."""
    return mark(name, status)


def section(out: str, name: str) -> tuple[str, int | None]:
    """What the command before marker ``name`` printed, and its exit status;
    ``("", None)`` when the command never got there."""
    found = sections(out).get(name)
    return ("", None) if found is None else (found.text.strip("\n"), found.rc)


def json_value(text: str, what: str) -> Any:
    """One JSON document the CLI printed; ModuleError naming ``what`` when it is not."""
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise ModuleError(f"cannot read {what}: {exc}: {text[:200]!r}") from None


def json_lines(text: str, what: str) -> list[Any]:
    """JSON the CLI printed one document a line (``--format json``), or one array."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        value = json_value(stripped, what)
        return list(value) if isinstance(value, list) else [value]
    return [json_value(line, what) for line in stripped.splitlines() if line.strip()]


def inspected(out: str, name: str, what: str) -> list[Any] | None:
    """The documents an ``inspect`` printed before marker ``name`` (its stderr joined to its
    stdout), None when it did not run. Objects that do not exist are simply left out; any
    other complaint (no daemon, no permission) fails the task with the CLI's words."""
    text, rc = section(out, name)
    if rc is None:
        return None
    lines = text.splitlines()
    starts = bool(lines) and lines[0].startswith("[")
    end = max((i for i, line in enumerate(lines) if line.rstrip().endswith("]")), default=-1)
    end = end if starts else -1
    errors = [line for line in lines[end + 1 :] if line.strip()]
    if rc != 0 and not all(_missing(line) for line in errors):
        raise ModuleError(f"{what} failed (rc={rc}): {' '.join(errors)}")
    found = json_value("\n".join(lines[: end + 1]), what) if end >= 0 else []
    return list(found) if isinstance(found, list) else []


def _missing(line: str) -> bool:
    """The CLI's words for an object that does not exist: ``No such container: x``,
    ``network x not found``, ``get x: no such volume``."""
    said = line.lower().rstrip()
    return "no such" in said or said.endswith("not found")


def mapping(value: Any, what: str) -> dict[str, Any]:
    """``value`` when it is a mapping (or unset: empty); ModuleError naming ``what``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ModuleError(f"{what} must be a mapping, got {type(value).__name__}: {value!r}")
    return value


def dicts(value: Any, what: str) -> list[dict[str, Any]]:
    """``value`` when it is a list of mappings (or unset: empty); ModuleError otherwise."""
    items = value or []
    bad = [item for item in items if not isinstance(item, dict)]
    if bad:
        raise ModuleError(f"{what}: each item must be a mapping, got {bad[0]!r}")
    return list(items)
