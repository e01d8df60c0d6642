"""The apt backend (``apt:`` and ``package:`` on Debian-family hosts), with the host's own
dpkg-query, apt-cache, apt-get and apt-mark: no python-apt on the host.

One probe reads everything the task needs (cache age, dpkg's state, apt's candidate versions,
providers of virtual packages, auto marks, or an ``apt-get -s`` simulation for upgrades and
clean-ups); a real run refreshes a stale cache inside that same command, before reading. The
decision follows Ansible's apt step by step (``aptplan``); one apt-get command applies it.
"""

from __future__ import annotations

from typing import Any

from ...errors import ModuleError
from ...templating.lines import Lines
from ...transport.base import CommandResult
from ...transport.shell import join
from ..base import Arg, ModuleContext
from ..result import Result
from . import aptcmd, aptplan
from .debian import Spec, parse_dpkg, parse_policy, parse_providers, sections, simulated_changes
from .state import Change, StateModule

__all__ = ["APT_ARGS", "Backend"]

APT_ARGS: dict[str, Arg] = {
    "name": Arg(
        "list",
        elements="str",
        aliases=("package", "pkg"),
        description="Package names or specs: `foo`, `foo=1.0*`, `foo>=1.0`, `apt*`.",
    ),
    "state": Arg(
        "str",
        default="present",
        choices=("absent", "build-dep", "fixed", "latest", "present"),
        description="present, latest, absent (purge: true purges), build-dep, fixed.",
    ),
    "update_cache": Arg(
        "bool",
        aliases=("update-cache",),
        description="Run `apt-get update` first (see cache_valid_time).",
    ),
    "update_cache_retries": Arg("int", default=5, description="Attempts of the update."),
    "update_cache_retry_max_delay": Arg(
        "int", default=12, description="Longest wait between attempts (s)."
    ),
    "cache_valid_time": Arg(
        "int",
        default=0,
        description="Update only a cache older than this (s); implies update_cache.",
    ),
    "purge": Arg("bool", default=False, description="Purge configuration files on removal."),
    "deb": Arg("path", description="A .deb file on the host (or an URL) to install."),
    "default_release": Arg(
        "str", aliases=("default-release",), description="apt-get -t: prefer this release."
    ),
    "install_recommends": Arg(
        "bool",
        aliases=("install-recommends",),
        description="Install recommended packages (default: apt's).",
    ),
    "force": Arg("bool", default=False, description="--force-yes (dangerous)."),
    "upgrade": Arg(
        "raw",
        default="no",
        choices=(*aptplan.UPGRADES, True, False),
        description="dist or full: dist-upgrade; yes or safe: upgrade --with-new-pkgs; no.",
    ),
    "dpkg_options": Arg(
        "str",
        default="force-confdef,force-confold",
        description="dpkg options, comma-separated, without `--`.",
    ),
    "autoremove": Arg("bool", default=False, description="Remove unused dependencies."),
    "autoclean": Arg(
        "bool", default=False, description="Remove package files that can no longer be downloaded."
    ),
    "fail_on_autoremove": Arg(
        "bool", default=False, description="--no-remove: fail rather than remove anything."
    ),
    "policy_rc_d": Arg(
        "int",
        description="Exit code of /usr/sbin/policy-rc.d while apt runs (101: start no services).",
    ),
    "only_upgrade": Arg("bool", default=False, description="Only upgrade installed packages."),
    "force_apt_get": Arg("bool", default=False, description="Accepted: pbe always uses apt-get."),
    "clean": Arg("bool", default=False, description="Run `apt-get clean` first."),
    "allow_unauthenticated": Arg(
        "bool",
        default=False,
        aliases=("allow-unauthenticated",),
        description="Install unauthenticated packages.",
    ),
    "allow_downgrade": Arg(
        "bool",
        default=False,
        aliases=("allow-downgrade", "allow_downgrades", "allow-downgrades"),
        description="Allow installing an older version.",
    ),
    "allow_change_held_packages": Arg(
        "bool", default=False, description="Allow changing held packages."
    ),
    "lock_timeout": Arg("int", default=60, description="Seconds to wait for the dpkg lock."),
    "auto_install_module_deps": Arg(
        "bool", default=True, description="Accepted: pbe needs nothing on the host."
    ),
}


class Backend(StateModule[aptplan.AptState]):
    """Manage apt packages: install, upgrade, remove, purge; update the cache; upgrade the
    system; install .deb files; autoremove and clean."""

    args = APT_ARGS
    mutually_exclusive = (("deb", "name", "upgrade"),)
    returns = {
        "cache_updated": "whether the cache was updated",
        "cache_update_time": "when the cache was last updated (seconds since the epoch)",
        "stdout": "apt-get's output",
        "stderr": "apt-get's error output",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        args = aptplan.normalize(args)
        state = self.parse(args, ctx.run(self.probe(args, ctx)))
        change = self.plan(args, state)
        if change is None:
            updated = aptplan.mode(args) == "cache" and state.updated
            return Result(changed=updated, values=self.values(args, state))
        assert isinstance(change, aptplan.AptChange)
        if ctx.check:
            if (failed := self.simulate(args, change, ctx)) is not None:
                return failed
            return Result(
                changed=not change.quiet,
                values=change.values,
                diff=change.diff if ctx.diff else None,
            )
        command = self.apply(args, change, ctx)
        return self.finish(args, change, ctx.run(command), ctx.diff)

    def simulate(
        self, args: dict[str, Any], change: aptplan.AptChange, ctx: ModuleContext
    ) -> Result | None:
        """A check run asks apt-get itself (``-s``) whether the install or removal would
        go through, as Ansible's does: a package that conflicts with what is installed
        fails the check run too, not only the real one."""
        if change.op not in ("install", "remove") or not change.targets:
            return None
        line = self.command(args, change).replace("apt-get ", "apt-get -s ", 1)
        res = ctx.run(f"{aptcmd.ENV}\n{line}")
        if res.rc == 0:
            return None
        return Result.fail(aptplan.failure(args, change, line, res.err or res.out), rc=res.rc)

    # -- probe ---------------------------------------------------------------------------

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        mode = aptplan.mode(args)
        parts = [
            aptcmd.ENV,
            "command -v apt-get >/dev/null || "
            "{ echo 'apt-get not found on the host' >&2; exit 127; }",
        ]
        if args["clean"] and mode != "clean" and not ctx.check:
            parts.append(f"apt-get clean 2>&1 || {aptcmd.section('clean-failed')}")
        refresh = aptplan.wants_update(args)
        if refresh or mode == "install":
            delays = (
                None
                if ctx.check
                else aptcmd.update_delays(
                    args["update_cache_retries"], args["update_cache_retry_max_delay"]
                )
            )
            parts.append(aptcmd.cache_probe(args["cache_valid_time"], refresh, delays))
        parts.append(self._probe_mode(args, mode))
        return "\n".join(p for p in parts if p)

    def _probe_mode(self, args: dict[str, Any], mode: str) -> str:
        if mode == "upgrade":
            return aptcmd.simulate(aptcmd.upgrade_command(args))
        if mode == "deb":
            return aptcmd.deb_probe(aptplan.debs(args))
        if mode in aptplan.CLEANED:
            return aptcmd.simulate(aptcmd.cleanup_command(args, mode))
        specs = [Spec.parse(n) for n in args["name"] if n != "*"]
        if mode not in ("install", "remove") or not specs:
            return ""
        literal = [s.name for s in specs if not s.wildcard]
        patterns = [s.name for s in specs if s.wildcard]
        build = None
        if args["state"] == "build-dep":
            build = aptcmd.install_command(args, "build-dep", ())
        return aptcmd.package_probe(
            literal,
            patterns,
            release=args["default_release"],
            policy=mode == "install",
            simulate_cmd=build,
        )

    def parse(self, args: dict[str, Any], res: CommandResult) -> aptplan.AptState:
        out = sections(res.out)
        if res.rc == 127 and not out:
            raise ModuleError(res.err.strip() or "apt-get not found on the host")
        if "clean-failed" in out:
            raise ModuleError("apt-get clean failed")
        if "update-failed" in out:
            tail = "\n".join(out.get("update", "").strip().splitlines()[-3:])
            raise ModuleError(
                f"Failed to update apt cache after "
                f"{args['update_cache_retries']} retries: {tail or 'unknown reason'}"
            )
        state = aptplan.AptState(out, arch=out.get("arch", "").strip())
        times = out.get("cache", "").split()
        state.cache_time = int(times[0]) if times else 0
        state.updated = "update" in out
        if after := out.get("cache-after", "").strip():
            state.cache_time = int(after)
        state.policy = parse_policy(out.get("policy", ""))
        state.dpkg = parse_dpkg(out.get("dpkg", ""))
        state.providers = parse_providers(out.get("providers", ""))
        state.auto = set(out.get("auto", "").split())
        return state

    # -- plan ----------------------------------------------------------------------------

    def plan(self, args: dict[str, Any], state: aptplan.AptState) -> Change | None:
        return aptplan.plan(args, state)

    def values(self, args: dict[str, Any], state: aptplan.AptState) -> dict[str, Any]:
        return aptplan.values(args, state)

    # -- apply ---------------------------------------------------------------------------

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        assert isinstance(change, aptplan.AptChange)
        command = self.command(args, change)
        if change.op == "install" and change.marks:
            command += f" && apt-mark manual -- {join(change.marks)} >/dev/null"
        if change.op not in ("clean", "mark"):
            command = aptcmd.with_policy_rc_d(command, args["policy_rc_d"])
        return f"{aptcmd.ENV}\n{command}"

    def command(self, args: dict[str, Any], change: aptplan.AptChange) -> str:
        """The apt-get (or apt-mark) command line of ``change``, as failures quote it."""
        if change.op == "clean":
            return "apt-get clean"
        if change.op == "mark":
            return f"apt-mark manual -- {join(change.marks)} >/dev/null"
        if change.op == "upgrade":
            return aptcmd.upgrade_command(args)
        if change.op in aptplan.CLEANED:
            return aptcmd.cleanup_command(args, change.op)
        if change.op == "remove":
            return aptcmd.remove_command(args, change.targets)
        if change.op == "deb":
            return aptcmd.deb_command(args, change.targets)
        return aptcmd.install_command(args, change.op, change.targets)

    def finish(
        self, args: dict[str, Any], change: aptplan.AptChange, res: CommandResult, diff: bool
    ) -> Result:
        """The registered result of the apply command, in Ansible's shape."""
        out, err = res.out, res.err
        output = {
            "stdout": out,
            "stdout_lines": Lines(out),
            "stderr": err,
            "stderr_lines": Lines(err),
        }
        if res.rc != 0:
            message = aptplan.failure(args, change, self.command(args, change), err or out)
            return Result.fail(message, rc=res.rc, **output)
        if change.quiet:
            return Result(values={k: v for k, v in change.values.items() if "std" not in k})
        values = {k: v for k, v in change.values.items() if k != "msg"}
        changed = simulated_changes(out) if change.op == "build-dep" else True
        return Result(
            changed=changed,
            msg=out if change.op in ("upgrade", "clean") else None,
            values={**values, **output},
            diff={"prepared": aptplan.prepared(out)} if diff else None,
        )
