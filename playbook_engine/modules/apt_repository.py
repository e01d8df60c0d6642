"""apt_repository: a one-line apt source (``deb …``, ``deb-src …``, ``ppa:…``), present or not.

One command reads every one-line sources file where apt looks (``apt-config``: so
``APT_CONFIG`` in the task's environment is honoured); the decision is Ansible's (a
repository is the same when its normalised line is; a disabled copy is enabled rather than
added again; a removed line goes from every file, and an emptied file with it); one command
writes the changed files atomically and, with ``update_cache``, runs ``apt-get update``,
putting the files back as they were when that fails.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util import aptcmd, aptsources
from .util.aptsources import SourceLine, SourcesFile
from .util.debian import sections
from .util.state import Change, StateModule

_PPA_URI = "https://ppa.launchpadcontent.net"
_CODENAME = '. /etc/os-release 2>/dev/null; printf "%s\\n" "${UBUNTU_CODENAME:-$VERSION_CODENAME}"'


@dataclass
class Sources:
    main: str
    directory: str
    files: dict[str, SourcesFile]
    codename: str


@dataclass(frozen=True, slots=True)
class SourcesChange(Change):
    """The files to write (path, text, mode), to remove, and what restores the old ones."""

    writes: tuple[tuple[str, str, str], ...] = ()
    removes: tuple[str, ...] = ()
    restores: tuple[tuple[str, str, str], ...] = ()


@register("apt_repository")
class AptRepository(StateModule[Sources]):
    """Add or remove an apt repository line in the sources files."""

    args = {
        "repo": Arg("str", required=True, description="The source line, or `ppa:owner/name`."),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the repository is there.",
        ),
        "mode": Arg("mode", description="Mode of a file a line is added to (new: 0644)."),
        "update_cache": Arg(
            "bool",
            default=True,
            aliases=("update-cache",),
            description="Run `apt-get update` after a change.",
        ),
        "update_cache_retries": Arg("int", default=5, description="Attempts of the update."),
        "update_cache_retry_max_delay": Arg(
            "int", default=12, description="Longest wait between attempts (s)."
        ),
        "filename": Arg("str", description="File name in sources.list.d, without `.list`."),
        "codename": Arg("str", description="Release codename of a PPA (default: the host's)."),
        "install_python_apt": Arg(
            "bool", default=True, description="Accepted: pbe needs nothing on the host."
        ),
        "validate_certs": Arg("bool", default=True, description="Accepted and ignored."),
    }
    returns = {
        "repo": "the repo argument",
        "state": "the state argument",
        "sources_added": "files created",
        "sources_removed": "files removed",
    }

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        if not str(args["repo"]).strip():
            raise ModuleError("Please set argument 'repo' to a non-empty value")
        codename = f"\necho '@pbe@ codename'\n{_CODENAME}" if _is_ppa(args) else ""
        return f"{aptcmd.ENV}\n{aptsources.read_probe()}{codename}"

    def parse(self, args: dict[str, Any], res: CommandResult) -> Sources:
        main, directory, files = aptsources.parse_probe(res.out)
        if not main or res.rc != 0:
            raise ModuleError(f"cannot read the apt sources: {res.err.strip() or res.out}")
        codename = args["codename"] or sections(res.out).get("codename", "").strip()
        return Sources(main, directory, files, codename)

    def plan(self, args: dict[str, Any], sources: Sources) -> Change | None:
        source, default = _source(args, sources)
        files = copy.deepcopy(sources.files)
        before = {path: f.dump() for path, f in files.items()}
        appended = ""
        if args["state"] == "absent":
            for found in files.values():
                found.remove(source)
        elif not (_is_ppa(args) and _enabled(files, source)):
            enabled = [found.enable(source) for found in files.values()]
            if not any(enabled):
                appended = default
                files.setdefault(default, SourcesFile(default, [])).lines.append(
                    SourceLine(True, True, source)
                )
        after = {path: f.dump() for path, f in files.items() if f.lines}
        if after == before:
            return None
        return _change(args, sources, before, after, appended)

    def values(self, args: dict[str, Any], sources: Sources) -> dict[str, Any]:
        return {
            "repo": args["repo"],
            "state": args["state"],
            "sources_added": [],
            "sources_removed": [],
        }

    def failed(self, args: dict[str, Any], change: Change, res: CommandResult) -> str:
        return res.err.strip() or super().failed(args, change, res)

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, SourcesChange)
        steps = [aptsources.write_command(*w) for w in change.writes]
        steps += [f"rm -f -- {quote(path)}" for path in change.removes]
        command = " &&\n".join(steps)
        if not args["update_cache"]:
            return command
        restore = [aptsources.write_command(*w) for w in change.restores]
        restore += [f"rm -f -- {quote(p)}" for p in change.values["sources_added"]]
        waits = " ".join(
            str(d)
            for d in aptcmd.update_delays(
                args["update_cache_retries"], args["update_cache_retry_max_delay"]
            )
        )
        return f"""{aptcmd.ENV}
{command} || exit 1
for _d in {waits} 0; do _o=$(apt-get -q update 2>&1) && exit 0
  [ "$_d" = 0 ] || sleep "$_d"; done
{"; ".join(restore) or ":"}
printf 'Failed to update apt cache after {int(args["update_cache_retries"])} retries: %s\\n' \\
  "$(printf '%s\\n' "$_o" | grep '^E:' | head -2)" >&2
exit 1"""


def _is_ppa(args: dict[str, Any]) -> bool:
    return str(args["repo"]).strip().startswith("ppa:")


def _enabled(files: dict[str, SourcesFile], source: str) -> bool:
    return any(
        line.valid and line.enabled and line.source == source
        for found in files.values()
        for line in found.lines
    )


def _source(args: dict[str, Any], sources: Sources) -> tuple[str, str]:
    """The normalised source line and the file a new one goes to."""
    repo = str(args["repo"]).strip()
    if repo.startswith("ppa:"):
        owner, _, name = repo[4:].partition("/")
        if not sources.codename:
            raise ModuleError("cannot tell the release codename for the PPA: set `codename`")
        line = f"deb {_PPA_URI}/{owner}/{name or 'ppa'}/ubuntu {sources.codename} main"
        hint = f"{repo}_{sources.codename}"
        return line, aptsources.suggest_filename(hint, sources.directory, args["filename"])
    parsed = aptsources.parse_line(repo)
    if not parsed.valid or not parsed.enabled:
        raise ModuleError(f"Invalid repository string: {repo.lstrip('#')}")
    default = aptsources.suggest_filename(parsed.source, sources.directory, args["filename"])
    return parsed.source, default


def _change(
    args: dict[str, Any],
    sources: Sources,
    before: dict[str, str],
    after: dict[str, str],
    appended: str,
) -> SourcesChange:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in after if before.get(p) != after[p])
    writes = tuple(
        (_target(sources, p), after[p], _mode(args, sources, p, appended)) for p in changed
    )
    restores = tuple(
        (_target(sources, p), before[p], sources.files[p].mode or "0644")
        for p in sorted(set(before) & (set(changed) | set(removed)))
    )
    diff = [
        {
            "before": before.get(p, ""),
            "after": after.get(p, ""),
            "before_header": p if p in before else "/dev/null",
            "after_header": p if p in after else "/dev/null",
        }
        for p in sorted({*changed, *removed})
    ]
    values = {
        "repo": args["repo"],
        "state": args["state"],
        "sources_added": added,
        "sources_removed": removed,
    }
    return SourcesChange(
        "write",
        None,
        values,
        diff=diff,
        writes=writes,
        removes=tuple(_target(sources, p) for p in removed),
        restores=restores,
    )


def _target(sources: Sources, path: str) -> str:
    found = sources.files.get(path)
    return found.target if found and found.target else path


def _mode(args: dict[str, Any], sources: Sources, path: str, appended: str) -> str:
    """A file a line was added to takes ``mode``; a new one 0644; others keep theirs."""
    if path == appended and args["mode"] is not None:
        return str(args["mode"])
    return "keep" if path in sources.files else "0644"
