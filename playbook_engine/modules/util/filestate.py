"""What is at a path on a host (``FileState``), and what a check run predicts there.

A check run keeps, per host, a ``Prediction`` of the paths earlier tasks *would* have
created, changed or removed; the remote-files layer (``remotefs``) and the probe layer
(``probe``) consult it before the real host, and only they touch it: modules ask those
layers to act and read, never the prediction itself.

Every answer the prediction gives is noted (``templating.note_prediction``): what a task
computes from it describes predicted, not real, state, and a task that acts on the real
host may not act on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any, TypeVar

from ...templating.values import note_prediction
from .selinux import SeContext

T = TypeVar("T")


def chown_spec(owner: str | None, group: str | None) -> str:
    """``chown``'s ``OWNER:GROUP`` argument for what is asked ("" for nothing)."""
    return (owner or "") + (f":{group}" if group else "")


@dataclass(frozen=True, slots=True)
class FileState:
    """What is at a path. ``kind`` is file, directory, link, other or absent."""

    path: str
    kind: str = "absent"
    mode: str | None = None  # '0644'
    uid: int | None = None
    gid: int | None = None
    owner: str | None = None
    group: str | None = None
    size: int | None = None
    mtime: float | None = None
    nlink: int | None = None
    target: str | None = None  # symlink target
    checksum: str | None = None  # sha1 of a regular file, when asked for
    content: bytes | None = field(default=None, repr=False)  # predictions only
    selinux: SeContext | None = None  # where SELinux is on and a module asked

    @property
    def exists(self) -> bool:
        return self.kind != "absent"

    def owned_by(self, owner: str) -> bool:
        """Whether ``owner`` (a name or a uid) is this entry's owner."""
        return owner in (self.owner, str(self.uid))

    def in_group(self, group: str) -> bool:
        """Whether ``group`` (a name or a gid) is this entry's group."""
        return group in (self.group, str(self.gid))

    def as_stat(self) -> dict[str, object]:
        """Shaped like Ansible's ``stat`` return value."""
        out: dict[str, object] = {"exists": self.exists}
        if not self.exists:
            return out
        out.update(
            path=self.path,
            isdir=self.kind == "directory",
            isreg=self.kind == "file",
            islnk=self.kind == "link",
            mode=self.mode,
            uid=self.uid,
            gid=self.gid,
            pw_name=self.owner,
            gr_name=self.group,
            size=self.size,
            mtime=self.mtime,
            nlink=self.nlink,
        )
        if self.target is not None:
            out["lnk_target"] = self.target
        if self.checksum is not None:
            out["checksum"] = self.checksum
        return out


class Prediction:
    """The predicted state of paths on one host during a check run (thread-safe).

    Only what modules record is known; everything else is asked of the host. A path under
    a predicted-absent path, a file, or a directory the run would newly create is absent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[str, FileState] = {}
        self._new_dirs: set[str] = set()
        self._unsure: str | None = None
        self._created: set[str] = set()  # a command's `creates`: exists, nothing more known
        self._companions: dict[Hashable, Any] = {}

    def unsure(self, why: str, creates: str | None = None, removes: str | None = None) -> None:
        """An earlier task may have changed files in ways not recorded here (a command check
        mode did not run; the first reason is kept): it would have made ``creates`` and
        removed ``removes``, but nothing more is known of either."""
        with self._lock:
            self._unsure = self._unsure or why
            if creates:
                self._created.add(_norm(creates))
            if removes:
                self._created.discard(_norm(removes))

    def companion(self, key: Hashable, make: Callable[[], T]) -> T:
        """Another kind of predicted state kept with this host's (packages), made once."""
        with self._lock:
            if key not in self._companions:
                self._companions[key] = make()
            found: T = self._companions[key]
            return found

    def created(self, path: str) -> bool:
        """Whether ``path`` is the ``creates`` of a command check mode did not run."""
        with self._lock:
            if _norm(path) not in self._created:
                return False
        note_prediction(f"{path}, which a command check mode did not run would create")
        return True

    def exists(self, path: str) -> bool | None:
        """Whether ``path`` would exist (for ``creates``/``removes``), or None: ask the host."""
        if self.created(path):
            return True
        known = self.lookup(path)
        return None if known is None else known.exists

    def assume(self, what: str) -> str | None:
        """Why a missing path may exist after all (an earlier task's effects are unknown),
        noted as a read of predicted state; None when the prediction is complete."""
        with self._lock:
            why = self._unsure
        if why is not None:
            note_prediction(f"{what}, assumed to exist after {why}")
        return why

    def record(self, state: FileState, new_dir: bool = False) -> None:
        path = _norm(state.path)
        with self._lock:
            self._created.discard(path)
            if state.kind != "directory":  # whatever was below is gone
                prefix = path.rstrip("/") + "/"
                for known in [p for p in self._paths if p.startswith(prefix)]:
                    del self._paths[known]
                self._new_dirs = {d for d in self._new_dirs if not d.startswith(prefix)}
                self._created = {c for c in self._created if not c.startswith(prefix)}
            self._paths[path] = replace(state, path=path)
            if new_dir:
                self._new_dirs.add(path)
            elif state.kind != "directory":
                self._new_dirs.discard(path)

    def below(self, root: str) -> list[str]:
        """Paths at or under ``root`` that earlier tasks of the check run would create,
        change or remove (a command's ``creates`` included)."""
        top = _norm(root)
        prefix = top.rstrip("/") + "/"
        with self._lock:
            known = [*self._paths, *self._created]
        return sorted(p for p in known if p == top or p.startswith(prefix))

    def lookup(self, path: str) -> FileState | None:
        """The predicted state, or None when the host itself must be asked."""
        known = self._lookup(_norm(path))
        if known is not None:
            note_prediction(f"the state check mode predicts for {path}")
        return known

    def _lookup(self, path: str) -> FileState | None:
        with self._lock:
            if path in self._paths:
                return self._paths[path]
            for parent in PurePosixPath(path).parents:
                key = str(parent)
                known = self._paths.get(key)
                if known is None:
                    continue
                if known.kind == "link":  # where it leads is the host's to say
                    return None
                if known.kind != "directory" or key in self._new_dirs:
                    return FileState(path)
                return None
        return None


def _norm(path: str) -> str:
    return str(PurePosixPath(path))
