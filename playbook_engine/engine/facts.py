"""FactStore: every per-host fact, registered result and set_fact value, behind one RLock."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..templating.values import distrust


class FactStore:
    """Shared by all worker threads of one run; readers get snapshots, never live dicts."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._facts: dict[str, dict[str, Any]] = {}  # gathered: ansible_facts
        self._names: dict[str, dict[str, str]] = {}  # ansible_facts key -> variable name
        self._vars: dict[str, dict[str, Any]] = {}  # set_fact + register

    def add_facts(self, host: str, facts: Mapping[str, Any]) -> None:
        """Facts a module returned, as Ansible keeps them: each is a variable of the name the
        module gave it (``ansible_os_family``, ``services``) and is in ``ansible_facts``
        without the ``ansible_`` prefix (``ansible_facts.os_family``)."""
        with self._lock:
            names = self._names.setdefault(host, {})
            known = self._facts.setdefault(host, {})
            for name, value in distrust(dict(facts)).items():
                key = name.removeprefix("ansible_") or name
                names[key] = name
                known[key] = value

    def set_vars(self, host: str, values: Mapping[str, Any], template: bool = False) -> None:
        """set_fact/register: values are stored as data, never re-rendered; ``template``
        (include_vars) keeps them as playbook text, rendered when read like any var."""
        with self._lock:
            self._vars.setdefault(host, {}).update(
                dict(values) if template else distrust(dict(values))
            )

    def clear(self, host: str) -> None:
        """meta: clear_facts — forget gathered facts and set_fact values for a host."""
        with self._lock:
            self._facts.pop(host, None)
            self._names.pop(host, None)
            self._vars.pop(host, None)

    def facts(self, host: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._facts.get(host, {}))

    def host_vars(self, host: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._vars.get(host, {}))

    def fact_layer(self, host: str) -> dict[str, Any]:
        """Facts as templates see them: each under its variable name, and ``ansible_facts``."""
        with self._lock:
            facts = dict(self._facts.get(host, {}))
            names = self._names.get(host, {})
            layer: dict[str, Any] = {names.get(k, k): v for k, v in facts.items()}
        layer["ansible_facts"] = facts
        return layer
