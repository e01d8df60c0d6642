"""Playbook files → validated model. All problems in all files are collected, then raised."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from .. import settings
from ..errors import PbeError, Problem, ValidationError, ValidationFailed
from ..modules.base import FALSE_STRINGS, TRUE_STRINGS
from ..source import SourceLocation
from ..templating.plugins import load_kind_folder, load_plugins
from ..templating.templar import TemplateEngine
from ..templating.values import author_text, is_template, trust
from .argspec import implicit_task, literal_param_problems, read_specs
from .collection_modules import use_collections
from .collection_plugins import find_collection_plugins
from .library import load_entry_points, load_library, load_modules
from .loader import YList, YMap, load_file, load_vars_file, loc_of, plain
from .model import Block, Play, Playbook, Role, Task, TaskItem, VarPrompt, role_collection
from .roles import (
    find_role,
    is_file,
    main_file,
    main_vars_files,
    outside_role,
    role_qualified,
    search_dirs,
)
from .taskcheck import ASYNC_KEYS, CONDITION_KEYS, TaskChecker
from .validate import (
    BLOCK_KEYWORDS,
    LOOP_PREFIX,
    PLAY_KEYWORDS,
    check_templates,
    did_you_mean,
    structure_problems,
)

_T = TypeVar("_T")
_PLUGIN_SETTINGS = (
    ("filter_plugins", "DEFAULT_FILTER_PLUGIN_PATH"),
    ("test_plugins", "DEFAULT_TEST_PLUGIN_PATH"),
    ("lookup_plugins", "DEFAULT_LOOKUP_PLUGIN_PATH"),
)
# handlers as a load finds them: each with the blocks around it (its role's, an import's)
Handlers = tuple[tuple[Task, tuple[Block, ...]], ...]


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and "{{" in value:  # rendered per host when tags are matched
        return (author_text(value.strip()),)
    if isinstance(value, str):
        return tuple(author_text(t.strip()) for t in value.split(",") if t.strip())
    return tuple(author_text(t) for t in _as_tuple(value))


# Play keywords that are arguments of the implicit fact gathering.
_GATHER_KEYWORDS = ("gather_subset", "gather_timeout", "fact_path")


class PlaybookLoader:
    """Loads one playbook (and what it imports), collecting problems instead of failing.

    Its reading state (problems, directory and recursion stacks) belongs to one load: an
    include named at run time is read by a fresh loader per call (``runtime_tasks``), since
    worker threads include at the same time. Only the cache of task files is shared.
    """

    def __init__(
        self, engine: TemplateEngine | None = None, extra_vars: dict[str, Any] | None = None
    ) -> None:
        self.engine = engine or TemplateEngine()
        find_collection_plugins(self.engine)  # `ns.col.filter` in templates
        self.extra_vars = trust(dict(extra_vars or {}))  # -e: templated import_playbook names
        self._import_vars: dict[str, Any] = {}  # the enclosing import_playbook's vars
        self._metas: dict[Path, tuple[bool, Any]] = {}  # role dir -> its meta/main, as read
        self.problems: list[Problem] = []
        self._stack: list[Path] = []
        self.playbook_dir = Path(".")
        self._dirs: list[Path] = []  # directory of the file being read
        self._role_stack: list[Path] = []  # roles being read (dependencies, includes)
        self._role_entries: list[tuple[Path, str]] = []  # (role, entry files) being read
        self._file_stack: list[Path] = []  # task files being read (recursion guard)
        # A file read once is the same Task objects everywhere (the linear strategy lines
        # hosts up on them); its problems come along, so every reader reports them.
        # By file and the collections searched for short module names while reading it.
        self._task_files: dict[
            tuple[Path, tuple[str, ...]], tuple[tuple[TaskItem, ...], list[Problem]]
        ] = {}
        self._collections: tuple[str, ...] = ()  # the `collections` keyword in force
        self._cache_lock = threading.Lock()
        # handlers brought in by the play's roles, with the blocks around them
        self._handlers: list[tuple[Task, tuple[Block, ...]]] = []
        self._handler_log: list[int] = []  # every role handler read, in order
        self._included_handlers: dict[int, frozenset[int]] = {}  # by include_role task uid
        self._static_handlers: set[int] = set()  # read by the roles section, import_role
        self._including = 0  # reading what an include_role brings in
        self._handler_depth: int | None = None  # reading handlers: block nesting
        self._play_loc: SourceLocation | None = None  # of the play being read
        self._play_vars: dict[str, Any] = {}  # of the play being read: static import names
        # of each role being read, innermost last: (defaults, vars and parameters)
        self._role_scopes: list[tuple[dict[str, Any], dict[str, Any]]] = []
        # Shared with run-time loaders, like the cache: problems that are warnings in a file
        # included at run time (``_at_run_time``), and names of handlers dropped by an error
        # (a notify naming one is not another error).
        self._deferrable: set[Problem] = set()
        self._dropped: set[str] = set()

    def load(self, path: str | Path) -> Playbook:
        self.playbook_dir = Path(path).resolve().parent
        self.problems += load_entry_points()
        self._load_configured()
        plays = self._load_plays(Path(path), None)
        self.problems = list(dict.fromkeys(self.problems))  # a role read twice, say
        if any(p.severity == "error" for p in self.problems):
            raise ValidationFailed(self.problems)
        return Playbook(str(path), tuple(plays))

    def _load_configured(self) -> None:
        """The settings' problems, and the module and plugin folders they name (``library``,
        ``filter_plugins``, ... in ansible.cfg): before the playbook's own, which win."""
        config = settings.current()
        self.problems += config.problems
        for folder in config["DEFAULT_MODULE_PATH"]:
            self.problems += load_modules(folder)
        for kind, name in _PLUGIN_SETTINGS:
            for folder in config[name]:
                self.problems += load_kind_folder(self.engine.env, kind, folder)

    # -- files ----------------------------------------------------------------------------

    def _load_plays(self, path: Path, at: SourceLocation | None) -> list[Play]:
        resolved = _resolve(path)
        if resolved is None:
            self._error(f"file not found: {path}", at)
            return []
        if resolved in self._stack:
            self._error(f"import_playbook loop: {path} imports itself", at)
            return []
        self.problems += load_plugins(self.engine.env, resolved.parent)  # filter_plugins/ ...
        self.problems += load_library(resolved.parent)
        use_collections(resolved.parent)
        ok, data = self._read_yaml(path, at)
        if not ok:
            return []
        if data is None or data == []:
            self._error(
                "the playbook is empty: it has no plays",
                loc_of(data) or SourceLocation(str(path), 1, 1),
                "a playbook is a list of plays, each starting with `- hosts:`",
            )
            return []
        if not isinstance(data, list):
            self._error(
                "a playbook must be a list of plays (each starting with `- hosts:`)",
                loc_of(data) or SourceLocation(str(path), 1, 1),
            )
            return []
        self._stack.append(resolved)
        self._dirs.append(resolved.parent)
        try:
            return self._plays(data, path)
        finally:
            self._stack.pop()
            self._dirs.pop()

    def _plays(self, data: list[Any], path: Path) -> list[Play]:
        plays: list[Play] = []
        for node in data:
            if not isinstance(node, YMap):
                self._error("a play must be a mapping with `hosts:`", loc_of(node) or loc_of(data))
                continue
            if any(f"{prefix}{_IMPORT_PLAYBOOK}" in node for prefix in _IMPORT_PREFIXES):
                plays += self._import_playbook(node, path)
                continue
            play = self._play(node)
            self._play_loc = None  # roles included at run time: their include's place
            if play is not None:
                plays.append(play)
        return plays

    def _import_playbook(self, node: YMap, path: Path) -> list[Play]:
        """The imported plays, with the import's ``vars`` (over their own), ``tags`` and
        ``when`` (on every task, fact gathering included); a templated file name is rendered
        with the import's vars and the extra vars, as Ansible does."""
        key = next(k for k in node if str(k).endswith(_IMPORT_PLAYBOOK))
        name, at = node[key], node.value_loc(key)
        self._unknown_keys(node, _IMPORT_PLAYBOOK_KEYS, "import_playbook keyword")
        self.problems += structure_problems(node, "play", node.loc)
        if not isinstance(name, str) or not name:
            self._error("`import_playbook` needs a file name", at)
            return []
        import_vars: dict[str, Any] = node["vars"] if isinstance(node.get("vars"), dict) else {}
        if is_template(name):
            try:
                name = str(self.engine.templar({**import_vars, **self.extra_vars}, at).render(name))
            except PbeError as exc:
                self._error(
                    f"import_playbook: {exc.message}",
                    at,
                    "its name may use the import's `vars` and, with pbe run, -e variables",
                )
                return []
        outer = self._import_vars  # the imported plays read them when loaded (role names)
        self._import_vars = {**outer, **trust(dict(import_vars))}
        try:
            plays = self._load_plays(path.parent / name, at)
        finally:
            self._import_vars = outer
        when, tags = _as_tuple(node.get("when")), _tags(node.get("tags"))
        return [
            replace(
                p,
                vars={**p.vars, **import_vars},
                when=when + p.when,
                tags=tuple(dict.fromkeys(p.tags + tags)),
            )
            for p in plays
        ]

    # -- plays ----------------------------------------------------------------------------

    def _play(self, node: YMap) -> Play | None:
        before = len(self.problems)
        config = settings.current()
        self._unknown_keys(node, PLAY_KEYWORDS, "play keyword")
        self.problems += structure_problems(node, "play", node.loc)
        self._check_vars_files(node)
        if "hosts" not in node:
            self._error("play has no `hosts:`", node.loc, "add e.g. `hosts: all`")
        self._handlers, self._included_handlers = [], {}
        self._handler_log, self._static_handlers = [], set()
        self._play_loc = node.loc  # Ansible places a role's argument check at its play
        play_vars = node.get("vars")
        given = trust(dict(play_vars)) if isinstance(play_vars, dict) else {}
        self._play_vars = {**given, **self._import_vars}
        with self._searching(_collections(node.get("collections"))):  # roles: their own
            # In play order, so an include_role in tasks sees the roles already loaded.
            sections = {"pre_tasks": self._task_list(node.get("pre_tasks"), node.loc)}
            start = len(self._handlers)
            sections["roles"] = self._roles_section(node)
            end = len(self._handlers)
            for section in ("tasks", "post_tasks"):
                sections[section] = self._task_list(node.get(section), node.loc)
            sections["handlers"] = self._handler_list(
                lambda: self._task_list(node.get("handlers"), node.loc)
            )
        # Ansible's order: the roles section's, the play's own, then those of imported roles
        found, own = self._handlers, _flat_handlers(sections["handlers"], ())
        handlers = found[start:end] + own + found[:start] + found[end:]
        self._check_notify(sections, handlers, node)
        self._check_end_role(sections, [h for h, _ in handlers])
        for key in ("vars", "environment"):
            self.problems += check_templates(node.get(key), self.engine, node.loc)
        prompts = self._var_prompts(node)
        if self._has_errors(self.problems[before:]):
            return None
        hosts = node.get("hosts") or ""
        return Play(
            hosts=author_text(",".join(hosts) if isinstance(hosts, list) else hosts),
            loc=node.loc or SourceLocation("<unknown>"),
            name=node.get("name"),
            vars=dict(node.get("vars") or {}),
            vars_files=tuple(trust(v) for v in _as_tuple(node.get("vars_files"))),
            vars_prompt=prompts,
            pre_tasks=sections["pre_tasks"],
            roles=sections["roles"],
            tasks=sections["tasks"],
            post_tasks=sections["post_tasks"],
            handlers=tuple(h for h, _ in handlers),
            handler_blocks={h.uid: blocks for h, blocks in handlers if blocks},
            included_handlers=dict(self._included_handlers),
            late_handlers=frozenset(self._handler_log) - self._static_handlers,
            gather_facts=node.get("gather_facts"),  # not given: ANSIBLE_GATHERING decides
            gather_args=trust({k: node[k] for k in _GATHER_KEYWORDS if k in node}),
            module_defaults=node.get("module_defaults"),
            become=node.get("become"),
            become_user=node.get("become_user"),
            become_method=node.get("become_method"),
            remote_user=node.get("remote_user", node.get("user")),  # `user`: its old name
            connection=node.get("connection"),
            check_mode=node.get("check_mode"),
            diff=node.get("diff"),
            ignore_errors=node.get("ignore_errors"),
            ignore_unreachable=node.get("ignore_unreachable"),
            run_once=node.get("run_once"),
            # the `no_log` setting: every task's, unless the play (or a block, task) says
            no_log=node.get("no_log", True if config["DEFAULT_NO_LOG"] else None),
            environment=node.get("environment") or {},
            strategy=author_text(node.get("strategy") or config["DEFAULT_STRATEGY"]),
            serial=node.get("serial"),
            force_handlers=node.get("force_handlers"),  # None: the run's (flag, setting)
            any_errors_fatal=node.get("any_errors_fatal", config["ANY_ERRORS_FATAL"]),
            max_fail_percentage=node.get("max_fail_percentage"),
            order=author_text(node.get("order") or "inventory"),
            tags=_tags(node.get("tags")),
            keyword_locs=dict(node.key_locs),
        )

    def _check_vars_files(self, node: YMap) -> None:
        """A ``vars_files`` entry without a template is read now, not when its play starts
        (a list entry is the first of its files that exists, known only at run time)."""
        value = node.get("vars_files")
        names = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        base = self._dirs[-1] if self._dirs else self.playbook_dir
        for name in names:
            if not isinstance(name, str) or is_template(name):
                continue  # a wrong type is the schema's; a template is resolved per run
            at = loc_of(name) or node.value_loc("vars_files")
            if not is_file(base / name):
                self._error(f"vars file not found: {name}", at, f"looked for {base / name}")
                continue
            try:
                load_vars_file(base / name, listed=True)
            except ValidationError as exc:
                self._collect(exc, at)

    def _check_notify(
        self,
        sections: dict[str, tuple[TaskItem, ...]],
        handlers: list[tuple[Task, tuple[Block, ...]]],
        node: YMap,
    ) -> None:
        """A notify that names no handler of the play is a mistake we can see now. Not when
        the handler was dropped by an error of its own (already reported), nor when a
        handler's name is a template the play's variables cannot render (known only at
        run time). A role's handler may be named ``role : name``; listen topics are taken
        as written, as Ansible does."""
        known: set[str] = set()
        missing_is_error = settings.current()["ERROR_ON_MISSING_HANDLER"]
        play_vars: dict[str, Any] = node["vars"] if isinstance(node.get("vars"), dict) else {}
        for handler, blocks in handlers:
            names = [handler.name] if handler.name else []
            rendered = [self._static_name(name, play_vars) for name in names]
            if None in rendered:
                return
            role = next((b.role.name for b in reversed(blocks) if b.role is not None), None)
            known |= role_qualified([*names, *(r for r in rendered if r)], role)
            known |= role_qualified(handler.listen, role)
        for section in ("pre_tasks", "roles", "tasks", "post_tasks", "handlers"):
            for task, included in _tasks_and_how(sections[section]):
                for name in task.notify:
                    if name in known | self._dropped or is_template(name):
                        continue
                    problem = Problem(
                        f"notify names no handler of this play: `{name}`",
                        task.keyword_loc("notify"),
                        did_you_mean(name, known),
                        "error" if missing_is_error else "warning",
                    )
                    # Ansible looks the handler up when the task reports a change
                    when = "this task reports a change"
                    self.problems.append(_deferred(problem, when) if included else problem)

    def _check_end_role(
        self, sections: dict[str, tuple[TaskItem, ...]], handlers: list[Task]
    ) -> None:
        """``meta: end_role`` ends the role it is in: a handler or a task outside any role
        has none (Ansible refuses both)."""
        misplaced = [(t, "in a handler") for t in iter_tasks(tuple(handlers)) if _ends_role(t)]
        for section in ("pre_tasks", "tasks", "post_tasks"):
            misplaced += [(t, "outside a role") for t in _outside_roles(sections[section])]
        for task, where in misplaced:
            self._error(
                f"`meta: end_role` cannot run {where}",
                task.loc,
                "it ends the role it is in; use `meta: end_host` to end the host's play",
            )

    def _static_name(self, name: str, play_vars: dict[str, Any]) -> str | None:
        """A handler name as the run will see it: rendered with the play's and the extra
        vars; None when it needs more (host variables)."""
        if not is_template(name):
            return name
        try:
            return str(self.engine.templar({**play_vars, **self.extra_vars}).render(name))
        except Exception:  # noqa: BLE001 - any failure means: known only at run time
            return None

    def _var_prompts(self, node: YMap) -> tuple[VarPrompt, ...]:
        """``vars_prompt`` entries (each needs ``name``; ``prompt`` defaults to it)."""
        value = node.get("vars_prompt")
        prompts: list[VarPrompt] = []
        for i, entry in enumerate(value if isinstance(value, list) else []):
            at = loc_of(entry) or (value.item_locs[i] if isinstance(value, YList) else node.loc)
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                self._error("a vars_prompt entry needs a `name`", at)
                continue
            if unknown := sorted(set(entry) - _PROMPT_KEYS):
                self._error(
                    f"unknown vars_prompt key `{unknown[0]}`",
                    at,
                    did_you_mean(unknown[0], _PROMPT_KEYS),
                )
                continue
            prompts.append(_var_prompt(entry, at or node.loc or SourceLocation("?")))
        return tuple(prompts)

    def _unknown_keys(self, node: YMap, allowed: frozenset[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self._error(
                    f"unknown {what} `{key}`", node.key_loc(key), did_you_mean(key, allowed)
                )

    # -- tasks ----------------------------------------------------------------------------

    def _task_list(self, value: Any, at: SourceLocation | None) -> tuple[TaskItem, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            return ()  # the schema has already reported the wrong type
        items: list[TaskItem] = []
        for i, node in enumerate(value):
            if not isinstance(node, YMap):
                where = value.item_locs[i] if isinstance(value, YList) else None
                self._error(
                    f"a task must be a mapping (`- name: ...` and a module), got {_kind(node)}",
                    loc_of(node) or where or loc_of(value) or at,
                )
                continue
            if self._handler_depth and "block" in node:
                self._error(_NESTED_HANDLER_BLOCK, node.loc, _HANDLER_HINT)
                continue
            item = self._block(node) if "block" in node else self._task(node)
            if (
                isinstance(item, Task)
                and self._handler_depth is not None
                and item.meta == "flush_handlers"
            ):
                item = self._failing_flush(item)
            elif isinstance(item, Task) and self._not_a_handler(item):
                continue
            if isinstance(item, Task) and item.action in _STRUCTURAL:
                item = _STRUCTURAL[item.action](self, item)
            if item is not None:
                items.append(item)
        return tuple(items)

    def _handler_list(self, read: Callable[[], tuple[TaskItem, ...]]) -> tuple[TaskItem, ...]:
        """Read a list of handlers: only tasks, or blocks of them at its top level."""
        depth, self._handler_depth = self._handler_depth, 0
        try:
            return read()
        finally:
            self._handler_depth = depth

    def _failing_flush(self, task: Task) -> Task:
        """A ``meta: flush_handlers`` handler: Ansible fails it only when it is notified
        (a role may carry one nothing notifies), so a warning now and a failing handler."""
        self.problems.append(
            Problem(
                "`meta: flush_handlers` can't be a handler: it fails if notified, as in Ansible",
                task.loc,
                _FLUSH_HANDLER_HINT,
                "warning",
            )
        )
        message = "flush_handlers cannot be used as a handler"
        return replace(task, action="fail", args={"msg": message})

    def _not_a_handler(self, task: Task) -> bool:
        """Report a task that can't be a handler, as Ansible rejects it: a role import or
        include."""
        if self._handler_depth is None or task.action not in ("include_role", "import_role"):
            return False
        what, hint = f"`{task.action}`", _ROLE_HANDLER_HINT
        self._error(f"{what} can't be a handler (Ansible rejects it too)", task.loc, hint)
        self._dropped.update(n for n in (task.name, *task.listen) if n)  # no second error
        return True

    def _block(self, node: YMap) -> Block | None:
        before = len(self.problems)
        self._unknown_keys(node, BLOCK_KEYWORDS, "block keyword")
        for key in (k for k in ASYNC_KEYS if k in node):  # Ansible's too: task keywords only
            self._error(f"`{key}` is a task keyword, not valid on a block", node.key_loc(key))
        self.problems += structure_problems(node, "task", node.loc)
        for key in CONDITION_KEYS:
            self.problems += check_templates(node.get(key), self.engine, node.loc, bare=True)
        depth = self._handler_depth
        self._handler_depth = None if depth is None else depth + 1
        try:
            sections = {
                key: self._task_list(node.get(key), node.loc)
                for key in ("block", "rescue", "always")
            }
        finally:
            self._handler_depth = depth
        if self._has_errors(self.problems[before:]):
            return None
        return Block(
            block=sections["block"],
            rescue=sections["rescue"],
            always=sections["always"],
            loc=node.loc or SourceLocation("?"),
            name=node.get("name"),
            when=_as_tuple(node.get("when")),
            vars=dict(node.get("vars") or {}),
            tags=_tags(node.get("tags")),
            keywords={
                k: v
                for k, v in node.items()
                if k not in ("block", "rescue", "always", "name", "when", "vars", "tags")
            },
        )

    def _task(self, node: YMap) -> Task | None:
        checked = TaskChecker(self.engine, self._collections)
        found = checked.check(node)
        self.problems += checked.problems
        self._deferrable.update(checked.deferrable)
        if found is None:
            names = (node.get("name"), *_as_tuple(node.get("listen")))
            self._dropped.update(str(n) for n in names if isinstance(n, str))
            return None
        return self._build_task(node, *found)

    def _build_task(
        self, node: YMap, action: str, args: dict[str, Any], written: str | None = None
    ) -> Task:
        loop, loop_with = node.get("loop"), None
        for key in node:
            if str(key).startswith(LOOP_PREFIX):
                loop, loop_with = node[key], str(key)[len(LOOP_PREFIX) :]
        return Task(
            action=action,
            written=written if written != action else None,
            args=trust(args),
            loc=node.loc or SourceLocation("?"),
            name=node.get("name"),
            when=_as_tuple(node.get("when")),
            register=node.get("register"),
            vars=dict(node.get("vars") or {}),
            ignore_errors=node.get("ignore_errors"),
            ignore_unreachable=node.get("ignore_unreachable"),
            changed_when=_opt_tuple(node, "changed_when"),
            failed_when=_opt_tuple(node, "failed_when"),
            tags=_tags(node.get("tags")),
            loop=loop,
            loop_with=loop_with,
            loop_control=dict(node.get("loop_control") or {}),
            until=_opt_tuple(node, "until"),
            retries=node.get("retries"),
            delay=node.get("delay"),
            become=node.get("become"),
            become_user=node.get("become_user"),
            become_method=node.get("become_method"),
            check_mode=node.get("check_mode"),
            diff=node.get("diff"),
            no_log=node.get("no_log"),
            environment=node.get("environment") or {},
            timeout=node.get("timeout"),
            async_val=node.get("async"),
            poll=node.get("poll"),
            notify=tuple(author_text(n) for n in _as_tuple(node.get("notify"))),
            run_once=node.get("run_once"),
            delegate_to="localhost" if "local_action" in node else node.get("delegate_to"),
            delegate_facts=node.get("delegate_facts"),
            connection=node.get("connection"),
            throttle=node.get("throttle"),
            any_errors_fatal=node.get("any_errors_fatal"),
            module_defaults=node.get("module_defaults"),
            remote_user=node.get("remote_user"),
            listen=tuple(author_text(n) for n in _as_tuple(node.get("listen"))),
            keyword_locs=dict(node.key_locs),
            collections=self._collections,
        )

    # -- task files, imports, includes, roles ------------------------------------------------

    def _task_file(self, path: Path, at: SourceLocation | None) -> tuple[TaskItem, ...]:
        """A file of tasks, validated; cached, and guarded against include loops."""
        resolved = _resolve(path) or path
        if resolved in self._file_stack:
            chain = " -> ".join(p.name for p in [*self._file_stack, resolved])
            self._error(f"recursive include: {chain}", at)
            return ()
        with self._cache_lock:
            cached = self._task_files.get((resolved, self._collections))
        if cached is not None:
            self.problems += [p for p in cached[1] if p not in self.problems]
            return cached[0]
        before = len(self.problems)
        ok, data = self._read_yaml(resolved, at)
        if not ok:
            return ()
        if data is not None and not isinstance(data, list):
            self._error("a task file must be a list of tasks", loc_of(data) or at)
            return ()
        self._file_stack.append(resolved)
        self._dirs.append(resolved.parent)
        depth, self._handler_depth = self._handler_depth, None if self._handler_depth is None else 0
        try:
            items = self._task_list(data, at)
        finally:
            self._file_stack.pop()
            self._dirs.pop()
            self._handler_depth = depth
        with self._cache_lock:  # two workers may have read it at once: the first one wins
            entry = (items, self.problems[before:])
            return self._task_files.setdefault((resolved, self._collections), entry)[0]

    def _find_task_file(self, name: str, at: SourceLocation | None) -> Path | None:
        """Relative to the including file, then its role's tasks/ and the role itself
        (``include_tasks: tasks/x.yml`` in handlers/), then the playbook."""
        bases = [self._dirs[-1]] if self._dirs else []
        if self._role_stack:
            bases += [self._role_stack[-1] / "tasks", self._role_stack[-1]]
        bases.append(self.playbook_dir)
        for base in bases:
            if is_file(base / name):
                return base / name
        looked = ", ".join(str(b / name) for b in bases)
        self._error(f"task file not found: {name}", at, f"looked in {looked}")
        return None

    def _static_text(self, value: Any, task: Task) -> Any:
        """A static import's file or role name: a template is rendered with what Ansible
        knows when it reads the playbook: ``playbook_dir``, the defaults, vars and
        parameters of the role being read, the play's vars, the import's own ``vars:`` and
        ``-e``; as written when it needs more."""
        if not is_template(value):
            return value
        defaults, role_vars = self._role_scopes[-1] if self._role_scopes else ({}, {})
        scope = {
            "playbook_dir": str(self.playbook_dir),
            **defaults,
            **self._play_vars,
            **role_vars,
            **trust(dict(task.vars)),
            **self.extra_vars,
        }
        try:
            return author_text(str(self.engine.templar(scope, task.loc).render(value)))
        except Exception:  # noqa: BLE001 - any failure means: not known when reading
            return value

    def _import_tasks(self, task: Task) -> TaskItem | None:
        name = self._static_text(task.args.get("file", ""), task)
        if is_template(name):
            self._error(
                "import_tasks needs a file name known when the playbook is read (play vars, "
                "the role's defaults, vars and parameters, the import's vars, -e, "
                "playbook_dir)",
                task.keyword_loc("import_tasks"),
                "use include_tasks for one that needs host variables",
            )
            return None
        path = self._find_task_file(str(name), task.loc)
        items = self._task_file(path, task.loc) if path else ()
        return _wrap(task, items)

    def _include_tasks(self, task: Task) -> TaskItem:
        name = task.args.get("file", "")
        if is_template(name):
            return task  # resolved per host at run time
        name = str(name)
        path = self._find_task_file(name, task.loc)
        if path is None:  # Ansible reads it when the include runs: a failure of that task
            self.problems[-1] = replace(
                self.problems[-1],
                severity="warning",
                message=f"{self.problems[-1].message} (include_tasks reads it when it runs: "
                "an error only if this task runs)",
            )
            return task
        items = self._at_run_time(lambda: self._task_file(path, task.loc))
        apply = task.args.get("apply") or {}
        return replace(
            task,
            args={**task.args, "file": str(path) if path else name},
            children=(_apply_block(task, items, apply),),
        )

    def _import_role(self, task: Task) -> TaskItem | None:
        block = self._role_from_task(task)
        if block and block.role and str(task.args.get("public", True)).lower() in FALSE_STRINGS:
            block = replace(block, role=replace(block.role, public=False))
        return _wrap(task, (block,)) if block else None

    def _include_role(self, task: Task) -> TaskItem:
        named = ("name", "role", "tasks_from", "vars_from", "defaults_from", "handlers_from")
        if any(is_template(task.args.get(key, "")) for key in named):
            return task  # resolved per host at run time
        before, known = len(self.problems), len(self._handler_log)
        self._including += 1
        try:
            block = self._at_run_time(lambda: self._role_from_task(task))
        finally:
            self._including -= 1
        self._included_handlers[task.uid] = frozenset(self._handler_log[known:])
        missing = [p for p in self.problems[before:] if p.message.startswith("role not found")]
        fatal = str(task.args.get("rescuable", True)).lower() in FALSE_STRINGS
        if block is None and missing and not fatal:
            # Ansible looks for it when the include runs (`rescuable: false`: fatal)
            self.problems[before:] = [
                replace(
                    p,
                    severity="warning",
                    message=f"{p.message} (include_role looks for it when it runs: an error "
                    "only if this task runs)",
                )
                if p in missing
                else p
                for p in self.problems[before:]
            ]
            return task
        return replace(task, children=(_apply_role(block, task.args),) if block else ())

    def _at_run_time(self, load: Callable[[], _T]) -> _T:
        """Load what an include brings in only when it runs: a module pbe lacks there is a
        warning now (Ansible would not even look), an error only if its task runs."""
        before = len(self.problems)
        loaded = load()
        self.problems[before:] = [
            _deferred(p) if p in self._deferrable else p for p in self.problems[before:]
        ]
        return loaded

    def _has_errors(self, problems: list[Problem]) -> bool:
        """Errors that stop building a block or play; a module pbe lacks does not: its task
        is built, to fail if it runs (and a static one fails the whole load)."""
        return any(p.severity == "error" and p not in self._deferrable for p in problems)

    def _role_from_task(self, task: Task) -> Block | None:
        """The role an import_role/include_role names. ``rolespec_validate: false`` leaves
        out its argument check; with ``allow_duplicates: false`` it is skipped on a host
        that already completed the same role (a run-time matter, per host)."""
        args = task.args
        first = len(self._handlers)
        block = self._role_block(
            author_text(self._static_text(args.get("name", args.get("role", "")), task)),
            task.loc,
            {},
            {
                sub: str(self._static_text(args.get(f"{sub}_from", "main"), task))
                for sub in ("tasks", "vars", "defaults", "handlers")
            },
            # given, it overrides the role's meta; absent, the role runs again
            dedupe=not self._flag(args, "allow_duplicates", task)
            if "allow_duplicates" in args
            else False,
            validate=self._flag(args, "rolespec_validate", task),
        )
        inherited = _import_keywords(task)
        if task.when or task.vars or inherited:  # the role's handlers inherit them too
            line = Block(block=(), loc=task.loc, when=task.when, vars=task.vars, keywords=inherited)
            self._handlers[first:] = [(h, (line, *chain)) for h, chain in self._handlers[first:]]
        if task.action == "include_role" and block is not None and block.role is not None:
            # as in ansible-core: an include_role dedupes against earlier include_roles only
            block = replace(block, role=replace(block.role, key=f"include|{block.role.key}"))
        return block

    def _flag(self, args: dict[str, Any], key: str, task: Task) -> bool:
        """A boolean include_role/import_role option, rendered as the name is; True
        (its default) when absent or known only at run time."""
        value = self._static_text(args.get(key, True), task)
        if isinstance(value, bool) or is_template(value):
            return value is not False
        return str(value).strip().lower() in TRUE_STRINGS

    def _roles_section(self, node: YMap) -> tuple[TaskItem, ...]:
        specs = node.get("roles") or []
        blocks: list[TaskItem] = []
        for i, spec in enumerate(specs if isinstance(specs, list) else []):
            loc = specs.item_locs[i] if isinstance(specs, YList) else node.loc
            if (parsed := _role_spec(spec)) is None:
                continue  # the schema has reported it
            name, params, keywords = parsed
            if not name:
                self._error("a role entry needs a name (`role: NAME`)", loc)
                continue
            block = self._role_block(name, loc, params, {}, keywords=keywords)
            if block is not None:
                self._check_role_params(spec, block, loc)
                blocks.append(block)
        return tuple(blocks)

    def _role_block(
        self,
        name: str,
        loc: SourceLocation | None,
        params: dict[str, Any],
        files: dict[str, str],
        keywords: dict[str, Any] | None = None,
        dedupe: bool | None = None,
        validate: bool = True,
    ) -> Block | None:
        """Load a role (dependencies first) as one block carrying its variables. ``dedupe``:
        skipped at run time on a host that already completed the same role; None: unless
        its meta says ``allow_duplicates: true`` (the roles section, dependencies)."""
        parent = self._role_stack[-1] if self._role_stack else None
        dirs = search_dirs(self.playbook_dir, parent)
        path = find_role(name, dirs, self.playbook_dir)
        for collection in () if path or "." in name else self._collections:
            path = find_role(f"{collection}.{name}", dirs, self.playbook_dir)  # `collections:`
            if path is not None:
                break
        if path is None:
            self._error(
                f"role not found: `{name}`",
                loc,
                f"looked in {self.playbook_dir / 'roles'} and the roles path",
            )
            return None
        resolved = _resolve(path) or path
        entries = sorted((k, v) for k, v in files.items() if v != "main")
        given = {**(keywords or {}).get("vars", {}), **params}
        key = f"{resolved}|{sorted(map(repr, given.items()))}|{entries!r}"
        # A loop is the same entry point of a role read inside itself; a role may import
        # its own other task files (`tasks_from`), as in Ansible.
        entry = (resolved, repr(sorted((k, v) for k, v in files.items() if v != "main")))
        if entry in self._role_entries:
            self._error(f"role dependency loop: `{name}` depends on itself", loc)
            return None
        self._role_stack.append(resolved)
        self._role_entries.append(entry)
        try:
            block = self._read_role(name, path, loc, params, files, keywords or {}, validate)
        finally:
            self._role_stack.pop()
            self._role_entries.pop()
        if block is None or block.role is None:
            return block
        if dedupe is None:
            dedupe = not self._allows_duplicates(path, loc)
        return replace(block, role=replace(block.role, key=key, dedupe=dedupe))

    def _allows_duplicates(self, path: Path, loc: SourceLocation | None) -> bool:
        """A role's meta ``allow_duplicates: true``: it runs again wherever it is listed."""
        ok, data = self._role_meta(path, loc)
        value = data.get("allow_duplicates", False) if ok and isinstance(data, dict) else False
        return str(value).lower() in TRUE_STRINGS

    def _read_role(
        self,
        name: str,
        path: Path,
        loc: SourceLocation | None,
        params: dict[str, Any],
        files: dict[str, str],
        keywords: dict[str, Any],
        validate: bool = True,
    ) -> Block | None:
        if not self._inside_role(name, path, files, loc):
            return None
        self.problems += load_plugins(self.engine.env, path)  # the role's filter_plugins/ ...
        self.problems += load_library(path)
        search = self._role_collections(path, loc)
        with self._searching(search):  # for its dependencies' names too
            deps = self._role_dependencies(path, loc)
        tasks_file = main_file(path, "tasks", files.get("tasks", "main"))
        if tasks_file is None and files.get("tasks", "main") != "main":
            self._error(f"role `{name}` has no tasks file `{files['tasks']}`", loc)
            return None
        handlers_file = main_file(path, "handlers", files.get("handlers", "main"))
        if tasks_file is None and handlers_file is None and not deps and not _has_content(path):
            self._error(f"role `{name}` has no tasks (no tasks/main.yml in {path})", loc)
            return None
        defaults = self._role_vars(path, "defaults", files, loc)
        role_vars = self._role_vars(path, "vars", files, loc)
        self._role_scopes.append((defaults, {**role_vars, **params}))
        try:
            with self._searching(search):
                tasks = self._task_file(tasks_file, loc) if tasks_file else ()
        finally:
            self._role_scopes.pop()
        if validate:
            tasks = self._validation_task(name, path, files.get("tasks", "main"), loc) + tasks
        role = Role(name, str(path), defaults, role_vars)
        entry_vars = dict(keywords.get("vars") or {})  # a `roles:` entry's `vars:`
        if handlers_file:  # they run in the role's scope: its vars, files and templates
            outer = (
                Block(
                    block=(),
                    loc=loc or SourceLocation(str(path)),
                    vars=entry_vars,
                    params=params,
                    role=role,
                ),
            )
            with self._searching(search):
                read = self._handler_list(lambda: self._task_file(handlers_file, loc))
            loaded = _flat_handlers(read, outer)
            self._handler_log += [t.uid for t, _ in loaded]
            if not self._including:
                self._static_handlers.update(t.uid for t, _ in loaded)
            self._handlers += [
                (t, b) for t, b in loaded if not any(t is h for h, _ in self._handlers)
            ]
        return Block(
            block=tuple(deps) + tasks,
            loc=loc or SourceLocation(str(path)),
            name=f"role {name}",
            when=_as_tuple(keywords.get("when")),
            vars=entry_vars,
            params=params,
            tags=_tags(keywords.get("tags")),
            keywords={k: v for k, v in keywords.items() if k not in ("when", "tags", "vars")},
            role=role,
        )

    def _role_collections(self, path: Path, loc: SourceLocation | None) -> tuple[str, ...]:
        """What a role's short module names are searched in: its own collection (a
        collection's role), then its meta's ``collections``; never the play's."""
        ok, data = self._role_meta(path, loc)
        listed = _collections(data.get("collections")) if ok and isinstance(data, dict) else ()
        own = role_collection(path)
        return tuple(dict.fromkeys([*([own] if own else []), *listed]))

    @contextmanager
    def _searching(self, collections: tuple[str, ...]) -> Iterator[None]:
        """Read with this ``collections`` search list in force."""
        outer, self._collections = self._collections, collections
        try:
            yield
        finally:
            self._collections = outer

    def _inside_role(
        self, name: str, path: Path, files: dict[str, str], loc: SourceLocation | None
    ) -> bool:
        """``tasks_from`` and the other ``*_from`` files must be inside the role."""
        for sub, file in files.items():
            if file != "main" and outside_role(path, sub, file):
                self._error(
                    f"`{sub}_from: {file}` of role `{name}` is not inside the expected role "
                    f"path {path / sub}",
                    loc,
                    "name a file below the role's own directory",
                )
                return False
        return True

    def _validation_task(
        self, name: str, path: Path, entry: str, loc: SourceLocation | None
    ) -> tuple[TaskItem, ...]:
        """The implicit first task of a role with an argument spec for the entry point run
        (``main``, or ``tasks_from``)."""
        specs, problems = read_specs(path)
        self.problems += problems
        where = self._play_loc or loc or SourceLocation(str(path))
        task = implicit_task(name, path, specs, entry, where)
        return () if task is None else (task,)

    def _check_role_params(self, spec: Any, block: Block, loc: SourceLocation | None) -> None:
        """Role parameters written at the call (not its ``vars:``) that the role's ``main``
        argument spec rejects: certain, since only ``-e`` overrides a role parameter."""
        if not isinstance(spec, dict) or block.role is None:
            return
        params = {k: v for k, v in spec.items() if k not in _ROLE_KEYWORDS | {"role", "name"}}
        task = implicit_task(
            block.role.name,
            Path(block.role.path),
            read_specs(Path(block.role.path))[0],
            "main",
            loc or block.loc,
        )
        if task is not None and params:
            self.problems += literal_param_problems(
                block.role.name, task.args["argument_spec"], params, task.loc, self.extra_vars
            )

    def _role_vars(
        self, path: Path, sub: str, files: dict[str, str], loc: SourceLocation | None
    ) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for file in main_vars_files(path, sub, files.get(sub, "main")):
            try:
                merged.update(load_vars_file(file) or {})
            except ValidationError as exc:
                self._collect(exc, loc)
        return merged

    def _role_meta(self, path: Path, loc: SourceLocation | None) -> tuple[bool, Any]:
        """(ok, data) of a role's ``meta/main``, read once per load (its dependencies and
        ``allow_duplicates`` both come from it); (False, None) without one."""
        if path not in self._metas:
            meta = main_file(path, "meta")
            self._metas[path] = self._read_yaml(meta, loc) if meta else (False, None)
        return self._metas[path]

    def _role_dependencies(self, path: Path, loc: SourceLocation | None) -> list[TaskItem]:
        ok, data = self._role_meta(path, loc)
        if not ok:
            return []
        meta = main_file(path, "meta")
        found = structure_problems(data, "rolemeta", loc_of(data) or SourceLocation(str(meta)))
        self.problems += found
        if self._has_errors(found) or not data:
            return []
        blocks: list[TaskItem] = []
        deps = data.get("dependencies") or []
        for i, spec in enumerate(deps):
            name, params, keywords = _role_spec(spec) or ("", {}, {})
            at = loc_of(spec) or (deps.item_locs[i] if isinstance(deps, YList) else loc)
            if not name:
                self._error("a role dependency needs a name (`role: NAME`)", at)
                continue
            block = self._role_block(name, at, params, {}, keywords)
            if block is not None:
                self._check_role_params(spec, block, at)
                blocks.append(block)
        return blocks

    # -- run-time loading (templated include targets) ----------------------------------------

    def runtime_tasks(
        self,
        name: str,
        base_dir: Path,
        role_path: str | None = None,
        collections: tuple[str, ...] = (),
    ) -> tuple[Path | None, tuple[TaskItem, ...], Handlers]:
        """Load a task file named only at run time: the file found, its tasks and the
        handlers of the roles they include; thread-safe; raises ValidationFailed listing
        the file's problems. ``collections``: the keyword in force at the include."""
        loader = self._for_call()
        loader._dirs = [base_dir]
        loader._role_stack = [Path(role_path)] if role_path else []
        loader._collections = collections
        path = loader._find_task_file(name, None)
        items = loader._at_run_time(lambda: loader._task_file(path, None) if path else ())
        loader._raise_errors()
        return path, items, tuple(loader._handlers)

    def runtime_role(self, args: dict[str, Any]) -> tuple[Block, Handlers]:
        """Load a role named only at run time, and the handlers it brings (its own, its
        dependencies'); thread-safe; raises ValidationFailed."""
        loader = self._for_call()
        task = Task(action="include_role", args=args, loc=SourceLocation(str(self.playbook_dir)))
        block = loader._at_run_time(lambda: loader._role_from_task(task))
        loader._raise_errors()
        if block is None:  # not found is always reported as a problem; this is a backstop
            raise ValidationFailed([Problem(f"could not load role {args.get('name')!r}")])
        return _apply_role(block, args), tuple(loader._handlers)

    def _for_call(self) -> PlaybookLoader:
        """A loader for one run-time include: its own problems and recursion stacks, this
        one's engine, playbook directory and task-file cache."""
        loader = PlaybookLoader(self.engine, self.extra_vars)
        loader.playbook_dir = self.playbook_dir
        loader._task_files, loader._cache_lock = self._task_files, self._cache_lock
        loader._deferrable, loader._dropped = self._deferrable, self._dropped
        return loader

    def _raise_errors(self) -> None:
        if any(p.severity == "error" for p in self.problems):
            raise ValidationFailed(self.problems)

    def _read_yaml(self, path: Path, at: SourceLocation | None) -> tuple[bool, Any]:
        """(ok, data) of a YAML file; its error or warnings are collected as problems."""
        try:
            data, warnings = load_file(path)
        except ValidationError as exc:
            self._collect(exc, at)
            return False, None
        self.problems += warnings
        return True, data

    def _collect(self, exc: ValidationError, at: SourceLocation | None) -> None:
        self.problems.append(Problem(exc.message, exc.location or at, exc.hint))

    def _error(self, message: str, loc: SourceLocation | None, hint: str | None = None) -> None:
        self.problems.append(Problem(message, loc, hint))


def _resolve(path: Path) -> Path | None:
    """``path.resolve()``, or None for a path that can't exist (NUL byte, symlink loop)."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):
        return None


def _collections(value: Any) -> tuple[str, ...]:
    """A ``collections`` keyword's names (a wrong type is the schema's to report)."""
    names = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return tuple(str(n) for n in names if isinstance(n, str) and not is_template(n))


def _has_content(role: Path) -> bool:
    """A role without tasks may still bring vars, defaults or dependencies (its meta)."""
    return any(main_file(role, part, "main") is not None for part in ("meta", "vars", "defaults"))


def _deferred(problem: Problem, when: str = "this task runs") -> Problem:
    return replace(
        problem,
        severity="warning",
        message=f"{problem.message} (in a file included at run time: an error only if {when})",
    )


def _flat_handlers(
    items: tuple[TaskItem, ...], outer: tuple[Block, ...]
) -> list[tuple[Task, tuple[Block, ...]]]:
    """Handlers from a handlers list: tasks, and the tasks of ``import_tasks`` (blocks),
    each with the blocks around it, whose ``when``/vars/keywords it keeps."""
    found: list[tuple[Task, tuple[Block, ...]]] = []
    for item in items:
        if isinstance(item, Task):
            found.append((item, outer))
        else:
            found += _flat_handlers(item.block + item.rescue + item.always, (*outer, item))
    return found


_NESTED_HANDLER_BLOCK = (
    "a block inside a handler's block can't be a handler (Ansible rejects it too)"
)
_HANDLER_HINT = (
    "a handler is a task: a `block:` may only group handlers at the top of a handlers list "
    "or file; handlers can share a `listen:` topic instead"
)
_ROLE_HANDLER_HINT = "notify the role's own handlers, or make the handler an include_tasks"
_FLUSH_HANDLER_HINT = (
    "a handler notified by a handler runs in the same flush if it comes later in the list"
)
_IMPORT_PLAYBOOK = "import_playbook"
_IMPORT_PREFIXES = ("", "ansible.builtin.", "ansible.legacy.")
_IMPORT_PLAYBOOK_KEYS = frozenset(
    [
        *(f"{prefix}{_IMPORT_PLAYBOOK}" for prefix in _IMPORT_PREFIXES),
        "name",
        "vars",
        "tags",
        "when",
    ]
)
_PROMPT_KEYS = frozenset(
    {"name", "prompt", "default", "private", "confirm", "encrypt", "salt", "salt_size", "unsafe"}
)


def _var_prompt(entry: dict[str, Any], at: SourceLocation) -> VarPrompt:
    def flag(key: str, default: bool) -> bool:
        value = entry.get(key, default)
        return value if isinstance(value, bool) else str(value).lower() in TRUE_STRINGS

    encrypt = entry.get("encrypt")
    return VarPrompt(
        name=str(entry["name"]),
        prompt=str(entry.get("prompt") or entry["name"]),
        loc=at,
        default=entry.get("default"),
        private=flag("private", True),
        confirm=flag("confirm", False),
        encrypt=str(encrypt) if encrypt else None,
        salt=str(entry["salt"]) if entry.get("salt") else None,
        salt_size=int(entry["salt_size"]) if entry.get("salt_size") else None,
        unsafe=flag("unsafe", False),
    )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else type(value).__name__


def iter_tasks(items: tuple[TaskItem, ...]) -> list[Task]:
    """Every task in a list, blocks and static include contents flattened."""
    return [task for task, _ in _tasks_and_how(items)]


def _tasks_and_how(items: tuple[TaskItem, ...], included: bool = False) -> list[tuple[Task, bool]]:
    """Every task of a list, as ``iter_tasks``, each with whether it comes from a file or
    role included at run time (an ``include_*`` task's children)."""
    out: list[tuple[Task, bool]] = []
    for item in items:
        if isinstance(item, Task):
            out.append((item, included))
            out += _tasks_and_how(item.children, True)
        else:
            out += _tasks_and_how(item.block + item.rescue + item.always, included)
    return out


def _ends_role(task: Task) -> bool:
    return task.meta == "end_role"


def _outside_roles(items: tuple[TaskItem, ...]) -> list[Task]:
    """The ``meta: end_role`` tasks of a list that no role encloses (static includes too)."""
    out: list[Task] = []
    for item in items:
        if isinstance(item, Task):
            out += [item] if _ends_role(item) else _outside_roles(item.children)
        elif item.role is None:
            out += _outside_roles(item.block + item.rescue + item.always)
    return out


def _opt_tuple(node: YMap, key: str) -> tuple[Any, ...] | None:
    return _as_tuple(node[key]) if key in node else None


_ROLE_KEYWORDS = frozenset(
    {
        "when",
        "tags",
        "become",
        "become_user",
        "become_method",
        "vars",
        "environment",
        "no_log",
        "ignore_errors",
        "check_mode",
        "diff",
        "any_errors_fatal",
        "delegate_to",
        "delegate_facts",
        "run_once",
        "module_defaults",
    }
)


def _role_spec(spec: Any) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """A `roles:` entry → (name, params, keywords); None for a shape the schema rejects."""
    if isinstance(spec, str):
        return spec, {}, {}
    if not isinstance(spec, dict):
        return None
    name = spec.get("role") or spec.get("name") or ""
    role_vars = spec.get("vars") or {}
    if not isinstance(name, str) or not isinstance(role_vars, dict):
        return None
    name = author_text(name)
    # `vars:` are the entry's vars (below set_fact); other keys are its parameters (above)
    keywords = {k: v for k, v in spec.items() if k in _ROLE_KEYWORDS}
    params = {
        k: v for k, v in spec.items() if k not in _ROLE_KEYWORDS and k not in ("role", "name")
    }
    return name, params, keywords


def _wrap(task: Task, items: tuple[TaskItem, ...]) -> Block:
    """A static import's tasks, inheriting the import line's keywords."""
    return Block(
        block=items,
        loc=task.loc,
        name=task.name,
        when=task.when,
        vars=task.vars,
        tags=task.tags,
        keywords=_import_keywords(task),
    )


def _import_keywords(task: Task) -> dict[str, Any]:
    """The keywords of an import/include line that what it brings in inherits (a role's
    handlers too, as in Ansible)."""
    keywords = {
        k: getattr(task, k)
        for k in (
            "become",
            "become_user",
            "become_method",
            "ignore_errors",
            "no_log",
            "check_mode",
            "diff",
            "delegate_to",
            "delegate_facts",
        )
        if getattr(task, k) not in (None, False)
    }
    if task.environment:
        keywords["environment"] = task.environment
    return keywords


def _apply_role(block: Block, args: dict[str, Any]) -> Block:
    """include_role's ``apply:`` keywords, on the role's own block (it stays a role block)."""
    apply = args.get("apply") or {}
    if not isinstance(apply, dict) or not apply:
        return block
    return replace(
        block,
        when=block.when + _as_tuple(apply.get("when")),
        tags=block.tags + _tags(apply.get("tags")),
        keywords={
            **block.keywords,
            **{k: v for k, v in apply.items() if k not in ("when", "tags")},
        },
    )


def _apply_block(task: Task, items: tuple[TaskItem, ...], apply: dict[str, Any]) -> Block:
    """include_tasks' ``apply:`` keywords wrap what it includes."""
    return Block(
        block=items,
        loc=task.loc,
        when=_as_tuple(apply.get("when")),
        tags=_tags(apply.get("tags")),
        keywords={k: v for k, v in apply.items() if k not in ("when", "tags")},
    )


_STRUCTURAL = {
    "import_tasks": PlaybookLoader._import_tasks,
    "include_tasks": PlaybookLoader._include_tasks,
    "import_role": PlaybookLoader._import_role,
    "include_role": PlaybookLoader._include_role,
}


def load_playbook(
    path: str | Path, engine: TemplateEngine | None = None, extra_vars: dict[str, Any] | None = None
) -> Playbook:
    """Load and validate; raises ValidationFailed listing every problem."""
    return PlaybookLoader(engine, extra_vars).load(path)


__all__ = ["PlaybookLoader", "load_playbook", "plain"]
