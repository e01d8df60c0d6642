"""zypper_repository: a zypper repository, added, changed (re-added) or removed.

One probe reads zypper's version and its repositories (``zypper --xmlout repos``, parsed
on the controller); the repository is found by alias or URL and compared as
community.general.zypper_repository compares it. One command removes the repositories it
replaces, adds it (``zypper addrepo --check``) and refreshes it when asked.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.hostedit import need, section, sections

_ZYPPER = "LC_ALL=C zypper --quiet --non-interactive"
_OPTS = ("alias", "name", "priority", "enabled", "autorefresh", "gpgcheck")
_NO_REPOS = 6


@register("zypper_repository", "community.general.zypper_repository")
class ZypperRepository(Module):
    """Add, change or remove a zypper repository."""

    args = {
        "name": Arg("str", description="The repository's alias."),
        "repo": Arg("str", description="Its URL (`*` with runrefresh: every repository)."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the repository exists.",
        ),
        "runrefresh": Arg("bool", default=False, description="Refresh its metadata."),
        "description": Arg("str", description="Its name (zypper's --name)."),
        "disable_gpg_check": Arg("bool", description="Do not check package signatures."),
        "autorefresh": Arg("bool", aliases=("refresh",), description="Refresh automatically."),
        "priority": Arg("int", description="Its priority (lower wins)."),
        "enabled": Arg("bool", description="Whether it is enabled."),
        "overwrite_multiple": Arg(
            "bool", default=False, description="Replace several matching repositories."
        ),
        "auto_import_keys": Arg(
            "bool", default=False, description="Import new signing keys on refresh."
        ),
    }
    returns = {"repodata": "the repository's settings as compared", "state": "the state"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if "*" in (args["repo"], args["name"]):
            return _refresh_all(args, ctx)
        data = repodata(args)
        res = ctx.run(_probe())
        found = sections(res.out)
        version = _version(need(found, "version", res).text)
        repos = parse_repos(need(found, "repos", res))
        os_text = found["os"].text if "os" in found else ""
        changed, commands = plan(args, data, repos, version, os_text)
        values = {"repodata": data, "state": args["state"]}
        if commands and not ctx.check:
            out = ctx.run(" && ".join(f"{c} 2>&1" for c in commands))
            if out.rc != 0:
                raise ModuleError(f"Zypper failed with rc {out.rc}: {out.out.strip()}")
        return Result(changed=changed, values=values)


def repodata(args: dict[str, Any]) -> dict[str, Any]:
    """The repository as asked for, in zypper's words ("1"/"0"), defaults filled in."""
    if args["repo"] and args["repo"].endswith(".repo"):
        raise ModuleError(
            "pbe does not support .repo files in repo: give the repository's URL and name"
        )
    if args["state"] == "present" and not args["repo"]:
        raise ModuleError("Module option state=present requires repo")
    if args["state"] == "absent" and not args["repo"] and not args["name"]:
        raise ModuleError("Alias or repo parameter required when state=absent")
    if not args["name"] and args["state"] == "present":
        raise ModuleError("Name required when adding non-repo files.")
    data: dict[str, Any] = {
        "url": args["repo"],
        "alias": args["name"],
        "name": args["description"],
        "priority": args["priority"],
    }
    for key, arg, on in (
        ("enabled", "enabled", True),
        ("gpgcheck", "disable_gpg_check", False),
        ("autorefresh", "autorefresh", True),
    ):
        data[key] = "1" if args[arg] is None or args[arg] == on else "0"
    return data


def _probe() -> str:
    """zypper's version, the repositories, and what $releasever/$basearch stand for."""
    return "; ".join(
        (
            section("version", "LC_ALL=C zypper --version"),
            section("repos", f"{_ZYPPER} --xmlout repos"),
            section("os", "rpm -q --qf '%{version} %{arch}' -f /etc/os-release 2>/dev/null"),
        )
    )


def _version(text: str) -> tuple[int, ...]:
    match = re.match(r"zypper (\d+(?:\.\d+)*)", text.strip())
    return tuple(int(p) for p in match.group(1).split(".")) if match else (1, 0)


def parse_repos(found: Any) -> list[dict[str, Any]]:
    """``zypper --xmlout repos``: each repository's settings and URL (pure)."""
    if found.rc == _NO_REPOS:
        return []
    if found.rc == 127:
        raise ModuleError("Failed to find required executable zypper")
    if found.rc != 0:
        raise ModuleError(
            f'Failed to execute "zypper --quiet --non-interactive --xmlout '
            f'repos": {found.text.strip()}'
        )
    try:
        root = ET.fromstring(found.text.strip())
    except ET.ParseError as exc:
        raise ModuleError(f"zypper printed no readable XML: {exc}") from None
    repos = []
    for repo in root.iter("repo"):
        opts: dict[str, Any] = {key: repo.get(key, "") for key in _OPTS}
        url = repo.find("url")
        opts["url"] = url.text if url is not None and url.text else repo.get("metalink", "")
        repos.append(opts)
    return repos


def _expand(url: str, os_text: str) -> str:
    """$releasever and $basearch as rpm says them for the host's release package."""
    version, _, arch = os_text.strip().partition(" ")
    return url.replace("$releasever", version).replace("$basearch", arch)


def differs(real: dict[str, Any], wanted: dict[str, Any], os_text: str = "") -> bool:
    """Whether a repository's settings differ from those asked for (unset ones ignored)."""
    for key, value in wanted.items():
        if not value:
            continue
        old, new = str(value), str(real.get(key) or "")
        if key == "url":
            old, new = _expand(old, os_text).rstrip("/"), _expand(new, os_text).rstrip("/")
        if old != new:
            return True
    return False


def plan(
    args: dict[str, Any],
    data: dict[str, Any],
    repos: list[dict[str, Any]],
    version: tuple[int, ...],
    os_text: str = "",
) -> tuple[bool, list[str]]:
    """(changed, the commands to run): a refresh of a repository already in state is run
    but is no change, as in Ansible."""
    matching: list[dict[str, Any]] = []
    for key in ("alias", "url"):
        matching += [r for r in repos if data[key] and r[key] == data[key] and r not in matching]
    if len(matching) > 1 and not args["overwrite_multiple"]:
        raise ModuleError(
            f'More than one repo matched "{data["url"]}": "{matching}". Use '
            "overwrite_multiple to allow more than one repo to be overwritten"
        )
    short = data["alias"] or data["url"]
    refresh = _refresh(args["auto_import_keys"], short)
    if args["state"] == "absent":
        return bool(matching), [f"{_ZYPPER} removerepo {quote(short)}"] if matching else []
    if len(matching) == 1 and not differs(matching[0], data, os_text):
        return False, [refresh] if args["runrefresh"] else []
    removes = [f"{_ZYPPER} removerepo {quote(r['url'])}" for r in matching]
    add = [*removes, _addrepo(data, version)]
    return True, add + ([refresh] if args["runrefresh"] or args["auto_import_keys"] else [])


def _addrepo(data: dict[str, Any], version: tuple[int, ...]) -> str:
    words = ["addrepo", "--check"]
    if data["name"]:
        words += ["--name", data["name"]]
    if data["priority"] and version >= (1, 12, 25):
        words += ["--priority", str(data["priority"])]
    if data["enabled"] == "0":
        words.append("--disable")
    if version >= (1, 6, 2):
        words.append("--gpgcheck" if data["gpgcheck"] == "1" else "--no-gpgcheck")
    if data["autorefresh"] == "1":
        words.append("--refresh")
    words += [data["url"], data["alias"]]
    return f"{_ZYPPER} " + " ".join(quote(w) for w in words)


def _refresh(auto_import_keys: bool, short: str | None) -> str:
    keys = " --gpg-auto-import-keys" if auto_import_keys else ""
    only = f" -r {quote(short)}" if short else ""
    return f"{_ZYPPER}{keys} refresh --force{only}"


def _refresh_all(args: dict[str, Any], ctx: ModuleContext) -> Result:
    if not args["runrefresh"]:
        raise ModuleError("repo=* can only be used with the runrefresh option.")
    if not ctx.check:
        res = ctx.run(f"{_refresh(args['auto_import_keys'], None)} 2>&1")
        if res.rc != 0:
            raise ModuleError(f"Zypper failed with rc {res.rc}: {res.out.strip()}")
    return Result(values={"runrefresh": True})
