"""Ansible modules a project ships in ``library/`` run on the host, as Ansible runs them:
Python ones under the host's Python with pbe's own ``ansible.module_utils``, scripts and
binaries with an arguments file. Local connection; every file is under tmp_path."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from playtree import write

import playbook_engine as pbe
from playbook_engine.modules.util.hostmodule import argument_spec

INVENTORY = {
    "all": {
        "hosts": {"a": None},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"},
    }
}

WRITER = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.greeting import greet


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            content=dict(type='str', default='hi'),
            token=dict(type='str', no_log=True),
            force=dict(type='bool', default=False, aliases=['overwrite']),
            count=dict(type='int', default=1),
            state=dict(choices=['present', 'absent'], default='present'),
        ),
        supports_check_mode=CHECK,
    )
    p = module.params
    try:
        with open(p['path']) as handle:
            same = handle.read() == p['content'] * p['count']
    except IOError:
        same = False
    if not same and not module.check_mode:
        with open(p['path'], 'w') as handle:
            handle.write(p['content'] * p['count'])
    rc, out, err = module.run_command(['echo', p['token'] or 'none'])
    module.exit_json(changed=not same, path=p['path'], echoed=out.strip(), force=p['force'],
                     hello=greet(p['content']))


if __name__ == '__main__':
    main()
"""
GREETING = "def greet(name):\n    return 'hello ' + name\n"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def tree(tmp_path: Path, name: str, tasks: str, check_mode: bool = True) -> Path:
    return write(
        tmp_path,
        {
            f"library/{name}.py": WRITER.replace("CHECK", str(check_mode)),
            "module_utils/greeting.py": GREETING,
            "site.yml": f"- hosts: a\n  gather_facts: false\n  tasks:\n{tasks}",
        },
    )


def by_name(result: Any) -> dict[str, Any]:
    return {r.task_name: r for r in result.results}


def test_a_python_library_module_runs_with_the_hosts_python(tmp_path: Path) -> None:
    name, out = unique("pbe_t_pym"), tmp_path / "out.txt"
    site = tree(
        tmp_path,
        name,
        f"    - name: first\n      {name}: {{path: {out}, content: ab, count: '2', "
        "token: s3cr3t, overwrite: 'yes'}\n"
        f"    - name: again\n      {name}: {{path: {out}, content: ab, count: 2}}\n",
    )
    assert not [p for p in pbe.validate(site) if p.severity == "error"]
    result = pbe.run(site, INVENTORY)
    assert result.exit_code == 0
    assert out.read_text() == "abab"
    first, again = by_name(result)["first"], by_name(result)["again"]
    assert (first.status, again.status) == ("changed", "ok")
    values = first.result
    assert values["force"] is True  # the alias, converted from 'yes'
    assert values["hello"] == "hello ab"  # the project's module_utils
    assert values["echoed"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # no_log, as Ansible
    assert "s3cr3t" not in json.dumps(values)
    assert (values["state"], values["mode"], values["size"]) == ("file", "0644", 4)


def test_a_module_file_changed_between_runs_is_read_again(tmp_path: Path) -> None:
    """The code sent to hosts is built once per file version, not once per task; an edit
    (a project's module_utils here) is seen by the next run."""
    name, out = unique("pbe_t_edit"), tmp_path / "out.txt"
    site = tree(tmp_path, name, f"    - {name}: {{path: {out}, content: x}}\n")
    first = pbe.run(site, INVENTORY).results[0].result["hello"]
    (tmp_path / "module_utils/greeting.py").write_text(
        "def greet(name):\n    return 'good day, ' + name + '!'\n"
    )
    second = pbe.run(site, INVENTORY).results[0].result["hello"]
    assert (first, second) == ("hello x", "good day, x!")


def test_check_mode_asks_the_module_or_skips_it(tmp_path: Path) -> None:
    name, out = unique("pbe_t_pyc"), tmp_path / "out.txt"
    site = tree(tmp_path, name, f"    - name: w\n      {name}: {{path: {out}}}\n")
    result = pbe.run(site, INVENTORY, check=True)
    assert by_name(result)["w"].status == "changed" and not out.exists()

    other = tmp_path / "other"
    name = unique("pbe_t_nocheck")
    site = tree(other, name, f"    - name: w\n      {name}: {{path: {out}}}\n", False)
    result = pbe.run(site, INVENTORY, check=True)
    skipped = by_name(result)["w"]
    assert skipped.status == "skipped" and not out.exists()
    assert skipped.result["msg"] == f"remote module ({name}) does not support check mode"


def test_arguments_are_checked_before_the_run_and_by_the_module(tmp_path: Path) -> None:
    name = unique("pbe_t_pya")
    site = tree(tmp_path, name, f"    - {name}: {{path: /x, bogus: 1, state: gone}}\n")
    errors = {p.message for p in pbe.validate(site) if p.severity == "error"}
    assert errors == {
        f"unsupported argument `bogus` for module `{name}`",
        f"{name}: `state` must be one of present, absent, got 'gone'",
    }
    site = tree(
        tmp_path,
        name,
        f"    - name: bad\n      {name}: {{path: /x, count: '{{{{ \"many\" }}}}'}}\n"
        "      ignore_errors: true\n"
        f"    - name: unknown\n      {name}: {{path: /x, bogus: 1}}\n"
        "      ignore_errors: true\n",
    )
    result = by_name(pbe.run(site, INVENTORY))
    assert (
        result["bad"]
        .result["msg"]
        .startswith(
            "argument 'count' is of type <class 'str'> and we were unable to convert to int"
        )
    )
    assert result["unknown"].result["msg"] == (
        f"Unsupported parameters for ({name}) module: bogus. Supported parameters include: "
        "content, count, force (overwrite), path, state, token."
    )


def test_a_spec_built_at_run_time_is_left_to_the_module() -> None:
    assert argument_spec("AnsibleModule(argument_spec=dict(a=dict(type='int')))") == {
        "a": {"type": "int"}
    }
    built = "spec = dict(a=dict())\nspec.update(extra())\nAnsibleModule(argument_spec=spec)\n"
    assert argument_spec(built) is None
    named = "spec = {'a': {'fallback': (env_fallback, ['A'])}}\nm = AnsibleModule(spec)\n"
    assert argument_spec(named) == {"a": {"fallback": ["env_fallback", ["A"]]}}


def test_a_module_that_fails_or_imports_what_pbe_lacks_says_so(tmp_path: Path) -> None:
    """An unconditional import of a part of ansible.module_utils pbe does not serve is
    known before the run: a validation error where a task uses the module, deferred to the
    run in a file only included at run time (as a module pbe lacks). One inside a function
    fails when the module gets there."""
    name = unique("pbe_t_pyf")
    files = {
        f"library/{name}.py": (
            "from ansible.module_utils.basic import AnsibleModule\n"
            "from ansible.module_utils.network.common.utils import to_list\n"
        ),
        f"library/{name}_late.py": (
            "from ansible.module_utils.basic import AnsibleModule\n"
            "def main():\n"
            "    from ansible.module_utils.network.common.utils import to_list\n"
            "main()\n"
        ),
        f"library/{name}_raise.py": (
            "from ansible.module_utils.basic import AnsibleModule\n"
            "AnsibleModule(argument_spec={})\nraise RuntimeError('boom')\n"
        ),
        "later.yml": f"- name: imports\n  {name}: {{}}\n  ignore_errors: true\n",
        "site.yml": (
            "- hosts: a\n  gather_facts: false\n  tasks:\n"
            f"    - name: imports\n      {name}: {{}}\n      ignore_errors: true\n"
        ),
    }
    site = write(tmp_path, files)
    with pytest.raises(pbe.ValidationFailed) as failed:
        pbe.run(site, INVENTORY)
    assert f"site.yml:5:7: `{name}` ({tmp_path}/library/{name}.py) imports " in str(failed.value)
    assert "ansible.module_utils.network.common.utils, which pbe's host runtime does not" in str(
        failed.value
    )
    site.write_text(
        "- hosts: a\n  gather_facts: false\n  tasks:\n"
        "    - include_tasks: later.yml\n"
        f"    - name: late\n      {name}_late: {{}}\n      ignore_errors: true\n"
        f"    - name: raises\n      {name}_raise: {{}}\n      ignore_errors: true\n"
    )
    run = pbe.run(site, INVENTORY)
    result = by_name(run)
    assert result["imports"].status == "failed"
    assert "which pbe's host runtime does not provide" in result["imports"].result["msg"]
    assert result["late"].status == "failed"
    assert "ansible.module_utils.network" in result["late"].result["msg"]
    assert result["raises"].result["msg"] == "MODULE FAILURE: RuntimeError: boom"
    assert "Traceback" in result["raises"].result["exception"]


def test_script_modules_get_an_arguments_file(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    site = write(
        tmp_path,
        {
            "library/oldstyle": (
                f'#!/bin/sh\ncat "$1" > {seen}\n'
                'echo \'noise before {"changed": true, "said": "hi"}\'\n'
            ),
            "library/jsonish.sh": (
                '#!/bin/sh\n# WANT_JSON\nprintf \'{"changed": false, "args": %s}\' "$(cat $1)"\n'
            ),
            "site.yml": (
                "- hosts: a\n  gather_facts: false\n  tasks:\n"
                "    - name: old\n      oldstyle: {word: two words}\n"
                "    - name: new\n      jsonish: {n: 3}\n"
            ),
        },
    )
    for path in (tmp_path / "library").iterdir():
        path.chmod(0o644)  # Ansible runs them whatever their mode; so does pbe
    result = by_name(pbe.run(site, INVENTORY))
    assert (result["old"].status, result["old"].result["said"]) == ("changed", "hi")
    assert seen.read_text() == "word='two words' _ansible_check_mode=False _ansible_diff=False"
    assert result["new"].status == "ok"
    assert result["new"].result["args"] == {
        "n": 3,
        "_ansible_check_mode": False,
        "_ansible_diff": False,
    }


def test_module_utils_for_http_and_files(tmp_path: Path) -> None:
    """``urls.fetch_url`` and ``facts.utils`` are there for the modules that import them."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = b"pong" if self.path == "/ping" else b"no"
            self.send_response(200 if self.path == "/ping" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Pbe", "yes")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "lines").write_text("a:b:c:\n")
    name = unique("pbe_t_pyu")
    try:
        site = write(
            tmp_path,
            {
                f"library/{name}.py": (
                    "from ansible.module_utils.basic import AnsibleModule\n"
                    "from ansible.module_utils.urls import fetch_url\n"
                    "from ansible.module_utils.facts.utils import get_file_lines\n"
                    "m = AnsibleModule(argument_spec=dict(url=dict(), lines=dict(type='path')))\n"
                    "r, info = fetch_url(m, m.params['url'] + '/ping')\n"
                    "_, miss = fetch_url(m, m.params['url'] + '/nope')\n"
                    "m.exit_json(body=r.read().decode(), status=info['status'], "
                    "header=info['x-pbe'], missing=miss['status'], "
                    "parts=get_file_lines(m.params['lines'], line_sep=':'))\n"
                ),
                "site.yml": (
                    "- hosts: a\n  gather_facts: false\n  tasks:\n"
                    f"    - name: get\n      {name}: {{url: 'http://127.0.0.1:"
                    f"{server.server_address[1]}', lines: {tmp_path / 'lines'}}}\n"
                ),
            },
        )
        got = by_name(pbe.run(site, INVENTORY))["get"].result
    finally:
        server.shutdown()
        server.server_close()
    assert (got["body"], got["status"], got["header"], got["missing"]) == ("pong", 200, "yes", 404)
    assert got["parts"] == ["a", "b", "c"]


OLDEST = Path("/root/.pyenv/versions/3.6.15/bin/python3")


@pytest.mark.skipif(not OLDEST.exists(), reason="no Python 3.6 on this machine")
def test_the_runner_and_module_utils_run_under_python_3_6(tmp_path: Path) -> None:
    """RHEL 8's platform-python is 3.6: the oldest host Python the runner promises."""
    name, out = unique("pbe_t_py36"), tmp_path / "out.txt"
    site = tree(tmp_path, name, f"    - name: w\n      {name}: {{path: {out}, count: '3'}}\n")
    inventory = {
        "all": {
            "hosts": {"a": None},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": str(OLDEST)},
        }
    }
    result = by_name(pbe.run(site, inventory))["w"]
    assert (result.status, result.result["hello"]) == ("changed", "hello hi")
    assert out.read_text() == "hihihi"
