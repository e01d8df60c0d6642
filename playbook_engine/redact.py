"""Redaction: the one place where ``no_log`` results and known secrets are hidden.

The reporter passes every event through ``Redactor.event`` before any sink or ``on_event``
callback sees it, so no output path (console, JSON, JUnit, a log file, the Python API's
``RunResult.results``) can show what another hides. Log records from pbe's loggers are
scrubbed with the same ``Redactor`` by the CLI's log handler.

Secrets are the connection and become passwords: ``--ask-pass``/``--ask-become-pass``
values and the ``ansible_password``-style variables of the inventory and ``-e``. Any
occurrence of one, anywhere in an event, becomes ``MASK``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from .events import CommandSent, Event, HostResult
from .lines import Lines

MASK = "********"
NO_LOG_MSG = ("the output has been hidden due to the fact that 'no_log: true' was specified "
              "for this result")
SECRET_VARS = frozenset({
    "ansible_password", "ansible_ssh_pass", "ansible_ssh_password",
    "ansible_become_password", "ansible_become_pass", "ansible_sudo_pass",
    "ansible_sudo_password", "ansible_su_pass",
})
_STATUS_KEYS = ("changed", "failed", "skipped", "unreachable")


class Redactor:
    """Hides secrets and ``no_log`` output in events and text. Thread-safe; one per run."""

    def __init__(self, secrets: Iterable[object] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    @classmethod
    def for_run(cls, options: Any, inventory: Any = None) -> Redactor:
        """The secrets a run knows before it starts: password options, and password
        variables of the inventory's hosts and groups and of the extra vars."""
        found: list[object] = [getattr(options, "password", None),
                               getattr(options, "become_password", None)]
        found += secret_values(getattr(options, "extra_vars", {}) or {})
        if inventory is not None:
            for entity in [*inventory.hosts.values(), *inventory.groups.values()]:
                found += secret_values(entity.vars)
        return cls(found)

    def add(self, secret: object) -> None:
        """Hide this value from now on (e.g. a password rendered from a template)."""
        if not isinstance(secret, str) or not secret or "{{" in secret:
            return
        with self._lock:
            if secret not in self._secrets:  # longest first: no partial leftovers
                self._secrets = tuple(sorted((*self._secrets, secret), key=len, reverse=True))

    @property
    def active(self) -> bool:
        return bool(self._secrets)

    def scrub(self, value: Any) -> Any:
        """``value`` with every secret replaced by ``MASK``, recursively through containers."""
        secrets = self._secrets
        if not secrets:
            return value
        return _scrub(value, secrets)

    def event(self, event: Event) -> Event:
        """The event as sinks may see it: ``no_log`` censored, then secrets masked."""
        if isinstance(event, HostResult) and event.no_log:
            event = censor(event)
        elif isinstance(event, CommandSent) and event.no_log:
            event = dataclasses.replace(event, command=f"<{NO_LOG_MSG}>")
        secrets = self._secrets
        if not secrets:
            return event
        changes = {f.name: _scrub(getattr(event, f.name), secrets)
                   for f in dataclasses.fields(event)
                   if isinstance(getattr(event, f.name), (str, dict, list, tuple, Lines))}
        return dataclasses.replace(event, **changes)


def censor(event: HostResult) -> HostResult:
    """A ``no_log`` result: its status flags and the notice, nothing else."""
    keep = {k: event.result[k] for k in _STATUS_KEYS if k in event.result}
    items = tuple({**{k: item[k] for k in _STATUS_KEYS if k in item}, "censored": NO_LOG_MSG}
                  for item in event.items)
    return dataclasses.replace(event, result={**keep, "censored": NO_LOG_MSG}, items=items)


def secret_values(variables: Mapping[Any, Any]) -> list[object]:
    return [v for k, v in variables.items() if str(k) in SECRET_VARS]


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, Mapping):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_scrub(v, secrets) for v in value)
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, Lines):  # masked in its one text, never line by line
        text = _scrub(value.text, secrets)
        return value if text is value.text else Lines(text)
    return value
