"""Ansible's configuration (ansible.cfg, ANSIBLE_*): which file, which value wins, paths
relative to the file, bad values with their line, and what each setting changes in a run.
Expected behaviour checked against ansible-core 2.21.5 (same files, same commands)."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import pytest

import playbook_engine as pbe
from playbook_engine import settings
from playbook_engine.cli import main
from playbook_engine.errors import OptionsError
from playbook_engine.inventory import load_inventory
from playbook_engine.options import RunOptions

LOCAL = "a ansible_connection=local\nb ansible_connection=local\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory as the working directory, with no ANSIBLE_CONFIG (the
    suite's conftest names an empty file): ./ansible.cfg is the one read."""
    monkeypatch.delenv("ANSIBLE_CONFIG")
    monkeypatch.delenv("ANSIBLE_INVENTORY")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.ansible.cfg of the machine
    work = tmp_path / "project"
    work.mkdir()
    work.chmod(0o755)
    monkeypatch.chdir(work)
    return work


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


# -- which file, which value ----------------------------------------------------------------


def test_the_working_directory_file_paths_relative_to_it_and_inline_comments(
    project: Path,
) -> None:
    write(
        project,
        {
            "ansible.cfg": (
                "# a comment line\n; another\n[defaults]\n"
                "roles_path = shared/roles:/abs/roles\n"
                "forks = 7 ; an inline comment\n"
                "inventory = hosts,other\nremote_user = 'a%b'\n"
                "[privilege_escalation]\nbecome = True\nbecome_user = app\n"
            )
        },
    )
    found = settings.load()
    assert found.file == project / "ansible.cfg"
    assert found["DEFAULT_ROLES_PATH"] == (project / "shared/roles", Path("/abs/roles"))
    assert found["DEFAULT_FORKS"] == 7
    assert found["DEFAULT_HOST_LIST"] == (project / "hosts", project / "other")
    assert (found["DEFAULT_BECOME"], found["DEFAULT_BECOME_USER"]) == (True, "app")
    assert found["DEFAULT_REMOTE_USER"] == "a%b"  # quotes dropped, no % interpolation
    assert found.origins["DEFAULT_FORKS"] == f"{project / 'ansible.cfg'}:5"
    assert "DEFAULT_TIMEOUT" not in found.origins and found["DEFAULT_TIMEOUT"] == 10.0


def test_an_environment_variable_beats_the_file_and_ansible_config_picks_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, {"ansible.cfg": "[defaults]\nforks = 7\nroles_path = here\n"})
    write(tmp_path / "elsewhere", {"ansible.cfg": "[defaults]\nroles_path = r\ntimeout = 3\n"})
    monkeypatch.setenv("ANSIBLE_FORKS", "9")
    assert settings.load()["DEFAULT_FORKS"] == 9
    monkeypatch.setenv("ANSIBLE_CONFIG", str(tmp_path / "elsewhere"))  # a directory: its file
    found = settings.load()
    assert found.file == tmp_path / "elsewhere" / "ansible.cfg"
    assert found["DEFAULT_ROLES_PATH"] == (tmp_path / "elsewhere" / "r",)
    assert found["DEFAULT_TIMEOUT"] == 3.0
    monkeypatch.setenv("ANSIBLE_ROLES_PATH", "rel:~/roles")  # a variable: relative to the cwd
    assert settings.load()["DEFAULT_ROLES_PATH"] == (
        project / "rel",
        tmp_path / "home" / "roles",
    )


def test_a_world_writable_working_directory_is_not_trusted(project: Path) -> None:
    write(project, {"ansible.cfg": "[defaults]\nforks = 7\n"})
    project.chmod(0o777)
    try:
        found = settings.load()
    finally:
        project.chmod(0o755)
    assert found.file is None and found["DEFAULT_FORKS"] == 50
    assert "world-writable" in found.problems[0].message
    assert found.problems[0].severity == "warning"


def test_the_home_file_when_the_working_directory_has_none(project: Path, tmp_path: Path) -> None:
    write(tmp_path / "home", {".ansible.cfg": "[defaults]\nremote_user = deploy\n"})
    assert settings.load()["DEFAULT_REMOTE_USER"] == "deploy"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[defaults]\nforks = many\n", "ansible.cfg:2: forks: 'many' is not a whole number"),
        ("[privilege_escalation]\n\nbecome = maybe\n", "cfg:3: become: 'maybe' is not a boolean"),
        ("[defaults]\ngathering = lazy\n", "gathering: 'lazy' is not one of implicit"),
        ("forks = 7\n", "cannot read"),  # no section header
        ("[defaults]\nforks = 1\nforks = 2\n", "cannot read"),
    ],
)
def test_a_bad_file_or_value_is_an_options_error_naming_the_line(
    project: Path, text: str, expected: str
) -> None:
    write(project, {"ansible.cfg": text, "site.yml": "- hosts: all\n  tasks: []\n"})
    with pytest.raises(OptionsError) as caught:
        settings.load()
    assert expected in str(caught.value)
    code, _, err = cli("validate", "site.yml")
    assert code == 5 and expected in err and "Traceback" not in err


def test_a_bad_variable_is_named(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSIBLE_TIMEOUT", "soon")
    with pytest.raises(OptionsError, match="ANSIBLE_TIMEOUT: timeout: 'soon' is not a number"):
        settings.load()


def test_settings_pbe_does_not_implement_are_warned_about_not_ignored(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": (
                "[defaults]\nhash_behaviour = merge\nerror_on_undefined_vars = False\n"
                "hash_behaviour_unknown_key = 1\njinja2_extensions = jinja2.ext.do, my.ext\n"
                "stdout_callback = yaml\n"
            ),
            "site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks: []\n",
        },
    )
    code, _, out = cli("validate", "site.yml")
    assert code == 0
    assert "ansible.cfg:2:1: hash_behaviour = merge is not supported by pbe" in out
    assert "ansible.cfg:3:1: error_on_undefined_vars = False is not supported" in out
    assert "`my.ext` is not loaded" in out
    assert "jinja2.ext.do" not in out.split("`my.ext`")[0]  # Jinja's own: loaded, no warning
    assert "stdout_callback" not in out and "unknown_key" not in out  # output settings: ignored


def test_current_reads_again_when_the_file_changes(project: Path) -> None:
    write(project, {"ansible.cfg": "[defaults]\nforks = 7\n"})
    assert settings.current()["DEFAULT_FORKS"] == 7
    write(project, {"ansible.cfg": "[defaults]\nforks = 12\n"})
    assert settings.current()["DEFAULT_FORKS"] == 12


# -- what they change --------------------------------------------------------------------


def test_options_take_their_defaults_from_the_settings_and_flags_win(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": (
                "[defaults]\nforks = 3\nremote_user = deploy\nprivate_key_file = keys/id\n"
                "host_key_checking = False\ntimeout = 4\nremote_port = 2222\n"
                "force_handlers = yes\n"
                "[privilege_escalation]\nbecome = true\nbecome_method = su\n[diff]\nalways = 1\n"
            )
        },
    )
    opts = RunOptions()
    assert (opts.forks, opts.user, opts.private_key) == (3, "deploy", str(project / "keys/id"))
    assert (opts.host_key_checking, opts.timeout, opts.port) == ("off", 4.0, 2222)
    assert (opts.become, opts.become_method, opts.diff, opts.force_handlers) == (
        True,
        "su",
        True,
        True,
    )
    assert RunOptions(forks=8, user="me").forks == 8


def test_a_project_runs_with_its_inventory_roles_library_and_plugins_from_the_file(
    project: Path,
) -> None:
    """The layout many repositories have: ansible.cfg names the inventory, the roles and
    the plugin folders, and `pbe run site.yml` needs no flag."""
    write(
        project,
        {
            "ansible.cfg": (
                "[defaults]\ninventory = inventories/hosts.ini\nroles_path = ../shared/roles\n"
                "library = ../shared/modules\nfilter_plugins = ../shared/filters\n"
                "jinja2_extensions = jinja2.ext.loopcontrols\nansible_managed = by the fleet\n"
            ),
            "inventories/hosts.ini": LOCAL,
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  roles: [greeter]\n  tasks:\n"
                "    - shout: {text: hi}\n      register: out\n"
                "    - debug:\n        msg: >-\n"
                "          {{ out.text }} {{ 'x' | twice }}"
                " {% for i in [1, 2, 3] %}{% if i == 2 %}{% break %}{% endif %}{{ i }}"
                "{% endfor %} {{ ansible_managed }}\n"
            ),
        },
    )
    shared = project.parent / "shared"
    write(
        shared,
        {
            "roles/greeter/tasks/main.yml": "- debug: msg=greeted\n",
            "modules/shout.py": (
                "from playbook_engine.modules import Arg, Module, Result, register\n\n\n"
                '@register("shout")\nclass Shout(Module):\n'
                '    """Upper case."""\n\n'
                '    args = {"text": Arg("str", required=True, description="x")}\n\n'
                "    def run(self, args, ctx):\n"
                "        return Result(values={'text': args['text'].upper()})\n"
            ),
            "filters/twice.py": (
                "class FilterModule:\n    def filters(self):\n"
                "        return {'twice': lambda s: s * 2}\n"
            ),
        },
    )
    code, out, err = cli("run", "site.yml")
    assert code == 0, out + err
    assert out.count('"msg": "greeted"') == 2
    assert out.count('"msg": "HI xx 1 by the fleet"') == 2


def test_validate_checks_the_inventory_the_setting_names(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": "[defaults]\ninventory = hosts.yml\n",
            "hosts.yml": "all:\n  hosts:\n    a: {ansible_connection: local}\n  bogus: 1\n",
            "site.yml": "- hosts: all\n  gather_facts: false\n  tasks: []\n",
        },
    )
    code, _, err = cli("validate", "site.yml")
    assert code == 4 and "hosts.yml" in err


def test_inventory_named_by_the_setting_but_missing_is_a_warning(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": "[defaults]\ninventory = nowhere.ini\n",
            "site.yml": "- hosts: localhost\n  gather_facts: false\n  tasks: [{debug: msg=x}]\n",
        },
    )
    code, _, err = cli("run", "site.yml")
    assert code == 0
    assert f"{project / 'nowhere.ini'} does not exist (skipped)" in err


def test_handlers_gathering_and_errors_follow_the_settings(project: Path) -> None:
    """error_on_missing_handler false: a warning, the task stays changed; force_handlers:
    the failed host still runs its handler; gathering smart: facts once per host."""
    write(
        project,
        {
            "ansible.cfg": (
                "[defaults]\ngathering = smart\nerror_on_missing_handler = False\n"
                "force_handlers = True\ninventory = hosts\n"
            ),
            "hosts": LOCAL,
            "site.yml": (
                "- hosts: all\n  tasks:\n"
                "    - {command: 'true', notify: nobody}\n"
                "    - {command: 'true', notify: h}\n"
                "    - {fail: msg=boom, when: inventory_hostname == 'b'}\n"
                "  handlers:\n    - {name: h, debug: msg=handled}\n"
                "- hosts: all\n  tasks:\n    - debug: msg=second\n"
            ),
        },
    )
    code, out, err = cli("run", "site.yml")
    assert code == 2
    assert "warning: site.yml:3:" in err and "no handler of this play: `nobody`" in err
    assert out.count("TASK [Gathering Facts]") == 1
    assert out.count('"msg": "handled"') == 2
    # the recap Ansible 2.21 prints for the same files
    assert "a : ok=5 changed=2 unreachable=0 failed=0 skipped=1" in " ".join(out.split())
    assert "b : ok=4 changed=2 unreachable=0 failed=1 skipped=0" in " ".join(out.split())


def test_gathering_explicit_any_errors_fatal_and_no_log(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": (
                "[defaults]\ngathering = explicit\nany_errors_fatal = True\nno_log = True\n"
            ),
            "site.yml": (
                "- hosts: all\n  tasks:\n"
                "    - debug: msg=the-secret\n"
                "    - {fail: msg=boom, when: inventory_hostname == 'a'}\n"
                "    - debug: msg=after\n"
            ),
        },
    )
    result = pbe.run(
        project / "site.yml", {"all": {"hosts": {"a": None, "b": None}}}, connection="local"
    )
    by_task = [(r.host, r.task_name, r.status) for r in result.results]
    assert not any(name == "Gathering Facts" for _, name, _ in by_task)
    assert ("b", "debug", "ok") not in by_task[2:]  # any_errors_fatal: nothing after `fail`
    assert all(r.no_log for r in result.results)
    assert "the-secret" not in repr([r.result for r in result.results])


def test_become_from_the_file_reaches_the_command(project: Path) -> None:
    """[privilege_escalation] become: every task becomes root unless it says otherwise.
    Seen through the command pbe sends (a `sudo` wrapper) at -vv, on the local
    connection."""
    write(
        project,
        {
            "ansible.cfg": "[privilege_escalation]\nbecome = True\nbecome_user = nobody\n",
            "hosts": "a ansible_connection=local\n",
            "site.yml": (
                "- hosts: all\n  gather_facts: false\n  tasks:\n"
                "    - command: echo one\n"
                "    - command: echo two\n      become: false\n"
            ),
        },
    )
    events: list[pbe.Event] = []
    pbe.run(project / "site.yml", project / "hosts", on_event=events.append, verbosity=2)
    sent = [e.command for e in events if type(e).__name__ == "CommandSent"]
    one = [c for c in sent if "echo one" in c]
    two = [c for c in sent if "echo two" in c]
    assert one and all("sudo" in c and "nobody" in c for c in one)
    assert two and not any("sudo" in c for c in two)


def test_config_lookup_gives_the_value_in_force(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": "[defaults]\nforks = 7\nroles_path = myroles\n",
            "site.yml": (
                "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                "    - debug:\n        msg: \"{{ lookup('config', 'DEFAULT_FORKS') }} "
                "{{ lookup('config', 'DEFAULT_ROLES_PATH') }} "
                "{{ lookup('config', 'DEFAULT_HASH_BEHAVIOUR') }}\"\n"
            ),
        },
    )
    result = pbe.run(project / "site.yml")
    assert result.results[0].result["msg"] == f"7 ['{project / 'myroles'}'] replace"


def test_flags_beat_the_file(project: Path) -> None:
    write(
        project,
        {
            "ansible.cfg": "[defaults]\ninventory = hosts\nforks = 3\n",
            "hosts": "a ansible_connection=local\n",
            "other": "z ansible_connection=local\n",
            "site.yml": "- hosts: all\n  gather_facts: false\n  tasks: [{debug: msg=x}]\n",
        },
    )
    code, out, _ = cli("run", "site.yml", "-i", "other", "--forks", "2")
    assert code == 0 and "ok: [z]" in out and "[a]" not in out


@pytest.mark.skipif(Path("/etc/ansible/ansible.cfg").exists(), reason="this machine has one")
def test_nothing_set_is_pbe_defaults_without_warnings(project: Path) -> None:
    assert not (project / "ansible.cfg").exists()
    found = settings.load(environ={k: v for k, v in os.environ.items() if k != "ANSIBLE_CONFIG"})
    assert found.origins == {} and found.problems == ()


def test_collections_on_the_python_path_are_found_unless_the_setting_says_no(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pip install ansible` puts its collections in site-packages/ansible_collections;
    pbe installed in the same environment finds them, as Ansible does."""
    site_packages = tmp_path / "site-packages"
    write(
        site_packages / "ansible_collections/acme/tools/roles/hello",
        {"tasks/main.yml": "- debug: msg=from-the-collection\n"},
    )
    write(
        project,
        {"site.yml": "- hosts: localhost\n  gather_facts: false\n  roles: [acme.tools.hello]\n"},
    )
    monkeypatch.syspath_prepend(str(site_packages))
    result = pbe.run(project / "site.yml")
    assert [r.result.get("msg") for r in result.results] == ["from-the-collection"]
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", "false")
    assert any("role not found" in p.message for p in pbe.validate(project / "site.yml"))


def test_the_default_inventory_is_etc_ansible_hosts_when_it_exists(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Ansible: no -i and no `inventory` setting reads /etc/ansible/hosts; a machine
    without one gets the implicit localhost and no warning."""
    etc = project / "etc-hosts"
    monkeypatch.setattr(
        settings,
        "SETTINGS",
        tuple(
            dataclasses.replace(s, default=(etc,)) if s.name == "DEFAULT_HOST_LIST" else s
            for s in settings.SETTINGS
        ),
    )
    assert settings.BY_NAME["DEFAULT_HOST_LIST"].default == (Path("/etc/ansible/hosts"),)
    inventory = load_inventory(None)
    assert list(inventory.hosts) == [] and inventory.warnings == []
    etc.write_text("web1 ansible_connection=local\n")
    assert list(load_inventory(None).hosts) == ["web1"]
