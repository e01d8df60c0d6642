# Argument specs and call pacing for API modules, as ansible.module_utils.api offers them.
import functools
import time


def basic_auth_argument_spec(spec=None):
    """The options of a module that logs in to an API, updated with ``spec``."""
    out = {"api_username": {"type": "str"}, "api_password": {"type": "str", "no_log": True},
           "api_url": {"type": "str"}, "validate_certs": {"type": "bool", "default": True}}
    out.update(spec or {})
    return out


def rate_limit_argument_spec(spec=None):
    out = {"rate": {"type": "int"}, "rate_limit": {"type": "int"}}
    out.update(spec or {})
    return out


def retry_argument_spec(spec=None):
    out = {"retries": {"type": "int"}, "retry_pause": {"type": "float", "default": 1}}
    out.update(spec or {})
    return out


def rate_limit(rate=None, rate_limit=None):
    """At most ``rate`` calls of the decorated function every ``rate_limit`` seconds."""
    gap = float(rate_limit) / rate if rate and rate_limit else 0.0
    last = [0.0]

    def wrap(f):
        @functools.wraps(f)
        def paced(*args, **kwargs):
            wait = last[0] + gap - time.time()
            if wait > 0:
                time.sleep(wait)
            last[0] = time.time()
            return f(*args, **kwargs)
        return paced
    return wrap


def retry(retries=None, retry_pause=1):
    """Calls the decorated function until it returns a true value, at most ``retries``
    times, ``retry_pause`` seconds apart (an exception is a failed try); then
    ``Exception('Retry limit exceeded: N')``. Without ``retries``: one call."""
    def wrap(f):
        @functools.wraps(f)
        def tried(*args, **kwargs):
            if not retries:
                return f(*args, **kwargs)
            for attempt in range(retries):
                try:
                    result = f(*args, **kwargs)
                except Exception:
                    result = None
                if result:
                    return result
                if attempt + 1 < retries:
                    time.sleep(retry_pause)
            raise Exception("Retry limit exceeded: %d" % retries)
        return tried
    return wrap
