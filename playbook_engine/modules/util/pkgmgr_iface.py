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

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from ...transport.base import CommandResult
from ..base import Arg, ModuleContext
from ..result import Result
from .state import Change, StateModule

__all__ = ["PackageBackend", "PackageFailure", "PackageModule", "names_of", "tool_words"]

S = TypeVar("S")


class PackageBackend(Protocol):
    """One package manager, as the manager's own module and ``package`` use it."""

    managers: ClassVar[tuple[str, ...]]       # the ``pkg_mgr`` fact values it serves
    args: ClassVar[dict[str, Arg]]            # Ansible's arguments for that module

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


class PackageModule(StateModule[S], Generic[S]):
    """probe → parse → plan → apply, with failures that keep their return values.

    ``parse``, ``plan`` and ``applied`` raise ``PackageFailure``; ``check_msg`` is the
    message a check run reports for a change (Ansible's managers word it their own way).
    """

    managers: ClassVar[tuple[str, ...]] = ()
    check_msg: ClassVar[str | None] = None

    def validate(self, args: dict[str, Any]) -> None:
        """Refuse argument combinations before the host is asked anything."""

    def in_state_msg(self, args: dict[str, Any], state: S) -> str | None:
        """The message when nothing changes."""
        return None

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult
                ) -> dict[str, Any]:
        if res.rc != 0:
            raise PackageFailure(tool_words(res) or f"{change.op} failed (rc={res.rc})",
                                 rc=res.rc, stdout=res.out, stderr=res.err)
        return change.values

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        try:
            self.validate(args)
            state = self.parse(args, ctx.run(self.probe(args, ctx)))
            change = self.plan(args, state)
            if change is None:
                return Result(msg=self.in_state_msg(args, state),
                              values=self.values(args, state))
            diff = change.diff if ctx.diff else None
            if ctx.check:
                return Result(changed=True, msg=self.check_msg or change.msg,
                              values=change.values, diff=diff)
            values = self.applied(args, change, ctx.run(self.apply(args, change, ctx)))
        except PackageFailure as failure:
            return Result.fail(failure.msg, **failure.values)
        return Result(changed=True, msg=change.msg, values=values, diff=diff)


def tool_words(res: CommandResult) -> str:
    """What a failed tool said: its error output, else its output, trimmed."""
    return (res.err.strip() or res.out.strip())


def names_of(args: Mapping[str, Any], key: str = "name") -> list[str]:
    """The requested names, stripped, without empty ones (``name: "a, b"`` is two)."""
    return [str(n).strip() for n in args.get(key) or [] if str(n).strip()]
