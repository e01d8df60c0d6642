"""A whole run: load → validate → inventory → plays through the scheduler → reporter."""

from __future__ import annotations

import logging
import math
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import PbeError, ValidationError
from ..events import Event, HostResult, PlayStart, RunEnd, RunStart, RunWarning, TaskEnd, TaskStart
from ..exitcodes import ExitCode
from ..inventory import Inventory, load_inventory
from ..language.loader import load_vars_file
from ..language.model import Play, Playbook, Task
from ..language.playbook import PlaybookLoader, load_playbook
from ..options import RunOptions
from ..reporting import CallbackSink, Reporter, Sink
from ..templating.templar import Templar, TemplateEngine
from ..templating.values import is_template
from ..transport import ConnectionCache
from .executor import Executor, Scope
from .facts import FactStore
from .free import FreeStrategy
from .linear import GATHER_FACTS, LinearStrategy
from .prompts import Prompter, prompted_vars
from .redact import Redactor
from .state import RunState
from .variables import VariableManager

logger = logging.getLogger(__name__)


class InternalError(PbeError):
    exit_code = ExitCode.UNEXPECTED


@dataclass
class RunResult:
    """What a run did. ``ok`` is true when every host finished without failure."""

    exit_code: ExitCode
    stats: dict[str, dict[str, int]]
    results: list[HostResult] = field(default_factory=list)
    failed_hosts: list[str] = field(default_factory=list)
    unreachable_hosts: list[str] = field(default_factory=list)
    interrupted: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == ExitCode.OK

    def __bool__(self) -> bool:
        return self.ok


class _Collector:
    """``RunResult.results``: tasks in run order, a task's hosts in inventory order (as
    the JSON document has them), whatever order the hosts finished in."""

    def __init__(self) -> None:
        self.results: list[HostResult] = []
        self._open: dict[tuple[int, int], tuple[tuple[str, ...], list[HostResult]]] = {}

    def handle(self, event: Event) -> None:
        if isinstance(event, TaskStart):
            self._open[(event.play, event.index)] = (event.hosts, [])
        elif isinstance(event, HostResult):
            task = self._open.get((event.play, event.task))
            (task[1] if task else self.results).append(event)
        elif isinstance(event, TaskEnd) and (
            task := self._open.pop((event.play, event.index), None)
        ):
            rank = {host: n for n, host in enumerate(task[0])}
            self.results.extend(sorted(task[1], key=lambda r: rank.get(r.host, len(rank))))

    def close(self) -> None:
        """A run cut short mid-task still hands over every result it has."""
        for _hosts, pending in self._open.values():
            self.results.extend(pending)
        self._open.clear()


class Runner:
    """Runs one playbook once. Holds all per-run state; nothing is global."""

    reporter: Reporter  # started by run(), so a run that never starts leaves no thread

    def __init__(
        self,
        playbook: Playbook,
        inventory: Inventory,
        options: RunOptions,
        sinks: Sequence[Sink],
        engine: TemplateEngine | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.playbook = playbook
        self.inventory = inventory
        self.options = options
        self.engine = engine or TemplateEngine()
        self.stop = stop or threading.Event()
        self.collector = _Collector()
        self.sinks = [*sinks, self.collector]
        self.redactor = Redactor.for_run(options, inventory)
        self.facts = FactStore()
        self.connections = ConnectionCache()
        self.vm = VariableManager(
            inventory,
            self.facts,
            self.engine,
            options.extra_vars,
            str(Path(playbook.path).resolve().parent),
            options.check,
            options.diff,
        )
        self.executor = Executor(options, self.vm, self.facts, self.engine, self.connections)
        self.executor.loader = PlaybookLoader(self.engine, options.extra_vars)
        self.executor.loader.playbook_dir = Path(playbook.path).resolve().parent
        self.executor.stop = self.stop
        self.state = RunState()
        self.interrupted_code = ExitCode.INTERRUPTED  # the CLI sets TERMINATED on SIGTERM
        self.vm.gone = lambda: self.state.failed | self.state.unreachable
        self.vm.run_tags = list(options.tags) or ["all"]
        self.vm.verbosity = options.verbosity
        self.vm.skip_tags = list(options.skip_tags)
        self.prompter: Prompter | None = None  # the CLI's, on a terminal: vars_prompt asks
        self._prompted: dict[int, dict[str, Any]] = {}

    def run(self) -> RunResult:
        """Run every play. Raises NoHostsMatched before anything starts if --limit is empty,
        OptionsError if a ``vars_prompt`` has no answer."""
        self._limit()
        self._prompted = prompted_vars(self.playbook.plays, self.options.extra_vars, self.prompter)
        started = time.monotonic()
        self.reporter = Reporter(self.sinks, self.redactor.event)
        try:
            self.executor.emit = self.reporter.emit
            self.executor.access.on_secret = self.redactor.add
            self.executor.on_vars = self.redactor.add_vars
            self.executor.scrub = self.redactor.scrub
            self.reporter.emit(RunStart(self.playbook.path, self.options.check, self.options.diff))
            return self._finish(self._run_plays(), started)
        finally:  # whatever happened, every event reaches the sinks and outputs are written
            self.reporter.close()

    def _run_plays(self) -> PbeError | None:
        """Every play; the error that stopped the run, if one did."""
        error: PbeError | None = None
        try:
            self._resolve_secrets(list(self.inventory.hosts), {})  # delegates, hostvars too
            for index, play in enumerate(self.playbook.plays):
                if self.stop.is_set() or self.state.aborted:
                    break
                # --limit again per play: hosts add_host added may match it
                self._run_play(index, play, self._limit())
        except PbeError as exc:
            error = exc
        except KeyboardInterrupt:
            self.state.interrupted = True
        except Exception as exc:  # a bug in pbe: still report what ran, and the recap
            logger.error(
                "internal error\n%s",
                self.redactor.scrub("".join(traceback.format_exception(exc)).rstrip()),
            )
            error = InternalError(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self.executor.jobs.close(self.stop.is_set())  # controller-side async jobs
            self.connections.close_all()
        return error

    def _finish(self, error: PbeError | None, started: float) -> RunResult:
        if self.stop.is_set():  # Ctrl-C, or the API caller's stop event
            self.state.interrupted = True
        if self.state.aborted:
            self.reporter.emit(RunWarning(f"run stopped: {self.state.aborted}"))
        code = self._exit_code(error)
        stats = {h: s.as_dict() for h, s in self.state.stats.items()}
        self.reporter.emit(
            RunEnd(
                stats,
                int(code),
                time.monotonic() - started,
                self.options.check,
                self.state.interrupted,
                str(error) if error else None,
            )
        )
        return RunResult(
            code,
            stats,
            self.collector.results,
            sorted(self.state.failed),
            sorted(self.state.unreachable),
            self.state.interrupted,
            self.redactor.scrub(str(error)) if error else None,
        )

    def _exit_code(self, error: PbeError | None) -> ExitCode:
        if self.state.interrupted:
            return self.interrupted_code
        if error is not None:
            return error.exit_code
        if self.state.unreachable:
            return ExitCode.UNREACHABLE
        if self.state.failed:
            return ExitCode.HOST_FAILED
        return ExitCode.OK

    def _limit(self) -> set[str] | None:
        if not self.options.limit:
            return None
        candidates = self.inventory.select("all") + self.inventory.select("localhost")
        return {h.name for h in self.inventory.limit(candidates, self.options.limit)}

    def _play_hosts(self, play: Play, allowed: set[str] | None) -> list[str]:
        """Every host the play's pattern (and --limit) selects, in the play's order."""
        pattern = play.hosts
        if is_template(pattern):
            pattern = str(self.engine.templar(self.options.extra_vars, play.loc).render(pattern))
        names = [h.name for h in self.inventory.select(pattern)]
        if allowed is not None:
            names = [h for h in names if h in allowed]
        return order_hosts(names, play.order)

    def _play_name(self, play: Play) -> str:
        """The play's name with ``{{ }}`` rendered from play and extra vars, as Ansible does."""
        if not is_template(play.name):
            return play.display_name
        try:
            scope = {**play.vars, **self.options.extra_vars}
            return str(self.engine.templar(scope, play.loc).render(play.name))
        except PbeError:
            return play.display_name

    def _run_play(self, index: int, play: Play, allowed: set[str] | None) -> None:
        selected = self._play_hosts(play, allowed)
        gone = self.state.failed | self.state.unreachable
        hosts = [h for h in selected if h not in gone]
        play_vars = {**play.vars, **self._prompted.get(index, {})}
        self._resolve_secrets(selected, play_vars)  # the play's name may show one
        self.reporter.emit(PlayStart(index, self._play_name(play), tuple(hosts), play.loc))
        if not hosts:
            self._no_hosts(play)
            return
        strategy = self._strategy(play, play_vars)
        play_vars = {**play_vars, **self._vars_files(play, hosts[0])}
        if play.vars_files:
            self._resolve_secrets(selected, play_vars)
        self.executor.access.remote_user = play.remote_user
        roles = (play.role_names(), play.role_names(dependencies=True))
        for batch in serial_batches(hosts, play.serial, play.loc):
            if self.stop.is_set() or self.state.aborted:
                return
            self.vm.start_play(play.display_name, play_vars, selected, batch, roles)
            if self._run_batch(index, play, batch, strategy):
                return  # meta: end_play
            gone = self.state.failed | self.state.unreachable
            if not self.state.aborted and all(h in gone for h in batch):
                # as ansible-playbook: a batch with no host left ends the whole run
                self.state.aborted = (
                    f"every host of play `{self._play_name(play)}` failed or was unreachable"
                )
                return

    def _strategy(self, play: Play, play_vars: Mapping[str, Any]) -> type[LinearStrategy]:
        """The play's strategy class; a templated name is rendered with play and extra vars."""
        name = play.strategy
        if is_template(name):
            scope = {**play_vars, **self.options.extra_vars}
            name = str(self.engine.templar(scope, play.loc).render(name))
        name = {"ansible.builtin.linear": "linear", "ansible.builtin.free": "free"}.get(name, name)
        if name not in ("linear", "free", "host_pinned", "ansible.builtin.host_pinned"):
            raise ValidationError(
                f"unknown strategy `{name}`",
                play.keyword_locs.get("strategy", play.loc),
                "pbe has the linear, free and host_pinned strategies",
            )
        # host_pinned: free, with a host kept on its worker until it is done, which is how
        # pbe's free strategy already runs a host (one thread through the play, forks bound).
        return LinearStrategy if name == "linear" else FreeStrategy

    def _run_batch(
        self, index: int, play: Play, batch: list[str], kind: type[LinearStrategy]
    ) -> bool:
        """One serial batch through the play; True when ``meta: end_play`` ended the play."""
        strategy = kind(
            self.executor,
            self.options.forks,
            self.reporter.emit,
            self.stop,
            self.state,
            play,
            index,
            scope := Scope.of_play(play),
        )
        self.executor.access.prefetch(
            batch,
            lambda host: self.engine.templar(scope.variables(self.vm, host)),
            scope.keywords.get("connection"),
        )
        if gather := self._gather(play, batch):
            strategy.run(
                (
                    Task(
                        action="gather_facts",
                        args=dict(play.gather_args),
                        loc=play.loc,
                        name=GATHER_FACTS,
                        tags=("always",),
                        run_once=False,  # each host's facts, whatever the play says
                    ),
                ),
                gather,
            )
        for section in (play.pre_tasks, play.roles + play.tasks, play.post_tasks):
            if self.stop.is_set() or self.state.aborted or not strategy.active(batch):
                break
            strategy.run(section, batch)
        return strategy.play_ended

    def _resolve_secrets(self, hosts: Sequence[str], play_vars: Mapping[str, Any]) -> None:
        """Render each host's password variables (``"{{ vault_pw }}"``) for the redactor
        before anything about the host is reported, not only when a task first uses one."""
        for host in hosts:
            variables = self.vm.task_vars(host, (play_vars,))
            self.redactor.add_vars(self.engine.templar(variables).vars)

    def _gather(self, play: Play, batch: list[str]) -> list[str]:
        """The hosts whose facts the play gathers: ``gather_facts``, else Ansible's
        ``gathering`` setting (``explicit``: none); ``smart``: not the hosts whose facts
        were gathered already in this run."""
        from ..modules.base import to_bool

        value = play.gather_facts
        gathering = settings.current()["DEFAULT_GATHERING"]
        if value is None:
            wanted = gathering != "explicit"
        else:
            if is_template(value):
                value = self.engine.templar(self.options.extra_vars, play.loc).render(value)
            try:
                wanted = to_bool(value)
            except ValueError as exc:
                raise ValidationError(f"gather_facts: {exc}", play.loc) from None
        if not wanted:
            return []
        if gathering == "smart":
            return [h for h in batch if "module_setup" not in self.facts.facts(h)]
        return batch

    def _no_hosts(self, play: Play) -> None:
        message = f"no hosts matched for play `{play.display_name}` (hosts: {play.hosts})"
        if self.options.strict:
            raise PbeError(message + " (--strict)", play.loc)
        self.reporter.emit(RunWarning(message + "; skipping", play.loc))

    def _vars_files(self, play: Play, host: str) -> dict[str, Any]:
        """The play's vars_files; an entry that is a list is the first of its files that
        exists (its names may use the play's, extra and inventory variables, as
        ``{{ ansible_os_family }}.yml`` does: those of the play's first host)."""
        base = Path(play.loc.file).parent  # an imported playbook's own directory
        merged: dict[str, Any] = {}
        for entry in play.vars_files:
            names = entry if isinstance(entry, list) else [entry]
            paths = [base / str(self._vars_file_templar(play, host).render(n)) for n in names]
            path = next((p for p in paths if p.is_file()), None)
            if path is None:
                raise ValidationError(
                    f"vars file not found: {', '.join(map(str, paths))}",
                    play.keyword_locs.get("vars_files", play.loc),
                )
            merged.update(load_vars_file(path, listed=True))
        return merged

    def _vars_file_templar(self, play: Play, host: str) -> Templar:
        scope = {**self.vm.host_scope(host), **play.vars, **self.options.extra_vars}
        return self.engine.templar(scope, play.loc)


def order_hosts(hosts: list[str], order: str) -> list[str]:
    """The play's ``order``: inventory (default), reverse_inventory, sorted, reverse_sorted,
    shuffle."""
    if order == "reverse_inventory":
        return hosts[::-1]
    if order in ("sorted", "reverse_sorted"):
        return sorted(hosts, reverse=order == "reverse_sorted")
    if order == "shuffle":
        import random

        return random.sample(hosts, len(hosts))
    return hosts


def serial_batches(hosts: list[str], serial: Any, loc: Any = None) -> list[list[str]]:
    """Split hosts per ``serial`` (int, 'N%', or a list of those; the last size repeats)."""
    if serial in (None, 0, "0", [], "100%"):
        return [hosts]
    sizes = serial if isinstance(serial, list) else [serial]
    out: list[list[str]] = []
    i = 0
    step = 0
    while i < len(hosts):
        spec = sizes[min(step, len(sizes) - 1)]
        size = _batch_size(spec, len(hosts), loc)
        out.append(hosts[i : i + size])
        i += size
        step += 1
    return out


def _batch_size(spec: Any, total: int, loc: Any) -> int:
    text = str(spec).strip()
    try:
        if text.endswith("%"):
            return max(1, math.floor(total * float(text[:-1]) / 100))
        return max(1, int(text))
    except ValueError:
        raise ValidationError(f"serial: {spec!r} is not a number or percentage", loc) from None


def run(
    playbook: str | Path,
    inventory: Any = None,
    *,
    options: RunOptions | None = None,
    on_event: Callable[[Event], None] | None = None,
    sinks: Sequence[Sink] = (),
    stop: threading.Event | None = None,
    **kwargs: Any,
) -> RunResult:
    """Run a playbook. Never prints (unless given sinks) and never exits the process.

    Raises:
        ValidationFailed: the playbook or inventory is invalid (nothing was run).
        OptionsError: an option is wrong.
    """
    opts = options or RunOptions(**kwargs)
    engine = TemplateEngine()
    book = load_playbook(playbook, engine, opts.extra_vars)
    inv = load_inventory(inventory)
    all_sinks = [*sinks, *([CallbackSink(on_event)] if on_event else [])]
    return Runner(book, inv, opts, all_sinks, engine, stop).run()
