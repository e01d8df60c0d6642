"""docker_container: a container with the configuration asked for, running or not, or none.

One command reads the container (``docker container inspect``) and its image (``docker
image inspect``); the options asked for are compared with what the daemon reports, as
Ansible's default comparisons do, and a container that differs is recreated. One command
then runs the steps (stop, rm, create, network connect, start, pause …) and inspects the
result; ``state: healthy`` then inspects it until its health check passes.

The options are util/dockeropts' table: each one's create flags and how it reads back
(or not, when it is only set at creation).
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, inspected, marked, section
from .util.dockeropts import (
    check_values,
    command_words,
    comparison_modes,
    create_flags,
    differences,
)

_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")
_NET_KEYS = ("name", "aliases", "ipv4_address", "ipv6_address", "links")


def _arg(kind: str, text: str, **more: Any) -> Arg:
    return Arg(kind, description=text, **more)


_OPTION_ARGS: dict[str, Arg] = {
    "env": _arg("dict", "Environment variables."),
    "env_file": _arg("path", "A file of `KEY=VALUE` lines on the host."),
    "labels": _arg("dict", "Labels."),
    "published_ports": _arg(
        "list",
        "Ports to publish (`[IP:][HOST:]PORT[/PROTO]`; a number is a port).",
        elements="raw",
        aliases=("ports",),
    ),
    "exposed_ports": _arg(
        "list",
        "Ports to expose (numbers or `PORT/PROTO`).",
        elements="raw",
        aliases=("exposed", "expose"),
    ),
    "volumes": _arg("list", "Volumes, `SRC:DEST[:MODE]` or `DEST`.", elements="str"),
    "mounts": _arg("list", "Mounts: `type`, `source`, `target`, `read_only`.", elements="dict"),
    "restart_policy": _arg(
        "str", "The restart policy.", choices=("no", "on-failure", "always", "unless-stopped")
    ),
    "restart_retries": _arg("int", "Retries of `on-failure`."),
    "network_mode": _arg(
        "str", "The network mode (`bridge`, `host`, `none`, `container:NAME`, a network)."
    ),
    "user": _arg("str", "The user (`NAME`, `UID[:GID]`)."),
    "working_dir": _arg("str", "The working directory."),
    "hostname": _arg("str", "The container's host name."),
    "domainname": _arg("str", "The container's domain name."),
    "privileged": _arg("bool", "Privileged mode."),
    "capabilities": _arg("list", "Capabilities to add.", elements="str"),
    "cap_drop": _arg("list", "Capabilities to drop.", elements="str"),
    "devices": _arg("list", "Host devices (`HOST[:CONTAINER[:PERMS]]`).", elements="str"),
    "log_driver": _arg("str", "The logging driver."),
    "log_options": _arg("dict", "Logging driver options.", aliases=("log_opt",)),
    "etc_hosts": _arg("dict", "Extra `/etc/hosts` entries: name to address."),
    "dns_servers": _arg("list", "DNS servers.", elements="str"),
    "memory": _arg("str", "Memory limit (`512m`, `1g`)."),
    "tty": _arg("bool", "Allocate a TTY."),
    "interactive": _arg("bool", "Keep stdin open."),
    "init": _arg("bool", "Run an init inside."),
    "read_only": _arg("bool", "Read-only root file system."),
    "auto_remove": _arg("bool", "Remove the container when it exits."),
    "sysctls": _arg("dict", "Kernel parameters."),
    "security_opts": _arg("list", "Security options.", elements="str"),
    "tmpfs": _arg("list", "tmpfs mounts (`PATH[:OPTIONS]`).", elements="str"),
    "pid_mode": _arg("str", "The PID namespace."),
    "ipc_mode": _arg("str", "The IPC namespace."),
    "stop_signal": _arg("str", "The signal that stops it."),
    "stop_timeout": _arg("int", "Seconds to wait for it to stop."),
    "cpus": _arg("float", "How many CPUs it may use (`1.5`)."),
    "cpu_shares": _arg("int", "CPU shares, a relative weight."),
    "cpu_period": _arg("int", "CPU CFS period, in microseconds."),
    "cpu_quota": _arg("int", "CPU CFS quota, in microseconds."),
    "cpuset_cpus": _arg("str", "The CPUs it may run on (`0-3`, `1,3`)."),
    "cpuset_mems": _arg("str", "The memory nodes it may use (`0-3`, `0,1`)."),
    "memory_reservation": _arg("str", "Memory soft limit, a size (`256m`)."),
    "memory_swap": _arg("str", "Memory plus swap limit, a size; `-1` or `unlimited`: no limit."),
    "memory_swappiness": _arg("int", "Memory swappiness, 0 to 100."),
    "kernel_memory": _arg(
        "str", "Kernel memory limit, a size. Deprecated: recent daemons ignore it."
    ),
    "shm_size": _arg("str", "The size of `/dev/shm` (`64m`)."),
    "oom_killer": _arg("bool", "`true` disables the OOM killer for it."),
    "oom_score_adj": _arg("int", "Its OOM score adjustment."),
    "pids_limit": _arg("int", "At most this many processes (`-1`: no limit)."),
    "blkio_weight": _arg("int", "Block IO weight, 10 to 1000."),
    "device_read_bps": _arg(
        "list", "Read rate limits: `path`, `rate` (a size per second).", elements="dict"
    ),
    "device_write_bps": _arg(
        "list", "Write rate limits: `path`, `rate` (a size per second).", elements="dict"
    ),
    "device_read_iops": _arg(
        "list", "Read IO limits: `path`, `rate` (IO per second).", elements="dict"
    ),
    "device_write_iops": _arg(
        "list", "Write IO limits: `path`, `rate` (IO per second).", elements="dict"
    ),
    "device_requests": _arg(
        "list",
        "Device (GPU) requests: `driver`, `count`, `device_ids`, `capabilities`, `options`.",
        elements="dict",
    ),
    "device_cgroup_rules": _arg("list", "Device cgroup rules (`c 1:3 mr`).", elements="str"),
    "ulimits": _arg("list", "Ulimits, `NAME:SOFT[:HARD]` (`nofile:1024:2048`).", elements="str"),
    "healthcheck": _arg(
        "dict",
        "Its health check: `test`, `interval`, `timeout`, `retries`, `start_period`, "
        "`start_interval`, `test_cli_compatible`.",
    ),
    "links": _arg("list", "Links to other containers, `NAME[:ALIAS]`.", elements="str"),
    "volumes_from": _arg("list", "Containers whose volumes it mounts.", elements="str"),
    "volume_driver": _arg("str", "The volume driver."),
    "storage_opts": _arg("dict", "Storage driver options."),
    "dns_opts": _arg("list", "DNS options.", elements="str"),
    "dns_search_domains": _arg("list", "DNS search domains.", elements="str"),
    "groups": _arg("list", "More groups its process runs with.", elements="str"),
    "mac_address": _arg("str", "Its MAC address."),
    "platform": _arg("str", "The platform, `OS[/ARCH[/VARIANT]]`."),
    "publish_all_ports": _arg("bool", "Publish every exposed port on a random host port."),
    "runtime": _arg("str", "The runtime."),
    "cgroup_parent": _arg("str", "The parent cgroup."),
    "cgroupns_mode": _arg("str", "The cgroup namespace.", choices=("host", "private")),
    "userns_mode": _arg("str", "The user namespace (`host`, or empty)."),
    "uts": _arg("str", "The UTS namespace."),
}


@dataclass(frozen=True, slots=True)
class Found:
    """What the probe read: the container and image (``docker inspect`` documents, None
    when there is none), whether a ``pull: always`` brought a new image, and the env file."""

    container: dict[str, Any] | None
    image: dict[str, Any] | None
    pulled: bool = False
    env_file: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    op: str  # remove | create | connect | disconnect | start | restart | stop
    network: dict[str, Any] | None = None


@register("docker_container", "community.docker.docker_container")
class DockerContainer(Module):
    """Create, recreate, start, stop or remove a Docker container (the `docker` CLI)."""

    args = {
        "name": Arg("str", required=True, description="The container."),
        "image": Arg("str", description="Its image (`REPO[:TAG]` or an image ID)."),
        "state": Arg(
            "str",
            default="started",
            choices=("absent", "present", "healthy", "stopped", "started"),
            description="Whether it exists, and runs (`healthy`: and its health check passes).",
        ),
        "command": Arg("raw", description="The command (a string is split as sh would)."),
        "entrypoint": Arg("list", elements="str", description="The entrypoint."),
        **_OPTION_ARGS,
        "networks": Arg(
            "list",
            elements="dict",
            description="Networks: `name`, `aliases`, `ipv4_address`, `ipv6_address`, `links`.",
        ),
        "networks_cli_compatible": Arg(
            "bool",
            default=True,
            description="Accepted: `networks` replace the default network (`docker run`).",
        ),
        "pull": Arg(
            "raw",
            default="missing",
            choices=("never", "missing", "always", True, False),
            description="When to pull the image.",
        ),
        "recreate": Arg("bool", default=False, description="Recreate it even when it is as asked."),
        "restart": Arg("bool", default=False, description="Restart it (with `started`)."),
        "detach": Arg("bool", description="`false`: wait for it to exit (`status`, its output)."),
        "cleanup": Arg(
            "bool", default=False, description="With `detach: false`, remove it once it exited."
        ),
        "keep_volumes": Arg(
            "bool", default=True, description="Keep anonymous volumes when removing it."
        ),
        "force_kill": Arg(
            "bool", default=False, aliases=("forcekill",), description="Kill instead of stop."
        ),
        "kill_signal": Arg("str", description="The signal `force_kill` sends."),
        "paused": Arg("bool", description="Paused (with `started`), or not."),
        "healthy_wait_timeout": Arg(
            "float",
            default=300,
            description="Seconds `healthy` waits for it (0 or less: no limit).",
        ),
        "default_host_ip": Arg(
            "str", description="The host address of published ports that name none."
        ),
        "output_logs": Arg(
            "bool", default=False, description="Accepted: `detach: false` returns the output."
        ),
        "removal_wait_timeout": Arg(
            "float", description="Accepted: `docker rm` returns once it is removed."
        ),
        "pull_check_mode_behavior": Arg(
            "str",
            default="image_not_present",
            choices=("image_not_present", "always"),
            description="With `pull: always` in check mode: `always` reports a change.",
        ),
        "comparisons": Arg(
            "dict", description="Per option `strict`, `ignore` or `allow_more_present` (`*`: all)."
        ),
        "image_name_mismatch": Arg(
            "str",
            default="recreate",
            choices=("recreate", "ignore"),
            description="Recreate when its image name differs.",
        ),
        "image_label_mismatch": Arg(
            "str",
            default="ignore",
            choices=("ignore", "fail"),
            description="With `labels: strict`: fail when the image has labels not asked for.",
        ),
        "image_comparison": Arg(
            "str",
            default="desired-image",
            choices=("desired-image", "current-image"),
            description="Accepted: `image`'s values are the ones compared.",
        ),
        "container_default_behavior": Arg(
            "str",
            default="no_defaults",
            choices=("compatibility", "no_defaults"),
            description="Accepted: no defaults are assumed.",
        ),
        "command_handling": Arg(
            "str",
            default="correct",
            choices=("compatibility", "correct"),
            description="Accepted: `correct`.",
        ),
        **CONNECTION_ARGS,
    }
    returns = {
        "container": "the container as `docker container inspect` shows it ({} when absent)",
        "status": "the exit status, with `detach: false`",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        args = _ports_as_text(args)
        check_values(args)
        _comparisons(args)
        _networks(args)
        command_words(args["command"])  # bad input is said before the host is asked
        found = _found(args, ctx.run(_probe(args, ctx.check)).out)
        steps = plan(args, found)
        values = {"container": found.container or {}}
        if ctx.check:
            unsure = not steps and _pull_always(args) and found.image is not None
            if unsure and args["pull_check_mode_behavior"] == "always":
                return Result(changed=True, values=values)
            return Result(changed=bool(steps), values=values, unknown=unsure)
        result = Result(changed=found.pulled, values=values)
        if steps:
            result = _applied(args, ctx.run(_apply(args, steps)).out)
        if args["state"] == "healthy" and not result.failed:
            return _healthy(args, ctx, result)
        return result


def _ports_as_text(args: dict[str, Any]) -> dict[str, Any]:
    """Ports may be written as numbers (``- 80``), as Ansible takes them: as text here;
    a published port without a host address gets ``default_host_ip`` when one is given."""
    out = dict(args)
    for key in ("published_ports", "exposed_ports"):
        if out[key] is not None:
            out[key] = [_port_text(port) for port in out[key]]
    address = _default_host_ip(args["default_host_ip"])
    if address and out["published_ports"] is not None:
        out["published_ports"] = [_with_address(port, address) for port in out["published_ports"]]
    return out


def _default_host_ip(value: str | None) -> str:
    if not value:
        return ""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ModuleError(
            f"default_host_ip: {value!r} is not an IPv4 or IPv6 address (or empty)"
        ) from None
    return f"[{address}]" if address.version == 6 else str(address)


def _with_address(port: str, address: str) -> str:
    """``[HOST:]PORT[/PROTO]`` as ``ADDRESS:[HOST]:PORT[/PROTO]``; one naming an address
    stays."""
    text, slash, proto = port.partition("/")
    if text.startswith("[") or text.count(":") >= 2:
        return port
    host, _, inner = text.rpartition(":")
    return f"{address}:{host}:{inner}{slash}{proto}"


def _port_text(port: Any) -> str:
    if isinstance(port, (dict, list, bool)):
        raise ModuleError(f"a port must be a number or text, got {port!r}")
    return str(port)


def _pull_always(args: dict[str, Any]) -> bool:
    return args["pull"] in ("always", True) and not _ID.match(args["image"] or "")


def _image_ref(image: str) -> str:
    """``REPO`` is ``REPO:latest``; a digest or an ID stays."""
    if _ID.match(image) or "@" in image or ":" in image.rsplit("/", 1)[-1]:
        return image
    return f"{image}:latest"


def _probe(args: dict[str, Any], check: bool) -> str:
    cli, name = docker_cli(args), quote(args["name"])
    parts = [f"{cli} container inspect {name} 2>&1; {marked('container')}"]
    if args["image"] and args["state"] != "absent":
        image = quote(_image_ref(args["image"]))
        if _pull_always(args) and not check:
            before = "{{.Id}}"
            parts.append(f"{cli} image inspect --format '{before}' {image} 2>/dev/null")
            parts.append(marked("before"))
            parts.append(f"{cli} pull --quiet {image} 2>&1; {marked('pull')}")
        parts.append(f"{cli} image inspect {image} 2>&1; {marked('image')}")
    if args["env_file"] and args["state"] != "absent":
        parts.append(f"cat {quote(args['env_file'])} 2>&1; {marked('env_file')}")
    return "; ".join(parts)


def _found(args: dict[str, Any], out: str) -> Found:
    container = _first(out, "container")
    image = _first(out, "image")
    pulled_text, pulled_rc = section(out, "pull")
    if pulled_rc:
        raise ModuleError(f"Error pulling image {_image_ref(args['image'])}: {pulled_text}")
    before, _ = section(out, "before")
    pulled = pulled_rc == 0 and image is not None and before.strip() != image.get("Id")
    env_text, env_rc = section(out, "env_file")
    if env_rc:
        raise ModuleError(f"cannot read env_file {args['env_file']}: {env_text}")
    return Found(container, image, pulled, _env_file(env_text))


def _first(out: str, name: str) -> dict[str, Any] | None:
    found = inspected(out, name, f"docker {name} inspect")
    return found[0] if found else None


def _env_file(text: str) -> dict[str, str]:
    pairs = (line.strip().partition("=") for line in text.splitlines())
    return {k: v for k, eq, v in pairs if eq and k and not k.startswith("#")}


def plan(args: dict[str, Any], found: Found) -> list[Step]:
    """The steps that bring the container to the state asked for; [] when it is."""
    container = found.container
    if args["state"] == "absent":
        return [Step("remove")] if container else []
    created = container is None or bool(args["recreate"] or _differs(args, found))
    if created:
        _check_image(args, found)
        steps = [Step("remove")] if container else []
        steps += [Step("create"), *(Step("connect", n) for n in _joined_later(args))]
    else:
        steps = _network_steps(args, container or {}, _comparisons(args))
    running = bool(((container or {}).get("State") or {}).get("Running")) and not created
    if args["state"] in ("started", "healthy"):
        restarted = running and args["restart"]
        steps += [Step("restart")] if restarted else []
        steps += [] if running else [Step("start")]
        paused = bool(((container or {}).get("State") or {}).get("Paused"))
        steps += _pause_steps(args, paused and running and not restarted)
    elif args["state"] == "stopped" and running:
        steps.append(Step("stop"))
    return steps


def _pause_steps(args: dict[str, Any], paused: bool) -> list[Step]:
    """``paused`` as asked, once it runs (not with ``detach: false``, which waits for it)."""
    wanted = args["paused"]
    if wanted is None or args["detach"] is False or wanted == paused:
        return []
    return [Step("pause" if wanted else "unpause")]


def _check_image(args: dict[str, Any], found: Found) -> None:
    image = args["image"]
    if not image:
        raise ModuleError("Cannot create container when image is not specified!")
    if found.image is None and _ID.match(image):
        raise ModuleError(f"Cannot find image with ID {image}")
    if found.image is None and args["pull"] == "never":
        raise ModuleError(f"Cannot find image with name {_image_ref(image)}, and pull=never")


def _differs(args: dict[str, Any], found: Found) -> bool:
    """Whether the container differs from the options asked for (Ansible's defaults)."""
    container = found.container or {}
    comparisons = _comparisons(args)
    wanted = _with_image_values(args, found, comparisons)
    if option_differences(wanted, found, comparisons) or _command_differs(args, container):
        return True
    return _image_differs(args, found, comparisons)


def option_differences(
    args: dict[str, Any], found: Found, comparisons: dict[str, str]
) -> list[str]:
    """The options whose asked-for value the container (or its image) does not have."""
    return differences(args, found.container or {}, found.image or {}, comparisons)


def _with_image_values(
    args: dict[str, Any], found: Found, comparisons: dict[str, str]
) -> dict[str, Any]:
    """The ``env`` and ``labels`` the container should have: ``env_file`` under ``env``;
    compared ``strict``, what the image sets too, as the daemon adds it (with
    ``image_label_mismatch: fail`` an image label not asked for fails the task)."""
    wanted = dict(args)
    image = (found.image or {}).get("Config") or {}
    if args["env"] is not None or found.env_file:
        pairs = (item.partition("=") for item in image.get("Env") or [])
        base = {k: v for k, _, v in pairs} if _mode(comparisons, "env") == "strict" else {}
        wanted["env"] = {**base, **found.env_file, **(args["env"] or {})}
    if args["labels"] is not None and _mode(comparisons, "labels") == "strict":
        extra = sorted(set(image.get("Labels") or {}) - set(map(str, args["labels"])))
        if extra and args["image_label_mismatch"] == "fail":
            raise ModuleError(
                f"labels: the image sets labels not in `labels`: {', '.join(extra)} "
                "(image_label_mismatch: ignore keeps them)"
            )
        wanted["labels"] = {**(image.get("Labels") or {}), **args["labels"]}
    return wanted


def _image_differs(args: dict[str, Any], found: Found, comparisons: dict[str, str]) -> bool:
    image = args["image"]
    if not image or comparisons.get("image", comparisons.get("*")) == "ignore":
        return False
    if found.image is None:
        return True  # not here: pulled by create, then a new container on it
    if (found.container or {}).get("Image") != found.image.get("Id"):
        return True
    named = ((found.container or {}).get("Config") or {}).get("Image") or ""
    mismatch = not _ID.match(image) and _image_ref(named) != _image_ref(image)
    return mismatch and args["image_name_mismatch"] == "recreate"


def _command_differs(args: dict[str, Any], container: dict[str, Any]) -> bool:
    config = container.get("Config") or {}
    command, entry = command_words(args["command"]), args["entrypoint"]
    if entry is not None and len(entry) > 1:  # the CLI keeps the rest of it in Cmd
        have = (config.get("Entrypoint") or []) + (config.get("Cmd") or [])
        return bool(have != [*map(str, entry), *(command or [])])
    if entry is not None and (config.get("Entrypoint") or []) != [*map(str, entry)]:
        return True
    return command is not None and (config.get("Cmd") or []) != command


def _networks(args: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in args["networks"] or []:
        if not isinstance(item, dict) or not item.get("name"):
            raise ModuleError("networks: each item needs a name")
        out.append({key: item.get(key) for key in _NET_KEYS})
    return out


def _joined_later(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The networks ``docker network connect`` joins after create: all but the one create
    put it on (the first, unless ``network_mode`` names where it goes)."""
    networks, mode = _networks(args), args["network_mode"]
    return [n for n in networks if n["name"] != mode] if mode else networks[1:]


def _network_steps(
    args: dict[str, Any], container: dict[str, Any], comparisons: dict[str, str]
) -> list[Step]:
    """Networks the container lacks, or is on with other addresses or aliases, are
    (re)connected without recreating it, as Ansible does; with ``networks: strict`` it
    leaves the others (but ``network_mode``'s)."""
    attached = (container.get("NetworkSettings") or {}).get("Networks") or {}
    steps = []
    if args["networks"] is not None and _mode(comparisons, "networks") == "strict":
        keep = {net["name"] for net in _networks(args)} | {args["network_mode"]}
        steps += [Step("disconnect", {"name": name}) for name in attached if name not in keep]
    for net in _networks(args):
        have = attached.get(net["name"])
        if have is not None and _net_matches(net, have):
            continue
        steps += [Step("disconnect", net)] if have is not None else []
        steps.append(Step("connect", net))
    return steps


def _net_matches(net: dict[str, Any], have: dict[str, Any]) -> bool:
    ipam = have.get("IPAMConfig") or {}
    for key, field_name in (("ipv4_address", "IPv4Address"), ("ipv6_address", "IPv6Address")):
        if net[key] and ipam.get(field_name) != net[key]:
            return False
    return set(net["aliases"] or ()) <= set(have.get("Aliases") or ())


def _apply(args: dict[str, Any], steps: list[Step]) -> str:
    """One round trip: the steps, then the container as it now is. With ``detach: false``
    the start is attached, its output and exit status read back apart."""
    attached = args["detach"] is False and steps[-1].op == "start"
    run_steps = steps[:-1] if attached else steps
    name, cli = quote(args["name"]), docker_cli(args)
    body = " && ".join(_command(args, step) for step in run_steps) or "true"
    script = f"{{ {body}; }} 2>&1; r=$?; {marked('apply', '$r')}"
    if attached:
        script += f"; [ $r = 0 ] && {{ {cli} start --attach {name} 2>&1; {marked('run')}; }}"
    script += f"; {cli} container inspect {name} 2>/dev/null; {marked('container')}"
    if attached and args["cleanup"]:
        script += f"; {cli} rm {name} >/dev/null 2>&1"
    return script


def _command(args: dict[str, Any], step: Step) -> str:
    cli, name = docker_cli(args), quote(args["name"])
    if step.op == "remove":
        halt = _halt(args)
        volumes = "" if args["keep_volumes"] else " --volumes"
        return f"{{ {cli} {halt} {name} >/dev/null 2>&1; {cli} rm{volumes} {name} >/dev/null; }}"
    if step.op == "create":
        return f"{cli} create {' '.join(_create_words(args))} >/dev/null"
    if step.op in ("connect", "disconnect"):
        return _network_command(cli, name, step)
    halt = _halt(args) if step.op == "stop" else step.op
    return f"{cli} {halt} {name} >/dev/null"


def _halt(args: dict[str, Any]) -> str:
    """``stop``, or with ``force_kill`` ``kill`` (sending ``kill_signal``)."""
    if not args["force_kill"]:
        return "stop"
    return f"kill --signal {quote(args['kill_signal'])}" if args["kill_signal"] else "kill"


def _network_command(cli: str, name: str, step: Step) -> str:
    net = step.network or {}
    if step.op == "disconnect":
        return f"{cli} network disconnect {quote(net['name'])} {name} >/dev/null"
    return f"{cli} network connect {' '.join(_net_words(net))} {quote(net['name'])} {name}"


def _net_words(net: dict[str, Any]) -> list[str]:
    words = [w for alias in net["aliases"] or () for w in ("--alias", quote(str(alias)))]
    words += ["--ip", quote(net["ipv4_address"])] if net["ipv4_address"] else []
    words += ["--ip6", quote(net["ipv6_address"])] if net["ipv6_address"] else []
    return words + [w for link in net["links"] or () for w in ("--link", quote(str(link)))]


def _create_words(args: dict[str, Any]) -> list[str]:
    words = ["--name", quote(args["name"])]
    if args["env_file"]:
        words += ["--env-file", quote(args["env_file"])]
    words += create_flags(args)
    networks = _networks(args)
    if networks and not args["network_mode"]:
        first = networks[0]
        words += ["--network", quote(first["name"])]
        words += [w.replace("--alias", "--network-alias") for w in _net_words(first)]
    entry = args["entrypoint"]
    if entry is not None:
        words += ["--entrypoint", quote(str(entry[0]) if entry else "")]
    words.append(quote(args["image"]))
    words += [quote(str(w)) for w in (entry or [])[1:]]
    return words + [quote(w) for w in command_words(args["command"]) or []]


def _applied(args: dict[str, Any], out: str) -> Result:
    text, rc = section(out, "apply")
    if rc != 0:
        detail = text.strip() or f"exit status {rc}"
        raise ModuleError(f"docker failed on container {args['name']} (rc={rc}): {detail}")
    container = _first(out, "container") or {}
    output, status = section(out, "run")
    if status is None:
        return Result(changed=True, values={"container": container})
    container = {**container, "Output": output}
    values = {"container": container, "status": status}
    return Result(changed=True, failed=status != 0, msg=output if status else None, values=values)


def _comparisons(args: dict[str, Any]) -> dict[str, str]:
    """``comparisons`` may name an option by an alias (``ports``, ``log_opt``)."""
    aliases = {a: key for key, arg in DockerContainer.args.items() for a in arg.aliases}
    return comparison_modes(args["comparisons"], aliases)


def _mode(comparisons: dict[str, str], name: str) -> str:
    return comparisons.get(name, comparisons.get("*", "allow_more_present"))


def _healthy(args: dict[str, Any], ctx: ModuleContext, result: Result) -> Result:
    """``state: healthy``: wait (1 s, then 10% longer each time, at most 10 s) while its
    health check says ``starting`` or ``unhealthy``; a container without one is healthy."""
    container = result.values.get("container") or {}
    limit = args["healthy_wait_timeout"]
    limit = limit if limit is not None and limit > 0 else None
    probe = f"{docker_cli(args)} container inspect {quote(args['name'])} 2>&1; "
    probe += marked("container")
    delay, slept, started = 1.0, 0.0, time.monotonic()
    while True:
        status = ((container.get("State") or {}).get("Health") or {}).get("Status")
        if status in (None, "healthy"):
            return Result(changed=result.changed, values={**result.values, "container": container})
        waited = max(slept, time.monotonic() - started)  # the sleeps, or more
        stop = status not in ("starting", "unhealthy") or (limit is not None and waited >= limit)
        pause = delay if limit is None else min(delay, limit - waited)
        if stop or ctx.sleep(pause):
            return _unhealthy(args, result, container, status, limit)
        slept, delay = slept + pause, min(delay * 1.1, 10.0)
        container = _first(ctx.run(probe).out, "container") or {}
        if not container:
            raise ModuleError(
                f"container {args['name']} vanished while waiting for it to be healthy"
            )


def _unhealthy(
    args: dict[str, Any], result: Result, container: dict[str, Any], status: Any, limit: Any
) -> Result:
    waited = f"after {limit:g} seconds" if limit is not None else "when the wait was stopped"
    if status not in ("starting", "unhealthy"):
        waited = "unexpectedly"
    msg = f"container {args['name']} is not healthy {waited} (health status: {status})"
    values = {**result.values, "container": container}
    return Result(changed=result.changed, failed=True, msg=msg, values=values)
