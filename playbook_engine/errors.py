"""The pbe exception tree. Every error a user can cause is a ``PbeError``.

Each error carries an optional ``SourceLocation`` and the process exit code the CLI maps
it to, so the CLI never decides codes itself::

    PbeError                       exit 1
    ├── OptionsError               exit 5   bad CLI flag or API argument
    ├── ValidationError            exit 4   one problem in a playbook/inventory/vars file
    │   └── YAMLSyntaxError        exit 4
    ├── ValidationFailed           exit 4   a batch of Problems, all reported at once
    ├── InventoryError             exit 4   (also a ValidationError)
    ├── NoHostsMatched             exit 1   --limit matched nothing (also KeyError)
    ├── TemplateError              exit 1   a Jinja2 expression failed at run time
    │   └── UndefinedVariable      exit 1
    ├── ModuleError                exit 2   a module could not do its job on a host
    │   └── CommandTimeout         exit 2   a command outlived its timeout (until retries it)
    ├── HostUnreachable            exit 3   connect/auth/host key failure, lost connection
    └── Interrupted                exit 99  Ctrl-C / stop requested
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exitcodes import ExitCode
from .source import SourceLocation


class PbeError(Exception):
    """Root of all pbe errors; formats itself with its location and source line."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(
        self, message: str, location: SourceLocation | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        head = f"{self.location}: {self.message}" if self.location else self.message
        parts = [head]
        if self.location and (snippet := self.location.snippet()):
            parts.append(snippet)
        if self.hint:
            parts.append(f"  hint: {self.hint}")
        return "\n".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.message, self.location, self.hint))


class OptionsError(PbeError):
    exit_code = ExitCode.OPTIONS


class ValidationError(PbeError):
    exit_code = ExitCode.PARSE


class YAMLSyntaxError(ValidationError):
    pass


class InventoryError(ValidationError):
    pass


class NoHostsMatched(PbeError, KeyError):
    exit_code = ExitCode.ERROR

    def __str__(self) -> str:  # KeyError would repr() the message
        return PbeError.__str__(self)


class TemplateError(PbeError):
    pass


class UndefinedVariable(TemplateError):
    pass


class ModuleError(PbeError):
    """A module's failure; ``fields``: more keys of the failed result (Ansible's
    ``details`` of a bad mode)."""

    exit_code = ExitCode.HOST_FAILED

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        hint: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, location, hint)
        self.fields = fields or {}

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.message, self.location, self.hint, self.fields))


class NotOnHost(ModuleError):
    """What the task manages does not exist on the host (a service, a unit). In a check
    run an earlier task may be about to install it: ``what`` names it for that report."""

    def __init__(self, message: str, what: str) -> None:
        super().__init__(message)
        self.what = what


class CommandTimeout(ModuleError):
    """A command outlived its timeout and was killed: a failed attempt, which ``until``
    retries like any other. ``period``: the task's ``timeout:`` when that was the limit."""

    period: float | None = None


class HostUnreachable(PbeError):
    exit_code = ExitCode.UNREACHABLE


class Interrupted(PbeError):
    exit_code = ExitCode.INTERRUPTED


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation finding; ``severity`` is 'error' or 'warning'."""

    message: str
    location: SourceLocation | None = None
    hint: str | None = None
    severity: str = "error"

    def as_error(self) -> ValidationError:
        return ValidationError(self.message, self.location, self.hint)

    def __str__(self) -> str:
        text = str(self.as_error())
        return f"warning: {text}" if self.severity == "warning" else text


class ValidationFailed(PbeError):
    """Every problem found in one validation pass; raised once, never per problem."""

    exit_code = ExitCode.PARSE

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) found")

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) + f"\n{self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.problems,))
