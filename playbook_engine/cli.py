"""The ``pbe`` command line. It parses flags, calls the engine, and maps errors to exit codes.

No exit code is decided here except through ``PbeError.exit_code`` and ``ExitCode``.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from . import __version__, settings
from .errors import OptionsError, PbeError, ValidationFailed
from .exitcodes import ExitCode
from .language.loader import load_file, load_text, plain
from .masking import mask_line
from .options import (
    CONNECTIONS,
    HOST_KEY_CHECKING,
    RunOptions,
)
from .reporting.outputs import FORMATS
from .reporting.problems import VALIDATE_FORMATS

if TYPE_CHECKING:
    from .engine.run import Runner

logger = logging.getLogger("playbook_engine")
CUT_AFTER = 10.0  # seconds after a first SIGTERM before the connections are cut


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise OptionsError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pbe", description="Run Ansible-style playbooks over SSH, fast.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="run a playbook against an inventory")
    _common(run)
    _run_flags(run)
    val = sub.add_parser("validate", help="check a playbook (and inventory); touch no host")
    _common(val)
    val.add_argument(
        "--format",
        choices=VALIDATE_FORMATS,
        default="human",
        help="human text (default), GitHub Actions annotations, or JSON",
    )
    sub.add_parser("modules", help="list the modules")
    doc = sub.add_parser("doc", help="show a module's arguments and return values")
    doc.add_argument("module")
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "playbook",
        nargs="+",
        help="the playbook YAML file (several: run one after the other, as Ansible does)",
    )
    p.add_argument(
        "-i",
        "--inventory",
        action="append",
        default=[],
        metavar="INVENTORY",
        help="inventory file, directory or 'host1,host2,' (repeatable)",
    )


def _run_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("-C", "--check", action="store_true", help="dry run: predict changes, change nothing")
    a(
        "-D",
        "--diff",
        action="store_true",
        default=None,
        help="show differences in changed files",
    )
    a("-l", "--limit", metavar="PATTERN", help="further limit hosts with a pattern")
    a(
        "-e",
        "--extra-vars",
        action="append",
        default=[],
        metavar="VARS",
        help="k=v pairs, JSON/YAML text, or @file (repeatable; highest precedence)",
    )
    a(
        "-f",
        "--forks",
        type=int,
        default=None,
        help=f"hosts worked on in parallel (default {settings.BY_NAME['DEFAULT_FORKS'].default})",
    )
    a("-t", "--tags", action="append", default=[], help="only tasks with these tags")
    a("--skip-tags", action="append", default=[], help="skip tasks with these tags")
    a(
        "--start-at-task",
        metavar="NAME",
        help="skip tasks until the first one with this name (wildcards allowed)",
    )
    a(
        "--force-handlers",
        action="store_true",
        default=None,
        help="run notified handlers even on hosts that failed",
    )
    a("--list-hosts", action="store_true", help="list the hosts each play would run on")
    a("--list-tasks", action="store_true", help="list the tasks each play would run")
    a("--strict", action="store_true", help="a play matching no host is an error")
    out = p.add_argument_group("output")
    o = out.add_argument
    o(
        "--format",
        choices=FORMATS,
        default="human",
        help="stdout: human (default), json (one document) or jsonl (one event per line)",
    )
    o("--junit", metavar="FILE", help="also write JUnit XML (one testcase per host and task)")
    o("--log", metavar="FILE", help="also write the human output, without colour, to FILE")
    o(
        "--retry-file",
        metavar="FILE",
        help="write failed and unreachable hosts to FILE, for --limit @FILE",
    )
    o("--profile", action="store_true", help="show the slowest tasks and per-host times")
    o(
        "--no-progress",
        action="store_true",
        help="plain lines even on a terminal (also: CI=true or NO_COLOR set)",
    )
    o(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v result details, -vv commands sent, -vvv connection detail",
    )
    conn = p.add_argument_group("connection")
    c = conn.add_argument
    c("-u", "--user", help="remote user (inventory ansible_user wins)")
    c(
        "-c",
        "--connection",
        choices=CONNECTIONS,
        help="connection type: ssh (default; paramiko and smart are its other names) or "
        "local (a play's `connection:` and ansible_connection win)",
    )
    c(
        "--private-key",
        "--key-file",
        dest="private_key",
        metavar="FILE",
        help="SSH private key file",
    )
    c("-k", "--ask-pass", action="store_true", default=None, help="ask for the SSH password")
    c(
        "-b",
        "--become",
        action="store_true",
        default=None,
        help="become another user (root) on the hosts (a `become:` keyword wins)",
    )
    c("--become-user", metavar="USER", help="the user to become (root)")
    c("--become-method", choices=("sudo", "su"), help="how to become it (sudo)")
    c(
        "-K",
        "--ask-become-pass",
        action="store_true",
        default=None,
        help="ask for the become password",
    )
    c("-T", "--timeout", type=float, default=None, help="connect timeout in seconds (10)")
    c("--command-timeout", type=float, default=None, help="per-command timeout in seconds")
    c("--ssh-config", metavar="FILE", help="OpenSSH client config (default ~/.ssh/config)")
    c(
        "--known-hosts",
        action="append",
        default=[],
        metavar="FILE",
        help="extra known_hosts file (repeatable)",
    )
    c(
        "--host-key-checking",
        choices=HOST_KEY_CHECKING,
        default=None,
        help="strict (default): only known keys; accept-new: trust and record unknown keys; "
        "off: trust anything (warns)",
    )


# -- extra vars ---------------------------------------------------------------------------


def parse_extra_vars(
    values: Sequence[str], warn: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """``-e`` as Ansible reads it: @file, JSON/YAML text (starting with ``{`` or ``[``),
    or k=v pairs; later wins. Text that is none of these (``-e 'x: 1'``) is kept whole as
    ``_raw_params``, as Ansible does, with a warning (``warn``): it defines no ``x``."""
    merged: dict[str, Any] = {}
    for value in values:
        one = _one_extra_var(value)
        if "_raw_params" in one and warn is not None:
            warn(
                f"-e {mask_line(value)!r} is not key=value, JSON/YAML in {{ }} or @file: "
                "kept as `_raw_params`, as Ansible does (write -e '{key: value}' for YAML)"
            )
        merged.update(one)
    return merged


def _one_extra_var(value: str) -> dict[str, Any]:
    from .language.validate import parse_kv

    text = value.strip()
    if text.startswith("@"):
        data, _ = load_file(Path(text[1:]).expanduser())
        where = text[1:]
    elif text.startswith(("{", "[")):
        data, _ = load_text(text, "<-e>")
        where = "-e"
    else:
        shown = mask_line(value)  # an error echoes the option, never a password in it
        try:
            params, rest = parse_kv(text)
        except ValueError as exc:
            raise OptionsError(f"-e {shown!r}: {exc}") from None
        if rest:  # Ansible keeps what is not k=v as free-form text
            params["_raw_params"] = text if not params else " ".join(rest)
        return params
    if not isinstance(data, dict):
        raise OptionsError(f"extra vars from {where} must be a mapping")
    return dict(plain(data))


def options_from_args(
    args: argparse.Namespace, warn: Callable[[str], None] | None = None
) -> RunOptions:
    """The run's options: the flags given, the rest from Ansible's configuration
    (``ansible.cfg``, ``ANSIBLE_*``; see RunOptions), else pbe's defaults."""
    config = settings.current()
    ask_pass = config["DEFAULT_ASK_PASS"] if args.ask_pass is None else args.ask_pass
    ask_become = (
        config["DEFAULT_BECOME_ASK_PASS"] if args.ask_become_pass is None else args.ask_become_pass
    )
    given = {
        "diff": args.diff,
        "forks": args.forks,
        "user": args.user,
        "connection": args.connection,
        "private_key": args.private_key,
        "become": args.become,
        "become_user": args.become_user,
        "become_method": args.become_method,
        "force_handlers": args.force_handlers,
        "timeout": args.timeout,
        "host_key_checking": args.host_key_checking,
    }
    return RunOptions(
        check=args.check,
        limit=args.limit,
        extra_vars=parse_extra_vars(args.extra_vars, warn),
        tags=tuple(t for v in args.tags for t in v.split(",") if t),
        skip_tags=tuple(t for v in args.skip_tags for t in v.split(",") if t),
        start_at_task=args.start_at_task,
        password=getpass.getpass("SSH password: ") if ask_pass else None,
        become_password=getpass.getpass("BECOME password: ") if ask_become else None,
        command_timeout=args.command_timeout,
        known_hosts=tuple(args.known_hosts),
        ssh_config=args.ssh_config,
        strict=args.strict,
        verbosity=args.verbose,
        **{name: value for name, value in given.items() if value is not None},
    )


# -- commands -----------------------------------------------------------------------------


def cmd_run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    log: LogHandler,
    term: Termination | None = None,
) -> int:
    from .engine.prompts import ask_on_terminal
    from .engine.run import Runner
    from .inventory import load_inventory
    from .language.playbook import PlaybookLoader
    from .reporting.outputs import OutputOptions, open_outputs, write_retry_file

    def warn(message: str) -> None:
        err.write(f"WARNING: {message}\n")

    options = options_from_args(args, warn)
    for path in args.playbook:
        _check_file(path)
    _check_parent(args.retry_file, "--retry-file")
    loader = PlaybookLoader(extra_vars=options.extra_vars)
    books = [loader.load(path) for path in args.playbook]
    # several playbooks run as one run, in order: one recap, facts kept between them
    playbook = replace(books[0], plays=tuple(play for book in books for play in book.plays))
    inventory = load_inventory(args.inventory or None)
    for problem in [*loader.problems, *inventory.warnings]:  # only warnings get this far
        err.write(f"{problem}\n")
    if args.list_hosts or args.list_tasks:
        from .reporting.listing import list_plays

        out.write(list_plays(playbook, inventory, options, args.list_hosts, args.list_tasks))
        return ExitCode.OK
    outputs = open_outputs(
        OutputOptions(
            args.format, args.verbose, args.profile, args.junit, args.log, args.no_progress
        ),
        out,
        os.environ,
    )
    term = term or Termination()
    try:
        runner = Runner(playbook, inventory, options, outputs.sinks, loader.engine)
        log.scrub = runner.redactor.scrub
        log.tracebacks = args.verbose >= 3
        runner.prompter = ask_on_terminal if sys.stdin.isatty() else None
        if outputs.live is not None:
            log.write = outputs.live.log
        with term.watching(runner):
            result = runner.run()
    finally:
        log.write = None
        outputs.close_files()
    if result.error:
        err.write(f"ERROR: {runner.redactor.scrub(result.error)}\n")
    if term.received:
        err.write("terminated (SIGTERM)\n")
    if args.retry_file:
        try:
            write_retry_file(args.retry_file, [*result.failed_hosts, *result.unreachable_hosts])
        except OSError as exc:
            err.write(f"WARNING: cannot write --retry-file {args.retry_file}: {exc}\n")
    return int(ExitCode.TERMINATED if term.received else result.exit_code)


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .api import validate
    from .reporting import problems as fmt

    for path in args.playbook:
        _check_file(path)
    config = settings.current()  # a bad ansible.cfg is a usage error (exit 5), as for run
    configured = [str(p) for p in config["DEFAULT_HOST_LIST"] if p.exists()]
    inventory = args.inventory or configured or None  # the `inventory` setting's, as `run`
    problems = [  # the inventory checked once, with the first playbook
        p for i, path in enumerate(args.playbook) for p in validate(path, None if i else inventory)
    ]
    problems = list(dict.fromkeys(problems))  # a role two playbooks share, reported once
    errors = [p for p in problems if p.severity == "error"]
    if args.format == "json":
        out.write(fmt.as_json(" ".join(args.playbook), problems))
    elif args.format == "github":
        out.write(fmt.as_github(problems))
    else:
        err.write(fmt.as_human(problems))
    if errors:
        if args.format != "json":
            err.write(f"{len(errors)} error(s) found\n")
        return int(ExitCode.PARSE)
    if args.format == "human":
        out.write("".join(f"{path}: OK\n" for path in args.playbook))
    return int(ExitCode.OK)


def cmd_modules(out: TextIO) -> int:
    from .modules import REGISTRY

    width = max(len(n) for n in REGISTRY)
    for name in sorted(REGISTRY):
        out.write(f"{name:<{width}}  {REGISTRY[name].summary()}\n")
    return int(ExitCode.OK)


def cmd_doc(name: str, out: TextIO) -> int:
    from .modules import get, suggest
    from .reporting.moddoc import render_doc

    module = get(name)
    if module is None:
        hint = suggest(name)
        raise OptionsError(
            f"no module named `{name}`" + (f"; did you mean `{hint}`?" if hint else "")
        )
    out.write(render_doc(module))
    return int(ExitCode.OK)


def _check_file(path: str) -> None:
    if not Path(path).is_file():
        raise OptionsError(f"playbook not found: {path}")


def _check_parent(path: str | None, flag: str) -> None:
    if path and not Path(path).resolve().parent.is_dir():
        raise OptionsError(f"{flag} {path}: the directory does not exist")


# -- SIGTERM -------------------------------------------------------------------------------


class Termination:
    """SIGTERM for the ``pbe`` command (the library never installs signal handlers).

    It sets the run's stop event, Ctrl-C's path — workers stop at the next task boundary,
    every requested output (``--format json``, ``--junit``, ``--log``, ``--retry-file``) is
    written with what was collected — and also stops the commands running on the hosts
    (SIGTERM to their process groups, SIGKILL after a grace), since whoever sent SIGTERM
    will not wait for them. A second SIGTERM, or ``CUT_AFTER`` seconds without the run
    ending, cuts the connections. pbe then exits 143. Unlike Ctrl-C it raises nothing into
    the run, so it can never cut the writing of an output short.
    """

    def __init__(self) -> None:
        self.received = 0
        self._stopping = False  # the run got its first SIGTERM
        self._runner: Runner | None = None
        self._done = False  # the run is over: its outputs are being written
        self._cut: threading.Timer | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        runner = self._runner
        if self._done:  # let the outputs be written whole; the exit code says 143
            return
        if runner is None:  # still loading the playbook and inventory: nothing to write
            raise KeyboardInterrupt
        if self._stopping:
            _in_background(runner.connections.close_all)
            return
        self._stopping = True
        runner.interrupted_code = ExitCode.TERMINATED
        runner.stop.set()
        _in_background(runner.connections.interrupt_all)
        self._cut = threading.Timer(CUT_AFTER, runner.connections.close_all)
        self._cut.daemon = True
        self._cut.start()

    @contextlib.contextmanager
    def watching(self, runner: Runner) -> Iterator[None]:
        """While ``runner`` runs, SIGTERM stops it; afterwards it is only counted."""
        self._runner = runner
        try:
            yield
        finally:
            self._runner, self._done = None, True
            if self._cut is not None:
                self._cut.cancel()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Handle SIGTERM for one ``main()`` call (only possible on the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGTERM, self.handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)


def _in_background(action: Callable[[], None]) -> None:
    """Run ``action`` off the signal handler: it may wait on locks the main thread holds."""
    threading.Thread(target=action, daemon=True, name="pbe-sigterm").start()


# -- logging ------------------------------------------------------------------------------


class LogHandler(logging.Handler):
    """pbe's log records for the user: secrets masked with the run's redactor, and printed
    above the live view when there is one (else to stderr)."""

    def __init__(self, err: TextIO, level: int) -> None:
        super().__init__(level)
        self.err = err
        self.scrub: Callable[[Any], Any] = lambda text: text
        self.write: Callable[[str], None] | None = None
        self.tracebacks = False  # -vvv: a logged exception shows its traceback
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(_brief(record) if not self.tracebacks else record)
            head = f"{record.levelname} {record.name}: "  # pbe's own words: not scrubbed
            if text.startswith(head):
                text = head + str(self.scrub(text[len(head) :]))
            else:
                text = str(self.scrub(text))
            if self.write is not None:
                self.write(text)
            else:
                self.err.write(text + "\n")
        except Exception:
            self.handleError(record)


def _brief(record: logging.LogRecord) -> logging.LogRecord:
    """A record whose exception is one line, not a traceback (that needs -vvv)."""
    if not record.exc_info or record.exc_info[1] is None:
        return record
    exc = record.exc_info[1]
    brief = logging.makeLogRecord(record.__dict__)
    brief.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc} (-vvv shows the traceback)"
    brief.args, brief.exc_info, brief.exc_text = None, None, None
    return brief


@contextlib.contextmanager
def _logging_to(err: TextIO) -> Iterator[LogHandler]:
    """Route the ``playbook_engine`` loggers to ``err`` for one command, then undo it."""
    handler = LogHandler(err, logging.WARNING)
    package = logging.getLogger("playbook_engine")
    old_level, old_propagate = package.level, package.propagate
    package.addHandler(handler)
    package.setLevel(logging.WARNING)
    package.propagate = False
    try:
        yield handler
    finally:
        package.removeHandler(handler)
        package.setLevel(old_level)
        package.propagate = old_propagate


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Entry point; returns the exit code (the console script exits with it)."""
    out, err = out or sys.stdout, err or sys.stderr
    term = Termination()
    with _logging_to(err) as log, term.installed():
        try:
            args = build_parser().parse_args(argv)
            if getattr(args, "verbose", 0) >= 3:
                log.setLevel(logging.DEBUG)
                logging.getLogger("playbook_engine").setLevel(logging.DEBUG)
            return _dispatch(args, out, err, log, term)
        except PbeError as exc:
            err.write(f"{exc}\n" if isinstance(exc, ValidationFailed) else f"ERROR: {exc}\n")
            return int(exc.exit_code)
        except KeyboardInterrupt:
            if term.received:
                err.write("terminated (SIGTERM)\n")
                return int(ExitCode.TERMINATED)
            err.write("interrupted\n")
            return int(ExitCode.INTERRUPTED)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0) if isinstance(exc.code, int) else 0
        except Exception as exc:
            logger.debug("internal error", exc_info=True)
            err.write(
                f"pbe: internal error: {type(exc).__name__}: {log.scrub(str(exc))}\n"
                "(this is a bug in pbe; run with -vvv for the traceback)\n"
            )
            return int(ExitCode.UNEXPECTED)


def _dispatch(
    args: argparse.Namespace, out: TextIO, err: TextIO, log: LogHandler, term: Termination
) -> int:
    if args.version:
        out.write(f"pbe {__version__}\n")
        return int(ExitCode.OK)
    if args.command == "run":
        return cmd_run(args, out, err, log, term)
    if args.command == "validate":
        return cmd_validate(args, out, err)
    if args.command == "modules":
        return cmd_modules(out)
    if args.command == "doc":
        return cmd_doc(args.module, out)
    build_parser().print_help(err)
    return int(ExitCode.OPTIONS)


def console_main() -> NoReturn:
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: exit quietly, with the run's code
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(code)
