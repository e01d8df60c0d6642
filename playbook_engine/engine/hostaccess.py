"""How to reach a host and act as another user there, for all workers of one run.

Connection settings come from the host's variables (Ansible's names), then CLI options;
connections are cached per host; sudo is wrapped so a password is fed on stdin only when
sudo will really ask for it (probed once per host and user).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import HostUnreachable, OptionsError
from ..options import RunOptions, parse_host_key_checking
from ..templating.templar import Templar
from ..transport import ConnectionCache, ConnectionSpec, shell
from ..transport.base import Connection

# The variables a host's connection is built from (``connection_spec`` reads them): a
# delegated task's are its delegate's, as in Ansible.
CONNECTION_VARS = frozenset(
    {
        "ansible_host",
        "ansible_ssh_host",
        "ansible_port",
        "ansible_ssh_port",
        "ansible_user",
        "ansible_ssh_user",
        "ansible_connection",
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_private_key_file",
        "ansible_private_key_file",
    }
)


class HostAccess:
    """Connections, become wrapping and delegate locks; thread-safe, one per run."""

    def __init__(self, options: RunOptions, connections: ConnectionCache) -> None:
        self.options = options
        self.connections = connections
        self.remote_user: str | None = None  # the current play's remote_user
        self.on_secret: Callable[[str], None] = lambda secret: None  # redact passwords
        self._specs: dict[str, ConnectionSpec] = {}
        self._sudo_needs_password: dict[tuple[str, str], bool] = {}
        self._delegate_locks: dict[str, threading.Lock] = {}
        self._probe_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def delegate_lock(self, target: str) -> threading.Lock:
        with self._lock:
            return self._delegate_locks.setdefault(target, threading.Lock())

    def _probe_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._probe_locks.setdefault(host, threading.Lock())

    def wrap_become(
        self, host: str, command: str, stdin: bytes | None, become: dict[str, Any]
    ) -> tuple[str, bytes | None]:
        """sudo/su wrapping; a password is fed on stdin only when sudo will ask for it."""
        password = become.get("password")
        if (
            become["method"] != "sudo"
            or not password
            or not self._needs_password(host, become["user"])
        ):
            return shell.become(
                command, method=become["method"], user=become["user"], flags=become["flags"]
            ), stdin
        wrapped = shell.become(
            command, method="sudo", user=become["user"], flags=become["flags"], prompt=""
        )
        return wrapped, password.encode() + b"\n" + (stdin or b"")

    def _needs_password(self, host: str, user: str) -> bool:
        key = (host, user)
        with self._probe_lock(host):  # hosts delegating here share it: probe once
            if key not in self._sudo_needs_password:
                conn = self.connections.get(self._specs[host])
                probe = conn.run(shell.become("true", user=user))
                self._sudo_needs_password[key] = probe.rc != 0
            return self._sudo_needs_password[key]

    def prefetch(
        self, hosts: list[str], templar_of: Callable[[str], Templar], keyword: Any = None
    ) -> None:
        """Start connecting to ``hosts`` before their first task, ``forks`` at a time."""

        def spec_of(host: str) -> ConnectionSpec:
            templar = templar_of(host)
            kind = None if keyword is None else str(templar.render(keyword))
            return self.connection_spec(host, templar, kind)

        self.connections.prefetch(hosts, spec_of, self.options.forks)

    def connection(
        self, host: str, templar: Templar, keyword: str | None = None, user: str | None = None
    ) -> Connection:
        """The host's one connection for the run, opened on first use."""
        spec = self.connection_spec(host, templar, keyword, user)
        self._specs[host] = spec
        return self.connections.get(spec)

    def connection_spec(
        self, host: str, templar: Templar, keyword: str | None = None, user: str | None = None
    ) -> ConnectionSpec:
        """Where and how to connect; ``keyword`` is a play/task ``connection:`` and ``user``
        a task's ``remote_user:`` (variables such as ``ansible_connection`` and
        ``ansible_user`` win over them, as in Ansible), then the play's, then the CLI's."""
        tvars = templar.vars

        def var(*names: str) -> Any:
            for name in names:
                if name in tvars and tvars[name] is not None:
                    return tvars[name]
            return None

        kind = str(var("ansible_connection") or keyword or self.options.connection or "ssh")
        checking = self.options.host_key_checking
        if kind != "local":
            checking = _host_key_checking(tvars, checking)
        port = var("ansible_port", "ansible_ssh_port")
        port = self.options.port if port is None else port
        if (secret := var("ansible_password", "ansible_ssh_pass")) is not None:
            self.on_secret(str(secret))
        return ConnectionSpec(
            host=host,
            address=str(var("ansible_host", "ansible_ssh_host") or host),
            port=int(port) if port is not None else None,
            user=_opt_str(
                var("ansible_user", "ansible_ssh_user")
                or user
                or self.remote_user
                or self.options.user
            ),
            password=_opt_str(var("ansible_password", "ansible_ssh_pass") or self.options.password),
            private_key_file=_opt_str(
                var("ansible_ssh_private_key_file", "ansible_private_key_file")
                or self.options.private_key
            ),
            connection="local" if kind == "local" else "ssh",
            host_key_checking=checking,
            known_hosts_files=self.options.known_hosts,
            ssh_config_file=self.options.ssh_config,
            connect_timeout=self.options.timeout,
            command_timeout=self.options.command_timeout,
        )


def _host_key_checking(tvars: Mapping[str, Any], default: str) -> str:
    """A host's ``ansible_host_key_checking``: false turns checking off, true keeps the
    run's mode, a mode name sets it. A bad value refuses the host, never fails open."""
    for name in ("ansible_host_key_checking", "ansible_ssh_host_key_checking"):
        if (value := tvars.get(name)) is None:
            continue
        try:
            mode = parse_host_key_checking(value, name)
        except OptionsError as exc:
            raise HostUnreachable(exc.message) from None
        return mode if isinstance(mode, str) else default if mode else "off"
    return default


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
