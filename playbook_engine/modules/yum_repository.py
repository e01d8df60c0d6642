"""yum_repository: one repository section of a ``.repo`` file under ``reposdir``.

The file is read and written with ``textedit`` (one probe round trip, an atomic write, the
file's mode/owner/group/SELinux parts, exact check mode and diff). The file is parsed as
dnf reads it, an INI file, with Python's configparser on the controller; the task's
section replaces the old one, keys sorted, lists joined as dnf expects. As in Ansible the
file is rewritten only when the repositories it holds would differ (compared sorted, so
comments and layout alone are not a change), and removed with its last section.
"""

from __future__ import annotations

import configparser
import io
from typing import Any, ClassVar

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.fileargs import SE_ARGS, UNSAFE_WRITES
from .util.filestate import FileState
from .util.textedit import (
    FileOptions,
    Outcome,
    Target,
    commit,
    kind_failure,
    probe,
    to_bytes,
    to_text,
)

__all__ = ["RepoFile", "YumRepository", "section_values"]

_STR = (
    "bandwidth",
    "cost",
    "deltarpm_metadata_percentage",
    "deltarpm_percentage",
    "gpgcakey",
    "include",
    "metadata_expire",
    "metalink",
    "mirrorlist",
    "mirrorlist_expire",
    "password",
    "priority",
    "proxy",
    "proxy_password",
    "proxy_username",
    "retries",
    "throttle",
    "timeout",
    "ui_repoid_vars",
    "username",
)
_BOOL = (
    "async",
    "countme",
    "enabled",
    "enablegroups",
    "gpgcheck",
    "keepalive",
    "module_hotfixes",
    "protect",
    "repo_gpgcheck",
    "s3_enabled",
    "skip_if_unavailable",
    "ssl_check_cert_permissions",
)
_CHOICES = {
    "failovermethod": ("roundrobin", "priority"),
    "http_caching": ("all", "packages", "none"),
    "ip_resolve": ("4", "6", "IPv4", "IPv6", "whatever"),
    "metadata_expire_filter": ("never", "read-only:past", "read-only:present", "read-only:future"),
}
_LINES = ("baseurl", "gpgkey")  # several URLs: one per line
_WORDS = ("exclude", "includepkgs")  # several packages: one line, space-separated
_ALIASED = {
    "sslcacert": "ca_cert",
    "sslclientcert": "client_cert",
    "sslclientkey": "client_key",
    "sslverify": "validate_certs",
}
_URLS = ("baseurl", "mirrorlist", "metalink")

ARGS: dict[str, Arg] = {
    "name": Arg("str", required=True, description="The repository id: the section name."),
    "description": Arg(
        "str", description="Its human-readable name (the `name` key); required when present."
    ),
    "state": Arg(
        "str",
        default="present",
        choices=("absent", "present"),
        description="present: write the section; absent: remove it (and the file "
        "with its last section).",
    ),
    "file": Arg("str", description="File name without .repo; default: the `name`."),
    "reposdir": Arg(
        "path",
        default="/etc/yum.repos.d",
        description="The directory of the .repo files; it must exist.",
    ),
    "baseurl": Arg("list", elements="str", description="URL(s) of the repository."),
    "gpgkey": Arg("list", elements="str", description="URL(s) of its signing key(s)."),
    "exclude": Arg(
        "list",
        elements="str",
        aliases=("excludepkgs",),
        description="Packages never taken from it (globs allowed).",
    ),
    "includepkgs": Arg("list", elements="str", description="The only packages taken from it."),
    **{key: Arg("str", description=f"The `{key}` setting.") for key in _STR},
    **{key: Arg("bool", description=f"The `{key}` setting (written as 1 or 0).") for key in _BOOL},
    **{
        key: Arg("str", choices=choices, description=f"The `{key}` setting.")
        for key, choices in _CHOICES.items()
    },
    **{
        key: Arg("str", aliases=(alias,), description=f"The `{key}` setting.")
        for key, alias in _ALIASED.items()
        if key != "sslverify"
    },
    "sslverify": Arg(
        "bool",
        aliases=("validate_certs",),
        description="The `sslverify` setting (written as 1 or 0).",
    ),
    "mode": Arg(
        "mode", description="Permissions of the file (default: kept; new files 0666 & ~umask)."
    ),
    "owner": Arg("str", description="User that should own the file."),
    "group": Arg("str", description="Group that should own the file."),
    "attributes": Arg(
        "str", aliases=("attr",), description="Accepted; chattr attributes are not set (a warning)."
    ),
    "unsafe_writes": UNSAFE_WRITES,
    **SE_ARGS,
}
_NOT_WRITTEN = {
    "name",
    "description",
    "state",
    "file",
    "reposdir",
    "mode",
    "owner",
    "group",
    "attributes",
    "unsafe_writes",
    *SE_ARGS,
}


def section_values(args: dict[str, Any]) -> dict[str, str]:
    """The section's keys and values, as written: booleans 1/0, lists joined, the
    description under ``name``; unset arguments are left out."""
    values: dict[str, str] = {"name": str(args["description"])}
    for key, value in args.items():
        if key in _NOT_WRITTEN or value is None:
            continue
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, list):
            value = ("\n" if key in _LINES else " ").join(str(v) for v in value)
        values[key] = str(value)
    return dict(sorted(values.items()))


class RepoFile:
    """A .repo file's sections, read and written as dnf's INI reader sees them."""

    def __init__(self, content: bytes | None, path: str) -> None:
        self.parser = configparser.RawConfigParser(interpolation=None)
        try:
            self.parser.read_string(to_text(content or b""), source=path)
        except configparser.Error as exc:
            raise ModuleError(f"cannot read {path}: {exc}") from None

    def dump(self) -> str:
        """The repositories, sections and keys sorted: what decides whether the file
        changes, and what the diff shows."""
        out = io.StringIO()
        for name in sorted(self.parser.sections()):
            out.write(f"[{name}]\n")
            for key, value in sorted(self.parser.items(name)):
                out.write(f"{key} = {value.replace(chr(10), chr(10) + chr(9))}\n")
            out.write("\n")
        return out.getvalue()

    def text(self) -> bytes:
        out = io.StringIO()
        self.parser.write(out)
        return to_bytes(out.getvalue())

    def put(self, section: str, values: dict[str, str]) -> None:
        """The section with exactly these values, kept in its place when it stays the same
        and written last when it changes (as Ansible does)."""
        if self.parser.has_section(section):
            if dict(self.parser.items(section)) == values:
                return
            self.parser.remove_section(section)
        self.parser.add_section(section)
        for key, value in values.items():
            self.parser.set(section, key, value)

    def drop(self, section: str) -> None:
        self.parser.remove_section(section)


@register("yum_repository")
class YumRepository(Module):
    """Add, change or remove a yum/dnf repository in a .repo file."""

    predicts_files = True

    args: ClassVar[dict[str, Arg]] = ARGS
    returns = {"repo": "the repository id (name)", "state": "present or absent"}

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        _check(args)
        reposdir = str(args["reposdir"]).rstrip("/") or "/"
        path = f"{reposdir.rstrip('/')}/{args['file'] or args['name']}.repo"
        opts = FileOptions(
            True,
            False,
            args["mode"],
            args["owner"],
            args["group"],
            None,
            {k: args[k] for k in SE_ARGS if args.get(k) is not None},
        )
        target = probe(ctx, path, context=bool(opts.selinux))
        if target.missing or not target.parent_ok:
            raise ModuleError(f"Repo directory '{reposdir}' does not exist.")
        if failure := kind_failure(target, path):
            return Result.of(failure)
        before = RepoFile(target.content if target.state.exists else None, path)
        old = before.dump()
        after = RepoFile(target.content if target.state.exists else None, path)
        if args["state"] == "present":
            after.put(args["name"], section_values(args))
        else:
            after.drop(args["name"])
        changed = after.dump() != old
        result = self._commit(ctx, path, target, after if changed else None, opts)
        result.update(repo=args["name"], state=args["state"])
        result.pop("msg", None)
        if ctx.diff and changed:  # Ansible's diff: the repositories, not the file's bytes
            result["diff"] = {
                "before": old,
                "after": after.dump(),
                "before_header": path,
                "after_header": path,
            }
        if args.get("attributes"):
            result.setdefault("warnings", []).append(
                "attributes is not supported by pbe's yum_repository; not set"
            )
        return Result.of(result)

    def _commit(
        self,
        ctx: ModuleContext,
        path: str,
        target: Target,
        after: RepoFile | None,
        opts: FileOptions,
    ) -> dict[str, Any]:
        """Write the new content (or fix attributes only); a file left without sections is
        removed, as Ansible does."""
        if after is not None and not after.parser.sections():
            ctx.files.apply(
                f"rm -f -- {quote(target.path)}",
                predicted=FileState(target.path),
                what=f"remove {path}",
            )
            return {"changed": True}
        outcome = Outcome(after.text() if after is not None else None)
        if not target.state.exists and after is None:
            return {"changed": False}
        return commit(ctx, path, target, outcome, opts)


def _check(args: dict[str, Any]) -> None:
    """Ansible's refusals for a present repository without its required settings."""
    if args["state"] != "present":
        return
    if not args["description"]:
        raise ModuleError("state is present but all of the following are missing: description")
    if not any(args.get(key) for key in _URLS):
        raise ModuleError(
            "state is present but any of the following are missing: baseurl, mirrorlist, metalink"
        )
