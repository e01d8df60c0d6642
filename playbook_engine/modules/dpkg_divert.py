"""dpkg_divert: a dpkg diversion of a file (dpkg-divert): add, update, remove.

One probe reads the diversion (``--listpackage``, ``--truename``), which of the three
files involved exist, and what the wanted command would do (``--test``), so the plan knows
before anything changes whether dpkg-divert will accept it, refuse a rename, or needs the
old diversion removed first (a new holder or divert location, which dpkg-divert cannot
change in place). One command then changes it and reads the diversion back, so the result
reports the diversion as dpkg has it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import Section, need, section, sections
from .util.state import Change, StateModule
from .util.sysmods import C_LOCALE, Output, split

_FIND = (
    'b=$(command -v dpkg-divert) || { echo "Failed to find required executable '
    'dpkg-divert" >&2; exit 127; }'
)
_MIN_VERSION = (1, 19, 1)  # --no-rename
_NEXT = "::pbe:next"  # between the messages of two dpkg-divert commands
_BEGIN = "::pbe:begin "  # where the sections start (hostedit's frame)


@dataclass(frozen=True, slots=True)
class Diversion:
    """The probe's findings: the diversion, the files, and the dry runs."""

    tool: str
    diversion: dict[str, Any]
    path_exists: bool
    truename_exists: bool
    target_exists: bool
    test: Output  # the wanted command with --test
    remove_test: Output  # --remove with --test (an update starts with it)


@dataclass(frozen=True, slots=True)
class Divert(Change):
    commands: tuple[str, ...] = ()
    remove: str | None = None  # a file to delete first (force)


@register("dpkg_divert", "community.general.dpkg_divert")
class DpkgDivert(StateModule[Diversion]):
    """Divert a file away from dpkg (or stop diverting it) with dpkg-divert."""

    args = {
        "path": Arg("path", required=True, description="The file to divert or undivert."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the diversion exists.",
        ),
        "holder": Arg(
            "str",
            description="The package the diversion belongs to (default: LOCAL, a local "
            "diversion). Ignored with state=absent.",
        ),
        "divert": Arg(
            "path",
            description="Where other packages' versions of the file go (default: PATH.distrib). "
            "Ignored with state=absent.",
        ),
        "rename": Arg(
            "bool",
            default=False,
            description="Move the file aside (present) or back (absent) when the diversion "
            "is added or removed.",
        ),
        "force": Arg(
            "bool",
            default=False,
            description="With rename: overwrite a file already at the destination of the move.",
        ),
    }
    returns = {
        "diversion": "the diversion after the task: path, state, holder, divert",
        "commands": "the dpkg-divert commands the module ran (or would run)",
        "messages": "what dpkg-divert said",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        path, target = quote(args["path"]), quote(_target(args) or "")
        exists = (
            f't=$("$b" --truename {path}); '
            f'for f in {path} "$t" {target}; do [ -n "$f" ] && [ -e "$f" ] && echo 1 || echo 0; '
            "done"
        )
        parts = [
            section("tool", 'echo "$b"; "$b" --version | head -n 1'),
            section("holder", f'"$b" --listpackage {path}'),
            section("truename", f'"$b" --truename {path}'),
            section("exists", exists),
            section("test", split(f'"$b" --test {_main_args(args, args["rename"])}')),
            section("rmtest", split(f'"$b" --test --no-rename --remove {path}')),
        ]
        return f"{C_LOCALE}; {_FIND}; " + "; ".join(parts)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Diversion:
        if res.rc == 127:
            raise ModuleError(res.err.strip())
        found = sections(res.out)
        tool, version = (need(found, "tool", res).text.splitlines() + ["", ""])[:2]
        _check_version(version)
        exists = need(found, "exists", res).text.split()
        return Diversion(
            tool,
            _diversion(args["path"], _read(found, "holder", res), _read(found, "truename", res)),
            exists[0] == "1",
            exists[1] == "1",
            exists[2] == "1",
            Output.parse(need(found, "test", res).text),
            Output.parse(need(found, "rmtest", res).text),
        )

    def plan(self, args: dict[str, Any], found: Diversion) -> Change | None:
        wanted, before = _wanted(args), found.diversion
        main = f"{found.tool} {_main_args(args, args['rename'], shown=True)}"
        if wanted == before:
            return None
        diff = {"before": before, "after": wanted}
        if wanted["state"] != before["state"]:
            return self._toggle(args, found, main, diff)
        remove = f"{found.tool} --no-rename --remove {args['path']}"
        add = f"{found.tool} {_main_args(args, False, shown=True)}"
        values = _values(wanted, (remove, add), [found.remove_test.out, "Running in check mode"])
        return Divert("update", None, values, diff, (remove, add))

    def _toggle(
        self, args: dict[str, Any], found: Diversion, main: str, diff: dict[str, Any]
    ) -> Divert:
        """Add a diversion that is not there, or remove one that is."""
        wanted = _wanted(args)
        values = _values(wanted, (main,), [found.test.out])
        if found.test.rc == 0:
            return Divert("toggle", None, values, diff, (main,))
        absent = wanted["state"] == "absent"
        clash = found.truename_exists if absent else found.target_exists
        if not (args["rename"] and found.path_exists and clash):
            raise ModuleError(
                "Unexpected error while changing state of the diversion: "
                f"{found.test.err or found.test.out}"
            )
        if not args["force"]:
            raise ModuleError("Set 'force' param to True to force renaming of files.")
        remove = args["path"] if absent else wanted["divert"]
        return Divert("toggle", None, values, diff, (main,), remove)

    def values(self, args: dict[str, Any], found: Diversion) -> dict[str, Any]:
        main = f"{found.tool} {_main_args(args, args['rename'], shown=True)}"
        return _values(found.diversion, (main,), [found.test.out])

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, Divert)
        path = quote(args["path"])
        steps = [f"{C_LOCALE}; {_FIND}"]
        if change.op == "update":
            steps.append(f't=$("$b" --truename {path}) || exit')
            steps.append(f'"$b" --no-rename --remove {path} || exit; echo {_NEXT}')
            steps.append(f'"$b" {_main_args(args, False)} || exit')
            steps.append(_move_diverted(change.values["diversion"]["divert"]))
        else:
            if change.remove is not None:
                steps.append(f"rm -f -- {quote(change.remove)} || exit")
            steps.append(f'"$b" {_main_args(args, args["rename"])} || exit')
        steps.append(section("holder", f'"$b" --listpackage {path}'))
        steps.append(section("truename", f'"$b" --truename {path}'))
        return "; ".join(steps)

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        found = sections(res.out)
        after = _diversion(args["path"], _read(found, "holder", res), _read(found, "truename", res))
        said = res.out.split(_BEGIN, 1)[0]
        messages = [part.strip() for part in said.split(f"{_NEXT}\n")]
        if after != _wanted(args):
            raise ModuleError(
                f"Unexpected error: see stdout and stderr for details: {(res.err or said).strip()}"
            )
        return {**change.values, "diversion": after, "messages": messages}

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return (res.err or res.out).strip() or f"dpkg-divert failed (rc={res.rc})"


def _target(args: dict[str, Any]) -> str | None:
    """Where a present diversion sends other packages' file."""
    if args["state"] == "absent":
        return None
    return str(args["divert"] or f"{args['path']}.distrib")


def _holder(args: dict[str, Any]) -> str:
    holder = args["holder"]
    return str(holder) if holder and holder != "LOCAL" else "LOCAL"


def _wanted(args: dict[str, Any]) -> dict[str, Any]:
    present = args["state"] == "present"
    return {
        "path": args["path"],
        "state": args["state"],
        "divert": _target(args),
        "holder": _holder(args) if present else None,
    }


def _main_args(args: dict[str, Any], rename: bool, shown: bool = False) -> str:
    """The arguments of the dpkg-divert command for the state asked for; ``shown``: as the
    ``commands`` return value spells them (unquoted, as Ansible reports them)."""
    q = (lambda s: s) if shown else quote
    words = ["--rename" if rename else "--no-rename"]
    if args["state"] == "absent":
        return " ".join([*words, "--remove", q(args["path"])])
    holder = _holder(args)
    words += ["--local"] if holder == "LOCAL" else ["--package", q(holder)]
    if args["divert"]:
        words += ["--divert", q(args["divert"])]
    return " ".join([*words, "--add", q(args["path"])])


def _move_diverted(divert: str) -> str:
    """After an update, the old diverted file follows the diversion when it can."""
    new = quote(divert)
    return f'if [ -e "$t" ] && [ ! -e {new} ] && [ "$t" != {new} ]; then mv -- "$t" {new} || :; fi'


def _read(found: dict[str, Section], name: str, res: CommandResult) -> str:
    part = need(found, name, res)
    if part.rc != 0:
        raise ModuleError(f"dpkg-divert --{name} failed: {part.text.strip() or res.err.strip()}")
    return part.text.strip()


def _diversion(path: str, holder: str, truename: str) -> dict[str, Any]:
    if not holder:
        return {"path": path, "state": "absent", "divert": None, "holder": None}
    return {"path": path, "state": "present", "divert": truename, "holder": holder}


def _values(
    diversion: dict[str, Any], commands: tuple[str, ...], messages: list[str]
) -> dict[str, Any]:
    return {"diversion": diversion, "commands": list(commands), "messages": messages}


def _check_version(line: str) -> None:
    words = [w for w in line.split() if w[:1].isdigit() and "." in w]
    if not words:
        raise ModuleError(f"cannot read dpkg-divert's version from {line!r}")
    numbers = tuple(int(p) for p in words[0].split("~")[0].split(".")[:3] if p.isdigit())
    if numbers < _MIN_VERSION:
        raise ModuleError(
            f"dpkg-divert {words[0]} is too old: pbe's dpkg_divert needs 1.19.1 or later "
            "(--no-rename)"
        )
