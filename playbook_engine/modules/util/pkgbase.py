"""What a package-manager backend is, and the run every backend shares.

A backend drives one package manager with the host's own tools, no Python on the host:
``probe`` reads the state of every requested package in one command (and, where only the
manager itself can tell what would change, asks it for a dry run in that same command),
``parse`` and ``plan`` decide on the controller, ``apply`` changes the host in one command.
So a task in state costs one round trip and a change two, and check mode stops after the
plan: it predicts what the real run does, because both decide from the same probe.

The modules named after a manager (``dnf``, ``community.general.pacman`` ...) register a
backend class as it is. The generic ``package`` module picks a backend by the host's
``pkg_mgr`` fact (``managers`` says which values a backend serves), coerces the user's
arguments with that backend's ``args`` (Ansible's for that module) and calls ``run``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from ...transport.base import CommandResult
from ..base import Arg, ModuleContext
from ..result import Result
from .remotefs import RemoteFiles
from .state import Change, StateModule

__all__ = [
    "PackageBackend",
    "PackageFailure",
    "PackageModule",
    "PackagePrediction",
    "names_of",
    "package_prediction",
    "tool_words",
]

S = TypeVar("S")


class PackageBackend(Protocol):
    """One package manager, as the manager's own module and ``package`` use it."""

    managers: ClassVar[tuple[str, ...]]  # the ``pkg_mgr`` fact values it serves
    args: ClassVar[dict[str, Arg]]  # Ansible's arguments for that module

    @classmethod
    def coerce(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults, aliases and types of the user's arguments."""
        ...

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        """Converge the host (or, in check mode, say what that would change)."""
        ...


class PackageFailure(Exception):
    """The task fails with Ansible's message and return values (``failures``, ``rc`` ...)
    rather than a bare message: playbooks register these and test them."""

    def __init__(self, msg: str, **values: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.values = values


class PackagePrediction:
    """The packages earlier tasks of a check run would have installed or removed on one
    host, per package database (a backend's ``database(args)``): name -> what the backend
    recorded (its installed version), or None for removed. Later package tasks of the run
    plan against the host's packages with these applied (``PackageModule.foresee``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._packages: dict[str, dict[str, Any]] = {}

    def record(
        self, database: str, installed: Iterable[tuple[str, Any]], removed: Iterable[str] = ()
    ) -> None:
        with self._lock:
            known = self._packages.setdefault(database, {})
            known.update(installed)
            known.update(dict.fromkeys(removed))

    def view(self, database: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._packages.get(database, {}))


def package_prediction(ctx: ModuleContext) -> PackagePrediction | None:
    """This host's package prediction in a check run (None in a real run). It lives as
    long as the host's file prediction, so it is per host and per run."""
    files: RemoteFiles | None = getattr(ctx, "files", None) if ctx.check else None
    if files is None:
        return None
    return files.companion(PackagePrediction)


class PackageModule(StateModule[S], Generic[S]):
    """probe → parse → plan → apply, with failures that keep their return values.

    ``parse``, ``plan`` and ``applied`` raise ``PackageFailure``; ``check_msg`` is the
    message a check run reports for a change (Ansible's managers word it their own way).

    In a check run, ``foresee`` adjusts the probed state by what earlier tasks would have
    done (or raises ``Unpredictable`` where that cannot be followed), and ``remember``
    records what this task would do. A package change also makes the file prediction
    unsure: packages bring files and directories (a template into /etc/nginx after
    installing nginx is planned as a write, not refused for a missing directory).
    """

    managers: ClassVar[tuple[str, ...]] = ()
    check_msg: ClassVar[str | None] = None

    def validate(self, args: dict[str, Any]) -> None:
        """Refuse argument combinations before the host is asked anything."""

    def in_state_msg(self, args: dict[str, Any], state: S) -> str | None:
        """The message when nothing changes."""
        return None

    def foresee(self, args: dict[str, Any], state: S, known: dict[str, Any]) -> S:
        """The probed state as earlier tasks of the check run would leave it."""
        return state

    def remember(self, args: dict[str, Any], change: Change, prediction: PackagePrediction) -> None:
        """Record in the check run's prediction what ``change`` would do."""

    def database(self, args: dict[str, Any]) -> str:
        """Which package database the prediction is kept for (manager and root)."""
        return self.managers[0] if self.managers else type(self).__name__

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        if res.rc != 0:
            raise PackageFailure(
                tool_words(res) or f"{change.op} failed (rc={res.rc})",
                rc=res.rc,
                stdout=res.out,
                stderr=res.err,
            )
        return change.values

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        try:
            self.validate(args)
            state = self.parse(args, ctx.run(self.probe(args, ctx)))
            prediction = package_prediction(ctx)
            if prediction is not None:
                state = self.foresee(args, state, prediction.view(self.database(args)))
            change = self.plan(args, state)
            if change is None:
                return Result(msg=self.in_state_msg(args, state), values=self.values(args, state))
            diff = change.diff if ctx.diff else None
            if ctx.check:
                self._predict(args, change, ctx, prediction)
                return Result(
                    changed=True, msg=self.check_msg or change.msg, values=change.values, diff=diff
                )
            values = self.applied(args, change, ctx.run(self.apply(args, change, ctx)))
        except PackageFailure as failure:
            return Result.fail(failure.msg, **failure.values)
        return Result(changed=True, msg=change.msg, values=values, diff=diff)

    def _predict(
        self,
        args: dict[str, Any],
        change: Change,
        ctx: ModuleContext,
        prediction: PackagePrediction | None,
    ) -> None:
        if prediction is None:
            return
        self.remember(args, change, prediction)
        ctx.files.unsure(f"`{getattr(self, 'name', 'package')}`, which check mode did not apply")


def tool_words(res: CommandResult) -> str:
    """What a failed tool said: its error output, else its output, trimmed."""
    return res.err.strip() or res.out.strip()


def names_of(args: Mapping[str, Any], key: str = "name") -> list[str]:
    """The requested names, stripped, without empty ones (``name: "a, b"`` is two)."""
    return [str(n).strip() for n in args.get(key) or [] if str(n).strip()]
