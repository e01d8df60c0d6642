"""pamd: edit the rules of a PAM service file (/etc/pam.d/NAME).

The file is read and written through the shared text-file editor (``util/textedit``): one
round trip when nothing changes, the edit computed on the controller by a pure function,
the write atomic (with ``backup``), and a check run exact. A rule is found by its type,
control and module path, compared as community.general.pamd compares them (a bracketed
control with ``a = b`` spacing normalised); every rule that matches is edited.

Only the rules the task changes or adds are rewritten, in Ansible's layout (the type padded
to 11 columns); the other lines keep their bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.textedit import Outcome, edit_file

TYPES = ("account", "-account", "auth", "-auth", "password", "-password", "session", "-session")
_RULE = re.compile(
    r"(?P<type>-?(?:auth|account|session|password))\s+(?P<control>\[.*\]|\S*)\s+"
    r"(?P<path>\S*)\s*(?P<args>.*)\s*"
)
_ARG = re.compile(r"(\[.*\]|\S*)")
_SIMPLE_CONTROLS = frozenset(
    ["required", "requisite", "sufficient", "optional", "include", "substack", "definitive"]
)
_CONTROL_VALUES = frozenset(
    [
        "success",
        "open_err",
        "symbol_err",
        "service_err",
        "system_err",
        "buf_err",
        "perm_denied",
        "auth_err",
        "cred_insufficient",
        "authinfo_unavail",
        "user_unknown",
        "maxtries",
        "new_authtok_reqd",
        "acct_expired",
        "session_err",
        "cred_unavail",
        "cred_expired",
        "cred_err",
        "no_module_data",
        "conv_err",
        "authtok_err",
        "authtok_recover_err",
        "authtok_lock_busy",
        "authtok_disable_aging",
        "try_again",
        "ignore",
        "abort",
        "authtok_expired",
        "module_unknown",
        "bad_item",
        "conv_again",
        "incomplete",
        "default",
    ]
)
_CONTROL_ACTIONS = frozenset(["ignore", "bad", "die", "ok", "done", "reset"])
_NEEDS = {
    "args_present": ("module_arguments",),
    "args_absent": ("module_arguments",),
    "before": ("new_control", "new_type", "new_module_path"),
    "after": ("new_control", "new_type", "new_module_path"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule line; ``text`` is its original line, None once the task changed it."""

    type: str
    control: str
    path: str
    args: tuple[str, ...] = ()
    text: str | None = field(default=None, compare=False)

    def matches(self, type_: str, control: str, path: str) -> bool:
        return (self.type, self.control, self.path) == (type_, control_of(control), path)

    def render(self) -> str:
        if self.text is not None:
            return self.text
        line = f"{self.type: <11}{self.control} {self.path}"
        return f"{line} {' '.join(self.args)}" if self.args else line


Line = Rule | str  # a rule, or any other line (comment, @include, blank, junk) as is


@register("pamd", "community.general.pamd")
class Pamd(Module):
    """Add, change or remove rules and their arguments in a PAM service file."""

    args = {
        "name": Arg("str", required=True, description="The service file, e.g. `sshd`."),
        "type": Arg("str", required=True, choices=TYPES, description="The rule's type."),
        "control": Arg(
            "str",
            required=True,
            description="The rule's control: `required`, … or `[success=1 default=ignore]`.",
        ),
        "module_path": Arg("str", required=True, description="The rule's module path."),
        "new_type": Arg("str", choices=TYPES, description="The new (or inserted) rule's type."),
        "new_control": Arg("str", description="The new (or inserted) rule's control."),
        "new_module_path": Arg("str", description="The new (or inserted) rule's module path."),
        "module_arguments": Arg(
            "list",
            elements="str",
            description="updated: the rule's arguments (an empty string: none); "
            "args_present: arguments to add (`key=value` replaces the key's value); "
            "args_absent: arguments to remove; before/after: the new rule's arguments.",
        ),
        "state": Arg(
            "str",
            default="updated",
            choices=("absent", "before", "after", "args_absent", "args_present", "updated"),
            description="What to do with the matching rules: change them (updated), insert "
            "a new rule before or after each, add or remove arguments, or remove them.",
        ),
        "path": Arg("path", default="/etc/pam.d", description="The directory of the file."),
        "backup": Arg(
            "bool", default=False, description="Keep a timestamped copy of the file first."
        ),
    }
    returns = {
        "change_count": "how many rules were changed, added or removed",
        "backupdest": "the backup's path, or an empty string",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        _check_args(args)
        fname = str(PurePosixPath(args["path"]) / args["name"])
        edit = {"path": fname, "backup": args["backup"], "create": False}
        result = edit_file(ctx, edit, lambda _a, data, _p: plan(args, data, fname))
        if result.get("failed"):
            return Result.of(result)
        return Result.of(
            {
                "changed": result["changed"],
                "change_count": result.get("change_count", 0),
                "backupdest": result.get("backup", ""),
                **({"diff": result["diff"]} if "diff" in result else {}),
            }
        )


def _check_args(args: dict[str, Any]) -> None:
    """Ansible's required_if, and its refusal of bracketed arguments to add."""
    state = args["state"]
    missing = [key for key in _NEEDS.get(state, ()) if args[key] is None]
    if missing:
        raise ModuleError(
            f"state is {state} but all of the following are missing: {', '.join(missing)}"
        )
    if state == "args_present" and any(
        a.startswith("[") for a in arguments(args["module_arguments"])
    ):
        raise ModuleError(
            "Unable to process bracketed '[' complex arguments with 'args_present'. "
            "Please use 'updated'."
        )


# -- the edit (pure) ---------------------------------------------------------------------


def plan(args: dict[str, Any], data: bytes | None, fname: str) -> Outcome:
    """The new content of the service file, and how many rules changed."""
    if data is None:
        return Outcome(
            None,
            f"Unable to open/read PAM module file {fname} with error "
            f"[Errno 2] No such file or directory: '{fname}'.",
            failed=True,
        )
    text = data.decode("utf-8", "surrogateescape")
    lines = parse(text)
    count = EDITS[args["state"]](lines, args)
    if problem := invalid(lines):
        return Outcome(None, problem, failed=True)
    if not count:
        return Outcome(None, extra={"change_count": 0})
    new = "".join(line_text(line) + "\n" for line in lines)
    return Outcome(new.encode("utf-8", "surrogateescape"), extra={"change_count": count})


def parse(text: str) -> list[Line]:
    """The file's lines, rules parsed (pure)."""
    out: list[Line] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "@include")):
            out.append(line)
        elif match := _RULE.search(line):
            rule_args = tuple(arguments([match.group("args")]))
            control = control_of(match.group("control"))
            out.append(Rule(match.group("type"), control, match.group("path"), rule_args, line))
        else:
            out.append(line)
    return out


def line_text(line: Line) -> str:
    return line.render() if isinstance(line, Rule) else line


def control_of(control: str) -> str:
    """A control as pamd compares it: brackets with ``a = b`` written ``a=b``."""
    if not control.startswith("["):
        return control
    inner = control.replace(" = ", "=").replace("[", "").replace("]", "")
    return f"[{' '.join(inner.split(' '))}]"


def arguments(values: list[str] | None) -> list[str]:
    """Module arguments as words; a bracketed argument (``[a b]``) stays one word."""
    return [item for value in values or [] for item in _ARG.findall(value) if item]


def _matching(lines: list[Line], args: dict[str, Any]) -> list[Rule]:
    return [
        line
        for line in lines
        if isinstance(line, Rule)
        and line.matches(args["type"], args["control"], args["module_path"])
    ]


def _set(lines: list[Line], old: Rule, new: Rule) -> None:
    lines[next(i for i, line in enumerate(lines) if line is old)] = new


def _update(lines: list[Line], args: dict[str, Any]) -> int:
    new_args = (
        None if args["module_arguments"] is None else tuple(arguments(args["module_arguments"]))
    )
    count = 0
    for rule in _matching(lines, args):
        new = replace(
            rule,
            type=args["new_type"] or rule.type,
            control=control_of(args["new_control"]) if args["new_control"] else rule.control,
            path=args["new_module_path"] or rule.path,
            args=rule.args if new_args is None else new_args,
        )
        if new != rule:
            _set(lines, rule, replace(new, text=None))
            count += 1
    return count


def _new_rule(args: dict[str, Any]) -> Rule:
    return Rule(
        args["new_type"],
        control_of(args["new_control"]),
        args["new_module_path"],
        tuple(arguments(args["module_arguments"])),
    )


def _neighbour(lines: list[Line], index: int, step: int) -> Line | None:
    """The nearest line before (-1) or after (+1) ``index`` that is not blank or a comment."""
    index += step
    while 0 <= index < len(lines):
        line = lines[index]
        if isinstance(line, Rule) or (line.strip() and not line.lstrip().startswith("#")):
            return line
        index += step
    return None


def _is_new(line: Line | None, new: Rule) -> bool:
    return isinstance(line, Rule) and line.matches(new.type, new.control, new.path)


def _before(lines: list[Line], args: dict[str, Any]) -> int:
    new, count = _new_rule(args), 0
    for rule in _matching(lines, args):
        at = next(i for i, line in enumerate(lines) if line is rule)
        if not _is_new(_neighbour(lines, at, -1), new):
            lines.insert(at, replace(new))
            count += 1
    return count


def _after(lines: list[Line], args: dict[str, Any]) -> int:
    new, count = _new_rule(args), 0
    for rule in _matching(lines, args):
        at = next(i for i, line in enumerate(lines) if line is rule)
        following = _neighbour(lines, at, 1)
        if following is None:  # only blank lines and comments follow: at the end, as Ansible
            lines.append(replace(new))
            count += 1
        elif not _is_new(following, new):
            lines.insert(at + 1, replace(new))
            count += 1
    return count


def _args_present(lines: list[Line], args: dict[str, Any]) -> int:
    given = [a for a in arguments(args["module_arguments"]) if not a.startswith("[")]
    wanted = [a for a in given if "=" not in a] + [a for a in given if "=" in a]  # Ansible's order
    count = 0
    for rule in _matching(lines, args):
        new_args = list(rule.args)
        for arg in wanted:
            _add_argument(new_args, arg)
        if tuple(new_args) != rule.args:
            _set(lines, rule, replace(rule, args=tuple(new_args), text=None))
            count += 1
    return count


def _add_argument(current: list[str], arg: str) -> None:
    """Add a flag that is missing, or a ``key=value`` whose key is missing; give an
    existing key its new value in place."""
    key, eq, _ = arg.partition("=")
    if not eq:
        if arg not in current:
            current.append(arg)
        return
    for index, have in enumerate(current):
        if not have.startswith("[") and have.partition("=")[1] and have.partition("=")[0] == key:
            current[index] = arg
            return
    current.append(arg)


def _args_absent(lines: list[Line], args: dict[str, Any]) -> int:
    unwanted = set(arguments(args["module_arguments"]))
    count = 0
    for rule in _matching(lines, args):
        if unwanted & set(rule.args):
            kept = tuple(a for a in rule.args if a not in unwanted)
            _set(lines, rule, replace(rule, args=kept, text=None))
            count += 1
    return count


def _absent(lines: list[Line], args: dict[str, Any]) -> int:
    doomed = {id(rule) for rule in _matching(lines, args)}
    lines[:] = [line for line in lines if id(line) not in doomed]
    return len(doomed)


EDITS = {
    "updated": _update,
    "before": _before,
    "after": _after,
    "args_present": _args_present,
    "args_absent": _args_absent,
    "absent": _absent,
}


def invalid(lines: list[Line]) -> str | None:
    """Ansible's check of the whole file after the edit: the first bad line's message."""
    for line in lines:
        if isinstance(line, str):
            stripped = line.strip()
            if stripped and not stripped.startswith(("#", "@include")):
                return f"Rule is not valid {line}"
        elif problem := _bad_rule(line):
            return problem
    return None


def _bad_rule(rule: Rule) -> str | None:
    shown = replace(rule, text=None).render()
    if rule.type not in TYPES:
        return f"Rule type, {rule.type}, is not valid in rule {shown}"
    if not rule.control.startswith("["):
        if rule.control not in _SIMPLE_CONTROLS:
            return f"Rule control, {rule.control}, is not valid in rule {shown}"
        return None
    for item in rule.control[1:-1].split(" "):
        value, _, action = item.partition("=")
        if value not in _CONTROL_VALUES:
            return f"Rule control value, {value}, is not valid in rule {shown}"
        if action not in _CONTROL_ACTIONS and not action.isdigit():
            return f"Rule control action, {action}, is not valid in rule {shown}"
    return None
