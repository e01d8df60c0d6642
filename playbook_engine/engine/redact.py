"""Redaction: the one place where ``no_log`` results and known secrets are hidden.

The reporter passes every event through ``Redactor.event`` before any sink or ``on_event``
callback sees it, so no output path (console, JSON, JUnit, a log file, the Python API's
``RunResult.results``) can show what another hides. Log records from pbe's loggers are
scrubbed with the same ``Redactor`` by the CLI's log handler.

Secrets are the connection and become passwords: ``--ask-pass``/``--ask-become-pass``
values and every value of an ``ansible_password``-style variable (``SECRET_VARS``),
whatever its type: each scalar leaf of a list or mapping, numbers as the text they print
as. A templated one (``"{{ vault_pw }}"``) is hidden by its rendered value, which the run
resolves before a host's first task is reported. Any occurrence of a secret, anywhere in
an event (also inside a longer string or a number), becomes ``MASK``.

Errors raised while parsing (``-e``, inventories, vars files) come before any value is
known, so the source line they show is masked by key instead (``masking``).
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..events import CommandSent, Event, HostResult, RunEnd
from ..masking import MASK, SECRET_VARS
from ..templating.lines import Lines

NO_LOG_MSG = (
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result"
)
_STATUS_KEYS = ("changed", "failed", "skipped", "unreachable")
_NOT_SECRETS = frozenset({"VARIABLE IS NOT DEFINED!"})  # debug's word for an undefined var


class Redactor:
    """Hides secrets and ``no_log`` output in events and text. Thread-safe; one per run."""

    def __init__(self, secrets: Iterable[object] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self._seen: set[str] = set()  # leaves already added: each task re-adds its passwords
        for secret in secrets:
            self.add(secret)

    @classmethod
    def for_run(cls, options: Any, inventory: Any = None) -> Redactor:
        """The secrets a run knows before it starts: password options, and password
        variables of the inventory's hosts and groups and of the extra vars (templated
        ones are added by ``add_vars`` once they can be rendered)."""
        found: list[object] = [
            getattr(options, "password", None),
            getattr(options, "become_password", None),
        ]
        found += secret_values(getattr(options, "extra_vars", {}) or {})
        if inventory is not None:
            for entity in [*inventory.hosts.values(), *inventory.groups.values()]:
                found += secret_values(entity.vars)
        return cls(found)

    def add(self, secret: object) -> None:
        """Hide this value from now on, every scalar leaf of it, in every form it prints as.
        A template (not yet rendered) is not a secret: its rendered value is."""
        texts = {str(leaf) for leaf in _leaves(secret)}
        with self._lock:
            texts -= self._seen
            if not texts:
                return
            self._seen |= texts
            new = {form for text in texts for form in _forms(text)}.difference(self._secrets)
            if new:  # longest first: no partial leftovers
                self._secrets = tuple(sorted((*self._secrets, *new), key=len, reverse=True))

    def add_vars(self, variables: Mapping[str, Any]) -> None:
        """Hide the values of the password variables in ``variables``, a templar's lazy
        view (so a templated one is rendered). One that cannot be rendered is skipped: the
        task that uses it will fail on its own, redaction must not fail it first."""
        for name in SECRET_VARS:
            if name not in variables:
                continue
            try:
                value = variables[name]
            except Exception:  # undefined, unpredictable in check mode, a filter's error
                continue
            self.add(value)

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
        """The event as sinks may see it: ``no_log`` censored, the values of password
        variables it carries learnt (``set_fact``, ``debug: var=``), then secrets masked."""
        if isinstance(event, HostResult) and event.no_log:
            event = censor(event)
        elif isinstance(event, CommandSent) and event.no_log:
            event = dataclasses.replace(event, command=f"<{NO_LOG_MSG}>")
        if isinstance(event, HostResult):
            for found in _named_secrets((event.result, event.items)):
                self.add(found)
        secrets = self._secrets
        if not secrets:
            return event
        changes = {
            f.name: _scrub(getattr(event, f.name), secrets)
            for f in dataclasses.fields(event)
            if _scrubbed(event, f.name)
        }
        return dataclasses.replace(event, **changes)


def censor(event: HostResult) -> HostResult:
    """A ``no_log`` result: its status flags and the notice, nothing else."""
    keep = {k: event.result[k] for k in _STATUS_KEYS if k in event.result}
    items = tuple(
        {**{k: item[k] for k in _STATUS_KEYS if k in item}, "censored": NO_LOG_MSG}
        for item in event.items
    )
    return dataclasses.replace(event, result={**keep, "censored": NO_LOG_MSG}, items=items)


def secret_values(variables: Mapping[Any, Any]) -> list[object]:
    return [v for k, v in variables.items() if str(k) in SECRET_VARS]


def _scrubbed(event: Event, name: str) -> bool:
    """Fields that may carry data: text and containers, not the recap's counters."""
    if isinstance(event, RunEnd) and name == "stats":
        return False
    return isinstance(getattr(event, name), (str, dict, list, tuple, Lines))


def _leaves(value: Any) -> Iterator[str | int | float]:
    """The scalar leaves of a secret: strings and numbers (booleans and None say nothing)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (str, int, float)):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _leaves(item)


def _forms(text: str) -> set[str]:
    """The texts a value prints as: itself, and quoted as Python, JSON or a shell would."""
    if not text or text in _NOT_SECRETS or "{{" in text or "{%" in text:
        return set()
    forms = {
        text,
        repr(text)[1:-1],
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
        shlex.quote(text),
    }
    return {f for f in forms if f}


def _named_secrets(value: Any) -> Iterator[Any]:
    """Values found under a password variable's name anywhere inside ``value`` (plain
    data only: a live mapping such as ``hostvars`` may refer to itself)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key) in SECRET_VARS:
                yield item
            yield from _named_secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _named_secrets(item)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)  # a number that shows a secret becomes the masked text
        masked = _scrub(text, secrets)
        return value if masked == text else masked
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
