"""reboot: reboot the host and wait until it is back, as Ansible's module does.

1. read the boot id (``boot_time_command``), 2. run the reboot command (a dropped
connection there is the reboot starting, not an error), 3. reconnect until the boot id has
changed, 4. run ``test_command`` until it succeeds, 5. wait ``post_reboot_delay``. Steps 3-4
share ``reboot_timeout``. The default command is ``shutdown -r +MIN "msg"``, found on the
``search_paths``. On the local connection it refuses: it would reboot the controller.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import ModuleError, PbeError
from ..transport import shell
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .wait_for_connection import wait_until_up

_SEARCH_PATHS = ["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"]


@register("reboot")
class Reboot(Module):
    """Reboot the host, then wait until it is up again and answers `test_command`."""

    supports_async = False  # Ansible's action refuses async too

    args = {
        "boot_time_command": Arg(
            "str",
            default="cat /proc/sys/kernel/random/boot_id",
            description="Prints a value that differs after a reboot.",
        ),
        "connect_timeout": Arg(
            "int", description="Seconds each reconnection attempt may take (default: the run's)."
        ),
        "msg": Arg(
            "str",
            default="Reboot initiated by Ansible",
            description="Message shown to logged-in users.",
        ),
        "post_reboot_delay": Arg(
            "int", default=0, description="Seconds to wait once it is back, before returning."
        ),
        "pre_reboot_delay": Arg(
            "int",
            default=0,
            description="Seconds before rebooting "
            "(whole minutes for shutdown: less than 60 is now).",
        ),
        "reboot_command": Arg(
            "str", description='The command that reboots (default: `shutdown -r +MIN "msg"`).'
        ),
        "reboot_timeout": Arg(
            "int",
            default=600,
            description="Seconds to wait for it to come back and pass `test_command`.",
        ),
        "search_paths": Arg(
            "list",
            elements="str",
            default=_SEARCH_PATHS,
            description="Where to look for the reboot command.",
        ),
        "test_command": Arg("str", default="whoami", description="Must succeed once it is back."),
    }
    returns = {"rebooted": "true once rebooted", "elapsed": "seconds it took"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if _is_local(ctx):
            raise ModuleError(
                "reboot on the local connection would reboot the controller; pbe refuses"
            )
        if ctx.check:
            return Result(changed=True, values={"rebooted": True, "elapsed": 0})
        started = time.monotonic()
        before = _boot_id(ctx, args["boot_time_command"])
        _start_reboot(ctx, reboot_command(args))
        deadline = time.monotonic() + args["reboot_timeout"]
        connect = float(args["connect_timeout"] or 10)
        if (
            reason := _wait_for_new_boot(ctx, args["boot_time_command"], before, deadline, connect)
        ) is not None:
            raise ModuleError(
                f"the host did not come back within {args['reboot_timeout']} s "
                f"after the reboot: {reason}"
            )
        if reason := wait_until_up(ctx, deadline, connect, 1.0, args["test_command"]):
            raise ModuleError(
                f"the host came back but `{args['test_command']}` did not "
                f"succeed within {args['reboot_timeout']} s: {reason}"
            )
        if ctx.sleep(args["post_reboot_delay"]):
            raise ModuleError("reboot interrupted: the run is stopping")
        return Result(
            changed=True, values={"rebooted": True, "elapsed": int(time.monotonic() - started)}
        )


def reboot_command(args: dict[str, Any]) -> str:
    """The command line that reboots, its program looked up on ``search_paths`` first."""
    path = ":".join(shell.quote(str(p)) for p in args["search_paths"])
    command = args["reboot_command"]
    if not command:
        minutes = max(int(args["pre_reboot_delay"]) // 60, 0)
        command = f"shutdown -r +{minutes} {shell.quote(args['msg'])}"
    return f'PATH={path}:"$PATH" {command}'


def _is_local(ctx: ModuleContext) -> bool:
    try:
        return ctx.connection.spec.connection == "local"
    except AttributeError:  # a context without a connection (recorded cases)
        return False


def _boot_id(ctx: ModuleContext, command: str) -> str:
    res = ctx.run(command)
    if res.rc != 0 or not res.out.strip():
        raise ModuleError(
            f"cannot read the boot id with `{command}` (rc={res.rc}): "
            f"{res.err.strip() or 'no output'}"
        )
    return res.out.strip()


def _start_reboot(ctx: ModuleContext, command: str) -> None:
    """Run the reboot command; the connection dropping under it is the reboot starting."""
    try:
        res = ctx.run(command, timeout=60)
    except PbeError:
        return
    if res.rc != 0:
        raise ModuleError(
            f"the reboot command failed (rc={res.rc}): {(res.err or res.out).strip()}"
        )


def _wait_for_new_boot(
    ctx: ModuleContext, command: str, before: str, deadline: float, connect_timeout: float
) -> str | None:
    """Reconnect until the boot id differs from ``before``: None, or why it did not."""
    reason = "the boot id did not change"
    while True:
        try:
            ctx.reconnect(connect_timeout)
            res = ctx.run(command, timeout=connect_timeout * 6)
            if res.rc == 0 and res.out.strip() and res.out.strip() != before:
                return None
            reason = "the boot id did not change" if res.rc == 0 else f"`{command}` exited {res.rc}"
        except PbeError as exc:
            reason = exc.message
        if time.monotonic() + 1.0 >= deadline or ctx.sleep(1.0):
            return reason
