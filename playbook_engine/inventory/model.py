"""Inventories: Ansible YAML and INI files, directories and ``h1,h2,`` lists.

An existing Ansible inventory must load unchanged and mean the same thing: the same hosts
in the same groups (``all``/``ungrouped`` included), the same variable precedence, the same
host patterns. Loading is validate-first: every source is parsed with positions, checked
against ``schema/inventory.schema.json``, for group cycles and for bad host ranges, and
every problem is raised at once as ``ValidationFailed``. The builder skips whatever the
checks rejected, so one mistake doesn't hide the next.

Variable precedence (lowest first) is Ansible's default ``VARIABLE_PRECEDENCE``:
``all`` inline vars < other groups' inline vars < group_vars/all < playbook group_vars/all
< group_vars/<group> < playbook group_vars/<group> < inline host vars < host_vars/<host>
< playbook host_vars/<host>. Groups merge by (depth, ``ansible_group_priority``, name);
dicts are replaced, never deep-merged (Ansible's default ``hash_behaviour=replace``).
"""

from __future__ import annotations

import difflib
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from ..errors import InventoryError, NoHostsMatched, Problem
from ..templating.values import trust
from .patterns import LOCALHOST_NAMES, Selection, Universe, evaluate, split_pattern

__all__ = ["Group", "Host", "Inventory", "VarsDirs"]

GROUP_KEYS = ("hosts", "children", "vars")


@dataclass(frozen=True, slots=True)
class Host:
    """One host. ``vars`` are its own variables (inventory lines, then host_vars/ files);
    ``groups`` is every group it belongs to, directly or by ancestry, lowest precedence
    first (``all`` first). ``implicit`` marks Ansible's implicit localhost."""

    name: str
    vars: dict[str, Any] = field(default_factory=dict, compare=False)
    groups: tuple[str, ...] = ()
    implicit: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """One group: its own variables (inline, then group_vars/), its direct hosts and its
    direct children and parents. ``depth`` is the longest path from ``all``."""

    name: str
    vars: dict[str, Any] = field(default_factory=dict, compare=False)
    hosts: list[str] = field(default_factory=list, compare=False)
    children: list[str] = field(default_factory=list, compare=False)
    parents: list[str] = field(default_factory=list, compare=False)
    depth: int = 0
    priority: int = 1


class VarsDirs(NamedTuple):
    """``group_vars/`` and ``host_vars/`` of one directory: entity name -> variables."""

    group_vars: dict[str, dict[str, Any]]
    host_vars: dict[str, dict[str, Any]]


class Inventory:
    """Hosts and groups from one or more sources.

    Built by ``inventory.load`` (``load_inventory``, ``inventory_from_dict``,
    ``empty_inventory``): ``groups`` are final, ``inline_groups``/``inline_hosts`` the
    variables written in the sources, ``dirs`` the group_vars/ and host_vars/ beside them.
    A run changes it only through ``add_host``, ``add_to_group`` (the add_host and group_by
    modules) and ``refresh`` (``meta: refresh_inventory``), which may run on worker
    threads: each takes one lock and swaps in rebuilt lookups whole.
    """

    def __init__(
        self,
        groups: dict[str, Group],
        inline_groups: dict[str, dict[str, Any]],
        inline_hosts: dict[str, dict[str, Any]],
        dirs: VarsDirs,
        warnings: list[Problem],
    ) -> None:
        self.warnings = warnings
        self._inline_groups = inline_groups
        self._inline_hosts = inline_hosts
        self._dirs = dirs
        self._groups = groups
        self._implicit: dict[str, Host] = {}
        self._edit = threading.Lock()
        self.reload: Callable[[], Inventory] | None = None  # set by load: its sources again
        # add_host/group_by calls, replayed after a refresh (Ansible keeps what they added)
        self._dynamic: list[tuple[str, tuple[Any, ...]]] = []
        self._rebuild()

    def _rebuild(self) -> None:
        """The host objects, group membership and pattern universe, from the groups."""
        direct: dict[str, list[str]] = {}
        for group in self._groups.values():
            for name in group.hosts:
                direct.setdefault(name, []).append(group.name)
        self._ancestries: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._hosts = {n: self._make_host(n, direct[n]) for n in self._inline_hosts}
        self._groups_map = _Lazy(self._groups, self._bfs_hosts)
        local = next((n for n in self._hosts if n in LOCALHOST_NAMES), None)
        self._universe = Universe(list(self._hosts), self._groups_map, local)

    # --- lookups --------------------------------------------------------------------

    @property
    def hosts(self) -> Mapping[str, Host]:
        """Name -> host, in inventory order (the implicit localhost is not one of them)."""
        return MappingProxyType(self._hosts)

    @property
    def groups(self) -> Mapping[str, Group]:
        """Name -> group, ``all`` and ``ungrouped`` first."""
        return MappingProxyType(self._groups)

    def host(self, name: str) -> Host:
        """A host by name; a localhost-like name not in the inventory gives the implicit
        localhost. Raises InventoryError (with a suggestion) for an unknown name."""
        if name in self._hosts:
            return self._hosts[name]
        if name in LOCALHOST_NAMES:
            return self._localhost(name)
        raise InventoryError(f"unknown host `{name}`", hint=suggest(name, self._hosts))

    def group(self, name: str) -> Group:
        if name not in self._groups:
            raise InventoryError(f"unknown group `{name}`", hint=suggest(name, self._groups))
        return self._groups[name]

    def groups_map(self) -> dict[str, list[str]]:
        """The ``groups`` magic variable: every group -> its hosts, descendants included."""
        return {name: list(hosts) for name, hosts in self._groups_map.items()}

    def group_names(self, host_name: str) -> list[str]:
        """The ``group_names`` magic variable: sorted, without ``all`` (Ansible keeps
        ``ungrouped`` in it for ungrouped hosts)."""
        return sorted(g for g in self.host(host_name).groups if g != "all")

    def host_vars(self, name: str, playbook_vars: VarsDirs | None = None) -> dict[str, Any]:
        """A host's inventory variables merged in Ansible's precedence order (see module
        docstring); ``playbook_vars`` are the playbook-adjacent group_vars/host_vars."""
        host = self.host(name)
        play = playbook_vars or VarsDirs({}, {})
        groups = [g for g in host.groups if g != "all"]
        merged: dict[str, Any] = {}
        for layer in self._layers(host, groups, play):
            merged.update(layer)
        return trust(merged)  # an inventory is an author's text (INI values are plain str)

    def _layers(self, host: Host, groups: list[str], play: VarsDirs) -> Iterator[dict[str, Any]]:
        gv, hv = self._dirs
        yield self._inline_groups["all"]
        yield from (self._inline_groups[g] for g in groups)
        yield from (gv.get("all", {}), play.group_vars.get("all", {}))
        yield from (gv.get(g, {}) for g in groups)
        yield from (play.group_vars.get(g, {}) for g in groups)
        yield self._inline_hosts.get(host.name, _implicit_vars() if host.implicit else {})
        yield from (hv.get(host.name, {}), play.host_vars.get(host.name, {}))

    # --- patterns -------------------------------------------------------------------

    def select(self, pattern: str) -> list[Host]:
        """Hosts matching an Ansible host pattern, in Ansible's order: each union term's
        hosts in inventory order, then ``&`` intersections, then ``!`` exclusions.

        Raises:
            InventoryError: the pattern is empty or malformed (bad regex, bare ``&``).
        """
        return self._hosts_for(self._resolve(split_pattern(pattern), pattern))

    def unmatched(self, pattern: str) -> list[str]:
        """Terms of ``pattern`` that matched no host or group (Ansible warns, then ignores
        them); operators are stripped: ``web:!nosuch`` -> ``["nosuch"]``."""
        return self._resolve(split_pattern(pattern), pattern).unmatched

    def limit(self, hosts: Sequence[Host], pattern: str) -> list[Host]:
        """Apply ``--limit``: keep the hosts (in their order) the pattern selects.
        ``@file`` reads one pattern per line from a file, like a ``.retry`` file.

        Raises:
            NoHostsMatched: nothing is left.
            InventoryError: a malformed pattern or an unreadable ``@file``.
        """
        terms = [t for term in split_pattern(pattern) for t in _limit_term(term)]
        keep = {h.name for h in self._hosts_for(self._resolve(terms, pattern))} if terms else set()
        kept = [h for h in hosts if h.name in keep]
        if not kept:
            raise NoHostsMatched(f"--limit pattern '{pattern}' matched no hosts")
        return kept

    def _resolve(self, terms: list[str], pattern: str) -> Selection:
        return evaluate(pattern, terms, self._universe)

    def _hosts_for(self, selection: Selection) -> list[Host]:
        found = {h.name: h for h in (self.host(n) for n in selection.names)}
        return list(found.values())

    # --- run-time changes ---------------------------------------------------------

    def add_host(
        self, name: str, groups: Sequence[str] = (), variables: Mapping[str, Any] | None = None
    ) -> bool:
        """add_host: a new host (in ``ungrouped`` until it joins a group), or more groups
        and variables for a known one; missing groups are created under ``all``. True
        when the inventory changed (Ansible's ``changed``)."""
        with self._edit:
            self._dynamic.append(("host", (name, tuple(groups), dict(variables or {}))))
            changed = name not in self._inline_hosts
            if changed:
                self._inline_hosts[name] = {}
                self._groups["ungrouped"].hosts.append(name)
            merged = {**self._inline_hosts[name], **(variables or {})}
            changed |= merged != self._inline_hosts[name]
            self._inline_hosts[name] = merged
            for group in groups:
                changed |= self._join(name, group, ())
            if changed:
                self._rebuild()
            return changed

    def add_to_group(self, host: str, group: str, parents: Sequence[str] = ()) -> bool:
        """group_by: put a known host into ``group`` (created, under ``parents`` or ``all``,
        when missing; ``parents`` are created under ``all``). True when it changed."""
        with self._edit:
            self._dynamic.append(("group", (host, group, tuple(parents))))
            changed = self._join(host, group, parents)
            if changed:
                self._rebuild()
            return changed

    def refresh(self) -> None:
        """meta: refresh_inventory: read the sources again. Hosts and groups added at run
        time (add_host, group_by) stay, as in Ansible; a host the sources no longer have
        goes, and so does what group_by did with it."""
        if self.reload is None:
            return
        fresh = self.reload()
        with self._edit:
            self.warnings, self._dirs = fresh.warnings, fresh._dirs
            self._inline_groups, self._inline_hosts = fresh._inline_groups, fresh._inline_hosts
            self._groups = fresh._groups
            self._rebuild()
            dynamic, self._dynamic = self._dynamic, []
        for kind, args in dynamic:
            if kind == "host":
                self.add_host(*args)
            elif args[0] in self.hosts:
                self.add_to_group(*args)

    def _join(self, host: str, group: str, parents: Sequence[str]) -> bool:
        """Put ``host`` in ``group``; True when that changed the inventory: the host was
        not in it, a group was made or put under a parent, as Ansible counts it."""
        before = len(self._groups)
        for parent in parents:
            self._ensure_group(parent, "all")
        self._ensure_group(group, *(parents or ["all"]))
        linked = [self._link(parent, group) for parent in parents]
        made = len(self._groups) != before or any(linked)
        members = self._groups[group].hosts
        if host in members:
            return made
        members.append(host)
        ungrouped = self._groups["ungrouped"].hosts
        if group not in ("all", "ungrouped") and host in ungrouped:
            ungrouped.remove(host)
        return True

    def _ensure_group(self, name: str, *parents: str) -> None:
        if name in self._groups:
            return
        self._inline_groups[name] = {}
        self._groups[name] = Group(name, {**self._dirs.group_vars.get(name, {})})
        for parent in parents:
            self._link(parent, name)

    def _link(self, parent: str, child: str) -> bool:
        """``child`` under ``parent``, its depth (and its descendants') updated; False when
        it already was."""
        if parent == child or child in self._groups[parent].children:
            return False
        self._groups[parent].children.append(child)
        self._groups[child].parents.append(parent)
        todo = [(child, self._groups[parent].depth + 1)]
        while todo:
            name, depth = todo.pop()
            if self._groups[name].depth < depth:
                self._groups[name] = replace(self._groups[name], depth=depth)
                todo += [(c, depth + 1) for c in self._groups[name].children]
        return True

    # --- building -------------------------------------------------------------------

    def _make_host(self, name: str, direct: list[str]) -> Host:
        own = {**self._inline_hosts[name], **self._dirs.host_vars.get(name, {})}
        return Host(name, own, self._ancestry(tuple(direct)))

    def _ancestry(self, direct: tuple[str, ...]) -> tuple[str, ...]:
        """A host's groups, parents included; hosts of the same groups share one tuple."""
        if direct not in self._ancestries:
            seen: set[str] = set()
            todo = list(direct)
            while todo:
                name = todo.pop()
                if name not in seen:
                    seen.add(name)
                    todo += self._groups[name].parents
            self._ancestries[direct] = tuple(sorted(seen, key=self._rank))
        return self._ancestries[direct]

    def _rank(self, name: str) -> tuple[int, int, str]:
        """Ansible's group merge order: shallower first, then lower priority, then name."""
        group = self._groups[name]
        return group.depth, group.priority, group.name

    def _bfs_hosts(self, name: str) -> list[str]:
        """A group's hosts as Ansible lists them: its own, then its children's level by
        level (children in declaration order), each host once."""
        order, frontier, seen = [name], [name], {name}
        while frontier:
            kids = [c for g in frontier for c in self._groups[g].children]
            frontier = [c for c in dict.fromkeys(kids) if c not in seen]
            seen.update(frontier)
            order += frontier
        return list(dict.fromkeys(h for g in order for h in self._groups[g].hosts))

    def _localhost(self, name: str) -> Host:
        """The inventory's localhost-like host if there is one, else an implicit one that
        belongs to no group but still gets ``all``'s variables, as in Ansible."""
        if self._universe.localhost is not None:
            return self._hosts[self._universe.localhost]
        own = {**_implicit_vars(), **self._dirs.host_vars.get(name, {})}
        return self._implicit.setdefault(name, Host(name, own, (), implicit=True))


class _Lazy(Mapping[str, list[str]]):
    """Group name -> its hosts, each computed when first asked for: validating (or
    running) an inventory with thousands of nested groups never builds them all."""

    def __init__(self, groups: Mapping[str, Group], compute: Callable[[str], list[str]]) -> None:
        self._groups = groups
        self._compute = compute
        self._done: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> list[str]:
        if name not in self._done:
            if name not in self._groups:
                raise KeyError(name)
            self._done[name] = self._compute(name)
        return self._done[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)


def _implicit_vars() -> dict[str, Any]:
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def _limit_term(term: str) -> list[str]:
    """``@path`` -> the patterns listed in that file; any other term -> itself."""
    if not term.startswith("@"):
        return [term]
    try:
        text = Path(term[1:]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InventoryError(f"cannot read --limit file {term[1:]}: {exc}") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def suggest(name: str, known: Mapping[str, Any]) -> str | None:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean `{close[0]}`?" if close else None
