"""pause: wait a number of seconds or minutes, or until the person running pbe presses Enter.

It runs once per batch of hosts (on the first; the others carry on with its result), as in
Ansible. It touches no host. A prompt is read from the controller's terminal; when pbe has
none (a pipeline, CI, the API under a test runner) a prompt without a duration does not
wait, and the answer is empty.
"""

from __future__ import annotations

import getpass
import sys
import time
from datetime import datetime
from typing import Any

from ..errors import ModuleError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result


@register("pause")
class Pause(Module):
    """Wait a while, or for Enter on the terminal (once per batch of hosts)."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "seconds": Arg("float", description="Seconds to wait."),
        "minutes": Arg("float", description="Minutes to wait."),
        "prompt": Arg(
            "str", description="Text shown while waiting (for Enter, or alongside the countdown)."
        ),
        "echo": Arg("bool", default=True, description="Show what is typed at the prompt."),
    }
    mutually_exclusive = (("seconds", "minutes"),)
    needs_connection = False
    bypass_host_loop = True
    returns = {
        "start": "when the pause began",
        "stop": "when it ended",
        "delta": "whole seconds paused",
        "user_input": "what was typed at the prompt",
        "stdout": "how long it paused",
        "echo": "the `echo` argument",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        seconds = _duration(args)
        started, clock = datetime.now(), time.monotonic()
        answer = ""
        if seconds is not None:
            if args["prompt"]:
                _say(f"{args['prompt']} ({seconds:g} s)\n")
            if ctx.sleep(seconds):
                raise ModuleError("pause interrupted: the run is stopping")
        elif sys.stdin.isatty():
            answer = _ask(args["prompt"] or "Press enter to continue", args["echo"])
        elapsed = time.monotonic() - clock
        return Result(
            values={
                "start": str(started),
                "stop": str(datetime.now()),
                "delta": int(elapsed),
                "user_input": answer,
                "echo": args["echo"],
                "rc": 0,
                "stderr": "",
                "stdout": f"Paused for {elapsed:.2f} seconds" if seconds is not None else "",
            }
        )


def _duration(args: dict[str, Any]) -> float | None:
    """Seconds to wait, None for "until Enter"; a negative duration is an error."""
    if args["minutes"] is not None:
        seconds: float | None = args["minutes"] * 60
    else:
        seconds = args["seconds"]
    if seconds is not None and seconds < 0:
        raise ModuleError("pause needs a duration of zero or more")
    return seconds


def _say(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _ask(prompt: str, echo: bool) -> str:
    text = f"[pause] {prompt}: "
    if not echo:
        return getpass.getpass(text)
    _say(text)
    return sys.stdin.readline().rstrip("\n")
