"""Playbook files → validated model. All problems in all files are collected, then raised."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import Problem, ValidationError, ValidationFailed
from ..source import SourceLocation
from ..templating.plugins import load_plugins
from ..templating.templar import TemplateEngine
from ..templating.values import author_text, is_template, trust
from .loader import YList, YMap, load_file, load_vars_file, loc_of, plain
from .model import Block, Play, Playbook, Role, Task, TaskItem
from .roles import find_role, is_file, main_file, search_dirs
from .taskcheck import CONDITION_KEYS, TaskChecker
from .validate import (
    BLOCK_KEYWORDS,
    LOOP_PREFIX,
    PLAY_KEYWORDS,
    check_templates,
    did_you_mean,
    structure_problems,
)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    return tuple(author_text(t) for t in _as_tuple(value))


# Play keywords that are arguments of the implicit fact gathering.
_GATHER_KEYWORDS = ("gather_subset", "gather_timeout", "fact_path")


class PlaybookLoader:
    """Loads one playbook (and what it imports), collecting problems instead of failing.

    Its reading state (problems, directory and recursion stacks) belongs to one load: an
    include named at run time is read by a fresh loader per call (``runtime_tasks``), since
    worker threads include at the same time. Only the cache of task files is shared.
    """

    def __init__(self, engine: TemplateEngine | None = None) -> None:
        self.engine = engine or TemplateEngine()
        self.problems: list[Problem] = []
        self._stack: list[Path] = []
        self.playbook_dir = Path(".")
        self._dirs: list[Path] = []            # directory of the file being read
        self._role_stack: list[Path] = []      # roles being read (dependencies, includes)
        self._file_stack: list[Path] = []      # task files being read (recursion guard)
        # A file read once is the same Task objects everywhere (the linear strategy lines
        # hosts up on them); its problems come along, so every reader reports them.
        self._task_files: dict[Path, tuple[tuple[TaskItem, ...], list[Problem]]] = {}
        self._cache_lock = threading.Lock()
        self._handlers: list[Task] = []        # handlers brought in by the play's roles
        self._seen_roles: set[str] = set()

    def load(self, path: str | Path) -> Playbook:
        self.playbook_dir = Path(path).resolve().parent
        plays = self._load_plays(Path(path), None)
        self.problems = list(dict.fromkeys(self.problems))  # a role read twice, say
        if any(p.severity == "error" for p in self.problems):
            raise ValidationFailed(self.problems)
        return Playbook(str(path), tuple(plays))

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
        ok, data = self._read_yaml(path, at)
        if not ok:
            return []
        if data is None or data == []:
            self._error("the playbook is empty: it has no plays",
                        loc_of(data) or SourceLocation(str(path), 1, 1),
                        "a playbook is a list of plays, each starting with `- hosts:`")
            return []
        if not isinstance(data, list):
            self._error("a playbook must be a list of plays (each starting with `- hosts:`)",
                        loc_of(data) or SourceLocation(str(path), 1, 1))
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
                self._error("a play must be a mapping with `hosts:`", loc_of(node)
                            or loc_of(data))
                continue
            if "import_playbook" in node:
                plays += self._import_playbook(node, path)
                continue
            if (play := self._play(node)) is not None:
                plays.append(play)
        return plays

    def _import_playbook(self, node: YMap, path: Path) -> list[Play]:
        name, at = node["import_playbook"], node.value_loc("import_playbook")
        if not isinstance(name, str) or not name:
            self._error("`import_playbook` needs a file name", at)
            return []
        return self._load_plays(path.parent / name, at)

    # -- plays ----------------------------------------------------------------------------

    def _play(self, node: YMap) -> Play | None:
        before = len(self.problems)
        self._unknown_keys(node, PLAY_KEYWORDS, "play keyword")
        self.problems += structure_problems(node, "play", node.loc)
        self._check_vars_files(node)
        if "hosts" not in node:
            self._error("play has no `hosts:`", node.loc, "add e.g. `hosts: all`")
        self._handlers, self._seen_roles = [], set()
        # In play order, so an include_role in tasks sees the roles already loaded.
        sections = {"pre_tasks": self._task_list(node.get("pre_tasks"), node.loc),
                    "roles": self._roles_section(node)}
        for section in ("tasks", "post_tasks", "handlers"):
            sections[section] = self._task_list(node.get(section), node.loc)
        sections["handlers"] += tuple(self._handlers)
        self._check_notify(sections)
        for key in ("vars", "environment"):
            self.problems += check_templates(node.get(key), self.engine, node.loc)
        if _has_errors(self.problems[before:]):
            return None
        hosts = node.get("hosts") or ""
        return Play(
            hosts=author_text(",".join(hosts) if isinstance(hosts, list) else hosts),
            loc=node.loc or SourceLocation("<unknown>"),
            name=node.get("name"),
            vars=dict(node.get("vars") or {}),
            vars_files=tuple(author_text(v) for v in _as_tuple(node.get("vars_files"))),
            pre_tasks=sections["pre_tasks"], roles=sections["roles"], tasks=sections["tasks"],
            post_tasks=sections["post_tasks"],
            handlers=tuple(t for t in sections["handlers"] if isinstance(t, Task)),
            gather_facts=node.get("gather_facts", True),
            gather_args=trust({k: node[k] for k in _GATHER_KEYWORDS if k in node}),
            become=node.get("become"), become_user=node.get("become_user"),
            become_method=node.get("become_method"), remote_user=node.get("remote_user"),
            connection=node.get("connection"), check_mode=node.get("check_mode"),
            diff=node.get("diff"), ignore_errors=node.get("ignore_errors"),
            no_log=node.get("no_log"),
            environment=node.get("environment") or {},
            strategy=author_text(node.get("strategy") or "linear"), serial=node.get("serial"),
            force_handlers=node.get("force_handlers", False),
            any_errors_fatal=node.get("any_errors_fatal", False),
            max_fail_percentage=node.get("max_fail_percentage"),
            order=author_text(node.get("order") or "inventory"),
            tags=_tags(node.get("tags")),
            keyword_locs=dict(node.key_locs),
        )

    def _check_vars_files(self, node: YMap) -> None:
        """A ``vars_files`` entry without a template is read now, not when its play starts."""
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
                load_vars_file(base / name)
            except ValidationError as exc:
                self._collect(exc, at)

    def _check_notify(self, sections: dict[str, tuple[TaskItem, ...]]) -> None:
        """A notify that names no handler of the play is a mistake we can see now."""
        handlers = [t for t in sections["handlers"] if isinstance(t, Task)]
        known = {n for h in handlers for n in (h.name, *h.listen) if n}
        for section in ("pre_tasks", "roles", "tasks", "post_tasks", "handlers"):
            for task in iter_tasks(sections[section]):
                for name in task.notify:
                    if name not in known and not is_template(name):
                        self._error(f"notify names no handler of this play: `{name}`",
                                    task.keyword_loc("notify"), did_you_mean(name, known))

    def _unknown_keys(self, node: YMap, allowed: frozenset[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self._error(f"unknown {what} `{key}`", node.key_loc(key),
                            did_you_mean(key, allowed))

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
                self._error(f"a task must be a mapping (`- name: ...` and a module), got "
                            f"{_kind(node)}", loc_of(node) or where or loc_of(value) or at)
                continue
            item = self._block(node) if "block" in node else self._task(node)
            if isinstance(item, Task) and item.action in _STRUCTURAL:
                item = _STRUCTURAL[item.action](self, item)
            if item is not None:
                items.append(item)
        return tuple(items)

    def _block(self, node: YMap) -> Block | None:
        before = len(self.problems)
        self._unknown_keys(node, BLOCK_KEYWORDS, "block keyword")
        self.problems += structure_problems(node, "task", node.loc)
        for key in CONDITION_KEYS:
            self.problems += check_templates(node.get(key), self.engine, node.loc, bare=True)
        sections = {key: self._task_list(node.get(key), node.loc)
                    for key in ("block", "rescue", "always")}
        if _has_errors(self.problems[before:]):
            return None
        return Block(
            block=sections["block"], rescue=sections["rescue"],
            always=sections["always"], loc=node.loc or SourceLocation("?"),
            name=node.get("name"), when=_as_tuple(node.get("when")),
            vars=dict(node.get("vars") or {}), tags=_tags(node.get("tags")),
            keywords={k: v for k, v in node.items()
                      if k not in ("block", "rescue", "always", "name", "when", "vars", "tags")},
        )

    def _task(self, node: YMap) -> Task | None:
        checked = TaskChecker(self.engine)
        found = checked.check(node)
        self.problems += checked.problems
        if found is None:
            return None
        return self._build_task(node, *found)

    def _build_task(self, node: YMap, action: str, args: dict[str, Any]) -> Task:
        loop, loop_with = node.get("loop"), None
        for key in node:
            if str(key).startswith(LOOP_PREFIX):
                loop, loop_with = node[key], str(key)[len(LOOP_PREFIX):]
        return Task(
            action=action, args=trust(args), loc=node.loc or SourceLocation("?"),
            name=node.get("name"), when=_as_tuple(node.get("when")),
            register=node.get("register"), vars=dict(node.get("vars") or {}),
            ignore_errors=node.get("ignore_errors"),
            ignore_unreachable=node.get("ignore_unreachable"),
            changed_when=_opt_tuple(node, "changed_when"),
            failed_when=_opt_tuple(node, "failed_when"),
            tags=_tags(node.get("tags")), loop=loop, loop_with=loop_with,
            loop_control=dict(node.get("loop_control") or {}),
            until=_opt_tuple(node, "until"), retries=node.get("retries"),
            delay=node.get("delay"), become=node.get("become"),
            become_user=node.get("become_user"), become_method=node.get("become_method"),
            check_mode=node.get("check_mode"), diff=node.get("diff"),
            no_log=node.get("no_log"),
            environment=node.get("environment") or {}, timeout=node.get("timeout"),
            notify=tuple(author_text(n) for n in _as_tuple(node.get("notify"))),
            run_once=node.get("run_once"),
            delegate_to="localhost" if "local_action" in node else node.get("delegate_to"),
            connection=node.get("connection"),
            throttle=node.get("throttle"), any_errors_fatal=node.get("any_errors_fatal"),
            listen=tuple(author_text(n) for n in _as_tuple(node.get("listen"))),
            keyword_locs=dict(node.key_locs),
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
            cached = self._task_files.get(resolved)
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
        try:
            items = self._task_list(data, at)
        finally:
            self._file_stack.pop()
            self._dirs.pop()
        with self._cache_lock:  # two workers may have read it at once: the first one wins
            return self._task_files.setdefault(resolved, (items, self.problems[before:]))[0]

    def _find_task_file(self, name: str, at: SourceLocation | None) -> Path | None:
        """Relative to the including file, then its role's tasks/, then the playbook."""
        bases = [self._dirs[-1]] if self._dirs else []
        if self._role_stack:
            bases.append(self._role_stack[-1] / "tasks")
        bases.append(self.playbook_dir)
        for base in bases:
            if is_file(base / name):
                return base / name
        looked = ", ".join(str(b / name) for b in bases)
        self._error(f"task file not found: {name}", at, f"looked in {looked}")
        return None

    def _import_tasks(self, task: Task) -> TaskItem | None:
        name = task.args.get("file", "")
        if is_template(name):
            self._error("import_tasks needs a file name without templates",
                        task.keyword_loc("import_tasks"), "use include_tasks for that")
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
        items = self._task_file(path, task.loc) if path else ()
        apply = task.args.get("apply") or {}
        return replace(task, args={**task.args, "file": str(path) if path else name},
                       children=(_apply_block(task, items, apply),))

    def _import_role(self, task: Task) -> TaskItem | None:
        block = self._role_from_task(task)
        return _wrap(task, (block,)) if block else None

    def _include_role(self, task: Task) -> TaskItem:
        if is_template(task.args.get("name", task.args.get("role", ""))):
            return task
        block = self._role_from_task(task)
        return replace(task, children=(block,) if block else ())

    def _role_from_task(self, task: Task) -> Block | None:
        args = task.args
        return self._role_block(author_text(args.get("name", args.get("role", ""))), task.loc, {}, {
            sub: str(args.get(f"{sub}_from", "main"))
            for sub in ("tasks", "vars", "defaults", "handlers")}, dedupe=False)

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
                blocks.append(block)
        return tuple(blocks)

    def _role_block(self, name: str, loc: SourceLocation | None, params: dict[str, Any],
                    files: dict[str, str], keywords: dict[str, Any] | None = None,
                    dedupe: bool = True) -> Block | None:
        """Load a role (dependencies first) as one block carrying its variables."""
        parent = self._role_stack[-1] if self._role_stack else None
        path = find_role(name, search_dirs(self.playbook_dir, parent))
        if path is None:
            self._error(f"role not found: `{name}`", loc,
                        f"looked in {self.playbook_dir / 'roles'} and the roles path")
            return None
        resolved = _resolve(path) or path
        key = f"{resolved}|{sorted(map(repr, params.items()))}|{sorted(files.items())!r}"
        if dedupe and key in self._seen_roles:
            return None
        self._seen_roles.add(key)
        if resolved in self._role_stack:
            self._error(f"role dependency loop: `{name}` depends on itself", loc)
            return None
        self._role_stack.append(resolved)
        try:
            return self._read_role(name, path, loc, params, files, keywords or {})
        finally:
            self._role_stack.pop()

    def _read_role(self, name: str, path: Path, loc: SourceLocation | None,
                   params: dict[str, Any], files: dict[str, str],
                   keywords: dict[str, Any]) -> Block | None:
        self.problems += load_plugins(self.engine.env, path)  # the role's filter_plugins/ ...
        deps = self._role_dependencies(path, loc)
        tasks_file = main_file(path, "tasks", files.get("tasks", "main"))
        if tasks_file is None and files.get("tasks", "main") != "main":
            self._error(f"role `{name}` has no tasks file `{files['tasks']}`", loc)
            return None
        handlers_file = main_file(path, "handlers", files.get("handlers", "main"))
        if tasks_file is None and handlers_file is None and not deps:
            self._error(f"role `{name}` has no tasks (no tasks/main.yml in {path})", loc)
            return None
        tasks = self._task_file(tasks_file, loc) if tasks_file else ()
        if handlers_file:
            loaded = [t for t in self._task_file(handlers_file, loc) if isinstance(t, Task)]
            self._handlers += [t for t in loaded if not any(t is h for h in self._handlers)]
        role = Role(name, str(path), self._role_vars(path, "defaults", files, loc),
                    self._role_vars(path, "vars", files, loc))
        return Block(block=tuple(deps) + tasks, loc=loc or SourceLocation(str(path)),
                     name=f"role {name}", when=_as_tuple(keywords.get("when")),
                     vars=params, tags=_tags(keywords.get("tags")),
                     keywords={k: v for k, v in keywords.items() if k not in ("when", "tags")},
                     role=role)

    def _role_vars(self, path: Path, sub: str, files: dict[str, str],
                   loc: SourceLocation | None) -> dict[str, Any]:
        file = main_file(path, sub, files.get(sub, "main"))
        if file is None:
            return {}
        try:
            return load_vars_file(file)
        except ValidationError as exc:
            self._collect(exc, loc)
            return {}

    def _role_dependencies(self, path: Path, loc: SourceLocation | None) -> list[TaskItem]:
        meta = main_file(path, "meta")
        if meta is None:
            return []
        ok, data = self._read_yaml(meta, loc)
        if not ok:
            return []
        found = structure_problems(data, "rolemeta", loc_of(data) or SourceLocation(str(meta)))
        self.problems += found
        if _has_errors(found) or not data:
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
                blocks.append(block)
        return blocks

    # -- run-time loading (templated include targets) ----------------------------------------

    def runtime_tasks(self, name: str, base_dir: Path) -> tuple[TaskItem, ...]:
        """Load a task file named only at run time; thread-safe; raises ValidationFailed
        listing the file's problems."""
        loader = self._for_call()
        loader._dirs = [base_dir]
        path = loader._find_task_file(name, None)
        items = loader._task_file(path, None) if path else ()
        loader._raise_errors()
        return items

    def runtime_role(self, args: dict[str, Any]) -> Block:
        """Load a role named only at run time; thread-safe; raises ValidationFailed."""
        loader = self._for_call()
        task = Task(action="include_role", args=args, loc=SourceLocation(str(self.playbook_dir)))
        block = loader._role_from_task(task)
        loader._raise_errors()
        if block is None:  # not found is always reported as a problem; this is a backstop
            raise ValidationFailed([Problem(f"could not load role {args.get('name')!r}")])
        return block

    def _for_call(self) -> PlaybookLoader:
        """A loader for one run-time include: its own problems and recursion stacks, this
        one's engine, playbook directory and task-file cache."""
        loader = PlaybookLoader(self.engine)
        loader.playbook_dir = self.playbook_dir
        loader._task_files, loader._cache_lock = self._task_files, self._cache_lock
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


def _has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


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
    out: list[Task] = []
    for item in items:
        if isinstance(item, Task):
            out.append(item)
            out += iter_tasks(item.children)
        else:
            out += iter_tasks(item.block + item.rescue + item.always)
    return out


def _opt_tuple(node: YMap, key: str) -> tuple[Any, ...] | None:
    return _as_tuple(node[key]) if key in node else None


_ROLE_KEYWORDS = frozenset({"when", "tags", "become", "become_user", "become_method",
                            "vars", "environment", "no_log", "ignore_errors", "check_mode",
                            "diff", "any_errors_fatal", "delegate_to", "run_once"})


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
    keywords = {k: v for k, v in spec.items() if k in _ROLE_KEYWORDS and k != "vars"}
    params = {k: v for k, v in spec.items()
              if k not in _ROLE_KEYWORDS and k not in ("role", "name")}
    params.update(role_vars)
    return name, params, keywords


def _wrap(task: Task, items: tuple[TaskItem, ...]) -> Block:
    """A static import's tasks, inheriting the import line's keywords."""
    keywords = {k: getattr(task, k) for k in ("become", "become_user", "become_method",
                                               "ignore_errors", "no_log", "check_mode", "diff")
                if getattr(task, k) not in (None, False)}
    if task.environment:
        keywords["environment"] = task.environment
    return Block(block=items, loc=task.loc, name=task.name, when=task.when, vars=task.vars,
                 tags=task.tags, keywords=keywords)


def _apply_block(task: Task, items: tuple[TaskItem, ...], apply: dict[str, Any]) -> Block:
    """include_tasks' ``apply:`` keywords wrap what it includes."""
    return Block(block=items, loc=task.loc, when=_as_tuple(apply.get("when")),
                 tags=_tags(apply.get("tags")),
                 keywords={k: v for k, v in apply.items() if k not in ("when", "tags")})


_STRUCTURAL = {
    "import_tasks": PlaybookLoader._import_tasks,
    "include_tasks": PlaybookLoader._include_tasks,
    "import_role": PlaybookLoader._import_role,
    "include_role": PlaybookLoader._include_role,
}


def load_playbook(path: str | Path, engine: TemplateEngine | None = None) -> Playbook:
    """Load and validate; raises ValidationFailed listing every problem."""
    return PlaybookLoader(engine).load(path)


__all__ = ["PlaybookLoader", "load_playbook", "plain"]
