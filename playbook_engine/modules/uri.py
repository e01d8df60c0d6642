"""uri: make an HTTP request from the host (curl, or wget) and report the response.

The request travels as ``util/http`` builds it (secrets in a private config file, the body
on stdin). The response body comes back on stdout and is returned as ``content`` (with
``return_content``) and as ``json`` when the server says it is JSON; with ``dest`` it is
saved to a file on the host instead, installed by ``filewriter.install`` only when it
differs. As in Ansible, uri does not run in check mode (the task is skipped): a request
may change the server, so there is no honest prediction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .get_url import HTTP_ARGS, http_error
from .result import Result
from .util.content import ATTR_ARGS, IGNORED_FILE_ARGS
from .util.download import download, downloaded
from .util.filewriter import WriteOptions, install, stat_path
from .util.http import Request, Response, cookies

_SAFE_METHODS = ("GET", "HEAD")
_JSON_TYPES = ("application/json", "+json", "text/json", "application/javascript")


def encode_body(body: Any, body_format: str, headers: dict[str, str]) -> bytes | None:
    """The request body as bytes, with the Content-Type Ansible sets for ``body_format``
    (``headers`` is updated; pure, unit-tested)."""
    if body is None:
        return None
    lower = {k.lower() for k in headers}
    if body_format == "json":
        if "content-type" not in lower:
            headers["Content-Type"] = "application/json"
        text = body if isinstance(body, str) else json.dumps(body)
        return text.encode()
    if body_format == "form-urlencoded":
        if "content-type" not in lower:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if isinstance(body, str):
            return body.encode()
        if isinstance(body, Mapping):
            return urlencode(list(body.items()), doseq=True).encode()
        return urlencode(list(body), doseq=True).encode()
    if body_format == "form-multipart":
        raise ModuleError("body_format=form-multipart is not supported by pbe's uri")
    if isinstance(body, bytes):
        return body
    return (body if isinstance(body, str) else json.dumps(body)).encode()


def follows(policy: str, method: str) -> bool:
    """Whether redirects are followed for ``method`` under ``follow_redirects``."""
    if policy in ("all", "yes", "urllib2"):
        return True
    if policy == "safe":
        return method in _SAFE_METHODS
    return False


def is_json(response: Response) -> bool:
    kind = response.headers.get("content_type", "").split(";")[0].strip().lower()
    return any(kind == t or kind.endswith(t) for t in _JSON_TYPES)


@register("uri")
class Uri(Module):
    """Make an HTTP request from the host and return the status, headers and body."""

    supports_check = False
    local_paths = frozenset({"src"})
    args = {
        **HTTP_ARGS,
        "url_username": Arg("str", aliases=("user",), description="User for HTTP auth."),
        "method": Arg("str", default="GET", description="The HTTP method (any verb)."),
        "body": Arg("raw", description="The request body (a dict/list is encoded by body_format)."),
        "body_format": Arg(
            "str",
            default="raw",
            choices=("form-urlencoded", "json", "raw", "form-multipart"),
            description="How a structured body is encoded.",
        ),
        "src": Arg(
            "path",
            description="A file whose bytes are the body (controller; the host with remote_src).",
        ),
        "remote_src": Arg("bool", default=False, description="src is on the host."),
        "return_content": Arg("bool", default=False, description="Return the body as content."),
        "status_code": Arg(
            "list", elements="int", default=[200], description="The statuses that count as success."
        ),
        "follow_redirects": Arg(
            "str",
            default="safe",
            choices=("all", "no", "none", "safe", "urllib2", "yes"),
            description="Follow redirects: all, safe (GET/HEAD only) or none.",
        ),
        "dest": Arg("path", description="Save the body to this file on the host."),
        "creates": Arg("path", description="Skip the request when this path exists."),
        "removes": Arg("path", description="Skip the request unless this path exists."),
        "timeout": Arg("int", default=30, description="Seconds for the connection and any stall."),
        "ca_path": Arg("path", description="CA bundle on the host to verify against."),
        "unix_socket": Arg("path", description="Connect through this Unix socket."),
        "force": Arg("bool", default=False, description="Accepted; pbe always makes the request."),
        **ATTR_ARGS,
        **IGNORED_FILE_ARGS,
    }
    mutually_exclusive = (("body", "src"),)
    returns = {
        "status": "HTTP status (-1: no response)",
        "url": "the final URL",
        "redirected": "whether a redirect was followed",
        "msg": "OK (N bytes) or why not",
        "content": "the body (return_content)",
        "json": "the body parsed, for a JSON response",
        "cookies": "name -> value of Set-Cookie",
        "cookies_string": "them as a Cookie header",
        "path": "dest",
        "elapsed": "seconds",
        "<header>": "every response header, lower-cased, - as _",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if reason := self._skip(args, ctx):
            return Result.skip(reason, changed=False)
        request = self._request(args, ctx)
        started = time.monotonic()
        if args["dest"]:
            return self._to_file(args, ctx, request, started)
        got = download(ctx, request, emit=True)
        return self._result(args, got.response, got.body or b"", started, {})

    def _skip(self, args: dict[str, Any], ctx: ModuleContext) -> str | None:
        for key, exists in (("creates", True), ("removes", False)):
            path = args[key]
            if path and (ctx.run(f"[ -e {quote(path)} ]").rc == 0) == exists:
                return f"{path} {'already exists' if exists else 'does not exist'}"
        return None

    def _request(self, args: dict[str, Any], ctx: ModuleContext) -> Request:
        method = args["method"].upper()
        headers = {str(k): str(v) for k, v in (args["headers"] or {}).items()}
        body: bytes | None
        if args["src"]:
            body = (
                ctx.files.read(args["src"])
                if args["remote_src"]
                else ctx.find_file("files", args["src"]).read_bytes()
            )
        else:
            body = encode_body(args["body"], args["body_format"], headers)
        return Request.from_args(
            args,
            method=method,
            headers=headers,
            body=body,
            follow=follows(args["follow_redirects"], method),
        )

    def _to_file(
        self, args: dict[str, Any], ctx: ModuleContext, request: Request, started: float
    ) -> Result:
        with downloaded(ctx, request) as got:
            extra: dict[str, Any] = {"path": args["dest"]}
            if got.path is not None and got.response.status in args["status_code"]:
                state = stat_path(ctx, args["dest"], checksum=True, follow=True)
                done = install(
                    ctx, got.payload(), args["dest"], state, WriteOptions.from_args(args)
                )
                extra["changed"] = done["changed"]
            return self._result(args, got.response, b"", started, extra)

    def _result(
        self,
        args: dict[str, Any],
        response: Response,
        body: bytes,
        started: float,
        extra: dict[str, Any],
    ) -> Result:
        values: dict[str, Any] = {
            **response.headers,
            "status": response.status,
            "url": response.url,
            "redirected": response.redirects > 0,
            "elapsed": int(time.monotonic() - started),
            **extra,
        }
        jar = cookies(response.raw_headers)
        values["cookies"] = jar
        values["cookies_string"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        text = body.decode("utf-8", "replace")
        if is_json(response) and text:
            try:
                values["json"] = json.loads(text)
            except ValueError:
                pass
        if args["return_content"]:
            values["content"] = text
        changed = bool(values.pop("changed", False))
        if not response.ok:
            return Result.fail(response.failure(), **values)
        msg = f"OK ({response.headers.get('content_length', 'unknown')} bytes)"  # Ansible's
        if response.status not in args["status_code"]:
            msg = (
                f"Status code was {response.status} and not {args['status_code']}: "
                f"{http_error(response)}"
            )
            return Result(changed=changed, failed=True, msg=msg, values=values)
        return Result(changed=changed, msg=msg, values=values)
