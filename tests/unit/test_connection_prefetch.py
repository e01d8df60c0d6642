"""Connecting early: ``ConnectionCache.prefetch`` opens connections before the first task
asks, on at most ``forks`` threads, and hands them over only as the task would have got
them (same settings; a failure raised where the task asks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from playbook_engine.errors import HostUnreachable
from playbook_engine.transport import ConnectionCache, ConnectionSpec


@pytest.fixture
def cache() -> Iterator[ConnectionCache]:
    connections = ConnectionCache()
    yield connections
    connections.close_all()


def _local(host: str, **overrides: object) -> ConnectionSpec:
    return ConnectionSpec(host, "localhost", connection="local", **overrides)  # type: ignore[arg-type]


def _refused(host: str) -> ConnectionSpec:
    """An SSH spec for a port nothing listens on: fails fast, needs no server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return ConnectionSpec(
        host, "127.0.0.1", port=port, ssh_config_file="/dev/null", connect_timeout=2
    )


def _settled(cache: ConnectionCache, hosts: list[str], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with cache._lock:
            if all(h in cache._conns or h in cache._failed for h in hosts):
                return
        time.sleep(0.01)
    raise AssertionError("the prefetch never finished")


def test_prefetched_connections_are_the_ones_get_returns(cache: ConnectionCache) -> None:
    hosts = [f"h{i}" for i in range(6)]
    cache.prefetch(hosts, _local, limit=2)
    _settled(cache, hosts)
    early = {h: cache._conns[h] for h in hosts}
    assert all(cache.get(_local(h)) is early[h] for h in hosts)


def test_at_most_limit_threads_connect(cache: ConnectionCache) -> None:
    seen: set[str] = set()
    busy, peak = 0, 0
    lock = threading.Lock()

    def spec_of(host: str) -> ConnectionSpec:
        nonlocal busy, peak
        with lock:
            busy += 1
            peak = max(peak, busy)
            seen.add(threading.current_thread().name)
        time.sleep(0.05)
        with lock:
            busy -= 1
        return _local(host)

    hosts = [f"h{i}" for i in range(12)]
    cache.prefetch(hosts, spec_of, limit=3)
    _settled(cache, hosts)
    assert peak <= 3 and len(seen) <= 3


def test_other_settings_get_a_connection_of_their_own(cache: ConnectionCache) -> None:
    cache.prefetch(["a"], _local, limit=1)
    _settled(cache, ["a"])
    early = cache._conns["a"]
    wanted = _local("a", command_timeout=5.0)
    conn = cache.get(wanted)
    assert conn is not early and conn.spec == wanted
    assert cache.get(wanted) is conn


def test_a_failed_prefetch_is_raised_by_the_first_get_then_retried(cache: ConnectionCache) -> None:
    spec = _refused("down")
    cache.prefetch(["down"], lambda host: spec, limit=1)
    _settled(cache, ["down"])
    with pytest.raises(HostUnreachable, match="connection refused"):
        cache.get(spec)
    with pytest.raises(HostUnreachable, match="connection refused"):
        cache.get(spec)  # a real attempt this time


def test_settings_that_cannot_be_worked_out_are_left_to_the_task(cache: ConnectionCache) -> None:
    def spec_of(host: str) -> ConnectionSpec:
        raise ValueError("bad vars")

    cache.prefetch(["x"], spec_of, limit=1)
    conn = cache.get(_local("x"))
    assert conn.run("echo ok").stdout == b"ok\n"


def test_nothing_prefetched_outlives_close_all() -> None:
    cache = ConnectionCache()
    release = threading.Event()

    def spec_of(host: str) -> ConnectionSpec:
        release.wait(5)
        return _local(host)

    cache.prefetch(["late"], spec_of, limit=1)
    cache.close_all()
    release.set()
    time.sleep(0.2)
    assert cache._conns == {}


def test_close_all_waits_for_a_prefetch_still_connecting() -> None:
    """A run that needed no connection may end while a prefetch is still resolving a host:
    the interpreter must not exit with that thread inside the C resolver (glibc aborts the
    process: exit 134, "FATAL: exception not rethrown"), so close_all waits for it."""
    cache = ConnectionCache()
    entered, release = threading.Event(), threading.Event()

    def slow(host: str) -> ConnectionSpec:
        entered.set()
        release.wait(5)
        return _local(host)

    cache.prefetch(["h0"], slow, limit=1)
    assert entered.wait(5)
    threading.Timer(0.3, release.set).start()
    cache.close_all()
    assert not [t for t in threading.enumerate() if t.name.startswith("pbe-prefetch")]
