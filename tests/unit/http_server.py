"""A real HTTP server on 127.0.0.1 (an ephemeral port) for the get_url/uri/unarchive tests:
files with Last-Modified/If-Modified-Since, redirects, Basic auth, JSON, cookies and an
echo of what a request sent."""

from __future__ import annotations

import base64
import email.utils
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MTIME = 1_700_000_000.0  # every served file's Last-Modified


@dataclass
class Site:
    """What the server serves, and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    base: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


class Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args: Any) -> None:
        """Quiet."""

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body.decode("latin-1"),
        }
        self.site.requests.append(seen)
        route = self.path.split("?")[0]
        if route == "/echo":
            self._send(
                200,
                json.dumps(seen).encode(),
                "application/json",
                [("Set-Cookie", "sid=abc123; Path=/")],
            )
        elif route.startswith("/redirect/"):
            self._send(302, b"", "text/plain", [("Location", route[len("/redirect") :])])
        elif route == "/auth":
            self._auth()
        elif route == "/named":
            self._send(
                200,
                self.site.files["a.txt"],
                "text/plain",
                [("Content-Disposition", 'attachment; filename="given.txt"')],
            )
        elif route.lstrip("/") in self.site.files:
            self._file(route.lstrip("/"))
        else:
            self._send(404, b"not here", "text/plain")

    def _auth(self) -> None:
        good = "Basic " + base64.b64encode(b"alice:s3cret pass").decode()
        if self.headers.get("Authorization") == good:
            self._send(200, b'{"user": "alice"}', "application/json")
        else:
            self._send(401, b"no", "text/plain", [("WWW-Authenticate", 'Basic realm="t"')])

    def _file(self, name: str) -> None:
        since = self.headers.get("If-Modified-Since")
        if since and email.utils.parsedate_to_datetime(since).timestamp() >= MTIME:
            self._send(304, b"", "text/plain")
            return
        self._send(
            200,
            self.site.files[name],
            "application/octet-stream",
            [("Last-Modified", email.utils.formatdate(MTIME, usegmt=True))],
        )

    def _send(self, status: int, body: bytes, kind: str, extra: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # Said out loud: without it wget takes an HTTP/1.0 reply with a length as
        # keep-alive and may send the redirect's request on a socket this server closes.
        self.send_header("Connection", "close")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    return type("SiteHandler", (Handler,), {"site": site})


@contextmanager
def serve(files: dict[str, bytes]) -> Iterator[Site]:
    """Serve ``files`` (and the fixed routes) until the block ends."""
    site = Site(dict(files))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
