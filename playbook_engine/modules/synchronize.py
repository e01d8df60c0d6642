"""synchronize: rsync between the controller (or the ``delegate_to`` host) and the host.

rsync runs where Ansible's runs it: on the controller, reaching the host over ssh with the
host's own address, port, user and key (``mode: push`` copies ``src`` there, ``pull``
fetches it); on the delegate when the task has ``delegate_to`` (through the delegate's
connection); and as a plain local copy when the host is the local connection (or the
delegate is the host itself). Every file rsync would touch is printed by
``--out-format=<<CHANGED>>%i %n%L`` (its itemized changes), so ``changed`` is whether any
line came out, and check mode is rsync's own ``--dry-run`` of the same command.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol, cast

from ..errors import ModuleError
from ..transport.base import CommandResult, ConnectionSpec
from ..transport.local import LocalConnection
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

MARKER = "<<CHANGED>>"
_LOCAL = ConnectionSpec(host="localhost", address="localhost", connection="local")
_FLAGS = ("recursive", "links", "perms", "times", "owner", "group")  # archive's parts


class _Engine(Protocol):
    """What synchronize needs of the engine's task context beyond ModuleContext."""

    host: str
    target: str
    delegate_to: str | None

    def host_spec(self) -> ConnectionSpec: ...

    @property
    def become_user(self) -> str | None: ...

    @property
    def playbook_dir(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """Where rsync runs and what it is given."""

    on_controller: bool  # else through the task's connection (the delegate, or local)
    src: str
    dest: str
    rsh: str | None  # the ssh command, None for a local copy
    rsync_path: str | None


@register("synchronize", "ansible.posix.synchronize")
class Synchronize(Module):
    """Copy files between the controller (or a delegate) and the host with rsync."""

    local_paths = frozenset({"src", "dest"})
    args = {
        "src": Arg("path", required=True, description="The source path (on the origin for push)."),
        "dest": Arg("path", required=True, description="The destination path."),
        "mode": Arg(
            "str",
            default="push",
            choices=("pull", "push"),
            description="push: origin to host; pull: host to origin.",
        ),
        "archive": Arg(
            "bool",
            default=True,
            description="rsync -a: recursive, links, perms, times, owner, group and devices.",
        ),
        "checksum": Arg(
            "bool", default=False, description="Compare checksums, not times and sizes."
        ),
        "compress": Arg("bool", default=True, description="Compress data in transit."),
        "existing_only": Arg("bool", default=False, description="Create no new files."),
        "delete": Arg(
            "bool", default=False, description="Delete files in dest not in src (after the copy)."
        ),
        "dirs": Arg("bool", default=False, description="Transfer directories without recursing."),
        "recursive": Arg("bool", description="Recurse (default: archive)."),
        "links": Arg("bool", description="Copy symlinks as symlinks (default: archive)."),
        "copy_links": Arg("bool", default=False, description="Copy what symlinks point to."),
        "perms": Arg("bool", description="Preserve permissions (default: archive)."),
        "times": Arg("bool", description="Preserve modification times (default: archive)."),
        "owner": Arg("bool", description="Preserve the owner (default: archive)."),
        "group": Arg("bool", description="Preserve the group (default: archive)."),
        "rsync_path": Arg("str", description="The rsync command on the remote side."),
        "rsync_timeout": Arg("int", default=0, description="rsync --timeout, seconds."),
        "rsync_opts": Arg("list", elements="str", default=[], description="More rsync options."),
        "partial": Arg("bool", default=False, description="Keep partially sent files."),
        "verify_host": Arg("bool", default=False, description="Check the host's SSH key."),
        "private_key": Arg("path", description="The SSH key (default: the host's)."),
        "dest_port": Arg("int", description="The host's SSH port (default: the host's)."),
        "set_remote_user": Arg("bool", default=True, description="Put `user@` in remote paths."),
        "link_dest": Arg(
            "list", elements="path", description="Hard-link unchanged files against these."
        ),
        "delay_updates": Arg(
            "bool",
            default=True,
            description="Put updated files in place at the end (staged in the destination's "
            "`.~tmp~`: hosts pulling into one directory at once must each have their own, "
            "or set this false).",
        ),
        "use_ssh_args": Arg(
            "bool",
            default=False,
            description="Add ansible_ssh_args, ansible_ssh_common_args and "
            "ansible_ssh_extra_args to the ssh command.",
        ),
        "ssh_connection_multiplexing": Arg(
            "bool", default=False, description="Allow ssh ControlMaster sockets (ssh -S none off)."
        ),
    }
    returns = {
        "cmd": "the rsync command line",
        "msg": "rsync's itemized output",
        "stdout_lines": "the same, one line each",
        "rc": "rsync's exit status",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if not hasattr(ctx, "host_spec"):
            raise ModuleError("synchronize runs only inside a pbe run")
        engine = cast(_Engine, ctx)
        plan = plan_endpoints(args, engine, _local_rsync(ctx))
        command = rsync_command(args, plan, _local_rsync(ctx), dry_run=ctx.check)
        res = _runner(ctx, plan).run(command)
        return _result(args, command, res, ctx.diff)


def _local_rsync(ctx: ModuleContext) -> str:
    try:
        return str(ctx.variable("ansible_rsync_path") or "rsync")
    except (KeyError, LookupError):
        return "rsync"


class _Runner(Protocol):
    def run(self, command: str) -> CommandResult: ...


class _Controller:
    """Runs rsync on the controller, where the playbook runs."""

    def run(self, command: str) -> CommandResult:
        conn = LocalConnection(_LOCAL)
        try:
            return conn.run(command)
        finally:
            conn.close()


def _runner(ctx: ModuleContext, plan: Plan) -> _Runner:
    return _Controller() if plan.on_controller else cast(_Runner, ctx)


# -- where rsync runs and what it reaches --------------------------------------------------


def plan_endpoints(args: dict[str, Any], engine: _Engine, local_rsync: str) -> Plan:
    """Ansible's choice of origin and remote: the controller unless delegated; a local copy
    when the host is the local connection or the delegate is the host itself."""
    spec = engine.host_spec()
    delegated = engine.delegate_to is not None
    if delegated:
        local = engine.delegate_to in (engine.host, spec.address)
    else:
        local = spec.connection == "local"
    if local:
        src = _origin_path(args["src"], engine) if not delegated else args["src"]
        dest = _origin_path(args["dest"], engine) if not delegated else args["dest"]
        return Plan(False, src, dest, None, args["rsync_path"])
    user = spec.user if args["set_remote_user"] else None
    remote_src, remote_dest = args["mode"] == "pull", args["mode"] == "push"
    src = _remote(spec.address, args["src"], user) if remote_src else args["src"]
    dest = _remote(spec.address, args["dest"], user) if remote_dest else args["dest"]
    if not delegated:
        src = src if remote_src else _origin_path(src, engine)
        dest = dest if remote_dest else _origin_path(dest, engine)
    rsh = None if _has_rsh(args) or _daemon(src, dest) else _ssh(args, spec, engine)
    return Plan(not delegated, src, dest, rsh, _rsync_path(args, engine))


def _remote(address: str, path: str, user: str | None) -> str:
    """``user@host:path`` (IPv6 in brackets), as Ansible formats rsync's remote side."""
    if path.startswith("rsync://"):
        return path
    who = f"{user}@" if user else ""
    if ":" in address:
        return f"[{who}{address}]:{path}"
    if ":" not in path:
        return f"{who}{address}:{path}"
    return path if "@" in path else f"{who}{path}"


def _origin_path(path: str, engine: _Engine) -> str:
    """A relative path on the controller: in the role's or playbook's ``files/`` when it is
    there, else beside the playbook (a trailing ``/`` is kept: it means "the contents")."""
    if ":" in path or path.startswith("/"):
        return path
    try:
        found = str(cast(ModuleContext, engine).find_file("files", path.rstrip("/") or "."))
    except ModuleError:
        found = str(PurePosixPath(engine.playbook_dir) / path)
    return found + "/" if path.endswith("/") and not found.endswith("/") else found


def _has_rsh(args: dict[str, Any]) -> bool:
    return any("--rsh" in opt for opt in args["rsync_opts"] or [])


def _daemon(src: str, dest: str) -> bool:
    if src.startswith("rsync://") and dest.startswith("rsync://"):
        raise ModuleError("either src or dest must be a localhost")
    return src.startswith("rsync://") or dest.startswith("rsync://")


def _ssh(args: dict[str, Any], spec: ConnectionSpec, engine: _Engine) -> str:
    """The ssh command rsync connects with: the host's port and key, pbe's known_hosts and
    ssh config when verify_host is set."""
    words = ["ssh"]
    if spec.ssh_config_file:
        words += ["-F", spec.ssh_config_file]
    if not args["ssh_connection_multiplexing"]:
        words += ["-S", "none"]
    key = args["private_key"] or spec.private_key_file
    if key:
        words += ["-i", key]
    port = args["dest_port"] or spec.port
    if port:
        words += ["-o", f"Port={port}"]
    if not args["verify_host"]:
        words += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    elif spec.known_hosts_files:
        words += ["-o", f"UserKnownHostsFile={' '.join(spec.known_hosts_files)}"]
    line = " ".join(shlex.quote(w) for w in words)
    if args["use_ssh_args"] and (extra := _ssh_args(engine)):
        line += f" {extra}"
    return line


def _ssh_args(engine: _Engine) -> str:
    ctx = cast(ModuleContext, engine)
    found = []
    for name in ("ansible_ssh_args", "ansible_ssh_common_args", "ansible_ssh_extra_args"):
        try:
            if value := ctx.variable(name):
                found.append(str(value))
        except (KeyError, LookupError):
            continue
    return " ".join(found)


def _rsync_path(args: dict[str, Any], engine: _Engine) -> str | None:
    """With become, the remote rsync runs under sudo (as Ansible does it)."""
    if args["rsync_path"] or engine.become_user is None:
        return str(args["rsync_path"]) if args["rsync_path"] else None
    user = engine.become_user
    return "sudo rsync" if user == "root" else f"sudo -u {user} rsync"


# -- the command -------------------------------------------------------------------------


def rsync_command(args: dict[str, Any], plan: Plan, rsync: str, dry_run: bool) -> str:
    """The rsync command line (pure), in Ansible's order of options."""
    words = [shlex.quote(rsync)]
    if args["delay_updates"]:
        words += ["--delay-updates", "-F"]
    if args["compress"]:
        words.append("--compress")
    if args["rsync_timeout"]:
        words.append(f"--timeout={int(args['rsync_timeout'])}")
    words += _switches(args, dry_run)
    if plan.rsh is not None:
        words.append(f"--rsh={shlex.quote(plan.rsh)}")
    if plan.rsync_path:
        words.append(f"--rsync-path={shlex.quote(plan.rsync_path)}")
    for opt in args["rsync_opts"] or []:
        words += [shlex.quote(w) for w in shlex.split(opt)] if opt else ["''"]
    if args["partial"]:
        words.append("--partial")
    words += _link_dest(args, plan.dest)
    words.append(shlex.quote(f"--out-format={MARKER}%i %n%L"))
    return " ".join([*words, shlex.quote(plan.src), shlex.quote(plan.dest)])


def _switches(args: dict[str, Any], dry_run: bool) -> list[str]:
    words = ["--dry-run"] if dry_run else []
    for key, flag in (
        ("delete", "--delete-after"),
        ("existing_only", "--existing"),
        ("checksum", "--checksum"),
        ("copy_links", "--copy-links"),
        ("archive", "--archive"),
    ):
        if args[key]:
            words.append(flag)
    for name in _FLAGS:  # archive's parts, switched off (or on without archive) one by one
        if args["archive"] and args[name] is False:
            words.append(f"--no-{name}")
        elif not args["archive"] and args[name]:
            words.append(f"--{name}")
    if args["dirs"]:
        words.append("--dirs")
    return words


def _link_dest(args: dict[str, Any], dest: str) -> list[str]:
    if not args["link_dest"]:
        return []
    words = ["-H", "-vv"]  # rsync reports a new hard link as a change only with -vv
    below = str(PurePosixPath(dest).parent)
    for path in args["link_dest"]:
        if below.startswith(path):
            raise ModuleError(
                "Hardlinking into a subdirectory of the source would cause recursion. "
                f"{below} and {dest}"
            )
        words.append(shlex.quote(f"--link-dest={path}"))
    return words


def _result(args: dict[str, Any], command: str, res: CommandResult, diff: bool) -> Result:
    if res.rc != 0:
        return Result.fail(res.err, rc=res.rc, cmd=command)
    out = res.out
    changed = f"{MARKER}." not in out if args["link_dest"] else MARKER in out
    clean = out.replace(MARKER, "")
    lines = [line for line in clean.split("\n") if line]
    values = {"rc": 0, "cmd": command, "stdout_lines": lines}
    return Result(
        changed=changed, msg=clean, values=values, diff={"prepared": clean} if diff else None
    )
