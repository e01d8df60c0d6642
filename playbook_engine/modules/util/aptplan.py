"""The apt modules' decisions, from what the probe read: Ansible's apt, step by step.

``mode`` picks the path Ansible's apt takes (clean, cache only, upgrade, .deb, clean-ups,
install, remove), and each ``plan_*`` decides from the parsed state alone (pure), so check
mode predicts exactly what the real run does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import ModuleError
from ...templating.lines import Lines
from ...transport.shell import join
from . import aptcmd
from .debian import (
    Installed,
    Policy,
    Spec,
    compare_versions,
    parse_dpkg,
    simulated_changes,
)
from .state import Change

__all__ = [
    "CLEANED",
    "UPGRADES",
    "AptChange",
    "AptState",
    "cache_values",
    "failure",
    "mode",
    "normalize",
    "plan",
    "plan_debs",
    "plan_install",
    "plan_remove",
    "plan_simulated",
    "prepared",
    "simulation_values",
    "values",
    "wants_update",
]

UPGRADES = ("dist", "full", "no", "safe", "yes")
CLEANED = {"autoremove": "The following packages will be REMOVED", "autoclean": "Del "}


@dataclass
class AptState:
    """What the probe read: the cache's time, dpkg's and apt's view of the packages named,
    patterns' matches, a simulation's output, the .deb files' fields."""

    out: dict[str, str]
    arch: str = ""
    cache_time: int = 0
    updated: bool = False
    policy: dict[str, Policy] = field(default_factory=dict)
    dpkg: list[Installed] = field(default_factory=list)
    providers: dict[str, list[str]] = field(default_factory=dict)
    auto: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class AptChange(Change):
    """A ``Change`` with what apt-get is given: ``targets`` (``name=version`` words, .deb
    paths), ``marks`` (names to mark manually installed); ``quiet``: not reported changed
    (Ansible marks auto-installed packages it was asked for without saying so)."""

    targets: tuple[str, ...] = ()
    marks: tuple[str, ...] = ()
    quiet: bool = False


def mode(args: dict[str, Any]) -> str:
    """Which of Ansible's apt paths the task takes (in Ansible's order)."""
    names = args["name"] or []
    if args["clean"] and not (names or args["upgrade"] != "no" or args["deb"]):
        return "clean"
    if wants_update(args) and not (names or args["upgrade"] != "no" or args["deb"]):
        return "cache"
    if args["upgrade"] != "no":
        return "upgrade"
    if args["deb"]:
        return "deb"
    if args["state"] == "latest" and "*" in names:
        return "upgrade"
    if not [n for n in names if n != "*"] and (args["autoclean"] or args["autoremove"]):
        return "autoclean" if args["autoclean"] else "autoremove"
    return "remove" if args["state"] == "absent" else "install"


def wants_update(args: dict[str, Any]) -> bool:
    return bool(args["update_cache"] or args["cache_valid_time"])


def normalize(args: dict[str, Any]) -> dict[str, Any]:
    """Ansible's readings of loose values: ``upgrade: true`` is ``yes``; names are stripped
    and checked; ``deb`` takes only state=present."""
    upgrade = args["upgrade"]
    if isinstance(upgrade, bool):
        upgrade = "yes" if upgrade else "no"
    args = {**args, "upgrade": str(upgrade).lower()}
    if args["upgrade"] not in UPGRADES:
        raise ModuleError(f"argument upgrade: {upgrade!r} is not one of: {', '.join(UPGRADES)}")
    names = [str(n).strip() for n in args["name"] or []]
    for name in names:
        try:
            Spec.parse(name)
        except ValueError as exc:
            raise ModuleError(str(exc)) from None
    if args["deb"] and args["state"] != "present":
        raise ModuleError("deb only supports state=present")
    if args["state"] == "latest" and "*" in names and len(names) > 1:
        raise ModuleError(
            "unable to install additional packages when upgrading all installed packages"
        )
    return {**args, "name": names}


def cache_values(state: AptState) -> dict[str, Any]:
    return {"cache_updated": state.updated, "cache_update_time": state.cache_time}


def _simulated(state: AptState) -> tuple[str, int]:
    rc = next((int(k.split()[1]) for k in state.out if k.startswith("rc ")), 0)
    return state.out.get("simulate", ""), rc


def _outputs(out: str, err: str = "") -> dict[str, Any]:
    return {"stdout": out, "stdout_lines": Lines(out), "stderr": err, "stderr_lines": Lines(err)}


def simulation_values(args: dict[str, Any], state: AptState, op: str) -> dict[str, Any]:
    """What a simulated operation returns: the simulation's output (Ansible's check mode
    returns apt-get -s's output too)."""
    out, _ = _simulated(state)
    values = _outputs(out)
    if op == "upgrade":
        values["msg"] = out
    return values


def plan_simulated(
    args: dict[str, Any],
    state: AptState,
    op: str,
    changes: Callable[[str], bool],
    base: dict[str, Any] | None = None,
) -> AptChange | None:
    out, rc = _simulated(state)
    if rc != 0:
        raise ModuleError(failure(args, AptChange(op, ""), aptcmd.command_of(args, op), out))
    if not changes(out):
        return None
    values = {**(base or {}), **simulation_values(args, state, op)}
    return AptChange(op, f"apt-get {op}", values, diff={"prepared": prepared(out)})


def _expand(args: dict[str, Any], state: AptState) -> list[Spec]:
    """The specs asked for, each pattern replaced by the names it matched (Ansible drops a
    pattern's version); a pattern matching nothing fails."""
    specs: list[Spec] = []
    index = 0
    for text in args["name"]:
        spec = Spec.parse(text)
        if text == "*":
            continue
        if not spec.wildcard:
            specs.append(spec)
            continue
        found = state.out.get(f"match {index}", "").split()
        index += 1
        if not found:
            raise ModuleError(f"No package(s) matching '{spec.name}' available")
        specs += [Spec(name) for name in found]
    return specs


def _row(state: AptState, name: str) -> Installed | None:
    """dpkg's line for ``name`` (``name:arch`` picks that architecture; a bare name the
    host's own or ``all``)."""
    base, _, arch = name.partition(":")
    rows = [r for r in state.dpkg if r.name == base]
    wanted = (arch,) if arch else (state.arch, "all")
    return next((r for r in rows if r.arch in wanted or not state.arch), None)


def _policy(state: AptState, name: str) -> Policy | None:
    base, _, arch = name.partition(":")
    found = state.policy.get(name)
    if found is None and arch in (state.arch, "all"):
        found = state.policy.get(base)
    return found


def _best(spec: Spec, policy: Policy) -> str | None:
    """The version apt would install for ``spec``: for ``=``, the highest version matching
    the glob (the pin Ansible sets); else the candidate, if it satisfies ``>=``."""
    if spec.op == "=":
        matching = [v for v in policy.versions if spec.accepts(v)]
        return max(matching, key=_VersionKey) if matching else None
    candidate = policy.candidate
    return candidate if candidate and spec.accepts(candidate) else None


class _VersionKey:
    """Sorts versions in dpkg's order."""

    def __init__(self, version: str) -> None:
        self.version = version

    def __lt__(self, other: _VersionKey) -> bool:
        return compare_versions(self.version, other.version) < 0


def _status(state: AptState, spec: Spec) -> tuple[bool, bool, str | bool | None]:
    """(installed, the installed version satisfies the spec, what could be installed:
    a version, True to let apt choose (a virtual package), None)."""
    policy = _policy(state, spec.name)
    if policy is None or policy.virtual:
        return _virtual_status(state, spec, policy)
    row = _row(state, spec.name)
    best = _best(spec, policy)
    if row is None or not row.installed:
        return False, False, best
    return True, spec.accepts(row.version), best if best and best != row.version else None


def _virtual_status(
    state: AptState, spec: Spec, policy: Policy | None
) -> tuple[bool, bool, str | bool | None]:
    providers = state.providers.get(spec.name, [])
    if policy is None or not providers:
        raise ModuleError(f"No package matching '{spec.name}' is available")
    if len(providers) == 1 and (row := _row(state, providers[0])) and row.installed:
        return True, spec.accepts(row.version), None
    return False, False, True


def _install_word(args: dict[str, Any], state: AptState, spec: Spec) -> str | None:
    """What apt-get install is given for ``spec`` (``name=version``), None when it is in
    state. Ansible's rules, including its quirks."""
    installed, satisfied, installable = _status(state, spec)
    if not installed and args["only_upgrade"]:
        return None
    if not satisfied and not installable:
        raise ModuleError(f"no available installation candidate for {spec}")
    upgrade = args["state"] == "latest"
    if installable and (not installed or upgrade or not satisfied):
        if installable is not True:
            return f"{spec.name}={installable}"
        return f"{spec.name}={spec.version}" if spec.version else spec.name
    if satisfied and installable and spec.op == "=":
        return f"{spec.name}={spec.version}"
    return None


def plan_install(args: dict[str, Any], state: AptState, base: dict[str, Any]) -> AptChange | None:
    specs = _expand(args, state)
    targets = [word for spec in specs if (word := _install_word(args, state, spec))]
    names = tuple(dict.fromkeys(s.name for s in specs))
    if targets:
        return AptChange(
            "install",
            "packages installed",
            base,
            targets=tuple(targets),
            marks=names,
            diff={"prepared": "\n".join(f"Inst {t}" for t in targets)},
        )
    auto = tuple(
        n
        for n in names
        if (n in state.auto or n.split(":")[0] in state.auto)
        and (row := _row(state, n)) is not None
        and row.installed
    )
    return (
        AptChange("mark", "marked manually installed", base, marks=auto, quiet=True)
        if auto
        else None
    )


def plan_remove(args: dict[str, Any], state: AptState) -> AptChange | None:
    targets = []
    for spec in _expand(args, state):
        row = _row(state, spec.name)
        if row and (
            (row.installed and spec.accepts(row.version)) or (args["purge"] and row.has_files)
        ):
            targets.append(spec.name)
    if not targets:
        return None
    word = "Purg" if args["purge"] else "Remv"
    return AptChange(
        "remove",
        "packages removed",
        targets=tuple(targets),
        diff={"prepared": "\n".join(f"{word} {t}" for t in targets)},
    )


def debs(args: dict[str, Any]) -> list[str]:
    return [d.strip() for d in str(args["deb"]).split(",") if d.strip()]


def _deb_fields(state: AptState, index: int, deb: str) -> dict[str, str]:
    if f"fetch-failed {index}" in state.out:
        raise ModuleError(f"Failure downloading {deb}")
    text = state.out.get(f"deb {index}", "")
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    if not {"Package", "Version"} <= set(fields):
        raise ModuleError(f"Unable to install package: {text.strip() or deb}")
    return fields


def plan_debs(args: dict[str, Any], state: AptState) -> AptChange | None:
    """Each .deb unless dpkg has that very version; an older one needs allow_downgrade."""
    targets = []
    for index, deb in enumerate(debs(args)):
        fields = _deb_fields(state, index, deb)
        arch = fields.get("Architecture", "all")
        rows = [
            r
            for r in parse_dpkg(state.out.get(f"debdpkg {index}", ""))
            if r.installed and (arch == "all" or r.arch in (arch, "all"))
        ]
        if rows:
            order = compare_versions(fields["Version"], rows[0].version)
            if order == 0:
                continue
            if order < 0 and not (args["allow_downgrade"] or args["force"]):
                raise ModuleError("A later version is already installed")
        targets.append(deb)
    if not targets:
        return None
    return AptChange(
        "deb",
        "package installed",
        targets=tuple(targets),
        diff={"prepared": "\n".join(f"Inst {t}" for t in targets)},
    )


def prepared(out: str) -> str:
    """apt-get's account of what it does: after "Reading state information...", up to the
    "N upgraded, …" line (Ansible's diff)."""
    lines = out.splitlines()
    start = (
        lines.index("Reading state information...") + 1
        if "Reading state information..." in lines
        else 0
    )
    end = next(
        (i + 1 for i, line in enumerate(lines) if re.match(r"[0-9]+ (packages )?upgraded", line)),
        len(lines),
    )
    return "\n".join(lines[start:end])


def failure(args: dict[str, Any], change: AptChange, command: str, err: str) -> str:
    """Ansible's words for a failed apt-get."""
    op = change.op
    if op == "remove":
        return f"'apt-get remove {join(change.targets)}' failed: {err}"
    if op == "upgrade":
        mode = args["upgrade"] if args["upgrade"] != "no" else "yes"
        return f"'apt-get {aptcmd.UPGRADE_WORDS[mode]}' failed: {err}"
    if op in CLEANED:
        return f"'apt-get {op}' failed: {err}"
    if op == "clean":
        return "apt-get clean failed"
    if op == "deb":
        return f"{command} failed: {err}"
    if op == "mark":
        return f"Command {command!r} failed: {err}"
    return f"'{command}' failed: {err}"


def plan(args: dict[str, Any], state: AptState) -> AptChange | None:
    """What the task must change, by the path Ansible's apt takes."""
    path = mode(args)
    if path == "clean":
        return AptChange("clean", "apt-get clean")
    if path == "upgrade":
        return plan_simulated(args, state, "upgrade", simulated_changes)
    if path in CLEANED:
        return plan_simulated(args, state, path, lambda out: CLEANED[path] in out)
    if path == "deb":
        return plan_debs(args, state)
    if path == "remove":
        return plan_remove(args, state)
    if path != "install":
        return None
    if args["state"] == "build-dep":
        return plan_simulated(args, state, "build-dep", simulated_changes, cache_values(state))
    return plan_install(args, state, cache_values(state))


def values(args: dict[str, Any], state: AptState) -> dict[str, Any]:
    """The return values when nothing changes."""
    path = mode(args)
    if path == "install" and args["state"] == "build-dep":
        return {**cache_values(state), **simulation_values(args, state, "build-dep")}
    if path in ("upgrade", *CLEANED):
        return simulation_values(args, state, path)
    return cache_values(state) if path in ("install", "cache") else {}
