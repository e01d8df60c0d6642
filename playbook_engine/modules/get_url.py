"""get_url: download a URL to a file on the host, with the host's curl (or wget).

As Ansible's: an existing ``dest`` file is only fetched again when the server says it is
newer (If-Modified-Since its mtime: a 304 changes nothing), or always with ``force``; a
``checksum`` that the file already has saves the request. The body lands in a temp file
on the host (one round trip: request, sha1, md5 and the checksum's digest), is verified,
and is installed atomically by ``filewriter.install`` only when it differs, so a check run
downloads too and predicts the write exactly (Ansible's check mode only sends a HEAD and
always says "changed").
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.content import ATTR_ARGS, IGNORED_FILE_ARGS, chattr_command, wanted_attrs
from .util.download import DIGESTS, Download, downloaded, filename_of, parse_sums
from .util.filewriter import WriteOptions, install, stat_path
from .util.http import Request, Response

HTTP_ARGS: dict[str, Arg] = {
    "url": Arg("str", required=True, description="http://, https:// or ftp:// URL."),
    "headers": Arg("dict", description="Extra request headers."),
    "url_username": Arg("str", aliases=("username",), description="User for HTTP auth."),
    "url_password": Arg(
        "str", secret=True, aliases=("password",), description="Password for HTTP auth."
    ),
    "force_basic_auth": Arg(
        "bool", default=False, description="Send Basic credentials with the first request."
    ),
    "validate_certs": Arg("bool", default=True, description="false: accept any TLS certificate."),
    "use_proxy": Arg("bool", default=True, description="false: ignore the host's proxy variables."),
    "http_agent": Arg("str", default="ansible-httpget", description="The User-Agent."),
    "client_cert": Arg("path", description="PEM client certificate on the host."),
    "client_key": Arg("path", description="PEM key of client_cert on the host."),
    "ciphers": Arg("list", elements="str", description="TLS ciphers (OpenSSL names)."),
    "decompress": Arg("bool", default=True, description="Ask for and undo gzip content encoding."),
    "use_netrc": Arg("bool", default=True, description="Use ~/.netrc credentials."),
    "use_gssapi": Arg("bool", default=False, description="Negotiate (Kerberos) auth."),
    "unredirected_headers": Arg(
        "list",
        elements="str",
        default=[],
        description="Accepted; curl drops Authorization on a redirect to another host by itself.",
    ),
}


def parse_checksum(text: str) -> tuple[str | None, str | None]:
    """``algorithm:digest`` or ``algorithm:URL`` -> (algorithm, digest or URL)."""
    if not text:
        return None, None
    algorithm, sep, value = text.partition(":")
    algorithm = algorithm.lower()
    if not sep or not value:
        raise ModuleError(f"checksum must be ALGORITHM:DIGEST or ALGORITHM:URL, got {text!r}")
    if algorithm not in DIGESTS:
        raise ModuleError(
            f"checksum: unsupported algorithm {algorithm!r} (one of {', '.join(DIGESTS)})"
        )
    return algorithm, value.strip()


def http_error(response: Response) -> str:
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"HTTP Error {response.status}: {phrase}"


@register("get_url")
class GetUrl(Module):
    """Download a file from a URL to the host (curl or wget on the host)."""

    masks_url_credentials = True  # `https://user:password@...` shown as `****:****`

    predicts_files = True

    args = {
        **HTTP_ARGS,
        "dest": Arg(
            "path",
            required=True,
            description="The file, or a directory (the server's file name then).",
        ),
        "force": Arg(
            "bool",
            default=False,
            description="Download every time; false: only when dest is missing or "
            "older than the server's copy.",
        ),
        "checksum": Arg(
            "str",
            default="",
            description="ALGORITHM:DIGEST (or ALGORITHM:URL of a sums file) the file must have.",
        ),
        "backup": Arg(
            "bool",
            default=False,
            description="Keep a timestamped copy of dest before replacing it.",
        ),
        "timeout": Arg("int", default=10, description="Seconds for the connection and any stall."),
        "tmp_dest": Arg("path", description="Directory on the host for the temp download."),
        **ATTR_ARGS,
        **IGNORED_FILE_ARGS,
    }
    returns = {
        "dest": "the file",
        "url": "the URL",
        "status_code": "HTTP status",
        "msg": "OK (N bytes), HTTP Error 304: Not Modified or file already exists",
        "checksum_src": "sha1 of the download",
        "checksum_dest": "sha1 of dest before (null when new)",
        "src": "the temp file",
        "size": "bytes",
        "backup_file": "the backup, when one was made",
        "mode": "dest's mode",
        "owner": "its owner",
        "group": "its group",
        "elapsed": "seconds",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        algorithm, expected = parse_checksum(args["checksum"])
        request = Request.from_args(args)
        if algorithm and expected and "://" in expected:
            expected = self._listed_digest(ctx, args, expected)
        dest = args["dest"]
        state = stat_path(ctx, dest, checksum=True, follow=True)
        is_file = state.kind == "file" and not dest.endswith("/")
        if (
            is_file
            and not args["force"]
            and algorithm
            and expected
            and self._digest(ctx, dest, algorithm) == expected
        ):
            return self._kept(args, ctx, state, "file already exists")
        conditional = is_file and not args["force"] and not expected
        if conditional:
            request = Request.from_args(args, newer_than=dest)
        with downloaded(ctx, request, args["tmp_dest"], algorithm) as got:
            return self._finish(args, ctx, got, state, expected)

    def _finish(
        self,
        args: dict[str, Any],
        ctx: ModuleContext,
        got: Download,
        state: Any,
        expected: str | None,
    ) -> Result:
        base = {"url": args["url"], "dest": args["dest"], "elapsed": 0}
        response = got.response
        if got.path is None:
            return Result.fail(response.failure(), **base, status_code=-1)
        base["status_code"] = response.status
        if response.status == 304:
            return Result(msg=http_error(response), values={**base, **_attrs(state)})
        if not 200 <= response.status < 300:
            return Result.fail(http_error(response), **base, response=http_error(response))
        if expected and got.digest != expected:
            return Result.fail(
                f"The checksum for {got.response.url} did not match "
                f"{expected}; it was {got.digest}.",
                **base,
            )
        dest = args["dest"]
        if state.kind == "directory" or dest.endswith("/"):
            dest = dest.rstrip("/") + "/" + filename_of(response, args["url"])
            state = stat_path(ctx, dest, checksum=True, follow=True)
        done = install(ctx, got.payload(), dest, state, WriteOptions.from_args(args))
        values = {
            **base,
            **done,
            "dest": dest,
            "src": got.path,
            "checksum_src": got.sha1,
            "checksum_dest": state.checksum if state.kind == "file" else None,
        }
        values.pop("checksum", None)
        if "backup" in values:
            values["backup_file"] = values.pop("backup")
        return Result.of({**values, "msg": done.get("msg") or f"OK ({got.size} bytes)"})

    def _kept(self, args: dict[str, Any], ctx: ModuleContext, state: Any, msg: str) -> Result:
        """dest already has the wanted checksum: only its attributes may change."""
        changes = wanted_attrs(state, args)
        if changes:
            ctx.files.apply(
                chattr_command(args["dest"], changes), what=f"set attributes of {args['dest']}"
            )
            msg += " but file attributes changed"
        return Result(
            changed=bool(changes), msg=msg, values={"url": args["url"], "dest": args["dest"]}
        )

    def _digest(self, ctx: ModuleContext, path: str, algorithm: str) -> str:
        res = ctx.run(f"{algorithm}sum < {quote(path)}")
        return res.out.split(" ")[0].strip().lower() if res.rc == 0 else ""

    def _listed_digest(self, ctx: ModuleContext, args: dict[str, Any], url: str) -> str:
        """The digest a sums file at ``url`` lists for the download's file name."""
        with downloaded(ctx, Request.from_args(args, url=url)) as sums:
            if sums.path is None or not 200 <= sums.response.status < 300:
                why = sums.response.failure() if sums.path is None else http_error(sums.response)
                raise ModuleError(f"cannot download the checksum file {url}: {why}")
            text = ctx.run(f"cat -- {quote(sums.path)}").out
        name = args["url"].rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        digest = parse_sums(text, name)
        if digest is None:
            raise ModuleError(f"Unable to find a checksum for file '{name}' in '{url}'")
        return digest


def _attrs(state: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"state": "file"}
    for key in ("mode", "owner", "group", "uid", "gid", "size"):
        if (value := getattr(state, key, None)) is not None:
            out[key] = value
    return out
