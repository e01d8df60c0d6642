"""Lookups that read the controller's files and the network: ``ini``, ``csvfile``,
``password`` and ``url``.

Options come as keywords (``lookup('ini', 'user', section='db', file='my.ini')``) or, as
Ansible also allows, as ``key=value`` words after the term (``'user section=db
file=my.ini'``); the words win. ``ini`` and ``csvfile`` find their file like the ``file``
lookup (the role's ``files/``, the role, the playbook's ``files/``, the playbook directory).
Everything they return is data (plain ``str``), never rendered again.
"""

from __future__ import annotations

import base64
import configparser
import csv
import io
import netrc
import os
import random
import re
import secrets
import shlex
import ssl
import string
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import cryptpw
from .lookup_base import LookupFailed, lookup, search
from .lookup_base import options as _options

__all__: list[str] = []

_TRUE = ("yes", "true", "on", "1", "y", "t")
_FALSE = ("no", "false", "off", "0", "n", "f", "")


_OPTION = re.compile(r"(?:(?<=\s)|^)([A-Za-z_]\w*)=")


def split_params(
    term: Any, defaults: Mapping[str, Any], name: str, strict: bool = False
) -> tuple[str, dict[str, Any]]:
    """``'key with spaces opt=a opt2=b'`` → ``('key with spaces', {...})``.

    The text before the first ``opt=`` is the term, exactly as written (quotes and all).
    In the options, quotes group words (``section="a b"``) and a word without ``=``
    continues the option before it (``section=a b``), unless ``strict``, where it is an
    error. An unknown ``opt=`` is an error naming the options."""
    text = str(term)
    found = list(_OPTION.finditer(text))
    for match in found:
        if match.group(1) not in defaults:
            raise LookupFailed(
                f"{name}: `{match.group(1)}` is not a valid option (options: "
                f"{', '.join(sorted(defaults))})"
            )
    if not found:
        return text.strip(), {}
    head, tail = text[: found[0].start()].strip(), text[found[0].start() :]
    lexer = shlex.shlex(tail, posix=True)
    lexer.whitespace_split, lexer.escape = True, ""  # keep backslashes (`\t`) as written
    try:
        words = list(lexer)
    except ValueError as exc:
        raise LookupFailed(f"{name}: cannot parse {text!r}: {exc}") from None
    params: dict[str, Any] = {}
    last = ""
    for word in words:
        key, eq, value = word.partition("=")
        if eq and key in defaults:
            params[key], last = value, key
        elif strict:
            raise LookupFailed(f"{name}: unexpected `{word}` after the key=value options")
        else:
            params[last] = f"{params[last]} {word}"
    return head, params


def as_bool(value: Any, option: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise LookupFailed(f"{option} must be a boolean, got {value!r}")


def as_int(value: Any, option: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise LookupFailed(f"{option} must be an integer, got {value!r}") from None


# -- ini ---------------------------------------------------------------------------------

_INI = {
    "type": "ini",
    "file": "ansible.ini",
    "section": "global",
    "re": False,
    "encoding": "utf-8",
    "default": "",
    "case_sensitive": False,
    "allow_no_value": False,
    "allow_none": False,
    "interpolation": True,
}


@lookup("ini")
def _ini(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Values of keys in an INI (or Java properties) file."""
    base = _options(_INI, kw, "ini")
    out: list[Any] = []
    for term in terms:
        key, params = split_params(term, _INI, "ini")
        opts = {**base, **params}
        section, parser = _ini_parser(variables, opts)
        if section not in parser:
            raise LookupFailed(f"ini: no section [{section}] in {opts['file']}")
        try:
            out += _ini_values(parser, section, key, opts)
        except configparser.Error as exc:
            raise LookupFailed(
                f"ini: {opts['file']}: {exc} (interpolation=false reads values with % as written)"
            ) from None
    return out


def _ini_parser(
    variables: Mapping[str, Any], opts: dict[str, Any]
) -> tuple[str, configparser.ConfigParser]:
    path = search(variables, "files", opts["file"])
    text = path.read_text(encoding=str(opts["encoding"]))
    section = str(opts["section"])
    if opts["type"] == "properties":
        text, section = "[java_properties]\n" + text, "java_properties"
    elif opts["type"] != "ini":
        raise LookupFailed(f"ini: type must be ini or properties, got {opts['type']!r}")
    no_value = as_bool(opts["allow_no_value"], "allow_no_value") or as_bool(
        opts["allow_none"], "allow_none"
    )
    interpolation = (
        configparser.BasicInterpolation()
        if as_bool(opts["interpolation"], "interpolation")
        else None
    )
    parser = configparser.ConfigParser(
        allow_no_value=no_value, interpolation=interpolation, default_section="\0none"
    )
    if as_bool(opts["case_sensitive"], "case_sensitive"):
        parser.optionxform = str  # type: ignore[assignment, method-assign]
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise LookupFailed(f"ini: cannot parse {path}: {exc}") from None
    return section, parser


def _ini_values(
    parser: configparser.ConfigParser, section: str, key: str, opts: dict[str, Any]
) -> list[Any]:
    if not as_bool(opts["re"], "re"):
        return [parser.get(section, key, fallback=opts["default"])]
    try:
        pattern = re.compile(key)
    except re.error as exc:
        raise LookupFailed(f"ini: bad regular expression {key!r}: {exc}") from None
    return [parser.get(section, name) for name in parser[section] if pattern.match(name)]


# -- csvfile -------------------------------------------------------------------------------

_CSV = {
    "file": "ansible.csv",
    "col": 1,
    "keycol": 0,
    "default": None,
    "delimiter": "TAB",
    "encoding": "utf-8",
}


@lookup("csvfile")
def _csvfile(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """The ``col`` field of the first row whose ``keycol`` field is the term."""
    base = _options(_CSV, kw, "csvfile")
    if not terms:
        raise LookupFailed("csvfile: Search key is required but was not found")
    out: list[Any] = []
    for term in terms:
        key, params = split_params(term, _CSV, "csvfile")
        if not key:
            raise LookupFailed(f"csvfile: Search key is required but was not found in {term!r}")
        opts = {**base, **params}
        found = _csv_find(variables, key, opts)
        if found is not None:
            out.append(found)
    return out


def _csv_find(variables: Mapping[str, Any], key: str, opts: dict[str, Any]) -> Any:
    delimiter = str(opts["delimiter"])
    delimiter = "\t" if delimiter in ("TAB", "\\t") else delimiter
    if len(delimiter) != 1:
        raise LookupFailed(
            f"csvfile: the delimiter must be one character (or TAB), got {delimiter!r}"
        )
    col, keycol = as_int(opts["col"], "col"), as_int(opts["keycol"], "keycol")
    path = search(variables, "files", opts["file"])
    text = path.read_text(encoding=str(opts["encoding"]))
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if len(row) > keycol and row[keycol] == key:
            if col >= len(row):
                raise LookupFailed(
                    f"csvfile: the row of {key!r} in {path} has no column {col} (it has {len(row)})"
                )
            return row[col]
    return opts["default"]


# -- password -----------------------------------------------------------------------------

_PASSWORD = {
    "length": 20,
    "chars": ["ascii_letters", "digits", ".,:-_"],
    "encrypt": None,
    "ident": None,
    "seed": None,
}
_CHAR_SETS = {
    name: getattr(string, name)
    for name in (
        "ascii_letters",
        "ascii_lowercase",
        "ascii_uppercase",
        "digits",
        "hexdigits",
        "octdigits",
        "punctuation",
        "printable",
        "letters",
        "lowercase",
        "uppercase",
    )
    if hasattr(string, name)
}
_PASSWORD_LOCK = threading.Lock()  # hosts running the same lookup share one password


@lookup("password")
def _password(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """A random password, kept in a file on the controller so later runs (and other hosts)
    get the same one; ``/dev/null`` keeps nothing. ``encrypt`` returns its crypt hash."""
    base = _options(_PASSWORD, kw, "password")
    out: list[Any] = []
    for term in terms:
        relpath, params = split_params(term, _PASSWORD, "password", strict=True)
        opts = {**base, **params}
        scheme = None if opts["encrypt"] in (None, "") else _scheme(opts["encrypt"])
        if relpath == "/dev/null":
            plain, salt = _new_password(opts), None
        else:
            path = Path(relpath).expanduser()
            if not path.is_absolute():
                path = Path(str(variables.get("playbook_dir", "."))) / path
            plain, salt = _stored_password(path, opts, scheme)
        if scheme is None:
            out.append(plain)
        else:
            out.append(
                cryptpw.crypt_hash(plain, scheme, salt or cryptpw.checked_salt(scheme, None))
            )
    return out


def _scheme(encrypt: Any) -> str:
    try:
        return cryptpw.scheme_of(encrypt)
    except ValueError as exc:
        raise LookupFailed(f"password: encrypt: {exc}") from None


def _charset(chars: Any) -> str:
    if isinstance(chars, str):
        names = [","] if ",," in chars else []
        names += [c for c in chars.replace(",,", ",").split(",") if c]
    else:
        names = [str(c) for c in chars]
    charset = "".join(_CHAR_SETS.get(name, name) for name in names)
    if not charset:
        raise LookupFailed("password: chars gives no characters to choose from")
    return charset


def _new_password(opts: Mapping[str, Any]) -> str:
    length = as_int(opts["length"], "length")
    if length < 1:
        raise LookupFailed(f"password: length must be at least 1, got {length}")
    chars = _charset(opts["chars"])
    seed = opts["seed"]
    rng = secrets.SystemRandom() if seed is None else random.Random(str(seed))  # noqa: S311
    return "".join(rng.choice(chars) for _ in range(length))


def _stored_password(
    path: Path, opts: Mapping[str, Any], scheme: str | None
) -> tuple[str, str | None]:
    """The password in ``path`` (and its salt), creating the file (mode 0600) if needed.
    A salt is added to an existing file the first time an ``encrypt`` asks for one."""
    with _PASSWORD_LOCK:
        if not path.exists():
            plain = _new_password(opts)
            salt = None if scheme is None else cryptpw.checked_salt(scheme, None)
            if _write_new(path, _password_line(plain, salt)):
                return plain, salt
        plain, salt = _parse_password_file(path)
        if scheme is not None and salt is None:
            salt = cryptpw.checked_salt(scheme, None)
            _replace(path, _password_line(plain, salt))
        return plain, salt


def _password_line(plain: str, salt: str | None) -> str:
    return f"{plain}\n" if salt is None else f"{plain} salt={salt}\n"


def _parse_password_file(path: Path) -> tuple[str, str | None]:
    try:
        content = path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise LookupFailed(f"password: cannot read {path}: {exc.strerror}") from None
    plain, sep, rest = content.partition(" salt=")
    if not sep:
        return content, None
    return plain, rest.split(" ident=")[0].strip() or None


def _write_new(path: Path, text: str) -> bool:
    """Create ``path`` with ``text`` unless another process made it first (then False)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = _temp_file(path, text)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise LookupFailed(f"password: cannot create {path}: {exc.strerror}") from None
    return True


def _replace(path: Path, text: str) -> None:
    try:
        os.replace(_temp_file(path, text), path)
    except OSError as exc:
        raise LookupFailed(f"password: cannot update {path}: {exc.strerror}") from None


def _temp_file(path: Path, text: str) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return tmp


# -- url ---------------------------------------------------------------------------------

_URL: dict[str, Any] = {
    "validate_certs": True,
    "split_lines": True,
    "use_proxy": True,
    "username": None,
    "password": None,
    "headers": {},
    "force": False,
    "timeout": 10,
    "http_agent": "ansible-httpget",
    "force_basic_auth": False,
    "follow_redirects": "urllib2",
    "use_netrc": True,
    "ca_path": None,
    "ciphers": None,
    "use_gssapi": False,
    "unix_socket": None,
    "unredirected_headers": None,
}
_UNSUPPORTED = ("use_gssapi", "unix_socket", "unredirected_headers")


@lookup("url")
def _url(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """The content of each URL (a GET on the controller), as lines unless ``split_lines``
    is false."""
    opts = _options(_URL, kw, "url")
    for name in _UNSUPPORTED:
        if opts[name] not in (None, False, [], ""):
            raise LookupFailed(f"url: pbe does not support the `{name}` option")
    out: list[Any] = []
    for term in terms:
        text = _fetch(str(term), opts)
        out += text.splitlines() if as_bool(opts["split_lines"], "split_lines") else [text]
    return out


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> None:
        raise urllib.error.HTTPError(
            req.full_url, code, f"{msg} (follow_redirects is off)", headers, fp
        )


def _opener(url: str, opts: Mapping[str, Any]) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=opts["ca_path"] or None)
    if not as_bool(opts["validate_certs"], "validate_certs"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if opts["ciphers"]:
        ciphers = opts["ciphers"]
        context.set_ciphers(ciphers if isinstance(ciphers, str) else ":".join(ciphers))
    handlers: list[Any] = [urllib.request.HTTPSHandler(context=context)]
    if not as_bool(opts["use_proxy"], "use_proxy"):
        handlers.append(urllib.request.ProxyHandler({}))
    if str(opts["follow_redirects"]).lower() in ("none", "no", "false"):
        handlers.append(_NoRedirects())
    user, password = _credentials(url, opts)
    if user is not None and not as_bool(opts["force_basic_auth"], "force_basic_auth"):
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password or "")
        handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
    return urllib.request.build_opener(*handlers)


def _credentials(url: str, opts: Mapping[str, Any]) -> tuple[str | None, str | None]:
    if opts["username"] is not None:
        return str(opts["username"]), None if opts["password"] is None else str(opts["password"])
    if not as_bool(opts["use_netrc"], "use_netrc"):
        return None, None
    host = urllib.parse.urlsplit(url).hostname
    try:
        found = netrc.netrc().authenticators(host) if host else None
    except (OSError, netrc.NetrcParseError):
        found = None
    return (found[0], found[2]) if found else (None, None)


def _request(url: str, opts: Mapping[str, Any]) -> urllib.request.Request:
    headers = opts["headers"] or {}
    if not isinstance(headers, Mapping):
        raise LookupFailed(f"url: headers must be a mapping, got {type(headers).__name__}")
    request = urllib.request.Request(url, headers={str(k): str(v) for k, v in headers.items()})
    request.add_header("User-Agent", str(opts["http_agent"]))
    if as_bool(opts["force"], "force"):
        request.add_header("Cache-Control", "no-cache")
    user, password = _credentials(url, opts)
    if user is not None and as_bool(opts["force_basic_auth"], "force_basic_auth"):
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        request.add_header("Authorization", f"Basic {token}")
    return request


def _fetch(url: str, opts: Mapping[str, Any]) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https", "ftp", "file"):
        raise LookupFailed(f"url: {url!r} is not an http(s), ftp or file URL")
    try:
        timeout = float(opts["timeout"])
    except (TypeError, ValueError):
        raise LookupFailed(f"url: timeout must be a number, got {opts['timeout']!r}") from None
    try:
        with _opener(url, opts).open(_request(url, opts), timeout=timeout) as response:
            charset = response.headers.get_content_charset() or "utf-8"
            body: bytes = response.read()
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response (and its socket)
        raise LookupFailed(f"url: {url} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise LookupFailed(f"url: cannot fetch {url}: {exc.reason}") from None
    except TimeoutError:
        raise LookupFailed(f"url: {url} timed out after {timeout:g} seconds") from None
    except (OSError, ValueError) as exc:
        raise LookupFailed(f"url: cannot fetch {url}: {exc}") from None
    return body.decode(charset, errors="replace")
