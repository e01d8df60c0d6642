"""debconf: one answer in the debconf database (pre-seeding a package's questions).

One command reads the package's answers (``debconf-show``; for a password, which it hides,
the stored value through ``debconf-communicate``, which is in debconf itself, where Ansible
needs debconf-utils); one command sets the answer (``debconf-set-selections``). Like
Ansible's, the module does not reconfigure the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.debian import MARK, sections
from .util.state import Change, StateModule

_VTYPES = (
    "boolean",
    "error",
    "multiselect",
    "note",
    "password",
    "seen",
    "select",
    "string",
    "text",
    "title",
)


@dataclass(frozen=True, slots=True)
class Answers:
    """The package's answers as debconf-show prints them; the stored password."""

    shown: dict[str, str]
    password: str | None = None


@register("debconf")
class Debconf(StateModule[Answers]):
    """Set an answer in the debconf database."""

    args = {
        "name": Arg(
            "str",
            required=True,
            aliases=("pkg",),
            description="The package whose answers are read.",
        ),
        "question": Arg(
            "str", aliases=("selection", "setting"), description="The question (`tzdata/Areas` …)."
        ),
        "vtype": Arg("str", choices=_VTYPES, description="The question's type."),
        "value": Arg(
            "raw", aliases=("answer",), description="The answer; a list for `multiselect`."
        ),
        "unseen": Arg("bool", default=False, description="Leave the question's seen flag unset."),
    }
    returns = {
        "current": "the answer set (or every answer of the package when no question is given)",
        "previous": "the answer before the change",
        "msg": "debconf's output",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        given = [args[k] is not None for k in ("question", "vtype", "value")]
        if any(given) and not all(given):
            raise ModuleError("when supplying a question you must supply a valid vtype and value")
        lines = [
            "export LC_ALL=C",
            f"echo '{MARK}show'",
            f"debconf-show {quote(args['name'])}",
            f'_rc=$?; echo "{MARK}rc $_rc"',
        ]
        if args["vtype"] == "password":
            get = quote(f"GET {args['question']}\n")
            lines += [
                f"echo '{MARK}password'",
                f"printf '%s' {get} | debconf-communicate {quote(args['name'])}",
            ]
        return "\n".join(lines)

    def parse(self, args: dict[str, Any], res: CommandResult) -> Answers:
        out = sections(res.out)
        if "rc 0" not in out:
            raise ModuleError(res.err.strip() or f"debconf-show failed: {res.out.strip()}")
        shown = {}
        for line in out.get("show", "").splitlines():
            key, colon, value = line.partition(":")
            if colon:
                shown[key.strip("*").strip()] = value.strip()
        password = out.get("password", "").strip()
        stored = password[2:] if password.startswith("0 ") else None
        return Answers(shown, "" if password == "0" else stored)

    def plan(self, args: dict[str, Any], answers: Answers) -> Change | None:
        question = args["question"]
        if question is None:
            return None
        wanted = _wanted(args)
        if question in answers.shown and _existing(args, answers) == wanted:
            return None
        current = {question: wanted if isinstance(wanted, str) else ", ".join(wanted)}
        previous = (
            {question: answers.shown[question]}
            if question in answers.shown
            else {**answers.shown, question: ""}
        )
        values = {"current": current, "previous": previous, "msg": ""}
        return Change(
            "set", None, values, diff={"before": previous, "after": {**previous, **current}}
        )

    def values(self, args: dict[str, Any], answers: Answers) -> dict[str, Any]:
        return {"current": answers.shown, "msg": ""}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        text = change.values["current"][args["question"]]
        line = f"{args['name']} {args['question']} {args['vtype']} {text}\n"
        unseen = " -u" if args["unseen"] else ""
        return f"printf '%s' {quote(line)} | debconf-set-selections{unseen}"

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return res.err.strip() or super().failed(args, change, res)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _wanted(args: dict[str, Any]) -> str | list[str]:
    """The answer as debconf shows it: booleans lower case, a multiselect list sorted."""
    value = args["value"]
    if "\n" in _text(value):
        raise ModuleError("a debconf answer is one line: the value has a newline")
    if args["vtype"] == "multiselect" and isinstance(value, list):
        return sorted(_text(v) for v in value)
    if args["vtype"] == "boolean":
        return _text(value).lower()
    return _text(value)


def _existing(args: dict[str, Any], answers: Answers) -> str | list[str]:
    existing = answers.shown[args["question"]]
    if args["vtype"] == "boolean":
        return existing.lower()
    if args["vtype"] == "password":
        return answers.password or ""
    if args["vtype"] == "multiselect" and isinstance(args["value"], list):
        return sorted(item.strip() for item in existing.split(","))
    return existing
