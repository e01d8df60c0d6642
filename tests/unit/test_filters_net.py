"""Network basics from ``ansible.utils`` on the standard ``ipaddress`` module.

Every case's expected value is what ansible-core 2.21 with ``ansible.utils`` (and netaddr)
answers for the same expression, written with the ``ansible.utils.`` prefix there.
"""

from __future__ import annotations

from typing import Any

import pytest

from playbook_engine.errors import TemplateError
from playbook_engine.templating.filters_net import NET_FILTERS, NET_TESTS
from playbook_engine.templating.templar import TemplateEngine
from playbook_engine.templating.values import trust

CASES: list[tuple[str, Any]] = [
    ("{{ '192.168.1.5/24' | ipaddr }}", "192.168.1.5/24"),
    ("{{ '192.168.1.5/24' | ipaddr('address') }}", "192.168.1.5"),
    ("{{ '192.168.1.0/24' | ipaddr('address') }}", None),
    ("{{ '192.168.1.5/24' | ipaddr('network') }}", "192.168.1.0"),
    ("{{ '192.168.1.5/24' | ipaddr('netmask') }}", "255.255.255.0"),
    ("{{ '192.168.1.5/24' | ipaddr('prefix') }}", 24),
    ("{{ '192.168.1.5/24' | ipaddr('broadcast') }}", "192.168.1.255"),
    ("{{ '192.168.1.5/24' | ipaddr('host') }}", "192.168.1.5/24"),
    ("{{ '192.168.1.0/24' | ipaddr('host') }}", None),
    ("{{ '192.168.1.5/24' | ipaddr('net') }}", None),
    ("{{ '192.168.1.0/24' | ipaddr('net') }}", "192.168.1.0/24"),
    ("{{ '192.168.1.5/24' | ipaddr('size') }}", 256),
    ("{{ '192.168.1.5/24' | ipaddr('network/prefix') }}", "192.168.1.0/24"),
    ("{{ '192.168.1.5/24' | ipaddr('host/prefix') }}", "192.168.1.5/24"),
    ("{{ '192.168.1.5' | ipaddr('host/prefix') }}", "192.168.1.5/32"),
    ("{{ '192.168.1.5/24' | ipaddr('first_usable') }}", "192.168.1.1"),
    ("{{ '192.168.1.5/24' | ipaddr('last_usable') }}", "192.168.1.254"),
    ("{{ '192.168.1.5/24' | ipaddr('range_usable') }}", "192.168.1.1-192.168.1.254"),
    ("{{ '192.168.1.5/24' | ipaddr('private') }}", "192.168.1.5/24"),
    ("{{ '8.8.8.8' | ipaddr('public') }}", "8.8.8.8"),
    ("{{ '192.168.1.5/24' | ipaddr('public') }}", None),
    ("{{ '192.168.1.5/24' | ipaddr('revdns') }}", "5.1.168.192.in-addr.arpa."),
    ("{{ '192.168.1.0/24' | ipaddr(5) }}", "192.168.1.5/24"),
    ("{{ '192.168.1.0/24' | ipaddr('5') }}", "192.168.1.5/24"),
    ("{{ '192.168.1.0/24' | ipaddr(-1) }}", "192.168.1.255/24"),
    ("{{ '192.168.1.0/24' | ipaddr(300) }}", False),
    ("{{ 'nonsense' | ipaddr }}", False),
    ("{{ '192.168.1.5' | ipaddr }}", "192.168.1.5"),
    ("{{ '192.168.1.5' | ipaddr('address') }}", "192.168.1.5"),
    ("{{ '192.168.1.5' | ipaddr('network') }}", "192.168.1.5"),
    ("{{ '192.168.1.5' | ipaddr('prefix') }}", 32),
    ("{{ '192.168.1.5' | ipaddr('broadcast') }}", None),
    ("{{ '10.0.0.0/31' | ipaddr('first_usable') }}", "10.0.0.0"),
    ("{{ '10.0.0.0/31' | ipaddr('last_usable') }}", "10.0.0.1"),
    ("{{ '10.0.0.1/32' | ipaddr('range_usable') }}", None),
    (
        "{{ ['192.168.1.5', 'x', '::1', '10.0.0.0/8'] | ipaddr }}",
        ["192.168.1.5", "::1", "10.0.0.0/8"],
    ),
    ("{{ ['192.168.1.5', 'x', '::1', '10.0.0.0/8'] | ipv4 }}", ["192.168.1.5", "10.0.0.0/8"]),
    ("{{ ['192.168.1.5', 'x', '::1', '10.0.0.0/8'] | ipv6 }}", ["::1"]),
    ("{{ ['192.168.1.5/24', '10.0.0.0/8'] | ipaddr('address') }}", ["192.168.1.5"]),
    ("{{ '192.168.1.5' | ipv4('address') }}", "192.168.1.5"),
    ("{{ '::1' | ipv4 }}", False),
    ("{{ 'fe80::1/64' | ipaddr('network') }}", "fe80::"),
    ("{{ 'fe80::1/64' | ipaddr('netmask') }}", "ffff:ffff:ffff:ffff::"),
    ("{{ 'fe80::1/64' | ipaddr('first_usable') }}", "fe80::1"),
    ("{{ 'fe80::1/64' | ipaddr('last_usable') }}", "fe80::ffff:ffff:ffff:fffe"),
    ("{{ 'fe80::1/64' | ipaddr('broadcast') }}", "fe80::ffff:ffff:ffff:ffff"),
    (
        "{{ 'fe80::1/64' | ipaddr('revdns') }}",
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa.",
    ),
    ("{{ '2001:db8::/32' | ipaddr('size') }}", 79228162514264337593543950336),
    ("{{ '192.168.1.5' | ipmath(5) }}", "192.168.1.10"),
    ("{{ '192.168.1.5' | ipmath(-10) }}", "192.168.0.251"),
    ("{{ '192.168.1.5/24' | ipmath(5) }}", "192.168.1.10"),
    ("{{ '::1' | ipmath(5) }}", "::6"),
    ("{{ '192.168.1.0/24' | next_nth_usable(2) }}", "192.168.1.2"),
    ("{{ '192.168.1.5/24' | next_nth_usable(2) }}", "192.168.1.7"),
    ("{{ '192.168.1.254/24' | next_nth_usable(2) }}", None),
    ("{{ '192.168.1.5/24' | previous_nth_usable(2) }}", "192.168.1.3"),
    ("{{ '192.168.1.1/24' | previous_nth_usable(2) }}", None),
    ("{{ '192.168.1.5/24' | nthhost(10) }}", "192.168.1.10"),
    ("{{ '192.168.1.0/24' | nthhost(10) }}", "192.168.1.10"),
    ("{{ '192.168.1.0/24' | nthhost(-1) }}", "192.168.1.255"),
    ("{{ '::1' | ipwrap }}", "[::1]"),
    ("{{ '192.168.1.5' | ipwrap }}", "192.168.1.5"),
    ("{{ 'fe80::1/64' | ipwrap }}", "[fe80::1]/64"),
    ("{{ ['::1', '1.2.3.4', 'host'] | ipwrap }}", ["[::1]", "1.2.3.4", "host"]),
    ("{{ 'host' | ipwrap }}", "host"),
    ("{{ '1.2.3.4' is ipv4_address }}", True),
    ("{{ '1.2.3.4/24' is ipv4_address }}", False),
    ("{{ '1.2.3.4' is ip_address }}", True),
    ("{{ '::1' is ipv6_address }}", True),
    ("{{ '::1' is ipv4_address }}", False),
    ("{{ 'x' is ip }}", False),
    ("{{ '1.2.3.4/24' is ip }}", False),
    ("{{ '10.1.2.3' is in_network('10.0.0.0/8') }}", True),
    ("{{ '11.1.2.3' is in_network('10.0.0.0/8') }}", False),
    ("{{ '192.168.1.5/24' | ipaddr('subnet') }}", "192.168.1.0/24"),
    ("{{ '192.168.1.5/24' | ipaddr('cidr') }}", "192.168.1.5/24"),
    ("{{ '192.168.1.5/24' | ipaddr('ip') }}", "192.168.1.5"),
    ("{{ '192.168.1.5/24' | ipaddr('version') }}", 4),
    ("{{ '192.168.1.5/24' | ipaddr('type') }}", "address"),
    ("{{ '192.168.1.0/24' | ipaddr('type') }}", "network"),
    ("{{ '192.168.1.5/24' | ipaddr('hostmask') }}", "0.0.0.255"),
    ("{{ '192.168.1.5/24' | ipaddr('int') }}", "3232235781/24"),
    ("{{ '10.0.0.1/8' | network_in_usable('10.1.1.1') }}", True),
    ("{{ '10.0.0.1/8' | network_in_usable('10.0.0.0') }}", False),
    ("{{ '10.0.0.1/8' | network_in_usable('10.255.255.255') }}", False),
    ("{{ '10.0.0.0/8' | network_in_network('10.1.1.0/24') }}", True),
    ("{{ '10.0.0.0/8' | network_in_network('11.1.1.0/24') }}", False),
    ("{{ '192.168.1.5/255.255.255.0' | ipaddr('prefix') }}", 24),
    ("{{ '192.168.1.5 255.255.255.0' | ipaddr('prefix') }}", False),
    (
        "{{ ['192.168.1.0/24', '192.168.0.0/24', '10.0.0.1'] | cidr_merge }}",
        ["10.0.0.1/32", "192.168.0.0/23"],
    ),
    ("{{ ['192.168.1.0/24', '192.168.0.0/24', '10.0.0.1'] | cidr_merge('span') }}", "0.0.0.0/0"),
    ("{{ ['192.168.1.0/25', '192.168.1.128/25'] | cidr_merge }}", ["192.168.1.0/24"]),
    ("{{ '192.168.1.5/24' | ipaddr('loopback') }}", None),
    ("{{ '127.0.0.1' | ipaddr('loopback') }}", "127.0.0.1"),
    ("{{ 5 | ipaddr }}", "0.0.0.5"),
    ("{{ '' | ipaddr }}", False),
]


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


def render(engine: TemplateEngine, source: str) -> Any:
    return engine.templar({}).render(trust(source))


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_like_ansible_utils(engine: TemplateEngine, source: str, expected: Any) -> None:
    assert render(engine, source) == expected


@pytest.mark.parametrize(("source", "expected"), CASES[:12])
def test_fully_qualified_names(engine: TemplateEngine, source: str, expected: Any) -> None:
    for prefix in ("ansible.utils.", "ansible.netcommon."):
        qualified = source.replace("| ", f"| {prefix}").replace(" is ", f" is {prefix}")
        assert render(engine, qualified) == expected


def test_every_name_is_exercised() -> None:
    sources = " ".join(case[0] for case in CASES)
    assert {name for name in [*NET_FILTERS, *NET_TESTS] if name not in sources} == set()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ '10.0.0.1/24' | ipaddr('bogus') }}", "ipaddr: unknown query 'bogus'"),
        ("{{ '255.255.255.255' | ipmath(1) }}", "ipmath:"),
        ("{{ 'x' | ipmath(1) }}", "ipmath: 'x' is not an IP address"),
        ("{{ '10.0.0.1' | next_nth_usable(1) }}", "needs a network prefix"),
        ("{{ ['10.0.0.0/8'] | cidr_merge('both') }}", "action must be merge or span"),
    ],
)
def test_errors(engine: TemplateEngine, source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(engine, source)
    assert message in str(info.value)
