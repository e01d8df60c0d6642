"""One task on one host: when, loop, until, become, changed_when/failed_when, register.

Every outcome becomes a ``HostResult`` — errors in templates, modules or the transport
are turned into failed or unreachable results here, never raised to the scheduler; so is
any other exception (a bug, MemoryError, RecursionError): a failed result for that host
with an ``internal error`` message, never a lost one.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from .. import modules
from ..errors import (
    CommandTimeout,
    HostUnreachable,
    ModuleError,
    NotOnHost,
    PbeError,
    TemplateError,
    UndefinedVariable,
    ValidationFailed,
)
from ..events import CommandSent, Event, HostResult, status_of
from ..language.library import missing
from ..language.model import Block, Play, Role, Task, TaskItem
from ..language.playbook import Handlers
from ..language.roles import role_short_name
from ..language.validate import free_form_args
from ..masking import mask_url_credentials
from ..modules.base import Module, to_bool
from ..modules.result import Result
from ..modules.util.asyncjob import JobTable
from ..modules.util.filestate import Prediction
from ..modules.util.home import expand_homes
from ..modules.util.probe import Identity
from ..modules.util.remotefs import RemoteFiles
from ..options import RunOptions
from ..templating.lines import Lines
from ..templating.lookup_base import task_action
from ..templating.lookups import run_lookup
from ..templating.templar import Templar, TemplateEngine
from ..templating.values import (
    Predicted,
    PredictionReads,
    UnknownValue,
    Unpredictable,
    acting_for_real,
    author_text,
    distrust,
    is_template,
    trust,
    type_name,
)
from ..transport import ConnectionCache, shell
from ..transport.base import STOPPED, CommandResult, Connection, ConnectionSpec
from .asyncrun import AsyncSpec, AsyncTasks, async_spec, guarded
from .facts import FactStore
from .hostaccess import CONNECTION_VARS, HostAccess
from .variables import OMIT, VariableManager

logger = logging.getLogger(__name__)

INJECT_INVOCATION = "ansible_inject_invocation"  # true: results show `invocation`
UNKNOWN = "_pbe_unknown"  # a result key: check mode could not know this task's outcome
_INHERITED = (
    "become",
    "become_user",
    "become_method",
    "ignore_errors",
    "ignore_unreachable",
    "check_mode",
    "diff",
    "no_log",
    "environment",
    "any_errors_fatal",
    "delegate_to",
    "delegate_facts",
    "connection",
    "remote_user",
    "run_once",
    "notify",  # a block's (or include's ``apply:``) notify, for tasks without their own
)

# Test-only: when set, called as ``before_task(host, task)`` on the worker thread before
# each task (the concurrency stress test sleeps a seeded random delay here).
before_task: Callable[[str, Task], None] | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """What a task inherits from its play and the blocks around it."""

    conditions: tuple[Any, ...] = ()
    vars: tuple[Mapping[str, Any], ...] = ()
    keywords: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    defaults: tuple[Mapping[str, Any], ...] = ()  # role defaults: below the inventory
    role: Role | None = None
    parents: tuple[Role, ...] = ()  # the roles that brought `role` in, innermost first
    # the first `exposed` layers of `vars` are role vars (the play's roles', then the roles
    # entered): below every block's and include's vars, as in Ansible's precedence
    exposed: int = 0
    module_defaults: tuple[Any, ...] = ()  # the play's, then each block's: inner ones win
    # role parameters and include parameters (an include's vars, its loop item): above
    # set_fact and registered results, below -e, as in Ansible's precedence
    params: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of_play(cls, play: Play) -> Scope:
        """The play's keywords, and the defaults and vars of the roles it lists: those are
        visible to the whole play (Ansible's default, roles not private)."""
        kw = {k: getattr(play, k) for k in _INHERITED if getattr(play, k, None) not in (None, {})}
        # Ansible exposes the vars and defaults of `roles:` and of every import_role to the
        # whole play at parse time (an include_role's only once it runs)
        roles = _play_roles(play.roles + play.pre_tasks + play.tasks + play.post_tasks)
        return cls(
            conditions=play.when,
            vars=tuple(r.vars for r in roles),
            keywords=kw,
            tags=play.tags,
            defaults=tuple(r.defaults for r in roles),
            exposed=len(roles),
            module_defaults=(play.module_defaults,) if play.module_defaults else (),
        )

    def enter(self, block: Block) -> Scope:
        kw = {**self.keywords, **{k: v for k, v in block.keywords.items() if k in _INHERITED}}
        own = block.keywords.get("module_defaults")
        module_defaults = self.module_defaults + (own,) if own else self.module_defaults
        params = self.params + (block.params,) if block.params else self.params
        if block.role is None:
            return replace(
                self,
                conditions=self.conditions + block.when,
                vars=self.vars + (block.vars,),
                keywords=kw,
                tags=self.tags + block.tags,
                module_defaults=module_defaults,
                params=params,
            )
        role = block.role
        parents = (self.role, *self.parents) if self.role is not None else ()
        below, above = self.vars[: self.exposed], self.vars[self.exposed :]
        return Scope(
            self.conditions + block.when,
            (*below, role.vars, *above, block.vars, _role_magic(role, parents)),
            kw,
            self.tags + block.tags,
            self.defaults + (role.defaults,),
            role,
            parents,
            self.exposed + 1,
            module_defaults,
            params,
        )

    def with_params(self, extra: Mapping[str, Any]) -> Scope:
        """An include's parameters (its vars, its loop item) for what it brings in."""
        return replace(self, params=self.params + (extra,)) if extra else self

    def variables(self, vm: VariableManager, host: str, task: Task | None = None) -> dict[str, Any]:
        """All the variables of ``task`` (or of the scope itself) on ``host``."""
        own = (task.vars,) if task is not None else ()
        return vm.task_vars(host, self.vars + own, self.defaults, self.params)

    def keyword(self, task: Task, name: str, default: Any = None) -> Any:
        """The task's own value (an explicit false included), else the inherited one."""
        value = getattr(task, name, None)
        if value is not None and value != {}:
            return value
        return self.keywords.get(name, default)


class HostContext:
    """The ModuleContext a module sees: one host, one task, templating and the connection."""

    def __init__(
        self,
        executor: Executor,
        host: str,
        templar: Templar,
        check: bool,
        diff: bool,
        become: dict[str, Any] | None,
        env: dict[str, str],
        timeout: float | None,
    ) -> None:
        self.host = host
        self.check = check
        self.diff = diff
        self._executor = executor
        self._templar = templar
        self._become = become
        self._env = env
        self._timeout = timeout
        self._files: RemoteFiles | None = None
        self.role_path: str | None = None
        self.target = host  # delegate_to changes where commands run
        self.delegate_to: str | None = None  # the task's delegate_to, even the host itself
        self.facts_host = host  # whose facts set_fact sets: the delegate's with delegate_facts
        self.connection_kind: str | None = None
        self.remote_user: str | None = None  # a task's or block's `remote_user:`
        self._conn_templar = templar
        self.jobs: JobTable = executor.jobs
        self.deadline: float | None = None  # an async job's: its commands end by then

    def run(
        self,
        command: str,
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        stdout: IO[bytes] | None = None,
        light: bool = False,
    ) -> CommandResult:
        if self._files is not None:  # any command may change what a probe of this task saw
            self._files.cache.forget()
        command = shell.with_env(command, self._env)
        conn: Connection = self.connection  # first: become's password probe needs it
        become = self._become
        if become is not None and become["user"] == conn.login_user:
            become = None  # root to root: no sudo, as in Ansible
        if become is not None:
            command, stdin = self._executor.access.wrap_become(self.target, command, stdin, become)
        self._executor.sent(self.target, command)
        limits = [t for t in (timeout, self._timeout, self._time_left()) if t]
        limit = min(limits) if limits else None  # the module's own and the task's `timeout:`
        try:
            if self.target == self.host:
                res = conn.run(command, stdin=stdin, timeout=limit, stdout=stdout, light=light)
            else:
                with self._executor.access.delegate_lock(self.target):  # shared by delegators
                    res = conn.run(command, stdin=stdin, timeout=limit, stdout=stdout, light=light)
        except CommandTimeout as exc:
            if self._timeout and limit == self._timeout:  # the task's own: `is timedout`
                exc.period = self._timeout
            raise
        if become is not None and res.rc != 0 and _NO_SUCH_USER.search(res.err):
            user = str(become["user"])  # whatever the module makes of the output
            raise NotOnHost(f"become_user `{user}` does not exist on {self.target}", f"user {user}")
        return res

    def _time_left(self) -> float | None:
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CommandTimeout("the async job's time is up")
        return left

    def bounded(self, deadline: float) -> HostContext:
        """This context for an async job on the controller: its commands end by
        ``deadline`` (``time.monotonic()``)."""
        bounded = copy.copy(self)
        bounded.deadline = deadline
        return bounded

    @property
    def files(self) -> RemoteFiles:
        """File operations on this host; in check mode they consult and feed the prediction."""
        if self._files is None:

            def put(source: IO[bytes], path: str, mode: int | None) -> None:
                self.connection.put(source, path, mode)

            self._files = RemoteFiles(
                self.run,
                put,
                self.check,
                self._executor.prediction(self.host),
                become=bool(self._become),
                identity=self._executor.identity(self.target, self._become),
            )
        return self._files

    @property
    def connection(self) -> Connection:
        """The connection tasks run on: this host's, or its ``delegate_to`` host's."""
        return self._executor.access.connection(
            self.target, self._conn_templar, self.connection_kind, self.remote_user
        )

    def host_spec(self) -> ConnectionSpec:
        """How the task's own host is reached, whatever ``delegate_to`` says (a module that
        connects to it from elsewhere, as synchronize's rsync does, needs it)."""
        return self._executor.access.connection_spec(
            self.host, self._templar, self.connection_kind, self.remote_user
        )

    @property
    def become_user(self) -> str | None:
        """The user the task becomes, or None without become."""
        return str(self._become["user"]) if self._become else None

    @property
    def playbook_dir(self) -> str:
        return str(self._executor.vm.playbook_dir)

    def delegate(self, target: str, templar: Templar) -> None:
        self.target = target
        self._conn_templar = templar

    def find_file(self, kind: str, name: str) -> Path:
        """A controller-side ``src``: absolute, or searched in the playbook's ``kind`` dir
        (``files``/``templates``) and then beside the playbook, as Ansible does."""
        path = Path(name).expanduser()
        if path.is_absolute():
            candidates = [path]
        else:
            base = Path(self._executor.vm.playbook_dir)
            candidates = [base / kind / path, base / path]
            if self.role_path:
                candidates[:0] = [Path(self.role_path) / kind / path, Path(self.role_path) / path]
        # normalised first, as Ansible does: `vars/../../x` is found when `vars/` is not there
        candidates = [Path(os.path.normpath(c)) for c in candidates]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        tried = ", ".join(str(c) for c in candidates)
        raise ModuleError(f"could not find {kind[:-1]} source `{name}` (looked in {tried})")

    def render(self, value: Any) -> Any:
        return self._templar.render(value)

    def render_text(self, source: str, extra: Mapping[str, Any] | None = None) -> str:
        """A whole template file: always text, never a native value; ``extra`` variables
        are the template module's own (``template_path`` ...)."""
        return self._templar.render_text(source, extra=extra)

    def evaluate(self, condition: Any) -> bool:
        return self._templar.evaluate(condition)

    def set_facts(self, facts: Mapping[str, Any], template: bool = False) -> None:
        self._executor.facts.set_vars(self.facts_host, facts, template)

    def variable(self, name: str) -> Any:
        return self._templar.vars[name]

    def sleep(self, seconds: float) -> bool:
        """Wait, unless the run is stopped (Ctrl-C, SIGTERM): True when it was."""
        return self._executor.stop.wait(max(seconds, 0.0))

    def reconnect(self, connect_timeout: float | None = None) -> None:
        """Drop this host's connection and open a new one (``connect_timeout`` for the
        attempt): after a reboot, or to test that the host answers again. Raises
        HostUnreachable when it does not."""
        self._executor.connections.drop(self.target)
        spec = self._executor.access.connection_spec(
            self.target, self._conn_templar, self.connection_kind, self.remote_user
        )
        if connect_timeout:
            spec = replace(spec, connect_timeout=connect_timeout)
        self._executor.connections.get(spec)


class Executor:
    """Runs tasks on hosts for one run. Thread-safe: workers share one Executor."""

    def __init__(
        self,
        options: RunOptions,
        variables: VariableManager,
        facts: FactStore,
        engine: TemplateEngine,
        connections: ConnectionCache,
    ) -> None:
        self.options = options
        self.vm = variables
        self.facts = facts
        self.engine = engine
        self.connections = connections
        self.access = HostAccess(options, connections)
        self._predictions: dict[str, Prediction] = {}
        self._identities: dict[tuple[str, str, str, str], Identity] = {}
        self._expansions: dict[
            tuple[str, int], list[tuple[tuple[TaskItem, ...], dict[str, Any]]]
        ] = {}
        self._handlers_read: dict[tuple[str, int], list[tuple[Task, tuple[Block, ...]]]] = {}
        self._lock = threading.Lock()
        self.loader: Any = None  # PlaybookLoader, for include targets named at run time
        self.emit: Callable[[Event], None] = lambda event: None
        self.on_vars: Callable[[Mapping[str, Any]], None] = lambda variables: None  # redaction
        self.scrub: Callable[[str], str] = lambda text: text  # masks known secrets in logs
        self._current = threading.local()
        self._names: dict[int, str] = {}  # task uid -> shown name
        self.stop = threading.Event()  # the run's: set by the Runner
        self.jobs = JobTable(options.forks)  # controller-side async jobs
        self.asyncs = AsyncTasks(self.jobs, self._for_thread)

    def name_of(self, task: Task, scope: Scope | None = None, host: str | None = None) -> str:
        """A task's shown name, its ``{{ }}`` rendered with play and extra vars and, given
        its ``scope``, the vars of its roles (parameters, ``role_name``) and blocks; a name
        that needs more (facts, ``set_fact``) with all the vars of ``host`` (the first host
        of the task, as Ansible shows it), else as written."""
        if modules.canonical_name(task.action) == "include_role":  # never `ROLE : NAME`
            if not task.name:
                return f"include_role : {_role_arg(task)}"
            return self.own_name(task, scope, host)
        name = self.own_name(task, scope, host)
        if scope is not None and scope.role is not None:  # Ansible's `ROLE : NAME`
            return f"{scope.role.name} : {name}"
        return name

    def own_name(self, task: Task, scope: Scope | None, host: str | None = None) -> str:
        """The task's name rendered, without its role's ``ROLE : ``."""
        if task.name is None or not is_template(task.name):
            return task.display_name
        if scope is not None and (scope.vars or scope.defaults or scope.params or task.vars):
            return self.render_name(task.name, task.loc, scope, task.vars, host)
        key = task.uid
        if key not in self._names:
            self._names[key] = self.render_name(task.name, task.loc)
        if self._names[key] == task.name and host is not None:  # it needs the host's vars
            return self.render_name(task.name, task.loc, scope, task.vars, host)
        return self._names[key]

    def render_name(
        self,
        name: str,
        loc: Any = None,
        scope: Scope | None = None,
        own: Mapping[str, Any] | None = None,
        host: str | None = None,
    ) -> str:
        """A name (a task's, a handler's) rendered as Ansible shows it: with the defaults
        of its ``scope``'s roles, the play's vars, the scope's role and block vars, its
        ``own`` vars and the extra vars; when it needs more, with all the vars of
        ``host``; as written when that fails too."""
        if not is_template(name):
            return name
        layers: dict[str, Any] = {}
        for layer in scope.defaults if scope is not None else ():
            layers.update(layer)
        layers.update(self.vm.play_vars)
        scopes = (*(scope.vars if scope is not None else ()), own or {})
        params = scope.params if scope is not None else ()
        for layer in (*scopes, *params, self.vm.extra_vars):
            layers.update(layer)
        try:
            return str(self.engine.templar(layers, loc).render(name))
        except (PbeError, Unpredictable):
            if host is None:
                return name
        defaults = scope.defaults if scope is not None else ()
        try:
            variables = self.vm.task_vars(host, scopes, defaults, params)
            return str(self.engine.templar(variables, loc).render(name))
        except (PbeError, Unpredictable):
            return name

    def sent(self, host: str, command: str) -> None:
        """Report a command line (shown at -vv; hidden with the task's no_log; a URL's user
        and password masked, as in the results that show it)."""
        play, task, no_log = getattr(self._current, "task", (-1, -1, False))
        self.emit(CommandSent(host, mask_url_credentials(command), play, task, no_log))

    def _for_thread(self, work: Callable[[], Result], name: str) -> Callable[[], Result]:
        """An async job's module run, for a pool thread: it reports its commands as the
        task it belongs to (``no_log`` included), and never raises."""
        current = getattr(self._current, "task", (-1, -1, False))

        def run() -> Result:
            self._current.task = current
            return guarded(work, name)

        return run

    def identity(self, target: str, become: Mapping[str, Any] | None) -> Identity:
        """Who commands on ``target`` run as (and their umask), once known: per become user
        for the run (see ``probe.Identity``)."""
        how = become or {}
        key = (target, how.get("user", ""), how.get("method", ""), how.get("flags", ""))
        with self._lock:
            return self._identities.setdefault(key, Identity())

    def prediction(self, host: str) -> Prediction:
        """The check-mode view of what earlier tasks would have done to this host's files.
        Only a check run keeps one: in a real run a task with ``check_mode: true`` sees the
        host as it is, as in Ansible, since the real tasks between them change it."""
        if not self.options.check:
            return Prediction()
        with self._lock:
            return self._predictions.setdefault(host, Prediction())

    # -- entry point ----------------------------------------------------------------------

    def execute(
        self, task: Task, host: str, scope: Scope, play_idx: int, task_idx: int
    ) -> HostResult:
        """One task on one host. Never raises: an exception anywhere in it (variables,
        facts, templating, the module, registering) is a failed result for this host."""
        started = time.monotonic()
        try:
            if before_task is not None:
                before_task(host, task)
            return self._result(task, host, scope, play_idx, task_idx, started)
        except Exception as exc:
            logger.exception("internal error running %s on %s", task.action, host)
            return internal_error(task, scope, host, (play_idx, task_idx), exc, started)

    def _result(
        self, task: Task, host: str, scope: Scope, play_idx: int, task_idx: int, started: float
    ) -> HostResult:
        no_log = self._flag(task, scope, host, "no_log")
        self._current.task = (play_idx, task_idx, no_log)
        self._current.target = host
        self._current.facts_host = host
        self._current.action = task.action  # the module a templated name resolves to
        items: tuple[dict[str, Any], ...] = ()
        unpredictable = False
        reads = PredictionReads()  # what it reads of predicted state, in a check run
        try:
            with reads.tracking():
                result, items = self._execute(task, host, scope)
        except Unpredictable as exc:
            unpredictable = True
            self.prediction(host).unsure("a task check mode could not predict")
            result = {
                "skipped": True,
                "changed": False,
                "msg": f"unpredictable in check mode: this task reads {exc.what}",
            }
        except HostUnreachable as exc:
            # Only the connection that failed: a delegate's, not the delegating host's own.
            self.connections.drop(getattr(self._current, "target", host))
            result = {"unreachable": True, "changed": False, "msg": exc.message}
        except PbeError as exc:
            result = _failure(exc)
        except Exception as exc:  # a bug in pbe: report it on the host, keep the run going
            result = _internal_error(task, host, exc, no_log, self.scrub)
        unknown = unpredictable or bool(result.pop(UNKNOWN, False))
        if unknown and not unpredictable and self._flag(task, scope, host, "check_mode"):
            unknown = False  # its own `check_mode: true`: a real run gets this result too
        status = "unpredictable" if unpredictable else status_of(result)
        ignored = status == "failed" and self._flag(task, scope, host, "ignore_errors")
        if status == "unreachable" and self._flag(task, scope, host, "ignore_unreachable"):
            ignored = True  # shown unreachable, counted ok and ignored; the host goes on
        action = self._current.action
        module = modules.get(action)
        if module is not None and module.masks_url_credentials:
            result, items = mask_url_credentials(result), mask_url_credentials(items)
        set_by_task = _variables_set(module, task)
        if (
            status in ("ok", "changed")
            and set_by_task is None
            and (module is None or module.returns_facts)
            and isinstance(result.get("ansible_facts"), dict)
        ):
            self.facts.add_facts(
                getattr(self._current, "facts_host", host), result["ansible_facts"]
            )
        notify = self._notified(task, host, scope) if status == "changed" else ()
        if task.register:  # an unreachable result too: `is unreachable` reads it (2.21)
            self.facts.set_vars(
                host,
                {
                    task.register: UnknownValue(
                        f"`{task.register}`, registered by a task check mode could not run"
                    )
                    if unknown
                    else _predicted(result, reads, f"`{task.register}`")
                },
            )
        if unknown and set_by_task:
            self.facts.set_vars(
                host,
                {k: UnknownValue(f"`{k}`, set from an unpredictable value") for k in set_by_task},
            )
        elif reads.read and set_by_task and status == "ok":
            self.facts.set_vars(
                host,
                {
                    k: _predicted(v, reads, f"`{k}`")
                    for k, v in self.facts.host_vars(host).items()
                    if k in set_by_task
                },
            )
        return HostResult(
            play_idx,
            task_idx,
            self.name_of(task, scope, host),
            action,
            host,
            status,
            result,
            time.monotonic() - started,
            ignored,
            items,
            task.loc,
            unknown,
            no_log,
            notify,
        )

    def _notified(self, task: Task, host: str, scope: Scope) -> tuple[str, ...]:
        """The handler names or topics a changed task notifies on ``host``: its own or its
        blocks' ``notify``, each rendered with the host's variables (``restart {{ svc }}``),
        as Ansible does."""
        notify = _notify_of(task, scope)
        if not any(map(is_template, notify)):
            return notify
        templar = self.engine.templar(scope.variables(self.vm, host, task), task.loc)
        names: list[str] = []
        for name in notify:
            try:
                value = templar.render(name)
            except Unpredictable:
                continue  # a value check mode cannot know: no handler can be named for it
            except PbeError:
                names.append(name)  # matches a handler named by the same template
                continue
            # `notify: "{{ handlers }}"` may give a list of names, as in Ansible
            names += [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        return tuple(names)

    def _execute(
        self, task: Task, host: str, scope: Scope
    ) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
        variables = scope.variables(self.vm, host, task)
        variables.setdefault(
            "ansible_search_path", _search_path(task, scope, str(self.vm.playbook_dir))
        )
        if task.loop is None:  # a loop's delegate is the item's
            variables = self._with_delegate(task, host, scope, variables)
        templar = self.engine.templar(variables, task.loc)
        self.on_vars(templar.vars)  # passwords set by role/block/task vars or set_fact
        conditions = scope.conditions + task.when
        with task_action(task.action):  # first_found searches the task's kind of files
            if task.loop is None:
                try:
                    holds = self._when(templar, conditions)
                except Unpredictable as exc:
                    return self._skipped_anyway(task, host, scope, templar, exc, "`when`"), ()
                if not holds:
                    return _skipped(conditions, templar), ()
                return self._run_module(task, host, scope, templar, variables), ()
            return self._run_loop(task, host, scope, templar, variables, conditions)

    # -- pieces ---------------------------------------------------------------------------

    def _when(self, templar: Templar, conditions: Sequence[Any]) -> bool:
        return all(templar.evaluate(c) for c in conditions)

    def _skipped_anyway(
        self,
        task: Task,
        host: str,
        scope: Scope,
        templar: Templar,
        exc: Unpredictable,
        what: str,
    ) -> dict[str, Any]:
        """A task whose ``what`` (its ``when``, its arguments) reads a value check mode could
        not know is skipped all the same where check mode skips it anyway (a command): its
        outcome is known, its registered result (which skip) and its effect are not."""
        if not self._skipped_in_check_anyway(task, scope, templar):
            raise exc
        return self._not_run(
            host,
            f"`{task.action}`, which check mode did not run",
            f"skipped in check mode whatever its {what} says (it reads {exc.what})",
        )

    def _not_run(self, host: str, effects: str, msg: str) -> dict[str, Any]:
        """A check run's skipped result whose registered value is unknown, and whose
        ``effects`` on the host's files are unknown too."""
        self.prediction(host).unsure(effects)
        return {"skipped": True, "changed": False, UNKNOWN: True, "msg": msg}

    def _skipped_in_check_anyway(self, task: Task, scope: Scope, templar: Templar) -> bool:
        """In this check run the task is skipped whatever its ``when`` or its arguments'
        values: a module check mode does not run, or one its ``check_skips_unless``
        arguments are missing from (a command without ``creates``/``removes``)."""
        module_cls = modules.get(task.action)
        if module_cls is None or module_cls.needs_connection is False:
            return False
        try:
            check = self._bool(
                templar, scope.keyword(task, "check_mode"), self.options.check, "check_mode"
            )
        except (PbeError, Unpredictable):
            return False
        if not check:
            return False
        if not module_cls.supports_check:
            return True
        guards = module_cls.check_skips_unless
        # `_raw_params`: free text of a templated action, not split yet: may hold a guard
        return guards is not None and not any(k in task.args for k in (*guards, "_raw_params"))

    def _holds_without_item(self, templar: Templar, conditions: Sequence[Any]) -> bool:
        """False only when a condition is certainly false without the loop's item."""
        try:
            return self._when(templar, conditions)
        except PbeError:  # it reads the item, say: the loop's own error stands
            return True

    def _run_loop(
        self,
        task: Task,
        host: str,
        scope: Scope,
        templar: Templar,
        variables: dict[str, Any],
        conditions: Sequence[Any],
    ) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
        try:
            items = loop_items(task, templar)
        except UndefinedVariable:
            # As Ansible: a loop over what is not defined is skipped when the condition,
            # judged without an item (`when: things is defined`), is false
            if not self._holds_without_item(templar, conditions):
                return _skipped(conditions, templar), ()
            raise
        control = {
            k: v if k in ("label", "break_when") else templar.render(v)  # per item
            for k, v in task.loop_control.items()
        }
        pause = _as_number(
            control.get("pause") or 0, float, "loop_control.pause", task.loop_control.get("pause")
        )
        loop_var = str(control.get("loop_var", "item"))
        results: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            ivars = {**variables, loop_var: item, "ansible_loop_var": loop_var}
            if "index_var" in control:
                ivars[str(control["index_var"])] = index
                ivars["ansible_index_var"] = str(control["index_var"])
            if control.get("extended"):
                ivars["ansible_loop"] = _loop_info(items, index, control)
            ivars = self._with_delegate(task, host, scope, ivars)
            res = self._run_item(task, host, scope, ivars, conditions)
            res.update({loop_var: item, "ansible_loop_var": loop_var})
            if "index_var" in control:
                res[str(control["index_var"])] = index
                res["ansible_index_var"] = str(control["index_var"])
            if "label" in control:
                res["_ansible_item_label"] = self._label(task, control["label"], ivars, res)
            results.append(res)
            variables = _with_item_facts(task, variables, res)
            if "break_when" in control and self._break_when(task, control, res, ivars):
                break
            if pause:
                time.sleep(pause)
        return aggregate(results), tuple(results)

    def _run_item(
        self,
        task: Task,
        host: str,
        scope: Scope,
        ivars: dict[str, Any],
        conditions: Sequence[Any],
    ) -> dict[str, Any]:
        """One loop item's result: skipped by its ``when``, or the module's; a failure is
        that item's, as in Ansible (the other items run)."""
        itemplar = self.engine.templar(ivars, task.loc)
        if not self._when(itemplar, conditions):
            return _skipped(conditions, itemplar)
        try:
            return self._run_module(task, host, scope, itemplar, ivars)
        except HostUnreachable:
            raise
        except PbeError as exc:
            return _failure(exc)

    def _label(self, task: Task, label: Any, ivars: dict[str, Any], res: dict[str, Any]) -> Any:
        """``loop_control.label`` for one item, which may read the item's result by the
        task's ``register`` name; one that cannot be rendered (a skipped item has no
        output) shows the item, with a warning, as in Ansible."""
        scope = {**ivars, task.register: res} if task.register else ivars
        try:
            return self.engine.templar(scope, task.loc).render(label)
        except PbeError as exc:
            res.setdefault("warnings", []).append(f"loop label could not be rendered: {exc}")
            return ivars.get(str(ivars.get("ansible_loop_var", "item")))

    def _break_when(
        self, task: Task, control: Mapping[str, Any], res: dict[str, Any], ivars: dict[str, Any]
    ) -> bool:
        """``loop_control.break_when``, judged after each item with its result (as the
        register variable) and the facts it set; stored in the item as Ansible does."""
        conditions = control["break_when"]
        scope = {**ivars, **distrust(res.get("ansible_facts") or {})}
        res["break_when_result"] = self._with_result(task, res, scope).evaluate_all(
            conditions if isinstance(conditions, list) else [conditions]
        )
        return bool(res["break_when_result"])

    def _run_module(
        self, task: Task, host: str, scope: Scope, templar: Templar, variables: dict[str, Any]
    ) -> dict[str, Any]:
        module_cls = modules.get(task.action)
        if module_cls is None and ("{{" in task.action or "{%" in task.action):
            module_cls, task = _resolved_action(task, templar)
            self._current.action = task.action
        if module_cls is None:  # a module pbe lacks, in a file included at run time
            found = missing(task.action)
            raise ModuleError(
                found[0] if found else f"unknown module `{task.action}`",
                hint=found[1] if found else None,
            )
        check = self._bool(
            templar, scope.keyword(task, "check_mode"), self.options.check, "check_mode"
        )
        spec = async_spec(task.async_val, task.poll, templar.render)
        if spec and not module_cls.supports_async:  # before check mode's skip, as Ansible
            raise ModuleError(f"This action ({module_cls.name}) does not support async.")
        if self.options.check and not check and module_cls.needs_connection:
            acting_for_real()  # predicted values it read or reads make it unpredictable
        if check and not module_cls.supports_check:
            return self._not_run(
                host,
                f"`{task.action}`, which check mode does not run",
                f"{task.action} does not support check mode",
            )
        try:
            args = self._args(module_cls, task, templar, scope, check)
        except Unpredictable as exc:
            return self._skipped_anyway(task, host, scope, templar, exc, "arguments")
        self._hide_secrets(module_cls, args)
        if module_cls.expands_at_run:
            return self._include(task, host, args, variables)
        if reason := module_cls.skip_reason(args, self.options.verbosity):
            return {"skipped": True, "changed": False, "skip_reason": reason}
        ctx = self._context(task, host, scope, templar, check)
        result = self._attempts(task, module_cls(), args, ctx, variables, spec)
        if self._bool(templar, variables.get(INJECT_INVOCATION), False, INJECT_INVOCATION):
            result["invocation"] = {"module_args": module_cls.shown_args(args)}
        if check and result.get("changed") and not module_cls.predicts_files:
            self.prediction(host).unsure(f"`{task.action}`, which check mode did not apply")
        return result

    def _hide_secrets(self, module_cls: type[Module], args: Mapping[str, Any]) -> None:
        """The values of the module's secret arguments: hidden from every output from now."""
        for key in module_cls.secret_args():
            if isinstance(args.get(key), (str, int, float)) and not isinstance(args[key], bool):
                self.access.on_secret(str(args[key]))

    def _include(
        self, task: Task, host: str, args: dict[str, Any], variables: dict[str, Any]
    ) -> dict[str, Any]:
        """Record what a dynamic include brings in for this host (one entry per loop item)."""
        target = args.get("file") or args.get("name")
        if task.children and not _templated_target(task):
            items = task.children
        elif task.action == "include_tasks":
            found, items, handlers = self.loader.runtime_tasks(
                str(args["file"]),
                Path(task.loc.file).parent,
                variables.get("role_path"),
                task.collections,
            )
            target = str(found) if found is not None else target
            self._brought_handlers(host, task, handlers)
        else:
            block, handlers = self.loader.runtime_role(args)
            items = (block,)
            self._brought_handlers(host, task, handlers)
        _refuse_unknown_modules(items)
        if task.action == "include_role" and to_bool(args.get("public") or False):
            for item in items:
                if isinstance(item, Block) and item.role is not None:
                    self.vm.expose_role(host, item.role.defaults, item.role.vars)
        extra = dict(task.vars)
        if task.loop is not None:
            extra.update(_loop_vars(task, variables, self.engine.templar(variables, task.loc)))
        with self._lock:
            self._expansions.setdefault((host, task.uid), []).append((tuple(items), extra))
        return {"changed": False, "include": target, "include_args": extra}

    def take_expansion(
        self, host: str, task: Task
    ) -> list[tuple[tuple[TaskItem, ...], dict[str, Any]]]:
        with self._lock:
            return self._expansions.pop((host, task.uid), [])

    def _brought_handlers(self, host: str, task: Task, handlers: Handlers) -> None:
        if handlers:
            with self._lock:
                self._handlers_read.setdefault((host, task.uid), []).extend(handlers)

    def take_handlers(self, host: str, task: Task) -> list[tuple[Task, tuple[Block, ...]]]:
        """The handlers of the roles a run-time include read for ``host`` (its own and
        those of roles its files include): the strategy makes them known."""
        with self._lock:
            return self._handlers_read.pop((host, task.uid), [])

    def _attempts(
        self,
        task: Task,
        module: Module,
        args: dict[str, Any],
        ctx: HostContext,
        variables: dict[str, Any],
        spec: AsyncSpec | None = None,
    ) -> dict[str, Any]:
        """Run once, or until ``until`` holds (``retries`` + 1 attempts, ``delay`` apart).

        An attempt that outlived the task's ``timeout:`` is a failed attempt: retried, as
        in Ansible, without judging a result it never produced.
        """

        def once() -> dict[str, Any]:
            return self._once(task, module, args, ctx, spec)

        if task.until is None and task.retries is None:
            return self._judge(task, once(), variables)
        templar = ctx._templar
        retries = _number(templar, task.retries, 3, int, "retries")
        delay = _number(templar, task.delay, 5.0, float, "delay")
        attempt = 0
        while True:
            attempt += 1
            try:
                result = once()
                result["attempts"] = attempt  # changed_when/failed_when may read it
                result = self._judge(task, result, variables)
                done = (  # `retries` alone: until the task succeeds, as in Ansible
                    self._with_result(task, result, variables).evaluate_all(task.until)
                    if task.until is not None
                    else not result["failed"]
                )
            except CommandTimeout as exc:
                result, done = {"failed": True, "changed": False, "msg": exc.message}, False
            result["attempts"] = attempt
            if done:
                return result
            if attempt > retries:  # Ansible reports `retries` attempts here, not retries + 1
                result["attempts"] = retries
                if task.failed_when is None:  # else its verdict stands, as in Ansible
                    result.update(failed=True, msg=result.get("msg") or "Retried until limit")
                return result
            time.sleep(delay)

    def _once(
        self,
        task: Task,
        module: Module,
        args: dict[str, Any],
        ctx: HostContext,
        spec: AsyncSpec | None,
    ) -> dict[str, Any]:
        """One attempt: the module's result (before changed_when/failed_when)."""
        expanded = expand_homes(module, args, ctx)
        try:
            if spec is not None:
                return self.asyncs.run(module, expanded, ctx, spec)
            outcome = _outcome(_run_module(module, expanded, ctx))
        except ModuleError as exc:
            # the module failed (Ansible's fail_json): a result failed_when judges, as it
            # judges any other; a timeout or a stop is not the module's result
            if task.failed_when is None or isinstance(exc, CommandTimeout):
                raise
            if exc.message == STOPPED:
                raise
            return {"failed": True, "changed": False, "msg": _error_text(exc)}
        if module.changes_inventory:  # before changed_when reads it, as Ansible's action
            outcome["changed"] = self.vm.change_inventory(ctx.host, outcome)
        return outcome

    def _judge(
        self, task: Task, result: dict[str, Any], variables: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply changed_when / failed_when, which may read the task's own register var."""
        result.setdefault("changed", False)
        result.setdefault("failed", False)  # registered results always say, as in Ansible
        if (task.changed_when is None and task.failed_when is None) or result.get("skipped"):
            return result  # a skipped result (a command in a check run) is not judged
        judge = self._with_result(task, result, variables)
        try:
            if task.changed_when is not None:
                result["changed"] = judge.evaluate_all(task.changed_when, "changed_when", result)
            if task.failed_when is not None:
                failed = judge.evaluate_all(task.failed_when, "failed_when", result)
                result["failed_when_result"] = failed
                result["failed"] = failed
        except TemplateError as exc:  # the module's result stays, as in Ansible
            result.update(failed=True, msg=_error_text(exc))
        return result

    def _with_result(self, task: Task, result: dict[str, Any], variables: dict[str, Any]) -> _Judge:
        scope = dict(variables)
        if task.register:
            scope[task.register] = distrust(result)
        return _Judge(self.engine.templar(scope, task.loc))

    def _args(
        self,
        module_cls: type[Module],
        task: Task,
        templar: Templar,
        scope: Scope,
        check: bool = False,
    ) -> dict[str, Any]:
        given = {
            **module_defaults(module_cls, (*scope.module_defaults, task.module_defaults)),
            **task.args,
        }  # `module_defaults` fill in what the task does not say
        done = {}
        if check and "validate" in given:  # never run in a check run: an unknown value in
            try:  # it (a path a skipped task would make) does not make the task unknown
                done["validate"] = templar.render(given.pop("validate"))
            except Unpredictable:
                pass
        raw = {k: v for k, v in given.items() if k in module_cls.raw_args}
        rendered = templar.render({k: v for k, v in given.items() if k not in module_cls.raw_args})
        args = {k: v for k, v in {**rendered, **raw, **done}.items() if v != OMIT}
        return module_cls.coerce(args)

    def _context(
        self, task: Task, host: str, scope: Scope, templar: Templar, check: bool
    ) -> HostContext:
        diff = self._bool(templar, scope.keyword(task, "diff"), self.options.diff, "diff")
        become = self._become(task, scope, templar)
        gathering = task.action in _FACT_GATHERING
        env = {
            **_render_environment(templar, scope.keywords.get("environment"), gathering),
            **_render_environment(templar, task.environment, gathering),
        }  # task wins
        timeout = _number(templar, task.timeout, None, float, "timeout")
        ctx = HostContext(
            self,
            host,
            templar,
            check,
            diff,
            become,
            {str(k): str(v) for k, v in env.items()},
            timeout,
        )
        ctx.role_path = scope.role.path if scope.role else None
        if (kind := scope.keyword(task, "connection")) is not None:
            ctx.connection_kind = str(templar.render(kind))
        if (user := scope.keyword(task, "remote_user")) is not None:
            ctx.remote_user = str(templar.render(user))
        delegate = scope.keyword(task, "delegate_to")
        if delegate is not None:
            known = templar.vars.get("ansible_delegated_vars")
            target = (  # rendered once (a `| random` choice stays the same)
                next(iter(known))
                if isinstance(known, dict) and len(known) == 1
                else str(templar.render(delegate))
            )
            ctx.delegate_to = target
            if target != host:
                ctx.delegate(target, self.engine.templar(self._delegate_vars(target)))
            if self._bool(templar, scope.keyword(task, "delegate_facts"), False, "delegate_facts"):
                ctx.facts_host = target
        self._current.target = ctx.target  # whose connection an unreachable error is about
        self._current.facts_host = ctx.facts_host
        return ctx

    def _with_delegate(
        self, task: Task, host: str, scope: Scope, variables: dict[str, Any]
    ) -> dict[str, Any]:
        """With ``delegate_to``: ``ansible_delegated_vars``, {the delegate: its variables,
        where ``inventory_hostname`` stays this host's}, as Ansible sets it. A delegate that
        cannot be rendered yet is left to ``_context``, which reports it."""
        delegate = scope.keyword(task, "delegate_to")
        if delegate is None:
            return variables
        try:
            target = str(self.engine.templar(variables, task.loc).render(delegate))
        except (PbeError, Unpredictable):
            return variables
        own = (
            self.vm.host_scope(target)
            if target in self.vm.inventory.hosts
            else self._delegate_vars(target)
        )
        address = {"ansible_host": own.get("ansible_ssh_host", target)}  # as task vars have
        view = self.engine.templar({**address, **own, "inventory_hostname": host}, task.loc).vars
        # the task's connection variables are the delegate's, as in Ansible (its other
        # variables stay this host's): `ansible_host` is the delegate's address
        connection = {k: own[k] for k in CONNECTION_VARS if k in own}
        connection.setdefault("ansible_host", target)
        kept = {k: v for k, v in variables.items() if k not in CONNECTION_VARS}
        return {**kept, **connection, "ansible_delegated_vars": {target: view}}

    def _delegate_vars(self, target: str) -> dict[str, Any]:
        """Connection variables of a delegate: its inventory vars, or a bare address."""
        if target in self.vm.inventory.hosts or target in ("localhost", "127.0.0.1"):
            return self.vm.inventory.host_vars(target)
        return {"ansible_host": target}

    def _become(self, task: Task, scope: Scope, templar: Templar) -> dict[str, Any] | None:
        tvars = templar.vars
        enabled = scope.keyword(task, "become")
        if enabled is None:
            enabled = tvars.get("ansible_become", self.options.become)
        if not self._bool(templar, enabled, False, "become"):
            return None

        def pick(keyword: str, var: str, default: Any) -> Any:
            value = scope.keyword(task, keyword)
            if value is None and var in tvars:
                value = tvars[var]
            return templar.render(value) if value is not None else default

        password = None
        for var in ("ansible_become_password", "ansible_become_pass"):
            if var in tvars:
                password = str(tvars[var])
                self.access.on_secret(password)
        opts = self.options
        method = str(pick("become_method", "ansible_become_method", opts.become_method or "sudo"))
        if method not in ("sudo", "su"):
            raise ModuleError(f"become_method `{method}` is not supported (pbe has sudo, su)")
        return {
            "user": str(pick("become_user", "ansible_become_user", opts.become_user or "root")),
            "method": method,
            "flags": str(tvars["ansible_become_flags"]) if "ansible_become_flags" in tvars else "",
            "password": password or self.options.become_password,
        }

    def _bool(self, templar: Templar, value: Any, default: bool, name: str) -> bool:
        if value is None:
            return default
        rendered = templar.render(value)
        if rendered == OMIT:  # `check_mode: "{{ omit }}"`: as if not given, as in Ansible
            return default
        try:
            return to_bool(rendered)
        except ValueError:  # its text names the value: say where it came from instead
            raise TemplateError(
                f"`{name}` must be a boolean; {_origin(value, rendered)}", templar.loc
            ) from None

    def _flag(self, task: Task, scope: Scope, host: str, keyword: str) -> bool:
        """A boolean keyword (ignore_errors, no_log …), rendered for this host if templated."""
        value = scope.keyword(task, keyword, False)
        if isinstance(value, bool) or value is None:
            return bool(value)
        try:
            templar = self.engine.templar(scope.variables(self.vm, host, task))
            rendered = templar.render(value)
            return False if rendered == OMIT else to_bool(rendered)  # omit: as if not given
        except (PbeError, ValueError, Unpredictable):
            return keyword == "no_log"  # undecidable no_log hides: fail closed


class _Judge:
    def __init__(self, templar: Templar) -> None:
        self.templar = templar

    def evaluate_all(
        self, conditions: Sequence[Any], key: str = "", result: dict[str, Any] | None = None
    ) -> bool:
        """All conditions hold; one that cannot be evaluated raises, its error recorded
        as ``result[key + "_result"]`` first (Ansible's ``changed_when_result``)."""
        try:
            return all(self.templar.evaluate(c) for c in conditions)
        except TemplateError as exc:
            if result is not None and key:
                result[f"{key}_result"] = _error_text(exc)
            raise


def loop_items(task: Task, templar: Templar) -> list[Any]:
    items = templar.render(task.loop)
    if task.loop_with is not None:
        terms = (
            list(items)
            if isinstance(items, (list, Lines)) and task.loop_with != "dict"
            else [items]
        )
        try:
            return run_lookup(task.loop_with, terms, templar.vars, {}, templar.env)
        except (ValueError, OSError) as exc:
            raise ModuleError(f"with_{task.loop_with}: {exc}") from None
    if isinstance(items, Lines):  # `loop: "{{ out.stdout_lines }}"`
        return list(items)
    if isinstance(items, str):
        raise ModuleError(f"loop needs a list, got the string {items!r}")
    if isinstance(items, dict):
        raise ModuleError("loop needs a list, got a mapping; use `| dict2items`")
    if isinstance(items, (list, tuple)):
        return list(items)
    # as Ansible: a range, a number, nothing ... is not a list (`range(3) | list` is)
    raise ModuleError(f"loop needs a list, got {items!r}", hint="make it one: `| list`")


def _number(templar: Templar, value: Any, default: Any, kind: type, name: str) -> Any:
    if value is None:
        return default
    return _as_number(templar.render(value), kind, name, value)


def _as_number(value: Any, kind: type, name: str, source: Any) -> Any:
    """A keyword's rendered ``value`` as ``kind``. The error names the keyword and the
    expression, never the value: it may be a secret, or what ``no_log`` hides."""
    try:
        return kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ModuleError(f"`{name}` must be a number; {_origin(source, value)}") from None


def _origin(source: Any, value: Any) -> str:
    """What a keyword's value is and where it came from, without the value itself."""
    kinds = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "list"),
        (Mapping, "mapping"),
    )
    kind = next((k for t, k in kinds if isinstance(value, t)), type(value).__name__)
    return f"`{source}` gave a {kind}" if is_template(source) else f"got a {kind}"


def _internal_error(
    task: Task, host: str, exc: Exception, no_log: bool, scrub: Callable[[str], str]
) -> dict[str, Any]:
    """A bug in pbe, as a failed result. Under ``no_log`` neither the log nor the result
    gets the exception's text or traceback: they may quote what no_log hides. Otherwise
    the logged traceback has known secrets masked (the result is, by the reporter)."""
    kind = type(exc).__name__
    if no_log:
        logger.error(
            "internal error running %s on %s: %s (details hidden by no_log)",
            task.action,
            host,
            kind,
        )
        return {
            "failed": True,
            "changed": False,
            "msg": f"internal error in module {task.action}: {kind}",
        }
    logger.error(
        "internal error running %s on %s\n%s",
        task.action,
        host,
        scrub("".join(traceback.format_exception(exc)).rstrip()),
    )
    return {
        "failed": True,
        "changed": False,
        "msg": f"internal error in module {task.action}: {kind}: {exc}",
    }


def _notify_of(task: Task, scope: Scope) -> tuple[str, ...]:
    """The handlers a task notifies: its own ``notify``, else its blocks' (Ansible's
    inheritance: the nearest one set wins, lists are not merged)."""
    if task.notify:
        return task.notify
    inherited = scope.keywords.get("notify")
    if not inherited:
        return ()
    names = inherited if isinstance(inherited, (list, tuple)) else [inherited]
    return tuple(author_text(n) for n in names)  # an author's text: may be a template


_FACT_GATHERING = frozenset({"setup", "gather_facts"})


def _render_environment(templar: Templar, value: Any, gathering: bool) -> dict[str, Any]:
    """``environment:`` rendered. While gathering facts, an entry built from ``ansible_env``
    (which that very task defines) is left out rather than failing the gathering: Ansible
    documents ``PATH: "{{ ansible_env.PATH }}:/opt/bin"`` at play level."""
    if not gathering or not isinstance(value, (dict, list)):
        return _environment(templar.render(value or {}))
    merged = _environment(value)
    out: dict[str, Any] = {}
    for key, entry in merged.items():
        try:
            out[key] = templar.render(entry)
        except UndefinedVariable as exc:
            if "ansible_env" not in str(exc) and "ansible_facts" not in str(exc):
                raise
    return out


def _environment(value: Any) -> dict[str, Any]:
    """``environment:`` as a mapping, or a list of mappings merged in order; an entry or a
    variable rendered to ``omit`` is left out, as in Ansible."""
    parts = value if isinstance(value, list) else [value]
    merged: dict[str, Any] = {}
    for part in parts:
        if part == OMIT:
            continue
        if not isinstance(part, dict):
            raise ModuleError(
                f"environment must be a mapping (or a list of them), got {type_name(part)}"
            )
        merged.update((k, v) for k, v in part.items() if v != OMIT)
    return merged


def _failure(exc: PbeError) -> dict[str, Any]:
    """A failed task's result; one the task's ``timeout:`` ended records it, as Ansible."""
    result: dict[str, Any] = {"failed": True, "changed": False, "msg": _error_text(exc)}
    if isinstance(exc, ModuleError):
        result.update(exc.fields)
    if isinstance(exc, CommandTimeout) and exc.period:
        result["timedout"] = {"period": exc.period}
    return result


# sudo's and su's words for a become user the host does not have
_NO_SUCH_USER = re.compile(r"^(sudo: unknown user|su: user \S+ does not exist)", re.M)


def _search_path(task: Task, scope: Scope, playbook_dir: str) -> list[str]:
    """``ansible_search_path``: where a task's relative files are looked for, as Ansible
    lists it: its role, the directory of its task file, the playbook's directory."""
    found = [scope.role.path] if scope.role is not None else []
    if task.loc is not None and task.loc.file:
        found.append(os.path.dirname(os.path.abspath(task.loc.file)))
    found.append(playbook_dir)
    return list(dict.fromkeys(found))


def _run_module(module: Module, args: dict[str, Any], ctx: HostContext) -> Result:
    """``module.run``; in a check run, what the task needs but the host lacks (a service, a
    link's source) may come with an earlier task check mode did not apply (a package): the
    check run fails as Ansible's does, and its message says the real run may not."""
    try:
        return module.run(args, ctx)
    except NotOnHost as exc:
        if ctx.check and (why := ctx.files.assume(exc.what)) is not None:
            raise ModuleError(
                f"{exc} (check mode: it may come with {why}; the real run may find it)"
            ) from None
        raise


def _role_arg(task: Task) -> str:
    """The role an ``include_role`` task names, as written."""
    return str(task.args.get("name") or task.args.get("role") or "")


def _role_magic(role: Role, parents: tuple[Role, ...]) -> dict[str, Any]:
    """A role's own special variables; ``ansible_parent_role_names``/``_paths`` only in a
    role another role brought in (undefined otherwise, as in Ansible)."""
    found: dict[str, Any] = {
        "role_path": role.path,
        "role_name": role_short_name(role.name) if role.collection else role.name,
        "ansible_role_name": role.name,
        "ansible_collection_name": role.collection,
    }
    if parents:
        found["ansible_parent_role_names"] = [r.name for r in parents]
        found["ansible_parent_role_paths"] = [r.path for r in parents]
    return found


def _play_roles(items: Sequence[TaskItem]) -> list[Role]:
    """Roles of the ``roles:`` section and of static imports (blocks), dependencies first,
    each once; not the roles a dynamic include (a task) brings in, nor an import's with
    ``public: no``."""
    found: list[Role] = []
    for item in items:
        if isinstance(item, Block) and (item.role is None or item.role.public):
            inner = _play_roles(item.block + item.rescue + item.always)
            found += [r for r in inner if r not in found]
            if item.role is not None and item.role not in found:
                found.append(item.role)
    return found


def _loop_info(items: list[Any], index: int, control: Mapping[str, Any]) -> dict[str, Any]:
    """``loop_control: {extended: true}``: where this item is in the loop."""
    length = len(items)
    info: dict[str, Any] = {
        "index": index + 1,
        "index0": index,
        "revindex": length - index,
        "revindex0": length - index - 1,
        "first": index == 0,
        "last": index == length - 1,
        "length": length,
    }
    if index > 0:  # as Ansible: undefined, not null, at the ends of the loop
        info["previtem"] = items[index - 1]
    if index < length - 1:
        info["nextitem"] = items[index + 1]
    if control.get("extended_allitems", True):
        info["allitems"] = items
    return info


def _outcome(result: Result) -> dict[str, Any]:
    """A module's typed result as the registered dict; ``unknown`` rides along as ``UNKNOWN``
    until the task's result is settled (``_result`` pops it)."""
    out = result.as_dict()
    if result.unknown:
        out[UNKNOWN] = True
    return out


def _variables_set(module: type[Module] | None, task: Task) -> list[str] | None:
    """The variables a task sets as the module's own keys (set_fact's), [] for a module
    that sets variables some other way (include_vars), None for one that sets none."""
    if module is None or not module.sets_variables:
        return None
    return [str(k) for k in task.args if k not in module.args] if module.open_args else []


def _loop_vars(task: Task, variables: Mapping[str, Any], templar: Templar) -> dict[str, Any]:
    """What an included file sees of its loop: the item (under its possibly templated
    ``loop_var``), ``index_var`` and ``ansible_loop`` (extended), as in Ansible."""
    control = task.loop_control or {}
    names = [control.get("loop_var", "item"), control.get("index_var"), "ansible_loop"]
    names += ["ansible_loop_var", "ansible_index_var"]
    found = (str(templar.render(n)) for n in names if n is not None)
    return {name: variables[name] for name in found if name in variables}


def _with_item_facts(
    task: Task, variables: dict[str, Any], res: Mapping[str, Any]
) -> dict[str, Any]:
    """As Ansible: what one item's set_fact (include_vars) set is seen by the next items."""
    facts = res.get("ansible_facts")
    if (
        not facts
        or res.get("failed")
        or not isinstance(facts, Mapping)
        or _variables_set(modules.get(task.action), task) is None
    ):
        return variables
    return {**variables, **distrust(facts)}


def aggregate(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"results": results, "changed": any(r.get("changed") for r in results)}
    if [r.pop(UNKNOWN) for r in results if UNKNOWN in r]:
        out[UNKNOWN] = True
    if any(r.get("failed") for r in results):
        out.update(failed=True, msg="One or more items failed")
    elif results and all(r.get("skipped") for r in results):
        out.update(skipped=True, msg="All items skipped")
    elif not results:
        out.update(skipped=True, skipped_reason="No items in the list")
    else:
        out["msg"] = "All items completed"
    return out


def _predicted(value: Any, reads: PredictionReads, name: str) -> Any:
    """A task's output (registered result, fact) as read later: ``Predicted`` when the task
    read predicted state, so a task acting on the real host cannot act on it."""
    if not reads.read:
        return value
    return Predicted(
        value,
        f"{name}, computed from what check mode predicts, not from the "
        f"host's real state ({reads.first})",
    )


def _skipped(conditions: Sequence[Any], templar: Templar) -> dict[str, Any]:
    false = next((c for c in conditions if not templar.evaluate(c)), None)
    return {
        "changed": False,
        "skipped": True,
        "skip_reason": "Conditional result was False",
        "false_condition": false,
    }


def internal_error(
    task: Task, scope: Scope, host: str, index: tuple[int, int], exc: BaseException, started: float
) -> HostResult:
    """A failed result for an exception nothing else handled (a bug in pbe, MemoryError …).
    Built from the task as loaded: nothing here renders a template or can raise again."""
    no_log = scope.keyword(task, "no_log", False) not in (None, False)  # a template: hide
    msg = f"internal error running {task.action}: {type(exc).__name__}: {exc}"
    return HostResult(
        index[0],
        index[1],
        task.display_name,
        task.action,
        host,
        "failed",
        {"failed": True, "changed": False, "msg": msg},
        time.monotonic() - started,
        loc=task.loc,
        no_log=no_log,
    )


def _error_text(exc: PbeError) -> str:
    if isinstance(exc, ValidationFailed):  # a run-time include: every problem, not a count
        return (
            "; ".join(_error_text(p.as_error()) for p in exc.problems if p.severity == "error")
            or exc.message
        )
    text = exc.message
    if exc.location:
        text = f"{text} ({exc.location})"
    if exc.hint:
        text = f"{text}; {exc.hint}"
    return text


def _refuse_unknown_modules(items: Sequence[TaskItem]) -> None:
    """Ansible resolves every module of a file when it includes it: one nobody knows (a
    typo) fails the include, even under a false ``when`` (a module pbe lacks only fails
    its task, if it runs). Its own includes are read when they run."""
    for item in items:
        if isinstance(item, Block):
            _refuse_unknown_modules(item.block + item.rescue + item.always)
        elif (
            "{{" not in item.action
            and modules.get(item.action) is None
            and missing(item.action) is None
        ):
            at = item.keyword_locs.get(item.action, item.loc)
            raise ModuleError(
                f"unknown module `{item.action}` ({at})",
                hint=f"did you mean `{close}`?"
                if (close := modules.suggest(item.action))
                else None,
            )


def _templated_target(task: Task) -> bool:
    return any(is_template(task.args.get(k, "")) for k in ("file", "name", "role"))


def _run_by_the_engine(module_cls: type[Module]) -> bool:
    """Includes, ``meta``, inventory changes and once-per-batch modules: the strategies
    treat them apart, knowing them when the play is read."""
    return (
        module_cls.expands_at_run
        or module_cls.changes_inventory
        or module_cls.bypass_host_loop
        or module_cls.name == "meta"
    )


def _resolved_action(task: Task, templar: Templar) -> tuple[type[Module] | None, Task]:
    """A task whose module name is a template (``action: "{{ pkg_mgr }} name=x"``): the
    module it names now, with its free-form text split as that module's. Only modules:
    what the engine expands or runs itself (includes, ``meta``) must be written out."""
    name = str(templar.render(author_text(task.action))).strip()  # the playbook's text
    module_cls = modules.get(name)
    if module_cls is None:
        return None, replace(task, action=name)
    if _run_by_the_engine(module_cls):
        raise ModuleError(f"`{name}` cannot be named by a template (`{task.action}`)")
    args = dict(task.args)
    raw = args.pop("_raw_params", None)
    if raw is not None:
        try:
            args = {**trust(free_form_args(module_cls, str(raw))), **args}
        except ValueError as exc:
            raise ModuleError(f"{name}: {exc}") from None
    return module_cls, replace(task, action=module_cls.name, args=args)


def module_defaults(module_cls: type[Module], layers: Sequence[Any]) -> dict[str, Any]:
    """The ``module_defaults`` for a module, from the outermost layer (the play) to the
    task: a later layer's value of an argument wins, and a module's own entry wins over the
    modules it takes defaults from (``gather_facts`` takes ``setup``'s), as in Ansible. Keys
    may be short names or FQCNs; ``group/...`` entries are reported at validation."""
    names = (*module_cls.defaults_from, module_cls.name)
    out: dict[str, Any] = {}
    for name in names:
        for layer in layers:
            for entry in layer if isinstance(layer, list) else (layer,):
                if not isinstance(entry, Mapping):
                    continue
                for key, values in entry.items():
                    if isinstance(values, Mapping) and modules.canonical_name(str(key)) == name:
                        out.update(values)
    return out
