"""rpm_key: import an OpenPGP public key into the rpm database, or remove one.

One probe lists the installed keys (``gpg-pubkey`` packages, whose version is the key's
short id) and prints the key itself: the file on the host, or the URL fetched there with
curl or wget. The controller reads the key's id and fingerprints (util/openpgp.py; the
host needs no gpg), checks ``fingerprint`` and decides; one ``rpm --import`` or ``rpm
--erase`` applies it. A URL's key is imported from the very bytes that were checked.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ..transport.base import CommandResult
from ..transport.shell import quote
from . import register
from .base import Arg, ModuleContext
from .util.openpgp import NotAKey, PublicKey, read_keys
from .util.pkgbase import PackageFailure, PackageModule, PackagePrediction
from .util.state import Change

__all__ = ["RpmKey", "armor"]

_MARK = "::pbe"
_KEYID = re.compile(r"(0x)?[0-9a-f]{8}", re.IGNORECASE)
_INSTALLED = re.compile(r"[0-9a-f]+-[0-9a-f]+")
_FETCH = (
    'fetch() {{ if command -v curl >/dev/null 2>&1; then curl -fsSL {curl}-- "$1"; '
    'elif command -v wget >/dev/null 2>&1; then wget -q {wget}-O - -- "$1"; '
    "else echo 'neither curl nor wget is on the host' >&2; return 127; fi; }}"
)


@dataclass
class KeyState:
    """The installed key packages (version-release) and the key the task names."""

    installed: list[str]
    keyid: str  # upper-case hex, as given or read from the key
    key: PublicKey | None = None  # read from the file or URL
    data: bytes = b""


def kind_of(key: str) -> str:
    """url, keyid or file, in the order Ansible tells them apart."""
    if "://" in key:
        return "url"
    return "keyid" if _KEYID.match(key) else "file"


def short_id(keyid: str) -> str:
    return keyid[-8:].lower()


@register("rpm_key")
class RpmKey(PackageModule[KeyState]):
    """Import or remove an OpenPGP key in the rpm database (rpm's package signatures)."""

    masks_url_credentials = True  # `https://user:password@...` shown as `****:****`

    args: ClassVar[dict[str, Arg]] = {
        "key": Arg(
            "str",
            required=True,
            description="A URL, a file on the host, or (when "
            "already installed, or to remove) a key "
            "id or fingerprint.",
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("absent", "present"),
            description="Import the key, or remove it.",
        ),
        "fingerprint": Arg(
            "list",
            elements="str",
            description="The key (or one of its subkeys) must have one of "
            "these fingerprints to be imported (spaces allowed).",
        ),
        "validate_certs": Arg(
            "bool", default=True, description="Verify the TLS certificate of an https key URL."
        ),
    }
    returns: ClassVar[dict[str, str]] = {}

    def database(self, args: dict[str, Any]) -> str:
        return "rpm-gpg-pubkey:/"

    def probe(self, args: dict[str, Any], ctx: ModuleContext) -> str:
        key, kind = args["key"], kind_of(args["key"])
        lines = [
            "export LC_ALL=C",
            "command -v rpm >/dev/null 2>&1 || { echo 'rpm was not found on the host' "
            ">&2; exit 127; }",
            f"echo '{_MARK} keys'",
            "rpm -q gpg-pubkey --qf '%{VERSION}-%{RELEASE}\\n' 2>/dev/null",
        ]
        if kind == "keyid":
            return "; ".join(lines) + "; true"
        if kind == "url":
            insecure = not args["validate_certs"]
            lines.append(
                _FETCH.format(
                    curl="-k " if insecure else "",
                    wget="--no-check-certificate " if insecure else "",
                )
            )
            get = f"fetch {quote(key)}"
        else:
            get = f"if [ -f {quote(key)} ]; then cat -- {quote(key)}; else false; fi"
        lines += [f"echo '{_MARK} key'", f"{get}; r=$?", f"printf '\\n{_MARK} rc %s\\n' $r"]
        return "; ".join(lines)

    def parse(self, args: dict[str, Any], res: CommandResult) -> KeyState:
        if res.rc == 127 and "was not found" in res.err:
            raise PackageFailure(res.err.strip())
        head, _, rest = res.stdout.partition(f"{_MARK} key\n".encode())
        installed = [
            line
            for line in head.decode("utf-8", "replace").splitlines()
            if _INSTALLED.fullmatch(line)
        ]
        key = args["key"]
        if kind_of(key) == "keyid":
            return KeyState(installed, key.strip().upper().removeprefix("0X"))
        data, _, rc = rest.rpartition(f"\n{_MARK} rc ".encode())
        if rc.strip() != b"0":
            raise PackageFailure(_fetch_failure(key, res))
        try:
            found = read_keys(data)[0]
        except NotAKey as exc:
            raise PackageFailure(str(exc)) from None
        return KeyState(installed, found.keyid, found, data)

    def plan(self, args: dict[str, Any], state: KeyState) -> Change | None:
        matches = [v for v in state.installed if _short(v) == short_id(state.keyid)]
        if args["state"] == "absent":
            return Change("erase", "", {"erase": matches}) if matches else None
        if matches:
            return None
        if state.key is None:
            raise PackageFailure("When importing a key, a valid file must be given")
        _check_fingerprint(args, state.key)
        return Change("import", "", {"import": state.data})

    def values(self, args: dict[str, Any], state: KeyState) -> dict[str, Any]:
        return {}

    def apply(self, args: dict[str, Any], change: Change, ctx: ModuleContext) -> str:
        if change.op == "erase":
            names = " ".join(quote(f"gpg-pubkey-{v}") for v in change.values["erase"])
            return f"export LC_ALL=C; rpm --erase --allmatches -- {names}"
        if kind_of(args["key"]) == "file":
            return f"export LC_ALL=C; rpm --import -- {quote(args['key'])}"
        text = armor(change.values["import"])
        return (
            "export LC_ALL=C; t=$(mktemp) || exit 1; "
            f'printf \'%s\' {quote(text)} > "$t" && rpm --import -- "$t"; r=$?; '
            'rm -f -- "$t"; exit $r'
        )

    def applied(self, args: dict[str, Any], change: Change, res: CommandResult) -> dict[str, Any]:
        if res.rc != 0:
            raise PackageFailure(
                (res.err.strip() or res.out.strip() or f"rpm failed with exit status {res.rc}"),
                rc=res.rc,
            )
        return {}

    def remember(self, args: dict[str, Any], change: Change, prediction: PackagePrediction) -> None:
        if change.op == "erase":
            prediction.record(self.database(args), (), [_short(v) for v in change.values["erase"]])
            return
        keyid = read_keys(change.values["import"])[0].keyid
        prediction.record(self.database(args), [(short_id(keyid), "predicted")])

    def foresee(self, args: dict[str, Any], state: KeyState, known: dict[str, Any]) -> KeyState:
        """The installed keys as earlier tasks of the check run would leave them."""
        gone = {k for k, v in known.items() if v is None}
        kept = [v for v in state.installed if _short(v) not in gone]
        have = {_short(v) for v in kept}
        state.installed = kept + [
            f"{k}-0" for k, v in known.items() if v is not None and k not in have
        ]
        return state


def _short(installed: str) -> str:
    """The short key id of an installed ``gpg-pubkey`` version-release."""
    return short_id(installed.split("-")[0])


def armor(data: bytes) -> str:
    """The key as rpm --import reads it: ASCII-armored (kept as given when it already is)."""
    if data.lstrip().startswith(b"-----BEGIN PGP"):
        return data.decode("ascii", "replace")
    body = base64.b64encode(data).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    crc = base64.b64encode(_crc24(data).to_bytes(3, "big")).decode()
    return "\n".join(
        [
            "-----BEGIN PGP PUBLIC KEY BLOCK-----",
            "",
            *lines,
            f"={crc}",
            "-----END PGP PUBLIC KEY BLOCK-----",
            "",
        ]
    )


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _check_fingerprint(args: dict[str, Any], key: PublicKey) -> None:
    wanted = {re.sub(r"\s", "", f).upper() for f in args.get("fingerprint") or []}
    if wanted and not wanted & set(key.fingerprints):
        given = ", ".join(repr(f) for f in sorted(wanted))
        found = ", ".join(repr(f) for f in key.fingerprints)
        raise PackageFailure(
            f"The specified fingerprint, '{{{given}}}', does not match any "
            f"key fingerprints in 'frozenset({{{found}}})'"
        )


def _fetch_failure(key: str, res: CommandResult) -> str:
    if kind_of(key) == "file":
        return f"Not a valid key {key}"
    why = res.err.strip().splitlines()[-1] if res.err.strip() else "the download failed"
    return f"failed to fetch key at {key} , error was: {why}"
