"""dnf_config_manager: enable or disable dnf repositories (`dnf config-manager`).

One probe lists every repository with its status (``dnf repolist --all``: no metadata is
downloaded); one command switches the repositories that differ and lists them again, so
the result reports the states after the change and a switch that did not take fails.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.state import Change, StateModule

_LIST = "LANG=C LC_ALL=C dnf repolist --all"
_AFTER = "::pbe:after"
_STATUSES = frozenset({"enabled", "disabled"})

Repos = dict[str, str]  # repo id -> "enabled" | "disabled"


@register("dnf_config_manager", "community.general.dnf_config_manager")
class DnfConfigManager(StateModule[Repos]):
    """Enable or disable dnf repositories with `dnf config-manager`."""

    args = {
        "name": Arg(
            "list", default=[], elements="str", description="Repository ids (crb, appstream …)."
        ),
        "state": Arg(
            "str",
            default="enabled",
            choices=("enabled", "disabled"),
            description="Whether the repositories are enabled or disabled.",
        ),
    }
    returns = {
        "changed_repos": "the repository ids switched",
        "repo_states_pre": "`enabled`/`disabled` lists before the task",
        "repo_states_post": "the same after it (not in check mode)",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        return f"{_LIST} 2>&1"

    def parse(self, args: dict[str, Any], res: CommandResult) -> Repos:
        if res.rc != 0:
            raise ModuleError(f"dnf repolist failed (rc={res.rc}): {res.out.strip()}")
        return parse_repolist(res.out)

    def plan(self, args: dict[str, Any], repos: Repos) -> Change | None:
        wanted = args["state"]
        for repo in args["name"]:
            if repo not in repos:
                raise ModuleError(f"did not find repo with ID '{repo}' in dnf repolist --all")
        todo = [repo for repo in dict.fromkeys(args["name"]) if repos[repo] != wanted]
        if not todo:
            return None
        return Change(wanted, None, values={"changed_repos": todo, "repo_states_pre": pack(repos)})

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        repos = change.values["changed_repos"]
        ids = " ".join(quote(repo) for repo in repos)
        value = "1" if change.op == "enabled" else "0"
        dnf5 = " ".join(quote(f"{repo}.enabled={value}") for repo in repos)
        switch = (
            f'case "$(dnf --version 2>/dev/null)" in '
            f"dnf5*) dnf config-manager setopt {dnf5};; "
            f"*) dnf config-manager --assumeyes --set-{change.op} {ids};; esac"
        )
        return f"{{ {switch}; }} 2>&1 && echo {_AFTER} && {_LIST} 2>&1"

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        after = parse_repolist(res.out.partition(f"{_AFTER}\n")[2])
        for repo in change.values["changed_repos"]:
            if after.get(repo) != change.op:
                raise ModuleError(f"dnf config-manager failed to make '{repo}' {change.op}")
        return {**change.values, "repo_states_post": pack(after)}

    def values(self, args: dict[str, Any], repos: Repos) -> dict[str, Any]:
        return {
            "changed_repos": [],
            "repo_states_pre": pack(repos),
            "repo_states_post": pack(repos),
        }


def parse_repolist(text: str) -> Repos:
    """``dnf repolist --all``'s table (dnf 4 and 5): the id is the first column, the status
    the last; the header and anything else are skipped."""
    repos: Repos = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[-1] in _STATUSES and fields[:2] != ["repo", "id"]:
            repos[fields[0]] = fields[-1]
    return repos


def pack(repos: Repos) -> dict[str, list[str]]:
    """Repository states as Ansible returns them: sorted ids per status."""
    return {
        status: sorted(r for r, s in repos.items() if s == status)
        for status in ("enabled", "disabled")
    }
