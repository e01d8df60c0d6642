"""Which sinks a CLI run writes to: the terminal (live or plain) or stdout's machine format,
plus any files (``--junit``, ``--log``). Several at once; every file is opened before the
run starts, so an unwritable path is a bad option (exit 5) and no host is touched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TextIO

from ..errors import OptionsError
from . import Sink
from .console import ConsoleSink
from .json import JsonSink
from .jsonl import JsonLinesSink

if TYPE_CHECKING:  # rich (the live view) and the JUnit writer load only when a run uses them
    from .live import LiveSink

FORMATS = ("human", "json", "jsonl")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class OutputOptions:
    format: str = "human"
    verbosity: int = 0
    profile: bool = False
    junit: str | None = None
    log: str | None = None
    no_progress: bool = False


@dataclass
class Outputs:
    """The sinks of one run and the files they write; ``close_files`` after the run."""

    sinks: list[Sink] = field(default_factory=list)
    live: LiveSink | None = None
    files: list[IO[Any]] = field(default_factory=list)

    def close_files(self) -> None:
        for handle in self.files:
            with contextlib.suppress(OSError):
                handle.close()


def use_live(out: TextIO, env: Mapping[str, str], no_progress: bool = False) -> bool:
    """The live view only for a person at a terminal: a TTY, not CI, colour not refused."""
    if no_progress or env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    if env.get("CI", "").strip().lower() not in _FALSE:
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty is not None and isatty())


def open_outputs(opts: OutputOptions, out: TextIO, env: Mapping[str, str]) -> Outputs:
    """Raises OptionsError when a file cannot be written (closing what it had opened)."""
    outputs = Outputs()
    try:
        outputs.sinks.append(_primary(opts, out, env, outputs))
        if opts.junit:
            junit_file = _open_binary(opts.junit, "--junit")
            outputs.files.append(junit_file)
            from .junit import JUnitSink

            outputs.sinks.append(JUnitSink(junit_file))
        if opts.log:
            log_file = _open_text(opts.log, "--log")
            outputs.files.append(log_file)
            outputs.sinks.append(ConsoleSink(log_file, opts.verbosity, opts.profile))
    except OptionsError:
        outputs.close_files()
        raise
    return outputs


def _primary(opts: OutputOptions, out: TextIO, env: Mapping[str, str], outputs: Outputs) -> Sink:
    if opts.format == "json":
        return JsonSink(out)
    if opts.format == "jsonl":
        return JsonLinesSink(out, opts.verbosity, opts.profile)
    if use_live(out, env, opts.no_progress):
        from .live import LiveSink

        outputs.live = LiveSink(out, opts.verbosity, opts.profile)
        return outputs.live
    return ConsoleSink(out, opts.verbosity, opts.profile)


def _open_text(path: str, flag: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close_files
    except OSError as exc:
        raise _unwritable(path, flag, exc) from None


def _open_binary(path: str, flag: str) -> IO[bytes]:
    try:
        return open(path, "wb")  # noqa: SIM115 - closed by close_files
    except OSError as exc:
        raise _unwritable(path, flag, exc) from None


def _unwritable(path: str, flag: str, exc: OSError) -> OptionsError:
    return OptionsError(f"cannot write {flag} file {path}: {exc.strerror or exc}")


def write_retry_file(path: str, hosts: list[str]) -> None:
    """Failed and unreachable hosts, one per line, for ``--limit @FILE``. With none, a
    retry file left by an earlier run is removed, so the file always tells the last run."""
    if hosts:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{host}\n" for host in hosts))
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
