"""openssh_keypair: an SSH key pair (``path`` and ``path.pub``) made by the host's ssh-keygen.

One probe reads both files' attributes, the private key's first line (its format) and its
public key (``ssh-keygen -y``, first without a passphrase, then with the task's), and the
``.pub`` file. The controller decides, following community.crypto's ``regenerate``, whether
to generate a new pair, rewrite a missing or mismatching ``.pub`` (and the key's comment)
or only fix modes and owners; type, size and fingerprint come from the public key itself.
One apply script does it. A passphrase reaches ssh-keygen through an askpass helper that
reads it from the private temp dir, never from a command line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.crypto import (
    FILE_ARGS,
    FileAttrs,
    Secrets,
    attr_steps,
    install,
    parent_dir,
    parse_stat,
    reject_unsupported,
    run_script,
    stat_section,
)
from .util.filestate import FileState
from .util.hostedit import Section, section, sections

_TYPES = ("rsa", "dsa", "rsa1", "ecdsa", "ed25519", "mldsa44")
_KINDS = {"ssh-rsa": "rsa", "ssh-dss": "dsa", "ssh-ed25519": "ed25519"}
_FORMATS = {
    "-----BEGIN OPENSSH PRIVATE KEY-----": "ssh",
    "-----BEGIN PRIVATE KEY-----": "pkcs8",
    "-----BEGIN ENCRYPTED PRIVATE KEY-----": "pkcs8",
}
_KEYGEN_FORMAT = {"pkcs1": " -m PEM", "pkcs8": " -m PKCS8", "ssh": "", "auto": ""}
_UNREADABLE = (
    "Unable to read the key. The key is protected with a passphrase or broken. Will not "
    "proceed. To force regeneration, call the module with `generate` set to "
    "`full_idempotence` or `always`, or with `force=true`."
)
_WRONG = (
    "Key has wrong type and/or size. Will not proceed. To force regeneration, call the "
    "module with `generate` set to `partial_idempotence`, `full_idempotence` or `always`, "
    "or with `force=true`."
)
_ASKPASS = (
    'printf \'#!/bin/sh\\nexec cat -- "$PBE_PASSFILE"\\n\' > "$w/askpass"; '
    'chmod 700 "$w/askpass"; export PBE_PASSFILE="$w/pass" SSH_ASKPASS="$w/askpass" '
    'SSH_ASKPASS_REQUIRE=force DISPLAY="${DISPLAY:-pbe}"'
)


@dataclass(frozen=True, slots=True)
class PubKey:
    """An OpenSSH public key line: type string, base64 blob, comment."""

    kind: str
    data: str
    comment: str

    def line(self, comment: str | None) -> str:
        return f"{self.kind} {self.data}" + (f" {comment}" if comment else "")


@dataclass(frozen=True, slots=True)
class KeyState:
    """What the probe found: both files' attributes, the key's format and public key
    (``how`` it loaded: plain, secret or None), and the ``.pub`` file's key."""

    priv: FileAttrs | None
    pub_attrs: FileAttrs | None
    fmt: str
    how: str | None
    derived: PubKey | None
    existing: PubKey | None


@dataclass
class Plan:
    """What to do: a new pair, a new ``.pub`` text (and ``ssh-keygen -c``), attr fixes."""

    generate: bool = False
    pub_text: str | None = None
    recomment: bool = False
    pub_new: bool = False
    fix: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return self.generate or self.pub_text is not None or bool(self.fix)


@register("openssh_keypair", "community.crypto.openssh_keypair")
class OpensshKeypair(Module):
    """Generate (or remove) an OpenSSH key pair with the host's ssh-keygen."""

    args = {
        "path": Arg(
            "path", required=True, description="The private key; the public key is `path.pub`."
        ),
        "state": Arg(
            "str",
            default="present",
            choices=("present", "absent"),
            description="Whether both files exist.",
        ),
        "type": Arg(
            "str",
            default="rsa",
            choices=_TYPES,
            description="The key's algorithm (`rsa1` and `mldsa44` are not supported by pbe).",
        ),
        "size": Arg(
            "int",
            description="Bits: RSA at least 1024 (default 4096), DSA 1024, ECDSA 256, 384 or 521 "
            "(default 256); ignored for ed25519.",
        ),
        "comment": Arg(
            "str", description="The public key's comment (also set in the private key)."
        ),
        "passphrase": Arg(
            "str",
            secret=True,
            description="Encrypt a new key with it, and read an existing one with it.",
        ),
        "private_key_format": Arg(
            "str",
            default="auto",
            choices=("auto", "pkcs1", "pkcs8", "ssh"),
            description="The private key's format (only with a passphrase or "
            "`backend: cryptography`); `auto` is OpenSSH's own and is not checked on an "
            "existing key.",
        ),
        "regenerate": Arg(
            "str",
            default="partial_idempotence",
            choices=("never", "fail", "partial_idempotence", "full_idempotence", "always"),
            description="When an existing key may be replaced (community.crypto's semantics).",
        ),
        "force": Arg(
            "bool", default=False, description="Always generate a new pair (`regenerate: always`)."
        ),
        "backend": Arg(
            "str",
            default="auto",
            choices=("auto", "cryptography", "opensshbin"),
            description="Which rules apply (`cryptography`: passphrase and format checks); "
            "pbe always drives the host's ssh-keygen.",
        ),
        **FILE_ARGS,
    }
    returns = {
        "filename": "the private key's path",
        "type": "the key's algorithm (as asked)",
        "size": "its size in bits",
        "fingerprint": "its SHA256 fingerprint (`SHA256:…`); empty before a check run's new key",
        "public_key": "the public key (`ssh-ed25519 AAAA…`), without comment",
        "comment": "the public key file's comment",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        reject_unsupported(args)
        size = _size(args)
        if args["state"] == "absent":
            return _remove(args, ctx)
        _validate(args)
        state = _probe(args, ctx)
        plan = decide(args, state, size)
        if not plan.changes:
            return Result(values=_values(args, size, state.derived, state.existing))
        if ctx.check:
            _predict(args, ctx, plan)
            key = None if plan.generate else state.derived
            pub = None if plan.generate else _after(state, plan)
            return Result(changed=True, values=_values(args, size, key, pub))
        return _apply(args, ctx, plan, size, state)


# -- arguments -----------------------------------------------------------------------------


def _size(args: dict[str, Any]) -> int | None:
    """The size asked, defaulted and checked as community.crypto does."""
    kind, size = args["type"], args["size"]
    if kind in ("rsa", "rsa1"):
        size = 4096 if size is None else int(size)
        if size < 1024:
            raise ModuleError(
                "For RSA keys, the minimum size is 1024 bits and the default is 4096 bits."
            )
        return size
    if kind == "dsa":
        if size not in (None, 1024):
            raise ModuleError("DSA keys must be exactly 1024 bits as specified by FIPS 186-2.")
        return 1024
    if kind == "ecdsa":
        size = 256 if size is None else int(size)
        if size not in (256, 384, 521):
            raise ModuleError("For ECDSA keys, size must be 256, 384 or 521 bits.")
        return size
    return 256 if kind == "ed25519" else None


def _checks_format(args: dict[str, Any]) -> bool:
    """Whether community.crypto's cryptography rules apply (passphrase, key format)."""
    return args["backend"] == "cryptography" or (
        args["backend"] == "auto" and bool(args["passphrase"])
    )


def _validate(args: dict[str, Any]) -> None:
    if args["type"] in ("rsa1", "mldsa44"):
        raise ModuleError(f"type {args['type']} is not supported by pbe")
    fmt = args["private_key_format"]
    if fmt != "auto" and not _checks_format(args):
        raise ModuleError(
            "'auto' is the only valid option for 'private_key_format' when 'backend' is not "
            "'cryptography'"
        )
    if fmt in ("pkcs1", "pkcs8") and args["type"] == "ed25519":
        raise ModuleError(f"an ed25519 key cannot be written in {fmt} format by ssh-keygen")


# -- probe ---------------------------------------------------------------------------------


def _askpass(secrets: Secrets, passphrase: str) -> str:
    """Shell exporting an askpass helper that prints ``passphrase`` (kept in ``$w/pass``)."""
    secrets.file("pass", passphrase)
    return _ASKPASS


def _load_script(args: dict[str, Any], secrets: Secrets) -> str:
    """A section printing ``plain`` or ``secret`` and the key's public key, or the error."""
    p = f'p={quote(args["path"])}; [ -e "$p" ] || exit 66; '
    plain = (
        "o=$(ssh-keygen -y -P '' -f \"$p\" 2>&1 </dev/null) "
        "&& { echo plain; printf '%s\\n' \"$o\"; exit 0; }; "
    )
    secret = ""
    if args["passphrase"] is not None:
        secret = (
            f'o=$({_askpass(secrets, args["passphrase"])}; ssh-keygen -y -f "$p" 2>&1 </dev/null) '
            "&& { echo secret; printf '%s\\n' \"$o\"; exit 0; }; "
        )
    return section("key", f"{p}{plain}{secret}printf '%s\\n' \"$o\"; exit 1")


def _probe(args: dict[str, Any], ctx: ModuleContext) -> KeyState:
    path, pub = args["path"], args["path"] + ".pub"
    secrets = Secrets()
    parts = [
        parent_dir(ctx, path),
        stat_section(path),
        stat_section(pub, "pubstat"),
        section("head", f'p={quote(path)}; [ -e "$p" ] || exit 66; head -n 1 -- "$p"'),
        _load_script(args, secrets),
        section("have", f'p={quote(pub)}; [ -e "$p" ] || exit 66; cat -- "$p"'),
    ]
    script = secrets.prelude() + "\n".join(filter(None, parts))
    res = ctx.run(script, stdin=secrets.stdin)
    found = sections(res.out)
    if "dir" in found and found["dir"].rc != 0:
        raise ModuleError(f"The directory of {path} does not exist or is not a directory")
    if "stat" not in found:
        raise ModuleError(f"could not read the host's state: {(res.err or res.out).strip()}")
    return parse_state(found, ctx.check and _predicted_absent(ctx, path))


def _predicted_absent(ctx: ModuleContext, path: str) -> bool:
    known = ctx.files.known(path)
    return known is not None and not known.exists


def parse_state(found: dict[str, Section], gone: bool = False) -> KeyState:
    """The probe's sections as a KeyState (pure); ``gone``: a check run's earlier task
    would have removed the key."""
    if gone:
        return KeyState(None, None, "", None, None, None)
    key = found.get("key", Section(1, ""))
    lines = key.text.strip().splitlines()
    how = lines[0] if key.rc == 0 and lines and lines[0] in ("plain", "secret") else None
    derived = parse_pub(lines[1]) if how and len(lines) > 1 else None
    head = found.get("head", Section(1, "")).text.strip()
    fmt = _FORMATS.get(head, "pkcs1" if head.endswith(" PRIVATE KEY-----") else "")
    have = found.get("have", Section(66, ""))
    return KeyState(
        parse_stat(found),
        parse_stat(found, "pubstat"),
        fmt,
        how if derived else None,
        derived,
        parse_pub(have.text) if have.rc == 0 else None,
    )


def parse_pub(text: str) -> PubKey | None:
    """A public key line (``type base64 [comment]``); None when it is not one."""
    parts = text.strip(" \n").split(" ", 2)
    if len(parts) < 2:
        return None
    return PubKey(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


# -- decide (pure) ----------------------------------------------------------------------------


def decide(args: dict[str, Any], state: KeyState, size: int | None) -> Plan:
    """What the task must change, following ``regenerate`` as community.crypto does."""
    if state.priv is None or _must_generate(args, state, size):
        return Plan(generate=True)
    plan = Plan()
    assert state.derived is not None
    if not _pub_ok(args, state.derived, state.existing):
        plan.pub_text = state.derived.line(args["comment"]) + "\n"
        plan.pub_new = state.pub_attrs is None
        plan.recomment = bool(args["comment"]) and state.fmt == "ssh"
        plan.recomment = plan.recomment and state.derived.comment != args["comment"]
    mode = args.get("mode")
    plan.fix = attr_steps(args["path"], args, state.priv, mode)
    if state.pub_attrs is not None and plan.pub_text is None:
        plan.fix += attr_steps(args["path"] + ".pub", args, state.pub_attrs, mode)
    return plan


def _must_generate(args: dict[str, Any], state: KeyState, size: int | None) -> bool:
    regenerate = "always" if args["force"] else args["regenerate"]
    if regenerate == "always":
        return True
    if not _readable(args, state):
        if regenerate == "full_idempotence":
            return True
        raise ModuleError(_UNREADABLE)
    if regenerate == "never" or _matches(args, state, size):
        return False
    if regenerate == "fail":
        raise ModuleError(_WRONG)
    return True


def _readable(args: dict[str, Any], state: KeyState) -> bool:
    """The key loads, with the passphrase when one is given and only with it then."""
    if state.derived is None:
        return False
    return state.how == ("secret" if args["passphrase"] is not None else "plain")


def _matches(args: dict[str, Any], state: KeyState, size: int | None) -> bool:
    assert state.derived is not None
    kind, bits = key_info(state.derived)
    if kind != args["type"] or (size is not None and bits != size):
        return False
    fmt = args["private_key_format"]
    return fmt == "auto" or not _checks_format(args) or state.fmt == fmt


def _pub_ok(args: dict[str, Any], derived: PubKey, existing: PubKey | None) -> bool:
    if existing is None or (existing.kind, existing.data) != (derived.kind, derived.data):
        return False
    return args["comment"] is None or existing.comment == args["comment"]


def _after(state: KeyState, plan: Plan) -> PubKey | None:
    """The ``.pub`` key once the plan is applied (without a new pair)."""
    if plan.pub_text is None:
        return state.existing
    return parse_pub(plan.pub_text)


# -- the key's own facts (pure) ---------------------------------------------------------------


def _strings(blob: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos + 4 <= len(blob):
        size = int.from_bytes(blob[pos : pos + 4], "big")
        out.append(blob[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return out


def key_info(key: PubKey) -> tuple[str, int | None]:
    """The key's community.crypto type name and its size in bits, from its blob."""
    try:
        fields = _strings(base64.b64decode(key.data, validate=True))
    except (binascii.Error, ValueError):
        return "", None
    if key.kind.startswith("ecdsa-sha2-nistp"):
        return "ecdsa", int(key.kind.removeprefix("ecdsa-sha2-nistp"))
    kind = _KINDS.get(key.kind, key.kind)
    if kind == "ed25519":
        return kind, 256
    if kind == "rsa" and len(fields) >= 3:
        return kind, int.from_bytes(fields[2], "big").bit_length()
    if kind == "dsa" and len(fields) >= 2:
        return kind, int.from_bytes(fields[1], "big").bit_length()
    return kind, None


def fingerprint(key: PubKey) -> str:
    """ssh-keygen's default fingerprint: SHA256 of the blob, unpadded base64."""
    digest = hashlib.sha256(base64.b64decode(key.data)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _values(
    args: dict[str, Any], size: int | None, key: PubKey | None, pub: PubKey | None
) -> dict[str, Any]:
    return {
        "filename": args["path"],
        "type": args["type"],
        "size": size if size is not None or key is None else key_info(key)[1],
        "fingerprint": fingerprint(key) if key else "",
        "public_key": f"{pub.kind} {pub.data}" if pub else "",
        "comment": pub.comment if pub else "",
    }


# -- apply ---------------------------------------------------------------------------------


def _keygen(args: dict[str, Any], size: int | None, secrets: Secrets) -> str:
    """Shell generating the pair in ``$w/key`` and ``$w/key.pub``."""
    bits = f" -b {size}" if size is not None and args["type"] != "ed25519" else ""
    fmt = _KEYGEN_FORMAT[args["private_key_format"]] if _checks_format(args) else ""
    command = (
        f'ssh-keygen -q -t {args["type"]}{bits}{fmt} -C {quote(args["comment"] or "")} -f "$w/key"'
    )
    if args["passphrase"] is None:
        return f"{command} -N '' </dev/null"
    return f"{_askpass(secrets, args['passphrase'])}\n{command} </dev/null"


def _apply_steps(args: dict[str, Any], plan: Plan, size: int | None, secrets: Secrets) -> list[str]:
    path, mode = args["path"], args.get("mode")
    if plan.generate:
        return [
            f"( set -e\n{_keygen(args, size, secrets)}\n) || exit 1",
            install(path, args, mode, '"$w/key"', name="writekey", new_mode="0600"),
            install(path + ".pub", args, mode, '"$w/key.pub"', name="writepub", new_mode="0644"),
            section("new", 'cat -- "$w/key.pub"'),
        ]
    steps = []
    if plan.recomment:
        ask = "" if args["passphrase"] is None else _askpass(secrets, args["passphrase"]) + "; "
        command = f"{ask}ssh-keygen -q -c -C {quote(args['comment'])} -f {quote(path)} </dev/null"
        steps.append(section("comment", command))
    if plan.pub_text is not None:
        # ssh-keygen -c may just have made a missing .pub under the script's umask 077
        pub_mode = mode or ("0644" if plan.pub_new else None)
        source = secrets.file("pubtext", plan.pub_text)
        steps.append(install(path + ".pub", args, pub_mode, source, name="writepub"))
    if plan.fix:
        steps.append(section("attrs", " && ".join(plan.fix)))
    return steps


def _apply(
    args: dict[str, Any], ctx: ModuleContext, plan: Plan, size: int | None, state: KeyState
) -> Result:
    secrets = Secrets()
    steps = _apply_steps(args, plan, size, secrets)
    what = "generate the key pair" if plan.generate else "update the key pair"
    done = sections(run_script(ctx, secrets.prelude() + "\n".join(steps), secrets.stdin, what))
    if not plan.generate:
        return Result(changed=True, values=_values(args, size, state.derived, _after(state, plan)))
    new = parse_pub(done["new"].text) if "new" in done else None
    return Result(changed=True, values=_values(args, size, new, new))


def _predict(args: dict[str, Any], ctx: ModuleContext, plan: Plan) -> None:
    mode = args.get("mode")
    if plan.generate:
        ctx.files.record(FileState(args["path"], "file", mode=mode or "0600"))
    if plan.generate or plan.pub_text is not None:
        ctx.files.record(FileState(args["path"] + ".pub", "file", mode=mode or "0644"))


def _remove(args: dict[str, Any], ctx: ModuleContext) -> Result:
    """state=absent: remove both files."""
    path, pub = quote(args["path"]), quote(args["path"] + ".pub")
    values = {"filename": args["path"], "type": args["type"]}
    res = ctx.run(f'for p in {path} {pub}; do [ -e "$p" ] || [ -L "$p" ] && echo present; done')
    if "present" not in res.out:
        return Result(values=values)
    if ctx.check:
        ctx.files.record(FileState(args["path"]))
        ctx.files.record(FileState(args["path"] + ".pub"))
    else:
        run_script(ctx, f"rm -f -- {path} {pub}", None, f"remove {args['path']}")
    return Result(changed=True, values=values)
