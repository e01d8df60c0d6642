"""apache2_module's shell commands run for real on this machine, against stand-in
apache2ctl/a2enmod/a2dismod scripts (apache2 is not installed here) that keep the enabled
modules as files in a temp dir, as Debian's mods-enabled does: check mode predicts the
run, the second run changes nothing, and the "enabled" files are what the task asked."""

from __future__ import annotations

from pathlib import Path

from playbook_engine.api import run
from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}


def stand_ins(tmp: Path) -> tuple[Path, Path]:
    """bin dir with the three tools, and the dir of enabled modules."""
    enabled, tools = tmp / "mods-enabled", tmp / "bin"
    enabled.mkdir()
    tools.mkdir()
    (enabled / "rewrite").touch()
    scripts = {
        "apache2ctl": f'[ "$1" = -M ] || exit 2; echo "Loaded Modules:"\n'
        f'for m in {enabled}/*; do [ -e "$m" ] && '
        f'echo " ${{m##*/}}_module (shared)"; done; exit 0',
        "a2enmod": f'echo "Enabling module $1."; touch {enabled}/"$1"',
        "a2dismod": f'[ "$1" = -f ] && shift; [ -e {enabled}/"$1" ] || '
        f'{{ echo "ERROR: Module $1 does not exist!" >&2; exit 1; }}\n'
        f'rm {enabled}/"$1"; echo "Module $1 disabled."',
    }
    for name, body in scripts.items():
        (tools / name).write_text(f"#!/bin/sh\n{body}\n")
        (tools / name).chmod(0o755)
    return tools, enabled


def book(tmp: Path, tools: Path, tasks: str) -> Path:
    path = tmp / "site.yml"
    path.write_text(
        f"- hosts: all\n  gather_facts: false\n"
        f"  environment: {{PATH: '{tools}:/usr/bin:/bin'}}\n  tasks:\n{tasks}"
    )
    return path


def test_enable_and_disable_through_the_tools(tmp_path: Path) -> None:
    tools, enabled = stand_ins(tmp_path)
    tasks = (
        "    - community.general.apache2_module: {name: proxy_http}\n"
        "      register: turned_on\n"
        "    - apache2_module: {name: rewrite, state: absent, force: true}\n"
        "    - apache2_module: {name: pbe-tnever, state: absent}\n"
    )

    def unchanged() -> None:
        assert sorted(p.name for p in enabled.iterdir()) == ["rewrite"]

    real = check_predicts_run(book(tmp_path, tools, tasks), LOCAL, unchanged=unchanged)
    assert [r.status for r in real.results] == ["changed", "changed", "ok"]
    assert real.results[0].result["result"] == "Module proxy_http enabled"
    assert sorted(p.name for p in enabled.iterdir()) == ["proxy_http"]


def test_a_tool_failure_is_the_tasks_message(tmp_path: Path) -> None:
    tools, _ = stand_ins(tmp_path)
    (tools / "a2enmod").write_text(
        "#!/bin/sh\necho 'ERROR: Module nope does not exist!' >&2\nexit 1\n"
    )
    real = run(book(tmp_path, tools, "    - apache2_module: {name: nope}\n"), LOCAL)
    assert real.results[0].status == "failed"
    assert real.results[0].result["msg"] == (
        "Failed to run a2enmod for module nope:\n\nERROR: Module nope does not exist!\n"
    )
