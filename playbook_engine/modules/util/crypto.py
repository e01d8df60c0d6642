"""What the community.crypto modules share: arguments, secrets on stdin, the file they
write, and the probe → decide → generate shape (``CryptoFile``).

Each module runs the host's own ``openssl`` (or ``ssh-keygen``) in one probe script and,
when something must change, one apply script that generates the object into a private
temp directory and installs it atomically beside the destination. Passphrases and PEM
contents never appear on a command line: they travel base64-encoded on the script's
stdin, one a line, and land in exported variables (``-passin env:P1``) or files in the
temp directory. What the host has is compared with the task on the controller, from the
objects' DER (``der.py``).
"""

from __future__ import annotations

import base64
import hashlib
import stat as stat_mod
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, ClassVar

from ...errors import ModuleError
from ...transport.shell import quote
from ..base import Arg, Module, ModuleContext
from ..result import Result
from .der import KeyInfo, parse, parse_all
from .fileargs import UNSAFE_WRITES
from .filestate import FileState, chown_spec
from .hostedit import Section, section, sections, write_file
from .modes import ModeError, format_mode, parse_mode
from .remotefs import backup_step
from .selinux import PARTS

__all__ = [
    "BACKEND",
    "FILE_ARGS",
    "CryptoFile",
    "FileAttrs",
    "Secrets",
    "attr_steps",
    "der_of",
    "der_section",
    "fingerprints",
    "openssh_key",
    "parent_dir",
    "parse_stat",
    "pem",
    "predicted_new",
    "run_script",
    "stat_section",
]

ABSENT = 66
_FINGERPRINT_ALGORITHMS = sorted(hashlib.algorithms_guaranteed)

FILE_ARGS: dict[str, Arg] = {
    "mode": Arg("mode", description="The file's permissions (octal or symbolic)."),
    "owner": Arg("str", description="The file's owner."),
    "group": Arg("str", description="The file's group."),
    "attributes": Arg(
        "str", aliases=("attr",), description="Not supported by pbe: a task that sets it fails."
    ),
    **{
        key: Arg("str", description="Not supported by pbe: a task that sets it fails.")
        for key in PARTS
    },
    "unsafe_writes": UNSAFE_WRITES,
}
BACKEND = Arg(
    "str",
    default="auto",
    choices=("auto", "cryptography"),
    description="Accepted for compatibility: pbe always drives the host's openssl.",
)


def reject_unsupported(args: dict[str, Any], names: tuple[str, ...] = ()) -> None:
    """A clear failure for an argument pbe declares but does not implement."""
    for key in ("attributes", *PARTS, *names):
        if args.get(key) not in (None, False, [], {}):
            raise ModuleError(f"argument {key} is not supported by pbe")


def fingerprints(der: bytes) -> dict[str, str]:
    """Every guaranteed hashlib digest of ``der``, as colon-separated hex (Ansible's
    ``fingerprint`` return value: hashes of the SubjectPublicKeyInfo)."""
    out = {}
    for name in _FINGERPRINT_ALGORITHMS:
        digest = hashlib.new(name, der)
        text = digest.hexdigest(32) if name.startswith("shake") else digest.hexdigest()  # type: ignore[call-arg]
        out[name] = ":".join(text[i : i + 2] for i in range(0, len(text), 2))
    return out


def pem(der: bytes, label: str) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


# -- OpenSSH public keys -------------------------------------------------------------------

_SSH_CURVES = {"secp256r1": "nistp256", "secp384r1": "nistp384", "secp521r1": "nistp521"}


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _mpint(value: int) -> bytes:
    return _string(value.to_bytes(value.bit_length() // 8 + 1, "big") if value else b"")


def openssh_key(info: KeyInfo) -> str:
    """The key in OpenSSH's one-line form (``ssh-ed25519 AAAA…``), without a comment."""
    if info.type == "RSA":
        n, e = (node.integer() for node in parse(info.key)[0].children()[:2])
        kind, blob = "ssh-rsa", _mpint(e) + _mpint(n)
    elif info.type == "Ed25519":
        kind, blob = "ssh-ed25519", _string(info.key)
    elif info.type == "ECC" and info.curve in _SSH_CURVES:
        curve = _SSH_CURVES[info.curve]
        kind, blob = f"ecdsa-sha2-{curve}", _string(curve.encode()) + _string(info.key)
    elif info.type == "DSA":
        spki = parse(info.der)[0].children()[0].children()[1]
        p, q, g = (node.integer() for node in spki.children())
        y = parse(info.key)[0].integer()
        kind, blob = "ssh-dss", _mpint(p) + _mpint(q) + _mpint(g) + _mpint(y)
    else:
        raise ModuleError(f"a {info.type} key has no OpenSSH public key format")
    return f"{kind} {base64.b64encode(_string(kind.encode()) + blob).decode()}"


# -- secrets on stdin ------------------------------------------------------------------------


class Secrets:
    """Values a script needs that must stay off its command line. ``var`` exports one as
    an environment variable (for ``-passin env:NAME``); ``file`` writes one into the
    script's temp dir and returns the quoted path."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._steps: list[str] = []

    def var(self, name: str, value: str) -> str:
        self._push(value)
        self._steps.append(f'{name}=$(printf %s "$l" | openssl base64 -d -A); export {name}')
        return name

    def file(self, name: str, value: str) -> str:
        self._push(value)
        self._steps.append(f'printf %s "$l" | openssl base64 -d -A > "$w/{name}"')
        return f'"$w/{name}"'

    def _push(self, value: str) -> None:
        self._lines.append(base64.b64encode(value.encode()).decode())
        self._steps.append("IFS= read -r l || l=")

    def prelude(self) -> str:
        """A private temp dir ``$w`` (removed at exit), the mode a new file would get
        (``$m0``, taken before the umask that keeps every temp file private), then the
        secrets."""
        head = [
            "m0=$(printf %04o $((0666 & ~0$(umask))))",
            "umask 077",
            "w=$(mktemp -d) || exit 1",
            "trap 'rm -rf -- \"$w\"' EXIT",
        ]
        return "\n".join([*head, *self._steps]) + "\n"

    @property
    def stdin(self) -> bytes | None:
        return ("\n".join(self._lines) + "\n").encode() if self._lines else None


def passin(secrets: Secrets, name: str, passphrase: str | None) -> str:
    """An openssl ``-passin`` option: the passphrase's variable, or an empty one (so an
    encrypted key fails instead of prompting)."""
    if passphrase is None:
        return "-passin pass:"
    return f"-passin env:{secrets.var(name, passphrase)}"


def key_source(secrets: Secrets, args: dict[str, Any], prefix: str = "privatekey") -> str:
    """The quoted path of the private key a task names by path or by content."""
    content = args.get(f"{prefix}_content")
    if content is not None:
        return secrets.file(prefix, content)
    path = args.get(f"{prefix}_path")
    if path is None:
        raise ModuleError(f"one of {prefix}_path, {prefix}_content is required")
    return quote(path)


def der_section(name: str, command: str, before: str = "") -> str:
    """A section printing ``command``'s DER output in base64 (one line), or, when it
    prints nothing, its error output and a failure status (``before``: shell run first)."""
    return section(
        name,
        f'{before}o=$({command} 2>"$w/err" | openssl base64 -A); '
        'if [ -n "$o" ]; then printf %s "$o"; else cat -- "$w/err"; exit 1; fi',
    )


def der_of(found: dict[str, Section], name: str) -> bytes | None:
    """A ``der_section``'s bytes; None when its command failed or printed nothing."""
    part = found.get(name)
    if part is None or part.rc != 0 or not part.text.strip():
        return None
    try:
        data = base64.b64decode(part.text.strip(), validate=False)
        parse_all(data)
    except ValueError:
        return None
    return data


# -- the file a module writes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileAttrs:
    mode: int
    owner: str
    group: str
    uid: str
    gid: str


def stat_section(path: str, name: str = "stat") -> str:
    return section(
        name,
        f'p={quote(path)}; [ -e "$p" ] || exit {ABSENT}; stat -L -c "%a %U %G %u %g" -- "$p"',
    )


def parse_stat(found: dict[str, Section], name: str = "stat") -> FileAttrs | None:
    part = found.get(name)
    if part is None:
        raise ModuleError("could not read the host's state")
    if part.rc == ABSENT:
        return None
    if part.rc != 0:
        raise ModuleError(f"cannot stat the file: {part.text.strip()}")
    mode, owner, group, uid, gid = part.text.split()
    return FileAttrs(int(mode, 8), owner, group, uid, gid)


def attr_steps(path: str, args: dict[str, Any], have: FileAttrs, mode: str | None) -> list[str]:
    """chmod/chown commands that give an existing file the attributes asked for."""
    steps = []
    if mode is not None:
        try:
            want = parse_mode(mode, have.mode)
        except ModeError as exc:
            raise ModuleError(f"argument mode: {exc}") from None
        if want != stat_mod.S_IMODE(have.mode):
            steps.append(f"chmod {format_mode(want)} -- {quote(path)}")
    owner = args.get("owner")
    group = args.get("group")
    if owner is not None and owner not in (have.owner, have.uid):
        steps.append(f"chown {quote(owner)} -- {quote(path)}")
    if group is not None and group not in (have.group, have.gid):
        steps.append(f"chgrp {quote(group)} -- {quote(path)}")
    return steps


def install(
    path: str,
    args: dict[str, Any],
    mode: str | None,
    source: str = '"$w/out"',
    *,
    name: str = "write",
    new_mode: str = "$m0",
) -> str:
    """Shell installing ``source`` at ``path`` atomically with the wanted attributes (a
    new file without ``mode`` gets ``new_mode``, by default the umask's); section ``name``
    prints the backup's path."""
    owner = None
    if args.get("owner") is not None or args.get("group") is not None:
        owner = chown_spec(args.get("owner"), args.get("group"))
    write = write_file(
        path, mode=mode, owner=owner, backup=bool(args.get("backup")), new_mode=new_mode
    )
    return section(name, f"cat -- {source} | {{ {write}; }}")


def parent_dir(ctx: ModuleContext, path: str) -> str:
    """A section checking the destination's directory exists (or an empty string when
    the check run's prediction already knows it will)."""
    parent = str(PurePosixPath(path).parent)
    known = ctx.files.known(parent) if ctx.check else None
    if known is not None and known.kind == "directory":
        return ""
    return section("dir", f"[ -d {quote(parent)} ]")


def predicted_new(ctx: ModuleContext, paths: list[str | None]) -> bool:
    """In a check run: whether an earlier task would have (re)written one of ``paths``
    (its content unknown until the real run, so whatever depends on it would change). A
    path it would have removed fails the task, as the real run would."""
    if not ctx.check:
        return False
    new = False
    for path in filter(None, paths):
        known = ctx.files.known(path)
        if known is not None and not known.exists:
            raise ModuleError(f"{path} does not exist")
        new = new or known is not None
    return new


@dataclass
class Outcome:
    """What the module decided: regenerate or not, and the chmod/chown still needed."""

    regenerate: bool
    fix: list[str] = field(default_factory=list)
    msg: str | None = None


class CryptoFile(Module):
    """A file generated on the host: probe it, decide, then generate and install it.

    Subclasses give the probe's sections (``probe``), the decision (``decide``), the
    generating shell (``generate``: leaves the object in ``$w/out``), the report after
    it (``report``) and the return values (``values``).
    """

    default_mode: ClassVar[str | None] = None
    unsupported: ClassVar[tuple[str, ...]] = ()

    def probe(self, args: dict[str, Any], secrets: Secrets, new_inputs: bool) -> list[str]:
        raise NotImplementedError

    def inputs(self, args: dict[str, Any]) -> list[str | None]:
        """Host paths the object is made from (a check run may predict them new)."""
        return []

    def decide(
        self, args: dict[str, Any], found: dict[str, Section], have: FileAttrs | None
    ) -> bool:
        """Whether the object must be (re)generated; ModuleError when it may not be."""
        raise NotImplementedError

    def check_inputs(self, args: dict[str, Any], found: dict[str, Section]) -> None:
        """ModuleError when what the object is made from cannot be read (checked even when
        the object is missing, so a check run fails as the real run would)."""

    def generate(self, args: dict[str, Any], found: dict[str, Section], secrets: Secrets) -> str:
        raise NotImplementedError

    def report(self, args: dict[str, Any], secrets: Secrets) -> list[str]:
        """Sections the apply script prints after installing, for ``values``."""
        return []

    def values(
        self, args: dict[str, Any], found: dict[str, Section], changed: bool
    ) -> dict[str, Any]:
        return {"filename": args["path"]}

    def mode(self, args: dict[str, Any]) -> str | None:
        return args.get("mode") or self.default_mode

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        reject_unsupported(args, self.unsupported)
        if args.get("state", "present") == "absent":
            return remove(args, ctx)
        new_inputs = predicted_new(ctx, self.inputs(args))
        secrets = Secrets()
        parts = [parent_dir(ctx, args["path"]), stat_section(args["path"])]
        parts += self.probe(args, secrets, new_inputs)
        found = sections(
            ctx.run(secrets.prelude() + "\n".join(filter(None, parts)), stdin=secrets.stdin).out
        )
        if "dir" in found and found["dir"].rc != 0:
            parent = PurePosixPath(args["path"]).parent
            raise ModuleError(
                f"The directory {parent} does not exist or the file is not a directory"
            )
        have = parse_stat(found)
        if not new_inputs:
            self.check_inputs(args, found)
        regenerate = have is None or new_inputs or self.decide(args, found, have)
        fix = (
            []
            if regenerate or have is None
            else attr_steps(args["path"], args, have, self.mode(args))
        )
        if not regenerate and not fix:
            return Result(values=self.values(args, found, False))
        if ctx.check:
            _record(ctx, args["path"], self.mode(args))
            return Result(changed=True, values=self.values(args, found, regenerate))
        if not regenerate:
            run_script(ctx, " && ".join(fix), None, "set the file's attributes")
            return Result(changed=True, values=self.values(args, found, False))
        apply = Secrets()
        script = f"( set -e\n{self.generate(args, found, apply)}\n) || exit 1"
        steps = [script, install(args["path"], args, self.mode(args)), *self.report(args, apply)]
        done = sections(
            run_script(ctx, apply.prelude() + "\n".join(steps), apply.stdin, "generate")
        )
        values = self.values(args, {**found, **done}, True)
        if args.get("backup") and (backup := done.get("write")) and backup.text.strip():
            values["backup_file"] = backup.text.strip()
        return Result(changed=True, values=values)


def run_script(ctx: ModuleContext, script: str, stdin: bytes | None, what: str) -> str:
    """Run an apply script; its first failed section (or its status) fails the task."""
    res = ctx.run(script, stdin=stdin)
    found = sections(res.out)
    failed = [part for part in found.values() if part.rc != 0]
    if res.rc != 0 or failed:
        detail = (res.err or res.out).strip() if not failed else failed[0].text.strip()
        raise ModuleError(
            f"cannot {what}: {(res.err.strip() or detail) or f'exit status {res.rc}'}"
        )
    return res.out


def _record(ctx: ModuleContext, path: str, mode: str | None) -> None:
    ctx.files.record(FileState(path, "file", mode=mode))


def remove(args: dict[str, Any], ctx: ModuleContext) -> Result:
    """state=absent: remove the file (backing it up first when asked)."""
    path = quote(args["path"])
    res = ctx.run(f"[ -e {path} ] || [ -L {path} ] && echo present")
    if "present" not in res.out:
        return Result(values={"filename": args["path"]})
    if ctx.check:
        ctx.files.record(FileState(args["path"]))
        return Result(changed=True, values={"filename": args["path"]})
    backup = ""
    if args.get("backup"):
        backup = f"d={path}; {backup_step()}; "
    out = run_script(ctx, f"{backup}rm -f -- {path}", None, f"remove {args['path']}")
    values: dict[str, Any] = {"filename": args["path"]}
    if out.strip():
        values["backup_file"] = out.strip()
    return Result(changed=True, values=values)
