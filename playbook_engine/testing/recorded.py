"""A host made of recorded answers, for testing a module's planning without a machine.

``RecordedHost`` is a ``ModuleContext`` whose ``run`` answers each command from a list of
``Answer``s (the first whose ``match`` the command contains, each used once, in order) and
records every command, so a test can assert the module's decisions *and* its round trips.
A command nothing answers fails the test with the command shown: a module must not run
commands a case did not foresee.

``load_case``/``run_case`` drive the data-driven cases in tests/unit/modules/cases/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from ..errors import HostUnreachable, PbeError
from ..modules.util.filestate import Prediction
from ..modules.util.remotefs import RemoteFiles
from ..transport.base import CommandResult

__all__ = ["Answer", "RecordedHost", "UnforeseenCommand", "load_case", "run_case"]


class UnforeseenCommand(AssertionError):
    """The module ran a command the recorded host has no answer for."""


@dataclass
class Answer:
    match: str
    rc: int = 0
    stdout: str = ""
    stderr: str = ""
    stdin: str = ""  # text the command's stdin must contain (SQL sent on stdin, say)


@dataclass
class RecordedHost:
    """A ModuleContext over recorded answers; ``commands`` lists what the module ran."""

    answers: list[Answer]
    check: bool = False
    diff: bool = False
    variables: Mapping[str, Any] = field(default_factory=dict)
    host: str = "recorded"
    commands: list[str] = field(default_factory=list)
    _files: RemoteFiles | None = field(default=None, repr=False)

    @property
    def files(self) -> RemoteFiles:
        """File operations over the recorded answers, one per case as the executor's are
        per task (a check run predicts as on a host no earlier task touched)."""
        if self._files is None:
            self._files = RemoteFiles(self.run, _no_upload, self.check, Prediction())
        return self._files

    def run(
        self,
        command: str,
        *,
        stdin: bytes | None = None,
        timeout: float | None = None,
        stdout: IO[bytes] | None = None,
        light: bool = False,
    ) -> CommandResult:
        self.commands.append(command)
        sent = (stdin or b"").decode(errors="replace")
        for index, answer in enumerate(self.answers):
            if answer.match in command and answer.stdin in sent:
                del self.answers[index]
                return CommandResult(answer.rc, answer.stdout.encode(), answer.stderr.encode())
        shown = f"\nwith stdin: {sent}" if sent else ""
        raise UnforeseenCommand(f"no recorded answer for: {command}{shown}")

    def variable(self, name: str) -> Any:
        return self.variables[name]

    def sleep(self, seconds: float) -> bool:
        """No real wait: recorded as ``<sleep N>``."""
        self.commands.append(f"<sleep {seconds:g}>")
        return False

    def reconnect(self, connect_timeout: float | None = None) -> None:
        """Recorded as ``<reconnect>``; an answer matching ``<reconnect>`` with a non-zero
        rc is a host that does not answer (its stderr the reason)."""
        self.commands.append("<reconnect>")
        for index, answer in enumerate(self.answers):
            if answer.match == "<reconnect>":
                del self.answers[index]
                if answer.rc:
                    raise HostUnreachable(answer.stderr or "no answer")
                return

    def render(self, value: Any) -> Any:
        return value


def _no_upload(source: IO[bytes], path: str, mode: int | None) -> None:
    raise UnforeseenCommand(f"a recorded host takes no uploads (to {path})")


def load_case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    return case


def run_case(case: Mapping[str, Any]) -> tuple[dict[str, Any], RecordedHost]:
    """Run the case's module with its args against its recorded host: (registered result,
    the host, whose ``commands`` the case's ``expect.commands`` counts)."""
    from ..modules import get

    module = get(case["module"])
    assert module is not None, f"no module {case['module']}"
    host = RecordedHost(
        [Answer(**a) for a in case.get("host", [])],
        check=bool(case.get("check")),
        diff=bool(case.get("diff")),
        variables=case.get("vars", {}),
    )
    try:
        result = module().run(module.coerce(case.get("args", {})), host)  # type: ignore[arg-type]
        registered = result.as_dict()
    except PbeError as exc:  # a case may expect the module's error
        registered = {"failed": True, "msg": exc.message}
    return registered, host
