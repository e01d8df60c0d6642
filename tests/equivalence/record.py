"""Record the equivalence suite's expectations with a real ansible-playbook.

    python -m venv /tmp/ansible-venv && /tmp/ansible-venv/bin/pip install ansible-core
    python tests/equivalence/record.py [--ansible-playbook PATH] [CASE_ID ...]

For every case of ``equivalence_cases.CASES`` (or the ones named), runs ansible-playbook
against ``inventory.yml`` with a fresh temporary directory as ``-e base=...`` and the
``recorder/equivalence.py`` stdout callback, then writes ``expected/<case>.json``. Ansible
itself is never a dependency of pbe or of the test: only these JSON files are committed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from equivalence_cases import CASES, HERE, INVENTORY, Case, dumps

DEFAULT_ANSIBLE = "/tmp/ansible-venv/bin/ansible-playbook"


def ansible_command(ansible_playbook: str, case: Case, base: Path) -> list[str]:
    python = Path(ansible_playbook).with_name("python")
    interpreter = str(python) if python.exists() else sys.executable
    argv = [
        ansible_playbook,
        "-i",
        str(INVENTORY),
        str(case.playbook_path),
        "-e",
        f"base={base}",
        "-e",
        f"ansible_python_interpreter={interpreter}",
    ]
    if case.extra_vars:
        argv += ["-e", json.dumps(case.extra_vars)]
    if case.tags:
        argv += ["--tags", ",".join(case.tags)]
    if case.skip_tags:
        argv += ["--skip-tags", ",".join(case.skip_tags)]
    if case.check:
        argv.append("--check")
    return argv


def ansible_env(work: Path, out: Path) -> dict[str, str]:
    """An environment that reads no ansible.cfg and leaves nothing in the user's home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        {
            "ANSIBLE_CONFIG": str(work / "no-ansible.cfg"),
            "ANSIBLE_HOME": str(work / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(work / "local-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(work / "remote-tmp"),
            "ANSIBLE_STDOUT_CALLBACK": "equivalence",
            "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "recorder"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORKS": "5",
            "PBE_EQUIVALENCE_OUT": str(out),
        }
    )
    return env


def record(case: Case, ansible_playbook: str, verbose: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="pbe-eq-record-") as tmp:
        work = Path(tmp)
        base = work / "base"
        base.mkdir()
        out = work / "result.json"
        proc = subprocess.run(
            ansible_command(ansible_playbook, case, base),
            cwd=work,
            env=ansible_env(work, out),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if verbose or not out.exists():
            sys.stderr.write(proc.stdout + proc.stderr)
        result = json.loads(out.read_text()) if out.exists() else {"plays": [], "stats": {}}
    return {"case": case.describe(), "exit_code": proc.returncode, **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ansible-playbook",
        default=os.environ.get(
            "ANSIBLE_PLAYBOOK",
            DEFAULT_ANSIBLE
            if Path(DEFAULT_ANSIBLE).exists()
            else shutil.which("ansible-playbook") or "ansible-playbook",
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show Ansible's output")
    parser.add_argument("cases", nargs="*", help="case ids (default: all)")
    args = parser.parse_args(argv)
    known = {c.id: c for c in CASES}
    unknown = [c for c in args.cases if c not in known]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(known)}")
    for case in [known[c] for c in args.cases] or CASES:
        document = record(case, args.ansible_playbook, args.verbose)
        case.expected_path.parent.mkdir(exist_ok=True)
        case.expected_path.write_text(dumps(document))
        print(
            f"{case.id}: exit {document['exit_code']}, "
            f"{sum(len(p['hosts']) for p in document['plays'])} host-plays"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
