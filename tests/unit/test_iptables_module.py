"""iptables' commands run for real on this machine against a stand-in `iptables` script
(the real firewall is never touched) that keeps rules as lines of a file: check mode
predicts the run, the second run changes nothing, and the stand-in's state is what the
tasks asked for. The rule words themselves are checked in the recorded cases."""

from __future__ import annotations

from pathlib import Path

from playbook_engine.testing.parity import check_predicts_run

LOCAL = {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}

STAND_IN = r"""#!/bin/sh
# iptables -t TABLE OP CHAIN [RULE...]: rules are "TABLE CHAIN RULE" lines in $DB
db=__DB__; shift; t=$1; shift; op=$1; shift; c=$1; shift; line="$t $c $*"
touch "$db" "$db.policy"
case $op in
-C) grep -qxF -- "$line" "$db" || { echo "iptables: Bad rule."; exit 1; } ;;
-A) echo "$line" >> "$db" ;;
-D) grep -vxF -- "$line" "$db" > "$db.new"; mv "$db.new" "$db" ;;
-L) p=$(grep "^$t $c " "$db.policy" | tail -n1 | cut -d' ' -f3)
    echo "Chain $c (policy ${p:-ACCEPT})" ;;
-P) echo "$t $c $1" >> "$db.policy" ;;
*) exit 2 ;;
esac
"""


def test_rules_and_policy_through_the_tool(tmp_path: Path) -> None:
    tools, db = tmp_path / "bin", tmp_path / "rules"
    tools.mkdir()
    (tools / "iptables").write_text(STAND_IN.replace("__DB__", str(db)))
    (tools / "iptables").chmod(0o755)
    book = tmp_path / "site.yml"
    book.write_text(f"""\
- hosts: all
  gather_facts: false
  environment: {{PATH: '{tools}:/usr/bin:/bin'}}
  tasks:
    - ansible.builtin.iptables: {{chain: INPUT, in_interface: lo, jump: ACCEPT,
                                 comment: "it's loopback"}}
    - iptables: {{chain: INPUT, source: "!127.0.0.0/8", jump: DROP, state: absent}}
    - iptables: {{chain: FORWARD, policy: DROP}}
""")
    real = check_predicts_run(book, LOCAL, unchanged=lambda: _empty(db))
    assert [r.status for r in real.results] == ["changed", "ok", "changed"]
    assert db.read_text() == "filter INPUT -j ACCEPT -i lo -m comment --comment it's loopback\n"
    assert (tmp_path / "rules.policy").read_text() == "filter FORWARD DROP\n"


def _empty(db: Path) -> None:
    assert not db.exists() or db.read_text() == ""
