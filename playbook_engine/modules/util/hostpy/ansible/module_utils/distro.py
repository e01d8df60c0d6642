# The Linux distribution, as the ``distro`` API that ansible.module_utils.distro bundles
# offers it (pbe's own): read from os-release only.
import re
import shlex

_PATHS = ("/etc/os-release", "/usr/lib/os-release")
_IDS = {"ol": "oracle", "opensuse-leap": "opensuse"}
_cache = []


def os_release_info():
    """os-release's fields (keys in lower case), with ``codename`` when it names one."""
    if not _cache:
        _cache.append(_read())
    return dict(_cache[0])


def _read():
    for path in _PATHS:
        try:
            with open(path) as handle:
                text = handle.read()
        except (IOError, OSError):
            continue
        info = {}
        for word in shlex.split(text, comments=True):
            key, eq, value = word.partition("=")
            if eq:
                info[key.lower()] = value
        codename = info.get("version_codename") or info.get("ubuntu_codename")
        found = re.search(r"\(([^)]+)\)|, *(\S.*)$", info.get("version", ""))
        codename = codename or (found and (found.group(1) or found.group(2)))
        if codename:
            info["codename"] = codename
        return info
    return {}


def os_release_attr(attribute):
    return os_release_info().get(attribute, "")


def id():  # noqa: A001 - distro's name
    value = os_release_attr("id").lower().replace(" ", "_")
    return _IDS.get(value, value)


def name(pretty=False):
    return os_release_attr("pretty_name" if pretty else "name")


def version(pretty=False, best=False):
    value = os_release_attr("version_id")
    if pretty and value and codename():
        return "%s (%s)" % (value, codename())
    return value


def version_parts(best=False):
    found = re.match(r"(\d+)\.?(\d+)?\.?(\d+)?", version(best=best))
    return tuple(p or "" for p in found.groups()) if found else ("", "", "")


def major_version(best=False):
    return version_parts(best)[0]


def minor_version(best=False):
    return version_parts(best)[1]


def build_number(best=False):
    return version_parts(best)[2]


def like():
    return os_release_attr("id_like")


def codename():
    return os_release_attr("codename")


def linux_distribution(full_distribution_name=True):
    return (name() if full_distribution_name else id(), version(), codename())


def info(pretty=False, best=False):
    major, minor, build = version_parts(best)
    return {"id": id(), "version": version(pretty, best), "like": like(), "codename": codename(),
            "version_parts": {"major": major, "minor": minor, "build_number": build}}
