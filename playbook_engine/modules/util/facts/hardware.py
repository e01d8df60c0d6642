"""The ``hardware`` subset: memory, processors, mounts, DMI, uptime (Linux /proc and /sys)."""

from __future__ import annotations

import re
from typing import Any

from .probe import Probed

Facts = dict[str, Any]

# SMBIOS chassis types (DMI /sys/class/dmi/id/chassis_type) by number.
_CHASSIS = (
    "Unknown",
    "Other",
    "Unknown",
    "Desktop",
    "Low Profile Desktop",
    "Pizza Box",
    "Mini Tower",
    "Tower",
    "Portable",
    "Laptop",
    "Notebook",
    "Hand Held",
    "Docking Station",
    "All In One",
    "Sub Notebook",
    "Space-saving",
    "Lunch Box",
    "Main Server Chassis",
    "Expansion Chassis",
    "Sub Chassis",
    "Bus Expansion Chassis",
    "Peripheral Chassis",
    "RAID Chassis",
    "Rack Mount Chassis",
    "Sealed-case PC",
    "Multi-system",
    "CompactPCI",
    "AdvancedTCA",
    "Blade",
    "Blade Enclosure",
    "Tablet",
    "Convertible",
    "Detachable",
    "IoT Gateway",
    "Embedded PC",
    "Mini PC",
    "Stick PC",
)
_DMI_NAMES = (
    "bios_date",
    "bios_vendor",
    "bios_version",
    "board_asset_tag",
    "board_name",
    "board_serial",
    "board_vendor",
    "board_version",
    "chassis_asset_tag",
    "chassis_serial",
    "chassis_vendor",
    "chassis_version",
    "product_name",
    "product_serial",
    "product_uuid",
    "product_version",
)


def hardware_facts(probed: Probed) -> Facts:
    facts: Facts = {}
    facts.update(memory_facts(probed))
    facts.update(cpu_facts(probed))
    facts.update(dmi_facts(probed))
    facts["mounts"] = mounts(probed)
    uptime = (probed.file("/proc/uptime") or "").split()
    if uptime and re.fullmatch(r"[\d.]+", uptime[0]):
        facts["uptime_seconds"] = int(float(uptime[0]))
    return facts


def memory_facts(probed: Probed) -> Facts:
    """In MiB, each /proc/meminfo value rounded down before any sum, as Ansible does."""
    mib: dict[str, int] = {}
    for line in (probed.file("/proc/meminfo") or "").splitlines():
        key, _, value = line.partition(":")
        if value.split() and value.split()[0].isdigit():
            mib[key] = int(value.split()[0]) // 1024
    if "MemTotal" not in mib:
        return {}
    total, free = mib["MemTotal"], mib.get("MemFree", 0)
    nocache = free + mib.get("Buffers", 0) + mib.get("Cached", 0)
    swap_total, swap_free = mib.get("SwapTotal", 0), mib.get("SwapFree", 0)
    return {
        "memtotal_mb": total,
        "memfree_mb": free,
        "swaptotal_mb": swap_total,
        "swapfree_mb": swap_free,
        "memory_mb": {
            "real": {"total": total, "used": total - free, "free": free},
            "nocache": {"free": nocache, "used": total - nocache},
            "swap": {
                "total": swap_total,
                "free": swap_free,
                "used": swap_total - swap_free,
                "cached": mib.get("SwapCached", 0),
            },
        },
    }


def cpu_facts(probed: Probed) -> Facts:
    """Sockets, cores and threads from /proc/cpuinfo; ``processor_nproc`` is how many CPUs
    this process may run on (its affinity)."""
    text = probed.file("/proc/cpuinfo")
    if text is None:
        return {}
    processor: list[str] = []
    sockets: set[str] = set()
    info: dict[str, str] = {}
    count = 0
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "processor":
            processor.append(value)
            count += 1
        elif key in ("vendor_id", "model name", "Processor", "cpu", "vendor"):
            processor.append(value)
        elif key == "physical id":
            sockets.add(value)
        if key in ("cpu cores", "siblings", "flags", "Features") and key not in info:
            info[key] = value
    cores = int(info.get("cpu cores", "1") or 1)
    siblings = int(info.get("siblings", str(cores)) or cores)
    sockets_count = len(sockets) or count
    threads = max(siblings // cores, 1) if sockets else 1
    if not sockets:
        cores = 1
    vcpus = threads * cores * sockets_count
    facts: Facts = {
        "processor": processor,
        "processor_count": sockets_count,
        "processor_cores": cores,
        "processor_threads_per_core": threads,
        "processor_vcpus": vcpus,
        "processor_nproc": _affinity(probed) or vcpus,
    }
    if flags := info.get("flags", info.get("Features")):
        facts["flags"] = flags.split()
    return facts


def _affinity(probed: Probed) -> int:
    match = re.search(r"^Cpus_allowed_list:\s*(\S+)", probed.file("/proc/self/status") or "", re.M)
    if not match:
        return 0
    total = 0
    for span in match[1].split(","):
        low, _, high = span.partition("-")
        if low.isdigit():
            total += int(high) - int(low) + 1 if high.isdigit() else 1
    return total


def dmi_facts(probed: Probed) -> Facts:
    facts = {name: _dmi(probed, name) for name in _DMI_NAMES}
    facts["system_vendor"] = _dmi(probed, "sys_vendor")
    kind = _dmi(probed, "chassis_type")
    facts["form_factor"] = (
        _CHASSIS[int(kind)] if kind.isdigit() and int(kind) < len(_CHASSIS) else "NA"
    )
    return facts


def _dmi(probed: Probed, name: str) -> str:
    value = probed.file(f"/sys/class/dmi/id/{name}")
    return value.strip() if value is not None and value.strip() else "NA"


def mounts(probed: Probed) -> list[Facts]:
    """Block-device and network mounts of /proc/mounts with their statfs numbers."""
    sizes = _statfs(probed.lines("statfs"))
    uuids = _uuids(probed)
    found: list[Facts] = []
    for line in (probed.file("/proc/mounts") or "").splitlines():
        fields = line.split()
        if (
            len(fields) < 6
            or fields[2] == "none"
            or not (fields[0].startswith("/") or ":/" in fields[0])
        ):
            continue
        device, mount = _unescape(fields[0]), _unescape(fields[1])
        entry: Facts = {
            "mount": mount,
            "device": device,
            "fstype": fields[2],
            "options": fields[3],
            "dump": _int(fields[4]),
            "passno": _int(fields[5]),
        }
        entry.update(sizes.get(mount, {}))
        entry["uuid"] = uuids.get(device.rsplit("/", 1)[-1], "N/A")
        found.append(entry)
    return found


def _statfs(lines: list[str]) -> dict[str, Facts]:
    """``stat -f -c '%S %s %b %f %a %c %d %n'`` lines by mount point."""
    sizes: dict[str, Facts] = {}
    for line in lines:
        fields = line.split(" ", 7)
        if len(fields) < 8 or not all(f.isdigit() for f in fields[:7]):
            continue
        frsize, bsize, blocks, _bfree, bavail, files, ffree = (int(f) for f in fields[:7])
        sizes[fields[7]] = {
            "size_total": frsize * blocks,
            "size_available": frsize * bavail,
            "block_size": bsize,
            "block_total": blocks,
            "block_available": bavail,
            "block_used": blocks - bavail,
            "inode_total": files,
            "inode_available": ffree,
            "inode_used": files - ffree,
        }
    return sizes


def _uuids(probed: Probed) -> dict[str, str]:
    """Device name (``vda1``, ``dm-0``, and a /dev/mapper name) -> filesystem UUID."""
    uuids: dict[str, str] = {}
    mapper: dict[str, str] = {}
    for line in probed.lines("links"):
        left, sep, target = line.partition(" -> ")
        path = left.rsplit(" ", 1)[-1]
        if not sep:
            continue
        if path.startswith("/dev/disk/by-uuid/"):
            uuids[target.rsplit("/", 1)[-1]] = path.rsplit("/", 1)[-1]
        elif path.startswith("/dev/mapper/"):
            mapper[path.rsplit("/", 1)[-1]] = target.rsplit("/", 1)[-1]
    for name, device in mapper.items():
        if device in uuids:
            uuids[name] = uuids[device]
    return uuids


def _unescape(text: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), text)


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def fibre_channel_facts(probed: Probed) -> Facts:
    """World wide names of the FC host ports, without their ``0x``."""
    names = [
        text.strip().removeprefix("0x")
        for path, text in sorted(probed.files.items())
        if re.fullmatch(r"/sys/class/fc_host/[^/]+/port_name", path)
    ]
    return {"fibre_channel_wwn": names}
