"""A URL downloaded ON the host into a private temp file, in one round trip: the request
(``http.request_script``), then the file's sha1, size and (when asked) another digest. The
modules that save a response (get_url, uri's ``dest``, unarchive's URL ``src``) hand the
temp file to ``filewriter.install`` as a host-side payload and remove it afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from ...errors import ModuleError
from ...transport.shell import quote
from ..base import ModuleContext
from .filewriter import Payload
from .http import Request, Response, parse_report, request_script

__all__ = ["DIGESTS", "Download", "download", "filename_of"]

DIGESTS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
_EMIT = 'printf "B|\\n"; cat -- "$_f"; rm -f -- "$_f"\n'
_SUMS = re.compile(r"^([0-9a-fA-F]+) ([ *])?(.*)$")


@dataclass(frozen=True, slots=True)
class Download:
    """The response and where its body is on the host (``path``; None when it failed)."""

    response: Response
    path: str | None
    sha1: str = ""
    size: int = 0
    digest: str = ""  # the extra digest asked for, lower-case hex
    body: bytes | None = None  # with ``emit``: the body itself (the file is gone)

    def payload(self) -> Payload:
        assert self.path is not None
        return Payload(self.sha1, self.size, remote=self.path, label=self.response.url)


def _script(
    req: Request, directory: str | None, algorithm: str | None, emit: bool
) -> tuple[str, bytes]:
    where = quote(directory) if directory else '"${TMPDIR:-/tmp}"'
    script, stdin = request_script(req, '"$_f"')
    head = f"_f=$(mktemp {where}/.pbe-get.XXXXXXXXXX) || exit 3\n"
    tail = 'printf "F|%s|%s|%s\\n" "$_f" "$(sha1sum < "$_f" | cut -c1-40)" "$(wc -c < "$_f")"\n'
    if algorithm:
        tail += f'printf "D|%s\\n" "$({algorithm}sum < "$_f" | cut -d" " -f1)"\n'
    if emit:
        tail += _EMIT
    return head + script + tail, stdin


def download(
    ctx: ModuleContext,
    req: Request,
    directory: str | None = None,
    algorithm: str | None = None,
    emit: bool = False,
) -> Download:
    """Make ``req`` on the host, the body going to a new temp file in ``directory`` (the
    host's TMPDIR by default); a request that got no response leaves no file behind.
    ``emit``: send the body back instead (``Download.body``) and remove the file."""
    script, stdin = _script(req, directory, algorithm, emit)
    res = ctx.run(script, stdin=stdin)
    if res.rc == 3:
        raise ModuleError(
            f"cannot create a temp file in {directory or 'TMPDIR'}: {res.err.strip()}"
        )
    response, after = parse_report(res.stdout, req.url)
    after, _, body = after.partition(b"B|\n")
    fields = dict(line.split("|", 1) for line in after.decode().splitlines() if "|" in line)
    path, sha1, size = fields["F"].split("|")
    if emit:
        return Download(response, None, sha1, int(size.strip() or 0), body=body)
    if not response.ok:
        discard(ctx, path)
        return Download(response, None)
    return Download(
        response, path, sha1, int(size.strip() or 0), fields.get("D", "").strip().lower()
    )


def discard(ctx: ModuleContext, path: str | None) -> None:
    if path:
        ctx.run(f"rm -f -- {quote(path)}")


@contextmanager
def downloaded(
    ctx: ModuleContext, req: Request, directory: str | None = None, algorithm: str | None = None
) -> Iterator[Download]:
    """``download``, with the temp file removed when the block ends."""
    got = download(ctx, req, directory, algorithm)
    try:
        yield got
    finally:
        discard(ctx, got.path)


def filename_of(response: Response, url: str) -> str:
    """The file name for a download into a directory: Content-Disposition's, else the URL
    path's last part (Ansible's rule), else ``index.html``."""
    disposition = response.headers.get("content_disposition", "")
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition, re.IGNORECASE)
    name = unquote(match.group(1)) if match else ""
    if not name:
        name = unquote(PurePosixPath(urlsplit(response.url or url).path).name)
    name = PurePosixPath(name).name
    return name if name not in ("", ".", "..") else "index.html"


def parse_sums(text: str, name: str) -> str | None:
    """The digest for ``name`` in a ``sha256sum``-style listing (or the only digest of a
    one-line file), as Ansible's checksum URLs are read (pure; unit-tested)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and " " not in lines[0]:
        return lines[0].lower()
    for line in lines:
        match = _SUMS.match(line)
        if match and match.group(3).lstrip("./") == name.lstrip("./"):
            return match.group(1).lower()
    return None
