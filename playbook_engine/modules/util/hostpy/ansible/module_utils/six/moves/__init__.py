# six.moves for Python 3 hosts.
import builtins  # noqa: F401
import configparser  # noqa: F401
import http.client as http_client  # noqa: F401
import queue  # noqa: F401
import shlex  # noqa: F401
from functools import reduce  # noqa: F401
from io import StringIO  # noqa: F401
from itertools import zip_longest  # noqa: F401
from shlex import quote as shlex_quote  # noqa: F401

cPickle = __import__("pickle")
input = builtins.input
range = builtins.range
xrange = builtins.range
zip = builtins.zip
map = builtins.map
filter = builtins.filter
