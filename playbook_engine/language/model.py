"""The validated playbook as typed, frozen data. No I/O and no Jinja here.

Values that may hold templates (``args``, ``vars``, ``when`` …) are kept as loaded; the
executor renders them per host. Every node keeps its ``SourceLocation`` for messages.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Union

from ..source import SourceLocation

_uids = itertools.count(1)  # next() on it is atomic: run-time includes load on worker threads


def _next_uid() -> int:
    return next(_uids)


@dataclass(frozen=True, slots=True)
class Task:
    action: str  # canonical module name ("command")
    args: dict[str, Any]
    loc: SourceLocation
    name: str | None = None
    when: tuple[Any, ...] = ()  # all must hold (a list is an 'and')
    register: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    ignore_errors: Any = None
    ignore_unreachable: Any = None
    changed_when: tuple[Any, ...] | None = None
    failed_when: tuple[Any, ...] | None = None
    tags: tuple[str, ...] = ()
    loop: Any = None
    loop_with: str | None = None  # `with_items` → "items": a lookup feeds the loop
    loop_control: dict[str, Any] = field(default_factory=dict)
    until: tuple[Any, ...] | None = None
    retries: Any = None
    delay: Any = None
    become: Any = None
    become_user: Any = None
    become_method: Any = None
    check_mode: Any = None
    diff: Any = None
    no_log: Any = None
    environment: Any = field(default_factory=dict)  # a mapping, a list of them, or a template
    timeout: Any = None
    async_val: Any = None  # `async:` seconds (the keyword is Python's), a template or int
    poll: Any = None
    notify: tuple[str, ...] = ()
    listen: tuple[str, ...] = ()
    keyword_locs: dict[str, SourceLocation] = field(default_factory=dict)
    # include_tasks/include_role with a static target: loaded and validated up front.
    children: tuple[TaskItem, ...] = ()
    run_once: Any = None
    delegate_to: Any = None
    delegate_facts: Any = None
    throttle: Any = None
    any_errors_fatal: Any = None
    connection: Any = None
    remote_user: Any = None
    module_defaults: Any = None  # {module: {arg: default}}, or a list of such mappings
    # the ``collections`` keyword in force where it is written: a file it includes at run
    # time searches them for short module names too
    collections: tuple[str, ...] = ()
    # Identity for the scheduler's and executor's bookkeeping, fixed when the task is loaded
    # (``replace`` keeps it); never ``id()``, which a later object may reuse.
    uid: int = field(default_factory=_next_uid, compare=False, repr=False)

    # the module as the task writes it, where that is not ``action`` (``ansible.builtin.
    # debug``): an unnamed task is shown by it, as Ansible shows it
    written: str | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.written or self.action

    @property
    def meta(self) -> str | None:
        """The meta action (`flush_handlers`, `end_play` …) when this is a meta task."""
        return str(self.args.get("action")) if self.action == "meta" else None

    def keyword_loc(self, keyword: str) -> SourceLocation:
        return self.keyword_locs.get(keyword, self.loc)


@dataclass(frozen=True, slots=True)
class Role:
    """A role as loaded: where it lives and its two variable layers."""

    name: str
    path: str
    defaults: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # its identity in a play: path, parameters, entry files
    # skipped on a host that already completed the same role (key) in this play
    dedupe: bool = False
    public: bool = True  # its defaults and vars seen by the whole play (`import_role: public=no`)

    @property
    def collection(self) -> str | None:
        return role_collection(self.path)


def role_collection(path: str | PurePath) -> str | None:
    """``ns.col`` for a collection's role (under ``ansible_collections/ns/col/roles/``)."""
    parts = PurePath(path).parts
    if len(parts) >= 5 and parts[-5] == "ansible_collections" and parts[-2] == "roles":
        return f"{parts[-4]}.{parts[-3]}"
    return None


@dataclass(frozen=True, slots=True)
class Block:
    """``block``/``rescue``/``always`` with keywords that its tasks inherit.

    Roles and static imports are loaded as blocks too (``role`` set for a role).
    """

    block: tuple[TaskItem, ...]
    loc: SourceLocation
    rescue: tuple[TaskItem, ...] = ()
    always: tuple[TaskItem, ...] = ()
    name: str | None = None
    when: tuple[Any, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    # a role's parameters (`roles: [{role: x, p: 1}]`): above set_fact, as in Ansible
    params: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    keywords: dict[str, Any] = field(default_factory=dict)
    role: Role | None = None
    uid: int = field(default_factory=_next_uid, compare=False, repr=False)


TaskItem = Union[Task, Block]  # noqa: UP007 - a runtime alias on Python 3.10


@dataclass(frozen=True, slots=True)
class VarPrompt:
    """One ``vars_prompt`` entry: asked before the run on a terminal, else its default."""

    name: str
    prompt: str
    loc: SourceLocation
    default: Any = None
    private: bool = True
    confirm: bool = False
    encrypt: str | None = None
    salt: str | None = None
    salt_size: int | None = None
    unsafe: bool = False


@dataclass(frozen=True, slots=True)
class Play:
    hosts: str
    loc: SourceLocation
    name: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    vars_files: tuple[Any, ...] = ()  # a name, or a list: the first that exists
    vars_prompt: tuple[VarPrompt, ...] = ()
    pre_tasks: tuple[TaskItem, ...] = ()
    roles: tuple[TaskItem, ...] = ()
    tasks: tuple[TaskItem, ...] = ()
    post_tasks: tuple[TaskItem, ...] = ()
    handlers: tuple[Task, ...] = ()
    # handler uid -> the blocks around it, outermost first (its role, an import_tasks)
    handler_blocks: dict[int, tuple[Block, ...]] = field(default_factory=dict)
    # include_role task uid -> the handler uids it (re)loads when it runs; those only an
    # include_role loads (``late_handlers``) are notifiable once one has run, as in Ansible
    included_handlers: dict[int, frozenset[int]] = field(default_factory=dict)
    late_handlers: frozenset[int] = frozenset()
    when: tuple[Any, ...] = ()  # from `import_playbook` with `when:`
    gather_facts: Any = False
    gather_args: dict[str, Any] = field(default_factory=dict)  # gather_subset/_timeout, fact_path
    module_defaults: Any = None
    become: Any = None
    become_user: Any = None
    become_method: Any = None
    remote_user: str | None = None
    connection: str | None = None
    check_mode: Any = None
    diff: Any = None
    ignore_errors: Any = None
    ignore_unreachable: Any = None
    run_once: Any = None  # every task's (not fact gathering's)
    no_log: Any = None
    environment: Any = field(default_factory=dict)  # a mapping, a list of them, or a template
    strategy: str = "linear"
    serial: Any = None
    force_handlers: Any = None  # not given: the run's (--force-handlers, the setting)
    any_errors_fatal: Any = False
    max_fail_percentage: Any = None
    order: str = "inventory"
    tags: tuple[str, ...] = ()
    keyword_locs: dict[str, SourceLocation] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return self.name or self.hosts

    def handler_role(self, handler: Task) -> Block | None:
        """The block of the role a handler comes from (the innermost), None for the play's."""
        blocks = self.handler_blocks.get(handler.uid, ())
        return next((b for b in reversed(blocks) if b.role is not None), None)

    def all_tasks(self) -> tuple[TaskItem, ...]:
        return self.pre_tasks + self.roles + self.tasks + self.post_tasks

    def role_names(self, dependencies: bool = False) -> list[str]:
        """The roles of the ``roles:`` section in order, each once (``dependencies``:
        their dependencies too, first), as ``ansible_play_role_names`` and
        ``ansible_role_names`` list them."""
        names: list[str] = []
        for item in self.roles:
            if isinstance(item, Block):
                names += [n for n in _roles_in(item, dependencies) if n not in names]
        return names


def _roles_in(block: Block, dependencies: bool) -> list[str]:
    found: list[str] = []
    if dependencies:
        for inner in block.block:
            if isinstance(inner, Block) and inner.role is not None:
                found += _roles_in(inner, True)
    if block.role is not None:
        found.append(block.role.name)
    return found


@dataclass(frozen=True, slots=True)
class Playbook:
    path: str
    plays: tuple[Play, ...]
