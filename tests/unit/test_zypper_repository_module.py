"""zypper_repository's commands run for real on this machine against a stand-in `zypper`
script (zypper is not available here) that keeps repositories as files and prints them in
zypper's --xmlout format: check mode predicts the run, the second run changes nothing,
and the stand-in's repositories are what the tasks asked for."""

from __future__ import annotations

from pathlib import Path

from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}

STAND_IN = r"""#!/bin/sh
# zypper: repositories are files $DB/ALIAS holding "URL ENABLED GPGCHECK AUTOREFRESH"
db=__DB__; mkdir -p "$db"
[ "$1" = --version ] && { echo "zypper 1.14.68"; exit 0; }
while [ "${1#-}" != "$1" ]; do shift; done
cmd=$1; shift
case $cmd in
repos)
  set -- "$db"/*; [ -e "$1" ] || exit 6
  echo "<?xml version='1.0'?><stream><repo-list>"
  for f in "$@"; do read -r url en gpg auto < "$f"
    echo "<repo alias=\"${f##*/}\" name=\"${f##*/}\" priority=\"99\" enabled=\"$en\""
    echo " autorefresh=\"$auto\" gpgcheck=\"$gpg\"><url>$url</url></repo>"; done
  echo "</repo-list></stream>" ;;
addrepo)
  en=1 gpg=1 auto=0
  while [ "${1#-}" != "$1" ]; do case $1 in --disable) en=0;; --no-gpgcheck) gpg=0;;
    --refresh) auto=1;; --name) shift;; esac; shift; done
  echo "$1 $en $gpg $auto" > "$db/$2" ;;
removerepo)
  for f in "$db"/*; do read -r url rest < "$f"
    [ "${f##*/}" = "$1" ] || [ "$url" = "$1" ] && rm "$f"; done ;;
refresh) echo "All repositories have been refreshed." ;;
*) exit 2 ;;
esac
"""


def test_add_change_and_remove_through_the_tool(tmp_path: Path) -> None:
    tools, db = tmp_path / "bin", tmp_path / "repos"
    tools.mkdir()
    (tools / "zypper").write_text(STAND_IN.replace("__DB__", str(db)))
    (tools / "zypper").chmod(0o755)
    book = tmp_path / "site.yml"
    head = (
        f"- hosts: all\n  gather_facts: false\n"
        f"  environment: {{PATH: '{tools}:/usr/bin:/bin'}}\n  tasks:\n"
    )
    book.write_text(
        head
        + """\
    - community.general.zypper_repository:
        name: nginx
        repo: http://nginx.org/packages/sles/15
        disable_gpg_check: true
        autorefresh: true
"""
    )

    def none() -> None:
        assert not db.exists() or not list(db.iterdir())

    real = check_predicts_run(book, LOCAL, unchanged=none)
    assert real.results[0].status == "changed"
    assert (db / "nginx").read_text() == "http://nginx.org/packages/sles/15 1 0 1\n"
    book.write_text(book.read_text().replace("sles/15", "mainline/sles/15/"))
    check_predicts_run(book, LOCAL)
    assert (db / "nginx").read_text() == "http://nginx.org/packages/mainline/sles/15/ 1 0 1\n"
    book.write_text(head + "    - zypper_repository: {name: nginx, state: absent}\n")
    check_predicts_run(book, LOCAL)
    none()
