"""openssl_privatekey_info: a private key's type and public key, without its secrets.

One command reads the key (``path`` on the host or ``content`` on stdin, its passphrase on
stdin too): whether it is encrypted, its public key (DER) and, with ``check_consistency``,
``openssl pkey -check``. Only the public part comes back to the controller.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.certinfo import public_key_info
from .util.crypto import BACKEND, Secrets, der_of, der_section, passin, predicted_new
from .util.hostedit import Section, section, sections

_WRONG = "Wrong or empty passphrase provided for private key"


@register("openssl_privatekey_info", "community.crypto.openssl_privatekey_info")
class OpensslPrivatekeyInfo(Module):
    """Read a private key's type and public key (changes nothing)."""

    args = {
        "path": Arg("path", description="The key file (PEM or DER) on the host."),
        "content": Arg("str", description="The key itself (PEM)."),
        "passphrase": Arg("str", secret=True, description="The key's passphrase."),
        "check_consistency": Arg(
            "bool",
            default=False,
            description="Check the key's consistency (`openssl pkey -check`).",
        ),
        "return_private_key_data": Arg(
            "bool",
            default=False,
            description="Not supported by pbe (it would put the private key in the result): "
            "a task that sets it fails.",
        ),
        "select_crypto_backend": BACKEND,
    }
    mutually_exclusive = (("path", "content"),)
    returns = {
        "can_load_key, can_parse_key": "whether the key could be read, and decoded",
        "key_is_consistent": "the consistency check's answer (check_consistency), else None",
        "type": "`RSA`, `ECC`, `DSA`, `Ed25519`, `X25519` …",
        "public_key, public_key_fingerprints": "its public key (PEM) and the key's hashes",
        "public_data": "RSA: size, modulus, exponent; ECC: curve, x, y, exponent_size; DSA …",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if args["return_private_key_data"]:
            raise ModuleError("return_private_key_data is not supported by pbe")
        if (args["path"] is None) == (args["content"] is None):
            raise ModuleError("one of the following is required: path, content")
        if predicted_new(ctx, [args["path"]]):
            return Result(unknown=True)
        found = sections(_probe(ctx, args))
        return _result(args, found)


def _probe(ctx: ModuleContext, args: dict[str, Any]) -> str:
    secrets = Secrets()
    source = secrets.file("key", args["content"]) if args["content"] else quote(args["path"])
    secret = passin(secrets, "PK", args["passphrase"])
    load = (
        f'{{ openssl pkey -in "$src" {secret} {{o}} 2>"$w/e1" || '
        f'openssl pkey -inform DER -in "$src" {secret} {{o}} 2>/dev/null || '
        '{ cat -- "$w/e1" >&2; false; }; }'
    )
    parts = [
        f"src={source}",
        section(
            "head",
            '[ -r "$src" ] || { echo "No such file or directory: $src"; exit 66; }; '
            'if grep -q -- ENCRYPTED "$src"; then echo encrypted; else echo plain; fi',
        ),
        der_section("pub", load.replace("{o}", "-pubout -outform DER")),
    ]
    if args["check_consistency"]:
        parts.append(section("check", load.replace("{o}", "-check -noout") + " >/dev/null 2>&1"))
    return ctx.run(secrets.prelude() + "\n".join(parts), stdin=secrets.stdin).out


def _result(args: dict[str, Any], found: dict[str, Section]) -> Result:
    head = found.get("head", Section(1, ""))
    flags: dict[str, Any] = {"can_load_key": False, "can_parse_key": False}
    flags["key_is_consistent"] = None
    if head.rc != 0:
        return Result.fail(
            f"Error while reading private key file from disk: {head.text.strip()}", **flags
        )
    flags["can_load_key"] = True
    encrypted = head.text.strip() == "encrypted"
    if encrypted != (args["passphrase"] is not None):
        return Result.fail(_WRONG, **flags)
    pub = der_of(found, "pub")
    if pub is None:
        why = found.get("pub", Section(1, "")).text.strip()
        return Result.fail(
            f"Wrong passphrase provided for private key, or private key cannot be parsed: {why}",
            **flags,
        )
    info = public_key_info(pub)
    if args["check_consistency"]:
        flags["key_is_consistent"] = found.get("check", Section(1, "")).rc == 0
    return Result(
        values={
            **flags,
            "can_parse_key": True,
            "type": info["public_key_type"],
            "public_key": info["public_key"],
            "public_key_fingerprints": info["public_key_fingerprints"],
            "public_data": info["public_key_data"],
        }
    )
