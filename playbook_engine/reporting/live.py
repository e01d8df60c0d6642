"""The live terminal view (``rich``): for an operator watching a fleet-wide run.

While a task runs, the bottom of the screen shows it with a bar of hosts done/total, the
counts so far and the elapsed time. Above it the run scrolls by: play and task headers,
each failure the moment it happens (host, task, message), then per task the hosts by
status and any output asked for (``debug``, ``--diff``, ``-v``). At the end the recap is
a coloured table. Only used on a terminal; ``outputs.use_live`` decides.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from ..events import (
    CommandSent,
    Event,
    HostResult,
    PlayStart,
    RunEnd,
    RunStart,
    RunWarning,
    TaskEnd,
    TaskStart,
)
from .console import check_summary
from .profile import Profile
from .text import RECAP_KEYS, STATUS_WORDS, ResultFormatter, command_lines

STYLES = {
    "ok": "green",
    "changed": "yellow",
    "failed": "bold red",
    "unreachable": "bold red",
    "skipped": "cyan",
    "unpredictable": "magenta",
    "rescued": "blue",
    "ignored": "yellow",
}
COUNTED = ("ok", "changed", "failed", "unreachable", "skipped")
MAX_NAMES = 12  # hosts listed per status line after a task; the rest are counted
MAX_LINES = 20  # stderr lines shown under a failure without -v
REDRAW_EVERY = 0.1  # seconds; between results the live area is redrawn at most this often


class LiveSink:
    def __init__(
        self, out: TextIO, verbosity: int = 0, profile: bool = False, console: Console | None = None
    ) -> None:
        self.console = console or Console(file=out, highlight=False)
        self.verbosity = verbosity
        self.formatter = ResultFormatter(verbosity)
        self.profile = Profile() if profile else None
        self.status = _Status()
        self._live = Live(
            get_renderable=self.status.render,
            console=self.console,
            refresh_per_second=8,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._hosts: tuple[str, ...] = ()
        self._buffer: list[HostResult] = []
        self._results = self._unknown = 0
        self._drawn = 0.0

    # -- events -------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if self.profile is not None:
            self.profile.handle(event)
        if isinstance(event, RunStart):
            self._live.start()
            if event.check:
                self._print(Text("(check mode: no changes will be made)", style="magenta"))
        elif isinstance(event, PlayStart):
            self.console.rule(Text(f"PLAY [{event.name}]", style="bold"), align="left")
        elif isinstance(event, TaskStart):
            self._task_start(event)
        elif isinstance(event, HostResult):
            self._result(event)
        elif isinstance(event, TaskEnd):
            self._task_end()
        elif isinstance(event, CommandSent):
            if self.verbosity >= 2:
                self._print(Text(command_lines(event.host, event.command), style="dim"))
        elif isinstance(event, RunWarning):
            where = f"{event.loc}: " if event.loc else ""
            self._print(Text(f"[WARNING]: {where}{event.message}", style="yellow"))
        elif isinstance(event, RunEnd):
            self._live.stop()
            self._end(event)

    def close(self) -> None:
        self._live.stop()

    def log(self, text: str) -> None:
        """A log record (``-vvv``), printed above the live area."""
        self._print(Text(text, style="dim"))

    def _print(self, renderable: RenderableType) -> None:
        self.console.print(renderable, soft_wrap=True)

    def _task_start(self, event: TaskStart) -> None:
        self._hosts, self._buffer = event.hosts, []
        kind = "HANDLER" if event.is_handler else "TASK"
        self.status.start_task(f"{kind} [{event.name}]", len(event.hosts))
        self._redraw(force=True)
        self._print(Text(f"{kind} [{event.name}]", style="bold"))

    def _redraw(self, force: bool = False) -> None:
        """Draw the live area now (prints above it reuse the last drawing)."""
        now = time.monotonic()
        if force or now - self._drawn > REDRAW_EVERY:
            self._drawn = now
            self._live.refresh()

    def _result(self, res: HostResult) -> None:
        self._results += 1
        self._unknown += res.unknown
        self.status.count(res)
        self._redraw()
        if res.status in ("unreachable", "failed") and not res.ignored:
            self._print(self._failure(res))
        else:
            self._buffer.append(res)

    def _failure(self, res: HostResult) -> Text:
        """A failure as it happens: host, task and message, then what explains it."""
        word = "UNREACHABLE" if res.status == "unreachable" else "FAILED"
        first, *rest = (res.message or res.status).splitlines() or [""]
        text = Text(f"  {word} [{res.host}] {res.task_name}: {first}", style="bold red")
        more = rest
        if self.verbosity > 0:
            more = rest + self.formatter.details(res.result).splitlines()
        elif (stderr := str(res.result.get("stderr") or "")) and stderr != res.message:
            more = rest + stderr.splitlines()[-MAX_LINES:]
        for line in more:
            text.append(f"\n      {line}", style="red")
        return text

    def _task_end(self) -> None:
        rank = {h: i for i, h in enumerate(self._hosts)}
        quiet: dict[str, list[str]] = {}
        for res in sorted(self._buffer, key=lambda r: rank.get(r.host, len(rank))):
            shown = self.formatter.result(res)
            style = STYLES["ignored" if res.ignored else res.status]
            if shown == f"{STATUS_WORDS.get(res.status, res.status)}: [{res.host}]":
                quiet.setdefault(res.status, []).append(res.host)
            else:
                self._print(
                    Text("\n".join(f"  {line}" for line in shown.splitlines()), style=style)
                )
        for status, hosts in quiet.items():
            self._print(Text(f"  {STATUS_WORDS[status]}: {_names(hosts)}", style=STYLES[status]))
        self._buffer = []
        self.status.end_task()
        self._redraw(force=True)

    def _end(self, end: RunEnd) -> None:
        self.console.print()
        self.console.print(recap_table(end))
        if end.check:
            self._print(Text(check_summary(self._results, self._unknown), style="magenta"))
        if end.interrupted:
            self._print(Text("interrupted: stopped at a task boundary", style="bold yellow"))
        if self.profile is not None:
            self.console.print(profile_tables(self.profile))
        style = "green" if end.exit_code == 0 else "bold red"
        self._print(
            Text(f"finished in {_clock(end.duration)}, exit code {end.exit_code}", style=style)
        )


class _Status:
    """What the live area shows; updated by the reporter thread, drawn by rich's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.task = "starting"
        self.total = 0
        self.done = 0
        self.counts = dict.fromkeys(COUNTED, 0)
        self.spinner = Spinner("dots", style="cyan")

    def start_task(self, title: str, hosts: int) -> None:
        with self._lock:
            self.task, self.total, self.done = title, hosts, 0

    def end_task(self) -> None:
        with self._lock:
            self.done = self.total

    def count(self, res: HostResult) -> None:
        key = "ok" if res.ignored else "skipped" if res.status == "unpredictable" else res.status
        with self._lock:
            self.done += 1
            self.counts[key] = self.counts.get(key, 0) + 1

    def render(self) -> RenderableType:
        with self._lock:
            task, total, done, counts = self.task, self.total, self.done, dict(self.counts)
        line = Table.grid(padding=(0, 1))
        line.add_row(
            self.spinner,
            Text(task, style="bold", overflow="ellipsis", no_wrap=True),
            ProgressBar(total=max(total, 1), completed=done, width=30),
            Text(f"{done}/{total} hosts"),
        )
        tally = Text("  ")
        for key in COUNTED:
            tally.append(f"{key} {counts[key]}", style=STYLES[key] if counts[key] else "dim")
            tally.append("  ")
        tally.append(_clock(time.monotonic() - self.started), style="dim")
        return Group(line, tally)


def recap_table(end: RunEnd) -> Table:
    """PLAY RECAP as a table; a host's name is red if it failed, yellow if it changed."""
    table = Table(title="PLAY RECAP", title_justify="left", title_style="bold")
    table.add_column("host")
    for key in RECAP_KEYS:
        table.add_column(key, justify="right")
    for host, stats in end.stats.items():
        bad = stats["failed"] or stats["unreachable"]
        name_style = "bold red" if bad else "yellow" if stats["changed"] else "green"
        cells = [Text(str(stats[k]), style=STYLES[k] if stats[k] else "dim") for k in RECAP_KEYS]
        table.add_row(Text(host, style=name_style), *cells)
    return table


def profile_tables(profile: Profile) -> Group:
    tasks = Table(title="SLOWEST TASKS", title_justify="left", title_style="bold")
    for name, justify in (("seconds", "right"), ("play", "left"), ("task", "left")):
        tasks.add_column(name, justify=justify)  # type: ignore[arg-type]
    for t in profile.slowest():
        tasks.add_row(f"{t.duration:.2f}", t.play, t.name)
    hosts = Table(title="HOST TOTALS", title_justify="left", title_style="bold")
    hosts.add_column("host")
    hosts.add_column("seconds", justify="right")
    for host, seconds in sorted(profile.hosts.items(), key=lambda hs: -hs[1]):
        hosts.add_row(host, f"{seconds:.2f}")
    return Group(tasks, hosts)


def _names(hosts: Iterable[str]) -> str:
    names = list(hosts)
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES} more)" if len(names) > MAX_NAMES else "")


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))
