"""community.general.apk: manage Alpine packages with the host's apk (see
util/pkgmgr_apk.py; ``package`` on apk hosts is the same backend)."""

from __future__ import annotations

from . import register
from .util import pkgmgr_apk


@register("apk", "community.general.apk")
class Apk(pkgmgr_apk.Backend):
    """Install, upgrade or remove Alpine packages with apk."""
