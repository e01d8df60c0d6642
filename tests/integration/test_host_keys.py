"""Host-key checking in whole `pbe run`s against the real sshd fleet: known_hosts markers,
the host key checking settings from the environment and from inventory variables."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest
import yaml

from playbook_engine.cli import main
from playbook_engine.errors import HostUnreachable
from playbook_engine.testing.fleet import Fleet
from playbook_engine.transport.ssh import SSHConnection

pytestmark = pytest.mark.fleet

PING = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PBE_HOST_KEY_CHECKING", "ANSIBLE_HOST_KEY_CHECKING"):
        monkeypatch.delenv(name, raising=False)


def public_key(fleet: Fleet, host: str) -> str:
    """``TYPE BASE64`` of a fleet host's key."""
    return " ".join(Path(f"{fleet.host(host).host_key_path}.pub").read_text().split()[:2])


def line(fleet: Fleet, host: str, key_of: str | None = None, name: str | None = None) -> str:
    return f"{name or fleet.host(host).known_hosts_name} {public_key(fleet, key_of or host)}\n"


def run(
    fleet: Fleet,
    tmp_path: Path,
    known: Path,
    *extra: str,
    hosts: tuple[str, ...] = ("h01", "h02"),
    host_vars: dict[str, dict[str, object]] | None = None,
) -> tuple[int, str, str]:
    inventory = fleet.write_inventory(tmp_path / "inventory.yml", hosts=hosts)
    if host_vars:
        data = yaml.safe_load(inventory.read_text())
        for host, values in host_vars.items():
            data["all"]["hosts"][host].update(values)
        inventory.write_text(yaml.safe_dump(data))
    book = tmp_path / "ping.yml"
    book.write_text(PING)
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "run",
            str(book),
            "-i",
            str(inventory),
            "--known-hosts",
            str(known),
            "--ssh-config",
            os.devnull,
            *extra,
        ],
        out,
        err,
    )
    return code, out.getvalue(), err.getvalue()


def recap(output: str) -> dict[str, tuple[int, int, int]]:
    """host -> (ok, unreachable, failed) from the PLAY RECAP lines."""
    stats = {}
    for ln in output.split("PLAY RECAP")[-1].splitlines():
        if " : " in ln:
            host, counts = ln.split(" : ")
            found = dict(re.findall(r"(\w+)=(\d+)", counts))
            stats[host.strip()] = (
                int(found["ok"]),
                int(found["unreachable"]),
                int(found["failed"]),
            )
    return stats


OK, UNREACHABLE = (1, 0, 0), (0, 1, 0)


# -- @revoked and @cert-authority --------------------------------------------------------


def test_revoked_host_key_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(fleet.known_hosts.read_text() + f"@revoked * {public_key(fleet, 'h01')}\n")

    code, out, err = run(fleet, tmp_path, known)

    assert code == 3, out + err
    assert recap(out)["h01"] == UNREACHABLE
    assert recap(out)["h02"] == OK
    assert (
        f"host key for {fleet.host('h01').known_hosts_name} is REVOKED: the server "
        "offered ssh-ed25519 SHA256:"
    ) in out
    assert f"which {known}:6 marks @revoked" in out
    assert "internal error" not in out + err and "Traceback" not in out + err


def test_cert_authority_lines_warn_once_and_other_lines_still_count(
    fleet: Fleet, tmp_path: Path
) -> None:
    ca = paramiko.ECDSAKey.generate()
    known = tmp_path / "known_hosts"
    known.write_text(
        f"@cert-authority *.example.com,127.0.0.* {ca.get_name()} "
        f"{ca.get_base64()}\n" + fleet.known_hosts.read_text()
    )
    hosts = tuple(h.name for h in fleet.hosts)

    code, out, err = run(fleet, tmp_path, known, hosts=hosts)

    assert code == 0, out + err
    assert recap(out) == dict.fromkeys(hosts, OK)
    assert (out + err).count("@cert-authority") == 1
    assert (
        f"{known}: ignoring @cert-authority line(s) 1: pbe does not verify host certificates" in err
    )


def test_a_host_covered_only_by_a_cert_authority_is_unknown(fleet: Fleet, tmp_path: Path) -> None:
    ca = paramiko.ECDSAKey.generate()
    known = tmp_path / "known_hosts"
    start = f"@cert-authority * {ca.get_name()} {ca.get_base64()}\n" + line(fleet, "h02")
    known.write_text(start)

    code, out, _ = run(fleet, tmp_path, known)
    assert code == 3
    assert f"host key for {fleet.host('h01').known_hosts_name} is not in known_hosts" in out

    code, out, err = run(fleet, tmp_path, known, "--host-key-checking", "accept-new")
    assert code == 0, out + err
    assert known.read_text() == start + line(fleet, "h01")


@pytest.mark.parametrize("hashed", [False, True])
def test_accept_new_never_adds_a_second_key(fleet: Fleet, tmp_path: Path, hashed: bool) -> None:
    name = fleet.host("h01").known_hosts_name
    known = tmp_path / "known_hosts"
    wrong = line(
        fleet, "h01", key_of="h02", name=paramiko.HostKeys.hash_host(name) if hashed else name
    )
    known.write_text(wrong)

    with pytest.raises(HostUnreachable, match="host key MISMATCH .* the host key changed"):
        SSHConnection.open(
            fleet.spec("h01", known_hosts_files=(str(known),), host_key_checking="accept-new")
        )
    assert known.read_text() == wrong


def test_runs_in_parallel_record_every_new_key_once(fleet: Fleet, tmp_path: Path) -> None:
    """Three `pbe run` processes, each with several hosts (threads), share one file."""
    known = tmp_path / "known_hosts"
    inventory = fleet.write_inventory(tmp_path / "inventory.yml")
    book = tmp_path / "ping.yml"
    book.write_text(PING)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    argv = [
        sys.executable,
        "-m",
        "playbook_engine",
        "run",
        str(book),
        "-i",
        str(inventory),
        "--known-hosts",
        str(known),
        "--ssh-config",
        os.devnull,
        "--host-key-checking",
        "accept-new",
        "--limit",
    ]
    procs = [
        subprocess.Popen(
            [*argv, limit], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for limit in ("h01,h02", "h03,h04", "h05")
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    expected = [line(fleet, h.name) for h in fleet.hosts]
    assert sorted(known.read_text().splitlines(keepends=True)) == sorted(expected)


# -- where the setting comes from --------------------------------------------------------


def wrong_key_for_h01(fleet: Fleet, tmp_path: Path) -> Path:
    known = tmp_path / "known_hosts"
    known.write_text(line(fleet, "h01", key_of="h02") + line(fleet, "h02"))
    return known


@pytest.mark.parametrize("value", ["on", "y", "TRUE ", "t"])
def test_environment_true_spellings_keep_checking_on(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", value)
    code, out, _ = run(fleet, tmp_path, wrong_key_for_h01(fleet, tmp_path))
    assert code == 3
    assert recap(out)["h01"] == UNREACHABLE
    assert "host key MISMATCH" in out


def test_environment_false_turns_checking_off(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PBE_HOST_KEY_CHECKING", " False")
    code, out, err = run(fleet, tmp_path, wrong_key_for_h01(fleet, tmp_path))
    assert code == 0, out + err
    assert "host key checking is off" in err


def test_environment_empty_value_is_an_options_error(
    fleet: Fleet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", "")
    code, out, err = run(fleet, tmp_path, wrong_key_for_h01(fleet, tmp_path))
    assert code == 5
    assert "ANSIBLE_HOST_KEY_CHECKING='' is not a host key checking setting" in err
    assert "PLAY RECAP" not in out


@pytest.mark.parametrize("value", ["", "maybe", 2])
def test_bad_inventory_setting_refuses_the_host(
    fleet: Fleet, tmp_path: Path, value: object
) -> None:
    code, out, err = run(
        fleet,
        tmp_path,
        wrong_key_for_h01(fleet, tmp_path),
        host_vars={
            "h01": {"ansible_host_key_checking": value},
            "h02": {"ansible_ssh_host_key_checking": value},
        },
    )
    assert code == 3, out + err
    assert recap(out)["h01"] == UNREACHABLE
    assert recap(out)["h02"] == UNREACHABLE
    assert f"ansible_host_key_checking={value!r} is not a host key checking setting" in out
    assert f"ansible_ssh_host_key_checking={value!r} is not a host key checking setting" in out
    assert "internal error" not in out + err


@pytest.mark.parametrize(
    ("value", "h01_connects"),
    [
        (False, True),
        ("no", True),
        ("off", True),
        (True, False),
        ("yes", False),
        ("strict", False),
        ("accept-new", False),
    ],
)
def test_inventory_setting(fleet: Fleet, tmp_path: Path, value: object, h01_connects: bool) -> None:
    known = wrong_key_for_h01(fleet, tmp_path)
    code, out, err = run(
        fleet, tmp_path, known, host_vars={"h01": {"ansible_host_key_checking": value}}
    )
    assert code == (0 if h01_connects else 3), out + err
    assert recap(out) == {"h01": OK if h01_connects else UNREACHABLE, "h02": OK}
    assert known.read_text() == line(fleet, "h01", key_of="h02") + line(fleet, "h02")
