"""The dnf5 backend (``dnf5:``, and ``package:`` where the ``pkg_mgr`` fact is dnf5): the
dnf backend driving the ``dnf5`` command, whose output pkgmgr_dnf reads in both layouts."""

from __future__ import annotations

from typing import ClassVar

from ..base import Arg
from .pkgmgr_dnf import DNF_ARGS, DnfBackend

__all__ = ["DNF5_ARGS", "Backend"]

DNF5_ARGS: dict[str, Arg] = {
    **{k: v for k, v in DNF_ARGS.items() if k != "use_backend"},
    "auto_install_module_deps": Arg(
        "bool", default=True, description="Accepted; dnf5 needs no Python bindings here."
    ),
}


class Backend(DnfBackend):
    """Install, upgrade or remove rpm packages and groups with dnf5."""

    managers: ClassVar[tuple[str, ...]] = ("dnf5",)
    binary: ClassVar[str] = "dnf5"
    args = DNF5_ARGS
