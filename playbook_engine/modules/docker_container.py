"""docker_container: a container with the configuration asked for, running or not, or none.

One command reads the container (``docker container inspect``) and its image (``docker
image inspect``); the options asked for are compared with what the daemon reports, as
Ansible's default comparisons do, and a container that differs is recreated. One command
then runs the steps (stop, rm, create, network connect, start, pause …) and inspects the
result; ``state: healthy`` then inspects it until its health check passes.

The options util/dockeropts knows are read there; the others (resource limits, ulimits,
the health check …) are ``MORE`` at the end of this file, each with its create flags and
how it reads back, or none when it is only set at creation.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext, to_bool
from .result import Result
from .util.docker import CONNECTION_ARGS, docker_cli, inspected, marked, section
from .util.dockeropts import OPTIONS, check_values, command_words, differences, restart_flags

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
        _check_more(args)
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
    if differences(wanted, container, comparisons) or _command_differs(args, container):
        return True
    if more_differences(args, found, comparisons):
        return True
    return _image_differs(args, found, comparisons)


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
    for opt in OPTIONS:
        if args.get(opt.name) is not None:
            words += opt.flags(args[opt.name])
    words += restart_flags(args)
    words += _more_flags(args)
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


# ---- options beyond util/dockeropts' OPTIONS ------------------------------------------
# Each reads back from ``docker container inspect`` (a few from the image) so a container
# that has the value asked for is left alone; those the daemon does not report reliably are
# set at creation and not compared (``have`` None).

_UNREPORTED: Final = object()  # the daemon did not keep the value (cgroup v2): not compared
Have = Callable[[dict[str, Any], dict[str, Any]], Any]  # (container, image) -> the value


@dataclass(frozen=True, slots=True)
class More:
    """An option: ``kind`` value | list | set | dict sets its default comparison as in
    util/dockeropts; ``want`` checks and normalizes the argument (a ModuleError naming the
    option when it is wrong); ``flags`` are the ``docker create`` words of that value;
    ``have`` reads the same from the container, None when it is only set at creation;
    ``same`` compares the two when equality is not the rule."""

    name: str
    kind: str
    want: Callable[[Any], Any]
    flags: Callable[[Any], list[str]]
    have: Have | None = None
    same: Callable[[str, Any, Any], bool] | None = None

    @property
    def comparison(self) -> str:
        return "strict" if self.kind in ("value", "list") else "allow_more_present"


def _host(key: str) -> Have:
    return lambda container, image: (container.get("HostConfig") or {}).get(key)


def _flag(flag: str) -> Callable[[Any], list[str]]:
    return lambda value: [flag, quote(str(value))]


def _each(flag: str, show: Callable[[Any], str] = str) -> Callable[[Any], list[str]]:
    """The flag once per item (per ``(key, value)`` of a mapping)."""

    def words(values: Any) -> list[str]:
        items = values.items() if isinstance(values, dict) else values
        return [word for item in items for word in (flag, quote(show(item)))]

    return words


def _switch(flag: str) -> Callable[[Any], list[str]]:
    return lambda on: [flag] if on else []


def _as_is(value: Any) -> Any:
    return value


def _texts(name: str) -> Callable[[Any], list[str]]:
    def want(values: Any) -> list[str]:
        for item in values:
            if not isinstance(item, str) or not item:
                raise ModuleError(f"{name}: each item must be non-empty text, got {item!r}")
        return list(values)

    return want


def _text_map(values: Any) -> dict[str, str]:
    return {str(k): _shown(v) for k, v in values.items()}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# sizes, as Ansible's human_to_bytes reads them: a number, then an optional unit whose first
# letter is B, K, M, G, T, P, E, Z or Y (any case, binary multiples); a longer unit must be
# `KB`-like (a capital B second) or a word with "byte" in it
_SIZE = re.compile(r"\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*")
_UNITS = "BKMGTPEZY"


def size_bytes(name: str, value: Any) -> int:
    """``512m``, ``1g``, ``1.5G``, ``1024`` as bytes; a ModuleError naming ``name``."""
    found = _SIZE.fullmatch(str(value))
    number, unit = (found.group(1), found.group(2) or "") if found else ("", "")
    power = _UNITS.find(unit[:1].upper()) if unit else 0
    long_ok = len(unit) < 2 or "byte" in unit.lower() or unit[1] == "B"
    if number.strip(".") == "" or power < 0 or not long_ok:
        raise ModuleError(
            f"{name}: cannot read {value!r} as a size (a number and a unit: 512m, 1g, 1.5G, 64MB)"
        )
    return int(round(float(number) * 1024**power))


def _size(name: str) -> Callable[[Any], int]:
    return lambda value: size_bytes(name, value)


def _swap(value: Any) -> int:
    return -1 if str(value).strip() in ("-1", "unlimited") else size_bytes("memory_swap", value)


def _nanocpus(value: Any) -> int:
    return int(round(float(value) * 1e9))


def _cpus_text(nanos: int) -> str:
    whole, part = divmod(nanos, 10**9)
    return f"{whole}.{part:09d}".rstrip("0").rstrip(".")


def _pids(value: Any) -> int | None:
    """A limit of 0 or less is no limit, which the daemon keeps as none."""
    return int(value) if int(value) > 0 else None


def _have_pids(container: dict[str, Any], image: dict[str, Any]) -> int | None:
    value = _host("PidsLimit")(container, image)
    return value if isinstance(value, int) and value > 0 else None


def _kept(key: str) -> Have:
    """A value a daemon may discard (cgroup v2 reports null): compared only when kept."""

    def read(container: dict[str, Any], image: dict[str, Any]) -> Any:
        value = _host(key)(container, image)
        return _UNREPORTED if value is None else value

    return read


_ULIMIT = re.compile(r"([A-Za-z_]+):(-?\d+)(?::(-?\d+))?")


def _ulimits(values: Any) -> list[tuple[str, int, int]]:
    out = []
    for item in values:
        found = _ULIMIT.fullmatch(item.strip()) if isinstance(item, str) else None
        if not found:
            raise ModuleError(f"ulimits: {item!r} is not NAME:SOFT[:HARD] (nofile:1024:2048)")
        soft = int(found.group(2))
        hard = int(found.group(3)) if found.group(3) is not None else soft
        if soft > hard:
            raise ModuleError(f"ulimits: {item!r}: the soft limit is above the hard limit")
        out.append((found.group(1), soft, hard))
    return out


def _have_ulimits(container: dict[str, Any], image: dict[str, Any]) -> set[tuple[Any, ...]]:
    limits = _host("Ulimits")(container, image) or []
    return {(u.get("Name"), u.get("Soft"), u.get("Hard")) for u in limits}


def _links(values: Any) -> list[tuple[str, str]]:
    out = []
    for link in _texts("links")(values):
        name, _, alias = link.partition(":")
        out.append((name, alias or name))
    return out


def _have_links(container: dict[str, Any], image: dict[str, Any]) -> set[tuple[str, str]]:
    """``/db:/web/alias`` as ``(db, alias)``."""
    out = set()
    for link in _host("Links")(container, image) or []:
        source, _, target = str(link).partition(":")
        out.add((source.lstrip("/"), target.rsplit("/", 1)[-1]))
    return out


def _rates(name: str, bytes_per_second: bool) -> Callable[[Any], list[tuple[str, int]]]:
    def want(values: Any) -> list[tuple[str, int]]:
        out = []
        for item in values:
            if not isinstance(item, dict) or set(item) != {"path", "rate"} or not item["path"]:
                raise ModuleError(f"{name}: each item is a mapping of path and rate, got {item!r}")
            out.append((str(item["path"]), _rate(name, item["rate"], bytes_per_second)))
        return out

    return want


def _rate(name: str, rate: Any, bytes_per_second: bool) -> int:
    if bytes_per_second:
        return size_bytes(name, rate)
    if isinstance(rate, bool) or not re.fullmatch(r"\s*\d+\s*", str(rate)):
        raise ModuleError(f"{name}: a rate is a whole number of IO per second, got {rate!r}")
    return int(rate)


def _have_rates(key: str) -> Have:
    def read(container: dict[str, Any], image: dict[str, Any]) -> set[tuple[Any, Any]]:
        return {(d.get("Path"), d.get("Rate")) for d in _host(key)(container, image) or []}

    return read


def _rate_text(item: tuple[str, int]) -> str:
    return f"{item[0]}:{item[1]}"


_REQUEST_KEYS = ("capabilities", "count", "device_ids", "driver", "options")


def _requests(values: Any) -> list[str]:
    """Device requests as the CLI's ``--gpus`` values (CSV fields): one capability set
    each, to which the CLI adds ``gpu``."""
    return [_gpus(item) for item in values]


def _gpus(item: Any) -> str:
    if not isinstance(item, dict) or not set(map(str, item)) <= set(_REQUEST_KEYS):
        keys = ", ".join(_REQUEST_KEYS)
        raise ModuleError(f"device_requests: each item is a mapping of {keys}, got {item!r}")
    fields = [f"driver={item['driver']}"] if item.get("driver") else []
    if item.get("count") is not None:
        fields.append("count=all" if int(item["count"]) == -1 else f"count={int(item['count'])}")
    if item.get("device_ids"):
        fields.append("device=" + ",".join(map(str, item["device_ids"])))
    sets = item.get("capabilities") or []
    if len(sets) > 1 or not all(isinstance(s, list) for s in sets):
        raise ModuleError(
            f"device_requests: the docker CLI (--gpus) takes one list of capabilities, got {sets!r}"
        )
    if caps := [str(c) for c in (sets[0] if sets else []) if c != "gpu"]:
        fields.append("capabilities=" + ",".join(caps))
    if item.get("options"):
        fields.append("options=" + ",".join(f"{k}={v}" for k, v in item["options"].items()))
    if not fields:
        raise ModuleError(f"device_requests: {item!r} requests nothing")
    return ",".join(f'"{f}"' if "," in f or '"' in f else f for f in fields)


_HEALTH_KEYS = (
    "test",
    "test_cli_compatible",
    "interval",
    "timeout",
    "start_period",
    "start_interval",
    "retries",
)
_HEALTH_TIMES = {
    "interval": ("Interval", "--health-interval"),
    "timeout": ("Timeout", "--health-timeout"),
    "start_period": ("StartPeriod", "--health-start-period"),
    "start_interval": ("StartInterval", "--health-start-interval"),
}
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?(?:(\d+)us)?")


def nanoseconds(name: str, value: Any) -> int:
    """A duration as community.docker reads one (``1h``, ``1m30s``, ``500ms``, ``10us``:
    those units, in that order, each once) in nanoseconds."""
    found = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not found:
        raise ModuleError(
            f"healthcheck: cannot read {name} {value!r} as a duration "
            "(30s, 1m30s, 500ms: units h, m, s, ms, us)"
        )
    hours, minutes, seconds, millis, micros = (int(g or 0) for g in found.groups())
    return ((hours * 3600 + minutes * 60 + seconds) * 1000 + millis) * 10**6 + micros * 1000


def _duration_text(nanos: int) -> str:
    micros = nanos // 1000
    parts = []
    for unit, size in (("h", 3600 * 10**6), ("m", 60 * 10**6), ("s", 10**6), ("ms", 1000)):
        count, micros = divmod(micros, size)
        parts += [f"{count}{unit}"] if count else []
    return "".join(parts + ([f"{micros}us"] if micros else [])) or "0s"


def _healthcheck(value: Any) -> dict[str, Any]:
    """The health check as ``Config.Healthcheck`` keeps it: a string ``test`` runs in the
    shell (``CMD-SHELL``); durations in nanoseconds; zero values left out. Without a
    ``test`` (unless ``test_cli_compatible``, which keeps the image's) it is disabled."""
    unknown = sorted(set(map(str, value)) - set(_HEALTH_KEYS))
    if unknown:
        raise ModuleError(
            f"healthcheck: unsupported key {', '.join(unknown)} (it takes "
            f"{', '.join(_HEALTH_KEYS)})"
        )
    out: dict[str, Any] = {}
    for key, (field_name, _) in _HEALTH_TIMES.items():
        if value.get(key) is not None and (nanos := nanoseconds(key, value[key])):
            out[field_name] = nanos
    if value.get("retries") is not None and (retries := _retries(value["retries"])):
        out["Retries"] = retries
    test = value.get("test")
    try:
        keep_image = to_bool(value.get("test_cli_compatible") or False)
    except ValueError as exc:
        raise ModuleError(f"healthcheck: test_cli_compatible: {exc}") from None
    if not test and not (keep_image and test is None):
        return {"Test": ["NONE"]}
    if test:
        out["Test"] = _health_test(test)
    return {"Test": ["NONE"]} if out.get("Test") == ["NONE"] else out


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\s*\d+\s*", str(value)):
        raise ModuleError(f"healthcheck: retries is a whole number, got {value!r}")
    return int(value)


def _health_test(test: Any) -> list[str]:
    if isinstance(test, (str, int, float)) and not isinstance(test, bool):
        return ["CMD-SHELL", str(test)]
    words = [str(w) for w in test] if isinstance(test, list) else []
    if not words or words[0] not in ("NONE", "CMD", "CMD-SHELL"):
        raise ModuleError(
            f"healthcheck: test is text, or a list beginning with NONE, CMD or CMD-SHELL; "
            f"got {test!r}"
        )
    if words[0] != "NONE" and len(words) < 2:
        raise ModuleError(f"healthcheck: test {test!r} has no command")
    if words[0] == "CMD-SHELL":  # the daemon joins the rest with spaces
        return ["CMD-SHELL", " ".join(words[1:])]
    return words


def _health_flags(check: dict[str, Any]) -> list[str]:
    """The CLI has no exec form: a ``CMD`` test runs its words, shell-quoted, in the shell."""
    test = check.get("Test")
    if test == ["NONE"]:
        return ["--no-healthcheck"]
    words = []
    if test:
        command = test[1] if test[0] == "CMD-SHELL" else shlex.join(test[1:])
        words += ["--health-cmd", quote(command)]
    for field_name, flag in _HEALTH_TIMES.values():
        if field_name in check:
            words += [flag, _duration_text(check[field_name])]
    return words + (["--health-retries", str(check["Retries"])] if "Retries" in check else [])


def _have_health(container: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    check = (container.get("Config") or {}).get("Healthcheck") or {}
    if not check or check.get("Test") == ["NONE"]:
        return {"Test": ["NONE"]}
    return {key: value for key, value in check.items() if value}


def _same_health(mode: str, want: dict[str, Any], have: dict[str, Any]) -> bool:
    keys = set(want) | (set(have) if mode == "strict" else set())
    return all(_same_health_value(key, want.get(key), have.get(key)) for key in keys)


def _same_health_value(key: str, want: Any, have: Any) -> bool:
    if want == have or key != "Test" or not want or not have:
        return bool(want == have)
    return bool(want[0] == "CMD" and have == ["CMD-SHELL", shlex.join(want[1:])])


def _mac(value: Any) -> str:
    return str(value).replace("-", ":").lower()


def _have_macs(container: dict[str, Any], image: dict[str, Any]) -> Any:
    """The MAC addresses it has: the container-wide one (API < 1.44) and its networks'."""
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    found = [(container.get("Config") or {}).get("MacAddress")]
    found += [(net or {}).get("MacAddress") for net in networks.values()]
    macs = {_mac(mac) for mac in found if mac}
    return macs or _UNREPORTED  # a stopped container may show none: not compared


_ARCHES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386"}


def _platform(value: Any) -> tuple[str, str, str]:
    parts = str(value).strip().lower().split("/")
    if not parts[0] or len(parts) > 3 or not all(parts):
        raise ModuleError(f"platform: {value!r} is not OS[/ARCH[/VARIANT]] (linux/amd64)")
    arch = _ARCHES.get(parts[1], parts[1]) if len(parts) > 1 else ""
    return parts[0], arch, parts[2] if len(parts) > 2 else ""


def _have_platform(container: dict[str, Any], image: dict[str, Any]) -> Any:
    """The platform of the image it runs (an image that differs recreates it anyway)."""
    if not image.get("Os"):
        return _UNREPORTED
    arch = str(image.get("Architecture") or "").lower()
    return str(image["Os"]).lower(), _ARCHES.get(arch, arch), str(image.get("Variant") or "")


def _same_platform(mode: str, want: tuple[str, str, str], have: tuple[str, str, str]) -> bool:
    """What ``platform`` names must match; arm64's variant v8 is its default."""
    pairs = zip(want, have, strict=True)
    return all(not w or w == h or {w, h} == {"v8", ""} for w, h in pairs)


def _value(name: str, flag: str, key: str, want: Callable[[Any], Any] = _as_is) -> More:
    return More(name, "value", want, _flag(flag), _host(key))


MORE: tuple[More, ...] = (
    More("cpus", "value", _nanocpus, lambda n: ["--cpus", _cpus_text(n)], _host("NanoCpus")),
    _value("cpu_shares", "--cpu-shares", "CpuShares", int),
    _value("cpu_period", "--cpu-period", "CpuPeriod", int),
    _value("cpu_quota", "--cpu-quota", "CpuQuota", int),
    _value("cpuset_cpus", "--cpuset-cpus", "CpusetCpus"),
    _value("cpuset_mems", "--cpuset-mems", "CpusetMems"),
    _value(
        "memory_reservation",
        "--memory-reservation",
        "MemoryReservation",
        _size("memory_reservation"),
    ),
    _value("memory_swap", "--memory-swap", "MemorySwap", _swap),
    More(
        "memory_swappiness",
        "value",
        int,
        _flag("--memory-swappiness"),
        _kept("MemorySwappiness"),
    ),
    More("kernel_memory", "value", _size("kernel_memory"), _flag("--kernel-memory")),
    _value("shm_size", "--shm-size", "ShmSize", _size("shm_size")),
    More("oom_killer", "value", bool, _switch("--oom-kill-disable"), _kept("OomKillDisable")),
    _value("oom_score_adj", "--oom-score-adj", "OomScoreAdj", int),
    More(
        "pids_limit",
        "value",
        _pids,
        lambda n: ["--pids-limit", str(-1 if n is None else n)],
        _have_pids,
    ),
    _value("blkio_weight", "--blkio-weight", "BlkioWeight", int),
    More(
        "device_read_bps",
        "set",
        _rates("device_read_bps", True),
        _each("--device-read-bps", _rate_text),
        _have_rates("BlkioDeviceReadBps"),
    ),
    More(
        "device_write_bps",
        "set",
        _rates("device_write_bps", True),
        _each("--device-write-bps", _rate_text),
        _have_rates("BlkioDeviceWriteBps"),
    ),
    More(
        "device_read_iops",
        "set",
        _rates("device_read_iops", False),
        _each("--device-read-iops", _rate_text),
        _have_rates("BlkioDeviceReadIOps"),
    ),
    More(
        "device_write_iops",
        "set",
        _rates("device_write_iops", False),
        _each("--device-write-iops", _rate_text),
        _have_rates("BlkioDeviceWriteIOps"),
    ),
    More("device_requests", "set", _requests, _each("--gpus")),
    More(
        "device_cgroup_rules",
        "list",
        _texts("device_cgroup_rules"),
        _each("--device-cgroup-rule"),
        _host("DeviceCgroupRules"),
    ),
    More(
        "ulimits",
        "set",
        _ulimits,
        _each("--ulimit", lambda u: f"{u[0]}={u[1]}:{u[2]}"),
        _have_ulimits,
    ),
    More(
        "healthcheck",
        "dict",
        _healthcheck,
        _health_flags,
        _have_health,
        _same_health,
    ),
    More("links", "set", _links, _each("--link", lambda p: f"{p[0]}:{p[1]}"), _have_links),
    More(
        "volumes_from",
        "set",
        _texts("volumes_from"),
        _each("--volumes-from"),
        _host("VolumesFrom"),
    ),
    _value("volume_driver", "--volume-driver", "VolumeDriver"),
    More(
        "storage_opts",
        "dict",
        _text_map,
        _each("--storage-opt", lambda p: f"{p[0]}={p[1]}"),
        _host("StorageOpt"),
    ),
    More("dns_opts", "set", _texts("dns_opts"), _each("--dns-option"), _host("DnsOptions")),
    More(
        "dns_search_domains",
        "list",
        _texts("dns_search_domains"),
        _each("--dns-search"),
        _host("DnsSearch"),
    ),
    More("groups", "set", _texts("groups"), _each("--group-add"), _host("GroupAdd")),
    More(
        "mac_address",
        "value",
        _mac,
        _flag("--mac-address"),
        _have_macs,
        lambda mode, want, have: want in have,
    ),
    More(
        "platform",
        "value",
        _platform,
        lambda p: ["--platform", quote("/".join(filter(None, p)))],
        _have_platform,
        _same_platform,
    ),
    More(
        "publish_all_ports",
        "value",
        bool,
        _switch("--publish-all"),
        lambda container, image: bool(_host("PublishAllPorts")(container, image)),
    ),
    _value("runtime", "--runtime", "Runtime"),
    _value("cgroup_parent", "--cgroup-parent", "CgroupParent"),
    _value("cgroupns_mode", "--cgroupns", "CgroupnsMode"),
    _value("userns_mode", "--userns", "UsernsMode"),
    _value("uts", "--uts", "UTSMode"),
)


def _same(kind: str, mode: str, want: Any, have: Any) -> bool:
    """util/dockeropts' rule: a value or a list is equal; a set or a mapping need only hold
    what is asked (``allow_more_present``), unless ``strict``."""
    if kind == "value":
        return bool(want == have)
    if kind == "dict":
        have = dict(have or {})
        return want == have if mode == "strict" else all(have.get(k) == v for k, v in want.items())
    if mode == "allow_more_present":  # a set, or a list compared so
        return set(want) <= set(have or ())
    if kind == "set":
        return set(want) == set(have or ())
    return list(want) == list(have or [])


def more_differences(args: dict[str, Any], found: Found, comparisons: dict[str, str]) -> list[str]:
    """The options of ``MORE`` whose asked-for value the container does not have."""
    container, image = found.container or {}, found.image or {}
    out = []
    for opt in MORE:
        mode = comparisons.get(opt.name, comparisons.get("*", opt.comparison))
        if args.get(opt.name) is None or mode == "ignore" or opt.have is None:
            continue
        have = opt.have(container, image)
        if have is _UNREPORTED:
            continue
        want = opt.want(args[opt.name])
        same = opt.same(mode, want, have) if opt.same else _same(opt.kind, mode, want, have)
        if not same:
            out.append(opt.name)
    return out


def _more_flags(args: dict[str, Any]) -> list[str]:
    words = []
    for opt in MORE:
        if args.get(opt.name) is not None:
            words += opt.flags(opt.want(args[opt.name]))
    return words


_MODES = ("strict", "ignore", "allow_more_present")
_COMPARED_TOO = {"image": "value", "command": "list", "entrypoint": "list", "networks": "set"}
_COMPARED_TOO |= {"env_file": "set", "detach": "value"}


def _comparisons(args: dict[str, Any]) -> dict[str, str]:
    """``comparisons`` by option name (aliases resolved), refused as Ansible refuses it:
    an unknown option or mode, ``allow_more_present`` on a single value or on ``*``."""
    kinds = {o.name: o.kind for o in OPTIONS} | {o.name: o.kind for o in MORE} | _COMPARED_TOO
    alias = {a: key for key, arg in DockerContainer.args.items() for a in arg.aliases}
    out = {}
    for key, mode in (args["comparisons"] or {}).items():
        name, mode = alias.get(str(key), str(key)), str(mode)
        if mode not in _MODES:
            raise ModuleError(
                f"comparisons: {key}: unknown comparison {mode!r} "
                "(strict, ignore or allow_more_present)"
            )
        if name not in kinds and name != "*":
            raise ModuleError(f"comparisons: {key} is not an option that can be compared")
        if mode == "allow_more_present" and kinds.get(name, "value") == "value":
            what = "the wildcard *" if name == "*" else f"{key} is a single value: it"
            raise ModuleError(f"comparisons: {what} takes strict or ignore")
        out[name] = mode
    return out


def _mode(comparisons: dict[str, str], name: str) -> str:
    return comparisons.get(name, comparisons.get("*", "allow_more_present"))


def _check_more(args: dict[str, Any]) -> None:
    """Every argument of ``MORE`` read as create and the comparison will, and the others
    pbe reads itself: bad input fails before the host is asked."""
    _more_flags(args)
    _comparisons(args)


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
