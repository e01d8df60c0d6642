# Address helpers of ansible.module_utils.common.network (pbe's own).
import re


def is_mac(mac_address):
    """Six hex pairs separated by ``:`` or ``-``."""
    return bool(re.match(r"^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$", str(mac_address).lower()))


def is_masklen(val):
    try:
        return 0 <= int(val) <= 32
    except ValueError:
        return False


def to_netmask(val):
    """A mask length (``24``) as a dotted netmask (``255.255.255.0``)."""
    if not is_masklen(val):
        raise ValueError("invalid value for masklen")
    bits = (0xFFFFFFFF << (32 - int(val))) & 0xFFFFFFFF
    return ".".join(str((bits >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def is_netmask(val):
    parts = str(val).split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return False
    bits = "".join("{:08b}".format(int(p)) for p in parts)
    return "01" not in bits


def to_masklen(val):
    """A dotted netmask as its mask length."""
    if not is_netmask(val):
        raise ValueError("invalid value for netmask: %s" % val)
    return sum(bin(int(p)).count("1") for p in str(val).split("."))
