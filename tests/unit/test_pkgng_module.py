"""pkgng's commands run for real on this machine against a stand-in `pkg` script (FreeBSD
is not available here) that keeps installed packages as files in a temp dir: check mode
predicts the run, the second run changes nothing, and the stand-in's packages are what
the tasks asked for. pkg's real outputs are covered by the recorded cases."""

from __future__ import annotations

from pathlib import Path

from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}

STAND_IN = r"""#!/bin/sh
# pkg ACTION [-g] [-y|-n|-e] NAMES: installed packages are files in $DB
db=__DB__; mkdir -p "$db"; [ "$BATCH" = yes ] || exit 70
action=$1; shift; [ "$1" = -g ] && shift
case $action in
update) echo "All repositories are up to date." ;;
info) [ -e "$db/$2" ] ;;
install) shift; for n in "$@"; do touch "$db/$n"; done ;;
delete) shift; rm "$db/$1" ;;
upgrade) echo "Your packages are up to date." ;;
autoremove) [ "$1" = -n ] && echo "Nothing to do." ;;
*) exit 2 ;;
esac
"""


def test_install_and_remove_through_the_tool(tmp_path: Path) -> None:
    tools, db = tmp_path / "bin", tmp_path / "db"
    tools.mkdir()
    (tools / "pkg").write_text(STAND_IN.replace("__DB__", str(db)))
    (tools / "pkg").chmod(0o755)
    db.mkdir()
    (db / "old").touch()
    book = tmp_path / "site.yml"
    book.write_text(f"""\
- hosts: all
  gather_facts: false
  environment: {{PATH: '{tools}:/usr/bin:/bin'}}
  tasks:
    - community.general.pkgng: {{name: "nginx, bash", state: latest}}
      register: added
    - pkgng: {{name: [old, never], state: absent, autoremove: true}}
""")

    def unchanged() -> None:
        assert sorted(p.name for p in db.iterdir()) == ["old"]

    real = check_predicts_run(book, LOCAL, unchanged=unchanged)
    assert [r.result["msg"] for r in real.results] == [
        "installed 2 packages",
        "removed 1 package(s), no package(s) to autoremove",
    ]
    assert sorted(p.name for p in db.iterdir()) == ["bash", "nginx"]
