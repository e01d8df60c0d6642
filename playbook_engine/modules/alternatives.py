"""alternatives: a link group of update-alternatives: install, select, auto, remove.

One probe reads the group (``update-alternatives --display NAME``, whose format Debian's
dpkg and Red Hat's chkconfig share) and whether ``path`` exists; one command runs the
``--install``/``--set``/``--auto``/``--remove`` steps the plan needs, decided as
community.general.alternatives decides them. Paths are checked under ``$DPKG_ROOT`` when
it is set, as update-alternatives itself resolves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import need, section, sections
from .util.state import Change, StateModule

_TOOL = "LC_ALL=C update-alternatives"
_MODE = re.compile(r"\s-\s(?:status\sis\s)?(\w*)(?:\smode|.)$", re.MULTILINE)
_CURRENT = re.compile(r"^\s*link currently points to (.*)$", re.MULTILINE)
_LINK = re.compile(r"^\s*link \S+ is (.*)$", re.MULTILINE)
_SUB_LINK = re.compile(r"^\s*(?:slave|follower) (\S+) is (.*)$", re.MULTILINE)
_ALTERNATIVE = re.compile(
    r"^(/.*)\s-\s(?:family\s(\S+)\s)?priority\s(-?\d+)"
    r"((?:\s+(?:slave|follower).*)*)",
    re.MULTILINE,
)
_SUB_PATH = re.compile(r"^\s+(?:slave|follower) (.*): (.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Alternative:
    priority: int
    family: str
    subcommands: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Group:
    mode: str | None = None
    current: str | None = None  # the path the link points to
    link: str | None = None
    alternatives: dict[str, Alternative] = field(default_factory=dict)
    path_exists: bool = True


@dataclass(frozen=True, slots=True)
class Steps(Change):
    commands: tuple[str, ...] = ()


@register("alternatives", "community.general.alternatives")
class Alternatives(StateModule[Group]):
    """Install, select or remove an alternative with update-alternatives."""

    args = {
        "name": Arg("str", required=True, description="The generic name of the link group."),
        "path": Arg("path", description="The real executable the link points to."),
        "family": Arg("str", description="The family of alternatives (Red Hat only)."),
        "link": Arg("path", description="The generic link (needed for a new group)."),
        "priority": Arg("int", description="Its priority (50 for a new alternative)."),
        "state": Arg(
            "str",
            default="selected",
            choices=("present", "selected", "auto", "absent"),
            description="present: installed; selected: installed and chosen; "
            "auto: installed, group in auto mode; absent: removed.",
        ),
        "subcommands": Arg(
            "list",
            elements="dict",
            aliases=("slaves",),
            description="Follower links: each a name, link and path.",
        ),
    }
    required_one_of = (("path", "family"),)
    returns = {"msg": "the steps taken, in words"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if args["path"] is None and args["family"] is None:
            raise ModuleError("one of the following is required: path, family")
        _subcommands(args)
        probe = section("display", f"{_TOOL} --display {quote(args['name'])}")
        if args["path"] is not None:
            probe += "; " + section("path", f'[ -e "${{DPKG_ROOT:-}}"{quote(args["path"])} ]')
        return probe

    def parse(self, args: dict[str, Any], res: CommandResult) -> Group:
        found = sections(res.out)
        display = need(found, "display", res)
        if display.rc == 127:
            raise ModuleError("Failed to find required executable update-alternatives")
        exists = "path" not in found or found["path"].rc == 0
        if display.rc != 0:
            return Group(path_exists=exists)
        return parse_display(display.text, _subcommands(args), exists)

    def plan(self, args: dict[str, Any], group: Group) -> Steps | None:
        steps = _steps(args, group)
        if not steps:
            return None
        words, commands, after = zip(*steps, strict=True)
        merged: dict[str, Any] = {}
        for part in after:
            merged.update(part)
        return Steps(
            "+".join(c.split()[0].lstrip("-") for c in commands),
            " ".join(words),
            diff={"before": _before(args, group), "after": merged},
            commands=commands,
        )

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, Steps)
        return " && ".join(f"{_TOOL} {command} 2>&1" for command in change.commands)

    def values(self, args: dict[str, Any], group: Group) -> dict[str, Any]:
        return {"msg": ""}

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        return {"msg": change.msg}


def _steps(args: dict[str, Any], group: Group) -> list[tuple[str, str, dict[str, Any]]]:
    """(message, update-alternatives arguments, diff after) of each step, in order."""
    name, path = args["name"], args["path"]
    if args["state"] == "absent":
        if path not in group.alternatives:
            return []
        return [
            (
                f"Remove alternative '{path}' from '{name}'.",
                f"--remove {quote(name)} {quote(path)}",
                {"state": "absent"},
            )
        ]
    steps = []
    if path is not None and _needs_install(args, group):
        steps.append(_install(args, group))
    same_family = (
        group.current in group.alternatives
        and group.alternatives[group.current].family == args["family"]
    )
    same_path = path is not None and group.current == path
    if args["state"] == "selected" and not (same_path or same_family):
        target = path if path is not None else args["family"]
        steps.append(
            (
                f"Set alternative '{target}' for '{name}'.",
                f"--set {quote(name)} {quote(target)}",
                {"state": "selected"},
            )
        )
    if args["state"] == "auto" and group.mode == "manual":
        steps.append(
            (
                f"Set alternative to auto for '{name}'.",
                f"--auto {quote(name)}",
                {"state": "present"},
            )
        )
    return steps


def _needs_install(args: dict[str, Any], group: Group) -> bool:
    current = group.alternatives.get(args["path"])
    if current is None:
        return True
    if args["priority"] is not None and current.priority != args["priority"]:
        return True
    wanted = _subcommands(args)
    return wanted is not None and (
        any(s not in wanted for s in current.subcommands)
        or any(s not in current.subcommands for s in wanted)
    )


def _install(args: dict[str, Any], group: Group) -> tuple[str, str, dict[str, Any]]:
    name, path = args["name"], args["path"]
    if not group.path_exists:
        raise ModuleError(f"Specified path {path} does not exist")
    link = args["link"] or group.link
    if not link:
        raise ModuleError(
            "Needed to install the alternative, but unable to do so as we are missing the link"
        )
    current = group.alternatives.get(path)
    priority = (
        args["priority"] if args["priority"] is not None else (current.priority if current else 50)
    )
    subs = _subcommands(args)
    if subs is None and current is not None and current.subcommands:
        subs = current.subcommands
    command = f"--install {quote(link)} {quote(name)} {quote(path)} {priority}"
    if args["family"] is not None:
        command += f" --family {quote(args['family'])}"
    for sub in _subcommands(args) or []:
        command += f" --slave {quote(sub['link'])} {quote(sub['name'])} {quote(sub['path'])}"
    after: dict[str, Any] = {
        "state": "present",
        "path": path,
        "family": args["family"],
        "priority": priority,
        "link": link,
    }
    if subs:
        after["subcommands"] = subs
    return f"Install alternative '{path}' for '{name}'.", command, after


def _before(args: dict[str, Any], group: Group) -> dict[str, Any]:
    current = group.alternatives.get(args["path"])
    if current is None:
        return {"state": "absent"}
    before: dict[str, Any] = {
        "state": "present",
        "path": args["path"],
        "priority": current.priority,
        "link": group.link,
    }
    if current.subcommands:
        before["subcommands"] = current.subcommands
    if group.mode == "manual" and group.current != args["path"]:
        before["state"] = "selected"
    return before


def _subcommands(args: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The subcommands asked for, each {name, path, link}; ModuleError when one lacks a key."""
    if args["subcommands"] is None:
        return None
    out = []
    for index, sub in enumerate(args["subcommands"]):
        if not isinstance(sub, dict):
            raise ModuleError(f"subcommands[{index}]: expected a mapping")
        missing = [k for k in ("name", "path", "link") if not sub.get(k)]
        if missing:
            raise ModuleError(
                f"missing required arguments: {', '.join(missing)} found in subcommands[{index}]"
            )
        out.append({"name": str(sub["name"]), "path": str(sub["path"]), "link": str(sub["link"])})
    return out


def parse_display(text: str, wanted: list[dict[str, Any]] | None, exists: bool) -> Group:
    """``update-alternatives --display``'s text as a Group (pure)."""
    mode = _MODE.search(text)
    if not mode:
        return Group(path_exists=exists)
    current, link = _CURRENT.search(text), _LINK.search(text)
    sub_links = dict(_SUB_LINK.findall(text))
    if not sub_links and wanted:
        sub_links = {s["name"]: s["link"] for s in wanted}
    alternatives = {
        path: Alternative(
            int(priority),
            family,
            [
                {"name": sub, "path": spath, "link": sub_links.get(sub)}
                for sub, spath in _SUB_PATH.findall(subs)
                if spath != "(null)"
            ],
        )
        for path, family, priority, subs in _ALTERNATIVE.findall(text)
    }
    return Group(
        mode.group(1),
        current.group(1) if current else None,
        link.group(1) if link else None,
        alternatives,
        exists,
    )
