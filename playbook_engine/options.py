"""Run options shared by the CLI and the Python API (one dataclass, validated once)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import settings
from .errors import OptionsError
from .settings import FALSE_WORDS, TRUE_WORDS
from .templating.values import trust

HOST_KEY_CHECKING = ("strict", "accept-new", "off")
CONNECTIONS = ("ssh", "local", "paramiko", "smart")  # -c: the last two are ssh here


def _config(name: str) -> Callable[[], Any]:
    """A default from Ansible's configuration (``ansible.cfg``, ``ANSIBLE_*``), read when
    the options are made: a flag or an API argument given explicitly wins."""

    def value() -> Any:
        found = settings.current()[name]
        return str(found) if isinstance(found, Path) else found

    return value


def _host_key_checking() -> str:
    current = settings.current()
    value = current["HOST_KEY_CHECKING"]
    if value is None:
        return "strict"
    mode = parse_host_key_checking(value, current.origins["HOST_KEY_CHECKING"])
    return mode if isinstance(mode, str) else "strict" if mode else "off"


def _connection() -> str | None:
    value = settings.current()["DEFAULT_TRANSPORT"]
    return None if value is None else str(value).lower()


@dataclass
class RunOptions:
    check: bool = False
    diff: bool = field(default_factory=_config("DIFF_ALWAYS"))
    forks: int = field(default_factory=_config("DEFAULT_FORKS"))
    limit: str | None = None
    extra_vars: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    skip_tags: tuple[str, ...] = ()
    user: str | None = field(default_factory=_config("DEFAULT_REMOTE_USER"))
    port: int | None = field(default_factory=_config("DEFAULT_REMOTE_PORT"))
    connection: str | None = field(default_factory=_connection)  # below `connection:` and vars
    private_key: str | None = field(default_factory=_config("DEFAULT_PRIVATE_KEY_FILE"))
    password: str | None = None
    become: bool = field(default_factory=_config("DEFAULT_BECOME"))  # below keywords and vars
    become_user: str | None = field(default_factory=_config("DEFAULT_BECOME_USER"))
    become_method: str | None = field(default_factory=_config("DEFAULT_BECOME_METHOD"))
    become_password: str | None = None
    force_handlers: bool = field(default_factory=_config("DEFAULT_FORCE_HANDLERS"))
    timeout: float = field(default_factory=_config("DEFAULT_TIMEOUT"))
    command_timeout: float | None = None
    host_key_checking: str = field(default_factory=_host_key_checking)
    known_hosts: tuple[str, ...] = ()
    ssh_config: str | None = None
    strict: bool = False
    verbosity: int = 0
    start_at_task: str | None = None

    def __post_init__(self) -> None:
        self.extra_vars = trust(dict(self.extra_vars))  # -e is an author's text
        if not isinstance(self.forks, int) or self.forks < 1:
            raise OptionsError(f"forks must be a positive integer, got {self.forks!r}")
        if self.host_key_checking not in HOST_KEY_CHECKING:
            raise OptionsError(
                f"host key checking must be one of {', '.join(HOST_KEY_CHECKING)}, "
                f"got {self.host_key_checking!r}"
            )
        if self.connection not in (None, *CONNECTIONS):
            raise OptionsError(
                f"connection must be one of {', '.join(CONNECTIONS)}, got {self.connection!r}"
            )
        if self.timeout <= 0:
            raise OptionsError(f"timeout must be positive, got {self.timeout!r}")


def parse_host_key_checking(value: Any, source: str) -> str | bool:
    """A mode name, or True/False for one of Ansible's boolean spellings (any case,
    surrounding blanks ignored). Anything else, an empty value too, is an error: a typo
    must never turn host key checking off.

    Raises:
        OptionsError: naming ``source`` (e.g. the variable) and the accepted values.
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in HOST_KEY_CHECKING:
        return text
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    raise OptionsError(
        f"{source}={value!r} is not a host key checking setting; use strict, accept-new, "
        f"off, or a boolean: {'/'.join(TRUE_WORDS)} (checking on) or {'/'.join(FALSE_WORDS)} (off)"
    )
