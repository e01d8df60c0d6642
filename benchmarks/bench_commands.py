"""What one trivial task costs across a fleet: the paramiko floor, pbe, and ansible-playbook.

Starts a fleet of N real sshd daemons on loopback (needs root, see
``playbook_engine.testing.fleet``) and measures, for M ``true`` commands per host run in
lockstep like the linear strategy (every host finishes task k before task k+1 starts):

* floor: plain paramiko ``exec_command("true")`` on one open connection per host
  (TCP_NODELAY set), the same number of threads as forks, a barrier per task;
* pbe: ``python -m playbook_engine run`` on a playbook of M ``command: "true"`` tasks, minus
  the same run with 1 task, so start-up, parsing and connecting cancel out;
* ansible-playbook, the same way, if it is installed.

    python benchmarks/bench_commands.py --hosts 10 --tasks 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import paramiko

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playbook_engine.testing.fleet import Fleet, FleetHost, fleet_available  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor_run import client as plain_client  # noqa: E402 - the floors' one paramiko client


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if reason := fleet_available():
        print(f"cannot run: {reason}", file=sys.stderr)
        return 1
    root = Path(tempfile.mkdtemp(prefix="pbe-bench-"))
    try:
        started = time.perf_counter()
        with Fleet(root, size=args.hosts) as fleet:
            print(
                f"fleet of {args.hosts} sshd hosts up in "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
            rows = [
                ("paramiko floor", _guard(lambda: floor_per_task(fleet, args.tasks, args.forks))),
                ("pbe run", _guard(lambda: pbe_per_task(fleet, args))),
                ("ansible-playbook", _guard(lambda: ansible_per_task(fleet, args))),
            ]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    _print_table(rows, args)
    return 0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=10, help="fleet size (default 10)")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per run (default 20)")
    parser.add_argument("--forks", type=int, default=None, help="parallel hosts (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; best is kept")
    args = parser.parse_args(argv)
    args.forks = args.forks or args.hosts
    if args.tasks < 2:
        parser.error("--tasks must be at least 2 (the 1-task run is subtracted)")
    return args


def _guard(measure: Callable[[], float | str]) -> float | str:
    """A failing row reports why; the other rows still run."""
    try:
        return measure()
    except Exception as exc:
        last = (str(exc).strip().splitlines() or [""])[-1]
        return f"failed: {type(exc).__name__}: {last}"


# -- floor: plain paramiko ---------------------------------------------------------------


def floor_per_task(fleet: Fleet, tasks: int, forks: int) -> float:
    """Wall ms per task with one open connection per host and a barrier per task."""
    clients = [_paramiko_client(fleet, host) for host in fleet.hosts]
    try:
        groups = [clients[i::forks] for i in range(min(forks, len(clients)))]
        barrier = threading.Barrier(len(groups) + 1)
        workers = [
            threading.Thread(target=_lockstep, args=(group, tasks, barrier)) for group in groups
        ]
        for worker in workers:
            worker.start()
        barrier.wait()  # everyone connected and ready
        started = time.perf_counter()
        for _ in range(tasks):
            barrier.wait()
        elapsed = time.perf_counter() - started
        for worker in workers:
            worker.join()
        return elapsed * 1000 / tasks
    finally:
        for client in clients:
            client.close()


def _lockstep(clients: list[paramiko.SSHClient], tasks: int, barrier: threading.Barrier) -> None:
    barrier.wait()
    for _ in range(tasks):
        for client in clients:
            _, stdout, _ = client.exec_command("true")
            stdout.channel.recv_exit_status()
        barrier.wait()


def _paramiko_client(fleet: Fleet, host: FleetHost) -> paramiko.SSHClient:
    return plain_client(
        host.address, host.port, fleet.user, str(fleet.private_key), str(fleet.known_hosts)
    )


# -- pbe and ansible-playbook: (t_M - t_1) / (M - 1) ------------------------------------


def pbe_per_task(fleet: Fleet, args: argparse.Namespace) -> float:
    inventory = fleet.write_inventory(fleet.root / "bench-inventory.yml")
    base = [
        sys.executable,
        "-m",
        "playbook_engine",
        "run",
        "-i",
        str(inventory),
        "--known-hosts",
        str(fleet.known_hosts),
        "--host-key-checking",
        "strict",
        "-f",
        str(args.forks),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return _per_task(fleet.root, args, lambda play: [*base, str(play)], env)


def ansible_per_task(fleet: Fleet, args: argparse.Namespace) -> float | str:
    if shutil.which("ansible-playbook") is None:
        return "not installed"
    inventory = fleet.write_inventory(fleet.root / "bench-inventory.yml")
    env = {
        **os.environ,
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_FORKS": str(args.forks),
        "ANSIBLE_SSH_ARGS": "-C -o ControlMaster=auto -o ControlPersist=60s "
        f"-o UserKnownHostsFile={fleet.known_hosts}",
        "ANSIBLE_LOCAL_TEMP": str(fleet.root / "ansible-tmp"),
    }
    command = ["ansible-playbook", "-i", str(inventory), "-f", str(args.forks)]
    return _per_task(fleet.root, args, lambda play: [*command, str(play)], env)


def _per_task(
    root: Path, args: argparse.Namespace, command: Callable[[Path], list[str]], env: dict[str, str]
) -> float:
    tasks, repeat = int(args.tasks), int(args.repeat)
    many = _best_wall(command(_playbook(root, tasks)), env, repeat)
    one = _best_wall(command(_playbook(root, 1)), env, repeat)
    return (many - one) * 1000 / (tasks - 1)


def _playbook(root: Path, tasks: int) -> Path:
    path = root / f"bench-{tasks}-tasks.yml"
    lines = ["- hosts: fleet", "  gather_facts: false", "  tasks:"]
    for i in range(1, tasks + 1):
        lines += [f"    - name: task {i}", '      command: "true"']
    path.write_text("\n".join(lines) + "\n")
    return path


def _best_wall(command: list[str], env: dict[str, str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"exit {proc.returncode}: {' | '.join(tail)}")
        best = min(best, elapsed)
    return best


def _print_table(rows: list[tuple[str, float | str]], args: argparse.Namespace) -> None:
    print(
        f"\n{args.tasks} tasks x {args.hosts} hosts, forks {args.forks}, "
        f"best of {args.repeat} for the CLI rows"
    )
    print(f"{'':18} {'ms per task (wall)':>19} {'ms per task per host':>21}")
    for name, value in rows:
        if isinstance(value, float):
            print(f"{name:18} {value:19.2f} {value / args.hosts:21.2f}")
        else:
            print(f"{name:18} {value}")


if __name__ == "__main__":
    sys.exit(main())
