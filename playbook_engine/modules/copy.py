"""copy: put a string, a controller file or a directory tree on the host, only where it differs.

The writing itself (destination, atomic install, attributes, trees, the check-run
prediction) is ``filewriter.py``, shared with ``template``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ModuleError
from ..templating.jinja_tests import vaulted_file
from ..templating.lines import Lines, json_default
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.chattr import ATTRIBUTES
from .util.fileargs import SE_ARGS, UNSAFE_WRITES, VALIDATE
from .util.filetree import copy_tree, local_tree, remote_tree
from .util.filewriter import (
    Payload,
    WriteOptions,
    checksum_of,
    install,
    resolve_dest,
    stat_path,
)

# -- the module ----------------------------------------------------------------------------


def content_bytes(value: Any) -> bytes:
    """``content`` as bytes; a mapping or list is written as JSON, as Ansible does."""
    if isinstance(value, (dict, list, Lines)):
        return json.dumps(value, default=json_default).encode()
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


FILE_ARGS: dict[str, Arg] = {
    "dest": Arg(
        "path",
        required=True,
        description="Remote path; an existing directory (or a path ending in /) "
        "receives the file under its source name.",
    ),
    "mode": Arg(
        "mode",
        description="Octal (0644) or symbolic (u=rw,g=r) mode; copy also "
        "takes `preserve` (the source's mode).",
    ),
    "owner": Arg("str", description="Owner (name or uid) the file should have."),
    "group": Arg("str", description="Group (name or gid) the file should have."),
    "backup": Arg(
        "bool",
        default=False,
        description="Keep a timestamped copy of the old file when replacing it.",
    ),
    "force": Arg(
        "bool",
        default=True,
        aliases=("thirsty",),
        description="Replace a file whose content differs; false: only create.",
    ),
    "follow": Arg(
        "bool",
        default=False,
        description="Write through a symlink at dest instead of replacing it.",
    ),
    "validate": VALIDATE,
    "unsafe_writes": UNSAFE_WRITES,
    "attributes": ATTRIBUTES,
    **SE_ARGS,
}
FILE_RETURNS = {
    "dest": "the file written",
    "src": "the source",
    "checksum": "sha1 of the content",
    "size": "bytes",
    "mode": "octal mode after the task",
    "owner": "owner name",
    "group": "group name",
    "state": "file (directory for a tree copy)",
    "backup_file": "the backup's path, when one was made",
}


@register("copy")
class Copy(Module):
    """Copy a controller file, a directory tree or a string to the host, atomically."""

    predicts_files = True
    supports_async = False  # Ansible's action refuses async too

    local_paths = frozenset({"src"})
    args = {
        "src": Arg(
            "path",
            description="Controller file or directory (searched in files/); "
            "a directory ending in / copies its contents only.",
        ),
        "content": Arg("raw", description="The file's content, instead of src."),
        **FILE_ARGS,
        "remote_src": Arg(
            "bool",
            default=False,
            description="src is on the host: a file is copied there with cp; a directory tree "
            "keeps its modes, and its links stay links.",
        ),
        "local_follow": Arg(
            "bool",
            description="A directory src: copy what its symlinks point to; "
            "false recreates them as symlinks with the same "
            "target. Links that lead nowhere or into a loop are "
            "recreated either way; a single-file src is always "
            "followed. Unset: true for a controller src, false with remote_src.",
        ),
        "directory_mode": Arg("mode", description="Mode of directories a tree copy creates."),
        "checksum": Arg("str", description="Expected sha1 of src; fail when it differs."),
        "decrypt": Arg(
            "bool",
            default=True,
            description="A vault-encrypted controller source fails (pbe has no vault to "
            "decrypt it); false copies it as it is.",
        ),
    }
    mutually_exclusive = (("src", "content"),)
    required_one_of = (("src", "content"),)
    returns = FILE_RETURNS

    @classmethod
    def coerce(cls, args: Mapping[str, Any]) -> dict[str, Any]:
        """Ansible's copy action checks these first, in its own words (tests match them)."""
        args = cls.merged(args)
        if args.get("src") in (None, "") and args.get("content") is None:
            raise ModuleError("src (or content) is required")
        if args.get("dest") in (None, ""):
            raise ModuleError("dest is required")
        if args.get("src") not in (None, "") and args.get("content") is not None:
            raise ModuleError("src and content are mutually exclusive")
        return super().coerce(args)

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        return Result.of(self.change(args, ctx))

    def change(self, args: dict[str, Any], ctx: ModuleContext) -> dict[str, Any]:
        """The result in Ansible's registered shape, built by the shared file helpers."""
        opts = replace(WriteOptions.from_args(args), attributes=args.get("attributes"))
        if args["src"] is None:
            if args["content"] is None:
                raise ModuleError('content is null: give a string ("" for an empty file)')
            payload = Payload.of_bytes(content_bytes(args["content"]))
            return install(ctx, payload, *resolve_dest(ctx, args["dest"], None, opts), opts)
        src: str = args["src"]
        if args["remote_src"]:
            tree_args = (args.get("directory_mode"), args["local_follow"] is True)
            result = self._remote(ctx, src, args["dest"], opts, *tree_args)
        else:
            result = self._local(ctx, src, args, opts)
        return {**result, "src": src}

    def _local(
        self, ctx: ModuleContext, src: str, args: dict[str, Any], opts: WriteOptions
    ) -> dict[str, Any]:
        path = ctx.find_file("files", src)
        if path.is_dir():
            dest = args["dest"].rstrip("/") or "/"
            if not src.endswith("/"):
                dest = str(PurePosixPath(dest) / path.name)
            tree = local_tree(path, args["local_follow"] is not False)
            if args["decrypt"]:
                files = [e for e in tree if e.kind == "file"]  # a directory's own first
                _refuse_vaulted(e.path for e in sorted(files, key=lambda e: e.rel.count("/")))
            return copy_tree(ctx, tree, dest, opts, args.get("directory_mode"))
        if args["decrypt"]:
            _refuse_vaulted([path])
        payload = Payload.of_file(path)
        if args.get("checksum") and args["checksum"] != payload.checksum:
            raise ModuleError(
                f"checksum of {path} is {payload.checksum}, not the expected {args['checksum']}"
            )
        return install(ctx, payload, *resolve_dest(ctx, args["dest"], path.name, opts), opts)

    def _remote(
        self,
        ctx: ModuleContext,
        src: str,
        dest: str,
        opts: WriteOptions,
        directory_mode: str | None,
        follow: bool,
    ) -> dict[str, Any]:
        state = stat_path(ctx, src, checksum=True, follow=True)
        if not state.exists:
            raise ModuleError(f"Source {src} not found")
        if state.kind == "directory":  # modes kept, links kept as links, as Ansible copies
            dest = dest.rstrip("/") or "/"
            if not src.endswith("/"):
                dest = str(PurePosixPath(dest) / PurePosixPath(src).name)
            kept = replace(opts, mode=opts.mode or "preserve")
            return copy_tree(ctx, remote_tree(ctx, src, follow), dest, kept, directory_mode)
        if state.kind != "file":
            raise ModuleError(f"Cannot copy invalid source '{src}': not a file")
        checksum = checksum_of(state)
        if checksum is None:
            raise ModuleError(f"Source {src} not readable")
        payload = Payload(
            checksum,
            state.size or len(state.content or b""),
            remote=src,
            data=state.content,
            mode=state.mode,
            label=src,
        )
        name = PurePosixPath(src).name
        return install(ctx, payload, *resolve_dest(ctx, dest, name, opts), opts)


def _refuse_vaulted(paths: Iterable[Path | PurePosixPath]) -> None:
    """Vault ciphertext is never installed as if it were the file (pbe cannot decrypt)."""
    for path in paths:
        if vaulted_file(path):
            raise ModuleError(f"A vault password or secret must be specified to decrypt {path}")
