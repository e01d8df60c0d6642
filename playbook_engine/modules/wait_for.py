"""wait_for: wait on the host until a file, a string in a file or a TCP port is as wanted.

The whole wait is ONE remote command: a small ``sh`` loop polls the condition on the target,
enforces the deadline there, and prints how long it took. A controller-side loop would cost
a round trip per poll and measure the network as much as the host. The controller still
bounds the command with its own timeout (the wait plus a margin), so a host that stops
answering cannot hold a worker for ever.

Ports are checked from the target with its own tools: bash's ``/dev/tcp`` when bash is
installed, else ``nc -z``, each bounded by coreutils ``timeout``. ``search_regex`` is a
POSIX extended regular expression (``grep -E``), matched line by line.
"""

from __future__ import annotations

import ipaddress
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import ModuleError
from ..transport import shell
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

_MARGIN = 30.0  # seconds the controller waits beyond the target-side deadline
_ANY_ADDRESS = ("", "0.0.0.0", "::", "*")
# TCP states as /proc/net/tcp numbers them; state=drained counts the active_connection_states.
_TCP_STATES = {
    "ESTABLISHED": "01",
    "SYN_SENT": "02",
    "SYN_RECV": "03",
    "FIN_WAIT1": "04",
    "FIN_WAIT2": "05",
    "TIME_WAIT": "06",
}
_ACTIVE = ("ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "SYN_RECV", "SYN_SENT", "TIME_WAIT")
_WAITING = {
    "present": "started",
    "started": "started",
    "absent": "stopped",
    "stopped": "stopped",
    "drained": "drained",
}

_PRELUDE = r"""
now() { t=$(date +%s%N); case $t in *[!0-9]*|'') t=$(( $(date +%s) * 1000000000 ));; esac
        echo $(( t / 1000000 )); }
secs() { printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }
nap() { if [ "$1" -gt 0 ]; then sleep "$(secs "$1")"; fi; }
fail() { echo "$*" >&2; exit 3; }
"""
_REGEX_OK = r"""
e=$(printf 'x\n' | grep -a -E -e "$re" 2>&1 >/dev/null)
[ $? -ne 2 ] || fail "invalid search_regex: $e"
"""
_PORT_TOOLS = r"""
command -v timeout >/dev/null 2>&1 || fail "wait_for needs timeout (coreutils) on the host"
if command -v bash >/dev/null 2>&1; then via=bash
elif command -v nc >/dev/null 2>&1; then via=nc
else fail "wait_for needs bash or nc on the host to check a port"; fi
probe() {
  if [ "$via" = bash ]; then
    timeout "$(secs "$CT")" bash -c 'exec 3<>"/dev/tcp/$1/$2"' pbe "$h" "$port" 2>/dev/null
  else timeout "$(secs "$CT")" nc -z -w "$CTS" "$h" "$port" </dev/null >/dev/null 2>&1; fi
}
SCAN='while IFS= read -r l || [ -n "$l" ]; do
  if printf "%s\n" "$l" | grep -a -E -q -e "$re"; then printf "M|%s\n" "$l"; exit 0; fi; l=
done; exit 1'
readport() {
  left=$(( end - $(now) )); [ "$left" -ge "$CT" ] || left=$CT
  if [ "$via" = bash ]; then
    timeout "$(secs "$left")" bash -c 'exec 0<>"/dev/tcp/$1/$2" || exit 2; '"$SCAN" pbe "$h" \
      "$port" 2>/dev/null
  else timeout "$(secs "$left")" nc "$h" "$port" </dev/null 2>/dev/null | sh -c "$SCAN"; fi
}
"""
_DRAINED = r"""
files=; for x in /proc/net/tcp /proc/net/tcp6; do [ -r "$x" ] && files="$files $x"; done
[ -n "$files" ] || fail "state=drained needs /proc/net/tcp on the host"
met() { awk -v p="$hex" -v addrs="$addrs" -v st="$states" -v ex="$excl" 'FNR > 1 {
  n = split($2, a, ":"); split($3, r, ":")
  if (a[n] == p && index(st, " " $4 " ") && (addrs == "" || index(addrs, " " a[1] " ")) &&
      !(ex != "" && index(ex, " " r[1] " "))) c++ }
  END { exit (c > 0) }' $files; }
"""
# Path checks tell "absent" (ENOENT, ENOTDIR) from "cannot tell" (EACCES...): a file in a
# directory we may not search is not absent. The last reason a check failed is kept in
# $why and printed when the wait times out.
_PATHS = r"""
exists() { e=$(LC_ALL=C stat -L -c . -- "$p" 2>&1) && return 0
  case $e in *"No such file"*|*"Not a directory"*) return 1;; esac; why=$e; return 2; }
search() { m=$(grep -a -E -m 1 -e "$re" -- "$p" 2>/dev/null); r=$?
  [ $r -ne 2 ] || why=$(LC_ALL=C grep -a -E -q -e "$re" -- "$p" 2>&1); return $r; }
"""
_MET = {
    ("path", "started", False): "met() { exists; }",
    ("path", "started", True): "met() { exists && search && printf 'M|%s\\n' \"$m\"; }",
    ("path", "stopped", False): "met() { exists; [ $? -eq 1 ]; }",
    ("path", "stopped", True): "met() { exists; case $? in 1) return 0;; 2) return 1;; esac\n"
    "  search; [ $? -eq 1 ]; }",
    ("port", "started", False): "met() { probe; }",
    ("port", "started", True): "met() { readport; }",
    ("port", "stopped", False): "met() { ! probe; }",
}
_LOOP = r"""
start=$(now); end=$(( start + T ))
nap "$D"
while :; do
  why=
  if met; then echo "E|$(( $(now) - start ))"; exit 0; fi
  t=$(now)
  if [ "$t" -ge "$end" ]; then
    [ -z "$why" ] || printf 'W|%s\n' "$why" | head -n 1
    echo "E|$(( t - start ))"; exit 1
  fi
  s=$S; [ $(( end - t )) -ge "$s" ] || s=$(( end - t ))
  nap "$s"
done
"""
_SLEEP = 'start=$(now); nap "$D"; nap "$T"; echo "E|$(( $(now) - start ))"\n'


@dataclass(frozen=True, slots=True)
class Wait:
    """What to wait for, validated: ``target`` is path, port or none (a plain sleep)."""

    target: str
    state: str  # started | stopped | drained
    path: str | None = None
    port: int | None = None
    host: str = "127.0.0.1"
    regex: str | None = None
    timeout: float = 300.0
    delay: float = 0.0
    sleep: float = 1.0
    connect_timeout: float = 5.0
    active: tuple[str, ...] = _ACTIVE  # state=drained: the TCP states that count
    exclude: tuple[str, ...] | None = None  # state=drained: remote hosts not counted

    @classmethod
    def of(cls, args: dict[str, Any]) -> Wait:
        """Check the combination of arguments; ModuleError says what does not fit."""
        state = _WAITING[args["state"]]
        target = "path" if args.get("path") else "port" if args.get("port") is not None else "none"
        wait = cls(
            target,
            state,
            args.get("path"),
            args.get("port"),
            args["host"],
            args.get("search_regex"),
            args["timeout"],
            args["delay"],
            args["sleep"],
            args["connect_timeout"],
            tuple(args.get("active_connection_states") or _ACTIVE),
            None if args.get("exclude_hosts") is None else tuple(args["exclude_hosts"]),
        )
        wait.validate()
        return wait

    def validate(self) -> None:
        for name in ("timeout", "delay", "sleep", "connect_timeout"):
            if getattr(self, name) < 0:
                raise ModuleError(f"{name} must not be negative")
        if self.port is not None and not 0 < self.port < 65536:
            raise ModuleError(f"port {self.port} is not between 1 and 65535")
        if self.state == "drained" and self.target != "port":
            raise ModuleError("state=drained needs a port")
        if self.exclude is not None and self.state != "drained":
            raise ModuleError("exclude_hosts should only be with state=drained")
        for name in self.active:
            if name not in _TCP_STATES:
                raise ModuleError(f"unknown active_connection_state ({name}) defined")
        if self.regex is not None:
            if self.target == "none":
                raise ModuleError("search_regex needs a path or a port")
            if self.target == "port" and self.state != "started":
                raise ModuleError(f"search_regex cannot be used with a port and state={self.state}")
            ere_problem(self.regex)


def ere_problem(regex: str) -> None:
    """Refuse Python-only regex syntax that ``grep -E`` would silently read differently."""
    for token in _tokens(regex):
        if token in ("\\d", "\\D"):
            raise ModuleError(
                f"search_regex uses {token}, which POSIX extended regular "
                "expressions do not have: write [0-9] (or [^0-9]) instead"
            )
        if token == "(?":
            raise ModuleError(
                "search_regex uses a (?...) group (named, non-capturing or "
                "lookaround), which POSIX extended regular expressions do "
                "not have"
            )


def _tokens(regex: str) -> Iterator[str]:
    """Escapes and ``(?`` outside bracket expressions (inside one, both are literal)."""
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "[":
            i = _bracket_end(regex, i)
            continue
        if ch == "\\" and i + 1 < len(regex):
            yield regex[i : i + 2]
            i += 2
            continue
        if ch == "(" and regex[i + 1 : i + 2] == "?":
            yield "(?"
        i += 1


def _bracket_end(regex: str, i: int) -> int:
    """The index after the bracket expression opening at ``i`` (``[]a]``, ``[[:digit:]]``)."""
    i += 1
    if regex[i : i + 1] == "^":
        i += 1
    if regex[i : i + 1] == "]":
        i += 1
    while i < len(regex) and regex[i] != "]":
        if regex[i] == "[" and regex[i + 1 : i + 2] in (":", ".", "="):
            close = regex.find(regex[i + 1] + "]", i + 2)
            i = close + 2 if close != -1 else len(regex)
            continue
        i += 1
    return i + 1


def proc_addresses(host: str) -> list[str] | None:
    """``host`` as /proc/net/tcp{,6} spells local addresses; None matches every address.

    The kernel prints each 32-bit word of an address in host (little-endian) byte order,
    and an IPv4 connection on a dual-stack socket appears in tcp6 as ``::ffff:a.b.c.d``.
    """
    if host in _ANY_ADDRESS:
        return None
    if host == "localhost":
        return (proc_addresses("127.0.0.1") or []) + (proc_addresses("::1") or [])
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ModuleError(
            f"state=drained needs host to be an IP address (or 0.0.0.0 for all), not {host!r}"
        ) from None
    if ip.is_unspecified:
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        v4 = ip.packed[::-1].hex().upper()
        return [v4, "0000000000000000FFFF0000" + v4]
    words = [ip.packed[k : k + 4][::-1].hex().upper() for k in range(0, 16, 4)]
    return ["".join(words)]


def _excluded(hosts: tuple[str, ...]) -> str:
    """``exclude_hosts`` as /proc/net/tcp{,6} spells remote addresses, space-separated."""
    words: list[str] = []
    for host in hosts:
        if host in _ANY_ADDRESS:
            raise ModuleError(f"exclude_hosts needs IP addresses (or localhost), not {host!r}")
        try:
            words += proc_addresses(host) or []
        except ModuleError:
            raise ModuleError(
                f"exclude_hosts needs IP addresses (or localhost), not {host!r}"
            ) from None
    return " " + " ".join(words) + " " if words else ""


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def wait_script(wait: Wait) -> str:
    """The one remote command that waits; pure, so the shell it builds is unit-tested."""
    q = shell.quote
    head = [
        f"T={_ms(wait.timeout)}",
        f"D={_ms(wait.delay)}",
        f"S={_ms(wait.sleep)}",
        f"CT={max(_ms(wait.connect_timeout), 1)}",
        f"CTS={max(math.ceil(wait.connect_timeout), 1)}",
    ]
    if wait.path is not None:
        head.append(f"p={q(wait.path)}")
    if wait.port is not None:
        head += [f"h={q(wait.host)}", f"port={wait.port}", f"hex={wait.port:04X}"]
    if wait.regex is not None:
        head.append(f"re={q(wait.regex)}; export re")
    body = [_PRELUDE]
    if wait.target == "none":
        return "; ".join(head) + "\n" + "".join(body) + _SLEEP
    if wait.regex is not None:
        body.append(_REGEX_OK)
    if wait.state == "drained":
        addrs = proc_addresses(wait.host)
        head.append(f"addrs={q(' ' + ' '.join(addrs) + ' ' if addrs else '')}")
        head.append(f"states={q(' ' + ' '.join(_TCP_STATES[n] for n in wait.active) + ' ')}")
        head.append(f"excl={q(_excluded(wait.exclude or ()))}")
        body.append(_DRAINED)
    else:
        body.append(_PORT_TOOLS if wait.target == "port" else _PATHS)
        body.append(_MET[(wait.target, wait.state, wait.regex is not None)] + "\n")
    return "; ".join(head) + "\n" + "".join(body) + _LOOP


def command_timeout(wait: Wait) -> float:
    """How long the controller lets the remote wait run before cutting it off."""
    if wait.target == "none":
        return wait.delay + wait.timeout + _MARGIN
    return max(wait.delay, wait.timeout) + wait.connect_timeout + wait.sleep + _MARGIN


class Outcome(NamedTuple):
    """What the remote loop printed: elapsed ms, the matching line, why a check failed."""

    elapsed_ms: int | None
    line: str | None
    why: str | None


def parse_output(out: str) -> Outcome:
    """Read the remote loop's ``E|ms``, ``M|line`` and ``W|reason`` lines."""
    elapsed: int | None = None
    found: dict[str, str] = {}
    for row in out.split("\n"):  # not splitlines(): a matched line may hold a CR
        tag, sep, rest = row.partition("|")
        if not sep:
            continue
        if tag == "E" and rest.strip().isdigit():
            elapsed = int(rest)
        elif tag in ("M", "W"):
            found.setdefault(tag, rest)
    return Outcome(elapsed, found.get("M"), found.get("W"))


_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "xdigit": "0-9A-Fa-f",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
}
_POSIX_CLASS = re.compile(r"\[:(" + "|".join(_POSIX_CLASSES) + r"):\]")


def python_pattern(regex: str) -> str:
    """An ERE as Python's ``re`` reads it: POSIX classes (``[[:digit:]]``) spelled out."""
    return _POSIX_CLASS.sub(lambda m: _POSIX_CLASSES[m.group(1)], regex)


def match_groups(regex: str, line: str) -> tuple[list[str | None], dict[str, str | None]]:
    """Groups of ``regex`` in the line ``grep -E`` matched, read with Python's ``re``.

    The two dialects agree on groups, classes, anchors and repetition; where they do not
    (the pattern is not valid Python, or POSIX's leftmost-longest rule picks another
    alternative) the groups are empty rather than wrong.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. FutureWarning for "[[" Python may warn about
        try:
            found = re.search(python_pattern(regex), line)
        except re.error:
            return [], {}
    if found is None:
        return [], {}
    return list(found.groups()), found.groupdict()


def timeout_message(wait: Wait) -> str:
    where = wait.path if wait.target == "path" else f"{wait.host}:{wait.port}"
    if wait.regex is not None and wait.state == "started":
        return f"Timeout when waiting for search string {wait.regex} in {where}"
    if wait.target == "path":
        if wait.state == "stopped":
            suffix = (
                " to be absent"
                if wait.regex is None
                else f" to be absent or not match {wait.regex}"
            )
            return f"Timeout when waiting for {where}{suffix}."
        return f"Timeout when waiting for file {where}"
    if wait.state == "stopped":
        return f"Timeout when waiting for {where} to stop."
    if wait.state == "drained":
        return f"Timeout when waiting for {where} to drain"
    return f"Timeout when waiting for {where}"


@register("wait_for")
class WaitFor(Module):
    """Wait until a file exists or is gone, contains a string, or a TCP port opens/closes."""

    args = {
        "path": Arg(
            "path",
            description="Wait for this file on the host (exists, or is absent with state=absent).",
        ),
        "port": Arg(
            "int", description="Wait for this TCP port on `host`, checked from the host itself."
        ),
        "host": Arg(
            "str",
            default="127.0.0.1",
            description="Address or name the port is checked on, from the host.",
        ),
        "state": Arg(
            "str",
            default="started",
            choices=("present", "started", "stopped", "absent", "drained"),
            description="present/started: exists or open; absent/stopped: gone or "
            "closed; drained: no active connections on the port.",
        ),
        "search_regex": Arg(
            "str",
            description="With path: wait until a line matches; with "
            "port: until a line the server sends matches. "
            "POSIX extended regex (grep -E).",
        ),
        "timeout": Arg(
            "float",
            default=300.0,
            description="Give up (fail) after this many seconds, delay included; "
            "alone, just wait this long.",
        ),
        "delay": Arg("float", default=0.0, description="Seconds to wait before the first check."),
        "sleep": Arg("float", default=1.0, description="Seconds between checks."),
        "connect_timeout": Arg(
            "float", default=5.0, description="Seconds one connection attempt may take."
        ),
        "msg": Arg("str", description="Failure message instead of the default one."),
        "active_connection_states": Arg(
            "list",
            elements="str",
            default=list(_ACTIVE),
            description="state=drained: the TCP states of a connection that count as "
            "active (ESTABLISHED, FIN_WAIT1, FIN_WAIT2, SYN_RECV, SYN_SENT, TIME_WAIT).",
        ),
        "exclude_hosts": Arg(
            "list",
            elements="str",
            description="state=drained: connections from these remote IP addresses (or "
            "localhost) are not counted.",
        ),
    }
    mutually_exclusive = (("path", "port"),)
    returns = {
        "elapsed": "whole seconds waited",
        "state": "the state waited for",
        "path": "the path",
        "port": "the port",
        "search_regex": "the regex",
        "match_groups": "groups of the regex in the matching line",
        "match_groupdict": "named groups (Python syntax only; see docs)",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        wait = Wait.of(args)
        if ctx.check:
            if wait.regex is not None:  # a bad pattern fails the real run: fail this one too
                _check_regex_on_host(ctx, wait.regex)
            return Result(
                skipped=True,
                unknown=True,
                msg="wait_for only observes the host; its outcome in a real run "
                "cannot be known in check mode",
            )
        res = ctx.run(wait_script(wait), timeout=command_timeout(wait))
        outcome = parse_output(res.out)
        if res.rc not in (0, 1) or outcome.elapsed_ms is None:
            raise ModuleError(
                f"wait_for could not check the host: "
                f"{(res.err or res.out).strip() or f'exit status {res.rc}'}"
            )
        elapsed = outcome.elapsed_ms // 1000
        if res.rc == 1:
            msg = args.get("msg") or timeout_message(wait)
            if outcome.why and not args.get("msg"):
                msg = f"{msg} (last check: {outcome.why})"
            return Result.fail(msg, elapsed=elapsed)
        return _success(wait, args["state"], elapsed, outcome.line)


def _check_regex_on_host(ctx: ModuleContext, regex: str) -> None:
    """Only the host's grep can say whether an ERE is valid; one round trip, check mode."""
    res = ctx.run(f"printf 'x\\n' | grep -a -E -e {shell.quote(regex)} 2>&1 >/dev/null")
    if res.rc == 2:
        raise ModuleError(
            f"wait_for could not check the host: invalid search_regex: {res.out.strip()}"
        )


def _success(wait: Wait, state: str, elapsed: int, line: str | None) -> Result:
    result: dict[str, Any] = {"elapsed": elapsed, "state": state}
    if wait.path is not None:
        result["path"] = wait.path
    if wait.port is not None:
        result["port"] = wait.port
    if wait.regex is not None:
        result["search_regex"] = wait.regex
        if line is not None:
            groups, named = match_groups(wait.regex, line)
            result.update(match_groups=groups, match_groupdict=named)
    return Result(values=result)
