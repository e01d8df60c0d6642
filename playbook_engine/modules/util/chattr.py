"""``attributes`` (chattr flags) of a path, as Ansible's file modules apply them.

The rule, Ansible's: ``[=+-]FLAGS`` (``=`` when no operator is written); nothing to do for
empty FLAGS; otherwise ``chattr`` runs when the path's current flags (``lsattr -d``, dashes
dropped) are not exactly FLAGS, and always for ``-``.
"""

from __future__ import annotations

from typing import Any

from ...errors import ModuleError
from ...transport.shell import quote
from ..base import Arg, ModuleContext

__all__ = ["ATTRIBUTES", "set_attributes"]

ATTRIBUTES = Arg(
    "str",
    aliases=("attr",),
    description="chattr flags the path should have: `A`, `=A` (exactly), `+A`, `-A`; "
    "set with chattr when `lsattr -d` shows other flags (`-` always runs chattr).",
)


def split_spec(spec: str) -> tuple[str, str]:
    """(operator, flags) of an ``attributes`` value (pure)."""
    if spec[:1] in ("+", "-", "="):
        return spec[0], spec[1:]
    return "=", spec


def current_flags(lsattr_output: str) -> str:
    """The flags in ``lsattr -d`` output, without dashes ("" when there is none)."""
    words = lsattr_output.split()
    return words[0].replace("-", "") if words else ""


def set_attributes(ctx: ModuleContext, path: str, spec: str | None, out: dict[str, Any]) -> None:
    """Apply ``spec`` to ``path`` (not in check mode); ``out`` (the task's result) gets
    ``changed`` and, with --diff, the before/after flags."""
    if spec is None:
        return
    op, flags = split_spec(spec)
    if not flags:
        return
    listed = ctx.run(f"lsattr -d -- {quote(path)}")
    before = current_flags(listed.stdout.decode(errors="replace")) if listed.rc == 0 else ""
    if before == flags and op != "-":
        return
    out["changed"] = True
    if "diff" in out:
        out["diff"]["before"]["attributes"] = before
        out["diff"]["after"]["attributes"] = op + flags
    if ctx.check:
        return
    done = ctx.run(f"chattr {quote(op + flags)} -- {quote(path)}")
    if done.rc != 0 or done.stderr.strip():
        details = (done.stdout + done.stderr).decode(errors="replace").strip()
        raise ModuleError(f"chattr failed: Error while setting attributes: {details}")


def attributes_after_write(
    ctx: ModuleContext, path: str, spec: str | None, exists: bool
) -> dict[str, Any]:
    """``spec`` applied to the file a module just wrote, as Ansible does after the write:
    ``changed`` and the before/after flags under ``diff``. A check run counts a file that
    is not there yet as changed (it has no flags to read)."""
    out: dict[str, Any] = {"diff": {"before": {}, "after": {}}}
    if not spec or not spec.lstrip("+-="):
        return out
    if ctx.check and not exists:
        out["changed"] = True
    else:
        set_attributes(ctx, path, spec, out)
    return out
