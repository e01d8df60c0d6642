"""Copying a controller directory tree to a host (``copy`` with a directory ``src``).

Every destination path is stat-ed in as few round trips as the command length allows, so
an up-to-date tree costs one command. Missing directories are made with one ``mkdir -p``,
files are installed one by one exactly like single files (``filewriter.install``), and
symlinks are recreated as symlinks with the same target: all of them with
``local_follow: false``, and links that lead nowhere (or into a loop) with
``local_follow: true``, which otherwise copies what links point to, as Ansible does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import ModuleError
from ..base import ModuleContext
from .filestate import FileState
from .filewriter import Payload, WriteOptions, install, quote, stat_many
from .remotefs import temp_beside

__all__ = ["Source", "copy_tree", "local_tree"]


@dataclass(frozen=True, slots=True)
class Source:
    """One entry of the controller tree: ``kind`` is dir, file or link (``target``)."""

    rel: str
    path: Path
    kind: str
    target: str | None = None


def local_tree(root: Path, follow: bool = True) -> list[Source]:
    """The tree below ``root``, parents first. ``follow``: a link to a file or directory
    is copied as what it points to, unless it leads nowhere or back to a directory being
    walked (a loop); without ``follow`` every link stays a link."""
    entries: list[Source] = []
    _walk(root, root, follow, {root.resolve()}, entries)
    return entries


def _walk(
    root: Path, directory: Path, follow: bool, walking: set[Path], entries: list[Source]
) -> None:
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        rel = path.relative_to(root).as_posix()
        real = path.resolve() if path.is_symlink() else None
        loop = real is not None and real in walking
        if path.is_symlink() and (not follow or not path.exists() or loop):
            entries.append(Source(rel, path, "link", os.readlink(path)))
        elif path.is_dir():
            entries.append(Source(rel, path, "dir"))
            _walk(root, path, follow, walking | {path.resolve()}, entries)
        else:
            entries.append(Source(rel, path, "file"))


def copy_tree(
    ctx: ModuleContext,
    root: Path,
    dest: str,
    opts: WriteOptions,
    directory_mode: str | None,
    follow: bool = True,
) -> dict[str, Any]:
    """A controller directory to ``dest``: one stat round trip when nothing differs."""
    entries = local_tree(root, follow)
    targets = {e.rel: str(PurePosixPath(dest) / e.rel) for e in entries}
    states = stat_many(ctx, [dest, *targets.values()], context=bool(opts.selinux))
    dirs = [targets[e.rel] for e in entries if e.kind == "dir"]
    changed = _make_dirs(ctx, dest, [dest, *dirs], states, directory_mode)
    diffs: list[dict[str, Any]] = []
    for entry in (e for e in entries if e.kind == "file"):
        target = targets[entry.rel]
        res = install(ctx, Payload.of_file(entry.path), target, states[target], opts)
        if res.get("failed"):
            return res
        changed = changed or bool(res["changed"])
        if "diff" in res:
            diffs.append(res["diff"])
    links = {targets[e.rel]: e.target or "" for e in entries if e.kind == "link"}
    changed = _make_links(ctx, links, states, opts) or changed
    result: dict[str, Any] = {"changed": changed, "dest": dest, "state": "directory"}
    if ctx.diff and diffs:
        result["diff"] = diffs
    return result


def _make_dirs(
    ctx: ModuleContext,
    dest: str,
    wanted: list[str],
    states: dict[str, FileState],
    directory_mode: str | None,
) -> bool:
    missing = []
    for path in wanted:
        kind = states[path].kind
        if kind not in ("absent", "directory"):
            raise ModuleError(f"{path} exists and is not a directory")
        if kind == "absent":
            missing.append(path)
    ctx.files.mkdir(missing, directory_mode, what=f"create directories under {dest}")
    return bool(missing)


def _make_links(
    ctx: ModuleContext, links: dict[str, str], states: dict[str, FileState], opts: WriteOptions
) -> bool:
    """Symlinks with the source's targets: a missing one is made, another file or link in
    its place is replaced (by renaming a new link over it); owner/group apply to the link
    itself, mode does not (as for Ansible's links). One command for them all."""
    steps: list[str] = []
    made: list[FileState] = []
    for path, target in links.items():
        state = states[path]
        if state.kind == "directory":
            raise ModuleError(f"{path} is a directory, cannot replace it with a symlink")
        owner = _link_owner(state, target, opts)
        if state.kind == "link" and state.target == target and owner is None:
            continue
        if state.kind != "link" or state.target != target:
            tmp = quote(temp_beside(path))
            steps.append(f"ln -s -- {quote(target)} {tmp} && mv -fT -- {tmp} {quote(path)}")
        if owner:
            steps.append(f"chown -h {quote(owner)} -- {quote(path)}")
        made.append(
            FileState(
                path,
                "link",
                mode="0777",
                target=target,
                owner=opts.owner or state.owner,
                group=opts.group or state.group,
            )
        )
    if not steps:
        return False
    ctx.files.apply(" && ".join(steps), made, what="create symlinks")
    return True


def _link_owner(state: FileState, target: str, opts: WriteOptions) -> str | None:
    """``chown -h`` spec for what the link's owner/group should become, or None."""
    fresh = state.kind != "link" or state.target != target
    owner = (
        opts.owner
        if opts.owner and (fresh or opts.owner not in (state.owner, str(state.uid)))
        else None
    )
    group = (
        opts.group
        if opts.group and (fresh or opts.group not in (state.group, str(state.gid)))
        else None
    )
    if owner is None and group is None:
        return None
    return (owner or "") + (f":{group}" if group else "")
