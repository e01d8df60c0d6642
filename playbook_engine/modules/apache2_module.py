"""apache2_module: enable or disable an Apache module with a2enmod/a2dismod.

Whether the module is on is what ``apache2ctl -M`` (or ``apachectl -M``) lists as loaded,
found by its identifier (``rewrite`` → ``rewrite_module``). One probe reads that; one
command runs a2enmod/a2dismod and lists the modules again, so a module that the tool did
not really switch (a wrong identifier) fails the task, as in Ansible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.hostedit import need, section, sections
from .util.state import Change, StateModule

_CTL = (
    'c=$(command -v apache2ctl || command -v apachectl) || { echo "Neither of '
    'apache2ctl nor apachectl found. At least one apache control binary is necessary."'
    "; exit 127; }"
)
_NO_TOOL, _AFTER = 90, "::pbe:after"
_MODS = section("mods", 'LANG=C LC_ALL=C "$c" -M 2>&1')
_THREADED = re.compile(r"threaded: *yes")
_NAMED = (("shib", "mod_shib"), ("evasive", "evasive20_module"))
_PHP = (("php8", re.compile(r"^(php)[\d.]+")), ("php", re.compile(r"^(php\d)\.")))


@dataclass(frozen=True, slots=True)
class Loaded:
    enabled: bool
    check_failed: bool  # `-M` failed and ignore_configcheck let it pass


@register("apache2_module", "community.general.apache2_module")
class Apache2Module(StateModule[Loaded]):
    """Enable or disable an Apache2 module (a2enmod, a2dismod)."""

    args = {
        "name": Arg("str", required=True, description="The module as a2enmod names it."),
        "identifier": Arg(
            "str",
            description="Its name in `apache2ctl -M` (default: "
            "NAME_module, with known exceptions).",
        ),
        "force": Arg("bool", default=False, description="Disable a default module (a2dismod -f)."),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether the module is enabled.",
        ),
        "ignore_configcheck": Arg(
            "bool", default=False, description="Go on when `apache2ctl -M` fails."
        ),
        "warn_mpm_absent": Arg(
            "bool", default=True, description="Accepted (pbe's results carry no warnings)."
        ),
    }
    returns = {"result": "`Module NAME enabled` or `Module NAME disabled`"}

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        probe = f"{_CTL}; {_MODS}"
        if _checks_threads(args):
            probe += "; " + section("version", 'LANG=C LC_ALL=C "$c" -V 2>&1')
        return probe

    def parse(self, args: dict[str, Any], res: CommandResult) -> Loaded:
        found = sections(res.out)
        if res.rc == 127 and "mods" not in found:
            raise ModuleError(res.out.strip())
        if _checks_threads(args) and _THREADED.search(need(found, "version", res).text):
            raise ModuleError(
                "Your MPM seems to be threaded, therefore enabling cgi module is not allowed."
            )
        return loaded(args, need(found, "mods", res).rc, need(found, "mods", res).text)

    def plan(self, args: dict[str, Any], state: Loaded) -> Change | None:
        if state.enabled == (args["state"] == "present"):
            return None
        return Change(args["state"], None, values={"result": _message(args)})

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        tool = "a2enmod" if change.op == "present" else "a2dismod"
        force = " -f" if change.op == "absent" and args["force"] else ""
        missing = f"{tool} not found. Perhaps this system does not use {tool} to manage apache"
        return (
            f"command -v {tool} >/dev/null || {{ echo {quote(missing)}; exit {_NO_TOOL}; }}"
            f"; LANG=C LC_ALL=C {tool}{force} {quote(args['name'])} || exit; {_CTL}; "
            f"echo {_AFTER}; {_MODS}"
        )

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        if res.rc == _NO_TOOL:
            return res.out.strip()
        tool = "a2enmod" if change.op == "present" else "a2dismod"
        return f"Failed to run {tool} for module {args['name']}:\n{res.out}\n{res.err}"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        said, _, after = res.out.partition(f"{_AFTER}\n")
        mods = need(sections(after), "mods", res)
        now = loaded(args, mods.rc, mods.text)
        if now.enabled != (change.op == "present") and not now.check_failed:
            state = "enabled" if change.op == "present" else "disabled"
            raise ModuleError(
                f"Failed to set module {args['name']} to {state}:\n{said}\nMaybe the module "
                f"identifier ({identifier(args)}) was guessed incorrectly.Consider setting "
                'the "identifier" option.'
            )
        return change.values

    def values(self, args: dict[str, Any], state: Loaded) -> dict[str, Any]:
        return {"result": _message(args)}


def loaded(args: dict[str, Any], rc: int, text: str) -> Loaded:
    """Whether `-M`'s listing has the module; its failure is the task's unless
    ignore_configcheck (then the module counts as not loaded)."""
    if rc != 0:
        if not args["ignore_configcheck"]:
            raise ModuleError(f"Error executing apache2ctl: {text.strip()}")
        return Loaded(False, True)
    return Loaded(f" {identifier(args)}" in text, False)


def identifier(args: dict[str, Any]) -> str:
    """The module's name in `apache2ctl -M`: given, or guessed as Ansible guesses it."""
    if args["identifier"]:
        return str(args["identifier"])
    name: str = args["name"]
    for part, ident in _NAMED:
        if part in name:
            return ident
    for part, pattern in _PHP:
        if part in name and (match := pattern.search(name)):
            return f"{match.group(1)}_module"
    return f"{name}_module"


def _checks_threads(args: dict[str, Any]) -> bool:
    return bool(args["name"] == "cgi" and args["state"] == "present")


def _message(args: dict[str, Any]) -> str:
    return f"Module {args['name']} {'enabled' if args['state'] == 'present' else 'disabled'}"
