"""community.general.pacman: manage Arch Linux packages with the host's pacman (see
util/pkgmgr_pacman.py; ``package`` on pacman hosts is the same backend)."""

from __future__ import annotations

from . import register
from .util import pkgmgr_pacman


@register("pacman", "community.general.pacman")
class Pacman(pkgmgr_pacman.Backend):
    """Install, upgrade or remove packages with pacman."""
