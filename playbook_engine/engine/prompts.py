"""``vars_prompt``: the values plays ask the person running them for, before the run starts.

On a terminal (the CLI passes ``ask_on_terminal``) each entry is asked for once, its default
shown; a variable given with ``-e`` is not asked for, as in Ansible. Without a terminal
(pipelines, the API) an entry takes its default, and one without a default stops the run
before anything is done, saying which ``-e`` to give.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import OptionsError
from ..language.model import Play, VarPrompt
from ..templating.cryptpw import password_hash
from ..templating.values import Unsafe, trust

Prompter = Callable[[VarPrompt], str]


def prompted_vars(
    plays: Sequence[Play], extra_vars: Mapping[str, Any], prompter: Prompter | None
) -> dict[int, dict[str, Any]]:
    """Play index -> the values its ``vars_prompt`` entries got.

    Raises:
        OptionsError: no terminal, an entry without a default and no ``-e`` for it, or an
            ``encrypt`` scheme pbe lacks.
    """
    values: dict[int, dict[str, Any]] = {}
    for index, play in enumerate(plays):
        for entry in play.vars_prompt:
            if entry.name not in extra_vars:
                values.setdefault(index, {})[entry.name] = _value(entry, prompter)
    return values


def _value(entry: VarPrompt, prompter: Prompter | None) -> Any:
    if prompter is None:
        if entry.default is None:
            raise OptionsError(
                f"vars_prompt `{entry.name}` has no default and there is no "
                f"terminal to ask on: give it with -e {entry.name}=...",
                entry.loc,
            )
        answer: Any = entry.default
    else:
        answer = prompter(entry) or entry.default
    if answer is None:
        answer = ""
    if entry.encrypt:
        try:
            answer = password_hash(str(answer), entry.encrypt, entry.salt, entry.salt_size)
        except ValueError as exc:
            raise OptionsError(f"vars_prompt `{entry.name}`: {exc}", entry.loc) from None
    if entry.unsafe:
        return Unsafe(answer) if isinstance(answer, str) else answer
    return trust(answer)  # the person running it is an author: it may be a template


def ask_on_terminal(entry: VarPrompt) -> str:
    """Ask for one entry on the terminal (hidden for ``private``; twice for ``confirm``)."""
    shown = (
        f"{entry.prompt} [{entry.default}]: " if entry.default is not None else f"{entry.prompt}: "
    )
    while True:
        answer = _read(shown, entry.private)
        if not entry.confirm or _read(f"confirm {entry.prompt}: ", entry.private) == answer:
            return answer
        sys.stderr.write("***** VALUES ENTERED DO NOT MATCH ****\n")


def _read(text: str, private: bool) -> str:
    if private:
        return getpass.getpass(text)
    sys.stderr.write(text)
    sys.stderr.flush()
    return sys.stdin.readline().rstrip("\n")
