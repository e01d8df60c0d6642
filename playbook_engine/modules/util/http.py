"""HTTP requests made ON the host, as Ansible's get_url and uri make them: with curl, or
wget where there is no curl. Shared by get_url, uri and unarchive (a URL ``src``).

Nothing secret goes on a command line: the request (URL, headers, credentials) travels
on stdin as a curl config file, which the script stores in a private temp file (mode
0600) for the one command and removes; the body follows it on stdin. wget's settings ride
in the same file as ``#w`` lines, which curl reads as comments. The script prints a small
report (tool, exit status, status code, redirects, final URL, the response headers) that
``parse_report`` reads; the module's own shell steps follow it in the same round trip.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from ...errors import ModuleError
from ...transport.shell import quote

__all__ = ["REPORT_END", "Request", "Response", "parse_report", "request_script"]

REPORT_END = b"@@pbe-http-end@@\n"
_REPORT = b"@@pbe-http@@\n"
_UNSAFE = re.compile(r"[\r\n\0]")


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request and how to make it (Ansible's argument names)."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    url_username: str | None = None
    url_password: str | None = None
    force_basic_auth: bool = False
    validate_certs: bool = True
    timeout: int = 10
    follow: bool = True
    use_proxy: bool = True
    http_agent: str = "ansible-httpget"
    decompress: bool = True
    client_cert: str | None = None
    client_key: str | None = None
    ca_path: str | None = None
    ciphers: tuple[str, ...] = ()
    unix_socket: str | None = None
    use_netrc: bool = True
    use_gssapi: bool = False
    newer_than: str | None = None  # a host file: send If-Modified-Since its mtime

    @classmethod
    def from_args(cls, args: Mapping[str, Any], **overrides: Any) -> Request:
        """The request the common HTTP arguments of get_url/uri describe."""
        headers = {str(k): str(v) for k, v in (args.get("headers") or {}).items()}
        values: dict[str, Any] = {
            "url": args["url"],
            "headers": headers,
            "url_username": args.get("url_username"),
            "url_password": args.get("url_password"),
            "force_basic_auth": bool(args.get("force_basic_auth")),
            "validate_certs": args.get("validate_certs") is not False,
            "use_proxy": args.get("use_proxy") is not False,
            "http_agent": args.get("http_agent") or "ansible-httpget",
            "decompress": args.get("decompress") is not False,
            "client_cert": args.get("client_cert"),
            "client_key": args.get("client_key"),
            "ca_path": args.get("ca_path"),
            "ciphers": tuple(args.get("ciphers") or ()),
            "unix_socket": args.get("unix_socket"),
            "use_netrc": args.get("use_netrc") is not False,
            "use_gssapi": bool(args.get("use_gssapi")),
        }
        if args.get("timeout") is not None:
            values["timeout"] = int(args["timeout"])
        values.update(overrides)
        request = cls(**values)
        request.check()
        return request

    def check(self) -> None:
        """Refuse what would corrupt the request: line breaks in the URL or a header."""
        for what, text in (
            ("url", self.url),
            *(("header", f"{k}: {v}") for k, v in self.headers.items()),
        ):
            if _UNSAFE.search(text):
                raise ModuleError(f"{what} {text!r} contains a line break or NUL")
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", self.url):
            raise ModuleError(
                f"url {self.url!r} has no scheme (http://, https://, ftp://, file://)"
            )


def _curl_quote(value: str) -> str:
    """A curl config string: double quotes, backslash escapes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    return f'"{escaped}"'


def curl_config(req: Request) -> list[str]:
    """curl's settings, one per line (secrets included: this goes to a 0600 file)."""
    lines = [
        f"url = {_curl_quote(req.url)}",
        f"user-agent = {_curl_quote(req.http_agent)}",
        f"connect-timeout = {req.timeout}",
        f"speed-time = {req.timeout}",
        "speed-limit = 1",
    ]
    if req.method == "HEAD":
        lines.append("head")
    elif req.method != "GET" or req.body is not None:
        lines.append(f"request = {_curl_quote(req.method)}")
    lines += [f"header = {_curl_quote(f'{k}: {v}')}" for k, v in req.headers.items()]
    if req.url_username is not None or req.url_password is not None:
        user = f"{req.url_username or ''}:{req.url_password or ''}"
        lines += [f"user = {_curl_quote(user)}", "basic" if req.force_basic_auth else "anyauth"]
    flags = {
        "location": req.follow,
        "insecure": not req.validate_certs,
        "compressed": req.decompress,
        "netrc-optional": req.use_netrc,
        "negotiate": req.use_gssapi,
    }
    lines += [name for name, on in flags.items() if on]
    if not req.use_proxy:
        lines.append('noproxy = "*"')
    options = {
        "cert": req.client_cert,
        "key": req.client_key,
        "cacert": req.ca_path,
        "ciphers": ",".join(req.ciphers) or None,
        "unix-socket": req.unix_socket,
        "time-cond": req.newer_than,
    }
    lines += [f"{name} = {_curl_quote(value)}" for name, value in options.items() if value]
    return lines


def wget_config(req: Request) -> list[str]:
    """The same request for wget (a wgetrc), each line marked ``#w`` for the curl reader."""
    lines = [
        f"method = {req.method}",
        f"user_agent = {req.http_agent}",
        f"timeout = {req.timeout}",
        "content_on_error = on",
        "tries = 1",
    ]
    lines += [f"header = {k}: {v}" for k, v in req.headers.items()]
    if req.url_username is not None:
        lines.append(f"user = {req.url_username}")
    if req.url_password is not None:
        lines.append(f"password = {req.url_password}")
    if req.force_basic_auth:
        lines.append("auth_no_challenge = on")
    if not req.follow:
        lines.append("max_redirect = 0")
    if not req.validate_certs:
        lines.append("check_certificate = off")
    if not req.use_proxy:
        lines.append("use_proxy = off")
    if req.ca_path:
        lines.append(f"ca_certificate = {req.ca_path}")
    return [f"#w {line}" for line in lines]


# The request as a shell function: $1 is where the body goes. It reads $2 config lines
# from stdin into a private file, and the rest of stdin (the request body) into another.
_FUNCTION = r"""_pbe_http() {
  _o=$1 _n=$2 _hb=$3 _m=$(umask)
  umask 077  # every file below may hold a secret (the wget config too)
  _c=$(mktemp "${TMPDIR:-/tmp}/.pbe-http.XXXXXXXXXX") || { umask "$_m"; return 1; }
  _h=$_c.h _b=$_c.b _e=$_c.e _w=$_c.w
  _i=0; while [ "$_i" -lt "$_n" ] && IFS= read -r _l; do
    printf '%s\n' "$_l" >> "$_c"; _i=$((_i+1)); done
  if [ "$_hb" = 1 ]; then
    cat > "$_b"
    printf 'data-binary = "@%s"\n#w body_file = %s\n' "$_b" "$_b" >> "$_c"
  fi
  : > "$_h"; : > "$_e"
  if command -v curl >/dev/null 2>&1; then
    _t=curl
    _x=$(curl -q -sS -K "$_c" -o "$_o" -D "$_h" \
      -w '%{http_code}|%{num_redirects}|%{url_effective}' 2>"$_e")
    _r=$?
  elif command -v wget >/dev/null 2>&1; then
    _t=wget _x=
    sed -n 's/^#w //p' "$_c" > "$_w"
    wget -q -S --config="$_w" -O "$_o" -- "$_u" 2>"$_h"
    _r=$?
  else
    _t=none _x= _r=127; echo 'neither curl nor wget is installed on the host' > "$_e"
  fi
  printf '@@pbe-http@@\nT|%s|%s|%s\n' "$_t" "$_r" "$_x"
  printf 'E|%s\n' "$(tr '\n' ' ' < "$_e")"
  printf 'H|%s\n' "$(wc -c < "$_h")"; cat "$_h"
  printf '@@pbe-http-end@@\n'
  rm -f "$_c" "$_h" "$_b" "$_e" "$_w"
  umask "$_m"
  return 0
}
"""


def request_script(req: Request, out: str) -> tuple[str, bytes]:
    """Shell that makes ``req`` with the response body going to ``out`` (a shell word,
    quoted by the caller), and the stdin to send with it. The report goes to stdout; the
    script goes on with whatever the caller appends (``$_r`` is the tool's exit status)."""
    config = curl_config(req) + wget_config(req)
    stdin = "\n".join(config).encode("utf-8", "surrogateescape") + b"\n"
    if req.body is not None:
        stdin += req.body
    call = f"_u={quote(req.url)}; _pbe_http {out} {len(config)} {int(req.body is not None)}"
    return _FUNCTION + call + "\n", stdin


@dataclass
class Response:
    """What the report says: the tool's verdict and the last response's status and headers."""

    tool: str
    rc: int
    status: int  # -1: no response at all
    redirects: int
    url: str
    headers: dict[str, str]  # lower-cased, - as _ (Ansible's keys)
    raw_headers: list[tuple[str, str]]
    error: str

    @property
    def ok(self) -> bool:
        return self.status != -1

    def failure(self) -> str:
        """Why there was no response (the tool's own words)."""
        text = self.error.strip() or f"{self.tool} exited with status {self.rc}"
        return f"Request failed: {text}"


def parse_report(data: bytes, url: str) -> tuple[Response, bytes]:
    """The report ``request_script`` printed, and whatever the script printed after it
    (pure; unit-tested)."""
    start = data.find(_REPORT)
    end = data.find(REPORT_END, start)
    if start < 0 or end < 0:
        raise ModuleError(f"the HTTP request script printed no report (got {data[:200]!r})")
    head, _, rest = data[start + len(_REPORT) :].partition(b"\nE|")
    tool, rc, written = head.decode("utf-8", "replace").removeprefix("T|").split("|", 2)
    error, _, rest = rest.partition(b"\nH|")
    size_text, _, rest = rest.partition(b"\n")
    raw = rest[: int(size_text or b"0")].decode("iso-8859-1")
    after = data[end + len(REPORT_END) :]
    if tool == "wget":
        return _wget_response(int(rc), raw, url, error.decode("utf-8", "replace")), after
    return _curl_response(tool, int(rc), written, raw, url, error.decode("utf-8", "replace")), after


def _curl_response(tool: str, rc: int, written: str, raw: str, url: str, error: str) -> Response:
    code, _, rest = written.partition("|")
    redirects, _, effective = rest.partition("|")
    status = int(code) if code.isdigit() and int(code) > 0 else -1
    if status == -1 and rc == 0 and url.lower().startswith("file:"):
        status = 200  # a local file has no HTTP status: read whole, it is a success
    pairs = _last_block(raw.replace("\r\n", "\n").split("\n"))
    return Response(
        tool, rc, status, int(redirects or 0), effective or url, _keys(pairs), pairs, error
    )


def _wget_response(rc: int, raw: str, url: str, error: str) -> Response:
    lines = [line[2:] if line.startswith("  ") else line for line in raw.split("\n")]
    statuses = [line for line in lines if line.startswith("HTTP/")]
    status = int(statuses[-1].split()[1]) if statuses else -1
    effective = url
    for line in lines:  # follow the Location of every redirect wget took
        if line.lower().startswith("location:"):
            effective = urljoin(effective, line.split(":", 1)[1].strip().split(" ")[0])
    if statuses and statuses[-1].split()[1].startswith("3"):
        effective = effective if len(statuses) > 1 else url
    pairs = _last_block(lines)
    text = error if status == -1 else ""
    if status == -1:
        text = " ".join(line for line in lines if line.strip()) or error
    return Response(
        "wget", rc, status, max(len(statuses) - 1, 0), effective, _keys(pairs), pairs, text
    )


def _last_block(lines: list[str]) -> list[tuple[str, str]]:
    """The header lines of the last response (after its status line)."""
    start = max((i for i, line in enumerate(lines) if line.startswith("HTTP/")), default=-1)
    pairs = []
    for line in lines[start + 1 :]:
        name, sep, value = line.partition(":")
        if sep and name and not name.startswith(" "):
            pairs.append((name.strip(), value.strip()))
    return pairs


def _keys(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Ansible's result keys for headers: lower-cased, ``-`` as ``_``; repeated headers
    joined with ``, ``."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower().replace("-", "_")
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def cookies(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """name -> value of every ``Set-Cookie`` of the response."""
    out = {}
    for name, value in pairs:
        if name.lower() == "set-cookie":
            cookie = value.split(";", 1)[0]
            key, sep, val = cookie.partition("=")
            if sep:
                out[key.strip()] = val.strip()
    return out
