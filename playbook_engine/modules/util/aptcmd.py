"""The sh the apt modules send: one probe script that reads everything a task needs, and one
command that changes it.

Both run with apt's parsable locale and ``DEBIAN_FRONTEND=noninteractive`` (what Ansible's
apt sets). The probe prints sections headed ``@pbe@ NAME`` (``debian.sections`` splits
them). A task's ``environment:`` (``APT_CONFIG`` …) reaches every command, so a private apt
configuration works as it does with apt itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ...transport.shell import join, quote
from .debian import DPKG_FORMAT, MARK, fnmatch_ere

__all__ = [
    "ENV",
    "UPGRADE_WORDS",
    "apt_get",
    "cache_probe",
    "cleanup_command",
    "command_of",
    "deb_command",
    "deb_probe",
    "dpkg_options",
    "fetch_deb",
    "install_command",
    "package_probe",
    "remove_command",
    "section",
    "simulate",
    "update_delays",
    "upgrade_command",
    "with_policy_rc_d",
]

UPGRADE_WORDS = {
    "dist": "dist-upgrade",
    "full": "dist-upgrade",
    "safe": "upgrade --with-new-pkgs",
    "yes": "upgrade --with-new-pkgs",
}
_CLEANUPS = ("autoremove", "autoclean")
ENV = (
    "export LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C LANGUAGE=C "
    "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical"
)

# The cache's age: the stamp apt's update hook touches where there is one, else the lists.
_CACHE_TIME = """eval "$(apt-config shell _S Dir::State/d _L Dir::State::Lists/d)"
_t() { stat -c %Y "${_S}periodic/update-success-stamp" 2>/dev/null ||
  stat -c %Y "${_L:-/var/lib/apt/lists/}" 2>/dev/null || echo 0; }"""
# Names apt-cache policy shows no version of (virtual packages), then what provides them.
_VIRTUALS = r"""_V=$(printf '%s\n' "$_P" | awk '/^[^ ].*:$/ {n=substr($0, 1, length($0)-1)}
  /^  Candidate: \(none\)$/ {print n}')
_R=
if [ -n "$_V" ]; then
  _W=$(apt-cache showpkg -- $_V 2>/dev/null | awk '/^Package: / {print; r=0; next}
    /^Reverse Provides:/ {print; r=1; next} /^[A-Z][a-zA-Z ]*:/ {r=0} r && NF')
  echo '@pbe@ providers'; printf '%s\n' "$_W"
  _R=$(printf '%s\n' "$_W" | awk '!/:/ && NF {print $1}')
fi"""
_POLICY_RC_D = """_p=/usr/sbin/policy-rc.d; _b=
if [ -e "$_p" ]; then _b=$(mktemp) && cp -p "$_p" "$_b" || exit 1; fi
printf '#!/bin/sh\\nexit %d\\n' {code} > "$_p" && chmod 0755 "$_p" || exit 1
{command}
_rc=$?
if [ -n "$_b" ]; then cp -p "$_b" "$_p"; rm -f "$_b"; else rm -f "$_p"; fi
exit $_rc"""


def section(name: str) -> str:
    return f"echo {quote(MARK + name)}"


def dpkg_options(args: dict[str, Any]) -> list[str]:
    """``dpkg_options`` (``force-confdef,force-confold``) as apt-get ``-o`` options, and the
    dpkg lock wait (``lock_timeout``)."""
    opts = [
        f"-o Dpkg::Options::=--{o.strip()}"
        for o in str(args["dpkg_options"]).split(",")
        if o.strip()
    ]
    return [*opts, f"-o DPkg::Lock::Timeout={int(args['lock_timeout'])}"]


def update_delays(retries: int, max_delay: int) -> list[int]:
    """Seconds to wait between ``apt-get update`` attempts: doubling, capped."""
    return [min(2**i, max_delay) for i in range(max(retries, 1) - 1)]


def cache_probe(valid_time: int, refresh: bool, delays: Sequence[int] | None) -> str:
    """The cache's time and the host's clock. With ``refresh``, a cache older than
    ``valid_time`` seconds is stale (section ``update``); with ``delays`` (a real run), it
    is refreshed there, retrying after each delay, and the new time printed."""
    stale = "true" if valid_time <= 0 else f'[ $((_T + {int(valid_time)})) -lt "$_N" ]'
    lines = [_CACHE_TIME, "_T=$(_t); _N=$(date +%s)", section("cache"), 'echo "$_T $_N"']
    if refresh and delays is None:
        lines.append(f"if {stale}; then {section('update')}; fi")
    elif refresh and delays is not None:
        waits = " ".join(str(d) for d in delays)
        lines.append(f"""if {stale}; then {section("update")}
  for _d in {waits} 0; do apt-get -q update 2>&1 && break
    [ "$_d" = 0 ] && {{ {section("update-failed")}; break; }}; sleep "$_d"; done
  {section("cache-after")}; _t
fi""")
    return "\n".join(lines)


def package_probe(
    names: Sequence[str],
    patterns: Sequence[str],
    *,
    release: str | None,
    policy: bool,
    simulate_cmd: str | None = None,
) -> str:
    """dpkg's state of every package named (and of every name a pattern matches); with
    ``policy``, apt's versions, the providers of virtual packages and the auto marks."""
    lines = [section("arch"), "dpkg --print-architecture", f"set -- {join(names)}"]
    if patterns:
        lines.append("_N=$(apt-cache pkgnames 2>/dev/null)")
    for index, pattern in enumerate(patterns):
        native = "" if ":" in pattern else " | grep -v :"
        lines += [
            section(f"match {index}"),
            f"_M=$(printf '%s\\n' \"$_N\"{native} | grep -xE {quote(fnmatch_ere(pattern))})",
            "printf '%s\\n' \"$_M\"",
            'set -- "$@" $_M',
        ]
    lines.append("_R=")
    if policy:
        option = f"-o APT::Default-Release={quote(release)} " if release else ""
        lines += [
            section("policy"),
            f'_P=$(apt-cache {option}policy -- "$@" 2>&1)',
            "printf '%s\\n' \"$_P\"",
            _VIRTUALS,
        ]
    lines += [section("dpkg"), f'dpkg-query -W -f={quote(DPKG_FORMAT)} -- "$@" $_R 2>/dev/null']
    if policy:
        lines += [section("auto"), 'apt-mark showauto -- "$@" 2>/dev/null']
    if simulate_cmd:
        lines.append(simulate(simulate_cmd + ' "$@"'))
    return "\n".join(lines)


def simulate(command: str) -> str:
    """``command`` (an apt-get line) with ``-s``: what it would do, and its exit status."""
    return (
        f"{section('simulate')}\n{command.replace('apt-get ', 'apt-get -s ', 1)} 2>&1\n"
        f'echo "{MARK}rc $?"'
    )


def fetch_deb(url: str, dest: str) -> str:
    """Download ``url`` to ``dest`` (a quoted path) with curl or wget, whichever works."""
    return (
        f"{{ curl -fsSL -o {dest} {quote(url)} 2>/dev/null || "
        f"wget -q -O {dest} {quote(url)} 2>/dev/null; }}"
    )


def deb_probe(debs: Iterable[str]) -> str:
    """Each .deb's name, version and architecture, and what dpkg has of that package; a URL
    is downloaded to a temporary file for the look and removed."""
    lines = []
    for index, deb in enumerate(debs):
        remote = "://" in deb
        path = f'"$_d/{index}.deb"' if remote else quote(deb)
        if remote:
            lines.append(
                f"_d=$(mktemp -d) && {fetch_deb(deb, path)} || {section(f'fetch-failed {index}')}"
            )
        lines += [
            section(f"deb {index}"),
            f"dpkg-deb -f {path} Package Version Architecture 2>&1",
            section(f"debdpkg {index}"),
            f"dpkg-query -W -f={quote(DPKG_FORMAT)} -- "
            f'"$(dpkg-deb -f {path} Package 2>/dev/null)" 2>/dev/null',
        ]
        if remote:
            lines.append('rm -rf "$_d"')
    return "\n".join(lines)


def apt_get(words: Iterable[str]) -> str:
    """``apt-get`` with its words, empty ones dropped (options come pre-quoted)."""
    return " ".join(["apt-get", *(w for w in words if w)])


def with_policy_rc_d(command: str, code: int | None) -> str:
    """``command`` with ``/usr/sbin/policy-rc.d`` answering ``code`` while it runs (so
    services a package installs are not started), then put back as it was."""
    if code is None:
        return command
    return _POLICY_RC_D.replace("{code}", str(int(code))).replace("{command}", command)


# -- the commands that change the host -----------------------------------------------------


def _flag(condition: Any, word: str) -> str:
    return word if condition else ""


def _release(args: dict[str, Any]) -> str:
    return f"-t {quote(args['default_release'])}" if args["default_release"] else ""


def _recommends(value: bool | None) -> str:
    return "" if value is None else f"-o APT::Install-Recommends={'yes' if value else 'no'}"


def install_command(args: dict[str, Any], op: str, targets: Sequence[str]) -> str:
    return apt_get(
        [
            "-y",
            *dpkg_options(args),
            _flag(args["only_upgrade"], "--only-upgrade"),
            _flag(args["state"] == "fixed", "--fix-broken"),
            _flag(args["force"], "--force-yes"),
            _flag(args["autoremove"] and op == "install", "--auto-remove"),
            _flag(args["fail_on_autoremove"], "--no-remove"),
            op,
            *map(quote, targets),
            _release(args),
            _recommends(args["install_recommends"]),
            _flag(args["allow_unauthenticated"], "--allow-unauthenticated"),
            _flag(args["allow_downgrade"], "--allow-downgrades"),
            _flag(args["allow_change_held_packages"], "--allow-change-held-packages"),
        ]
    )


def remove_command(args: dict[str, Any], targets: Sequence[str]) -> str:
    return apt_get(
        [
            "-q",
            "-y",
            *dpkg_options(args),
            _flag(args["purge"], "--purge"),
            _flag(args["force"], "--force-yes"),
            _flag(args["autoremove"], "--auto-remove"),
            _flag(args["allow_change_held_packages"], "--allow-change-held-packages"),
            "remove",
            *map(quote, targets),
        ]
    )


def upgrade_command(args: dict[str, Any]) -> str:
    mode = args["upgrade"] if args["upgrade"] != "no" else "yes"
    return apt_get(
        [
            "-y",
            *dpkg_options(args),
            _flag(args["force"], "--force-yes"),
            _flag(args["fail_on_autoremove"], "--no-remove"),
            _flag(args["allow_unauthenticated"], "--allow-unauthenticated"),
            _flag(args["allow_downgrade"], "--allow-downgrades"),
            UPGRADE_WORDS[mode],
            _flag(args["autoremove"], "--auto-remove"),
            _release(args),
        ]
    )


def cleanup_command(args: dict[str, Any], op: str) -> str:
    return apt_get(
        [
            "-y",
            *dpkg_options(args),
            _flag(args["purge"], "--purge"),
            _flag(args["force"], "--force-yes"),
            op,
        ]
    )


def deb_command(args: dict[str, Any], targets: Sequence[str]) -> str:
    """apt-get install of the files (it installs their dependencies too); URLs are
    downloaded first into a temporary directory, removed afterwards."""
    paths, fetches = [], []
    for index, deb in enumerate(targets):
        if "://" in deb:
            path = f'"$_d/{index}.deb"'
            fetches.append(
                f"{fetch_deb(deb, path)} || "
                f"{{ echo {quote(f'Failure downloading {deb}')} >&2; exit 1; }}"
            )
        else:
            path = quote(deb if "/" in deb else f"./{deb}")
        paths.append(path)
    install = apt_get(
        [
            "-y",
            *dpkg_options(args),
            _flag(args["force"], "--force-yes"),
            _flag(args["fail_on_autoremove"], "--no-remove"),
            _recommends(bool(args["install_recommends"])),
            _flag(args["allow_unauthenticated"], "--allow-unauthenticated"),
            _flag(args["allow_downgrade"] or args["force"], "--allow-downgrades"),
            _flag(args["allow_change_held_packages"], "--allow-change-held-packages"),
            "install",
            *paths,
        ]
    )
    if not fetches:
        return install
    return "\n".join(
        ["_d=$(mktemp -d) || exit 1", *fetches, install, "_rc=$?", 'rm -rf "$_d"', "exit $_rc"]
    )


def command_of(args: dict[str, Any], op: str) -> str:
    if op == "upgrade":
        return upgrade_command(args)
    if op in _CLEANUPS:
        return cleanup_command(args, op)
    return install_command(args, op, args["name"])
