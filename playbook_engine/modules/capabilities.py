"""capabilities: Linux file capabilities of a path (getcap, setcap).

One probe reads the file's capabilities (``getcap -v``) and asks setcap itself whether the
file already has what the task wants (``setcap -v``), so libcap's own reading of operators
and flags decides, not a re-implementation. The wanted set is the file's current text with
the named capabilities cleared and the requested clause applied (``CURRENT NAMES= CLAUSE``):
setcap applies clauses left to right, so that is the set Ansible's module builds from the
capabilities it keeps plus the requested one. One command sets it and reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import need, section, sections
from .util.state import Change, StateModule
from .util.sysmods import C_LOCALE, Output, split

OPS = ("=", "-", "+")
_FIND = (
    "for t in getcap setcap; do command -v $t >/dev/null || "
    '{ echo "Failed to find required executable $t" >&2; exit 127; }; done'
)
# The file's capabilities as setcap text: getcap's line without the path (and the " = "
# older libcap prints before them).
_CURRENT = 'c=$(getcap -v "$p" 2>/dev/null); c=${c#"$p"}; c=${c# }; c=${c#= }'

Cap = tuple[str, str, str]  # name, operator, flags


@dataclass(frozen=True, slots=True)
class Caps:
    current: list[Cap]
    verified: bool  # setcap -v: the file has the wanted set already


@dataclass(frozen=True, slots=True)
class SetCaps(Change):
    clauses: str = ""  # the setcap text for the whole wanted set


@register("capabilities", "community.general.capabilities")
class Capabilities(StateModule[Caps]):
    """Set or remove Linux capabilities of a file with setcap."""

    args = {
        "path": Arg("str", required=True, aliases=("key",), description="The file."),
        "capability": Arg(
            "str",
            required=True,
            aliases=("cap",),
            description="The capability clause for setcap (`cap_net_bind_service+ep`, "
            "several as `cap_chown,cap_fowner+ep`); for state=absent the names suffice.",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the capabilities are set on the file or removed from it.",
        ),
    }
    returns = {
        "state": "the state asked for",
        "stdout": "what setcap printed (after a change)",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        path, clause = _path(args), _clause(args)
        cleared = ",".join(_names(clause)) + "="
        wanted = f"$c {cleared} {clause}" if args["state"] == "present" else f"$c {cleared}"
        verify = f'{_CURRENT}; setcap -v "{wanted}" "$p" >/dev/null 2>&1'
        return (
            f"{C_LOCALE}; {_FIND}; p={quote(path)}; "
            + section("getcap", split('getcap -v "$p"'))
            + "; "
            + section("verify", verify)
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> Caps:
        if res.rc == 127:
            raise ModuleError(res.err.strip())
        found = sections(res.out)
        getcap = Output.parse(need(found, "getcap", res).text)
        path = _path(args)
        if getcap.rc != 0 or getcap.err:
            raise ModuleError(f"Unable to get capabilities of {path}: {getcap.err or getcap.out}")
        return Caps(_parse_getcap(path, getcap.out), need(found, "verify", res).rc == 0)

    def plan(self, args: dict[str, Any], caps: Caps) -> Change | None:
        clause = _clause(args)
        present = args["state"] == "present"
        if present and not any(op in clause for op in OPS):
            raise ModuleError(f"Couldn't find operator (one of: {OPS})")
        names = _names(clause)
        if not present and not any(cap[0] in names for cap in caps.current):
            return None
        kept = [f"{n}{op}{flags}" for n, op, flags in caps.current if n not in names]
        clauses = " ".join([*kept, clause] if present else kept)
        in_state = caps.verified if clauses else not caps.current
        if in_state:
            return None
        return SetCaps("setcap", "capabilities changed", {"state": args["state"]}, clauses=clauses)

    def values(self, args: dict[str, Any], caps: Caps) -> dict[str, Any]:
        return {"state": args["state"]}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, SetCaps)
        clauses = quote(change.clauses)
        return f"{C_LOCALE}; setcap {clauses} {quote(_path(args))}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        return {"state": args["state"], "stdout": res.out}

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        detail = (res.err or res.out).strip() or f"exit status {res.rc}"
        return f"Unable to set capabilities of {_path(args)}: {detail}"


def _path(args: dict[str, Any]) -> str:
    return str(args["path"]).strip()


def _clause(args: dict[str, Any]) -> str:
    return str(args["capability"]).strip().lower()


def _names(clause: str) -> list[str]:
    """The capability names a clause mentions, without operators and flags."""
    names: list[str] = []
    for word in clause.split():
        cut = min((i for i in (word.find(op) for op in OPS) if i >= 0), default=len(word))
        names += [name for name in word[:cut].split(",") if name]
    return names


def _parse_getcap(path: str, out: str) -> list[Cap]:
    """``getcap -v`` output as (name, op, flags) per capability (pure). getcap prints
    ``PATH`` alone for a file without capabilities, ``PATH CAPS`` (older libcap:
    ``PATH = CAPS``), and ``PATH (reason)`` for a file it cannot read."""
    text = out.strip()
    if text == path:
        return []
    if " =" in text:
        words = text.split(" =", 1)[1].split()
    elif text.endswith(")"):
        raise ModuleError(f"Unable to get capabilities of {path}: {text}")
    else:
        words = text[len(path) :].split() if text.startswith(path) else text.split()[1:]
    caps: list[Cap] = []
    for word in (w.lower() for w in words):
        group = word.split(",")
        name, op, flags = _split_cap(group[-1])
        caps += [(n, op, flags) for n in group[:-1]] + [(name, op, flags)]
    return caps


def _split_cap(word: str) -> Cap:
    for op in OPS:
        if op in word:
            name, _, flags = word.partition(op)
            return name, op, flags
    raise ModuleError(f"Couldn't find operator (one of: {OPS})")
