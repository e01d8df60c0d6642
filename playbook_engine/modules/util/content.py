"""Helpers the content modules share (get_url, uri, unarchive, assemble, replace, slurp,
ini_file, ...): Ansible's common file arguments that pbe accepts but cannot act on,
attribute changes of existing paths, and reading a file as a check run predicts it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ...errors import ModuleError
from ...templating.values import Unpredictable
from ...transport.shell import quote
from ..base import Arg, ModuleContext
from .filestate import FileState
from .textedit import FileOptions, attr_changes

__all__ = [
    "ATTR_ARGS",
    "IGNORED_FILE_ARGS",
    "chattr_command",
    "file_values",
    "predicted_bytes",
    "wanted_attrs",
]

IGNORED_FILE_ARGS: dict[str, Arg] = {
    "attributes": Arg(
        "str", aliases=("attr",), description="Accepted and ignored: pbe sets no chattr attributes."
    ),
    "seuser": Arg("str", description="Accepted and ignored: pbe sets no SELinux context."),
    "serole": Arg("str", description="Accepted and ignored: pbe sets no SELinux context."),
    "setype": Arg("str", description="Accepted and ignored: pbe sets no SELinux context."),
    "selevel": Arg("str", description="Accepted and ignored: pbe sets no SELinux context."),
    "unsafe_writes": Arg(
        "bool", default=False, description="Accepted for Ansible compatibility; writes are atomic."
    ),
}

ATTR_ARGS: dict[str, Arg] = {
    "mode": Arg("mode", description="Permissions: octal ('0644') or symbolic ('u=rw,g=r')."),
    "owner": Arg("str", description="User that should own it (name or uid)."),
    "group": Arg("str", description="Group that should own it (name or gid)."),
}


def wanted_attrs(state: FileState, args: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """attribute -> (before, after) for what ``mode``/``owner``/``group`` would change on an
    existing path (the same rule lineinfile and copy follow)."""
    opts = FileOptions(mode=args.get("mode"), owner=args.get("owner"), group=args.get("group"))
    return attr_changes(state, opts) if state.exists else {}


def chattr_command(path: str, changes: Mapping[str, tuple[str, str]]) -> str:
    """chmod/chown ``path`` to the ``after`` side of ``changes`` ("" when nothing changes)."""
    steps = []
    if "mode" in changes:
        steps.append(f"chmod {quote(changes['mode'][1])} -- {quote(path)}")
    if "owner" in changes or "group" in changes:
        spec = changes["owner"][1] if "owner" in changes else ""
        spec += f":{changes['group'][1]}" if "group" in changes else ""
        steps.append(f"chown {quote(spec)} -- {quote(path)}")
    return " && ".join(steps)


def after_attrs(state: FileState, changes: Mapping[str, tuple[str, str]]) -> FileState:
    """``state`` as chmod/chown of ``changes`` leave it (ids unknown when a name changes)."""
    new = {key: value[1] for key, value in changes.items()}
    return FileState(
        state.path,
        state.kind,
        mode=new.get("mode", state.mode),
        uid=None if "owner" in new else state.uid,
        gid=None if "group" in new else state.gid,
        owner=new.get("owner", state.owner),
        group=new.get("group", state.group),
        size=state.size,
        mtime=state.mtime,
        nlink=state.nlink,
        target=state.target,
        checksum=state.checksum,
        content=state.content,
    )


def file_values(state: FileState) -> dict[str, Any]:
    """The attribute keys Ansible's file-writing modules add to their result."""
    out: dict[str, Any] = {"state": _STATE_NAMES.get(state.kind, state.kind)}
    for key in ("mode", "owner", "group", "uid", "gid", "size"):
        if (value := getattr(state, key)) is not None:
            out[key] = value
    return out


_STATE_NAMES = {"file": "file", "directory": "directory", "link": "link", "absent": "absent"}


def predicted_bytes(ctx: ModuleContext, path: str, missing: str) -> bytes | None:
    """In a check run, the bytes an earlier task would leave at ``path``; None when the
    prediction knows nothing of it (ask the host). Raises ``Unpredictable`` when the
    prediction knows the file changed but not its new bytes, and ModuleError(``missing``)
    when it would not exist."""
    if not ctx.check:
        return None
    known = ctx.files.known(path)
    if known is None:
        return None
    if not known.exists:
        raise ModuleError(missing)
    if known.content is not None:
        return known.content
    if known.kind != "file":
        return None
    data = ctx.files.read(path)
    if known.checksum is not None and hashlib.sha1(data).hexdigest() != known.checksum:
        raise Unpredictable(f"{path}, whose content after an earlier task check mode does not hold")
    return data
