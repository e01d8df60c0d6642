"""wait_for_connection: wait until pbe can log in to the host again (after a reboot, or
while a new machine boots).

Each attempt drops the host's connection, opens a new one (bounded by ``connect_timeout``)
and runs ``true`` on it; Ansible runs its ``ping`` module, which needs Python on the host,
pbe needs only a shell. Attempts repeat ``sleep`` seconds apart until ``timeout``.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import ModuleError, PbeError
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result


@register("wait_for_connection")
class WaitForConnection(Module):
    """Wait until the host accepts a connection and runs a command."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "connect_timeout": Arg(
            "int", default=5, description="Seconds each attempt may take to connect."
        ),
        "delay": Arg("int", default=0, description="Seconds to wait before the first attempt."),
        "sleep": Arg("int", default=1, description="Seconds between attempts."),
        "timeout": Arg("int", default=600, description="Seconds to keep trying."),
    }
    supports_check = False  # as Ansible: skipped in check mode
    returns = {"elapsed": "seconds it took"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        started = time.monotonic()
        if ctx.sleep(args["delay"]):
            raise ModuleError("wait_for_connection interrupted: the run is stopping")
        reason = wait_until_up(
            ctx, started + args["delay"] + args["timeout"], args["connect_timeout"], args["sleep"]
        )
        if reason is not None:
            raise ModuleError(
                f"timed out waiting for connection after {args['timeout']} s: {reason}"
            )
        return Result(values={"elapsed": int(time.monotonic() - started)})


def wait_until_up(
    ctx: ModuleContext, deadline: float, connect_timeout: float, pause: float, test: str = "true"
) -> str | None:
    """Reconnect and run ``test`` until it succeeds (None) or ``deadline`` passes (the
    last failure's reason)."""
    while True:
        reason = _attempt(ctx, connect_timeout, test)
        if reason is None:
            return None
        if time.monotonic() + pause >= deadline or ctx.sleep(pause):
            return reason


def _attempt(ctx: ModuleContext, connect_timeout: float, test: str) -> str | None:
    """One try: the reason it failed, or None."""
    try:
        ctx.reconnect(connect_timeout)
        res = ctx.run(test, timeout=max(connect_timeout, 1.0) * 6)
    except PbeError as exc:  # HostUnreachable, a timeout
        return exc.message
    if res.rc != 0:
        return f"`{test}` exited {res.rc}: {res.err.strip()}"
    return None
