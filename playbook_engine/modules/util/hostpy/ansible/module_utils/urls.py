# HTTP for modules, as ansible.module_utils.urls offers it (pbe's own, on urllib).
import base64
import os
import shutil
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlparse, urlunparse  # noqa: F401 - modules import them from here

HAS_GSSAPI = False  # pbe's open_url has no Kerberos (GSSAPI) authentication


class ConnectionError(Exception):  # noqa: A001 - the name modules import
    pass


class SSLValidationError(ConnectionError):
    pass


def basic_auth_header(username, password):
    """The value (bytes) of an ``Authorization`` header for HTTP basic authentication."""
    token = "%s:%s" % (username, password)
    return b"Basic " + base64.b64encode(token.encode("utf-8"))


_URL_PARTS = ("scheme", "netloc", "path", "params", "query", "fragment")


class ParseResultDottedDict(dict):
    """A parsed URL as a dict whose keys are also attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)

    def as_list(self):
        return [self.get(k) for k in _URL_PARTS]


def generic_urlparse(parts):
    """``urlparse``'s result as a ParseResultDottedDict, with the user, password, host and
    port of its netloc."""
    out = ParseResultDottedDict((k, parts[i]) for i, k in enumerate(_URL_PARTS))
    for key in ("username", "password", "hostname", "port"):
        out[key] = getattr(parts, key, None)
    return out


def open_url(url, data=None, headers=None, method=None, use_proxy=True, force=False,
             last_mod_time=None, timeout=10, validate_certs=True, url_username=None,
             url_password=None, http_agent=None, force_basic_auth=False,
             follow_redirects="urllib2", client_cert=None, client_key=None, cookies=None,
             **kwargs):
    """The response of one request (urllib's); HTTPError for an error status."""
    request = urllib.request.Request(url, data=data, method=method)
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    if http_agent:
        request.add_header("User-Agent", http_agent)
    if url_username is not None:
        token = "%s:%s" % (url_username, url_password or "")
        request.add_header("Authorization",
                           "Basic " + base64.b64encode(token.encode()).decode())
    handlers = []
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=context))
    if not use_proxy:
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers).open(request, timeout=timeout)


def fetch_url(module, url, data=None, headers=None, method=None, use_proxy=None, force=False,
              last_mod_time=None, timeout=10, **kwargs):
    """(response or None, info) as Ansible modules expect: info has ``status``, ``msg``,
    ``url`` and the response headers in lower case; ``status`` -1 when nothing answered."""
    params = module.params
    options = {
        "validate_certs": params.get("validate_certs", True),
        "url_username": params.get("url_username", kwargs.pop("url_username", None)),
        "url_password": params.get("url_password", kwargs.pop("url_password", None)),
        "http_agent": params.get("http_agent", "ansible-httpget"),
        "use_proxy": params.get("use_proxy", True) if use_proxy is None else use_proxy,
    }
    info = {"url": url, "status": -1}
    try:
        response = open_url(url, data=data, headers=headers, method=method, timeout=timeout,
                            **options)
    except urllib.error.HTTPError as exc:
        info.update({k.lower(): v for k, v in exc.headers.items()}, status=exc.code,
                    msg=str(exc), body=exc.read())
        return None, info
    except (urllib.error.URLError, OSError, ValueError) as exc:
        info["msg"] = "Request failed: %s" % exc
        return None, info
    info.update({k.lower(): v for k, v in response.headers.items()})
    info.update(status=response.status, msg="OK (%s bytes)" % response.headers.get(
        "Content-Length", "unknown"))
    return response, info


def url_argument_spec():
    return {
        "url": {"type": "str"},
        "force": {"type": "bool", "default": False},
        "http_agent": {"type": "str", "default": "ansible-httpget"},
        "use_proxy": {"type": "bool", "default": True},
        "validate_certs": {"type": "bool", "default": True},
        "url_username": {"type": "str"},
        "url_password": {"type": "str", "no_log": True},
        "force_basic_auth": {"type": "bool", "default": False},
        "client_cert": {"type": "path"},
        "client_key": {"type": "path"},
        "use_gssapi": {"type": "bool", "default": False},
    }


def fetch_file(module, url, data=None, headers=None, method=None, use_proxy=True, force=False,
               last_mod_time=None, timeout=10, **kwargs):
    """Downloads ``url`` into a file in the module's tmpdir and returns its path; the module
    fails when the download does."""
    name = os.path.basename(urlparse(url).path) or "download"
    path = os.path.join(module.tmpdir, name)
    response, info = fetch_url(module, url, data=data, headers=headers, method=method,
                               use_proxy=use_proxy, timeout=timeout)
    if response is None or info["status"] != 200:
        module.fail_json(msg="Failure downloading %s, %s" % (url, info.get("msg")))
    with open(path, "wb") as handle:
        shutil.copyfileobj(response, handle)
    module.add_cleanup_file(path)
    return path
