"""The leak test: a marker planted in every kind of secret, and every output grepped for it.

Kinds of secret: a password variable that is a string, an int, a list, an INI value; one
templated from a vault-like variable in group_vars, host_vars, play vars and ``-e``; ``-e``
values; the Python API's ``password``/``become_password``; a ``no_log`` result; a
``no_log`` task whose keyword fails to convert. Outputs: the console at -v/-vv/-vvv,
``--format json``/``jsonl``, ``--junit``, ``--log``, ``--profile``, ``--retry-file``,
stderr, the API's events and ``RunResult``; and the error messages of ``-e`` and inventory
parsing, which must keep the location but not the value. Local connection throughout (the
fleet test for a templated become password is in tests/integration/test_secrets_ssh.py).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import playbook_engine as pbe
from playbook_engine.cli import main
from playbook_engine.events import HostResult
from playbook_engine.masking import MASK

INVENTORY_YAML = """
all:
  vars: {ansible_connection: local}
  hosts:
    h_str: {ansible_password: MKstr7Q}
    h_int: {ansible_become_password: 33334444}
    h_list: {ansible_ssh_pass: [MKlistA9, 44445555]}
    h_host:
  children:
    vaulted:
      hosts: {h_vault: }
"""
INVENTORY_INI = """
[ini]
h_ini ansible_connection=local ansible_become_pass=55556666 ansible_su_pass=MKini3Z
"""
GROUP_VARS = 'ansible_become_password: "{{ vault_become }}"\nvault_become: MKvault5\n'
HOST_VARS = 'ansible_become_pass: "{{ vault_hv }}"\nvault_hv: [MKhvY1, 66667777]\n'

PLAYBOOK = """
- name: "play shows {{ play_secret }}"
  hosts: all
  gather_facts: false
  vars:
    ansible_sudo_password: "{{ play_secret }}"
    play_secret: MKplay4
    kw_token: MKkw2
  tasks:
    - name: "task named {{ play_secret }} {{ extra_vault }}"
      debug:
        msg:
          vault: "{{ vault_become | default('') }}"
          hv: "{{ vault_hv | default('') }}"
          play: "{{ play_secret }}"
          extra: "{{ extra_vault }}"
          int: "{{ ansible_become_password | default(0) }}"
    - name: every password variable
      debug: {msg: "{{ vars[item] | default('') }}"}
      loop: [ansible_password, ansible_ssh_pass, ansible_become_password, ansible_become_pass,
             ansible_su_pass, ansible_sudo_pass, ansible_sudo_password, ansible_ssh_password]
    - name: one password variable
      debug: var=ansible_become_password
    - name: echo them
      shell: >-
        echo "{{ ansible_password | default('') }} {{ ansible_ssh_pass | default('') }}
        {{ ansible_become_password | default('') }} {{ ansible_become_pass | default('') }}
        {{ ansible_su_pass | default('') }} {{ ansible_sudo_pass }} x{{ ansible_ssh_password }}x
        {{ vault_hv | default('') }} {{ ask | default('') }}"
    - name: hidden result
      command: echo MKnolog6
      no_log: true
    - name: hidden keyword
      command: "true"
      timeout: "{{ kw_token }}"
      no_log: true
      ignore_errors: true
    - name: fail with them
      fail:
        msg: "bad {{ ansible_password | default('') }} {{ ansible_become_password | default('') }}"
"""

MARKERS = (
    "MKstr7Q",
    "33334444",
    "MKlistA9",
    "44445555",
    "55556666",
    "MKini3Z",
    "MKvault5",
    "MKhvY1",
    "66667777",
    "MKplay4",
    "MKkw2",
    "MKextra8",
    "77778888",
    "MKexv",
    "MKnolog6",
    "MKask1",
    "MKask2",
)
HOSTS = ["h_host", "h_ini", "h_int", "h_list", "h_str", "h_vault"]


def pbe_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def leaks(*texts: str) -> list[str]:
    return [m for m in MARKERS if any(m in t for t in texts)]


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Path]:
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "host_vars").mkdir()
    (inv / "hosts.yml").write_text(INVENTORY_YAML)
    (inv / "more.ini").write_text(INVENTORY_INI)
    (inv / "group_vars" / "vaulted.yml").write_text(GROUP_VARS)
    (inv / "host_vars" / "h_host.yml").write_text(HOST_VARS)
    book = tmp_path / "site.yml"
    book.write_text(PLAYBOOK)
    return {"inv": inv, "book": book, "dir": tmp_path}


EXTRA = (
    "-e",
    "ansible_sudo_pass=MKextra8",
    "-e",
    '{"ansible_ssh_password": 77778888}',
    "-e",
    '{"ansible_su_password": "{{ extra_vault }}", "extra_vault": MKexv}',
)


@pytest.mark.parametrize("verbosity", ["-v", "-vv", "-vvv"])
@pytest.mark.parametrize("fmt", ["human", "json", "jsonl"])
def test_no_marker_reaches_any_output(project: dict[str, Path], verbosity: str, fmt: str) -> None:
    files = {n: project["dir"] / n for n in ("junit.xml", "run.log", "retry.txt")}
    code, out, err = pbe_cli(
        "run",
        str(project["book"]),
        "-i",
        str(project["inv"]),
        verbosity,
        "--format",
        fmt,
        "--profile",
        *EXTRA,
        "--junit",
        str(files["junit.xml"]),
        "--log",
        str(files["run.log"]),
        "--retry-file",
        str(files["retry.txt"]),
    )
    texts = [out, err, *(f.read_text() for f in files.values())]
    assert code == 2, out + err
    assert "internal error" not in out + err + files["run.log"].read_text()
    assert leaks(*texts) == []
    assert files["retry.txt"].read_text().split() == HOSTS
    if fmt == "json":
        doc = json.loads(out)
        assert doc["stats"]["h_int"]["failed"] == 1 and doc["stats"]["h_int"]["ignored"] == 1
    assert MASK in out


def test_masked_values_keep_their_place(project: dict[str, Path]) -> None:
    """Every kind is masked where it appears (not dropped), the int as text, and the
    no_log keyword failure fails its task with a message naming the keyword, not the value."""
    events: list[Any] = []
    result = pbe.run(
        project["book"],
        [str(project["inv"])],
        on_event=events.append,
        extra_vars={
            "ansible_sudo_pass": "MKextra8",
            "ansible_ssh_password": 77778888,
            "extra_vault": "MKexv",
            "ansible_su_password": "{{ extra_vault }}",
            "ask": "MKask1 MKask2",
        },
        password="MKask1",
        become_password="MKask2",
    )
    assert leaks(repr(events), repr(result)) == []
    by_task = {(e.task_name, e.host): e for e in events if isinstance(e, HostResult)}
    shown = by_task[(f"task named {MASK} {MASK}", "h_int")].result["msg"]
    assert shown == {"vault": "", "hv": "", "play": MASK, "extra": MASK, "int": MASK}
    assert by_task[(f"task named {MASK} {MASK}", "h_vault")].result["msg"]["vault"] == MASK
    assert by_task[(f"task named {MASK} {MASK}", "h_host")].result["msg"]["hv"] == [MASK, MASK]
    items = by_task[("every password variable", "h_list")].items
    assert items[1]["msg"] == [MASK, MASK]
    shown_var = by_task[("one password variable", "h_int")].result
    assert shown_var["ansible_become_password"] == MASK
    keyword = by_task[("hidden keyword", "h_str")]
    assert keyword.status == "failed" and keyword.ignored
    assert set(keyword.result) == {"changed", "failed", "censored"}
    echoed = by_task[("echo them", "h_ini")].result["stdout"]
    assert echoed.split() == [MASK] * 3 + [f"x{MASK}x", MASK, MASK]


def test_no_log_keyword_error_names_the_keyword_not_the_value(tmp_path: Path) -> None:
    """Without no_log the failed conversion is a clear task failure (not an internal error)
    whose message shows the expression, never the value it gave."""
    book = tmp_path / "kw.yml"
    book.write_text("""
- hosts: localhost
  gather_facts: false
  vars: {kw_token: MKkw2, n: MKkw3}
  tasks:
    - {command: "true", timeout: "{{ kw_token }}", ignore_errors: true}
    - {command: "true", retries: "{{ n }}", until: "true", ignore_errors: true}
    - {command: "true", delay: "{{ n }}", until: "true", ignore_errors: true}
    - {debug: {msg: x}, loop: [1], loop_control: {pause: "{{ n }}"}, ignore_errors: true}
""")
    results: list[HostResult] = []
    run = pbe.run(book, on_event=lambda e: results.append(e) if isinstance(e, HostResult) else None)
    assert run.exit_code == 0
    msgs = [r.message for r in results]
    assert [r.status for r in results] == ["failed"] * 4
    assert msgs[0].startswith("`timeout` must be a number; `{{ kw_token }}` gave a string")
    assert msgs[1].startswith("`retries` must be a number; `{{ n }}` gave a string")
    assert msgs[2].startswith("`delay` must be a number")
    assert "MKkw" not in repr(results) and "internal error" not in repr(results)


# -- error messages: the location stays, the value goes ------------------------------------


def test_extra_vars_parse_errors_do_not_echo_the_secret(tmp_path: Path) -> None:
    code, _, err = pbe_cli("run", "x.yml", "-e", 'ansible_become_password="MKe1 x other=1')
    assert code == 5 and "-e" in err and "MKe1" not in err
    code, _, err = pbe_cli("run", "x.yml", "-e", "ansible_password MKe2")
    assert code == 5 and "kept as `_raw_params`" in err and "MKe2" not in err
    bad = tmp_path / "secrets.yml"
    bad.write_text('user: me\nansible_become_password: "MKe3" extra\n')
    code, _, err = pbe_cli("run", "x.yml", "-e", f"@{bad}")
    assert code == 4 and f"{bad}:2:" in err and "MKe3" not in err
    assert f"ansible_become_password: {MASK}" in err


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("[web]\nh1 ansible_password=MKi1 ansible_port=22 stray\n", ":2:", "got `stray`"),
        ("[web]\nh1 ansible_password=MKi2 MKi2b ansible_port=22\n", ":2:", f"got `{MASK}`"),
        (
            "[web]\nh1\n[web:vars]\nansible_become_pass MKi3\n",
            ":4:",
            f"got `ansible_become_pass {MASK}`",
        ),
        ('[web]\nh1 ansible_su_pass="MKi4 x\n', ":2:", "cannot parse host line"),
        ("[web:children]\nansible_password=MKi5\n", ":2:", "which is never defined"),
        ("[web]\nh1\nansible_become_pass=MKi6\n", ":3:", "is not a host name"),
    ],
)
def test_ini_errors_do_not_echo_the_secret(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    inv = tmp_path / "hosts.ini"
    inv.write_text(text)
    code, _, err = pbe_cli("validate", str(_book(tmp_path)), "-i", str(inv))
    assert code == 4 and f"{inv}{where}" in err and message in err, err
    assert "MKi" not in err, err
    code, out, _ = pbe_cli("validate", str(_book(tmp_path)), "-i", str(inv), "--format", "json")
    assert "MKi" not in out and json.loads(out)["errors"] >= 1


@pytest.mark.parametrize(
    ("text", "line", "masked"),
    [
        ("all:\n  hosts:\n    h1:\n      ansible_password: MKy1: bad\n", 4, True),
        (
            "all:\n  hosts:\n    h1:\n      ansible_become_password:\n        - MKy2\n"
            "        - MKy3: x: y\n",
            6,
            True,
        ),
        (
            "all:\n  hosts:\n    h1:\n      ansible_become_password:\n        a: MKy4\n"
            "        b: MKy5: c\n",
            6,
            True,
        ),
        ("all:\n  hosts:\n    h1:\n      ansible_password: MKy8\n        MKy9: x\n", 5, True),
        (
            "all:\n  hosts:\n    h1:\n      ansible_become_password:\n        - [MKy3\n    h2:\n",
            6,
            False,
        ),
        (
            "all:\n  vars:\n    ansible_password: MKy6\n    ansible_password: MKy7\n  hosts: {h1: }\n",  # noqa: E501 - test data
            4,
            True,
        ),
    ],
)
def test_yaml_inventory_errors_do_not_echo_the_secret(
    tmp_path: Path, text: str, line: int, masked: bool
) -> None:
    """The value under a password key is masked on its own line and on the lines of its
    block (a list, a mapping, a continued string); the location stays."""
    inv = tmp_path / "hosts.yml"
    inv.write_text(text)
    code, _, err = pbe_cli("validate", str(_book(tmp_path)), "-i", str(inv))
    assert f"{inv}:{line}:" in err and "MKy" not in err, err
    assert code == (0 if "MKy6" in text else 4)
    shown = [ln for ln in err.splitlines() if ln.startswith("    ") and ln.strip() != "^"]
    assert len(shown) == 1 and (MASK in shown[0]) == masked, err


def _book(tmp_path: Path) -> Path:
    book = tmp_path / "ok.yml"
    book.write_text("- hosts: all\n  tasks: [{ping: }]\n")
    return book
