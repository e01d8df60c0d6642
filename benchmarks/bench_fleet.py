"""A 10-task workload on a fleet of real sshd hosts: pbe beside the floors, pyinfra, Ansible.

Starts N OpenSSH daemons on loopback (``playbook_engine.testing.fleet``, needs root) and
runs the same 10 tasks on every host (directory, copy, template, lineinfile, two commands,
stat, chmod, directory, ``true``) with:

* floor (exec): plain paramiko, one ``exec_command`` per command on an open connection per
  host, in lockstep per task, ``--forks`` threads: what a task costs at best today;
* floor (shell): the same over one long-lived ``sh`` per host reading one command per
  line (each still run by ``sh -c``): the best a persistent shell can do;
* floor (run): ``floor_run.py`` as a process of its own: interpreter start, connecting to
  every host, one ``sh`` each and the ten ``true`` through it: the least a whole run of
  any paramiko-based tool costs, timed like the tools (cold and warm are the same);
* pbe: ``python -m playbook_engine run`` (the package at ``--pbe-path``);
* pyinfra and ansible-playbook, when installed (``--pyinfra``, ``--ansible``: paths of
  their executables, default: throw-away venvs under /work/bench-venvs, /work/ansible-venv).

Each tool runs twice on clean host directories: cold (everything changes) and warm (the
converged state: changed must be 0). The remote state after each tool is compared with
pbe's, file by file (type, mode, content). Several inventory hosts may share a daemon
(``--daemons``), each with its own directory.

    python benchmarks/bench_fleet.py --hosts 10,50 --repeat 2
    python benchmarks/bench_fleet.py --hosts 500 --daemons 200 --tools pbe   # memory
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playbook_engine.testing.fleet import Fleet, FleetHost, fleet_available  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_commands import _paramiko_client  # noqa: E402 - the floor's client, one copy
from floor_run import SCRIPT  # noqa: E402 - the floors' one shell loop

TASKS = 10
DEFAULT_PYINFRA = "/work/bench-venvs/pyinfra/bin/pyinfra"
DEFAULT_ANSIBLE = "/work/ansible-venv/bin/ansible-playbook"

PLAYBOOK = """\
- hosts: fleet
  gather_facts: false
  tasks:
    - name: directory
      file: {path: "{{ bench_dir }}/app", state: directory, mode: "0755"}
    - name: copy
      copy: {src: "FILES/app.conf", dest: "{{ bench_dir }}/app/app.conf", mode: "0644"}
    - name: template
      template: {src: "FILES/motd.j2", dest: "{{ bench_dir }}/app/motd", mode: "0644"}
    - name: lineinfile
      lineinfile:
        path: "{{ bench_dir }}/app/settings.ini"
        regexp: "^port="
        line: "port=8080"
        create: true
    - name: command 1
      command: cat {{ bench_dir }}/app/motd
      changed_when: false
    - name: command 2
      shell: test -f {{ bench_dir }}/app/app.conf && echo ok
      changed_when: false
    - name: stat
      stat: {path: "{{ bench_dir }}/app/app.conf"}
      register: st
    - name: chmod
      file: {path: "{{ bench_dir }}/app/settings.ini", mode: "0600"}
    - name: directory 2
      file: {path: "{{ bench_dir }}/app/logs", state: directory, mode: "0750"}
    - name: "true"
      command: "true"
      changed_when: false
"""

PYINFRA_DEPLOY = """\
from pyinfra import host
from pyinfra.operations import files, server

d = host.data.bench_dir
files.directory(name="directory", path=f"{d}/app", mode="755")
files.put(name="copy", src="FILES/app.conf", dest=f"{d}/app/app.conf", mode="644")
files.template(name="template", src="FILES/motd.j2", dest=f"{d}/app/motd", mode="644",
               bench_name=host.data.bench_name)
files.line(name="lineinfile", path=f"{d}/app/settings.ini", line="^port=.*$",
           replace="port=8080")
server.shell(name="command 1", commands=[f"cat {d}/app/motd"])
server.shell(name="command 2", commands=[f"test -f {d}/app/app.conf && echo ok"])
server.shell(name="stat", commands=[f"stat -c %a {d}/app/app.conf"])
files.file(name="chmod", path=f"{d}/app/settings.ini", mode="600")
files.directory(name="directory 2", path=f"{d}/app/logs", mode="750")
server.shell(name="true", commands=["true"])
"""
# pyinfra reports every server.shell as a change: only these operations count as changes.
PYINFRA_CHANGES = ("directory", "copy", "template", "lineinfile", "chmod", "directory 2")


@dataclass
class Row:
    """One line of the table: a tool's cold and warm runs, or a floor."""

    name: str
    cold: float | None = None  # seconds
    warm: float | None = None
    cpu: float | None = None  # controller CPU seconds (user + sys, children included)
    rss: float | None = None  # peak RSS, MiB
    note: str = ""
    per_command: bool = False  # a floor: ``cold`` is the time of TASKS commands
    warm_cpu: float | None = None
    host_cpu: float | None = None  # CPU seconds used on the hosts (sshd and below)
    warm_host_cpu: float | None = None


class HostCPU:
    """CPU time of the fleet's sshd daemons and everything they start (the "hosts"), from
    a cpuacct cgroup (v1) the daemons are moved into; None where that is not possible."""

    ROOT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self, fleet: Fleet) -> None:
        self.path: Path | None = self.ROOT / f"pbe-bench-{os.getpid()}"
        try:
            self.path.mkdir()
            for proc in fleet._procs.values():  # the daemons; sessions inherit the group
                (self.path / "cgroup.procs").write_text(str(proc.pid))
        except OSError:
            self.path = None

    def seconds(self) -> float | None:
        if self.path is None:
            return None
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self) -> None:
        if self.path is not None:
            for pid in (self.path / "cgroup.procs").read_text().split():
                try:
                    (self.ROOT / "cgroup.procs").write_text(pid)
                except OSError:
                    pass
            try:
                self.path.rmdir()
            except OSError:
                pass


@dataclass
class Bench:
    fleet: Fleet
    args: argparse.Namespace
    root: Path
    names: list[str]  # inventory hosts
    daemon_of: dict[str, FleetHost]
    dirs: dict[str, Path]
    host_cpu: HostCPU
    env: dict[str, str] = field(default_factory=dict)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if reason := fleet_available():
        print(f"cannot run: {reason}", file=sys.stderr)
        return 1
    for size in args.hosts:
        rows = run_size(size, args)
        print_table(size, rows, args)
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--hosts", default="10,50", help="fleet sizes, comma-separated")
    parser.add_argument(
        "--daemons",
        type=int,
        default=200,
        help="at most this many sshd daemons; more hosts share them",
    )
    parser.add_argument("--forks", type=int, default=50, help="parallel hosts (default 50)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; best is kept")
    parser.add_argument(
        "--tools",
        default="floor,shell,transport,run,pbe,pyinfra,ansible",
        help="which rows (floor, shell, transport, run, pbe, pyinfra, ansible)",
    )
    parser.add_argument(
        "--pbe-path", default=str(REPO), help="directory holding the playbook_engine package to run"
    )
    parser.add_argument(
        "--keep-output", metavar="DIR", help="write each run's output to DIR/<tool>-<cold|warm>.txt"
    )
    parser.add_argument("--pyinfra", default=DEFAULT_PYINFRA)
    parser.add_argument("--ansible", default=DEFAULT_ANSIBLE)
    args = parser.parse_args(argv)
    args.hosts = [int(n) for n in str(args.hosts).split(",")]
    args.tools = set(str(args.tools).split(","))
    return args


def run_size(size: int, args: argparse.Namespace) -> list[Row]:
    root = Path(tempfile.mkdtemp(prefix="pbe-bench-fleet-"))
    daemons = min(size, args.daemons)
    try:
        started = time.perf_counter()
        with Fleet(root, size=daemons, first_octet=max(2, 250 - daemons)) as fleet:
            print(
                f"\n{size} hosts on {daemons} sshd daemons, up in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            bench = _prepare(fleet, size, args, root)
            try:
                return _rows(bench)
            finally:
                bench.host_cpu.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _rows(bench: Bench) -> list[Row]:
    tools = bench.args.tools
    rows: list[Row] = []
    if "floor" in tools:
        rows.append(_guard("floor (exec)", lambda: floor_row(bench, shell=False)))
    if "shell" in tools:
        rows.append(_guard("floor (shell)", lambda: floor_row(bench, shell=True)))
    if "transport" in tools:
        rows.append(_guard("pbe transport", lambda: transport_row(bench)))
    if "run" in tools:
        rows.append(_guard("floor (run)", lambda: run_floor_row(bench)))
    reference: dict[str, str] | None = None
    runners: list[tuple[str, Callable[[Bench], Row]]] = [
        ("pbe", pbe_row),
        ("pyinfra", pyinfra_row),
        ("ansible", ansible_row),
    ]
    for name, runner in runners:
        if name not in tools:
            continue
        row = _guard(name, lambda runner=runner: runner(bench))  # type: ignore[misc]
        if row.cold is not None:
            state = remote_state(bench)
            if reference is None:
                reference = state
            elif state != reference:
                row.note += " STATE DIFFERS FROM pbe'S: " + _first_difference(reference, state)
        rows.append(row)
    return rows


def _guard(name: str, measure: Callable[[], Row]) -> Row:
    """A failing row says why; the other rows still run."""
    try:
        return measure()
    except Exception as exc:
        last = (str(exc).strip().splitlines() or [""])[-1]
        return Row(name, note=f"failed: {type(exc).__name__}: {last[:160]}")


# -- the fleet, the files ----------------------------------------------------------------


def _prepare(fleet: Fleet, size: int, args: argparse.Namespace, root: Path) -> Bench:
    names = [f"h{i + 1:03d}" for i in range(size)]
    daemon_of = {name: fleet.hosts[i % len(fleet.hosts)] for i, name in enumerate(names)}
    dirs = {name: _host_dir(daemon_of[name], name) for name in names}
    files = root / "files"
    files.mkdir()
    (files / "app.conf").write_text("".join(f"option{i} = value {i}\n" for i in range(40)))
    (files / "motd.j2").write_text("Welcome to {{ bench_name }}\nManaged by a benchmark.\n")
    (root / "site.yml").write_text(PLAYBOOK.replace("FILES", str(files)))
    (root / "deploy.py").write_text(PYINFRA_DEPLOY.replace("FILES", str(files)))
    bench = Bench(fleet, args, root, names, daemon_of, dirs, HostCPU(fleet))
    _write_inventories(bench)
    bench.env = {**os.environ, "PYTHONPATH": args.pbe_path, "CI": "true"}
    # Bytecode as a pip install leaves it (pyinfra's and Ansible's venvs have theirs): a
    # checkout run with PYTHONDONTWRITEBYTECODE would compile every file on every start.
    compileall.compile_dir(str(Path(args.pbe_path) / "playbook_engine"), quiet=1)
    return bench


def _host_dir(daemon: FleetHost, name: str) -> Path:
    path = daemon.workdir / name
    path.mkdir()
    shutil.chown(path, Fleet.user, Fleet.user)
    return path


def _write_inventories(bench: Bench) -> None:
    fleet = bench.fleet
    hosts = {}
    for name in bench.names:
        daemon = bench.daemon_of[name]
        hosts[name] = {
            "ansible_host": daemon.address,
            "ansible_port": daemon.port,
            "ansible_user": fleet.user,
            "ansible_ssh_private_key_file": str(fleet.private_key),
            "bench_dir": str(bench.dirs[name]),
            "bench_name": name,
        }
    doc = {"all": {"hosts": hosts, "children": {"fleet": {"hosts": dict.fromkeys(hosts)}}}}
    (bench.root / "inventory.yml").write_text(json.dumps(doc))
    lines = ["hosts = ["]
    for name, v in hosts.items():
        data = {
            "ssh_hostname": v["ansible_host"],
            "ssh_port": v["ansible_port"],
            "ssh_user": fleet.user,
            "ssh_key": str(fleet.private_key),
            "ssh_known_hosts_file": str(fleet.known_hosts),
            "ssh_strict_host_key_checking": "yes",
            "ssh_config_file": os.devnull,
            "bench_dir": v["bench_dir"],
            "bench_name": name,
        }
        lines.append(f"    ({name!r}, {data!r}),")
    (bench.root / "inventory.py").write_text("\n".join([*lines, "]", ""]))


def clean(bench: Bench) -> None:
    for path in bench.dirs.values():
        shutil.rmtree(path / "app", ignore_errors=True)


def remote_state(bench: Bench) -> dict[str, str]:
    """Per host: a digest of every path under its directory (type, mode, content)."""
    state = {}
    for name, base in bench.dirs.items():
        entries = []
        for path in sorted(base.rglob("*")):
            st = path.lstat()
            kind = "d" if stat.S_ISDIR(st.st_mode) else "f"
            content = hashlib.sha1(path.read_bytes()).hexdigest() if kind == "f" else ""
            entries.append(
                f"{path.relative_to(base)} {kind} {stat.S_IMODE(st.st_mode):o} {content}"
            )
        state[name] = "\n".join(entries)
    return state


def _first_difference(want: dict[str, str], got: dict[str, str]) -> str:
    for name in want:
        if want[name] != got.get(name):
            return f"{name}: {want[name]!r} != {got.get(name)!r}"
    return "?"


# -- running a tool twice ----------------------------------------------------------------


@dataclass
class Outcome:
    wall: float
    cpu: float
    rss: float
    code: int
    out: str
    err: str
    host_cpu: float | None = None


def timed(
    command: list[str], env: dict[str, str], cwd: Path, host_cpu: HostCPU | None = None
) -> Outcome:
    """Wall time, CPU (the process and its reaped children, and the hosts') and peak RSS
    of a command."""
    hosts_before = host_cpu.seconds() if host_cpu else None
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        status, usage, peak = _wait_with_peak(proc.pid)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = (f.read().decode(errors="replace") for f in (out, err))
    hosts_after = host_cpu.seconds() if host_cpu else None
    hosts = None if hosts_before is None or hosts_after is None else hosts_after - hosts_before
    return Outcome(
        wall,
        usage.ru_utime + usage.ru_stime,
        peak / 1024,
        proc.returncode,
        text,
        errors,
        hosts,
    )


def _wait_with_peak(pid: int) -> tuple[int, Any, int]:
    """The exit status, the rusage and the peak RSS (KiB) of ``pid``'s own program.

    ``ru_maxrss`` is no use here: the child starts as a (v)fork of this process, and the
    kernel keeps this process's RSS as the child's peak at its exec. ``VmHWM`` in /proc
    is the peak of the program itself; it is read every 20 ms until the child exits.
    """
    peak = 0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, peak
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        time.sleep(0.02)


def cold_and_warm(
    bench: Bench,
    name: str,
    command: list[str],
    env: dict[str, str],
    changed: Callable[[Outcome], int],
) -> Row:
    """Best of ``--repeat`` (cold, warm) pairs; a warm run must change nothing."""
    row = Row(name)
    for _ in range(bench.args.repeat):
        clean(bench)
        cold = _checked(timed(command, env, bench.root, bench.host_cpu), name, "cold")
        warm = _checked(timed(command, env, bench.root, bench.host_cpu), name, "warm")
        if bench.args.keep_output:
            for which, outcome in (("cold", cold), ("warm", warm)):
                path = Path(bench.args.keep_output) / f"{name}-{which}.txt"
                path.write_text(outcome.out + outcome.err)
        if (n := changed(warm)) != 0:
            row.note = f"warm run changed {n}"
        if row.cold is None or cold.wall < row.cold:
            row.cold, row.cpu, row.rss, row.host_cpu = cold.wall, cold.cpu, cold.rss, cold.host_cpu
        if row.warm is None or warm.wall < row.warm:
            row.warm, row.warm_cpu, row.warm_host_cpu = warm.wall, warm.cpu, warm.host_cpu
        row.rss = max(row.rss or 0, warm.rss)
    return row


def _checked(outcome: Outcome, name: str, which: str) -> Outcome:
    if outcome.code != 0:
        tail = " | ".join((outcome.out + outcome.err).strip().splitlines()[-4:])
        raise RuntimeError(f"{name} {which} run exited {outcome.code}: {tail}")
    return outcome


def pbe_row(bench: Bench) -> Row:
    command = [
        sys.executable,
        "-m",
        "playbook_engine",
        "run",
        "site.yml",
        "-i",
        "inventory.yml",
        "--known-hosts",
        str(bench.fleet.known_hosts),
        "--ssh-config",
        os.devnull,
        "-f",
        str(bench.args.forks),
        "--format",
        "json",
    ]

    def changed(outcome: Outcome) -> int:
        doc = json.loads(outcome.out)
        return sum(h["changed"] for h in doc["stats"].values())

    return cold_and_warm(bench, "pbe", command, bench.env, changed)


def ansible_row(bench: Bench) -> Row:
    if not Path(bench.args.ansible).exists():
        return Row("ansible", note=f"not installed ({bench.args.ansible})")
    control = Path(tempfile.mkdtemp(prefix="ans-", dir="/tmp"))
    env = {
        **os.environ,
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_FORKS": str(bench.args.forks),
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s "
        f"-o UserKnownHostsFile={bench.fleet.known_hosts} -F /dev/null",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
        "ANSIBLE_LOCAL_TEMP": str(bench.root / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
    }
    command = [bench.args.ansible, "-i", "inventory.yml", "-f", str(bench.args.forks), "site.yml"]

    def changed(outcome: Outcome) -> int:
        return sum(int(n) for n in re.findall(r"\bchanged=(\d+)", outcome.out))

    try:
        return cold_and_warm(bench, "ansible", command, env, changed)
    finally:
        shutil.rmtree(control, ignore_errors=True)


def pyinfra_row(bench: Bench) -> Row:
    if not Path(bench.args.pyinfra).exists():
        return Row("pyinfra", note=f"not installed ({bench.args.pyinfra})")
    command = [
        bench.args.pyinfra,
        "-y",
        "--parallel",
        str(bench.args.forks),
        "inventory.py",
        "deploy.py",
    ]
    env = {**os.environ, "PYTHONPATH": ""}

    def changed(outcome: Outcome) -> int:
        """The "Success" column of pyinfra's results table, shell operations left out."""
        table = outcome.out.split("--> Results:", 1)[-1]
        total = 0
        for line in table.splitlines():
            cells = re.split(r"\s{2,}", line.strip())
            if len(cells) == 5 and cells[0] in PYINFRA_CHANGES and cells[2].isdigit():
                total += int(cells[2])
        return total

    return cold_and_warm(bench, "pyinfra", command, env, changed)


# -- the floors: plain paramiko ---------------------------------------------------------


def floor_row(bench: Bench, shell: bool) -> Row:
    """Plain paramiko: TASKS ``true`` per host, exec'd or through one shell per host."""
    clients = [_paramiko_client(bench.fleet, bench.daemon_of[name]) for name in bench.names]
    try:
        runners = [_ShellRunner(c).run if shell else _exec_runner(c) for c in clients]
        return _lockstep_row(bench, "floor (shell)" if shell else "floor (exec)", runners)
    finally:
        for client in clients:
            client.close()


def run_floor_row(bench: Bench) -> Row:
    """``floor_run.py`` timed as a tool is: the least a whole run costs (best of --repeat)."""
    spec = bench.root / "floor-hosts.json"
    fleet = bench.fleet
    hosts = [
        {"address": d.address, "port": d.port, "user": fleet.user, "key": str(fleet.private_key)}
        for d in (bench.daemon_of[name] for name in bench.names)
    ]
    spec.write_text(
        json.dumps(
            {
                "hosts": hosts,
                "known_hosts": str(fleet.known_hosts),
                "forks": bench.args.forks,
                "tasks": TASKS,
            }
        )
    )
    command = [sys.executable, str(Path(__file__).with_name("floor_run.py")), str(spec)]
    best: Outcome | None = None
    for _ in range(bench.args.repeat):
        outcome = _checked(
            timed(command, dict(os.environ), bench.root, bench.host_cpu), "floor (run)", ""
        )
        best = outcome if best is None or outcome.wall < best.wall else best
    assert best is not None
    return Row(
        "floor (run)",
        cold=best.wall,
        warm=best.wall,
        cpu=best.cpu,
        warm_cpu=best.cpu,
        rss=best.rss,
        host_cpu=best.host_cpu,
        warm_host_cpu=best.host_cpu,
    )


def transport_row(bench: Bench) -> Row:
    """pbe's own transport (this checkout's), without the engine: TASKS ``true`` per host."""
    from playbook_engine.transport import connect

    conns = [connect(bench.fleet.spec(bench.daemon_of[name])) for name in bench.names]
    try:
        runners = [(lambda c=c: c.run("true")) for c in conns]  # type: ignore[misc]
        return _lockstep_row(bench, "pbe transport", runners)
    finally:
        for conn in conns:
            conn.close()


def _lockstep_row(bench: Bench, name: str, runners: Sequence[Callable[[], object]]) -> Row:
    """TASKS rounds of one call per host, a barrier per round, --forks threads."""
    forks = min(bench.args.forks, len(runners))
    groups = [runners[i::forks] for i in range(forks)]
    barrier = threading.Barrier(forks + 1)
    workers = [
        threading.Thread(target=_lockstep, args=(group, barrier), daemon=True) for group in groups
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started, cpu, hosts = time.perf_counter(), time.process_time(), bench.host_cpu.seconds()
    for _ in range(TASKS):
        barrier.wait()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    hosts_after = bench.host_cpu.seconds()
    for worker in workers:
        worker.join()
    host_cpu = None if hosts is None or hosts_after is None else hosts_after - hosts
    return Row(name, cold=elapsed, per_command=True, cpu=cpu, host_cpu=host_cpu)


def _lockstep(runners: Sequence[Callable[[], object]], barrier: threading.Barrier) -> None:
    barrier.wait()
    for _ in range(TASKS):
        for run in runners:
            run()
        barrier.wait()


def _exec_runner(client: paramiko.SSHClient) -> Callable[[], None]:
    def run() -> None:
        _, stdout, _ = client.exec_command("true")
        stdout.channel.recv_exit_status()

    return run


class _ShellRunner:
    """One ``sh`` per host reading a command per line; each ends with a marker line."""

    def __init__(self, client: paramiko.SSHClient) -> None:
        transport = client.get_transport()
        assert transport is not None
        self.chan = transport.open_session()
        self.chan.exec_command(f"exec sh -c {shlex.quote(SCRIPT)}")
        self.file = self.chan.makefile("rb")

    def run(self) -> None:
        self.chan.sendall(b"true\n")
        while not self.file.readline().startswith(b"--end "):
            pass


# -- the table ---------------------------------------------------------------------------


def print_table(size: int, rows: list[Row], args: argparse.Namespace) -> None:
    units = size * TASKS
    print(
        f"\n{TASKS} tasks x {size} hosts, forks {args.forks}, best of {args.repeat}. "
        f"ms/unit: wall ms per task and host (the floors: per command and host)."
    )
    print(
        f"{'':14} {'wall s':>13}  {'ms/unit':>13}  {'controller CPU s':>16}  "
        f"{'host CPU s':>13}  {'peak RSS':>8}"
    )
    print(
        f"{'':14} {'cold':>6} {'warm':>6}  {'cold':>6} {'warm':>6}  {'cold':>7} {'warm':>8}  "
        f"{'cold':>6} {'warm':>6}  {'MB':>8}"
    )
    for row in rows:
        print(_line(row, units))
    by_name = {r.name: r for r in rows if r.warm is not None or r.cold is not None}
    _print_ratios(by_name, units)


def _line(row: Row, units: int) -> str:
    if row.cold is None:
        return f"{row.name:14} {row.note}"
    if row.per_command:  # a floor: one figure, in the warm columns
        row = Row(
            row.name, warm=row.cold, warm_cpu=row.cpu, warm_host_cpu=row.host_cpu, note=row.note
        )
    cells = [
        f"{row.name:14}",
        _num(row.cold, 6, 2),
        _num(row.warm, 6, 2),
        "",
        _num(_per(row.cold, units), 6, 2),
        _num(_per(row.warm, units), 6, 2),
        "",
        _num(row.cpu, 7, 2),
        _num(row.warm_cpu, 8, 2),
        "",
        _num(row.host_cpu, 6, 2),
        _num(row.warm_host_cpu, 6, 2),
        "",
        _num(row.rss, 8, 0),
    ]
    return " ".join(cells) + (f"  {row.note}" if row.note else "")


def _print_ratios(rows: dict[str, Row], units: int) -> None:
    pbe = rows.get("pbe")
    if pbe is None or pbe.cold is None or pbe.warm is None:
        return
    for name in ("floor (exec)", "floor (shell)", "pbe transport"):
        if (floor := rows.get(name)) is not None and floor.cold:
            per = floor.cold * 1000 / units
            print(
                f"pbe / {name}: cold {_per(pbe.cold, units) / per:.1f}x, "  # type: ignore[operator]
                f"warm {_per(pbe.warm, units) / per:.1f}x  (ms per task vs per command)"
            )
    if (run := rows.get("floor (run)")) is not None and run.cold:
        print(
            f"pbe / floor (run): cold {pbe.cold / run.cold:.2f}x, warm {pbe.warm / run.cold:.2f}x"
            "  (whole runs: start-up, connecting and ten commands included)"
        )
        for name in ("pyinfra", "ansible"):
            if (other := rows.get(name)) is not None and other.cold and other.warm:
                print(
                    f"{name} / floor (run): cold {other.cold / run.cold:.2f}x, "
                    f"warm {other.warm / run.cold:.2f}x  (the most any tool could be faster)"
                )
    for name in ("pyinfra", "ansible"):
        other = rows.get(name)
        if other is not None and other.cold and other.warm:
            print(
                f"{name} / pbe: cold {other.cold / pbe.cold:.2f}x, "
                f"warm {other.warm / pbe.warm:.2f}x  (how many times faster pbe is)"
            )


def _per(seconds: float | None, units: int) -> float | None:
    return None if seconds is None else seconds * 1000 / units


def _num(value: float | None, width: int, digits: int) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


if __name__ == "__main__":
    sys.exit(main())
