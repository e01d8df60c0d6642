"""Ansible's filters and tests, rendered through a real TemplateEngine.

Inputs come in as variables, as they do in playbooks: a template made only of literals is
folded into a constant by Jinja, which is the templating layer's business, not these filters'.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from playbook_engine.errors import TemplateError, UndefinedVariable
from playbook_engine.templating.filters import FILTERS
from playbook_engine.templating.jinja_tests import TESTS
from playbook_engine.templating.templar import TemplateEngine
from playbook_engine.templating.values import TrustedStr, Unsafe, trust

URL = "http://user:password@www.acme.com:9000/dir/index.html?query=term#fragment"
USERS = [
    {"name": "alice", "groups": ["wheel", "docker"]},
    {"name": "bob", "groups": ["docker"]},
    {"name": "carol"},
]
NESTED_DEFAULT = {"a": {"x": "default", "y": "default"}, "b": "default", "c": "default"}
NESTED_PATCH = {"a": {"y": "patch", "z": "patch"}, "b": "patch"}


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


def render(engine: TemplateEngine, source: str, variables: dict[str, Any] | None = None) -> Any:
    """Render ``source`` as playbook text would be (trusted); variables are data."""
    return engine.templar(variables or {}).render(trust(source))


FILTER_CASES = [
    # Jinja's generator filters give lists, as in Ansible 2.19+: indexable, usable twice
    ("{{ (v | selectattr('a'))[0].n }}", {"v": [{"a": 0, "n": 1}, {"a": 1, "n": 2}]}, 2),
    ("{{ (v | map('upper'))[1] }}", {"v": ["x", "y"]}, "Y"),
    ("{% set m = v | reject('eq', 2) %}{{ m | list }}{{ m | list }}", {"v": [1, 2]}, "[1][1]"),
    # bool
    ("{{ v | bool }}", {"v": "yes"}, True),
    ("{{ v | bool }}", {"v": "On"}, True),
    ("{{ v | bool }}", {"v": "TRUE"}, True),
    ("{{ v | bool }}", {"v": "1"}, True),
    ("{{ v | bool }}", {"v": 1}, True),
    ("{{ v | bool }}", {"v": "no"}, False),
    ("{{ v | bool }}", {"v": "off"}, False),
    ("{{ v | bool }}", {"v": "false"}, False),
    ("{{ v | bool }}", {"v": "0"}, False),
    ("{{ v | bool }}", {"v": "maybe"}, False),
    ("{{ v | bool }}", {"v": False}, False),
    # jinja's int / float / min / max / default stay
    ("{{ v | int + 1 }}", {"v": "41"}, 42),
    ("{{ v | float }}", {"v": "1.5"}, 1.5),
    ("{{ v | min }}", {"v": [3, 1, 2]}, 1),
    ("{{ v | max(attribute='val') }}", {"v": [{"val": 1}, {"val": 2}]}, {"val": 2}),
    ("{{ missing | default(5) }}", {}, 5),
    ("{{ v | d('x') }}", {"v": "set"}, "set"),
    ("{{ v | default('fallback', true) }}", {"v": ""}, "fallback"),
    ("{{ v | default('fallback') }}", {"v": ""}, ""),
    # JSON and YAML
    ("{{ v | to_json }}", {"v": {"b": 1, "a": [1, None]}}, '{"b": 1, "a": [1, null]}'),
    ("{{ v | to_json(sort_keys=True) }}", {"v": {"b": 1, "a": 2}}, '{"a": 2, "b": 1}'),
    ("{{ v | to_json }}", {"v": "München"}, '"M\\u00fcnchen"'),
    ("{{ v | to_json(ensure_ascii=False) }}", {"v": "München"}, '"München"'),
    (
        "{{ v | to_nice_json }}",
        {"v": {"b": 1, "a": [1]}},
        '{\n    "a": [\n        1\n    ],\n    "b": 1\n}',
    ),
    ("{{ v | to_nice_json(indent=2) }}", {"v": {"a": 1}}, '{\n  "a": 1\n}'),
    ("{{ v | from_json }}", {"v": '{"a": [1, 2], "b": null}'}, {"a": [1, 2], "b": None}),
    ("{{ v | to_yaml }}", {"v": {"b": [1, 2], "a": "x"}}, "a: x\nb: [1, 2]\n"),
    ("{{ v | to_nice_yaml }}", {"v": {"b": [1, 2], "a": {"c": 1}}}, "a:\n    c: 1\nb:\n- 1\n- 2\n"),
    ("{{ v | to_nice_yaml(indent=2) }}", {"v": {"a": {"c": "é"}}}, "a:\n  c: é\n"),
    ("{{ v | from_yaml }}", {"v": "a: 1\nb: [x, y]\n"}, {"a": 1, "b": ["x", "y"]}),
    ("{{ v | from_yaml }}", {"v": {"already": "data"}}, {"already": "data"}),
    ("{{ v | from_yaml_all }}", {"v": "a: 1\n---\nb: 2\n"}, [{"a": 1}, {"b": 2}]),
    ("{{ v | from_yaml_all | list }}", {"v": "- 1\n---\n- 2\n"}, [[1], [2]]),
    ("{{ v | type_debug }}", {"v": {"a": 1}}, "dict"),
    ("{{ v | type_debug }}", {"v": Unsafe("x")}, "str"),
    ("{{ v | type_debug }}", {"v": True}, "bool"),
    # regular expressions
    # a playbook's template keeps a literal's backslashes (ansible-core 2.21): '\\\\1' is two
    ("{{ v | regex_replace('^a.*i(.*)$', 'a\\\\1') }}", {"v": "ansible"}, "a\\1"),
    ("{{ v | regex_replace('^a.*i(.*)$', 'a\\1') }}", {"v": "ansible"}, "able"),
    (
        "{{ v | regex_replace('^(?P<host>.+):(?P<port>\\d+)$', '\\g<host>, \\g<port>') }}",
        {"v": "localhost:80"},
        "localhost, 80",
    ),
    ("{{ v | regex_replace(':80') }}", {"v": "localhost:80"}, "localhost"),
    (
        "{{ v | regex_replace('^(.ar)$', '#\\1', multiline=True, ignorecase=True) }}",
        {"v": "CAR\ntar\nfoo\nbar\n"},
        "#CAR\n#tar\nfoo\n#bar\n",
    ),
    ("{{ v | regex_replace('o', '0', count=1) }}", {"v": "foo"}, "f0o"),
    ("{{ v | regex_search('database[0-9]+') }}", {"v": "server1/database42"}, "database42"),
    ("{{ v | regex_search('^bar', multiline=True, ignorecase=True) }}", {"v": "foo\nBAR"}, "BAR"),
    (
        "{{ v | regex_search('server([0-9]+)/database([0-9]+)', '\\1', '\\2') }}",
        {"v": "server1/database42"},
        ["1", "42"],
    ),
    (
        "{{ v | regex_search('(?P<dividend>[0-9]+)/(?P<divisor>[0-9]+)', '\\g<dividend>', "
        "'\\g<divisor>') }}",
        {"v": "21/42"},
        ["21", "42"],
    ),
    ("{{ v | regex_search('foobar') }}", {"v": "ansible"}, None),
    ("{{ v | regex_search('foobar') is none }}", {"v": "ansible"}, True),
    (
        "{{ v | regex_findall('\\b(?:[0-9]{1,3}\\.){3}[0-9]{1,3}\\b') }}",
        {"v": "Some DNS servers are 8.8.8.8 and 8.8.4.4"},
        ["8.8.8.8", "8.8.4.4"],
    ),
    (
        "{{ v | regex_findall('^.ar$', multiline=True, ignorecase=True) }}",
        {"v": "CAR\ntar\nfoo\nbar\n"},
        ["CAR", "tar", "bar"],
    ),
    ("{{ v | regex_findall('(\\w)=(\\d)') }}", {"v": "a=1 b=2"}, [["a", "1"], ["b", "2"]]),
    ("{{ v | regex_escape }}", {"v": "^f.*o(.*)$"}, "\\^f\\.\\*o\\(\\.\\*\\)\\$"),
    ("{{ v | regex_escape('posix_basic') }}", {"v": "^f.*o(.*)$"}, "\\^f\\.\\*o(\\.\\*)\\$"),
    # dictionaries
    ("{{ a | combine(b) }}", {"a": {"a": 1, "b": 2}, "b": {"b": 3}}, {"a": 1, "b": 3}),
    (
        "{{ a | combine(b, c) }}",
        {"a": {"x": 1}, "b": {"x": 2, "y": 2}, "c": {"y": 3}},
        {"x": 2, "y": 3},
    ),
    (
        "{{ [a, b, c] | combine }}",
        {"a": {"x": 1}, "b": {"x": 2, "y": 2}, "c": {"y": 3}},
        {"x": 2, "y": 3},
    ),
    (
        "{{ a | combine(b) }}",
        {"a": NESTED_DEFAULT, "b": NESTED_PATCH},
        {"a": {"y": "patch", "z": "patch"}, "b": "patch", "c": "default"},
    ),
    (
        "{{ a | combine(b, recursive=True) }}",
        {"a": NESTED_DEFAULT, "b": NESTED_PATCH},
        {"a": {"x": "default", "y": "patch", "z": "patch"}, "b": "patch", "c": "default"},
    ),
    ("{{ a | combine(b) }}", {"a": {"a": ["default"]}, "b": {"a": ["patch"]}}, {"a": ["patch"]}),
    ("{{ a | combine(b, list_merge='keep') }}", {"a": {"a": [1]}, "b": {"a": [2]}}, {"a": [1]}),
    (
        "{{ a | combine(b, list_merge='append') }}",
        {"a": {"a": [1]}, "b": {"a": [2]}},
        {"a": [1, 2]},
    ),
    (
        "{{ a | combine(b, list_merge='prepend') }}",
        {"a": {"a": [1]}, "b": {"a": [2]}},
        {"a": [2, 1]},
    ),
    (
        "{{ a | combine(b, list_merge='append_rp') }}",
        {"a": {"a": [1, 1, 2, 3]}, "b": {"a": [3, 4, 5, 5]}},
        {"a": [1, 1, 2, 3, 4, 5, 5]},
    ),
    (
        "{{ a | combine(b, list_merge='prepend_rp') }}",
        {"a": {"a": [1, 1, 2, 3]}, "b": {"a": [3, 4, 5, 5]}},
        {"a": [3, 4, 5, 5, 1, 1, 2]},
    ),
    (
        "{{ a | combine(b, recursive=True, list_merge='append_rp') }}",
        {
            "a": {"a": {"l": ["d"], "x": 1}, "b": [1, 1, 2, 3]},
            "b": {"a": {"l": ["p"]}, "b": [3, 4, 4, {"key": "value"}]},
        },
        {"a": {"l": ["d", "p"], "x": 1}, "b": [1, 1, 2, 3, 4, 4, {"key": "value"}]},
    ),
    (
        "{{ v | dict2items }}",
        {"v": {"Application": "payment", "Environment": "dev"}},
        [{"key": "Application", "value": "payment"}, {"key": "Environment", "value": "dev"}],
    ),
    (
        "{{ v | dict2items(key_name='file', value_name='path') }}",
        {"v": {"users": "/etc/passwd"}},
        [{"file": "users", "path": "/etc/passwd"}],
    ),
    (
        "{{ v | items2dict }}",
        {"v": [{"key": "a", "value": 1}, {"key": "b", "value": 2}]},
        {"a": 1, "b": 2},
    ),
    (
        "{{ v | items2dict(key_name='fruit', value_name='color') }}",
        {"v": [{"fruit": "apple", "color": "red"}, {"fruit": "pear", "color": "yellow"}]},
        {"apple": "red", "pear": "yellow"},
    ),
    ("{{ v | dict2items | items2dict }}", {"v": {"x": 1}}, {"x": 1}),
    ("{{ [0, 2] | map('extract', v) | list }}", {"v": ["x", "y", "z"]}, ["x", "z"]),
    ("{{ ['x', 'y'] | map('extract', v) | list }}", {"v": {"x": 42, "y": 31}}, [42, 31]),
    (
        "{{ hosts | map('extract', hostvars, 'ip') | list }}",
        {"hosts": ["a", "b"], "hostvars": {"a": {"ip": "10.0.0.1"}, "b": {"ip": "10.0.0.2"}}},
        ["10.0.0.1", "10.0.0.2"],
    ),
    ("{{ ['a'] | map('extract', b, ['x', 'y']) | list }}", {"b": {"a": {"x": {"y": 7}}}}, [7]),
    ("{{ 'a' | extract(b) }}", {"b": {"a": 1}}, 1),
    (
        "{{ v | subelements('groups', skip_missing=True) }}",
        {"v": USERS},
        [[USERS[0], "wheel"], [USERS[0], "docker"], [USERS[1], "docker"]],
    ),
    (
        "{{ v | subelements('a.b') }}",
        {"v": [{"a": {"b": [1, 2]}}]},
        [[{"a": {"b": [1, 2]}}, 1], [{"a": {"b": [1, 2]}}, 2]],
    ),
    ("{{ v | subelements('l') }}", {"v": {"one": {"l": [1]}}}, [[{"l": [1]}, 1]]),
    # lists and sets
    ("{{ v | unique }}", {"v": [1, 2, 5, 1, 3, 4, 10]}, [1, 2, 5, 3, 4, 10]),
    ("{{ v | unique }}", {"v": [{"a": 1}, {"a": 1}, [1], [1], "x"]}, [{"a": 1}, [1], "x"]),
    ("{{ v | unique }}", {"v": ["a", "A", "b"]}, ["a", "b"]),
    ("{{ v | unique(case_sensitive=True) }}", {"v": ["a", "A", "a"]}, ["a", "A"]),
    (
        "{{ v | unique(attribute='n') }}",
        {"v": [{"n": 1, "i": 0}, {"n": 1, "i": 1}]},
        [{"n": 1, "i": 0}],
    ),
    ("{{ v | flatten }}", {"v": [3, [4, 2]]}, [3, 4, 2]),
    ("{{ v | flatten }}", {"v": [1, [2, [3, [4]]], None, "null", "x"]}, [1, 2, 3, 4, "x"]),
    ("{{ v | flatten(levels=1) }}", {"v": [3, [4, [2]]]}, [3, 4, [2]]),
    (
        "{{ v | flatten(levels=1, skip_nulls=False) }}",
        {"v": [3, None, [4, [2]]]},
        [3, None, 4, [2]],
    ),
    ("{{ a | difference(b) }}", {"a": [1, 2, 5, 1, 3, 4, 10], "b": [1, 2, 3, 4, 5, 11, 99]}, [10]),
    (
        "{{ a | intersect(b) }}",
        {"a": [1, 2, 5, 3, 4, 10], "b": [1, 2, 3, 4, 5, 11, 99]},
        [1, 2, 5, 3, 4],
    ),
    (
        "{{ a | union(b) }}",
        {"a": [1, 2, 5, 1, 3, 4, 10], "b": [1, 2, 3, 4, 5, 11, 99]},
        [1, 2, 5, 3, 4, 10, 11, 99],
    ),
    (
        "{{ a | symmetric_difference(b) }}",
        {"a": [1, 2, 5, 1, 3, 4, 10], "b": [1, 2, 3, 4, 5, 11, 99]},
        [10, 11, 99],
    ),
    ("{{ a | union(b) }}", {"a": [{"k": 1}], "b": [{"k": 1}, {"k": 2}]}, [{"k": 1}, {"k": 2}]),
    (
        "{{ a | zip(b) | list }}",
        {"a": [1, 2, 3], "b": ["a", "b", "c", "d"]},
        [[1, "a"], [2, "b"], [3, "c"]],
    ),
    (
        "{{ dict(a | zip(b)) }}",
        {"a": ["one", "two"], "b": ["apple", "orange"]},
        {"one": "apple", "two": "orange"},
    ),
    (
        "{{ a | zip_longest(b, c, fillvalue='X') | list }}",
        {"a": [1, 2], "b": ["a", "b", "c"], "c": [21]},
        [[1, "a", 21], [2, "b", "X"], ["X", "c", "X"]],
    ),
    (
        "{{ a | product(b) | map('join', '.') | join(',') }}",
        {"a": ["foo", "bar"], "b": ["com"]},
        "foo.com,bar.com",
    ),
    ("{{ v | permutations | list }}", {"v": [1, 2]}, [[1, 2], [2, 1]]),
    ("{{ v | permutations(2) | list | length }}", {"v": [1, 2, 3]}, 6),
    ("{{ v | combinations(2) | list }}", {"v": [1, 2, 3]}, [[1, 2], [1, 3], [2, 3]]),
    ("{{ v | random(seed='host1') }}", {"v": 60}, 31),
    ("{{ v | random(seed=42, start=1, step=10) }}", {"v": 101}, 11),
    ("{{ v | random(seed='host1') }}", {"v": ["a", "b", "c"]}, "b"),
    ("{{ v | shuffle(seed='host1') }}", {"v": ["a", "b", "c", "d"]}, ["b", "c", "a", "d"]),
    ("{{ v | shuffle | sort }}", {"v": [3, 1, 2]}, [1, 2, 3]),
    # strings, paths and hashes
    ("{{ v | b64encode }}", {"v": "Hello, wörld"}, "SGVsbG8sIHfDtnJsZA=="),
    ("{{ v | b64decode }}", {"v": "SGVsbG8sIHfDtnJsZA=="}, "Hello, wörld"),
    ("{{ v | b64encode(encoding='utf-16-le') }}", {"v": "ab"}, "YQBiAA=="),
    ("{{ v | b64decode(encoding='utf-16-le') }}", {"v": "YQBiAA=="}, "ab"),
    ("{{ v | quote }}", {"v": "it's a file"}, "'it'\"'\"'s a file'"),
    ("{{ v | quote }}", {"v": "plain"}, "plain"),
    ("{{ v | split(',') }}", {"v": "a,b,,c"}, ["a", "b", "", "c"]),
    ("{{ v | split }}", {"v": " a  b "}, ["a", "b"]),
    ("{{ v | split(',', 1) }}", {"v": "a,b,c"}, ["a", "b,c"]),
    ("{{ v | comment }}", {"v": "Plain style (default)"}, "#\n# Plain style (default)\n#"),
    ("{{ v | comment('c') }}", {"v": "C style"}, "//\n// C style\n//"),
    ("{{ v | comment('erlang') }}", {"v": "Erlang style"}, "%\n% Erlang style\n%"),
    ("{{ v | comment('cblock') }}", {"v": "C block style"}, "/*\n *\n * C block style\n *\n */"),
    ("{{ v | comment('xml') }}", {"v": "XML style"}, "<!--\n -\n - XML style\n -\n-->"),
    ("{{ v | comment(decoration='! ') }}", {"v": "My Special Case"}, "!\n! My Special Case\n!"),
    (
        "{{ v | comment('plain', prefix='#######\n#', postfix='#\n#######\n   ###\n    #') }}",
        {"v": "Custom style"},
        "#######\n#\n# Custom style\n#\n#######\n   ###\n    #",
    ),
    ("{{ v | comment }}", {"v": "one\n\ntwo"}, "#\n# one\n#\n# two\n#"),
    ("{{ v | urlsplit('hostname') }}", {"v": URL}, "www.acme.com"),
    ("{{ v | urlsplit('port') }}", {"v": URL}, 9000),
    (
        "{{ v | urlsplit }}",
        {"v": URL},
        {
            "fragment": "fragment",
            "hostname": "www.acme.com",
            "netloc": "user:password@www.acme.com:9000",
            "password": "password",
            "path": "/dir/index.html",
            "port": 9000,
            "query": "query=term",
            "scheme": "http",
            "username": "user",
        },
    ),
    ("{{ v | hash('sha1') }}", {"v": "test1"}, "b444ac06613fc8d63795be9ad0beaf55011936ac"),
    ("{{ v | hash('md5') }}", {"v": "test1"}, "5a105e8b9d40e1329780d62ea2265d8a"),
    ("{{ v | hash }}", {"v": "test1"}, "b444ac06613fc8d63795be9ad0beaf55011936ac"),
    ("{{ v | checksum }}", {"v": "test2"}, "109f4b3c50d7b0df729d299bc6f8e9ef9066971f"),
    ("{{ v | sha1 }}", {"v": "test1"}, "b444ac06613fc8d63795be9ad0beaf55011936ac"),
    ("{{ v | md5 }}", {"v": "test1"}, "5a105e8b9d40e1329780d62ea2265d8a"),
    (
        "{{ v | password_hash('md5', 'saltsalt') }}",
        {"v": "secret"},  # openssl passwd -1
        "$1$saltsalt$9xy1btjgzLYfb7hivXtC//",
    ),
    ("{{ v | to_uuid }}", {"v": "host1"}, "7590dc85-6b79-5d0a-b4fc-5a7f0e7910a6"),
    (
        "{{ v | to_uuid(namespace='11111111-2222-3333-4444-555555555555') }}",
        {"v": "host1"},
        "c61b8998-1cf6-5a1e-a968-1c2813c345c6",
    ),
    ("{{ v | basename }}", {"v": "/etc/asdf/foo.txt"}, "foo.txt"),
    ("{{ v | dirname }}", {"v": "/etc/asdf/foo.txt"}, "/etc/asdf"),
    ("{{ v | splitext }}", {"v": "nginx.conf"}, ["nginx", ".conf"]),
    ("{{ v | splitext | last }}", {"v": "/a/nginx.conf"}, ".conf"),
    ("{{ v | path_join }}", {"v": ["/etc", "nginx", "conf.d"]}, "/etc/nginx/conf.d"),
    ("{{ v | path_join }}", {"v": ["/etc", "/abs", "x"]}, "/abs/x"),
    ("{{ v | path_join }}", {"v": "/etc"}, "/etc"),
    ("{{ v | expanduser }}", {"v": "~/x"}, os.path.expanduser("~/x")),
    ("{{ v | expandvars }}", {"v": "$HOME/x"}, os.path.expandvars("$HOME/x")),
    ("{{ v | realpath }}", {"v": "/"}, "/"),
    ("{{ v | relpath('/etc') }}", {"v": "/etc/nginx/nginx.conf"}, "nginx/nginx.conf"),
    # sizes, numbers and time
    ("{{ v | human_readable }}", {"v": 1024}, "1.00 KB"),
    ("{{ v | human_readable }}", {"v": 10}, "10.00 Bytes"),
    ("{{ v | human_readable }}", {"v": "1572864"}, "1.50 MB"),
    ("{{ v | human_readable(isbits=True) }}", {"v": 1048576}, "1.00 Mb"),
    ("{{ v | human_readable(unit='K') }}", {"v": 1048576}, "1024.00 KB"),
    ("{{ v | human_to_bytes }}", {"v": "1K"}, 1024),
    ("{{ v | human_to_bytes }}", {"v": "1.5 KB"}, 1536),
    ("{{ v | human_to_bytes }}", {"v": "10 MB"}, 10485760),
    ("{{ v | human_to_bytes }}", {"v": "10"}, 10),
    ("{{ v | human_to_bytes }}", {"v": "2 bytes"}, 2),
    ("{{ v | human_to_bytes(default_unit='M') }}", {"v": "2"}, 2097152),
    ("{{ v | human_to_bytes(isbits=True) }}", {"v": "1Mb"}, 1048576),
    ("{{ v | log }}", {"v": 8}, 2.0794415416798357),
    ("{{ v | log(10) }}", {"v": 8}, 0.9030899869919435),
    ("{{ v | pow(5) }}", {"v": 8}, 32768.0),
    ("{{ v | root }}", {"v": 8}, 2.8284271247461903),
    ("{{ v | root(5) }}", {"v": 8}, 1.5157165665103982),
    ("{{ v | strftime(0, utc=True) }}", {"v": "%Y-%m-%d"}, "1970-01-01"),
    ("{{ v | strftime('1441357287', utc=True) }}", {"v": "%Y-%m-%d %H:%M"}, "2015-09-04 09:01"),
    (
        "{{ ((a | to_datetime) - (b | to_datetime('%Y-%m-%d'))).days }}",
        {"a": "2016-08-14 20:00:12", "b": "2015-12-25"},
        233,
    ),
    # control
    ("{{ v | mandatory }}", {"v": 0}, 0),
    (
        "{{ v | select('contains', 'x') | list }}",
        {"v": [["x"], ["y"], ["x", "y"]]},
        [["x"], ["x", "y"]],
    ),
    ("{{ v | ternary('restart', 'continue') }}", {"v": True}, "restart"),
    ("{{ v | ternary('restart', 'continue') }}", {"v": ""}, "continue"),
    ("{{ v | ternary('yes', 'no') }}", {"v": None}, "no"),
    ("{{ v | ternary('yes', 'no', 'null') }}", {"v": None}, "null"),
    ("{{ v | ternary('yes', 'no', 'null') }}", {"v": False}, "no"),
    ("{{ v | version_compare('1.10', '<') }}", {"v": "1.9"}, True),
    # found by Ansible's integration targets (filter_core, filter_urls, filter_mathstuff)
    ("{{ v | urldecode }}", {"v": "key%3D%22%C3%A9%20a+b"}, 'key="é a b'),
    ("{{ v | urlencode | urldecode }}", {"v": "a b&c=é"}, "a b&c=é"),
    ("{{ v | normpath }}", {"v": "/a//b/../c/"}, "/a/c"),
    ("{{ v | commonpath }}", {"v": ["/a/b/c", "/a/b/d"]}, "/a/b"),
    ("{{ v | win_basename }}", {"v": "C:\\x\\y.txt"}, "y.txt"),
    ("{{ v | win_dirname }}", {"v": "C:\\x\\y.txt"}, "C:\\x"),
    ("{{ v | win_splitdrive }}", {"v": "C:\\x"}, ["C:", "\\x"]),
    (
        "{{ v | rekey_on_member('n') }}",
        {"v": [{"n": "a", "x": 1}, {"n": "b"}]},
        {"a": {"n": "a", "x": 1}, "b": {"n": "b"}},
    ),
    ("{{ v | unique }}", {"v": [{"a": "X"}, {"a": "X"}, {"a": "x"}]}, [{"a": "X"}, {"a": "x"}]),
    ("{{ v | unique(attribute='a') }}", {"v": [{"a": "X"}, {"a": "x"}]}, [{"a": "X"}]),
    # fully qualified names
    ("{{ v | ansible.builtin.to_json }}", {"v": [1]}, "[1]"),
    ("{{ v | ansible.builtin.dict2items | length }}", {"v": {"a": 1}}, 1),
    ("{{ v | map('ansible.builtin.basename') | list }}", {"v": ["/a/b", "/c"]}, ["b", "c"]),
]


@pytest.mark.parametrize(("source", "variables", "expected"), FILTER_CASES)
def test_filter(
    engine: TemplateEngine, source: str, variables: dict[str, Any], expected: Any
) -> None:
    assert render(engine, source, variables) == expected


OK = {"failed": False, "changed": False}
CHANGED = {"failed": False, "changed": True}
FAILED = {"failed": True, "changed": False, "msg": "boom"}
SKIPPED = {"skipped": True, "changed": False}
DOWN = {"unreachable": True, "msg": "no route"}
LOOPED = {"results": [{"changed": False}, {"changed": True}]}

TEST_CASES = [
    ("{{ r is succeeded }}", {"r": OK}, True),
    ("{{ r is success }}", {"r": FAILED}, False),
    ("{{ r is successful }}", {"r": {}}, True),
    ("{{ r is failed }}", {"r": FAILED}, True),
    ("{{ r is failure }}", {"r": OK}, False),
    ("{{ r is not failed }}", {"r": OK}, True),
    ("{{ r is changed }}", {"r": CHANGED}, True),
    ("{{ r is change }}", {"r": OK}, False),
    ("{{ r is changed }}", {"r": LOOPED}, True),
    ("{{ r is changed }}", {"r": {"results": [{"changed": False}]}}, False),
    ("{{ r is skipped }}", {"r": SKIPPED}, True),
    ("{{ r is skip }}", {"r": OK}, False),
    ("{{ r is unreachable }}", {"r": DOWN}, True),
    ("{{ r is unreachable }}", {"r": OK}, False),
    ("{{ r is reachable }}", {"r": DOWN}, False),
    ("{{ r is finished }}", {"r": {"finished": 1}}, True),
    ("{{ r is finished }}", {"r": {"finished": 0}}, False),
    ("{{ r is finished }}", {"r": OK}, True),
    ("{{ r is started }}", {"r": {"started": 1}}, True),
    ("{{ r is ansible.builtin.failed }}", {"r": FAILED}, True),
    # regular expressions
    ("{{ v is match('ab') }}", {"v": "abc"}, True),
    ("{{ v is match('bc') }}", {"v": "abc"}, False),
    ("{{ v is search('bc') }}", {"v": "abc"}, True),
    ("{{ v is regex('BC', ignorecase=True) }}", {"v": "abc"}, True),
    ("{{ v is match('^b', multiline=True) }}", {"v": "a\nb"}, False),
    ("{{ v is search('^b', multiline=True) }}", {"v": "a\nb"}, True),
    ("{{ v is search('^b') }}", {"v": "a\nb"}, False),
    ("{{ v is regex('^b', multiline=True, match_type='match') }}", {"v": "a\nb"}, False),
    # versions
    ("{{ v is version('12.04', '>=') }}", {"v": "12.10"}, True),
    ("{{ v is version('1.10', 'lt') }}", {"v": "1.9"}, True),
    ("{{ v is version('1.10', '<') }}", {"v": "1.10"}, False),
    ("{{ v is version('1.10', '<=') }}", {"v": "1.10"}, True),
    ("{{ v is version('1.10', 'le') }}", {"v": "1.11"}, False),
    ("{{ v is version('2.0', '>') }}", {"v": "2.0.1"}, True),
    ("{{ v is version('2.0', 'gt') }}", {"v": "2.0"}, False),
    ("{{ v is version('2.0', 'ge') }}", {"v": "2.0"}, True),
    ("{{ v is version('1.0') }}", {"v": "1.0"}, True),
    ("{{ v is version('1.0', '==') }}", {"v": "1.0"}, True),
    ("{{ v is version('1.0', 'eq') }}", {"v": "1.0.0"}, False),
    ("{{ v is version('1.0', '!=') }}", {"v": "1.0.0"}, True),
    ("{{ v is version('1.0', 'ne') }}", {"v": "1.0"}, False),
    ("{{ v is version('3.0.0b1', '>') }}", {"v": "3.0.0"}, False),
    ("{{ v is version('2.6.0-rc2', '<') }}", {"v": "2.6.0-rc1"}, True),
    ("{{ v is version('1.0', '<', strict=True) }}", {"v": "1.0a1"}, True),
    ("{{ v is version('1.0.0', '==', strict=True) }}", {"v": "1.0"}, True),
    ("{{ v is version('1.0.0-alpha.1', '<', version_type='semver') }}", {"v": "1.0.0-alpha"}, True),
    (
        "{{ v is version('1.0.0-beta', '<', version_type='semver') }}",
        {"v": "1.0.0-alpha.beta"},
        True,
    ),
    ("{{ v is version('1.0.0', '<', version_type='semantic') }}", {"v": "1.0.0-rc.1"}, True),
    (
        "{{ v is version('1.0.0+build2', '==', version_type='semver') }}",
        {"v": "1.0.0+build1"},
        True,
    ),
    ("{{ v is version('1.0', '<', version_type='pep440') }}", {"v": "1.0rc1"}, True),
    ("{{ v is version_compare('1.0', '>') }}", {"v": "1.1"}, True),
    # collections
    ("{{ a is subset(b) }}", {"a": [1, 2], "b": [1, 2, 3]}, True),
    ("{{ a is subset(b) }}", {"a": [1, 4], "b": [1, 2, 3]}, False),
    ("{{ a is issubset(b) }}", {"a": [{"x": 1}], "b": [{"x": 1}, {"y": 2}]}, True),
    ("{{ b is superset(a) }}", {"a": [1, 2], "b": [1, 2, 3]}, True),
    ("{{ a is issuperset(b) }}", {"a": [1, 2], "b": [1, 2, 3]}, False),
    ("{{ v is contains('b') }}", {"v": ["a", "b"]}, True),
    ("{{ v is contains('z') }}", {"v": ["a", "b"]}, False),
    ("{{ v is any }}", {"v": [0, "", 1]}, True),
    ("{{ v is all }}", {"v": [1, "x", 0]}, False),
    ("{{ v is all }}", {"v": [1, "x"]}, True),
    # truthiness and types
    ("{{ v is truthy }}", {"v": "no"}, True),
    ("{{ v is truthy(convert_bool=True) }}", {"v": "no"}, False),
    ("{{ v is truthy(convert_bool=True) }}", {"v": "maybe"}, True),
    ("{{ v is falsy }}", {"v": []}, True),
    ("{{ v is falsy(convert_bool=True) }}", {"v": "off"}, True),
    ("{{ v is falsy }}", {"v": "off"}, False),
    ("{{ v is string }}", {"v": Unsafe("x")}, True),
    ("{{ v is number }}", {"v": 1.5}, True),
    ("{{ v is nan }}", {"v": float("nan")}, True),
    ("{{ v | float is isnan }}", {"v": "nan"}, True),
    ("{{ v is isnan }}", {"v": "nan"}, False),
    ("{{ v is timedout }}", {"v": {"failed": True, "timedout": {"period": 3}}}, True),
    ("{{ v is timedout }}", {"v": FAILED}, False),
    ("{{ v is uri }}", {"v": "mailto:someone@example.com"}, True),
    ("{{ v is uri(schemes=['ftp', 'sftp']) }}", {"v": "https://example.com"}, False),
    ("{{ v is uri }}", {"v": "not a uri"}, False),
    ("{{ v is url }}", {"v": "ftp://admin:secret@example.com/x.yml"}, True),
    ("{{ v is url }}", {"v": "mailto:someone@example.com"}, False),
    ("{{ v is urn }}", {"v": "urn:isbn:9780302376463"}, True),
    ("{{ v is urn }}", {"v": "https://example.com"}, False),
    ("{{ v is vault_encrypted }}", {"v": "$ANSIBLE_VAULT;1.1;AES256\n3132"}, True),
    ("{{ v is vault_encrypted }}", {"v": "plain"}, False),
    # controller paths
    ("{{ v is abs }}", {"v": "/etc"}, True),
    ("{{ v is is_abs }}", {"v": "etc"}, False),
]


@pytest.mark.parametrize(("source", "variables", "expected"), TEST_CASES)
def test_test(
    engine: TemplateEngine, source: str, variables: dict[str, Any], expected: Any
) -> None:
    assert render(engine, source, variables) is expected


def test_path_tests(engine: TemplateEngine, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    (tmp_path / "l").symlink_to(tmp_path / "f")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    names = ["f", "d", "l", "dangling", "nowhere"]
    variables = {name: str(tmp_path / name) for name in names}
    results = {
        test: [render(engine, f"{{{{ {name} is {test} }}}}", variables) for name in names]
        for test in ("exists", "file", "directory", "link", "link_exists")
    }
    assert results == {
        "exists": [True, True, True, False, False],
        "file": [True, False, True, False, False],
        "directory": [False, True, False, False, False],
        "link": [False, False, True, True, False],
        "link_exists": [True, True, True, True, False],
    }
    assert render(engine, "{{ l is same_file(f) }}", variables) is True
    assert render(engine, "{{ d is is_dir }}", variables) is True
    assert render(engine, "{{ '/' is mount }}", variables) is True


def test_volatile_filters_and_tests_are_not_frozen_at_compile_time(
    engine: TemplateEngine, tmp_path: Path
) -> None:
    target = tmp_path / "later"
    source = f"{{{{ '{target}' is exists }}}}"
    assert render(engine, source) is False
    target.touch()
    assert render(engine, source) is True  # the cached compiled template asks again
    rolls = {render(engine, "{{ 1000000 | random }}") for _ in range(5)}
    assert len(rolls) > 1


# -- unsafe host data ----------------------------------------------------------------------


def test_unsafe_strings_serialise(engine: TemplateEngine) -> None:
    data = {"out": Unsafe("{{ evil }}"), "lines": [Unsafe("a"), (Unsafe("b"), 1)]}
    variables = {"v": data}
    assert render(engine, "{{ v | to_yaml }}", variables) == (
        "lines:\n- a\n- [b, 1]\nout: '{{ evil }}'\n"
    )
    assert render(engine, "{{ v | to_nice_yaml }}", variables) == (
        "lines:\n- a\n-   - b\n    - 1\nout: '{{ evil }}'\n"
    )
    assert json.loads(render(engine, "{{ v | to_json }}", variables)) == {
        "out": "{{ evil }}",
        "lines": ["a", ["b", 1]],
    }
    assert render(engine, "{{ v.out | regex_replace('evil', 'x') }}", variables) == "{{ x }}"
    assert render(engine, "{{ v.out | b64encode | b64decode }}", variables) == "{{ evil }}"


def test_parsed_host_output_is_data(engine: TemplateEngine) -> None:
    """What a filter makes of host output is plain data: never trusted, never rendered."""
    stdout = '{"cmd": "{{ lookup(\'pipe\', \'id\') }}", "items": ["{{ x }}"]}'
    templar = engine.templar({"out": stdout})
    parsed = templar.render(TrustedStr("{{ out | from_json }}"))
    assert parsed == {"cmd": "{{ lookup('pipe', 'id') }}", "items": ["{{ x }}"]}
    assert not isinstance(parsed["cmd"], TrustedStr)
    assert templar.render(parsed) == parsed  # rendering it again changes nothing
    from_yaml = render(engine, "{{ out | from_yaml }}", {"out": "k: '{{ x }}'"})
    assert from_yaml == {"k": "{{ x }}"} and not isinstance(from_yaml["k"], TrustedStr)
    decoded = render(engine, "{{ out | b64decode }}", {"out": "e3sgeCB9fQ=="})
    assert decoded == "{{ x }}" and not isinstance(decoded, TrustedStr)


# -- errors --------------------------------------------------------------------------------


def test_mandatory_names_the_undefined_variable(engine: TemplateEngine) -> None:
    with pytest.raises(UndefinedVariable, match="Mandatory variable 'db_password' not defined"):
        render(engine, "{{ db_password | mandatory }}")


def test_mandatory_custom_message(engine: TemplateEngine) -> None:
    with pytest.raises(UndefinedVariable, match="set db_password in group_vars"):
        render(engine, "{{ db_password | mandatory('set db_password in group_vars') }}")


def test_mandatory_undefined_attribute(engine: TemplateEngine) -> None:
    with pytest.raises(UndefinedVariable, match="Mandatory variable 'port' not defined"):
        render(engine, "{{ cfg.port | mandatory }}", {"cfg": {}})


ERROR_CASES = [
    ("{{ v is succeeded }}", {"v": "ok"}, "'succeeded' test expects a registered task result"),
    ("{{ v is failed }}", {"v": [1]}, "'failed' test expects .* got list"),
    ("{{ v is changed }}", {"v": None}, "'changed' test expects"),
    ("{{ v is skipped }}", {"v": 3}, "'skipped' test expects"),
    ("{{ v is unreachable }}", {"v": 3}, "'unreachable' test expects"),
    ("{{ v is finished }}", {"v": 3}, "'finished' test expects"),
    ("{{ v is version('1.0', 'bigger') }}", {"v": "1.0"}, "invalid operator 'bigger'"),
    ("{{ v is version('1.0') }}", {"v": ""}, "input version value cannot be empty"),
    ("{{ v is version('') }}", {"v": "1.0"}, "version to compare against cannot be empty"),
    ("{{ v is version('1.0', strict=True) }}", {"v": "1.0rc1"}, "invalid version number"),
    # a number against a word: an error in Ansible (LooseVersion), whatever the operator
    ("{{ v is version('1.0a', '>') }}", {"v": "1.0.1"}, "not supported between instances"),
    ("{{ v is version('9.0', '==') }}", {"v": "not found"}, "not supported between instances"),
    (
        "{{ v is version('1.0', version_type='semver') }}",
        {"v": "1.0.0"},
        "invalid semantic version '1.0'",
    ),
    (
        "{{ v is version('1.0', version_type='calendar') }}",
        {"v": "1.0"},
        "invalid version_type 'calendar'",
    ),
    (
        "{{ v is version('1.0', strict=True, version_type='loose') }}",
        {"v": "1.0"},
        "cannot specify both",
    ),
    ("{{ v | dict2items }}", {"v": [1]}, "dict2items requires a dictionary, got list"),
    ("{{ v | items2dict }}", {"v": {"a": 1}}, "items2dict requires a list, got dict"),
    ("{{ v | items2dict }}", {"v": [{"name": "a"}]}, "with the keys 'key' and 'value'"),
    ("{{ v | combine({'a': 1}) }}", {"v": "x"}, "combine expects dictionaries, got str"),
    ("{{ v | combine({}, list_merge='merge') }}", {"v": {}}, "list_merge must be one of"),
    ("{{ v | regex_search('a', 'group1') }}", {"v": "a"}, "unknown argument 'group1'"),
    ("{{ v | regex_replace('x', 'y', mandatory_count=2) }}", {"v": "x"}, "expected 2 replacement"),
    ("{{ v | regex_escape('posix_extended') }}", {"v": "x"}, "unsupported re_type"),
    ("{{ v | subelements('groups') }}", {"v": USERS}, "could not find 'groups'"),
    ("{{ v | subelements('name') }}", {"v": USERS}, "'name' should point to a list, got str"),
    ("{{ v | subelements('x') }}", {"v": "text"}, "must be a list or a dictionary"),
    ("{{ v | comment('cobol') }}", {"v": "x"}, "unknown style 'cobol'"),
    ("{{ v | comment(colour='red') }}", {"v": "x"}, "unexpected keyword argument"),
    ("{{ v | human_to_bytes }}", {"v": "1Kb"}, "'1Kb' is not a byte size"),
    ("{{ v | human_to_bytes(isbits=True) }}", {"v": "1KB"}, "'1KB' is not a bit size"),
    ("{{ v | human_to_bytes }}", {"v": "lots"}, "cannot interpret 'lots'"),
    ("{{ v | human_to_bytes }}", {"v": "1 Q"}, "unknown unit"),
    ("{{ v | human_readable(unit='Q') }}", {"v": 1}, "unknown unit 'Q'"),
    ("{{ v | hash('nope') }}", {"v": "x"}, "unsupported hash type 'nope'"),
    ("{{ v | random(start=1) }}", {"v": ["a"]}, "start and step can only be used"),
    ("{{ v | random }}", {"v": 1.5}, "random can only be used on sequences and integers"),
    ("{{ v | strftime('soon') }}", {"v": "%Y"}, "invalid epoch value 'soon'"),
    ("{{ v | urlsplit('host') }}", {"v": URL}, "unknown URL component 'host'"),
    ("{{ v | path_join }}", {"v": 3}, "path_join expects a string or a list"),
    ("{{ v | from_json }}", {"v": "{not json"}, "JSONDecodeError"),
    ("{{ v | log }}", {"v": "yo"}, r"log\(\) can only be used on numbers"),
    ("{{ v | pow(2) }}", {"v": "yo"}, r"pow\(\) can only be used on numbers"),
    ("{{ v | root }}", {"v": "yo"}, r"root\(\) can only be used on numbers"),
    ("{{ v | human_readable }}", {"v": "monkeys"}, "human_readable.. failed on bad input"),
    ("{{ v | rekey_on_member('k', duplicates='x') }}", {"v": []}, "duplicates parameter"),
    ("{{ v | rekey_on_member('k') }}", {"v": "s"}, "Type is not a valid list, set, or dict"),
    ("{{ v | rekey_on_member('k') }}", {"v": [True]}, "List item is not a valid dict"),
    ("{{ v | rekey_on_member('k') }}", {"v": [{"j": 1}]}, "key 'k' was not found"),
    (
        "{{ v | rekey_on_member('k') }}",
        {"v": [{"k": 1}, {"k": 1}]},
        "key 1 is not unique, cannot convert to dict",
    ),
    (
        "{{ v is vaulted_file }}",
        {"v": "/nonexistent/f"},
        "vaulted_file: cannot test whether '/nonexistent/f' is a vault: No such file",
    ),
]


@pytest.mark.parametrize(("source", "variables", "message"), ERROR_CASES)
def test_errors_become_template_errors(
    engine: TemplateEngine, source: str, variables: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateError, match=message) as caught:
        render(engine, source, variables)
    assert source.strip() in str(caught.value)


# -- registration --------------------------------------------------------------------------


def test_every_filter_and_test_has_its_fully_qualified_alias(engine: TemplateEngine) -> None:
    for name, func in FILTERS.items():  # wrapped to pass an undefined value on (or not)
        for key in (name, f"ansible.builtin.{name}"):
            assert getattr(engine.env.filters[key], "__wrapped__", engine.env.filters[key]) is func
    for name, test in TESTS.items():
        assert engine.env.tests[name] is test
        assert engine.env.tests[f"ansible.builtin.{name}"] is test


def test_every_registered_name_is_exercised() -> None:
    sources = " ".join(case[0] for case in FILTER_CASES + TEST_CASES + ERROR_CASES)
    untested = {name for name in [*FILTERS, *TESTS] if name not in sources}
    assert untested <= {
        "exists",
        "file",
        "directory",
        "link",
        "link_exists",
        "is_file",
        "is_link",
        "is_mount",
        "is_same_file",
        "same_file",
        "mount",
        "is_dir",
    }


def test_macros_and_set_blocks_render_native_values_as_text() -> None:
    """A macro body with a number in it (`hi {{ n }}` with 42) renders text, as in
    Ansible; it failed with 'expected str instance, int found'."""
    from playbook_engine.templating.templar import TemplateEngine

    templar = TemplateEngine().templar({"v": 42, "l": [1]})
    text = (
        "{% macro hi(n) %}hi {{ n }}{% endmacro %}{{ hi(v) }}|{% set b %}{{ l }}{% endset %}{{ b }}"
    )
    assert templar.render_text(text) == "hi 42|[1]"
    assert templar.render_str("{{ v }}") == 42  # a lone expression keeps its type


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ true | ternary('a', x | join(',')) }}", "a"),  # robertdebock.postfix's form
        ("{{ x | upper | default('d') }}", "d"),
        ("{{ x.y | default('d2') }}", "d2"),
        ("{{ x.y['z'] is defined }}", False),
        ("{{ [1, x] | length }}", 2),
    ],
)
def test_an_undefined_value_fails_only_where_it_is_used(source: str, expected: Any) -> None:
    """As ansible-core 2.19+ (checked with 2.21 on the same expressions): reaching an
    undefined value (an attribute of it, a filter over it) is not an error; printing,
    iterating or judging it is, and names the missing variable."""
    templar = TemplateEngine().templar({})
    assert templar.render_str(source) == expected


@pytest.mark.parametrize("source", ["{{ x | join(',') }}", "{{ x.y }}", "{{ x.y | length }}"])
def test_an_undefined_value_used_names_the_variable(source: str) -> None:
    with pytest.raises(UndefinedVariable, match="'x' is undefined"):
        TemplateEngine().templar({}).render_str(source)


# -- changing values in place -----------------------------------------------------------------


def test_a_template_changes_what_it_made_and_never_a_variable(engine: TemplateEngine) -> None:
    """As in Ansible, `{% set _ = acc.append(x) %}` works on a list or dict the template
    made (a literal, a `.copy()`, `dict()`); a variable's value cannot change, since pbe
    shares it between hosts and tasks (Ansible renders against copies)."""
    shared = {"d": {"a": 1}, "l": [1], "rules": {"x": {"p": 1}}}
    made = render(
        engine,
        "{% set acc = [] %}{% for i in l + [2] %}{% set _ = acc.append(i) %}{% endfor %}"
        "{% set m = d.copy() %}{% set _ = m.update({'z': 9}) %}"
        "{% set n = {'k': []} %}{% set _ = n.k.append(3) %}"
        "{% set o = dict(q=1) %}{% set _ = o.setdefault('r', 2) %}"
        "{{ [acc, m, n, o] }}",
        shared,
    )
    assert made == [[1, 2], {"a": 1, "z": 9}, {"k": [3]}, {"q": 1, "r": 2}]
    for source in ("{{ d.update({'b': 2}) }}", "{{ l.append(2) }}", "{{ m.x.update({}) }}"):
        with pytest.raises(TemplateError) as refused:
            render(engine, "{% set m = rules.copy() %}" + source, shared)
        assert "a template may change only a" in str(refused.value)
        assert "change a copy (`{% set mine = value.copy() %}`)" in str(refused.value)
    assert shared == {"d": {"a": 1}, "l": [1], "rules": {"x": {"p": 1}}}
    assert render(engine, "{{ [] }}") == []  # a later render owns nothing of the last
