"""dnf, yum and dnf5: manage rpm packages with the host's dnf (see util/pkgmgr_dnf.py).

As in Ansible 2.21, ``yum`` is the dnf module under its old name, with dnf's arguments.
"""

from __future__ import annotations

from typing import ClassVar

from . import register
from .base import Arg
from .util.pkgmgr_dnf import DNF_ARGS, DnfBackend


@register("dnf", "yum")
class Dnf(DnfBackend):
    """Install, upgrade or remove rpm packages and groups with dnf."""


@register("dnf5")
class Dnf5(DnfBackend):
    """Install, upgrade or remove rpm packages and groups with dnf5."""

    managers: ClassVar[tuple[str, ...]] = ("dnf5",)
    binary: ClassVar[str] = "dnf5"
    args = {**{k: v for k, v in DNF_ARGS.items() if k != "use_backend"},
            "auto_install_module_deps": Arg("bool", default=True,
                                            description="Accepted; dnf5 needs no Python "
                                                        "bindings here.")}
