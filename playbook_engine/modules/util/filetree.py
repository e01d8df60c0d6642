"""Copying a directory tree to a host (``copy`` with a directory ``src``): a controller
tree, or one on the host itself (``remote_src``), listed with one ``find``.

Every destination path is stat-ed in as few round trips as the command length allows, so
an up-to-date tree costs one command. Missing directories are made with one ``mkdir -p``,
files are installed one by one exactly like single files (``filewriter.install``), and
symlinks are recreated as symlinks with the same target: all of them with
``local_follow: false``, and links that lead nowhere (or into a loop) with
``local_follow: true``, which otherwise copies what links point to, as Ansible does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ...errors import ModuleError
from ..base import ModuleContext
from .filestate import FileState, chown_spec
from .filewriter import Payload, WriteOptions, install, quote, stat_many
from .remotefs import temp_beside

__all__ = ["Source", "copy_tree", "local_tree", "remote_tree"]


@dataclass(frozen=True, slots=True)
class Source:
    """One entry of the tree: ``kind`` is dir, file or link (``target``). A file on the
    host comes with its sha1, size and mode (``payload``)."""

    rel: str
    path: Path | PurePosixPath
    kind: str
    target: str | None = None
    remote: Payload | None = None

    def payload(self) -> Payload:
        return self.remote if self.remote is not None else Payload.of_file(Path(self.path))


def remote_tree(ctx: ModuleContext, root: str, follow: bool = False) -> list[Source]:
    """The tree below ``root`` on the host, parents first; one round trip. ``follow``:
    a link is copied as what it points to, unless it leads nowhere or into a loop (as
    Ansible copies a ``remote_src`` directory with ``local_follow: true``)."""
    find = f"find {'-L ' if follow else ''}."
    res = ctx.files.query(
        f"cd -- {quote(root)} || exit 3\n"
        f"{find} -mindepth 1 \\( -type d -printf 'd\\0%P\\0\\0' \\) "
        "-o \\( -type l -printf 'l\\0%P\\0%l\\0' \\) "
        "-o \\( -type f -printf 'f\\0%P\\0%s %m\\0' \\) 2>/dev/null\n"
        f"printf 'S\\0'; {find} -type f -exec sha1sum -z -- {{}} + 2>/dev/null; :"
    )
    if not res.ok:
        why = res.stderr.decode(errors="replace").strip()
        raise ModuleError(f"cannot read the directory {root}: {why}")
    fields = [os.fsdecode(f) for f in res.stdout.split(b"\0")]
    at = 0
    while at + 2 < len(fields) and fields[at] in ("d", "l", "f"):  # `S`: the sums follow
        at += 3
    sha1 = {}
    for line in fields[at + 1 :]:
        digest, sep, name = line.partition("  ./")
        if sep:
            sha1[name] = digest
    entries = []
    for i in range(0, at, 3):
        kind, rel, extra = fields[i : i + 3]
        path = PurePosixPath(root) / rel
        if kind == "f":
            size, mode = extra.split(" ")
            payload = Payload(
                sha1.get(rel, ""), int(size), remote=str(path), mode=format(int(mode, 8), "04o")
            )
            entries.append(Source(rel, path, "file", remote=payload))
        else:
            entries.append(Source(rel, path, "dir" if kind == "d" else "link", extra or None))
    return entries


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
        real = _resolved(path) if path.is_symlink() else None
        loop = real is not None and real in walking
        if path.is_symlink() and (not follow or not path.exists() or loop):
            entries.append(Source(rel, path, "link", os.readlink(path)))
        elif path.is_dir():
            entries.append(Source(rel, path, "dir"))
            _walk(root, path, follow, walking | {path.resolve()}, entries)
        else:
            entries.append(Source(rel, path, "file"))


def _resolved(link: Path) -> Path | None:
    """Where a link leads; None for a link to itself or round in a circle (it is copied
    as the link it is)."""
    try:
        return link.resolve()
    except (RuntimeError, OSError):  # Python < 3.13 raises RuntimeError on a loop
        return None


def copy_tree(
    ctx: ModuleContext,
    entries: list[Source],
    dest: str,
    opts: WriteOptions,
    directory_mode: str | None,
) -> dict[str, Any]:
    """A tree (``local_tree``, ``remote_tree``) to ``dest``: one stat round trip when
    nothing differs."""
    targets = {e.rel: str(PurePosixPath(dest) / e.rel) for e in entries}
    states = stat_many(ctx, [dest, *targets.values()], context=bool(opts.selinux))
    dirs = [targets[e.rel] for e in entries if e.kind == "dir"]
    changed = _make_dirs(ctx, dest, [dest, *dirs], states, directory_mode, opts)
    diffs: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for entry in (e for e in entries if e.kind == "file"):
        target = targets[entry.rel]
        res = install(ctx, entry.payload(), target, states[target], opts)
        if res.get("failed"):
            return res
        files.append(res)
        changed = changed or bool(res["changed"])
        if "diff" in res:
            diffs += res["diff"] if isinstance(res["diff"], list) else [res["diff"]]
    links = {targets[e.rel]: e.target or "" for e in entries if e.kind == "link"}
    changed = _make_links(ctx, links, states, opts) or changed
    result: dict[str, Any] = {"changed": changed, "dest": dest, "state": "directory"}
    if ctx.diff and diffs:
        result["diff"] = diffs
    local = all(e.remote is None for e in entries)
    if local and len(files) == 1 and not links:  # as Ansible's copy action answers
        result = {**files[0], "changed": changed}
    return result


def _make_dirs(
    ctx: ModuleContext,
    dest: str,
    wanted: list[str],
    states: dict[str, FileState],
    directory_mode: str | None,
    opts: WriteOptions,
) -> bool:
    """The missing directories made; the task's owner and group given to them all, as
    Ansible's copy gives them to every directory of the tree."""
    missing, others = [], []
    for path in wanted:
        state = states[path]
        if state.kind not in ("absent", "directory"):
            raise ModuleError(f"{path} exists and is not a directory")
        if state.kind == "absent":
            missing.append(path)
        elif (opts.owner and not state.owned_by(opts.owner)) or (
            opts.group and not state.in_group(opts.group)
        ):
            others.append(state)
    what = f"create directories under {dest}"
    ctx.files.mkdir(missing, directory_mode, what, opts.owner, opts.group)
    if others:
        spec = chown_spec(opts.owner, opts.group)
        owned = [
            replace(s, owner=opts.owner or s.owner, group=opts.group or s.group, uid=None, gid=None)
            for s in others
        ]
        paths = " ".join(quote(s.path) for s in others)
        ctx.files.apply(f"chown {quote(spec)} -- {paths}", owned, f"chown directories of {dest}")
    return bool(missing or others)


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
    owner = opts.owner if opts.owner and (fresh or not state.owned_by(opts.owner)) else None
    group = opts.group if opts.group and (fresh or not state.in_group(opts.group)) else None
    if owner is None and group is None:
        return None
    return chown_spec(owner, group)
