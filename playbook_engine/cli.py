"""The ``pbe`` command line. It parses flags, calls the engine, and maps errors to exit codes.

No exit code is decided here except through ``PbeError.exit_code`` and ``ExitCode``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from . import __version__
from .errors import OptionsError, PbeError, ValidationError, ValidationFailed
from .exitcodes import ExitCode
from .loader import load_file, load_text, plain
from .options import DEFAULT_FORKS, HOST_KEY_CHECKING, RunOptions

logger = logging.getLogger("playbook_engine")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise OptionsError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pbe", description="Run Ansible-style playbooks over SSH, fast.")
    parser.add_argument("--version", action="version", version=f"pbe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="run a playbook against an inventory")
    _common(run)
    _run_flags(run)
    val = sub.add_parser("validate", help="check a playbook (and inventory); touch no host")
    _common(val)
    sub.add_parser("modules", help="list the modules")
    doc = sub.add_parser("doc", help="show a module's arguments and return values")
    doc.add_argument("module")
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("playbook", help="the playbook YAML file")
    p.add_argument("-i", "--inventory", action="append", default=[], metavar="INVENTORY",
                   help="inventory file, directory or 'host1,host2,' (repeatable)")


def _run_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("-C", "--check", action="store_true", help="dry run: predict changes, change nothing")
    a("-D", "--diff", action="store_true", help="show differences in changed files")
    a("-l", "--limit", metavar="PATTERN", help="further limit hosts with a pattern")
    a("-e", "--extra-vars", action="append", default=[], metavar="VARS",
      help="k=v pairs, JSON/YAML text, or @file (repeatable; highest precedence)")
    a("-f", "--forks", type=int, default=None,
      help=f"hosts worked on in parallel (default {DEFAULT_FORKS})")
    a("-t", "--tags", action="append", default=[], help="only tasks with these tags")
    a("--skip-tags", action="append", default=[], help="skip tasks with these tags")
    a("--list-hosts", action="store_true", help="list the hosts each play would run on")
    a("--list-tasks", action="store_true", help="list the tasks each play would run")
    a("--format", choices=("human", "json"), default="human", help="output format")
    a("--strict", action="store_true", help="a play matching no host is an error")
    a("-v", "--verbose", action="count", default=0, help="more detail (-vvv for most)")
    conn = p.add_argument_group("connection")
    c = conn.add_argument
    c("-u", "--user", help="remote user (inventory ansible_user wins)")
    c("--private-key", "--key-file", dest="private_key", metavar="FILE",
      help="SSH private key file")
    c("-k", "--ask-pass", action="store_true", help="ask for the SSH password")
    c("-K", "--ask-become-pass", action="store_true", help="ask for the become password")
    c("-T", "--timeout", type=float, default=10.0, help="connect timeout in seconds (10)")
    c("--command-timeout", type=float, default=None, help="per-command timeout in seconds")
    c("--ssh-config", metavar="FILE", help="OpenSSH client config (default ~/.ssh/config)")
    c("--known-hosts", action="append", default=[], metavar="FILE",
      help="extra known_hosts file (repeatable)")
    c("--host-key-checking", choices=HOST_KEY_CHECKING, default=None,
      help="strict (default): only known keys; accept-new: trust and record unknown keys; "
           "off: trust anything (warns)")


# -- extra vars ---------------------------------------------------------------------------

def parse_extra_vars(values: Sequence[str]) -> dict[str, Any]:
    """``-e`` as Ansible reads it: @file, JSON/YAML text, or k=v pairs; later wins."""
    merged: dict[str, Any] = {}
    for value in values:
        merged.update(_one_extra_var(value))
    return merged


def _one_extra_var(value: str) -> dict[str, Any]:
    from .validate import parse_kv

    text = value.strip()
    if text.startswith("@"):
        data, _ = load_file(Path(text[1:]).expanduser())
        where = text[1:]
    elif text.startswith(("{", "[")):
        data, _ = load_text(text, "<-e>")
        where = "-e"
    else:
        try:
            params, rest = parse_kv(text)
        except ValueError as exc:
            raise OptionsError(f"-e {value!r}: {exc}") from None
        if rest:
            raise OptionsError(f"-e {value!r}: expected key=value, JSON, YAML or @file")
        return params
    if not isinstance(data, dict):
        raise OptionsError(f"extra vars from {where} must be a mapping")
    return dict(plain(data))


def _host_key_checking(args: argparse.Namespace) -> str:
    if args.host_key_checking:
        return str(args.host_key_checking)
    env = os.environ.get("PBE_HOST_KEY_CHECKING") or os.environ.get("ANSIBLE_HOST_KEY_CHECKING")
    if env is None:
        return "strict"
    if env.lower() in HOST_KEY_CHECKING:
        return env.lower()
    return "strict" if env.lower() in ("true", "yes", "1") else "off"


def options_from_args(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        check=args.check, diff=args.diff, limit=args.limit,
        forks=DEFAULT_FORKS if args.forks is None else args.forks,
        extra_vars=parse_extra_vars(args.extra_vars),
        tags=tuple(t for v in args.tags for t in v.split(",") if t),
        skip_tags=tuple(t for v in args.skip_tags for t in v.split(",") if t),
        user=args.user, private_key=args.private_key,
        password=getpass.getpass("SSH password: ") if args.ask_pass else None,
        become_password=getpass.getpass("BECOME password: ") if args.ask_become_pass else None,
        timeout=args.timeout, command_timeout=args.command_timeout,
        host_key_checking=_host_key_checking(args), known_hosts=tuple(args.known_hosts),
        ssh_config=args.ssh_config, strict=args.strict, verbosity=args.verbose,
    )


# -- commands -----------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .playbook import load_playbook
    from .reporting.console import ConsoleSink
    from .reporting.json import JsonSink
    from .run import Runner, load_inventory

    options = options_from_args(args)
    _check_file(args.playbook)
    playbook = load_playbook(args.playbook)
    inventory = load_inventory(args.inventory or None)
    if args.list_hosts or args.list_tasks:
        from .listing import list_plays

        out.write(list_plays(playbook, inventory, options, args.list_hosts, args.list_tasks))
        return ExitCode.OK
    sink = JsonSink(out) if args.format == "json" else ConsoleSink(out, args.verbose)
    result = Runner(playbook, inventory, options, [sink]).run()
    if result.error:
        err.write(f"ERROR: {result.error}\n")
    return int(result.exit_code)


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .playbook import PlaybookLoader
    from .run import load_inventory

    _check_file(args.playbook)
    problems = []
    loader = PlaybookLoader()
    try:
        loader.load(args.playbook)
    except ValidationFailed:
        pass
    problems += loader.problems
    if args.inventory:
        try:
            load_inventory(args.inventory)
        except ValidationFailed as exc:
            problems += exc.problems
        except ValidationError as exc:
            problems.append(_as_problem(exc))
    for problem in problems:
        err.write(f"{problem}\n")
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        err.write(f"{len(errors)} error(s) found\n")
        return int(ExitCode.PARSE)
    out.write(f"{args.playbook}: OK\n")
    return int(ExitCode.OK)


def _as_problem(exc: ValidationError) -> Any:
    from .errors import Problem

    return Problem(exc.message, exc.location, exc.hint)


def cmd_modules(out: TextIO) -> int:
    from .modules import REGISTRY

    width = max(len(n) for n in REGISTRY)
    for name in sorted(REGISTRY):
        out.write(f"{name:<{width}}  {REGISTRY[name].summary()}\n")
    return int(ExitCode.OK)


def cmd_doc(name: str, out: TextIO) -> int:
    from .modules import get, suggest

    module = get(name)
    if module is None:
        hint = suggest(name)
        raise OptionsError(f"no module named `{name}`" +
                           (f"; did you mean `{hint}`?" if hint else ""))
    out.write(f"{module.name}: {module.summary()}\n\nArguments:\n")
    for key, arg in module.args.items():
        flags = ["required" if arg.required else f"default: {json.dumps(arg.default)}"]
        if arg.choices:
            flags.append("choices: " + ", ".join(map(str, arg.choices)))
        if arg.aliases:
            flags.append("aliases: " + ", ".join(arg.aliases))
        out.write(f"  {key} ({arg.type}; {'; '.join(flags)})\n      {arg.description}\n")
    if module.returns:
        out.write("\nReturns:\n")
        for key, text in module.returns.items():
            out.write(f"  {key}: {text}\n")
    check = "supported" if module.supports_check else "not supported (reported as skipped)"
    out.write(f"\nCheck mode: {check}\n")
    return int(ExitCode.OK)


def _check_file(path: str) -> None:
    if not Path(path).is_file():
        raise OptionsError(f"playbook not found: {path}")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Entry point; returns the exit code (the console script exits with it)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=_log_level(getattr(args, "verbose", 0)), stream=err,
                            format="%(levelname)s %(name)s: %(message)s")
        if args.command == "run":
            return cmd_run(args, out, err)
        if args.command == "validate":
            return cmd_validate(args, out, err)
        if args.command == "modules":
            return cmd_modules(out)
        if args.command == "doc":
            return cmd_doc(args.module, out)
        build_parser().print_help(err)
        return int(ExitCode.OPTIONS)
    except PbeError as exc:
        err.write(f"{exc}\n" if isinstance(exc, ValidationFailed) else f"ERROR: {exc}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except Exception as exc:
        logger.debug("internal error", exc_info=True)
        err.write(f"pbe: internal error: {type(exc).__name__}: {exc}\n"
                  "(this is a bug in pbe; run with -vvv for the traceback)\n")
        return int(ExitCode.UNEXPECTED)


def _log_level(verbosity: int) -> int:
    return logging.DEBUG if verbosity >= 3 else logging.WARNING


def console_main() -> NoReturn:
    sys.exit(main())
