"""Which variables a task sees on a host, in Ansible's precedence order (low → high).

role defaults < inventory group vars (all < parent < child) < inventory host vars
< gathered facts < play vars < play vars_files < role vars < role params < block vars
< task vars (include vars) < set_fact / register < extra vars (-e) < magic variables;
a loop's variable (``item``) is set on top of all of these for its iteration.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import settings
from ..inventory import load_vars_dirs
from ..inventory.patterns import LOCALHOST_NAMES
from ..templating.templar import TemplateEngine
from ..templating.values import TrustedStr, Unsafe
from .facts import FactStore

if TYPE_CHECKING:
    from ..inventory.model import Inventory

OMIT = "__omit_place_holder__pbe"
# The Ansible release whose playbook language pbe follows (``ansible_version``).
ANSIBLE_VERSION = {"full": "2.21.5", "major": 2, "minor": 21, "revision": 5, "string": "2.21.5"}


class HostVars(Mapping[str, Any]):
    """``hostvars``: another host's variables, rendered in that host's own context."""

    def __init__(self, manager: VariableManager) -> None:
        self._manager = manager

    def __getitem__(self, host: str) -> Any:
        # the implicit localhost too, as in Ansible (it is not iterated over, though)
        if host not in self._manager.inventory.hosts and host not in LOCALHOST_NAMES:
            raise KeyError(host)
        variables = self._manager.host_scope(host)
        return self._manager.engine.templar(variables).vars

    def __iter__(self) -> Iterator[str]:
        return iter(self._manager.inventory.hosts)

    def __len__(self) -> int:
        return len(self._manager.inventory.hosts)


class VariableManager:
    """Composes the layers; one per run, shared by worker threads (reads only)."""

    def __init__(
        self,
        inventory: Inventory,
        facts: FactStore,
        engine: TemplateEngine,
        extra_vars: Mapping[str, Any],
        playbook_dir: str,
        check: bool = False,
        diff: bool = False,
    ) -> None:
        self.inventory = inventory
        self.facts = facts
        self.engine = engine
        self.extra_vars = dict(extra_vars)
        self.playbook_dir = playbook_dir
        self.check = check
        self.diff = diff
        self.hostvars = HostVars(self)
        # variables every host has, below everything a playbook or inventory sets (which
        # may override them, unlike the magic variables): from Ansible's configuration
        self.builtin = {"ansible_managed": settings.current()["DEFAULT_MANAGED_STR"]}
        self._inventory_cache: dict[str, dict[str, Any]] = {}
        # per host: (defaults, vars) of the roles an include_role with `public: true` ran
        self._exposed: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
        self._lock = threading.Lock()
        self.play_vars: dict[str, Any] = {}
        self.play_hosts: list[str] = []
        self.play_batch: list[str] = []
        self.play_name = ""
        self.play_roles: list[str] = []  # ansible_play_role_names
        self.play_all_roles: list[str] = []  # ansible_role_names: dependencies too
        self.run_tags: list[str] = ["all"]
        self.skip_tags: list[str] = []
        self.verbosity = 0  # -v count: ansible_verbosity
        self.groups = inventory.groups_map()
        self.gone: Callable[[], set[str]] = set  # failed/unreachable hosts, set by the run
        self.playbook_vars = load_vars_dirs(playbook_dir)  # raises ValidationFailed

    def start_play(
        self,
        name: str,
        play_vars: Mapping[str, Any],
        hosts: Sequence[str],
        batch: Sequence[str],
        roles: tuple[list[str], list[str]] = ([], []),
    ) -> None:
        self.play_name = name
        self.play_vars = dict(play_vars)
        self.play_hosts = list(hosts)
        self.play_batch = list(batch)
        self.play_roles, self.play_all_roles = list(roles[0]), list(roles[1])
        with self._lock:
            self._exposed.clear()

    def expose_role(
        self, host: str, defaults: Mapping[str, Any], role_vars: Mapping[str, Any]
    ) -> None:
        """``include_role`` with ``public: true`` ran on ``host``: the role's defaults and
        vars are seen by the host's later tasks of the play (at the role layers)."""
        with self._lock:
            self._exposed.setdefault(host, []).append((defaults, role_vars))

    def inventory_changed(self) -> None:
        """add_host, group_by or refresh_inventory changed hosts or groups: what templates
        see of them (``groups``, ``group_names``, inventory variables) is read again."""
        with self._lock:
            self.groups = self.inventory.groups_map()
            self._inventory_cache.clear()

    def change_inventory(self, host: str, result: Mapping[str, Any]) -> bool:
        """Carry out what an add_host or group_by result asks (per loop item too), as
        Ansible's strategies do with ``add_host``/``add_group`` in results; True when the
        inventory changed (the task's ``changed``)."""
        changed = False
        for one in result.get("results") or [result]:
            if not isinstance(one, dict) or one.get("failed") or one.get("skipped"):
                continue
            mine = False
            if isinstance(spec := one.get("add_host"), Mapping):
                mine |= self.inventory.add_host(
                    str(spec["host_name"]),
                    list(spec.get("groups") or []),
                    _as_data(dict(spec.get("host_vars") or {})),
                )
            if isinstance(group := one.get("add_group"), str):
                mine |= self.inventory.add_to_group(
                    host, group, list(one.get("parent_groups") or [])
                )
            one["changed"] = mine  # a loop item's own, as Ansible shows it
            changed |= mine
        if changed:
            self.inventory_changed()
        return changed

    def inventory_vars(self, host: str) -> dict[str, Any]:
        """Inventory variables incl. group_vars/ and host_vars/ beside the playbook."""
        with self._lock:
            if host not in self._inventory_cache:
                self._inventory_cache[host] = self.inventory.host_vars(host, self.playbook_vars)
            return self._inventory_cache[host]

    def host_scope(self, host: str) -> dict[str, Any]:
        """What ``hostvars[host]`` holds: everything but play/block/task vars, and not
        ``hostvars`` itself (as in Ansible: a host's vars do not contain every host's)."""
        scope = {
            **self.builtin,
            **self.inventory_vars(host),
            **self.facts.fact_layer(host),
            **self.facts.host_vars(host),
            **self.extra_vars,
            **self.magic(host),
        }
        del scope["hostvars"]
        return scope

    def task_vars(
        self,
        host: str,
        scopes: Sequence[Mapping[str, Any]] = (),
        defaults: Sequence[Mapping[str, Any]] = (),
        params: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """All variables for one task on one host; ``scopes`` are role/block/task/loop vars,
        ``defaults`` the role defaults (below everything else), ``params`` role and include
        parameters (above set_fact and registered results)."""
        merged: dict[str, Any] = dict(self.builtin)
        exposed = self._exposed.get(host, ())
        for layer in (*(d for d, _ in exposed), *defaults):
            merged.update(layer)
        merged.update(self.inventory_vars(host))
        merged.update(self.facts.fact_layer(host))
        merged.update(self.play_vars)
        for _, role_vars in exposed:
            merged.update(role_vars)
        for scope in scopes:
            merged.update(scope)
        merged.update(self.facts.host_vars(host))
        for layer in params:
            merged.update(layer)
        merged.update(self.extra_vars)
        merged.update(self.magic(host))
        if "ansible_host" not in merged:  # as Ansible's connection vars: the address used
            merged["ansible_host"] = merged.get("ansible_ssh_host", host)
        return merged

    def magic(self, host: str) -> dict[str, Any]:
        gone = self.gone()  # failed or unreachable: Ansible drops them (one snapshot)
        batch = [h for h in self.play_batch if h not in gone]
        return {
            "inventory_hostname": host,
            "inventory_hostname_short": host.split(".")[0],
            "groups": self.groups,
            "group_names": self.inventory.group_names(host),
            "hostvars": self.hostvars,
            "play_hosts": batch,
            "ansible_play_hosts": [h for h in self.play_hosts if h not in gone],
            "ansible_play_hosts_all": self.play_hosts,
            "ansible_play_batch": list(batch),
            "ansible_play_name": self.play_name,
            "ansible_play_role_names": self.play_roles,
            "role_names": self.play_roles,
            "ansible_role_names": self.play_all_roles,
            "ansible_dependent_role_names": [
                r for r in self.play_all_roles if r not in self.play_roles
            ],
            "ansible_run_tags": self.run_tags,
            "ansible_skip_tags": self.skip_tags,
            "ansible_version": ANSIBLE_VERSION,
            "playbook_dir": self.playbook_dir,
            "ansible_playbook_python": sys.executable,
            "ansible_check_mode": self.check,
            "ansible_diff_mode": self.diff,
            "ansible_verbosity": self.verbosity,
            "omit": OMIT,
        }


def _as_data(value: Any) -> Any:
    """Rendered values (plain strings) kept as data: the inventory trusts plain strings
    as an author's text, and a rendered value must never be rendered again. Text the
    author wrote as is (``TrustedStr``) stays trusted."""
    if isinstance(value, str):
        return value if isinstance(value, (TrustedStr, Unsafe)) else Unsafe(value)
    if isinstance(value, dict):
        return {k: _as_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_data(v) for v in value]
    return value
