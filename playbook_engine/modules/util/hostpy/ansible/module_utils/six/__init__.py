# The part of `six` Ansible modules import from ansible.module_utils.six, for Python 3 hosts.
import sys

PY2 = False
PY3 = True
string_types = (str,)
integer_types = (int,)
class_types = (type,)
text_type = str
binary_type = bytes
MAXSIZE = sys.maxsize


def iteritems(d, **kw):
    return iter(d.items(**kw))


def iterkeys(d, **kw):
    return iter(d.keys(**kw))


def itervalues(d, **kw):
    return iter(d.values(**kw))


def b(s):
    return s.encode("latin-1")


def u(s):
    return s


def ensure_str(s, encoding="utf-8", errors="strict"):
    return s.decode(encoding, errors) if isinstance(s, bytes) else s


def ensure_text(s, encoding="utf-8", errors="strict"):
    return ensure_str(s, encoding, errors)


def ensure_binary(s, encoding="utf-8", errors="strict"):
    return s.encode(encoding, errors) if isinstance(s, str) else s


def with_metaclass(meta, *bases):
    return meta("_pbe_with_metaclass", bases or (object,), {})


def add_metaclass(metaclass):
    def wrap(cls):
        body = {k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")}
        return metaclass(cls.__name__, cls.__bases__, body)

    return wrap


def raise_from(value, from_value):
    raise value from from_value


def reraise(tp, value, tb=None):
    raise value.with_traceback(tb)


print_ = print
