"""pbe's own ``ansible.module_utils`` beyond ``basic``: each piece is imported by a small
library module run on the host (local connection) under the host's Python and under
Python 3.6, the oldest a host may have; the values it computes come back in its result.
Then real community.general modules that need these pieces, read from the installed
``ansible`` package when this machine has it."""

from __future__ import annotations

import base64
import gzip
import http.server
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playtree import write

import playbook_engine as pbe
from playbook_engine.engine.variables import ANSIBLE_VERSION
from playbook_engine.modules.util import hostimports
from playbook_engine.modules.util.hostmodule import served_for, support_files

SYSTEM = Path("/usr/bin/python3")
OLDEST = Path("/root/.pyenv/versions/3.6.15/bin/python3")
PYTHONS = [
    pytest.param(SYSTEM, id="host-python"),
    pytest.param(
        OLDEST,
        id="python3.6",
        marks=pytest.mark.skipif(not OLDEST.exists(), reason="no Python 3.6 on this machine"),
    ),
]


def run_module(
    tmp_path: Path, python: Path, body: str, args: str = "{}", status: str = "ok"
) -> dict[str, Any]:
    """Runs a library module whose ``body`` sets ``out`` (a dict) from ``m``, its
    AnsibleModule (options ``file`` and ``secret``); its result."""
    name = f"pbe_t_mu_{uuid.uuid4().hex[:8]}"
    source = (
        "from ansible.module_utils.basic import AnsibleModule\n"
        "m = AnsibleModule(argument_spec=dict(file=dict(type='path'), "
        "secret=dict(no_log=True)), supports_check_mode=True)\n"
        f"{body}\n"
        "m.exit_json(changed=False, **out)\n"
    )
    site = write(
        tmp_path,
        {
            f"library/{name}.py": source,
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                f"    - name: t\n      {name}: {args}\n"
            ),
        },
    )
    inventory = {
        "all": {
            "hosts": {"a": None},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(python)},
        }
    }
    (result,) = [r for r in pbe.run(site, inventory).results if r.task_name == "t"]
    assert result.status == status, result.result.get("msg")
    return dict(result.result)


@pytest.mark.parametrize("python", PYTHONS)
def test_compat_version(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.compat.version import LooseVersion, StrictVersion\n"
        "L, S = LooseVersion, StrictVersion\n"
        "try:\n    S('1.2.3.4')\nexcept ValueError as e:\n    bad = str(e)\n"
        "out = dict(\n"
        "  loose=[L('1.10') > L('1.9'), L('2.0.0') < '2.0.1', L('4.6') > L('4.6'),\n"
        "         L('1.2') == '1.2', L('5.3.0') >= L('5.3')],\n"
        "  parts=L('1.2.3a4').version, rc=L('1.0-RC1').version, text=str(L('1.0-RC1')),\n"
        "  strict=[S('1.2a1') < S('1.2'), S('1.2b2') > S('1.2a9'), S('0.9.0') <= S('0.10'),\n"
        "          S('1.2') == S('1.2.0')],\n"
        "  shown=[str(S('1.2.0')), str(S('1.2.3b1')), repr(S('2.0'))],\n"
        "  release=list(S('1.2.3b1').version), pre=list(S('1.2.3b1').prerelease), bad=bad)",
    )
    assert got["loose"] == [True, True, False, True, True]
    assert (got["parts"], got["rc"], got["text"]) == (
        [1, 2, 3, "a", 4],
        [1, 0, "-RC", 1],
        "1.0-RC1",
    )
    assert got["strict"] == [True, True, True, True]
    assert got["shown"] == ["1.2", "1.2.3b1", "StrictVersion ('2.0')"]
    assert (got["release"], got["pre"]) == ([1, 2, 3], ["b", 1])
    assert got["bad"] == "invalid version number '1.2.3.4'"


@pytest.mark.parametrize("python", PYTHONS)
def test_common_collections(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.common.collections import (ImmutableDict, count,\n"
        "    is_iterable, is_sequence, is_string)\n"
        "d = ImmutableDict(a=1, b=2)\n"
        "try:\n    d['a'] = 3\nexcept TypeError:\n    frozen = True\n"
        "out = dict(\n"
        "  seq=[is_sequence([1]), is_sequence((1,)), is_sequence('ab'),\n"
        "       is_sequence('ab', include_strings=True), is_sequence({1: 2})],\n"
        "  it=[is_iterable({1}), is_iterable(b'x'), is_iterable(b'x', True), is_iterable(3)],\n"
        "  string=[is_string(b'x'), is_string('x'), is_string(['x'])],\n"
        "  counted=count(['x', 'y', 'x']), frozen=frozen,\n"
        "  same=hash(d) == hash(ImmutableDict(b=2, a=1)),\n"
        "  union=dict(d.union({'b': 3, 'c': 4})), diff=dict(d.difference(['a'])))",
    )
    assert got["seq"] == [True, True, False, True, False]
    assert got["it"] == [True, False, True, False]
    assert got["string"] == [True, True, False]
    assert (got["counted"], got["frozen"], got["same"]) == ({"x": 2, "y": 1}, True, True)
    assert (got["union"], got["diff"]) == ({"a": 1, "b": 3, "c": 4}, {"b": 2})


@pytest.mark.parametrize("python", PYTHONS)
def test_common_locale(tmp_path: Path, python: Path) -> None:
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=True)
    preferred = ["C.utf8", "C.UTF-8", "en_US.utf8", "en_US.UTF-8", "C", "POSIX"]
    expected = next(p for p in preferred if p in listed.stdout.split())
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.common.locale import get_best_parsable_locale as best\n"
        "class NoLocale(object):\n"
        "    def get_bin_path(self, name):\n        return None\n"
        "try:\n    best(NoLocale(), raise_on_locale=True)\n"
        "except RuntimeWarning as e:\n    raised = str(e)\n"
        "out = dict(best=best(m), chosen=best(m, ['xx_YY.nope', 'POSIX', 'C']),\n"
        "           none=best(m, ['xx_YY.nope']), missing=best(NoLocale()), raised=raised)",
    )
    assert (got["best"], got["chosen"], got["none"], got["missing"]) == (
        expected,
        "POSIX",
        "C",
        "C",
    )
    assert got["raised"] == "Could not find 'locale' tool"


@pytest.mark.parametrize("python", PYTHONS)
def test_common_dict_transformations(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.common.dict_transformations import (dict_merge,\n"
        "    recursive_diff, camel_dict_to_snake_dict, snake_dict_to_camel_dict)\n"
        "a = {'x': {'y': 1, 'z': 2}, 'k': [1]}\n"
        "camel = {'HTTPEndpoint': 1, 'fooBar': [{'innerKey': 2}], 'TargetGroupARNs': 3,\n"
        "         'Tags': {'KeepMe': 4}}\n"
        "out = dict(merged=dict_merge(a, {'x': {'y': 5}, 'n': 6}), a=a,\n"
        "  diff=list(recursive_diff({'x': {'y': 1, 'z': 2}, 'k': 1},\n"
        "                           {'x': {'y': 1, 'z': 3}, 'j': 2})),\n"
        "  nodiff=recursive_diff({'a': {'b': 1}}, {'a': {'b': 1}}),\n"
        "  snake=camel_dict_to_snake_dict(camel, ignore_list=['Tags']),\n"
        "  rev=camel_dict_to_snake_dict({'HTTPEndpoint': 1}, reversible=True),\n"
        "  camel=snake_dict_to_camel_dict({'foo_bar': {'baz_qux': [{'a_b': 1}]}}),\n"
        "  pascal=snake_dict_to_camel_dict({'foo_bar': 1}, capitalize_first=True))",
    )
    assert got["merged"] == {"x": {"y": 5, "z": 2}, "k": [1], "n": 6}
    assert got["a"] == {"x": {"y": 1, "z": 2}, "k": [1]}  # not changed
    assert got["diff"] == [{"x": {"z": 2}, "k": 1}, {"x": {"z": 3}, "j": 2}]
    assert got["nodiff"] is None
    assert got["snake"] == {
        "http_endpoint": 1,
        "foo_bar": [{"inner_key": 2}],
        "target_group_arns": 3,
        "tags": {"KeepMe": 4},
    }
    assert got["rev"] == {"h_t_t_p_endpoint": 1}
    assert got["camel"] == {"fooBar": {"bazQux": [{"aB": 1}]}}
    assert got["pascal"] == {"FooBar": 1}


@pytest.mark.parametrize("python", PYTHONS)
def test_errors_and_arg_spec(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.common.arg_spec import ArgumentSpecValidator\n"
        "from ansible.module_utils import errors\n"
        "v = ArgumentSpecValidator({'name': {'required': True},\n"
        "    'count': {'type': 'int', 'default': 1},\n"
        "    'mode': {'choices': ['a', 'b'], 'aliases': ['m']}},\n"
        "    required_one_of=[['name', 'mode']])\n"
        "good = v.validate({'name': 'x', 'count': '3', 'm': 'a'})\n"
        "bad = v.validate({'count': 'x', 'bogus': 1})\n"
        "out = dict(params=good.validated_parameters, none=good.error_messages,\n"
        "  messages=bad.error_messages, unsupported=sorted(bad.unsupported_parameters),\n"
        "  kinds=[type(e).__name__ for e in bad.errors],\n"
        "  caught=isinstance(bad.errors[0], errors.AnsibleValidationError),\n"
        "  fallback=issubclass(errors.AnsibleFallbackNotFound, Exception))",
    )
    assert got["params"] == {"name": "x", "count": 3, "mode": "a"}
    assert (got["none"], got["unsupported"]) == ([], ["bogus"])
    assert got["kinds"] == ["UnsupportedError"] + ["AnsibleValidationError"] * 3
    assert got["messages"][0].startswith("Unsupported parameters for (")
    assert got["messages"][1:] == [
        "one of the following is required: name, mode",
        "missing required arguments: name",
        "argument 'count' is of type <class 'str'> and we were unable to convert to int: "
        "invalid literal for int() with base 10: 'x'",
    ]
    assert (got["caught"], got["fallback"]) == (True, True)


@pytest.mark.parametrize("python", PYTHONS)
def test_api_specs_and_retry(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.api import (basic_auth_argument_spec, rate_limit,\n"
        "    rate_limit_argument_spec, retry, retry_argument_spec)\n"
        "calls = []\n"
        "@retry(retries=3, retry_pause=0)\n"
        "def flaky():\n"
        "    calls.append(1)\n"
        "    if len(calls) == 1:\n        raise IOError('down')\n"
        "    return 'up' if len(calls) == 3 else None\n"
        "@retry(retries=2, retry_pause=0)\n"
        "def never():\n    return None\n"
        "@rate_limit(rate=1000, rate_limit=1)\n"
        "def paced(x):\n    return x * 2\n"
        "try:\n    never()\nexcept Exception as e:\n    exceeded = str(e)\n"
        "out = dict(spec=basic_auth_argument_spec(dict(extra=dict())), result=flaky(),\n"
        "  calls=len(calls), exceeded=exceeded, paced=[paced(1), paced(2)],\n"
        "  names=sorted(rate_limit_argument_spec()) + sorted(retry_argument_spec()))",
    )
    assert got["spec"] == {
        "api_username": {"type": "str"},
        "api_password": {"type": "str", "no_log": True},
        "api_url": {"type": "str"},
        "validate_certs": {"type": "bool", "default": True},
        "extra": {},
    }
    assert (got["result"], got["calls"], got["exceeded"]) == ("up", 3, "Retry limit exceeded: 2")
    assert got["paced"] == [2, 4]
    assert got["names"] == ["rate", "rate_limit", "retries", "retry_pause"]


@pytest.fixture
def web() -> Iterator[str]:
    """A local HTTP server: ``/data.txt`` answers a body, anything else 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            found = self.path == "/files/data.txt"
            body = b"downloaded\n" if found else b"no"
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("python", PYTHONS)
def test_urls_extras(tmp_path: Path, python: Path, web: str) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.urls import (HAS_GSSAPI, basic_auth_header, fetch_file,\n"
        "    generic_urlparse, urlparse)\n"
        "p = generic_urlparse(urlparse('https://u:pw@example.org:8443/a/b;x?q=1#top'))\n"
        "f = fetch_file(m, m.params['file'] + '/files/data.txt')\n"
        "with open(f) as h:\n    content = h.read()\n"
        "out = dict(gssapi=HAS_GSSAPI, header=basic_auth_header('user', 'pw'), parts=p,\n"
        "  dotted=[p.hostname, p.port, p.netloc], listed=p.as_list(), fetched=f, content=content)",
        args=f"{{file: '{web}'}}",
    )
    assert got["gssapi"] is False
    assert got["header"] == "Basic " + base64.b64encode(b"user:pw").decode()
    assert got["dotted"] == ["example.org", 8443, "u:pw@example.org:8443"]
    assert got["listed"] == ["https", "u:pw@example.org:8443", "/a/b", "x", "q=1", "top"]
    assert (got["parts"]["username"], got["parts"]["password"]) == ("u", "pw")
    assert (Path(got["fetched"]).name, got["content"]) == ("data.txt", "downloaded\n")
    assert not Path(got["fetched"]).exists()  # the module's tmpdir is removed at its end
    missing = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.urls import fetch_file\n"
        "fetch_file(m, m.params['file'] + '/nope')\nout = {}",
        args=f"{{file: '{web}'}}",
        status="failed",
    )
    assert missing["msg"].startswith(f"Failure downloading {web}/nope, HTTP Error 404")


@pytest.mark.parametrize("python", PYTHONS)
def test_ansible_release_is_the_version_pbe_follows(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.ansible_release import __version__\n"
        "out = dict(release=__version__, module=m.ansible_version)",
    )
    assert (got["release"], got["module"]) == (ANSIBLE_VERSION["full"], ANSIBLE_VERSION["full"])


def os_release() -> dict[str, str]:
    """/etc/os-release read simply (the keys and unquoted values), for the expectations."""
    text = Path("/etc/os-release").read_text()
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip().strip("\"'") for k, v in pairs}


@pytest.mark.skipif(not Path("/etc/os-release").exists(), reason="no /etc/os-release")
@pytest.mark.parametrize("python", PYTHONS)
def test_distro_and_basic_extras(tmp_path: Path, python: Path) -> None:
    script, plain, copied = tmp_path / "run.sh", tmp_path / "plain", tmp_path / "copy"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o744)
    plain.write_text("x")
    plain.chmod(0o640)
    got = run_module(
        tmp_path,
        python,
        "import os\n"
        "from ansible.module_utils import distro\n"
        "from ansible.module_utils.basic import (get_distribution, human_to_bytes, is_executable,\n"
        "    json_dict_bytes_to_unicode, jsonify, _load_params, sanitize_keys, remove_values)\n"
        "d = m.params['file']\n"
        "junk = os.path.join(d, 'junk')\n"
        "open(junk, 'w').close()\n"
        "m.add_cleanup_file(junk)\n"
        "m.preserved_copy(os.path.join(d, 'plain'), os.path.join(d, 'copy'))\n"
        "out = dict(id=distro.id(), version=distro.version(), name=distro.name(),\n"
        "  codename=distro.codename(), like=distro.like(), parts=distro.version_parts(),\n"
        "  info=distro.os_release_info(), distribution=get_distribution(),\n"
        "  sizes=[human_to_bytes('1K'), human_to_bytes('2M')], json=jsonify({'a': [1]}),\n"
        "  executable=[is_executable(os.path.join(d, 'run.sh')),\n"
        "              is_executable(os.path.join(d, 'plain'))],\n"
        "  text=json_dict_bytes_to_unicode({b'k': [b'v']}), params=_load_params(),\n"
        "  keys=sanitize_keys({'tok_s3cret': {'s3cret': 's3cret'}}, ['s3cret']),\n"
        "  values=remove_values(['a s3cret'], ['s3cret']), secrets=sorted(m.no_log_values),\n"
        "  absent=[m.check_file_absent_if_check_mode(junk + '.nope'),\n"
        "          m.check_file_absent_if_check_mode(junk)], junk=junk)",
        args=f"{{file: '{tmp_path}', secret: s3cret}}",
    )
    release = os_release()
    assert (got["id"], got["version"], got["name"]) == (
        release["ID"],
        release.get("VERSION_ID", ""),
        release.get("NAME", ""),
    )
    assert got["codename"] == release.get("VERSION_CODENAME", got["codename"])
    assert got["like"] == release.get("ID_LIKE", "")
    assert got["parts"][0] == release.get("VERSION_ID", "").split(".")[0]
    assert got["info"]["id"] == release["ID"]
    assert got["distribution"] == {"rhel": "Redhat", "amzn": "Amazon"}.get(
        release["ID"], release["ID"].capitalize()
    )
    assert (got["sizes"], got["json"], got["executable"]) == (
        [1024, 2097152],
        '{"a": [1]}',
        [True, False],
    )
    mask = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert (got["text"], got["params"]) == ({"k": ["v"]}, {"file": str(tmp_path), "secret": mask})
    assert got["keys"] == {f"tok_{mask}": {mask: mask}}  # keys masked; the value, by the result
    assert got["values"] == [f"a {mask}"]
    assert got["secrets"] == [mask]  # the secret itself, masked in the result
    assert got["absent"] == [False, False]  # not in check mode
    assert not Path(got["junk"]).exists()  # add_cleanup_file
    assert (copied.read_text(), copied.stat().st_mode & 0o777) == ("x", 0o640)


@pytest.mark.parametrize("python", PYTHONS)
def test_common_validation_and_network(tmp_path: Path, python: Path) -> None:
    got = run_module(
        tmp_path,
        python,
        "from ansible.module_utils.common.validation import (check_type_int, check_type_str,\n"
        "    check_mutually_exclusive, check_required_arguments, check_type_list, count_terms)\n"
        "from ansible.module_utils.common.network import is_mac, to_masklen, to_netmask\n"
        "said = []\n"
        "for call in (lambda: check_type_int('x'),\n"
        "             lambda: check_type_str(5, allow_conversion=False),\n"
        "             lambda: check_mutually_exclusive([['a', 'b']], {'a': 1, 'b': 2}),\n"
        "             lambda: check_required_arguments({'a': {'required': True}, 'c': {}}, {})):\n"
        "    try:\n        call()\n    except TypeError as e:\n        said.append(str(e))\n"
        "out = dict(said=said, ints=[check_type_int('5'), check_type_int(7)],\n"
        "  text=check_type_str(5),\n"
        "  listed=check_type_list('a,b'), ok=check_mutually_exclusive([['a', 'b']], {'a': 1}),\n"
        "  terms=count_terms(['a', 'z'], {'a': 1}),\n"
        "  macs=[is_mac('AA:bb:cc:dd:ee:0f'), is_mac('aa-bb-cc-dd-ee-ff'), is_mac('aa:bb:cc')],\n"
        "  nets=[to_netmask(20), to_masklen('255.255.255.0')])",
    )
    assert got["said"] == [
        "str cannot be converted: invalid literal for int() with base 10: 'x'",
        "'5' is not a string and conversion is not allowed",
        "parameters are mutually exclusive: a|b",
        "missing required arguments: a",
    ]
    assert (got["ints"], got["text"], got["listed"]) == ([5, 7], "5", ["a", "b"])
    assert (got["ok"], got["terms"]) == ([], 1)
    assert got["macs"] == [True, True, False]
    assert got["nets"] == ["255.255.240.0", 24]


@pytest.mark.skipif(not OLDEST.exists(), reason="no Python 3.6 on this machine")
def test_respawn_runs_the_module_again_under_another_python(tmp_path: Path) -> None:
    got = run_module(
        tmp_path,
        SYSTEM,
        "import sys\n"
        "from ansible.module_utils.common.respawn import (has_respawned,\n"
        "    probe_interpreters_for_module, respawn_module)\n"
        "found = probe_interpreters_for_module(['/nonexistent/python', m.params['file']], 'json')\n"
        "if not has_respawned():\n    respawn_module(found)\n"
        "out = dict(found=found, again=has_respawned(), python=list(sys.version_info[:2]),\n"
        "  none=probe_interpreters_for_module([m.params['file']], 'pbe_no_such_module'))",
        args=f"{{file: '{OLDEST}'}}",
    )
    assert (got["found"], got["again"], got["python"]) == (str(OLDEST), True, [3, 6])
    assert got["none"] is None


def test_imports_only_a_type_checker_reads_are_not_followed(tmp_path: Path) -> None:
    """A collection file imported under ``if TYPE_CHECKING:`` never runs: neither it nor
    what it imports is needed (community.crypto's action-plugin base)."""
    root = tmp_path / "ansible_collections" / "ns" / "c" / "plugins"
    write(
        root,
        {
            "module_utils/typed.py": "from ansible.plugins.action import ActionBase\n",
            "module_utils/real.py": "X = 1\n",
        },
    )
    text = (
        "import typing as t\nfrom typing import TYPE_CHECKING\n"
        "from ansible.module_utils.basic import AnsibleModule\n"
        "if t.TYPE_CHECKING:\n    from ..module_utils import typed\n"
        "    from ansible.module_utils.nothing import Y\n"
        "else:\n    from ..module_utils import real\n"
        "if TYPE_CHECKING:\n    from ansible.module_utils.nothing import Z\n"
    )
    found = hostimports.needs(text, "ansible_collections.ns.c.plugins.modules", [tmp_path])
    assert sorted(found.files) == ["ansible_collections/ns/c/plugins/module_utils/real.py"]
    assert hostimports.unserved(text, "ansible_collections.ns.c.plugins.modules", {}) == [
        "ansible.module_utils.basic"
    ]


def test_a_host_module_is_sent_only_the_module_utils_it_imports() -> None:
    """Every task sends its module's runtime on stdin: the pieces it imports (in functions
    and ``try`` too, and their own imports), basic's always, not the whole of it."""
    utils = "ansible/module_utils/"
    plain = served_for((("from ansible.module_utils.basic import AnsibleModule\n", ""),))
    assert f"{utils}basic.py" in plain
    assert f"{utils}common/text/converters.py" in plain  # basic imports it
    assert not {f"{utils}compat/version.py", f"{utils}api.py", f"{utils}urls.py"} & set(plain)
    assert sum(map(len, plain.values())) < sum(map(len, support_files().values())) * 2 / 3
    more = served_for(
        (
            ("def f():\n    from ansible.module_utils import api\n", ""),
            (
                "try:\n    from ..six.moves import shlex_quote\nexcept ImportError:\n    pass\n",
                "ansible.module_utils.common",
            ),
        )
    )
    assert set(more) - set(plain) == {
        f"{utils}api.py",
        f"{utils}six/moves/__init__.py",
    }


# -- real collection modules, from the installed ansible package -----------------------------

INSTALLED = Path("/work/ansible-full-venv/lib/python3.12/site-packages")
GENERAL = INSTALLED / "ansible_collections" / "community" / "general"


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    if not (GENERAL / "plugins" / "modules").is_dir():
        pytest.skip("community.general is not installed on this machine")
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", str(INSTALLED))


def installed_distribution() -> tuple[str, str, str]:
    """A package installed for the host's Python (name, version) and its ``sys.version``."""
    found = subprocess.run(
        [str(SYSTEM), "-c", PICK], capture_output=True, text=True, check=False
    ).stdout.split("\n", 2)
    if len(found) < 3 or not found[0]:
        pytest.skip("no package with a plain version is installed for the host's Python")
    return found[0], found[1], found[2].rstrip("\n")


PICK = """import importlib.metadata as m, re, sys
names = sorted((d.metadata['Name'], d.version) for d in m.distributions())
ok = [(n, v) for n, v in names
      if re.match(r'^[a-zA-Z][a-zA-Z0-9_-]+$', n) and re.match(r'^[0-9.]+$', v)]
print(ok[0][0] if ok else '')
print(ok[0][1] if ok else '')
print(sys.version)"""


def run_real(tmp_path: Path, tasks: str) -> dict[str, Any]:
    site = write(tmp_path, {"site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n{tasks}"})
    inventory = {
        "all": {
            "hosts": {"a": None},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(SYSTEM)},
        }
    }
    problems = [p for p in pbe.validate(site, inventory) if p.severity == "error"]
    assert not problems, problems
    return {r.task_name: r for r in pbe.run(site, inventory).results}


@pytest.mark.usefixtures("installed")
def test_real_collection_modules_run(tmp_path: Path) -> None:
    """kernel_blacklist and decompress (ModuleHelper: common.dict_transformations) and
    python_requirements_info (compat.version) from community.general."""
    name, version, python = installed_distribution()
    blacklist, packed, unpacked = tmp_path / "bl.conf", tmp_path / "a.gz", tmp_path / "a.txt"
    packed.write_bytes(gzip.compress(b"real module\n"))
    task = "community.general.kernel_blacklist: {{name: pbe_dummy, blacklist_file: {}}}"
    results = run_real(
        tmp_path,
        f"    - name: blacklist\n      {task.format(blacklist)}\n"
        f"    - name: again\n      {task.format(blacklist)}\n"
        f"    - name: decompress\n      community.general.decompress: {{src: {packed}, "
        f"dest: {unpacked}}}\n"
        "    - name: requirements\n      community.general.python_requirements_info:\n"
        f"        dependencies: ['{name}>=0.1', '{name}<0.0.1', pbe-surely-absent-package]\n",
    )
    statuses = {name: r.status for name, r in results.items()}
    assert statuses == {
        "blacklist": "changed",
        "again": "ok",
        "decompress": "changed",
        "requirements": "ok",
    }, {n: r.result.get("msg") for n, r in results.items()}
    assert blacklist.read_text() == "blacklist pbe_dummy\n"
    assert unpacked.read_text() == "real module\n"
    info = results["requirements"].result
    assert (info["python_version"], info["not_found"]) == (python, ["pbe-surely-absent-package"])
    assert info["valid"] == {name: {"installed": version, "desired": f"{name}>=0.1"}}
    assert info["mismatched"] == {name: {"installed": version, "desired": f"{name}<0.0.1"}}
