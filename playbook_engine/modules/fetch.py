"""fetch: bring a file from the host to the controller, only when the local copy differs.

The remote sha1 comes from one stat round trip and the local one is computed on the
controller; the file streams over SFTP into a temp file beside the local destination,
which is renamed into place once its checksum is verified. SFTP runs as the login user, so
with ``become`` the become user's ``cat`` streams it instead, straight into the temp file:
a file of any size is never held in memory. A destination that cannot be written (read-only,
no permission, a file where a directory should be) fails the task with the OS's reason and
the path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..errors import ModuleError
from ..transport import shell
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.filestate import FileState
from .util.filewriter import CHUNK, checksum_of, stat_path


def local_path(dest: str, src: str, host: str, flat: bool) -> Path:
    """Where the file lands: ``dest/HOST/SRC`` or, with ``flat``, ``dest`` itself (or
    ``dest/BASENAME`` when ``dest`` ends in ``/``). Never outside ``dest``."""
    if flat:
        return Path(dest) / PurePosixPath(src).name if dest.endswith("/") else Path(dest)
    parts = [p for p in PurePosixPath(src).parts if p not in ("/", ".")]
    if ".." in parts or not parts:
        raise ModuleError(f"src {src!r} must name a file without '..' components")
    return Path(dest, host, *parts)


def sha1_of(path: Path) -> str | None:
    """The sha1 of a local regular file, streamed; None when there is none (or it cannot
    be read: then it is fetched again, and writing it says what is wrong)."""
    if not path.is_file():
        return None
    digest = hashlib.sha1()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


@register("fetch")
class Fetch(Module):
    """Copy a file from the host to the controller, under dest/HOST/PATH or flat."""

    supports_async = False  # Ansible's action refuses async too
    ignores_unknown_args = True  # as Ansible's action: `mode` is often written, never used

    local_paths = frozenset({"dest"})
    args = {
        "src": Arg("path", required=True, description="The file on the host."),
        "dest": Arg(
            "path",
            required=True,
            description="Controller directory (relative to the playbook), or with "
            "flat the file path (a directory when it ends in /).",
        ),
        "flat": Arg(
            "bool", default=False, description="Put the file at dest instead of dest/HOST/SRC-PATH."
        ),
        "fail_on_missing": Arg(
            "bool", default=True, description="Fail when src does not exist on the host."
        ),
        "validate_checksum": Arg(
            "bool", default=True, description="Verify the local copy's sha1 against the host's."
        ),
    }
    returns = {
        "dest": "the local file",
        "file": "the remote file",
        "checksum": "sha1 of the local file",
        "remote_checksum": "sha1 on the host",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        src: str = args["src"]
        local = self._destination(args, ctx)
        state = stat_path(ctx, src, checksum=True, follow=True)
        if not state.exists:
            if args["fail_on_missing"]:
                raise ModuleError(f"the remote file does not exist: {src}")
            return Result(
                msg="the remote file does not exist, not transferring, ignored",
                values={"file": src},
            )
        remote = _remote_checksum(src, state)
        result: dict[str, Any] = {
            "dest": str(local),
            "file": src,
            "remote_checksum": remote,
            "checksum": remote,
        }
        if local.is_dir():
            raise ModuleError(f"local destination {local} is a directory")
        if sha1_of(local) == remote:
            return Result(values=result)
        if not ctx.check:
            self._download(ctx, src, local, remote if args["validate_checksum"] else None)
        return Result(changed=True, values=result)

    def _destination(self, args: dict[str, Any], ctx: ModuleContext) -> Path:
        dest = os.path.expanduser(args["dest"])
        path = local_path(dest, args["src"], ctx.host, args["flat"])
        if path.is_absolute():
            return path
        try:
            base = Path(str(ctx.variable("playbook_dir")))
        except KeyError:
            base = Path.cwd()
        return base / path

    def _download(self, ctx: ModuleContext, src: str, local: Path, expected: str | None) -> None:
        """Into a temp file beside ``local``, verified, then renamed: never half a file."""
        make_dirs(local.parent)
        tmp = local.parent / f".{local.name}.pbe-{uuid.uuid4().hex[:12]}.tmp"
        try:
            with tmp.open("xb") as fh:
                _receive(ctx, src, fh)
            if expected is not None and (got := sha1_of(tmp)) != expected:
                raise ModuleError(
                    f"checksum mismatch fetching {src}: the host has {expected}, the copy {got}"
                )
            os.replace(tmp, local)
        except OSError as exc:
            raise ModuleError(
                f"cannot write {local} on the controller: {exc.strerror or exc} (in {local.parent})"
            ) from None
        finally:
            with contextlib.suppress(OSError):  # e.g. EROFS: there is nothing to remove
                tmp.unlink(missing_ok=True)


def _receive(ctx: ModuleContext, src: str, fh: IO[bytes]) -> None:
    """The file's bytes into ``fh``: over SFTP, or streamed from the become user's cat."""
    if not ctx.files.become:
        ctx.connection.get(src, fh)
        return
    res = ctx.run(f"cat -- {shell.quote(src)}", stdout=fh)
    if res.rc != 0:
        raise ModuleError(f"cannot read {src}: {res.err.strip() or f'exit status {res.rc}'}")


def make_dirs(path: Path) -> None:
    """``mkdir -p`` on the controller; a failure names the path and the OS's reason."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
        raise ModuleError(
            f"cannot create directory {path} on the controller: {blocker} is not a directory"
        ) from None
    except OSError as exc:
        raise ModuleError(
            f"cannot create directory {path} on the controller: "
            f"{exc.strerror or exc} ({exc.filename})"
        ) from None


def _remote_checksum(src: str, state: FileState) -> str:
    if state.kind == "directory":
        raise ModuleError(f"{src} is a directory: fetch copies files only")
    if state.kind != "file":
        raise ModuleError(f"{src} is not a regular file")
    checksum = checksum_of(state)
    if checksum is None:
        raise ModuleError(f"cannot read {src}: permission denied (try become: true)")
    return checksum
