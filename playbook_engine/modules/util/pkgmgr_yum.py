"""The backend ``package`` uses where the ``pkg_mgr`` fact is ``yum``: as in Ansible 2.21,
whose yum action hands yum hosts to the dnf module, it is the dnf backend (yum 4 is dnf, and
the hosts of yum 3 are as unsupported as they are by Ansible 2.21)."""

from __future__ import annotations

from typing import ClassVar

from .pkgmgr_dnf import DnfBackend

__all__ = ["Backend"]


class Backend(DnfBackend):
    """Install, upgrade or remove rpm packages and groups with dnf (yum 4)."""

    managers: ClassVar[tuple[str, ...]] = ("yum",)
