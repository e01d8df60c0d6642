"""``password_hash`` and pbe's own crypt(3): SHA-512, SHA-256 and MD5 against known vectors.

The vectors come from ``openssl passwd -6/-5/-1 -salt SALT PASSWORD`` (5000 rounds, which
openssl leaves out of the string) and from the SHA-crypt specification's examples.
"""

from __future__ import annotations

from typing import Any

import pytest

from playbook_engine.errors import TemplateError
from playbook_engine.templating.cryptpw import crypt_hash, password_hash
from playbook_engine.templating.templar import TemplateEngine
from playbook_engine.templating.values import trust

# (scheme, salt, password, rounds, expected)
VECTORS = [
    (
        "sha512",
        "saltsalt",
        "secret",
        5000,
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRst"
        "iNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1",
    ),
    (
        "sha256",
        "saltsalt",
        "secret",
        5000,
        "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA",
    ),
    ("md5", "saltsalt", "secret", None, "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"),
    (
        "sha512",
        "abc",
        "hello",
        5000,
        "$6$abc$34O8oRzThM7onc3iRQAcdWBv2H/sMGJlnsnG6"
        "uIkasTEvQkG9apXR/oBhPpqIepkul8wg.bf4wxoel67eJND./",
    ),
    (
        "sha256",
        "abc",
        "hello",
        5000,
        "$5$abc$W6SISEcmf6GfVdGFK0lGBXz2NPDhGZ.FBBMOz418YA7",
    ),
    ("md5", "abc", "hello", None, "$1$abc$jWy0FsfCoVBK.I85XpXf30"),
    (
        "sha512",
        "x",
        "''",
        5000,
        "$6$x$ZPALRZrppG3LcpVpzA2KUTSTKjbvOXv8nmm/jGFjHDJ/"
        "NQA4aKy1XvNI2wU6ULBKsEkgaXNKvdJ735RKpmjKR.",
    ),
    ("md5", "x", "''", None, "$1$x$4UCFgXiXcmU7WMgqbtzcN1"),
    (
        "sha512",
        "0123456789abcdef",
        "longerpasswordthan16chars",
        5000,
        "$6$0123456789abcdef$A9MB4x2CDJ9bHqV96SI/6T8WZMVHxDA741getrelvAQG3NYjQA6u0So"
        "facMG5cnIn09nGgtHQWYmfPi/CTkTW1",
    ),
    (
        "sha256",
        "0123456789abcdef",
        "longerpasswordthan16chars",
        5000,
        "$5$0123456789abcdef$uKDuDTPb7p2E31MusPlyLxyzk8qI2qY6OSXAwBhLZx7",
    ),
    ("md5", "01234567", "longerpasswordthan16chars", None, "$1$01234567$cs7Pa7A1fBte5IxatUn/m1"),
    (
        "sha512",
        "ab/.cd",
        "pässwörd",
        5000,
        "$6$ab/.cd$iGglwRYvplw/NCzAt7AxQAONSIXLu"
        "Ty01.5Qx4XQZw4xKm8TvK9R7jmKof3xnnEz2dB9ZsmTT6lDUETHrzNs7/",
    ),
    ("md5", "ab/.cd", "pässwörd", None, "$1$ab/.cd$rbgmdzcSou8a/y6uCf5zu/"),
    ("md5", "abc", "", None, "$1$abc$Or2rbeUYTvt12aiVzMuS/."),
    # the specification's own examples
    (
        "sha512",
        "saltstring",
        "Hello world!",
        5000,
        "$6$saltstring$svn8UoSVapNtMuq1"
        "ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ),
    (
        "sha512",
        "saltstringsaltst",
        "Hello world!",
        10000,
        "$6$rounds=10000$saltstringsaltst$"
        "OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ),
    (
        "sha256",
        "saltstring",
        "Hello world!",
        5000,
        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
    ),
]


@pytest.mark.parametrize(("scheme", "salt", "password", "rounds", "expected"), VECTORS)
def test_crypt_vectors(
    scheme: str, salt: str, password: str, rounds: int | None, expected: str
) -> None:
    assert crypt_hash(password, scheme, salt, rounds) == expected


def test_rounds_are_clamped_like_crypt() -> None:
    assert crypt_hash("secret", "sha512", "saltsalt", 10).startswith("$6$rounds=1000$")


def test_default_rounds_are_ansibles() -> None:
    """Ansible always writes its default rounds (656000 for SHA-512, 535000 for SHA-256);
    this value is what libc's crypt() gives for that salt string."""
    assert password_hash("secret", "sha512", "saltsalt") == (
        "$6$rounds=656000$saltsalt$Vg7us3Hcq8rplCTNjwvGRwObM2xyfDZZ.XP2YLQ.ii85wAq/psu28uEfo"
        "MveNszsQWMgkWRxbZm2mBBlNn3.J0"
    )
    assert password_hash("secret", "sha256", "saltsalt", rounds=5000) == (
        "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"
    )


@pytest.fixture(scope="module")
def engine() -> TemplateEngine:
    return TemplateEngine()


def render(engine: TemplateEngine, source: str, **variables: Any) -> Any:
    return engine.templar(variables).render(trust(source))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ pw | password_hash('sha512', 'saltsalt', rounds=5000) }}", VECTORS[0][4]),
        (
            "{{ pw | ansible.builtin.password_hash('sha512_crypt', 'saltsalt', rounds=5000) }}",
            VECTORS[0][4],
        ),
        ("{{ pw | password_hash('sha256_crypt', salt='saltsalt', rounds='5000') }}", VECTORS[1][4]),
        ("{{ pw | password_hash('md5', 'saltsalt') }}", VECTORS[2][4]),
        ("{{ pw | password_hash('md5_crypt', 'saltsalt') }}", VECTORS[2][4]),
    ],
)
def test_password_hash_filter(engine: TemplateEngine, source: str, expected: str) -> None:
    assert render(engine, source, pw="secret") == expected


def test_crypts_default_count_is_left_unwritten_as_ansible_does(engine: TemplateEngine) -> None:
    """5000 rounds is crypt(3)'s default: Ansible writes `$5$SALT$`, as openssl does."""
    made = render(
        engine, "{{ pw | password_hash('sha256', 'abcdefgh', rounds=5000) }}", pw="secret"
    )
    assert made == "$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM."


@pytest.mark.parametrize(
    ("source", "prefix", "salt_size"),
    [
        ("{{ pw | password_hash }}", "$6$rounds=656000$", 16),
        ("{{ pw | password_hash('sha256', rounds=6000) }}", "$5$rounds=6000$", 16),
        ("{{ pw | password_hash('md5') }}", "$1$", 8),
        ("{{ pw | password_hash('sha512', salt_size=4, rounds=1000) }}", "$6$rounds=1000$", 4),
    ],
)
def test_random_salts(engine: TemplateEngine, source: str, prefix: str, salt_size: int) -> None:
    first, second = render(engine, source, pw="x"), render(engine, source, pw="x")
    assert first.startswith(prefix) and second.startswith(prefix)
    assert first != second  # a new salt each time (never folded into a constant)
    salt = first[len(prefix) :].split("$")[0]
    assert len(salt) == salt_size
    assert (
        crypt_hash(
            "x",
            {"$6": "sha512", "$5": "sha256", "$1": "md5"}[prefix[:2]],
            salt,
            int(prefix.split("=")[1].rstrip("$")) if "=" in prefix else None,
        )
        == first
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ pw | password_hash('bcrypt') }}", "bcrypt needs passlib"),
        ("{{ pw | password_hash('sha1') }}", "does not support the hash type 'sha1'"),
        ("{{ pw | password_hash('sha512', 'bad salt!') }}", "invalid characters in salt"),
        ("{{ pw | password_hash('sha512', 'a' * 17) }}", "invalid salt size 17"),
        ("{{ pw | password_hash('md5', 'a' * 9) }}", "invalid salt size 9 for md5"),
        ("{{ pw | password_hash('sha512', salt_size=20) }}", "invalid salt size 20"),
        ("{{ pw | password_hash(salt_size=[999]) }}", "salt_size must be an integer, got [999]"),
        ("{{ pw | password_hash('md5', 'abc', rounds=5) }}", "md5 has a fixed number of rounds"),
        ("{{ pw | password_hash('sha512', 'abc', ident='2b') }}", "`ident` only applies to bcrypt"),
    ],
)
def test_password_hash_errors(engine: TemplateEngine, source: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(engine, source, pw="secret")
    assert message in str(info.value)
