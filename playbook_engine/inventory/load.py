"""Reading inventory sources into an ``Inventory``: files, directories, host lists, the
group tree builder, schema errors mapped back to positions, and group_vars/host_vars.

Kept apart from ``inventory.py`` (the model and its queries) so each stays one job.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import jsonschema

from .. import settings
from ..errors import InventoryError, Problem, ValidationFailed, YAMLSyntaxError
from ..language.loader import YMap, load_text, loc_of, not_utf8, plain
from ..source import SourceLocation
from .ini import parse_ini
from .model import GROUP_KEYS, Group, Inventory, VarsDirs, suggest
from .patterns import LOCALHOST_NAMES, MAX_RANGE_HOSTS, HostRangeError, parse_host_spec

_SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "inventory.schema.json"
_YAML_EXTS = (".yml", ".yaml", ".json")
# Ansible's INVENTORY_IGNORE_EXTS default, applied to files of an inventory directory.
_IGNORED_EXTS = (
    ".pyc",
    ".pyo",
    ".swp",
    ".bak",
    "~",
    ".rpm",
    ".md",
    ".txt",
    ".rst",
    ".orig",
    ".cfg",
    ".retry",
)
_IGNORED_NAMES = ("group_vars", "host_vars", "vars_plugins")
_VAULT = "$ANSIBLE_VAULT"
#: Host names one inventory may list in total, a host counted once per group it is listed
#: in (ranges expanded); bounds memory and time like MAX_RANGE_HOSTS does per entry.
MAX_HOST_LISTINGS = 10 * MAX_RANGE_HOSTS
#: Group memberships of all hosts together, parent groups included.
MAX_MEMBERSHIPS = 10 * MAX_RANGE_HOSTS


@dataclass
class _Draft:
    """A group while sources are still being read."""

    name: str
    vars: dict[str, Any] = field(default_factory=dict)
    hosts: dict[str, None] = field(default_factory=dict)  # an ordered set
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    priority: int = 1


class _Builder:
    """Accumulates groups and hosts from every source's group tree, then reconciles them
    the way Ansible does (parentless groups join ``all``, lone hosts join ``ungrouped``)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.groups: dict[str, _Draft] = {"all": _Draft("all"), "ungrouped": _Draft("ungrouped")}
        self.host_vars: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str], SourceLocation | None] = {}
        self.listed = 0  # host names added so far, ranges expanded, once per group
        self.where: SourceLocation | None = None  # the first source, for inventory-wide errors
        self.link("all", "ungrouped", None)

    def problem(self, message: str, loc: SourceLocation | None, hint: str | None = None) -> None:
        self.problems.append(Problem(message, loc, hint))

    def add_tree(self, tree: Mapping[Any, Any], where: SourceLocation) -> None:
        self.where = self.where or where
        for name, data, loc in _entries(tree, where):
            self._group(name, data, loc)

    def _group(self, name: Any, data: Any, loc: SourceLocation) -> str | None:
        if not isinstance(name, str) or not name:
            self.problem(f"group name `{name}` must be a non-empty string", loc, "quote it")
            return None
        self.groups.setdefault(name, _Draft(name))
        if isinstance(data, Mapping):  # in file order, as Ansible reads it: it sets host order
            for key, value in data.items():
                self._section(name, key, value, _value_loc(data, key, loc))
        return name

    def _section(self, group: str, key: Any, value: Any, loc: SourceLocation) -> None:
        """One ``vars``/``children``/``hosts`` entry of a group; others were reported."""
        if key == "vars":
            self._vars(group, value, loc)
        elif key == "children":
            for child, child_data, child_loc in _entries(value, loc):
                if (child_name := self._group(child, child_data, child_loc)) is not None:
                    self.link(group, child_name, child_loc)
        elif key == "hosts":
            for spec, hvars, host_loc in _entries(value, loc):
                self._host_entry(group, spec, hvars, host_loc)

    def _vars(self, group: str, data: Any, loc: SourceLocation) -> None:
        if not isinstance(data, Mapping):
            return
        for key, value, key_loc in _entries(data, loc):
            if key != "ansible_group_priority":
                self.groups[group].vars[key] = value
            elif (priority := _as_int(value)) is not None:
                self.groups[group].priority = priority
            else:
                self.problem(
                    f"ansible_group_priority of group `{group}` must be an integer, not `{value}`",
                    key_loc,
                )

    def _host_entry(self, group: str, spec: Any, hvars: Any, loc: SourceLocation) -> None:
        if not isinstance(spec, str):
            self.problem(
                f"host name `{spec}` in group `{group}` must be a string",
                loc,
                f'quote it: "{spec}":',
            )
            return
        try:
            names, port = parse_host_spec(spec)
        except HostRangeError as exc:
            self.problem(str(exc), loc)
            return
        self.listed += len(names)
        if self.listed > MAX_HOST_LISTINGS:
            self.problem(
                f"the inventory lists more than {MAX_HOST_LISTINGS} hosts (counting a "
                "host once per group; pbe's limit)",
                loc,
            )
            return
        own: dict[Any, Any] = {} if port is None else {"ansible_port": port}  # inline wins
        own.update(hvars if isinstance(hvars, Mapping) else {})
        for name in names:
            self.host_vars.setdefault(name, {}).update(own)
            self.groups[group].hosts[name] = None

    def link(self, parent: str, child: str, loc: SourceLocation | None) -> None:
        if child not in self.groups[parent].children:
            self.groups[parent].children.append(child)
            self.groups[child].parents.append(parent)
            self.edges[(parent, child)] = loc

    def reconcile(self) -> None:
        for name, draft in list(self.groups.items()):
            if name != "all" and not draft.parents:
                self.link("all", name, None)
        member: dict[str, set[str]] = {}
        for name, draft in self.groups.items():
            for host in draft.hosts:
                member.setdefault(host, set()).add(name)
        for host, groups in member.items():
            if not groups - {"all", "ungrouped"}:
                self.groups["ungrouped"].hosts[host] = None
            elif "ungrouped" in groups:
                del self.groups["ungrouped"].hosts[host]

    def check_cycles(self) -> None:
        """Report every group cycle (``a -> b -> a``) at the edge that closes it."""
        state: dict[str, int] = {}
        for name in self.groups:
            for cycle in self._cycles_from(name, state):
                closing = self.edges.get((cycle[-2], cycle[-1]))
                self.problem(
                    f"group cycle: {' -> '.join(cycle)}",
                    closing,
                    f"a group can't contain itself; remove `{cycle[-1]}` from the "
                    f"children of `{cycle[-2]}`",
                )

    def _cycles_from(self, root: str, state: dict[str, int]) -> list[list[str]]:
        """Depth-first from ``root`` with an explicit stack (a children chain may be
        thousands deep); ``state``: 1 while a group is on the path, 2 when done."""
        if root in state:
            return []
        found: list[list[str]] = []
        path, todo = [root], [iter(self.groups[root].children)]
        state[root] = 1
        while todo:
            child = next(todo[-1], None)
            if child is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(child) == 1:
                found.append(path[path.index(child) :] + [child])
            elif child not in state:
                state[child] = 1
                path.append(child)
                todo.append(iter(self.groups[child].children))
        return found

    def check_memberships(self) -> None:
        """Each host holds all its groups, parents included, and so does ``groups``: refuse
        an inventory where that adds up past MAX_MEMBERSHIPS (deep chains of many hosts)."""
        direct: dict[str, list[str]] = {}
        for group in self.groups.values():
            for host in group.hosts:
                direct.setdefault(host, []).append(group.name)
        sizes: dict[tuple[str, ...], int] = {}
        total = 0
        for groups in map(tuple, direct.values()):
            if groups not in sizes:
                sizes[groups] = len(self.ancestors(groups))
            total += sizes[groups]
            if total > MAX_MEMBERSHIPS:
                self.problem(
                    f"hosts belong to more than {MAX_MEMBERSHIPS} groups in total, "
                    "counting parent groups (pbe's limit)",
                    self.where,
                    "are the groups nested thousands of levels deep?",
                )
                return

    def ancestors(self, direct: Iterable[str]) -> set[str]:
        """The groups in ``direct`` and all their parents."""
        seen: set[str] = set()
        todo = list(direct)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += self.groups[name].parents
        return seen

    def freeze_groups(self, dir_vars: Mapping[str, dict[str, Any]]) -> dict[str, Group]:
        depth = self._depths()
        return {
            n: Group(
                n,
                {**d.vars, **dir_vars.get(n, {})},
                list(d.hosts),
                list(d.children),
                list(d.parents),
                depth.get(n, 0),
                d.priority,
            )
            for n, d in self.groups.items()
        }

    def _depths(self) -> dict[str, int]:
        """Longest path from ``all`` to each group, in topological order (no recursion)."""
        waiting = {n: len(d.parents) for n, d in self.groups.items()}
        depth = {n: 0 for n in self.groups}
        ready = [n for n, count in waiting.items() if count == 0]
        while ready:
            name = ready.pop()
            for child in self.groups[name].children:
                depth[child] = max(depth[child], depth[name] + 1)
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
        return depth


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _entries(value: Any, where: SourceLocation) -> list[tuple[Any, Any, SourceLocation]]:
    """(key, value, key location) of a mapping section; a lone string means ``{s: None}``
    (Ansible accepts ``hosts: web1``); anything else was reported by the schema check."""
    if isinstance(value, str):
        return [(value, None, loc_of(value) or where)]
    if not isinstance(value, Mapping):
        return []
    return [(k, v, _key_loc(value, k, where)) for k, v in value.items()]


def _key_loc(node: Any, key: Any, where: SourceLocation) -> SourceLocation:
    return (node.key_loc(key) if isinstance(node, YMap) else None) or where


def _value_loc(node: Any, key: Any, where: SourceLocation) -> SourceLocation:
    return (node.value_loc(key) if isinstance(node, YMap) else None) or where


# --- reading sources ----------------------------------------------------------------


InventorySource = Union[  # noqa: UP007 - a runtime alias on Python 3.10
    str, Path, Sequence[str | Path], Mapping[Any, Any], Inventory, None
]


def load_inventory(sources: InventorySource) -> Inventory:
    """An inventory from files, directories and ``h1,h2,`` host lists (one or a list, in
    order; later sources override earlier ones, as with repeated ``-i``), from a mapping
    shaped like a YAML inventory, or none (empty); an ``Inventory`` is returned as is.

    Raises:
        InventoryError: a source doesn't exist or can't be read.
        ValidationFailed: every problem found in every source.
    """
    if isinstance(sources, Inventory):
        return sources
    if isinstance(sources, Mapping):
        return inventory_from_dict(sources)
    loading = _Loading()
    if sources is None:  # the `inventory` setting (ansible.cfg); absent ones are skipped
        setting = settings.current()
        origin = setting.origins.get("DEFAULT_HOST_LIST", "")
        sources = []
        for path in setting["DEFAULT_HOST_LIST"]:
            if path.exists():
                sources.append(str(path))
            elif origin:  # named by a setting; /etc/ansible/hosts, the default, may be absent
                loading.warnings.append(
                    settings.warning(f"inventory: {path} does not exist (skipped)", origin)
                )
    for source in [sources] if isinstance(sources, (str, Path)) else sources:
        loading.add_source(source)
    inventory = loading.finish()
    inventory.reload = functools.partial(load_inventory, sources)
    return inventory


def inventory_from_dict(data: Mapping[Any, Any], source: str = "<dict>") -> Inventory:
    """An inventory from data shaped like a YAML inventory (for the API and tests)."""
    if not isinstance(data, Mapping):
        raise InventoryError(
            "an inventory must be a mapping of group names", SourceLocation(source)
        )
    loading = _Loading()
    loading.add_tree(data, SourceLocation(source))
    inventory = loading.finish()
    inventory.reload = functools.partial(inventory_from_dict, data, source)
    return inventory


def empty_inventory() -> Inventory:
    """No hosts: only ``all``, ``ungrouped`` and the implicit localhost."""
    return _Loading().finish()


class _Loading:
    """One inventory load: reads every source into the builder, collecting problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.builder = _Builder(self.problems)
        self.basedirs: list[Path] = []

    def add_source(self, source: str | Path) -> None:
        path = Path(source)
        if isinstance(source, str) and "," in source and not _probe(path.exists):
            self._host_list(source)
        elif _probe(path.is_dir):
            self._directory(path, set())
            _append_path(self.basedirs, path)
        elif _probe(path.exists):
            self._file(path)
            _append_path(self.basedirs, path.parent)
        else:
            raise InventoryError(
                f"inventory source not found: {source}",
                hint="give a file, a directory, or hosts as `h1,h2,`",
            )

    def _host_list(self, source: str) -> None:
        hosts = {h.strip(): None for h in source.split(",") if h.strip()}
        self.add_tree({"ungrouped": {"hosts": hosts}}, SourceLocation(f"<host list {source!r}>"))

    def _directory(self, path: Path, seen: set[Path]) -> None:
        """Every inventory file under ``path``; a directory reached twice (a symlink loop)
        is read once."""
        if path.resolve() in seen:
            return
        seen.add(path.resolve())
        try:
            entries = sorted(path.iterdir())
        except OSError as exc:
            raise InventoryError(
                f"cannot read inventory directory {path}: {exc.strerror}", SourceLocation(str(path))
            ) from None
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name in _IGNORED_NAMES or name.endswith(_IGNORED_EXTS):
                continue
            if entry.is_dir():
                self._directory(entry, seen)
            else:
                self._file(entry)

    def _file(self, path: Path) -> None:
        text, where = _read_text(path), SourceLocation(str(path))
        if text.startswith("#!"):
            self.problems.append(
                Problem(
                    "inventory scripts are not supported",
                    where,
                    "export it once to YAML: ansible-inventory --list -y",
                )
            )
        elif text.lstrip().startswith(_VAULT):
            self.problems.append(Problem("vault-encrypted inventories are not supported", where))
        elif (tree := self._parse(text, path, where)) is not None:
            self.add_tree(tree, where)

    def _parse(self, text: str, path: Path, where: SourceLocation) -> Mapping[Any, Any] | None:
        """YAML if the extension says so or the text parses to a group mapping; else INI."""
        suffix = path.suffix.lower()
        yamlish = suffix in _YAML_EXTS or _looks_like_yaml(text)
        if suffix == ".ini":
            return self._ini(text, path)
        try:
            data, warnings = load_text(text, str(path))
        except YAMLSyntaxError as exc:
            if not yamlish:
                return self._ini(text, path)
            self.problems.append(Problem(exc.message, exc.location, exc.hint))
            return None
        if isinstance(data, Mapping) and (yamlish or _is_group_tree(data)):
            self.warnings.extend(warnings)
            return data
        if yamlish:
            self._not_a_mapping(data, where)
            return None
        return self._ini(text, path)

    def _ini(self, text: str, path: Path) -> Mapping[Any, Any]:
        tree, problems = parse_ini(text, str(path), self.builder.groups)
        self.problems.extend(problems)
        return tree

    def _not_a_mapping(self, data: Any, where: SourceLocation) -> None:
        if data is None:
            self.warnings.append(Problem("inventory file is empty", where, severity="warning"))
        else:
            self.problems.append(
                Problem(
                    f"a YAML inventory must be a mapping of group names, not {_kind(data)}",
                    loc_of(data) or where,
                    "start with `all:` and put hosts under `hosts:`",
                )
            )

    def add_tree(self, tree: Mapping[Any, Any], where: SourceLocation) -> None:
        if isinstance(tree.get("plugin"), str):
            self.problems.append(
                Problem(
                    f"inventory plugin configurations (`plugin: {tree['plugin']}`) are not "
                    "supported",
                    _key_loc(tree, "plugin", where),
                    "export the inventory once: ansible-inventory --list -y",
                )
            )
            return
        self.problems.extend(_schema_problems(tree, where))
        self.builder.add_tree(tree, where)

    def finish(self) -> Inventory:
        self.builder.reconcile()
        self.builder.check_cycles()
        self.builder.check_memberships()
        dirs = self._vars_dirs()
        if any(p.severity == "error" for p in self.problems):
            raise ValidationFailed(sorted(self.problems + self.warnings, key=_position))
        self._warn_unknown_entities()
        build = self.builder
        return Inventory(
            build.freeze_groups(dirs.group_vars),
            {n: g.vars for n, g in build.groups.items()},
            build.host_vars,
            dirs,
            sorted(self.warnings, key=_position),
        )

    def _vars_dirs(self) -> VarsDirs:
        merged = VarsDirs({}, {})
        for base in self.basedirs:
            found = _read_vars_dirs(base, self.problems, self.warnings)
            for mine, theirs in zip(merged, found, strict=True):
                for name, values in theirs.items():
                    mine.setdefault(name, {}).update(values)
        return merged

    def _warn_unknown_entities(self) -> None:
        """A group_vars/ or host_vars/ file naming nothing is usually a typo: warn."""
        known = {
            "group_vars": set(self.builder.groups),
            "host_vars": set(self.builder.host_vars) | LOCALHOST_NAMES,
        }
        for base in self.basedirs:
            for kind, names in known.items():
                for name in _entity_names(base / kind):
                    if name not in names:
                        path = (_entity_files(base / kind, name) or [base / kind / name])[0]
                        self.warnings.append(
                            Problem(
                                f"{kind}/{name} matches no {kind.split('_')[0]} in the inventory",
                                SourceLocation(str(path)),
                                suggest(name, dict.fromkeys(names)),
                                severity="warning",
                            )
                        )


def _probe(test: Callable[[], bool]) -> bool:
    """``path.exists()`` and the like, False for a name no file system can hold."""
    try:
        return test()
    except (OSError, ValueError):
        return False


def _append_path(paths: list[Path], path: Path) -> None:
    if path.resolve() not in [p.resolve() for p in paths]:
        paths.append(path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        error = not_utf8(path, exc)
        raise InventoryError(error.message, error.location, error.hint) from None
    except OSError as exc:
        raise InventoryError(
            f"cannot read inventory {path}: {exc}", SourceLocation(str(path))
        ) from None


def _looks_like_yaml(text: str) -> bool:
    """First meaningful line is ``---`` or a bare ``key:`` (INI never looks like that)."""
    for line in text.splitlines():
        line = line.strip()
        if line and line[0] not in "#;":
            head, sep, tail = line.partition(":")
            return line == "---" or bool(
                sep
                and head
                and " " not in head
                and (not tail.strip() or tail.strip().startswith("#"))
            )
    return False


def _is_group_tree(data: Mapping[Any, Any]) -> bool:
    return all(v is None or isinstance(v, Mapping) for v in data.values())


def _position(problem: Problem) -> tuple[str, int, int]:
    loc = problem.location
    return (loc.file, loc.line, loc.col) if loc else ("", 0, 0)


def _kind(value: Any) -> str:
    for types, name in (
        ((bool,), "a boolean"),
        ((int, float), "a number"),
        ((str,), "a string"),
        ((list,), "a list"),
        ((Mapping,), "a mapping"),
    ):
        if isinstance(value, types):
            return name
    return "null" if value is None else type(value).__name__


# --- schema problems, explained at the offending node --------------------------------


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(_SCHEMA.read_text(encoding="utf-8")))


def _schema_problems(tree: Mapping[Any, Any], where: SourceLocation) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(plain(tree)):
        path = list(error.absolute_path)
        try:
            parent, node = _walk(tree, path)
        except (KeyError, IndexError, TypeError):  # jsonschema leaves a `null:` key out of paths
            problems.append(Problem(f"{'.'.join(map(str, path))}: {error.message}", where))
            continue
        if error.validator == "additionalProperties" and isinstance(node, Mapping):
            problems += [
                _unknown_key(path, node, key, where) for key in node if key not in GROUP_KEYS
            ]
        elif error.validator == "type" and path:
            problems.append(_wrong_type(path, node, _value_loc(parent, path[-1], where)))
        else:
            problems.append(Problem(f"{'.'.join(map(str, path))}: {error.message}", where))
    return problems


def _walk(tree: Any, path: list[Any]) -> tuple[Any, Any]:
    parent, node = None, tree
    for key in path:
        parent, node = node, node[key]
    return parent, node


def _context(path: list[Any]) -> tuple[str, list[Any]]:
    """The group a schema path is inside, and the rest of the path below that group."""
    group, i = path[0], 1
    while len(path) > i + 1 and path[i] == "children":
        group, i = path[i + 1], i + 2
    return str(group), path[i:]


def _unknown_key(
    path: list[Any], node: Mapping[Any, Any], key: Any, where: SourceLocation
) -> Problem:
    group = _context(path)[0]
    close = difflib.get_close_matches(str(key), GROUP_KEYS, n=1, cutoff=0.6)
    value = node[key]
    if len(path) == 1 and group in GROUP_KEYS:
        hint = f"top-level keys are group names; did you mean `all:` with `{group}:` under it?"
    elif close:
        hint = f"did you mean `{close[0]}`?"
    elif isinstance(value, Mapping) and value and set(value) <= set(GROUP_KEYS):
        hint = f"to make `{key}` a child group of `{group}`, put it under `children:`"
    else:
        hint = "a group may only contain `hosts`, `children` and `vars`"
    return Problem(f"group `{group}` has unknown key `{key}`", _key_loc(node, key, where), hint)


_TYPE_MESSAGES = {
    "group": (
        "group `{group}` must be a mapping of `hosts`, `children` and `vars` (or empty), not {got}",
        "put its hosts under `hosts:`, each as `name:`",
    ),
    "hosts": (
        "`hosts` of group `{group}` must be a mapping of host names, not {got}",
        "write each host as a key ending in `:` (`web1:`), not as a `- web1` item",
    ),
    "host": (
        "variables of host `{name}` in group `{group}` must be a mapping, not {got}",
        "write the variables as `key: value` lines indented under the host",
    ),
    "children": (
        "`children` of group `{group}` must be a mapping of group names, not {got}",
        "write each child group as a key ending in `:` (`web:`), not as a `- web` item",
    ),
    "vars": (
        "`vars` of group `{group}` must be a mapping, not {got}",
        "write `key: value` lines, without a leading `- `",
    ),
}


def _wrong_type(path: list[Any], node: Any, loc: SourceLocation) -> Problem:
    """A value of the wrong type, explained in terms of the inventory (``hosts`` of group
    `web`), with a hint aimed at the usual cause (a YAML list where a mapping belongs)."""
    group, rest = _context(path)
    kind = "host" if len(rest) == 2 and rest[0] == "hosts" else (rest[0] if rest else "group")
    message, hint_text = _TYPE_MESSAGES[kind]
    hint: str | None = hint_text
    if not isinstance(node, list) and kind not in ("group", "host"):
        hint = None
    elif kind == "host" and isinstance(node, str) and "=" in node:
        hint = "YAML inventories write variables as `key: value`, not INI-style `key=value`"
    name = rest[-1] if rest else group
    return Problem(message.format(group=group, name=name, got=_kind(node)), loc, hint)


# --- group_vars/ and host_vars/ ----------------------------------------------------------


def load_vars_dirs(base_dir: str | Path, warnings: list[Problem] | None = None) -> VarsDirs:
    """Read ``group_vars/`` and ``host_vars/`` under ``base_dir`` (inventory- or
    playbook-adjacent) the way Ansible finds them: ``<name>``, ``<name>.yml``, ``.yaml`` or
    ``.json`` (the first that exists), or a ``<name>/`` directory of such files, merged in
    sorted order. Duplicate-key warnings go to ``warnings`` when given.

    Raises:
        ValidationFailed: a vars file is not valid YAML, not a mapping, or is vault-encrypted.
    """
    problems: list[Problem] = []
    dirs = _read_vars_dirs(Path(base_dir), problems, warnings if warnings is not None else [])
    if problems:
        raise ValidationFailed(problems)
    return dirs


def _read_vars_dirs(base: Path, problems: list[Problem], warnings: list[Problem]) -> VarsDirs:
    def read(folder: Path) -> dict[str, dict[str, Any]]:
        return {
            name: _read_entity(folder, name, problems, warnings) for name in _entity_names(folder)
        }

    return VarsDirs(read(base / "group_vars"), read(base / "host_vars"))


def _entity_names(folder: Path) -> list[str]:
    """Names with vars in ``folder``: ``web.yml`` -> web, ``web/`` or ``db1.example.com``
    as they are; hidden files, backups and ignored extensions (``.md``...) are skipped."""
    if not folder.is_dir():
        return []
    names: dict[str, None] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith(_IGNORED_EXTS):
            continue
        names[entry.stem if entry.suffix in _YAML_EXTS else entry.name] = None
    return list(names)


def _read_entity(
    folder: Path, name: str, problems: list[Problem], warnings: list[Problem]
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in _entity_files(folder, name):
        merged.update(_read_vars_file(path, problems, warnings))
    return merged


def _entity_files(folder: Path, name: str) -> list[Path]:
    for suffix in ("", *_YAML_EXTS):
        path = folder / f"{name}{suffix}"
        if path.is_dir():
            return _dir_files(path)
        if path.exists():
            return [path]
    return []


def _dir_files(folder: Path) -> list[Path]:
    files: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir() and not entry.suffix:
            files += _dir_files(entry)
        elif entry.is_file() and (not entry.suffix or entry.suffix in _YAML_EXTS):
            files.append(entry)
    return files


def _read_vars_file(path: Path, problems: list[Problem], warnings: list[Problem]) -> dict[str, Any]:
    where = SourceLocation(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        error = not_utf8(path, exc)
        problems.append(Problem(error.message, error.location, error.hint))
        return {}
    except OSError as exc:
        problems.append(Problem(f"cannot read vars file: {exc}", where))
        return {}
    if text.lstrip().startswith(_VAULT):
        problems.append(Problem("vault-encrypted vars files are not supported", where))
        return {}
    try:
        data, found = load_text(text, str(path))
    except YAMLSyntaxError as exc:
        problems.append(Problem(exc.message, exc.location, exc.hint))
        return {}
    warnings += found
    if data is not None and not isinstance(data, Mapping):
        problems.append(
            Problem(
                f"a vars file must be a mapping of variable names, not {_kind(data)}",
                loc_of(data) or where,
            )
        )
        return {}
    return dict(data or {})
