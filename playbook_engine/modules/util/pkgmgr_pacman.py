"""The pacman backend (``community.general.pacman``, and ``package`` on Arch hosts).

One probe command reads what is installed (``pacman -Q``) and asks pacman itself what the
real command would do: ``--print`` makes ``-S``, ``-U``, ``-R`` and ``-Su`` list the
packages of the transaction (dependencies and group members included) without running it.
A real run with ``update_cache`` refreshes the sync databases inside that same command
first (and compares their checksums, for ``cache_updated``); check mode cannot know what
a refresh would bring, so it reports such a task as unpredictable. One more command
applies the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...templating.values import Unpredictable
from ...transport.base import CommandResult
from ...transport.shell import quote
from ..base import Arg, ModuleContext
from ..result import Result
from .pkgbase import PackageFailure, PackageModule, PackagePrediction, names_of
from .state import Change

__all__ = ["Backend", "PACMAN_ARGS", "PacState"]

PACMAN_ARGS: dict[str, Arg] = {
    "name": Arg(
        "list",
        elements="str",
        aliases=("package", "pkg"),
        description="Packages, groups, or package files/URLs to install or remove.",
    ),
    "state": Arg(
        "str",
        default="present",
        choices=("absent", "installed", "latest", "present", "removed"),
        description="present/installed, latest, absent/removed.",
    ),
    "force": Arg(
        "bool",
        default=False,
        description="Removal: --nodeps --nodeps; with update_cache: --refresh --refresh.",
    ),
    "remove_nosave": Arg("bool", default=False, description="Removal: --nosave."),
    "executable": Arg("str", default="pacman", description="pacman or a compatible helper."),
    "extra_args": Arg("str", default="", description="More options for the -S/-U/-R command."),
    "update_cache": Arg("bool", description="Refresh the package databases (pacman -Sy)."),
    "update_cache_extra_args": Arg("str", default="", description="More options for -Sy."),
    "upgrade": Arg("bool", description="Upgrade the whole system (pacman -Su); not with name."),
    "upgrade_extra_args": Arg("str", default="", description="More options for -Su."),
    "reason": Arg(
        "str", choices=("dependency", "explicit"), description="The install reason to set."
    ),
    "reason_for": Arg(
        "str",
        default="new",
        choices=("all", "new"),
        description="Set the reason for all named packages, or the new ones.",
    ),
    "root": Arg("path", description="Another installation root (--root)."),
    "config": Arg("path", description="Another pacman.conf (--config)."),
    "cachedir": Arg("path", description="Another package cache (--cachedir; with root)."),
}

_MARK = "::pbe"
_ROW = re.compile(r"(\S+) (\S+)")


@dataclass
class PacState:
    installed: dict[str, str]  # name -> version
    explicit: set[str] = field(default_factory=set)
    rows: list[tuple[str, str]] = field(default_factory=list)  # the dry run's packages
    cache: bool | None = None  # cache_updated (None: not asked)


@dataclass(frozen=True, slots=True)
class PacChange(Change):
    rows: tuple[tuple[str, str], ...] = ()
    reasons: tuple[str, ...] = ()  # named packages whose reason must be set


def is_file(spec: str) -> bool:
    return "://" in spec or ".pkg.tar" in spec


class Backend(PackageModule[PacState]):
    """Install, upgrade or remove packages with pacman."""

    managers: ClassVar[tuple[str, ...]] = ("pacman",)
    args = PACMAN_ARGS
    returns = {
        "packages": "the packages changed",
        "cache_updated": "with update_cache: whether the databases changed",
        "msg": "what was done",
    }

    def base(self, args: dict[str, Any]) -> str:
        opts = [quote(args["executable"])]
        if args.get("config"):
            opts.append(f"--config {quote(args['config'])}")
        if args.get("root"):
            opts.append(f"--root {quote(args['root'])}")
            if args.get("cachedir"):
                opts.append(f"--cachedir {quote(args['cachedir'])}")
        return " ".join(opts)

    def wanted(self, args: dict[str, Any]) -> str:
        state = str(args["state"])
        return {"installed": "present", "removed": "absent"}.get(state, state)

    def validate(self, args: dict[str, Any]) -> None:
        if names_of(args) and args.get("upgrade"):
            raise PackageFailure("parameters are mutually exclusive: name|upgrade")
        if not (names_of(args) or args.get("upgrade") or args.get("update_cache")):
            raise PackageFailure("one of the following is required: name, upgrade, update_cache")

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        """Check mode words its change as Ansible's pacman does; what a refresh of the
        databases (update_cache) would bring, it cannot know."""
        if ctx.check and args.get("update_cache"):
            raise Unpredictable("the package databases update_cache would download")
        result = super().run(args, ctx)
        if not ctx.check or result.failed or not result.changed or not result.msg:
            return result
        verb, count = result.msg.split()[0].lower(), len(result.values.get("packages", []))
        msg = f"Would have {verb} {count} packages" if count else result.msg
        return Result(changed=True, msg=msg, values=result.values, diff=result.diff)

    # -- probe and parse -----------------------------------------------------------------

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        pac = self.base(args)
        lines = [
            "export LC_ALL=C",
            f"command -v {quote(args['executable'])} >/dev/null 2>&1 || {{ echo "
            f"'{args['executable']} was not found on the host' >&2; exit 127; }}",
        ]
        if args.get("update_cache") and not ctx.check:
            lines.append(self._refresh(args, pac))
        lines += [
            f"echo '{_MARK} installed'",
            f"{pac} -Q 2>/dev/null",
            f"echo '{_MARK} explicit'",
            f"{pac} -Qeq 2>/dev/null",
        ]
        dry = self.dry_run(args, pac)
        if dry:
            lines += [f"echo '{_MARK} dry'", f"{dry} 2>&1", f'echo "{_MARK} rc $?"']
        return "; ".join(lines) + "; true"

    def _refresh(self, args: dict[str, Any], pac: str) -> str:
        db = f"$({pac} -v 2>/dev/null | sed -n 's/^DB Path *: //p')sync"
        extra = args["update_cache_extra_args"] + (" --refresh" if args["force"] else "")
        return (
            f'd={db}; a=$(cat "$d"/*.db 2>/dev/null | cksum); '
            f"echo '{_MARK} sync'; {pac} -Sy --noconfirm {extra} 2>&1; "
            f'echo "{_MARK} rc $?"; b=$(cat "$d"/*.db 2>/dev/null | cksum); '
            f'[ "$a" = "$b" ]; echo "{_MARK} same $?"'
        )

    def dry_run(self, args: dict[str, Any], pac: str) -> str:
        fmt = "--print --print-format '%n %v'"
        names = names_of(args)
        if args.get("upgrade"):
            return f"{pac} -Su {fmt} {args['upgrade_extra_args']}"
        if not names:
            return ""
        if self.wanted(args) == "absent":
            force = " --nodeps --nodeps" if args["force"] else ""
            return (
                _installed_only(pac, names)
                + f'[ $# = 0 ] || {pac} -R {fmt}{force} {args["extra_args"]} -- "$@"'
            )
        files = [n for n in names if is_file(n)]
        if files:
            return f"{pac} -U {fmt} --needed {args['extra_args']} -- {_words(files)}"
        if self.wanted(args) == "latest":
            return f"{pac} -S {fmt} --needed {args['extra_args']} -- {_words(names)}"
        return (
            _missing_only(pac, names)
            + f'[ $# = 0 ] || {pac} -S {fmt} --needed {args["extra_args"]} -- "$@"'
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> PacState:
        if res.rc == 127 and "was not found" in res.err:
            raise PackageFailure(res.err.strip())
        parts = _sections(res.out)
        if "sync" in parts and _rc(parts["sync"]) != 0:
            raise PackageFailure(
                "Failed to update package db", stdout=_text(parts["sync"]), rc=_rc(parts["sync"])
            )
        installed = dict(_rows(parts.get("installed", [])))
        state = PacState(installed, set(parts.get("explicit", [])))
        if "sync" in parts:
            state.cache = _rc(parts.get("same", ["1"])) != 0
        if "dry" in parts:
            lines = parts["dry"]
            if _rc(lines) != 0:
                raise PackageFailure(_dry_failure(args, lines), stdout=_text(lines), rc=_rc(lines))
            state.rows = _rows(lines[:-1])
        return state

    # -- plan and apply ------------------------------------------------------------------

    def plan(self, args: dict[str, Any], state: PacState) -> Change | None:
        reasons = self._reasons(args, state)
        if not state.rows and not reasons:
            return None
        absent = self.wanted(args) == "absent"
        verb = "upgraded" if args.get("upgrade") else ("removed" if absent else "installed")
        shown = [f"{n}-{v}" for n, v in state.rows]
        packages = shown if absent else [n for n, _ in state.rows]
        diff = {
            "before": "\n".join(shown) + "\n" if absent else "",
            "after": "" if absent else "\n".join(shown) + "\n",
        }
        msg = (
            f"{verb.capitalize()} {len(state.rows)} package(s)"
            if state.rows
            else "Set the install reason"
        )
        return PacChange(
            verb,
            msg,
            {"packages": packages, **self._cache(state)},
            diff=diff,
            rows=tuple(state.rows),
            reasons=reasons,
        )

    def _reasons(self, args: dict[str, Any], state: PacState) -> tuple[str, ...]:
        """Named, installed packages whose install reason is not the one asked for."""
        if not args.get("reason") or self.wanted(args) == "absent" or args["reason_for"] != "all":
            return ()
        want = args["reason"] == "explicit"
        return tuple(
            n for n in names_of(args) if n in state.installed and (n in state.explicit) != want
        )

    def _cache(self, state: PacState) -> dict[str, Any]:
        return {} if state.cache is None else {"cache_updated": state.cache}

    def in_state_msg(self, args: dict[str, Any], state: PacState) -> str | None:
        head = "Updated package db\n" if state.cache is not None else ""
        if args.get("upgrade"):
            return head + "Nothing to upgrade"
        if not names_of(args):
            return head.strip() or None
        return head + (
            "package(s) already absent"
            if self.wanted(args) == "absent"
            else "package(s) already installed"
        )

    def values(self, args: dict[str, Any], state: PacState) -> dict[str, Any]:
        return {"packages": [], **self._cache(state)}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, PacChange)
        pac = self.base(args)
        steps = ["export LC_ALL=C"]
        if change.rows:
            steps.append(self._command(args, pac))
        if change.reasons:
            flag = "--asexplicit" if args["reason"] == "explicit" else "--asdeps"
            steps.append(f"{pac} -D {flag} -- {_words(list(change.reasons))}")
        return " && ".join(steps)

    def _command(self, args: dict[str, Any], pac: str) -> str:
        names = names_of(args)
        reason = {"explicit": " --asexplicit", "dependency": " --asdeps"}.get(
            args.get("reason") or "", ""
        )
        if args.get("upgrade"):
            return f"{pac} -Su --noconfirm --noprogressbar {args['upgrade_extra_args']}"
        if self.wanted(args) == "absent":
            extra = (" --nodeps --nodeps" if args["force"] else "") + (
                " --nosave" if args["remove_nosave"] else ""
            )
            return (
                _installed_only(pac, names) + f"{pac} -R --noconfirm --noprogressbar"
                f'{extra} {args["extra_args"]} -- "$@"'
            )
        verb = "-U" if any(is_file(n) for n in names) else "-S"
        return (
            f"{pac} {verb} --noconfirm --noprogressbar --needed{reason} "
            f"{args['extra_args']} -- {_words(names)}"
        )

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        if res.rc != 0:
            what = "remove" if self.wanted(args) == "absent" else "install"
            raise PackageFailure(
                f"Failed to {what} package(s)", stdout=res.out, stderr=res.err, rc=res.rc
            )
        return {**change.values, "stdout": res.out, "stderr": res.err}

    # -- check runs ----------------------------------------------------------------------

    def database(self, args: dict[str, Any]) -> str:
        return f"pacman:{args.get('root') or '/'}:{args.get('config') or ''}"

    def remember(self, args: dict[str, Any], change: Change, prediction: PackagePrediction) -> None:
        assert isinstance(change, PacChange)
        if self.wanted(args) == "absent":
            prediction.record(self.database(args), (), [n for n, _ in change.rows])
        else:
            prediction.record(self.database(args), list(change.rows))

    def foresee(self, args: dict[str, Any], state: PacState, known: dict[str, Any]) -> PacState:
        """Rows an earlier task of the check run would have done already go; a named
        package an earlier task would remove is not guessed at."""
        for name in names_of(args):
            if name in known and known[name] is None and self.wanted(args) != "absent":
                raise Unpredictable(f"{name}, which an earlier task would have removed")
        absent = self.wanted(args) == "absent"
        state.rows = [
            (n, v) for n, v in state.rows if n not in known or (known[n] is not None) == absent
        ]
        if absent:  # what an earlier task would install, this one removes
            listed = {n for n, _ in state.rows}
            state.rows += [
                (n, str(known[n]))
                for n in names_of(args)
                if known.get(n) is not None and n not in listed
            ]
        return state


def _missing_only(pac: str, names: list[str]) -> str:
    """sh that leaves in $@ the names pacman -Q does not know (groups, provides, missing)."""
    return (
        f'set --; for p in {_words(names)}; do {pac} -Qq -- "$p" >/dev/null 2>&1 || '
        'set -- "$@" "$p"; done; '
    )


def _installed_only(pac: str, names: list[str]) -> str:
    return (
        f'set --; for p in {_words(names)}; do ! {pac} -Qq -- "$p" >/dev/null 2>&1 || '
        'set -- "$@" "$p"; done; '
    )


def _rows(lines: list[str]) -> list[tuple[str, str]]:
    """``name version`` lines (pacman's own ``::`` remarks are not packages)."""
    return [
        (m.group(1), m.group(2))
        for line in lines
        if (m := _ROW.fullmatch(line)) and not line.startswith("::")
    ]


def _words(names: list[str]) -> str:
    return " ".join(quote(n) for n in names)


def _sections(out: str) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in out.splitlines():
        if line.startswith(f"{_MARK} "):
            word = line.split(" ", 2)[1]
            if word in ("rc", "same"):
                target = parts.setdefault(word, []) if word == "same" else current
                if target is not None:
                    target.append(line.split(" ", 2)[2])
                continue
            current = parts.setdefault(word, [])
        elif current is not None:
            current.append(line)
    return parts


def _rc(lines: list[str]) -> int:
    value = lines[-1].strip() if lines else "1"
    return int(value) if value.lstrip("-").isdigit() else 1


def _text(lines: list[str]) -> str:
    return "\n".join(lines[:-1])


def _dry_failure(args: dict[str, Any], lines: list[str]) -> str:
    missing = [line.split(": ", 2)[-1] for line in lines if "target not found" in line]
    if missing:
        return f"Failed to list package {', '.join(missing)}"
    errors = [
        line.removeprefix("error: ").removeprefix(":: ")
        for line in lines
        if line.startswith(("error:", ":: "))
    ]  # the error, then pacman's reasons
    return "\n".join(errors) or "pacman could not plan the transaction"
