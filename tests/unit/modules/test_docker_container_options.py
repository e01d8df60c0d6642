"""docker_container's options (util/dockeropts, util/dockervalues): how each argument is
read (sizes, durations, ulimits, health checks), the ``docker create`` words it becomes,
and how it is compared with ``docker container inspect``. The recorded cases in
recorded/docker_container/ run them end to end."""

from __future__ import annotations

from typing import Any

import pytest

from playbook_engine.errors import ModuleError
from playbook_engine.modules.docker_container import DockerContainer, Found, option_differences
from playbook_engine.modules.util.dockeropts import OPTIONS, Opt
from playbook_engine.modules.util.dockervalues import nanoseconds, size_bytes


def option(name: str) -> Opt:
    return next(opt for opt in OPTIONS if opt.name == name)


def words(name: str, value: Any) -> list[str]:
    opt = option(name)
    return opt.flags(opt.want(value))


def differs(args: dict[str, Any], container: dict[str, Any], **image: Any) -> list[str]:
    given = {opt.name: None for opt in OPTIONS} | args
    return option_differences(given, Found(container, image or None), {})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512m", 512 * 1024**2),
        ("1g", 1024**3),
        ("1.5G", 3 * 512 * 1024**2),
        ("1024", 1024),
        ("64MB", 64 * 1024**2),
        ("2 megabytes", 2 * 1024**2),
        ("10b", 10),
    ],
)
def test_sizes_read_as_ansible_reads_them(text: str, expected: int) -> None:
    assert size_bytes("shm_size", text) == expected


@pytest.mark.parametrize("text", ["lots", "", "64mb", "1Mi", "-1", "1.2.3", "5q"])
def test_a_bad_size_names_the_option(text: str) -> None:
    with pytest.raises(ModuleError, match=r"^memory_reservation: cannot read .* as a size"):
        size_bytes("memory_reservation", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", 30 * 10**9),
        ("1m30s", 90 * 10**9),
        ("500ms", 5 * 10**8),
        ("1h", 3600 * 10**9),
        ("10us", 10**4),
        ("", 0),
    ],
)
def test_durations(text: str, expected: int) -> None:
    assert nanoseconds("interval", text) == expected


@pytest.mark.parametrize("value", ["30", 30, "1s1m", "1d", "30 s"])
def test_a_bad_duration_is_refused(value: Any) -> None:
    with pytest.raises(ModuleError, match=r"^healthcheck: cannot read interval"):
        nanoseconds("interval", value)


def test_ulimits_become_ulimit_flags_hard_defaulting_to_soft() -> None:
    assert words("ulimits", ["nofile:1024:2048", "nproc:512"]) == [
        "--ulimit",
        "nofile=1024:2048",
        "--ulimit",
        "nproc=512:512",
    ]


@pytest.mark.parametrize("bad", [":1024:2048", "nofile", "nofile:lots", "nofile:10:5", "a=1:2"])
def test_a_bad_ulimit_is_refused(bad: str) -> None:
    with pytest.raises(ModuleError, match=r"^ulimits: "):
        option("ulimits").want([bad])


def test_health_check_flags() -> None:
    check = {"test": "pg_isready -U app", "interval": "1m30s", "retries": 5}
    assert words("healthcheck", check) == [
        "--health-cmd",
        "'pg_isready -U app'",
        "--health-interval",
        "1m30s",
        "--health-retries",
        "5",
    ]


@pytest.mark.parametrize(
    "check",
    [{"test": ["NONE"]}, {"test": ["NONE"], "interval": "5s"}, {"interval": "5s"}, {}],
)
def test_a_health_check_without_test_or_with_none_is_disabled(check: dict[str, Any]) -> None:
    assert option("healthcheck").want(check) == {"Test": ["NONE"]}
    assert words("healthcheck", check) == ["--no-healthcheck"]


def test_test_cli_compatible_keeps_the_image_test() -> None:
    check = {"interval": "5s", "test_cli_compatible": True}
    assert option("healthcheck").want(check) == {"Interval": 5 * 10**9}
    assert words("healthcheck", check) == ["--health-interval", "5s"]


@pytest.mark.parametrize(
    "check",
    [{"test": ["EXEC", "x"]}, {"test": ["CMD"]}, {"test": "x", "every": "5s"}, {"test": {"a": 1}}],
)
def test_a_bad_health_check_is_refused(check: dict[str, Any]) -> None:
    with pytest.raises(ModuleError, match=r"^healthcheck: "):
        option("healthcheck").want(check)


def test_an_exec_form_test_matches_the_shell_form_the_cli_made() -> None:
    container = {"Config": {"Healthcheck": {"Test": ["CMD-SHELL", "curl -f 'http://x/a b'"]}}}
    check = {"test": ["CMD", "curl", "-f", "http://x/a b"]}
    assert differs({"healthcheck": check}, container) == []
    assert differs({"healthcheck": {"test": ["CMD", "curl", "http://x/"]}}, container) == [
        "healthcheck"
    ]


def test_resource_limits_compare_with_host_config() -> None:
    host = {
        "NanoCpus": 1500000000,
        "CpuShares": 512,
        "MemoryReservation": 256 * 1024**2,
        "MemorySwap": -1,
        "ShmSize": 64 * 1024**2,
        "PidsLimit": None,
        "Sysctls": {},
    }
    asked = {
        "cpus": 1.5,
        "cpu_shares": 512,
        "memory_reservation": "256m",
        "memory_swap": "unlimited",
        "shm_size": "64m",
        "pids_limit": -1,
    }
    assert differs(asked, {"HostConfig": host}) == []
    assert differs({**asked, "cpus": 2, "shm_size": "128m"}, {"HostConfig": host}) == [
        "cpus",
        "shm_size",
    ]


def test_values_a_daemon_drops_are_not_compared() -> None:
    host = {"MemorySwappiness": None, "OomKillDisable": None}
    assert differs({"memory_swappiness": 10, "oom_killer": True}, {"HostConfig": host}) == []
    host = {"MemorySwappiness": 60, "OomKillDisable": False}
    assert differs({"memory_swappiness": 10, "oom_killer": True}, {"HostConfig": host}) == [
        "memory_swappiness",
        "oom_killer",
    ]


def test_links_devices_and_platform() -> None:
    container = {
        "HostConfig": {
            "Links": ["/db:/app/database"],
            "BlkioDeviceReadBps": [{"Path": "/dev/sda", "Rate": 1048576}],
        }
    }
    asked = {"links": ["db:database"], "device_read_bps": [{"path": "/dev/sda", "rate": "1M"}]}
    assert differs(asked, container) == []
    assert words("device_read_bps", [{"path": "/dev/sda", "rate": "1M"}]) == [
        "--device-read-bps",
        "/dev/sda:1048576",
    ]
    assert differs({"links": ["db"]}, container) == ["links"]
    assert differs({"platform": "linux/x86_64"}, {}, Os="linux", Architecture="amd64") == []
    assert differs({"platform": "linux/arm64"}, {}, Os="linux", Architecture="amd64") == [
        "platform"
    ]


def test_device_requests_become_gpus_values() -> None:
    request = {"driver": "nvidia", "count": -1, "capabilities": [["gpu", "utility"]]}
    assert words("device_requests", [request]) == [
        "--gpus",
        "driver=nvidia,count=all,capabilities=utility",
    ]
    assert words("device_requests", [{"device_ids": ["0", "1"]}]) == ["--gpus", "'\"device=0,1\"'"]


def test_every_option_is_an_argument() -> None:
    assert {opt.name for opt in OPTIONS} <= set(DockerContainer.args)


def test_storage_options_are_key_value_flags() -> None:
    assert words("storage_opts", {"size": "10G", "quiet": True}) == [
        "--storage-opt",
        "size=10G",
        "--storage-opt",
        "quiet=true",
    ]
    host = {"StorageOpt": {"size": "10G"}}
    assert differs({"storage_opts": {"size": "10G"}}, {"HostConfig": host}) == []
    assert differs({"storage_opts": {"size": "20G"}}, {"HostConfig": host}) == ["storage_opts"]
