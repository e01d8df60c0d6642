"""iptables: one rule, a chain's policy, a chain, or a flush, with iptables/ip6tables.

The rule is built from the arguments in the order Ansible's module builds it (so ``rule``
reads the same); whether it is there is asked of the kernel with ``iptables -C``. One
command probes every binary concerned (``ip_version: both`` is iptables and ip6tables);
one command makes the changes (``-A``/``-I``/``-D``, ``-P``, ``-N``/``-X``, ``-F``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.hostedit import Section, need, section, sections

_BINS = {"ipv4": "iptables", "ipv6": "ip6tables"}
_ICMP = {"ipv4": "--icmp-type", "ipv6": "--icmpv6-type", "both": "--icmp-type --icmpv6-type"}
_POLICY = re.compile(r"\(policy ([A-Z]+)\)")


def _str(description: str) -> Arg:
    return Arg("str", description=description)


@register("iptables")
class Iptables(Module):
    """Add or remove an iptables rule; set a chain's policy; create, delete or flush chains."""

    args = {
        "table": Arg(
            "str",
            default="filter",
            choices=("filter", "nat", "mangle", "raw", "security"),
            description="The table.",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Whether the rule (or, without a rule, the chain) exists.",
        ),
        "action": Arg(
            "str",
            default="append",
            choices=("append", "insert"),
            description="Add the rule at the end (-A) or the start (-I).",
        ),
        "ip_version": Arg(
            "str",
            default="ipv4",
            choices=("ipv4", "ipv6", "both"),
            description="iptables, ip6tables, or both.",
        ),
        "chain": _str("The chain (INPUT, OUTPUT, a user chain …)."),
        "rule_num": _str("The position for action=insert."),
        "protocol": _str("-p: tcp, udp, icmp, all … (`!` negates)."),
        "wait": _str("-w: seconds to wait for the xtables lock."),
        "source": _str("-s: a source address or network."),
        "to_source": _str("--to-source (SNAT)."),
        "destination": _str("-d: a destination address or network."),
        "to_destination": _str("--to-destination (DNAT)."),
        "match": Arg("list", default=[], elements="str", description="-m extensions."),
        "tcp_flags": Arg("dict", description="--tcp-flags: `flags` and `flags_set` lists."),
        "jump": _str("-j: the target (ACCEPT, DROP, a chain …)."),
        "gateway": _str("--gateway for the TEE target."),
        "log_prefix": _str("--log-prefix (implies jump LOG)."),
        "log_level": Arg(
            "str",
            choices=(
                "0",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "7",
                "emerg",
                "alert",
                "crit",
                "error",
                "warning",
                "notice",
                "info",
                "debug",
            ),
            description="--log-level (implies jump LOG).",
        ),
        "goto": _str("-g: continue in this chain."),
        "in_interface": _str("-i: the incoming interface."),
        "out_interface": _str("-o: the outgoing interface."),
        "fragment": _str("-f."),
        "set_counters": _str("-c: packet and byte counters."),
        "source_port": _str("--source-port."),
        "destination_port": _str("--destination-port."),
        "destination_ports": Arg(
            "list", default=[], elements="str", description="--dports with -m multiport."
        ),
        "to_ports": _str("--to-ports (REDIRECT, MASQUERADE)."),
        "set_dscp_mark": _str("--set-dscp (jump DSCP)."),
        "set_dscp_mark_class": _str("--set-dscp-class (jump DSCP)."),
        "comment": _str("--comment with -m comment."),
        "ctstate": Arg(
            "list",
            default=[],
            elements="str",
            description="--ctstate (-m conntrack) or --state (-m state).",
        ),
        "src_range": _str("--src-range with -m iprange."),
        "dst_range": _str("--dst-range with -m iprange."),
        "match_set": _str("--match-set with -m set."),
        "match_set_flags": Arg(
            "str",
            choices=("src", "dst", "src,dst", "dst,src", "src,src", "dst,dst"),
            description="The set's flags.",
        ),
        "limit": _str("--limit with -m limit."),
        "limit_burst": _str("--limit-burst with -m limit."),
        "uid_owner": _str("--uid-owner with -m owner."),
        "gid_owner": _str("--gid-owner with -m owner."),
        "reject_with": _str("--reject-with (jump REJECT)."),
        "icmp_type": _str("--icmp-type / --icmpv6-type."),
        "syn": Arg(
            "str",
            default="ignore",
            choices=("ignore", "match", "negate"),
            description="--syn, or ! --syn.",
        ),
        "flush": Arg("bool", default=False, description="Flush the chain (or the table)."),
        "policy": Arg(
            "str",
            choices=("ACCEPT", "DROP", "QUEUE", "RETURN"),
            description="The chain's policy (-P).",
        ),
        "chain_management": Arg(
            "bool", default=False, description="Create (-N) or delete (-X) the chain itself."
        ),
        "numeric": Arg("bool", default=False, description="-n when listing."),
    }
    mutually_exclusive = (("set_dscp_mark", "set_dscp_mark_class"), ("flush", "policy"))
    returns = {
        key: f"the task's {key}"
        for key in ("ip_version", "table", "chain", "flush", "state", "chain_management", "wait")
    }
    returns["rule"] = "the rule's iptables arguments, as one string"

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        _validate(args)
        values = {
            "ip_version": args["ip_version"],
            "table": args["table"],
            "chain": args["chain"],
            "flush": args["flush"],
            "rule": " ".join(build_rule(args)),
            "state": args["state"],
            "chain_management": args["chain_management"],
            "wait": args["wait"],
        }
        params = _with_log_jump(args)
        tools = [
            _BINS[v]
            for v in (("ipv4", "ipv6") if args["ip_version"] == "both" else (args["ip_version"],))
        ]
        todo: list[str] = []
        if params["flush"]:
            todo = [_base(t, params, "-F", chain=params["chain"] is not None) for t in tools]
        else:
            res = ctx.run("; ".join(_probe(t, params) for t in tools))
            found = sections(res.out)
            todo = [c for t in tools for c in _plan(t, params, need(found, t, res))]
        changed = bool(todo)
        commands = [c for c in todo if c != "true"]
        if commands and not ctx.check:
            res = ctx.run(" && ".join(f"{c} 2>&1" for c in commands))
            if res.rc != 0:
                detail = (res.err or res.out).strip() or f"exit status {res.rc}"
                raise ModuleError(f"iptables failed (rc={res.rc}): {detail}")
        return Result(changed=changed, values=values)


def _validate(args: dict[str, Any]) -> None:
    if not args["flush"] and args["chain"] is None:
        raise ModuleError("flush is False but all of the following are missing: chain")
    if (args["jump"] or "").lower() == "tee" and args["gateway"] is None:
        raise ModuleError(f"jump is {args['jump']} but all of the following are missing: gateway")
    for key in ("set_dscp_mark", "set_dscp_mark_class"):
        if args[key] is not None and args["jump"] is None:
            raise ModuleError(f"missing parameter(s) required by '{key}': jump")
    tcp = args["tcp_flags"]
    if tcp is not None and not set(tcp) <= {"flags", "flags_set"}:
        raise ModuleError("tcp_flags: only `flags` and `flags_set` are allowed")


def _with_log_jump(args: dict[str, Any]) -> dict[str, Any]:
    """Logging options imply ``jump: LOG`` and allow no other target, as in Ansible."""
    if not (args["log_prefix"] or args["log_level"]):
        return args
    if args["jump"] is None:
        return {**args, "jump": "LOG"}
    if args["jump"] != "LOG":
        raise ModuleError("Logging options can only be used with the LOG jump target.")
    return args


def _base(tool: str, args: dict[str, Any], op: str, *, chain: bool = True) -> str:
    words = [tool, "-t", args["table"], op] + ([args["chain"]] if chain else [])
    if op == "-I" and args["rule_num"]:
        words.append(args["rule_num"])
    if args["wait"]:
        words += ["-w", args["wait"]]
    return " ".join(quote(w) for w in words)


def _rule_cmd(tool: str, args: dict[str, Any], op: str) -> str:
    return " ".join([_base(tool, args, op), *(quote(w) for w in build_rule(args))])


def _listing(tool: str, args: dict[str, Any]) -> str:
    return _base(tool, args, "-L") + (" --numeric" if args["numeric"] else "")


def _probe(tool: str, args: dict[str, Any]) -> str:
    found = (
        f"command -v {tool} >/dev/null || {{ echo 'Failed to find required "
        f"executable {tool}'; exit 127; }}"
    )
    if args["policy"]:
        check = _listing(tool, args)
    elif not build_rule(args):
        check = f"{_listing(tool, args)} >/dev/null"
    else:
        check = _rule_cmd(tool, args, "-C")
    return section(tool, f"{found}; LC_ALL=C {check} 2>&1")


def _plan(tool: str, args: dict[str, Any], probed: Section) -> list[str]:
    """The commands for one binary: [] when in state; "true" for a change Ansible reports
    without making it (a chain without chain_management)."""
    if probed.rc == 127 and probed.text.startswith("Failed to find"):
        raise ModuleError(probed.text.strip())
    if args["policy"]:
        if probed.rc != 0:
            raise ModuleError(probed.text.strip() or f"{tool} -L failed (rc={probed.rc})")
        match = _POLICY.search(probed.text.split("\n")[0])
        if not match:
            raise ModuleError("Can't detect current policy")
        if match.group(1) == args["policy"]:
            return []
        return [f"{_base(tool, args, '-P')} {quote(args['policy'])}"]
    present = probed.rc == 0
    if not build_rule(args):  # the chain itself
        if present == (args["state"] == "present"):
            return []
        op = "-N" if args["state"] == "present" else "-X"
        return [_base(tool, args, op) if args["chain_management"] else "true"]
    if present == (args["state"] == "present"):
        return []
    if args["state"] == "absent":
        return [_rule_cmd(tool, args, "-D")]
    return [_rule_cmd(tool, args, "-I" if args["action"] == "insert" else "-A")]


def build_rule(a: dict[str, Any]) -> list[str]:
    """The rule's words, in the order Ansible's iptables module writes them."""
    rule: list[str] = []
    loaded: set[str] = set(a["match"])
    opt = _adder(rule)

    def load(when: Any, ext: str) -> None:
        if when and ext not in loaded:
            rule.extend(["-m", ext])
            loaded.add(ext)

    opt(a["protocol"], "-p")
    opt(a["source"], "-s")
    opt(a["destination"], "-d")
    for ext in a["match"]:
        opt(ext, "-m")
    _targets(a, rule, load, opt)
    _states(a, rule, load)
    _ranges_and_sets(a, rule, load, opt)
    load(a["limit"] or a["limit_burst"], "limit")
    opt(a["limit"], "--limit")
    opt(a["limit_burst"], "--limit-burst")
    _owners_and_tail(a, rule, load, opt)
    return rule


def _targets(
    a: dict[str, Any],
    rule: list[str],
    load: Callable[[Any, str], None],
    opt: Callable[[Any, str], None],
) -> None:
    """From --tcp-flags to --syn: the jump and the options that go with it."""
    tcp = a["tcp_flags"] or {}
    if "flags" in tcp and "flags_set" in tcp:
        rule.extend(["--tcp-flags", ",".join(tcp["flags"] or []), ",".join(tcp["flags_set"] or [])])
    opt(a["jump"], "-j")
    jump = (a["jump"] or "").lower()
    if jump == "tee":
        opt(a["gateway"], "--gateway")
    opt(a["log_prefix"], "--log-prefix")
    opt(a["log_level"], "--log-level")
    opt(a["to_destination"], "--to-destination")
    load(a["destination_ports"], "multiport")
    if a["destination_ports"]:
        rule.extend(["--dports", ",".join(a["destination_ports"])])
    for key, flag in (
        ("to_source", "--to-source"),
        ("goto", "-g"),
        ("in_interface", "-i"),
        ("out_interface", "-o"),
        ("fragment", "-f"),
        ("set_counters", "-c"),
        ("source_port", "--source-port"),
        ("destination_port", "--destination-port"),
        ("to_ports", "--to-ports"),
    ):
        opt(a[key], flag)
    for key, flag in (("set_dscp_mark", "--set-dscp"), ("set_dscp_mark_class", "--set-dscp-class")):
        opt(a[key], flag)
        if a[key] and jump != "dscp":
            rule.extend(["-j", "DSCP"])
    if a["syn"] != "ignore":
        rule.extend(["--syn"] if a["syn"] == "match" else ["!", "--syn"])


def _owners_and_tail(
    a: dict[str, Any],
    rule: list[str],
    load: Callable[[Any, str], None],
    opt: Callable[[Any, str], None],
) -> None:
    """Owner matches, the implied REJECT/DSCP jump, --reject-with, ICMP type, comment."""
    for key, flag in (("uid_owner", "--uid-owner"), ("gid_owner", "--gid-owner")):
        load(a[key], "owner")
        if a[key] in ("match", "negate"):  # Ansible's quirk: these words act as flags
            rule.extend([flag] if a[key] == "match" else ["!", flag])
        opt(a[key], flag)
    if a["jump"] is None:
        for key, target in (
            ("reject_with", "REJECT"),
            ("set_dscp_mark_class", "DSCP"),
            ("set_dscp_mark", "DSCP"),
        ):
            if a[key]:
                rule.extend(["-j", target])
    opt(a["reject_with"], "--reject-with")
    opt(a["icmp_type"], _ICMP[a["ip_version"]])
    load(a["comment"], "comment")
    opt(a["comment"], "--comment")


def _adder(rule: list[str]) -> Callable[[Any, str], None]:
    def opt(value: Any, flag: str) -> None:
        """``flag value``, or ``! flag value`` for a value written ``!value``."""
        if value is None:
            return
        text = str(value)
        rule.extend(["!", flag, text[1:]] if text.startswith("!") else [flag, text])

    return opt


def _states(a: dict[str, Any], rule: list[str], load: Callable[[Any, str], None]) -> None:
    states = ",".join(a["ctstate"])
    if "conntrack" in a["match"]:
        rule.extend(["--ctstate", states] if states else [])
    elif "state" in a["match"]:
        rule.extend(["--state", states] if states else [])
    elif states:
        load(True, "conntrack")
        rule.extend(["--ctstate", states])


def _ranges_and_sets(
    a: dict[str, Any],
    rule: list[str],
    load: Callable[[Any, str], None],
    opt: Callable[[Any, str], None],
) -> None:
    load("iprange" not in a["match"] and (a["src_range"] or a["dst_range"]), "iprange")
    opt(a["src_range"], "--src-range")
    opt(a["dst_range"], "--dst-range")
    if "set" in a["match"] or a["match_set"]:
        load(a["match_set"], "set")
        opt(a["match_set"], "--match-set")
        if a["match_set_flags"]:  # the flags follow the set's name as a word of their own
            rule.append(a["match_set_flags"])
