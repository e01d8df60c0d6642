"""community.general.zypper: manage SUSE packages with the host's zypper (see
util/pkgmgr_zypper.py; ``package`` on zypper hosts is the same backend)."""

from __future__ import annotations

from . import register
from .util import pkgmgr_zypper


@register("zypper", "community.general.zypper")
class Zypper(pkgmgr_zypper.Backend):
    """Install, upgrade or remove packages, patterns and patches with zypper."""
