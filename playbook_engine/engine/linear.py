"""The linear strategy, and what the free one shares with it: which task runs on which hosts
when. Threads are bounded by a BoundedSemaphore(forks).

Each host walks the play through its own ``HostIterator`` (block/rescue/always aware). The
linear strategy runs the earliest pending task on every host that has it, waits for all of
them, then moves on; a failed or unreachable host stops getting tasks, the others go on.
The free strategy drives each host's walk on its own thread.

Both strategies take a host's result in through the same code (``_settle``: the walk gets
it, it is counted, it notifies handlers) under one lock, ``_lock``, which guards the run
state, the notified handlers and the ended hosts. No lock is held while a task runs.
"""

from __future__ import annotations

import fnmatch
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from .. import settings
from ..events import Event, HostResult, TaskEnd, TaskStart
from ..language.model import Block, Play, Task, TaskItem
from ..templating.values import is_template
from .executor import Executor, Scope, internal_error
from .handlers import HandlerIndex
from .iterator import HostIterator, Step, task_order
from .state import RunState, bypasses_hosts, changes_inventory, expands, sets_vars
from .tags import selected
from .workers import Workers, truthy

logger = logging.getLogger(__name__)

Results = dict[str, HostResult]
Dispatched = tuple[Results, frozenset[str]]  # the results, and the hosts not to count
_IN_FLUSH = "a handler failed in this flush"  # meta: flush_handlers' result for the block
GATHER_FACTS = "Gathering Facts"  # the implicit setup task; --start-at-task keeps it


class LinearStrategy:
    """Every host runs the same task in parallel; the next task starts when all are done.

    One instance runs one batch of one play: its sections, and the handlers they notify.
    """

    def __init__(
        self,
        executor: Executor,
        forks: int,
        emit: Callable[[Event], None],
        stop: threading.Event,
        state: RunState,
        play: Play,
        play_idx: int,
        scope: Scope,
    ) -> None:
        self.executor = executor
        self.forks = forks
        self.emit = emit
        self.stop = stop
        self.state = state
        self.play = play
        self.play_idx = play_idx
        self.scope = scope
        self._lock = threading.RLock()  # state, notified, ended, _seq; never held over a task
        self._orders: dict[tuple[int, ...], dict[int, int]] = {}
        self.notified: dict[int, list[str]] = {}  # handler (its index) -> hosts to run it
        # each handler runs in the scope it was written in: its role's, an import's
        self._handler_scopes = [
            functools.reduce(Scope.enter, play.handler_blocks.get(h.uid, ()), scope)
            for h in play.handlers
        ]
        self._handlers = HandlerIndex(play, self._handler_name)
        self.ended: set[str] = set()  # meta: end_host / end_play
        self.handler_failed: set[str] = set()  # failed in a handler a flush ran
        self.play_ended = False  # meta: end_play: later batches too
        # any_errors_fatal, linear: why the play will stop once the batch has run the
        # rescue/always sections it is in; the hosts already sent there
        self._fatal: str | None = None
        self._failed_everyone: set[str] = set()
        self._to_fail: set[str] = set()  # to fail as soon as they leave their always section
        self._in_handler = threading.local()  # walking a handler's include
        self._roles_done: dict[str, set[str]] = {}  # per host: the roles it completed
        self._seq = 0

    def _add_handler(self, handler: Task, blocks: tuple[Block, ...]) -> None:
        """A handler of a role read at run time: known from now on, in its role's scope.
        Called with ``_lock`` held."""
        self._handler_scopes.append(functools.reduce(Scope.enter, blocks, self.scope))
        if self._handlers.add(handler, blocks) is None:  # another host's include brought it
            self._handler_scopes.pop()

    def _handler_name(self, name: str, handler: Task, index: int) -> str:
        """A handler's name rendered with play, its role's (defaults too) and extra vars
        (``restart {{ svc }}``); as written when it needs more."""
        return self.executor.render_name(name, handler.loc, self._handler_scopes[index])

    def active(self, hosts: Sequence[str]) -> list[str]:
        with self._lock:
            gone = self.state.failed | self.state.unreachable | self.ended
        return [h for h in hosts if h not in gone]

    def run(self, items: Sequence[TaskItem], hosts: Sequence[str]) -> None:
        """Run a section (pre_tasks, tasks …) on ``hosts``, then flush its handlers."""
        self._walk(items, self.active(hosts))
        self.flush_handlers(hosts)

    def _stopping(self) -> bool:
        return self.stop.is_set() or bool(self.state.aborted)

    def _iterator(
        self, items: Sequence[TaskItem], host: str, handler_scope: Scope | None = None
    ) -> HostIterator:
        """A host's walk; a notified handler's (``handler_scope``) runs whatever the tags."""
        wanted = functools.partial(self._wanted, host=host) if handler_scope is None else _always
        return HostIterator(
            items,
            handler_scope or self.scope,
            self._remember_failure,
            wanted,
            functools.partial(self.executor.take_expansion, host),
            self._order_of,
            self._roles_done.setdefault(host, set()),
        )

    def _walk(
        self, items: Sequence[TaskItem], hosts: Sequence[str], handler_scope: Scope | None = None
    ) -> None:
        try:
            self._walk_hosts(items, hosts, handler_scope)
        finally:
            if handler_scope is None:
                self._end_fatal(hosts)

    def _end_fatal(self, hosts: Sequence[str]) -> None:
        """any_errors_fatal: once the hosts have run their rescue/always sections, the play
        (and the run) stops, unless ``meta: clear_host_errors`` cleared every failure."""
        with self._lock:
            if self._fatal and not self.state.aborted and self.state.failed & set(hosts):
                self.state.aborted = self._fatal
            self._fatal = None
            self._failed_everyone.clear()
            self._to_fail.clear()

    def _walk_hosts(
        self, items: Sequence[TaskItem], hosts: Sequence[str], handler_scope: Scope | None
    ) -> None:
        iterators: dict[str, HostIterator] = {}
        pending: dict[str, Step] = {}
        for host in hosts:
            iterators[host] = self._iterator(items, host, handler_scope)
            if (step := iterators[host].first()) is not None:
                pending[host] = step
        while pending and not self._stopping():
            with self._lock:  # end_play from another position ends these hosts too
                for host in self.ended.intersection(pending):
                    pending.pop(host)
                if handler_scope is None:  # a handler that failed in a flush ends its host
                    for host in self.handler_failed.intersection(pending):
                        pending.pop(host)
            if not pending:
                return
            first = min(key for _, _, key in pending.values())
            leader = next(h for h in hosts if h in pending and pending[h][2] == first)
            task, task_scope, _ = pending[leader]
            # same position, same task: hosts that included different files wait a round
            group = [
                h
                for h in hosts
                if h in pending and pending[h][2] == first and pending[h][0].uid == task.uid
            ]
            results, uncounted = self._dispatch(task, task_scope, group)
            rescued = False
            for host in group:
                res = results.get(host)
                step = None
                if res is not None:
                    step = self._settle(task, iterators[host], res, host not in uncounted)
                    rescued |= iterators[host].rescued_last
                self._advance_to(pending, host, step)
            self._after_task(task, task_scope, (results, rescued), iterators, pending, hosts)

    def _after_task(
        self,
        task: Task,
        scope: Scope,
        outcome: tuple[dict[str, HostResult], bool],
        iterators: dict[str, HostIterator],
        pending: dict[str, Step],
        hosts: Sequence[str],
    ) -> None:
        """any_errors_fatal and max_fail_percentage, once a task has run on its group."""
        results, rescued = outcome
        if rescued and truthy(self._fatal_of(task, scope)):
            self._rescue_everyone(task, iterators, pending)
        with self._lock:
            fatal = self._check_fatal(task, scope, results, hosts, defer=True)
        if fatal or self._to_fail:
            self._fail_everyone(task, iterators, pending, fatal)

    def _settle(self, task: Task, it: HostIterator, res: HostResult, counted: bool) -> Step | None:
        """Take one host's result in (both strategies): unless the host has ended, its walk
        gets the result, which is counted (``counted``) and notifies; the host's next step."""
        with self._lock:
            if res.host in self.ended:
                it.rescued_last = False
                return None
            in_flush = not counted and res.result.get("msg") is _IN_FLUSH
            if in_flush:  # a handler failed in this flush: the host's walk takes it from here
                self.handler_failed.discard(res.host)
            if expands(task.action) and res.status in ("ok", "changed"):
                for handler, blocks in self.executor.take_handlers(res.host, task):
                    self._add_handler(handler, blocks)  # roles read only now
            step = it.send(res, counted)
            if task.action == "include_role" and res.status in ("ok", "changed"):
                self._handlers.include(task)  # its role's handlers, after the others
            if counted:
                self._account(task, res, it.rescued_last)
            elif in_flush and it.rescued_last:
                self.state.rescue_failure(res.host)
            return step

    @staticmethod
    def _advance_to(pending: dict[str, Step], host: str, step: Step | None) -> None:
        if step is None:
            pending.pop(host, None)
        else:
            pending[host] = step

    def _fatal_of(self, task: Task, scope: Scope) -> Any:
        fatal = scope.keyword(task, "any_errors_fatal", None)
        return self.play.any_errors_fatal if fatal is None else fatal

    def _fail_everyone(
        self,
        task: Task,
        iterators: dict[str, HostIterator],
        pending: dict[str, Step],
        failed: Sequence[str],
    ) -> None:
        """any_errors_fatal, a failure nothing rescued: every other host of the batch fails
        too (once), so each goes to the rescue or always section it is in, or stops, as in
        Ansible; one inside an always section first finishes it. The play stops after that
        (``_end_fatal``). Not counted."""
        with self._lock:
            self._to_fail |= {h for h in pending if h not in failed} - self._failed_everyone
            self._failed_everyone.update(pending)
            self._to_fail &= set(pending)
            due = {h for h in self._to_fail if not iterators[h].in_always}
            self._to_fail -= due
        self._rescue_everyone(task, iterators, pending, only=due)

    def _rescue_everyone(
        self,
        task: Task,
        iterators: dict[str, HostIterator],
        pending: dict[str, Step],
        only: set[str] | None = None,
    ) -> None:
        """any_errors_fatal: one host's failure in a block sends every host of the batch
        that is inside a rescuable block to the rescue (Ansible >= 2.17); with ``only``,
        those hosts wherever they are. Not counted."""
        for host in list(pending):
            it = iterators[host]
            if (host not in only) if only is not None else not it.rescuable:
                continue
            nudge = self._fatal_nudge(task, host)
            self._advance_to(pending, host, self._settle(task, it, nudge, counted=False))

    def _fatal_nudge(self, task: Task, host: str) -> HostResult:
        """The failure any_errors_fatal gives a host another host's failure stops."""
        return HostResult(
            self.play_idx,
            -1,
            task.display_name,
            task.action,
            host,
            "failed",
            {"failed": True, "msg": "any_errors_fatal: another host failed"},
            0.0,
        )

    def _check_fatal(
        self,
        task: Task,
        scope: Scope,
        results: dict[str, HostResult],
        batch: Sequence[str],
        defer: bool = False,
    ) -> list[str]:
        """any_errors_fatal and max_fail_percentage end the play (and the run) for all.
        With ``defer`` (linear), any_errors_fatal only records why and returns the hosts
        that failed: the others are then failed too and run their rescue/always first.
        Called with ``_lock`` held."""
        failed = [h for h, r in results.items() if h in self.state.failed]
        if failed and truthy(self._fatal_of(task, scope)):
            why = f"any_errors_fatal: task `{task.display_name}` failed on {', '.join(failed)}"
            if not defer:
                self.state.aborted = why
                return []
            self._fatal = self._fatal or why
            return failed
        limit = self.play.max_fail_percentage
        if limit is None or not batch:
            return []
        gone = [h for h in batch if h in self.state.failed | self.state.unreachable]
        if len(gone) * 100 / len(batch) > float(limit):
            self.state.aborted = (
                f"max_fail_percentage {limit}% exceeded: {len(gone)} of {len(batch)} hosts failed"
            )
        return []

    def _order_of(self, items: Sequence[TaskItem]) -> dict[int, int]:
        """Positions of tasks within one list (cached: included files are shared)."""
        key = tuple(item.uid for item in items)
        with self._lock:
            if key not in self._orders:
                self._orders[key] = task_order(items)
            return self._orders[key]

    def _dispatch(self, task: Task, scope: Scope, group: list[str]) -> Dispatched:
        if task.name != GATHER_FACTS:
            self.state.started = True  # --start-at-task: reached; everything after runs
        if task.meta is not None:
            return self._meta(task, scope, group)
        if truthy(scope.keyword(task, "run_once", False)):
            return self._run_once(task, scope, group)
        if bypasses_hosts(task.action):
            return self._bypass(task, scope, group)
        return self.run_task(task, scope, group), frozenset()

    def _bypass(self, task: Task, scope: Scope, group: list[str]) -> Dispatched:
        """add_host, pause: once, on the first host; the others move on without a result
        of their own (Ansible neither counts nor registers it for them)."""
        first = self.run_task(task, scope, group[:1]).get(group[0])
        if first is None:
            return {}, frozenset()
        copies = {h: replace(first, host=h) for h in group[1:]}
        return {group[0]: first, **copies}, frozenset(copies)

    def _meta(self, task: Task, scope: Scope, group: list[str]) -> Dispatched:
        """Flow control, for the hosts whose ``when`` holds: not shown, not counted. Hosts
        it skips are shown as skipped (not counted either), as Ansible does."""
        checked = {h: self._execute(task, h, scope, -1) for h in group}
        self._show_meta(task, checked)
        hosts = [h for h in group if checked[h].status == "ok"]
        uncounted = frozenset(h for h, r in checked.items() if r.status != "failed")
        if task.meta == "flush_handlers":
            for host in self.flush_handlers(hosts, walking=True):  # its block sees a failure
                checked[host] = replace(
                    checked[host], status="failed", result={"failed": True, "msg": _IN_FLUSH}
                )
        elif task.meta == "end_host":
            with self._lock:
                self.ended.update(hosts)
        elif task.meta in ("end_batch", "end_play") and hosts:
            with self._lock:  # the whole batch; end_play: and the batches after it
                self.ended.update(self.play_hosts_seen(group))
                self.play_ended |= task.meta == "end_play"
        elif task.meta == "refresh_inventory" and hosts:
            self._refresh_inventory(group)
        elif task.meta == "clear_host_errors" and hosts:
            with self._lock:  # every host of the play is no longer failed (the walks of
                # hosts that stopped stay stopped; one in an always section goes on)
                self.state.failed -= self.play_hosts_seen(group)
        elif task.meta == "clear_facts":
            for host in hosts:
                self.executor.facts.clear(host)
        elif task.meta == "reset_connection":
            for host in hosts:
                self.executor.connections.drop(host)
        return checked, uncounted

    def _refresh_inventory(self, group: list[str]) -> None:
        """Read the inventory again; a host of the play it no longer has runs no more
        tasks (as in Ansible, it leaves the play quietly)."""
        vm = self.executor.vm
        vm.inventory.refresh()
        vm.inventory_changed()
        with self._lock:
            self.ended.update(h for h in self.play_hosts_seen(group) if h not in vm.inventory.hosts)

    def _show_meta(self, task: Task, checked: Results) -> None:
        """A meta task's failures (its ``when`` could not be evaluated) and skips, each
        shown as one task."""
        for status in ("failed", "skipped"):
            if shown := [r for r in checked.values() if r.status == status]:
                self._report(task, shown)

    def _run_once(self, task: Task, scope: Scope, group: list[str]) -> Dispatched:
        """Run on the first host only; every host gets (and registers) that result."""
        first = self.run_task(task, scope, group[:1]).get(group[0])
        if first is None:
            return {}, frozenset()
        if task.register:
            for host in group[1:]:
                self.executor.facts.set_vars(host, {task.register: first.result})
        facts = first.result.get("ansible_facts")
        if first.status in ("ok", "changed") and isinstance(facts, dict) and sets_vars(task):
            # set_fact/include_vars: every host of the batch gets them, as in Ansible, even
            # one not at this task (run_once on a dynamic include's tasks)
            for host in self.active(self.executor.vm.play_batch):
                if host != group[0]:
                    self.executor.facts.set_vars(host, facts)
        copies = {h: replace(first, host=h) for h in group[1:]}
        return {group[0]: first, **copies}, frozenset(copies)

    def play_hosts_seen(self, group: list[str]) -> set[str]:
        return set(self.executor.vm.play_batch) | set(group)

    def flush_handlers(self, hosts: Sequence[str], walking: bool = False) -> set[str]:
        """Run the handlers ``hosts`` notified, in definition order, each on the hosts that
        asked; other hosts' notifications wait for their own flush. A handler notified by
        another one runs in the same flush if it comes later in the order, else (itself, or
        an earlier one) at the next flush, as in Ansible: so notify loops end with the play.
        ``walking``: a ``meta: flush_handlers`` the hosts reached, where one that failed
        before (in the ``always`` section of its block) runs its handlers, as in Ansible.
        Returns the hosts a handler failed on."""
        given = self.play.force_handlers
        forced = self.executor.options.force_handlers if given is None else truthy(given)
        with self._lock:
            before = set(self.state.failed)
        excused = before if walking else set()
        broken: set[str] = set()  # hosts a handler of this flush failed on
        try:
            for index in list(self._handlers.order) if self._notified_any(hosts) else []:
                targets = self._handler_targets(index, hosts, forced, excused, broken)
                if targets and not self.stop.is_set():
                    handler, scope = self._handlers.handlers[index], self._handler_scopes[index]
                    broken |= self._run_handler(handler, scope, targets)
        finally:  # a host a handler failed on goes no further (its later tasks don't run)
            with self._lock:
                failed = (self.state.failed - before) & set(hosts)
                self.handler_failed |= failed
        return failed

    def _run_handler(self, handler: Task, scope: Scope, targets: list[str]) -> set[str]:
        """A handler on the hosts that notified it; one that includes tasks (include_tasks,
        include_role) walks what it includes, as the tasks of a play do; a meta one acts
        as a meta task does (not shown, not counted). Returns the hosts it failed on."""
        if expands(handler.action) or handler.meta is not None:
            with self._lock:
                healthy = set(targets) - self.state.failed
            self._in_handler.on = True  # what it includes shows as handlers too
            try:
                self._walk((handler,), targets, scope)
            finally:
                self._in_handler.on = False
            with self._lock:
                return healthy & self.state.failed
        once = truthy(scope.keyword(handler, "run_once", False))
        results = self.run_task(handler, scope, targets[:1] if once else targets, is_handler=True)
        if once and handler.register and (first := results.get(targets[0])) is not None:
            for host in targets[1:]:  # run_once: the others register its result, as tasks do
                self.executor.facts.set_vars(host, {handler.register: first.result})
        with self._lock:
            for res in results.values():
                self._account(handler, res, rescued=False)
        return {h for h, r in results.items() if r.status == "failed" and not r.ignored}

    def _notified_any(self, hosts: Sequence[str]) -> bool:
        with self._lock:
            return any(h in wanted for wanted in self.notified.values() for h in hosts)

    def _handler_targets(
        self,
        index: int,
        hosts: Sequence[str],
        forced: bool,
        excused: set[str],
        broken: set[str],
    ) -> list[str]:
        """Which of ``hosts`` notified handler ``index`` and may still run it (a failed
        host only when ``forced`` or ``excused``; never one a handler of this flush failed
        on, forced or not, as in Ansible). Clears their notifications (run now or never:
        failed, unreachable, ended), nobody else's."""
        with self._lock:
            eligible = set(hosts) - self.state.unreachable - self.ended
            eligible -= broken
            if not forced:
                eligible -= self.state.failed - excused
            wanted = self.notified.pop(index, [])
            if rest := [h for h in wanted if h not in hosts]:
                self.notified[index] = rest
            return [h for h in hosts if h in eligible and h in wanted]

    def _wanted(self, task: Task, scope: Scope, host: str | None = None) -> bool:
        opts = self.executor.options
        if (
            opts.start_at_task
            and not self.state.started
            and task.name != GATHER_FACTS
            and not fnmatch.fnmatchcase(task.name or "", opts.start_at_task)
        ):
            return False
        return selected(self._tags(task, scope, host), opts.tags, opts.skip_tags)

    def _tags(self, task: Task, scope: Scope, host: str | None) -> list[str]:
        """The task's tags with its play's, roles' and blocks'; a templated one
        (``tags: "{{ my_tags }}"``) rendered with the host's variables, as Ansible does."""
        tags = scope.tags + task.tags
        if host is None or not any(map(is_template, tags)):
            return list(tags)
        vm = self.executor.vm
        templar = self.executor.engine.templar(scope.variables(vm, host, task), task.loc)
        out: list[str] = []
        for tag in tags:
            value = templar.render(tag) if is_template(tag) else tag
            if isinstance(value, str):
                out += [t.strip() for t in value.split(",") if t.strip()]
            else:
                out += [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        return out

    def _remember_failure(self, task: Task, scope: Scope, result: HostResult) -> None:
        """What a rescue reads of the failure: the task's own name, rendered (never
        ``ROLE : ``; empty for an unnamed task), as Ansible gives it."""
        self.executor.facts.set_vars(
            result.host,
            {
                "ansible_failed_task": {
                    "name": self.executor.own_name(task, scope) if task.name else "",
                    "action": result.action,
                },
                "ansible_failed_result": result.result,
            },
        )

    def _account(self, task: Task, res: HostResult, rescued: bool) -> None:
        """Count a result and record its notifications. Called with ``_lock`` held."""
        self.state.count(res, rescued)
        if res.status == "unreachable" and not res.ignored:
            self.state.unreachable.add(res.host)
        elif res.status == "failed" and not res.ignored and not rescued:
            self.state.failed.add(res.host)
        elif res.status == "changed":
            # a name or a listen topic: every handler it reaches
            for name in res.notify:
                for index in self._handlers.reached(name):
                    hosts = self.notified.setdefault(index, [])
                    if res.host not in hosts:
                        hosts.append(res.host)

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def _execute(self, task: Task, host: str, scope: Scope, seq: int) -> HostResult:
        """The executor's result; should it raise all the same, a failed one: a worker's
        exception must never lose the host's result."""
        started = time.monotonic()
        try:
            res = self.executor.execute(task, host, scope, self.play_idx, seq)
        except Exception as exc:
            logger.exception("internal error running %s on %s", task.action, host)
            return internal_error(task, scope, host, (self.play_idx, seq), exc, started)
        return self._unheard(res) or res

    def _unheard(self, res: HostResult) -> HostResult | None:
        """A change notifying a name no handler answers to fails, as in Ansible (which
        stops the whole run there): validation could not tell, the name being rendered per
        host or the task coming from a file included at run time."""
        with self._lock:
            unheard = [name for name in res.notify if not self._handlers.reached(name)]
        if not unheard:
            return None
        names = ", ".join(f"`{name}`" for name in unheard)
        message = f"notify names no handler of this play: {names}"
        if not settings.current()["ERROR_ON_MISSING_HANDLER"]:  # the setting: a warning
            warnings = [*res.result.get("warnings", ()), message]
            return replace(res, result={**res.result, "warnings": warnings})
        result = {**res.result, "failed": True, "msg": message}
        return replace(res, status="failed", result=result, ignored=False, notify=())

    def _report(
        self,
        task: Task,
        results: Sequence[HostResult],
        is_handler: bool = False,
        seq: int | None = None,
    ) -> None:
        """A task's start, results and end in one piece, so no other task's events land in
        between (the free strategy reports each host's task when it ends)."""
        with self._lock:
            seq = self._next_seq() if seq is None else seq
            self.emit(
                TaskStart(
                    self.play_idx,
                    seq,
                    results[0].task_name if results else self.executor.name_of(task),
                    task.action,
                    tuple(r.host for r in results),
                    task.loc,
                    is_handler,
                )
            )
            for res in results:
                self.emit(replace(res, task=seq))
            self.emit(TaskEnd(self.play_idx, seq))

    def run_task(
        self, task: Task, scope: Scope, hosts: Sequence[str], is_handler: bool = False
    ) -> dict[str, HostResult]:
        """Run one task on ``hosts`` in parallel, at most ``forks`` at a time."""
        is_handler = is_handler or getattr(self._in_handler, "on", False)
        seq, play_idx = self._next_seq(), self.play_idx
        self.emit(
            TaskStart(
                play_idx,
                seq,
                self.executor.name_of(task, scope, hosts[0] if hosts else None),
                task.action,
                tuple(hosts),
                task.loc,
                is_handler,
            )
        )
        throttle = int(task.throttle) if str(task.throttle or "").isdigit() else 0
        if changes_inventory(task.action):
            # one host after the other, in inventory order: the groups and hosts they add
            # (and `groups[g][0]`) must not depend on which thread finished first
            throttle = 1
        sem = threading.BoundedSemaphore(min(self.forks, throttle) if throttle else self.forks)
        workers = Workers(self.stop, self.state, self.executor.connections.close_all)

        def work(host: str) -> None:
            try:
                res = self._execute(task, host, scope, seq)
                workers.record(host, res)
                self.emit(res)
            finally:
                sem.release()

        for host in hosts:
            if not workers.interruptible(sem.acquire):
                break
            if self.stop.is_set():
                sem.release()
                break
            workers.start(work, host)
        workers.wait()
        self.emit(TaskEnd(play_idx, seq))
        return workers.results


def _always(task: Task, scope: Scope) -> bool:
    return True
