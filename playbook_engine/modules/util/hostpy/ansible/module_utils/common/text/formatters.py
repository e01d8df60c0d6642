# Size conversions for pbe's ansible.module_utils (see basic.py).
import re

_UNITS = "BKMGTPEZY"


def human_to_bytes(number, default_unit=None, isbits=False):
    """``10M`` -> 10485760 (``10Mb`` with ``isbits``); ValueError when it is no size."""
    found = re.match(r"^\s*(\d*\.?\d*)\s*([A-Za-z]+)?\s*$", str(number))
    if not found or not found.group(1):
        raise ValueError("human_to_bytes() can't interpret following string: %s" % number)
    value = float(found.group(1))
    unit = found.group(2) or default_unit or ("b" if isbits else "B")
    letter, rest = unit[0].upper(), unit[1:]
    allowed = ("", "b", "bit", "bits") if isbits else ("", "B", "byte", "bytes")
    if letter not in _UNITS or (rest not in allowed and unit not in allowed):
        raise ValueError("human_to_bytes() failed to convert %s (unit = %s)" % (number, unit))
    return int(round(value * (1 << (10 * _UNITS.index(letter)))))


def bytes_to_human(size, isbits=False, unit=None):
    suffix = "b" if isbits else "B"
    size = float(size)
    for index, letter in enumerate(_UNITS):
        limit = 1 << (10 * (index + 1))
        if (unit and unit[0].upper() == letter) or (not unit and size < limit):
            return "%.2f %s" % (size / (1 << (10 * index)), suffix if letter == "B" else letter + suffix)
    return "%.2f %s" % (size / (1 << 80), "Y" + suffix)
