"""selinux: SELinux's mode (enforcing, permissive, disabled) and policy, in its config file
and, where the running kernel allows, right now (``setenforce``).

One probe reads the config file and the running mode (``getenforce``); one command
rewrites the file (atomically, from stdin), switches the running mode and, with
``update_kernel_param``, the kernel's boot arguments (``grubby``). Changes that only a
reboot can make are reported with ``reboot_required``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from . import register
from .base import Arg, ModuleContext
from .result import Result
from .util.hostedit import (
    Edit,
    HostStateModule,
    Known,
    TextFile,
    need,
    read_file,
    section,
    sections,
    text_file,
    write_file,
)

_LINE = re.compile(r"^\s*(SELINUX|SELINUXTYPE)\s*=\s*(\S*)\s*$")


@dataclass(frozen=True, slots=True)
class Mode:
    config: TextFile
    running: str  # enforcing, permissive or disabled (getenforce, lowercased)

    def setting(self, key: str) -> str:
        for line in self.config.lines:
            if (match := _LINE.match(line)) and match.group(1) == key:
                return match.group(2)
        return ""


@register("selinux", "ansible.posix.selinux")
class SelinuxModule(HostStateModule[Mode]):
    """Set SELinux's mode and policy."""

    args = {
        "state": Arg(
            "str",
            required=True,
            choices=("disabled", "enforcing", "permissive"),
            description="The mode.",
        ),
        "policy": Arg("str", description="The policy (targeted …); needed unless disabled."),
        "configfile": Arg(
            "str",
            default="/etc/selinux/config",
            aliases=("conf", "file"),
            description="The config file.",
        ),
        "update_kernel_param": Arg(
            "bool",
            default=False,
            description="Also set selinux= on the kernel command "
            "line (grubby) when (en/dis)abling.",
        ),
    }
    returns = {
        "configfile": "the config file",
        "policy": "the policy",
        "state": "the mode",
        "reboot_required": "whether a reboot must follow",
        "msg": "what changed",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if args["state"] != "disabled" and not args["policy"]:
            raise ModuleError(
                f"state is {args['state']} but all of the following are missing: policy"
            )
        return "; ".join(
            (
                read_file("config", args["configfile"]),
                section("running", "getenforce 2>/dev/null || echo Disabled"),
            )
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> Mode:
        found = sections(res.out)
        return Mode(
            text_file(args["configfile"], need(found, "config", res)),
            need(found, "running", res).text.strip().lower() or "disabled",
        )

    def foresee(self, args: dict[str, Any], state: Mode, known: Known) -> Mode:
        predicted = known(state.config.path)
        return state if predicted is None else Mode(predicted, state.running)

    def plan(self, args: dict[str, Any], state: Mode) -> Edit | None:
        wanted, policy = args["state"], args["policy"] or state.setting("SELINUXTYPE")
        if state.config.text is None:
            if wanted == "disabled" and state.running == "disabled":
                return None  # no SELinux at all: disabled as asked
            raise ModuleError(
                f"{state.config.path} does not exist: is SELinux installed (its policy package)?"
            )
        msgs, reboot, steps = [], False, []
        if policy and state.setting("SELINUXTYPE") != policy:
            msgs.append(f"SELinux policy changed to {policy}")
            reboot = True
        if state.setting("SELINUX") != wanted:
            msgs.append(f"config mode changed from '{state.setting('SELINUX')}' to '{wanted}'")
        run_mode, reboot_mode = _running(state.running, wanted)
        if run_mode:
            msgs.append(f"running mode changed from '{state.running}' to '{run_mode}'")
            steps.append(f"setenforce {1 if run_mode == 'enforcing' else 0}")
        reboot = reboot or reboot_mode
        text = config_text(state.config, wanted, policy)
        if args["update_kernel_param"] and (wanted == "disabled") != (
            state.setting("SELINUX") == "disabled"
        ):
            steps.append(
                "grubby --update-kernel ALL "
                + ("--args selinux=0" if wanted == "disabled" else "--remove-args selinux")
            )
        if text != (state.config.text or ""):
            steps.insert(0, f"{{ {write_file(args['configfile'])}; }}")
        if not steps:
            return None
        values = {
            "configfile": args["configfile"],
            "policy": policy,
            "state": wanted,
            "reboot_required": reboot,
        }
        written = text != (state.config.text or "")
        return Edit(
            "selinux",
            ", ".join(msgs),
            values=values,
            stdin=text.encode() if written else None,
            writes=((args["configfile"], text),) if written else (),
            command=" && ".join(steps),
        )

    def apply(self, args: dict[str, Any], change: Any, ctx: ModuleContext) -> str:
        return str(change.command)

    def values(self, args: dict[str, Any], state: Mode) -> dict[str, Any]:
        return {
            "configfile": args["configfile"],
            "policy": args["policy"] or state.setting("SELINUXTYPE"),
            "state": args["state"],
            "reboot_required": _running(state.running, args["state"])[1],
        }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        result = super().run(args, ctx)
        if result.msg is None and not result.failed:
            result.msg = ""
        return result


def _running(running: str, wanted: str) -> tuple[str, bool]:
    """(the mode to switch the running system to now, or "", whether a reboot is needed)."""
    if running == "disabled":
        return "", wanted != "disabled"
    if wanted == "disabled":  # only a reboot disables it; be permissive meanwhile
        return ("permissive" if running != "permissive" else ""), True
    return (wanted if running != wanted else ""), False


def config_text(config: TextFile, mode: str, policy: str) -> str:
    """The config file with SELINUX= and SELINUXTYPE= set (appended when missing), the
    other lines as they are."""
    wanted = {"SELINUX": mode, "SELINUXTYPE": policy}
    seen, lines = set(), []
    for line in config.lines:
        match = _LINE.match(line)
        if match and wanted[match.group(1)]:
            key = match.group(1)
            seen.add(key)
            line = f"{key}={wanted[key]}"
        lines.append(line)
    lines += [f"{k}={v}" for k, v in wanted.items() if v and k not in seen]
    return "".join(f"{line}\n" for line in lines)
