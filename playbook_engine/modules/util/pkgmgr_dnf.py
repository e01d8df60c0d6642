"""The dnf backend (also ``yum``, ``dnf5``): rpm says what is installed, dnf what would change.

One probe command asks ``rpm -q`` for every requested package. When all are installed and
the state is ``present`` that is the whole answer: no repository is read. Otherwise the
same command asks dnf itself for a dry run (``--assumeno``) of what the real run will do,
so the plan (and check mode) is dnf's own resolution: the packages it would install,
upgrade, downgrade or remove, or its refusal (``No match for argument``). The apply
command runs the same dnf command with ``-y``. Reading dnf's output is in dnfout.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ...templating.values import Unpredictable
from ...transport.base import CommandResult
from ...transport.shell import quote, words
from ..base import Arg, ModuleContext
from ..result import Result
from .dnfout import (
    FILTERED,
    MARK,
    NO_GROUP,
    NO_MATCH,
    DnfState,
    DryRun,
    Row,
    SpecState,
    complaint,
    kind_of,
    name_guess,
    parse_listing,
    parse_probe,
    parse_transaction,
)
from .pkgbase import PackageFailure, PackageModule, PackagePrediction, names_of
from .rpmdb import (
    FILE_QF,
    INSTALLED_QF,
    OLD_QF,
    Nevra,
    evr_compare,
    rpm_command,
)
from .state import Change

__all__ = ["DNF_ARGS", "Backend", "DnfBackend"]

_STATES = ("absent", "present", "installed", "removed", "latest")
DNF_ARGS: dict[str, Arg] = {
    "name": Arg(
        "list",
        elements="str",
        default=[],
        aliases=("pkg",),
        description="Package specs: a name, name-1.2, 'name >= 1.2', a file it "
        "provides, @group, a local .rpm or its URL; '*' with latest "
        "upgrades everything.",
    ),
    "state": Arg(
        "str",
        choices=_STATES,
        description="present/installed, latest, absent/removed; default present "
        "(absent with autoremove alone).",
    ),
    "list": Arg(
        "str",
        description="installed, updates, available, repos, or a package "
        "spec: list instead of changing anything.",
    ),
    "allow_downgrade": Arg(
        "bool",
        default=False,
        description="Install a requested version older than the one installed.",
    ),
    "allowerasing": Arg(
        "bool",
        default=False,
        description="Let dnf remove installed packages to resolve dependencies.",
    ),
    "autoremove": Arg(
        "bool", default=False, description="Remove leaf dependencies nothing needs any more."
    ),
    "best": Arg("bool", description="Insist on the highest version (or settle)."),
    "nobest": Arg("bool", description="The opposite of best."),
    "bugfix": Arg("bool", default=False, description="With latest: bugfix updates only."),
    "security": Arg("bool", default=False, description="With latest: security updates only."),
    "cacheonly": Arg("bool", default=False, description="Use only the metadata cache."),
    "conf_file": Arg("str", description="dnf configuration file to use."),
    "disable_excludes": Arg("str", description="all, main or a repo id."),
    "disable_gpg_check": Arg("bool", default=False, description="Do not check package signatures."),
    "disable_plugin": Arg("list", elements="str", default=[], description="Plugins to disable."),
    "enable_plugin": Arg("list", elements="str", default=[], description="Plugins to enable."),
    "disablerepo": Arg(
        "list", elements="str", default=[], description="Repo ids to disable for this transaction."
    ),
    "enablerepo": Arg(
        "list", elements="str", default=[], description="Repo ids to enable for this transaction."
    ),
    "exclude": Arg(
        "list",
        elements="str",
        default=[],
        description="Packages to leave out of installs and upgrades.",
    ),
    "download_only": Arg("bool", default=False, description="Download, do not install."),
    "download_dir": Arg("str", description="Where download_only puts the packages."),
    "install_weak_deps": Arg("bool", default=True, description="Install weak dependencies too."),
    "installroot": Arg("str", default="/", description="Install into another root."),
    "lock_timeout": Arg(
        "int", default=30, description="Accepted; dnf waits for its lock by itself."
    ),
    "releasever": Arg("str", description="Release version for the repositories."),
    "skip_broken": Arg(
        "bool", default=False, description="Skip packages with broken dependencies."
    ),
    "sslverify": Arg("bool", default=True, description="Verify repositories' TLS certificates."),
    "update_cache": Arg(
        "bool",
        default=False,
        aliases=("expire-cache",),
        description="Refresh the repository metadata first.",
    ),
    "update_only": Arg(
        "bool", default=False, description="Upgrade installed packages only, install nothing new."
    ),
    "use_backend": Arg(
        "str",
        default="auto",
        choices=("auto", "dnf", "yum", "yum4", "dnf4", "dnf5"),
        description="dnf5 drives dnf5; the others drive dnf.",
    ),
    "validate_certs": Arg("bool", default=True, description="Verify TLS for package URLs."),
}

CHECK_MSG = "Check mode: No changes made, but would have if not in check mode"
# -- the backend --------------------------------------------------------------------------


class DnfBackend(PackageModule[DnfState]):
    """Install, upgrade or remove rpm packages and groups with dnf."""

    managers: ClassVar[tuple[str, ...]] = ("dnf",)
    binary: ClassVar[str] = "dnf"
    args = DNF_ARGS
    check_msg = CHECK_MSG
    returns = {
        "msg": "Nothing to do, or what failed",
        "rc": "0, or 1 on failure",
        "results": "Installed: NEVRA / Removed: NEVRA lines, or list's packages",
        "failures": "on failure: what could not be done",
    }

    # -- arguments -----------------------------------------------------------------------

    def tool(self, args: dict[str, Any]) -> str:
        return "dnf5" if args.get("use_backend") == "dnf5" else self.binary

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        """As Ansible's dnf action: ``use_backend: auto`` (or ``yum``, its alias) on a host
        whose ``pkg_mgr`` fact is dnf5 drives dnf5."""
        if args.get("use_backend") in ("auto", "yum") and _pkg_mgr(ctx) == "dnf5":
            args = {**args, "use_backend": "dnf5"}
        return super().run(args, ctx)

    def wanted(self, args: dict[str, Any]) -> str:
        """present, latest or absent; autoremove alone means absent."""
        state: str | None = args.get("state")
        if state is None:
            return "absent" if args["autoremove"] and not names_of(args) else "present"
        return {"installed": "present", "removed": "absent"}.get(state, state)

    def validate(self, args: dict[str, Any]) -> None:
        specs = names_of(args)
        if self.wanted(args) == "absent" and any(kind_of(s) in ("url", "file") for s in specs):
            raise PackageFailure(
                "Cannot remove paths -- please specify package name.", results=[], rc=1
            )
        if not specs and not (args["autoremove"] or args["update_cache"] or args["list"]):
            raise PackageFailure(
                "name is required when state is present, latest or absent", results=[], rc=1
            )

    def options(self, args: dict[str, Any]) -> list[str]:
        """dnf's options for the arguments, for the dry runs and the real run alike."""
        opts = [f"--installroot={args['installroot']}"] if args["installroot"] != "/" else []
        pairs = (
            ("conf_file", "--config="),
            ("releasever", "--releasever="),
            ("disable_excludes", "--disableexcludes="),
            ("download_dir", "--downloaddir="),
        )
        opts += [f"{flag}{args[key]}" for key, flag in pairs if args.get(key)]
        lists = (
            ("disablerepo", "--disablerepo="),
            ("enablerepo", "--enablerepo="),
            ("exclude", "--exclude="),
            ("disable_plugin", "--disableplugin="),
            ("enable_plugin", "--enableplugin="),
        )
        opts += [f"{flag}{v}" for key, flag in lists for v in args.get(key) or []]
        flags = (
            ("disable_gpg_check", "--nogpgcheck"),
            ("skip_broken", "--skip-broken"),
            ("allowerasing", "--allowerasing"),
            ("cacheonly", "-C"),
            ("bugfix", "--bugfix"),
            ("security", "--security"),
            ("download_only", "--downloadonly"),
        )
        opts += [flag for key, flag in flags if args.get(key)]
        return opts + self.settings(args)

    def settings(self, args: dict[str, Any]) -> list[str]:
        best = args.get("best")
        if best is None and args.get("nobest") is not None:
            best = not args["nobest"]
        opts = [] if best is None else [f"--setopt=best={best}"]
        if not args["install_weak_deps"]:
            opts.append("--setopt=install_weak_deps=False")
        if not (args["sslverify"] and args["validate_certs"]):
            opts.append("--setopt=sslverify=False")
        return opts

    def dnf(self, args: dict[str, Any], command: str, specs: list[str], *, dry: bool) -> str:
        options = self.options(args)
        if command == "remove":  # as Ansible: a removal takes its dependencies only when asked
            options.append(f"--setopt=clean_requirements_on_remove={args['autoremove']}")
        opts = " ".join(quote(o) for o in options)
        answer = "--assumeno" if dry else "-y"
        tail = f"-- {' '.join(quote(s) for s in specs)}" if specs else ""
        return words(self.tool(args), answer, command, opts, tail)

    # -- probe ---------------------------------------------------------------------------

    def probe(self, args: dict[str, Any], ctx: Any) -> str:
        tool = self.tool(args)
        head = (
            f"export LC_ALL=C; command -v {tool} >/dev/null 2>&1 || "
            f"{{ echo '{tool} was not found on the host' >&2; exit 127; }}; "
        )
        if args["update_cache"]:
            head += (
                _dry("makecache", f"{self.dnf(args, 'makecache', [], dry=True)} --refresh") + "; "
            )
        if args["list"]:
            return head + self.list_probe(args)
        return head + self.state_probe(args)

    def state_probe(self, args: dict[str, Any]) -> str:
        specs = names_of(args)
        rpm = rpm_command(args["installroot"])
        lines = [
            f'q() {{ {rpm} -q --qf {quote(INSTALLED_QF)} "$@" 2>/dev/null; }}',
            f'o() {{ {rpm} -q --qf {quote(OLD_QF)} "$@" 2>/dev/null; }}',
            "m=0",
        ]
        lines += [_spec_probe(i, spec, rpm) for i, spec in enumerate(specs)]
        lines += self.dry_runs(args, specs)
        return "; ".join(lines)

    def dry_runs(self, args: dict[str, Any], specs: list[str]) -> list[str]:
        """The dry runs, in sh: only when rpm could not tell (``m=1``), or to upgrade."""
        wanted = self.wanted(args)
        if not specs and not args["autoremove"]:
            return []
        steps: list[str] = []
        if wanted == "absent":
            if specs:
                steps.append(
                    _when_unsure(_dry("remove", self.dnf(args, "remove", specs, dry=True)))
                )
            if args["autoremove"]:
                steps.append(_dry("autoremove", self.dnf(args, "autoremove", [], dry=True)))
            return steps
        if specs == ["*"] and wanted == "latest":
            return [_dry("upgrade", self.dnf(args, "upgrade", [], dry=True))]
        if not args["update_only"]:
            steps.append(_when_unsure(_dry("install", self.dnf(args, "install", specs, dry=True))))
        if wanted == "latest" or args["update_only"]:
            steps.append(_dry("upgrade", self.dnf(args, "upgrade", specs, dry=True)))
        return steps

    def list_probe(self, args: dict[str, Any]) -> str:
        what = args["list"]
        qf = quote(r"%{name}|%{epoch}|%{version}|%{release}|%{arch}|%{repoid}\n")
        rpm = rpm_command(args["installroot"])
        if what == "installed":
            return f"{rpm} -qa --qf {quote(INSTALLED_QF)}"
        opts = " ".join(quote(o) for o in self.options(args))
        if what in ("repos", "repositories"):
            return f"{self.tool(args)} -q repolist --enabled {opts}"
        if what in ("updates", "upgrades", "available"):
            upgrades = " --upgrades" if what != "available" else ""
            return f"{self.tool(args)} -q repoquery{upgrades} --qf {qf} {opts}"
        return (
            f"{rpm} -q --qf {quote(INSTALLED_QF)} -- {quote(what)}; "
            f"{self.tool(args)} -q repoquery --qf {qf} {opts} -- {quote(what)}"
        )

    # -- parse and plan ------------------------------------------------------------------

    def parse(self, args: dict[str, Any], res: CommandResult) -> DnfState:
        if res.rc == 127 and "was not found" in res.err:
            raise PackageFailure(res.err.strip(), results=[], rc=1)
        if args["list"]:
            return DnfState([], listing=parse_listing(args["list"], res))
        state = parse_probe(names_of(args), res.out)
        cache = state.runs.pop("makecache", None)
        if cache is not None and cache.rc != 0:
            raise PackageFailure(complaint(cache) or "Failed to update the cache", results=[], rc=1)
        return state

    def in_state_msg(self, args: dict[str, Any], state: DnfState) -> str | None:
        if state.listing is not None:
            return ""
        return "Cache updated" if not names_of(args) and not args["autoremove"] else "Nothing to do"

    def values(self, args: dict[str, Any], state: DnfState) -> dict[str, Any]:
        if state.listing is not None:
            return {"results": state.listing}
        if self.wanted(args) == "absent":
            return {
                "results": [
                    f"No match for argument: {s.spec}" for s in state.specs if not s.installed
                ],
                "rc": 0,
            }
        return {"results": _file_results(state.specs), "rc": 0}

    def plan(self, args: dict[str, Any], state: DnfState) -> Change | None:
        if state.listing is not None:
            return None
        if self.wanted(args) == "absent":
            return self.plan_remove(args, state)
        return self.plan_install(args, state)

    def plan_install(self, args: dict[str, Any], state: DnfState) -> Change | None:
        runs = [state.runs[c] for c in ("install", "upgrade") if c in state.runs]
        _fail_on_errors(runs)
        rows = _unique([row for run in runs for row in run.rows])
        dropped: set[str] = set()
        if not args["allow_downgrade"]:
            rows, dropped = _without_downgrades(rows, state.specs)
        steps = self.install_steps(args, [s for s in state.specs if s.spec not in dropped])
        if not rows or not steps:
            return None
        return Steps(
            "install",
            "",
            {"results": _results(rows, state.specs, args), "rc": 0},
            diff=_diff(rows),
            steps=steps,
            rows=tuple(rows),
        )

    def install_steps(
        self, args: dict[str, Any], specs: list[SpecState]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """dnf install for what rpm did not find; dnf upgrade for what it did (latest)."""
        latest = self.wanted(args) == "latest" or args["update_only"]
        if latest and [s.spec for s in specs] == ["*"]:
            return (("upgrade", ()),)
        install = () if args["update_only"] else tuple(s.spec for s in specs if not s.certain)
        upgrade = tuple(s.spec for s in specs if s.certain or s.kind == "glob") if latest else ()
        return tuple(
            (cmd, specs) for cmd, specs in (("install", install), ("upgrade", upgrade)) if specs
        )

    def plan_remove(self, args: dict[str, Any], state: DnfState) -> Change | None:
        runs = [state.runs[c] for c in ("remove", "autoremove") if c in state.runs]
        _fail_on_errors(runs, strict=False)
        rows = [row for run in runs for row in run.rows]
        if "remove" not in state.runs:
            rows += [
                Row("Removing", p.name, p.arch, p.evr) for s in state.specs for p in s.installed
            ]
        rows = _unique(rows)
        gone = tuple(s.spec for s in state.specs if s.installed or not s.certain_kind)
        steps: tuple[tuple[str, tuple[str, ...]], ...] = (("remove", gone),) if gone else ()
        if args["autoremove"]:
            steps += (("autoremove", ()),)
        if not rows:
            return None
        return Steps(
            "remove",
            "",
            {"results": [f"Removed: {r.nevra}" for r in rows], "rc": 0},
            diff=_diff(rows),
            steps=steps,
            rows=tuple(rows),
        )

    # -- check runs: what earlier tasks would have done ----------------------------------

    def database(self, args: dict[str, Any]) -> str:
        return f"rpm:{args['installroot']}"

    def remember(self, args: dict[str, Any], change: Change, prediction: PackagePrediction) -> None:
        assert isinstance(change, Steps)
        added = {row.name: row for row in change.rows if not row.removes}
        gone = [row.name for row in change.rows if row.removes and row.name not in added]
        prediction.record(self.database(args), added.items(), gone)

    def foresee(self, args: dict[str, Any], state: DnfState, known: dict[str, Any]) -> DnfState:
        """Apply the packages earlier tasks would have changed: to what rpm found, and to
        dnf's dry runs (rows for packages they would have installed already go). What
        dnf would resolve differently on that state (autoremove, removing groups or
        globs, reinstalling what an earlier task would remove) is not guessed."""
        if not known or state.listing is not None:
            return state
        if {"autoremove", "remove"} & set(state.runs):
            raise Unpredictable("the packages earlier tasks would have installed or removed")
        for spec in state.specs:
            _foresee_spec(spec, known, self.wanted(args))
        latest = self.wanted(args) == "latest"
        pinned = {_owner(s) for s in state.specs if latest or _pinned(s)}
        for run in state.runs.values():
            run.rows = [_against(r, known) for r in run.rows if not _done(r, known, pinned)]
        return state

    # -- apply ---------------------------------------------------------------------------

    def apply(self, args: dict[str, Any], change: Change, ctx: Any) -> str:
        assert isinstance(change, Steps)
        commands = [self.dnf(args, cmd, list(specs), dry=False) for cmd, specs in change.steps]
        return " && ".join(["export LC_ALL=C", *commands])

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        if res.rc != 0:
            words = _apply_words(change.op, res)
            raise PackageFailure(
                words or f"dnf failed with exit status {res.rc}",
                failures=[words] if words else [],
                results=[],
                rc=res.rc,
            )
        return change.values


def _pkg_mgr(ctx: ModuleContext) -> str | None:
    """The host's ``pkg_mgr`` fact, when facts were gathered."""
    for name in ("ansible_pkg_mgr", "ansible_facts"):
        try:
            value = ctx.render(ctx.variable(name))
        except KeyError:
            continue
        if isinstance(value, Mapping):
            value = value.get("pkg_mgr")
        if value:
            return str(value)
    return None


def _apply_words(op: str, res: CommandResult) -> str:
    """Why the real transaction failed: rpm's ``error:`` lines and dnf's complaints (the
    transaction table and progress are left out)."""
    errors = [
        line.strip() for line in res.out.splitlines() if line.strip().lower().startswith("error")
    ]
    said = complaint(parse_transaction(op, res.rc, res.err.splitlines()))
    if errors or said:
        return "\n".join(errors + ([said] if said else []))
    return complaint(parse_transaction(op, res.rc, res.out.splitlines()))


@dataclass(frozen=True, slots=True)
class Steps(Change):
    """A change and the dnf commands that make it: (command, specs) in order."""

    steps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    rows: tuple[Row, ...] = ()


def _foresee_spec(spec: SpecState, known: dict[str, Any], wanted: str) -> None:
    if spec.kind != "name" or spec.spec not in known:
        return
    row = known[spec.spec]
    if row is None:
        if spec.installed and wanted != "absent":
            raise Unpredictable(f"{spec.spec}, which an earlier task would have removed")
        spec.installed = []
        return
    spec.installed = [_nevra(row)]


def _pinned(spec: SpecState) -> bool:
    """The spec asks for a version, not just the package."""
    if spec.kind in ("versioned", "file", "url"):
        return True
    return spec.kind == "name" and name_guess(spec.spec) != spec.spec


def _done(row: Row, known: dict[str, Any], pinned: set[str]) -> bool:
    """The row is what an earlier task of the check run would have done already."""
    if row.marker or row.name not in known:
        return False
    before = known[row.name]
    if row.removes:
        return before is None
    if before is None:
        return False
    return bool(before.evr == row.evr or row.name not in pinned)


def _against(row: Row, known: dict[str, Any]) -> Row:
    """An install of a package an earlier task would have installed in another version is
    an upgrade or a downgrade of it (the real run will see it so)."""
    before = known.get(row.name)
    if row.removes or row.marker or before is None or not row.action.startswith("Installing"):
        return row
    verb = "Upgrading" if evr_compare(row.evr, before.evr) > 0 else "Downgrading"
    return replace(row, action=verb)


def _nevra(row: Row) -> Nevra:
    epoch, _, rest = row.evr.rpartition(":")
    version, _, release = rest.partition("-")
    return Nevra(row.name, int(epoch) if epoch.isdigit() else 0, version, release, row.arch)


def _spec_probe(index: int, spec: str, rpm: str) -> str:
    """sh that prints what rpm knows of one spec, and sets m=1 when rpm cannot decide.
    ``o`` lists the installed versions of the package a versioned spec names (tagged O),
    which an upgrade or downgrade would replace."""
    kind, s = kind_of(spec), quote(spec)
    head = f"echo '{MARK} spec {index}'; "
    if kind == "name":
        guess = name_guess(spec)
        old = f"; o -- {quote(guess)}" if guess != spec else ""
        return head + f"q -- {s} || q --whatprovides -- {s} || {{ m=1{old}; }}"
    if kind == "path":
        return head + f"q --whatprovides -- {s} || m=1"
    if kind == "glob":
        return head + f"{rpm} -qa --qf {quote(INSTALLED_QF)} -- {s}; m=1"
    if kind == "versioned":
        return head + f"o -- {quote(spec.split()[0])}; m=1"
    if kind == "file":
        return head + (
            f"x=$({rpm} -qp --qf {quote(FILE_QF)} -- {s} 2>/dev/null) && "
            "printf '%s\\n' \"$x\" && { o -- \"$(printf '%s' \"$x\" | cut -d'|' -f2)\"; "
            "q -- \"$(printf '%s' \"$x\" | cut -d'|' -f7)\"; } || m=1"
        )
    return head + "m=1"


def _dry(name: str, command: str) -> str:
    return f"echo '{MARK} dry {name}'; {command} 2>&1; echo \"{MARK} rc $?\""


def _when_unsure(step: str) -> str:
    return f"if [ $m = 1 ]; then {step}; fi"


def _fail_on_errors(runs: list[DryRun], strict: bool = True) -> None:
    """Raise dnf's refusal the way Ansible reports it."""
    failures: list[str] = []
    for run in runs:
        for line in run.lines:
            if strict and run.command == "install" and (m := NO_MATCH.match(line.strip())):
                failures.append(f"No package {m.group(1)} available.")
            elif m := NO_GROUP.match(line.strip()):
                failures.append(f"No group {m.group(1)} available.")
            elif strict and (m := FILTERED.match(line.strip())):
                failures.append(f"{m.group(1)} {line.strip()}")
        if run.rc != 0 and not run.aborted and not failures and _real_error(run):
            raise PackageFailure(complaint(run), failures=[complaint(run)], results=[], rc=1)
    if failures:
        raise PackageFailure(
            "Failed to install some of the specified packages", failures=failures, results=[], rc=1
        )


def _real_error(run: DryRun) -> bool:
    """An upgrade of packages that are not installed is nothing to do, not an error."""
    words = complaint(run)
    return bool(words) and not (
        run.command in ("upgrade", "remove")
        and all(
            NO_MATCH.match(w) or "No packages marked" in w or "available, but not installed" in w
            for w in words.splitlines()
        )
    )


def _unique(rows: list[Row]) -> list[Row]:
    """The package rows, each once. A group or module stream row alone is no change: dnf
    lists an installed group again when asked to install it, and Ansible says nothing to
    do."""
    seen: dict[tuple[str, bool], Row] = {}
    for row in rows:
        if not row.marker:
            seen.setdefault((row.nevra, row.removes), row)
    return list(seen.values())


def _without_downgrades(rows: list[Row], specs: list[SpecState]) -> tuple[list[Row], set[str]]:
    """Ansible keeps a newer installed version unless allow_downgrade: the specs that would
    downgrade are dropped, and so are their rows."""
    down = {row.name for row in rows if row.action.startswith("Downgrading")}
    dropped = {s.spec for s in specs if s.kind in ("name", "file", "url") and _owner(s) in down}
    kept = {_owner(s) for s in specs if s.spec not in dropped}
    return [r for r in rows if r.name not in down or r.name in kept], dropped


def _owner(spec: SpecState) -> str:
    """The package name a spec names (best effort: name-version specs, files)."""
    if spec.package is not None:
        return spec.package.name
    found = spec.installed or spec.old
    return found[0].name if found else name_guess(spec.spec)


def _results(rows: list[Row], specs: list[SpecState], args: dict[str, Any]) -> list[str]:
    verb = "Downloaded" if args["download_only"] else "Installed"
    added = [f"{verb}: {r.nevra}" for r in rows if not r.removes]
    old = {p.name: p for s in specs for p in s.installed + s.old}
    listed = {r.name for r in rows if r.removes}  # dnf5 lists what an upgrade replaces
    replaced = [
        f"Removed: {old[r.name]}"
        for r in rows
        if r.action.startswith(("Upgrading", "Downgrading"))
        and r.name in old
        and r.name not in listed
    ]
    removed = [f"Removed: {r.nevra}" for r in rows if r.removes]
    return _file_results(specs) + added + removed + replaced


def _file_results(specs: list[SpecState]) -> list[str]:
    """Ansible names every local or remote .rpm and every group it was given, changed or
    not."""
    return [
        f"Installed {s.spec}" if s.kind != "group" else f"Group {s.spec[1:]} installed."
        for s in specs
        if s.kind in ("file", "url", "group")
    ]


def _diff(rows: list[Row]) -> dict[str, Any]:
    return {"before": "", "after": "\n".join(f"{r.action} {r.nevra}" for r in rows) + "\n"}


class Backend(DnfBackend):
    """The backend ``package`` uses where the ``pkg_mgr`` fact is ``dnf`` (util/pkgmgr.py
    finds it by this file's name); the ``dnf`` and ``yum`` modules are this class."""
