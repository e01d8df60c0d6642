"""A command's output costs a small multiple of its size, not a str per line.

A resource bound, not a timing one: pbe runs in a subprocess and its peak RSS (as the
kernel reports it for that child alone) must stay under a generous limit. 20 MB of
10-byte lines took about 500 MB before stdout_lines became a ``Lines`` view.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from playbook_engine.testing.processes import peak_rss

MB = 1 << 20
LINES = 2_000_000  # of 10 bytes: 20 MB of output
LIMIT_MB = 200

PLAYBOOK = f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: print
      shell: "python3 -c \\"import sys; sys.stdout.write('abcdefghi\\\\n' * {LINES})\\""
      register: out
    - name: count
      debug:
        msg: "{{{{ out.stdout_lines | length }}}} {{{{ out.stdout_lines[-1] }}}}"
"""


def check_outputs(doc_path: Path, junit: Path) -> None:
    doc = json.loads(doc_path.read_text())
    tasks = {t["name"]: t["hosts"] for t in doc["plays"][0]["tasks"]}
    printed = next(iter(tasks["print"].values()))["result"]
    assert len(printed["stdout"]) == LINES * 10 - 1  # the last newline is stripped
    assert len(printed["stdout_lines"]) == LINES
    assert set(printed["stdout_lines"]) == {"abcdefghi"}
    assert next(iter(tasks["count"].values()))["result"]["msg"] == f"{LINES} abcdefghi"
    assert len(ET.parse(junit).getroot().findall(".//testcase")) == 2


def test_20mb_of_short_lines_stays_well_under_200mb(tmp_path: Path) -> None:
    book = tmp_path / "big.yml"
    book.write_text(PLAYBOOK)
    doc, junit = tmp_path / "run.json", tmp_path / "junit.xml"
    code, peak = peak_rss(
        [
            "run",
            str(book),
            "-i",
            "localhost,",
            "-e",
            "ansible_connection=local",
            "--format",
            "json",
            "--junit",
            str(junit),
            "--log",
            str(tmp_path / "run.log"),
        ],
        doc,
    )
    assert code == 0
    check_outputs(doc, junit)
    assert peak < LIMIT_MB, f"peak RSS {peak:.0f} MB for 20 MB of output"
