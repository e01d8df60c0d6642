"""The ``virtual`` subset: which container or hypervisor this host runs in (guest), and which
it can run (host). ``virtualization_type``/``role`` name the first found, guest before host."""

from __future__ import annotations

import re
from typing import Any

from .probe import Probed

Facts = dict[str, Any]

_PRODUCTS = {
    "KVM": "kvm",
    "KVM Server": "kvm",
    "Bochs": "kvm",
    "AHV": "kvm",
    "RHEV Hypervisor": "RHEV",
    "VirtualBox": "virtualbox",
    "HVM domU": "xen",
    "Parallels Virtual Platform": "parallels",
    "BHYVE": "bhyve",
    "OpenStack Compute": "openstack",
    "OpenStack Nova": "openstack",
    "Google Compute Engine": "kvm",
}
_VENDORS = {
    "QEMU": "kvm",
    "oVirt": "oVirt",
    "Amazon EC2": "kvm",
    "Xen": "xen",
    "innotek GmbH": "virtualbox",
    "Nutanix": "kvm",
    "OpenStack Foundation": "openstack",
    "DigitalOcean": "kvm",
    "Google": "kvm",
}
_CONTAINER_ENVS = {
    "docker": "docker",
    "podman": "podman",
    "lxc": "lxc",
    "lxc-libvirt": "lxc",
    "systemd-nspawn": "systemd-nspawn",
    "oci": "container",
    "wsl": "wsl",
}


def virtual_facts(probed: Probed) -> Facts:
    guest = _container(probed)
    guest += [tech for tech in [_vm(probed)] if tech]
    host = [
        tech
        for path, tech in (("/dev/kvm", "kvm"), ("/dev/vboxdrv", "virtualbox"))
        if probed.exists(path)
    ]
    if _xen_host(probed):
        host.append("xen")
    first, role = (guest[0], "guest") if guest else (host[0], "host") if host else ("NA", "NA")
    techs = set(guest) | ({"container"} if _is_container(guest) else set())
    return {
        "virtualization_type": first,
        "virtualization_role": role,
        "virtualization_tech_guest": sorted(techs),
        "virtualization_tech_host": sorted(host),
    }


def _container(probed: Probed) -> list[str]:
    found: list[str] = []
    marker = (probed.file("/run/systemd/container") or "").strip()
    env = dict(line.partition("=")[::2] for line in probed.lines("pid1env"))
    for name in (marker, env.get("container", "")):
        if name:
            found.append(_CONTAINER_ENVS.get(name, name))
    cgroup = probed.file("/proc/1/cgroup") or ""
    if probed.exists("/.dockerenv") or re.search(r"/docker[/-]", cgroup):
        found.append("docker")
    if probed.exists("/.containerenv") or probed.exists("/run/.containerenv"):
        found.append("podman")
    if "/lxc/" in cgroup:
        found.append("lxc")
    if probed.exists("/proc/vz") and not probed.exists("/proc/bc"):
        found.append("openvz")
    return list(dict.fromkeys(found))


def _is_container(guest: list[str]) -> bool:
    return bool(
        set(guest) & {"docker", "podman", "lxc", "systemd-nspawn", "container", "openvz", "wsl"}
    )


def _vm(probed: Probed) -> str | None:
    def dmi(name: str) -> str:
        return (probed.file(f"/sys/class/dmi/id/{name}") or "").strip()

    product, vendor = dmi("product_name"), dmi("sys_vendor")
    if product.startswith("VMware"):
        return "VMware"
    if product == "Virtual Machine" and vendor == "Microsoft Corporation":
        return "VirtualPC"
    hypervisor = (probed.file("/sys/hypervisor/type") or "").strip()
    return (
        _PRODUCTS.get(product)
        or _VENDORS.get(vendor)
        or _VENDORS.get(dmi("bios_vendor"))
        or ("xen" if hypervisor == "xen" and not _xen_host(probed) else None)
    )


def _xen_host(probed: Probed) -> bool:
    return "control_d" in (probed.file("/proc/xen/capabilities") or "")
