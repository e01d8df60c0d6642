"""apt: Debian packages through the host's apt-get, apt-cache and dpkg-query.

The implementation is the apt backend of ``package`` (``util/pkgmgr_apt.py``), so ``apt:``
and ``package:`` on a Debian host are one code path.
"""

from __future__ import annotations

from . import register
from .util import pkgmgr_apt


@register("apt")
class Apt(pkgmgr_apt.Backend):
    """Manage apt packages, the package cache and system upgrades.

    Install, upgrade, remove or purge packages; update the cache; upgrade the system;
    install .deb files; autoremove and clean. One command reads the state of every package
    named (dpkg-query, apt-cache policy) and one apt-get command changes it; check mode is
    that read and Ansible's decision."""
