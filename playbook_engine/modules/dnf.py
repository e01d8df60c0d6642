"""dnf, yum and dnf5: manage rpm packages with the host's dnf (see util/pkgmgr_dnf.py).

As in Ansible 2.21, ``yum`` is the dnf module under its old name, with dnf's arguments.
The classes are the backends ``package`` uses on rpm hosts, so both are one implementation.
"""

from __future__ import annotations

from . import register
from .util import pkgmgr_dnf, pkgmgr_dnf5


@register("dnf", "yum")
class Dnf(pkgmgr_dnf.Backend):
    """Install, upgrade or remove rpm packages and groups with dnf."""


@register("dnf5")
class Dnf5(pkgmgr_dnf5.Backend):
    """Install, upgrade or remove rpm packages and groups with dnf5."""
