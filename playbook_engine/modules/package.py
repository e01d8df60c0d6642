"""package: install or remove packages with whatever package manager the host has.

Like Ansible's ``package`` it hands the task, arguments and all, to the module of the
host's package manager (``util/pkgmgr.py`` says how it is chosen and what a backend is).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util import pkgmgr

_OWN = {
    "name": Arg(
        "list",
        elements="str",
        description="Package names or specs, as the package manager takes them. Ansible's "
        "action hands the task on without it too (`update_cache: true` alone, for apt): "
        "the package manager's module says whether it needs one.",
    ),
    "state": Arg(
        "str",
        description="present, absent, or what the package manager offers "
        "(latest …); its default when not given (present).",
    ),
    "use": Arg(
        "str",
        default="auto",
        description="The package manager (apt, dnf …); auto: from the variable "
        "ansible_package_use, the pkg_mgr fact, or detection.",
    ),
}


# Arguments of package managers pbe has no backend for, which ``package`` hands on in
# Ansible: a playbook for several families (``oldpackage`` under a SUSE condition) must
# validate. On a host with such a manager the task fails (no backend); on another, the
# backend refuses them, as the other module would.
_ELSEWHERE = {
    "zypper": (
        "allow_vendor_change",
        "auto_import_keys",
        "clean_deps",
        "disable_gpg_check",
        "disable_recommends",
        "extra_args",
        "extra_args_precommand",
        "force",
        "force_resolution",
        "install_recommends",
        "oldpackage",
        "quiet",
        "replacefiles",
        "simple_errors",
        "skip_post_errors",
        "type",
        "update_cache",
    ),
    "pacman": (
        "cachedir",
        "config",
        "executable",
        "extra_args",
        "force",
        "reason",
        "reason_for",
        "remove_nosave",
        "root",
        "update_cache",
        "update_cache_extra_args",
        "upgrade",
        "upgrade_extra_args",
    ),
    "apk": ("available", "no_cache", "repository", "update_cache", "upgrade", "world"),
    "pkgng": (
        "annotation",
        "autoremove",
        "cached",
        "chroot",
        "ignore_osver",
        "jail",
        "pkgsite",
        "rootdir",
        "use_globs",
    ),
}


def _elsewhere(have: dict[str, Arg]) -> dict[str, Arg]:
    """The other managers' arguments no backend of pbe takes, accepted at validation."""
    managers: dict[str, list[str]] = {}
    for manager, names in _ELSEWHERE.items():
        for key in names:
            if key not in have:
                managers.setdefault(key, []).append(manager)
    return {
        key: Arg(
            "raw",
            description=f"for {', '.join(found)} (pbe has no backend for "
            "it): accepted so that the playbook validates",
        )
        for key, found in managers.items()
    }


def _arguments() -> dict[str, Arg]:
    """Its own, then every backend's (checked by the backend at run time), then those of
    the managers pbe has no backend for; ``name`` keeps the aliases backends give it
    (apt's ``pkg``)."""
    union = pkgmgr.union_args()
    aliases = union["name"].aliases if "name" in union else ()
    return {
        **union,
        **_elsewhere({**union, **_OWN}),
        **_OWN,
        "name": replace(_OWN["name"], aliases=aliases),
    }


@register("package")
class Package(Module):
    """Install, upgrade or remove packages with the host's package manager.

    The task's arguments go to that manager's module (apt's on Debian hosts), so its own
    arguments (update_cache …) work too; one it does not take fails the task."""

    args: ClassVar[dict[str, Arg]] = _arguments()
    returns = {"...": "what the package manager's module returns (apt: cache_updated …)"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        manager = pkgmgr.choose(str(args["use"] or "auto"), ctx)
        backend = pkgmgr.backend(manager)
        given = {k: v for k, v in args.items() if v is not None and k != "use"}
        unknown = sorted(set(given) - set(backend.args))
        if unknown:
            raise ModuleError(
                f"Unsupported parameters for ({manager}) module: {', '.join(unknown)}"
            )
        return backend().run(backend.coerce(given), ctx)
