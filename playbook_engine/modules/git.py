"""git: a checkout of a repository at a version, with the host's git.

One probe asks the checkout (HEAD, the remote's URL, local modifications) and the remote
(``git ls-remote`` for the version) at once; the decision is the pure ``plan``. A clone or
an update is the second command, which prints the new HEAD. Check mode stops after the
probe and predicts ``after`` from ``ls-remote``, so it reports what the run will do.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result

_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")
_END = "@@pbe-git-end@@"

_PROBE = r"""d={dest}
if [ -e "$d/.git" ] || {{ {bare} && [ -f "$d/HEAD" ]; }}; then
  echo "B|$(_g -C "$d" rev-parse --verify -q HEAD)"
  echo "U|$(_g -C "$d" config --get remote.{remote}.url)"
  echo "S|$(_g -C "$d" status --porcelain --untracked-files=no 2>/dev/null | tr '\n' ' ')"
elif [ -e "$d" ] && [ -n "$(ls -A -- "$d" 2>/dev/null)" ]; then echo "X|"
else echo "N|"; fi
echo "{end}"
_g ls-remote {repo} {refs} 2>&1; echo "R|$?"
"""


@dataclass(frozen=True, slots=True)
class Checkout:
    """What the probe found (pure parse; unit-tested)."""

    exists: bool
    occupied: bool  # dest is a non-empty directory without a checkout
    head: str | None
    url: str | None
    dirty: str
    refs: dict[str, str]  # ref name -> sha (tags peeled)
    remote_error: str | None


def parse_probe(out: str) -> Checkout:
    local, _, remote = out.partition(_END + "\n")
    fields = {line[0]: line[2:] for line in local.splitlines() if line[1:2] == "|"}
    refs: dict[str, str] = {}
    lines = remote.splitlines()
    rc = next((line[2:] for line in reversed(lines) if line.startswith("R|")), "1")
    for line in lines:
        sha, sep, name = line.partition("\t")
        if sep and _SHA.match(sha):
            refs[name.removesuffix("^{}")] = sha  # a peeled tag comes after the tag object
    error = None if rc == "0" else "\n".join(line for line in lines if not line.startswith("R|"))
    exists = "B" in fields
    return Checkout(
        exists,
        "X" in fields,
        fields.get("B") or None,
        fields.get("U") or None,
        fields.get("S", "").strip(),
        refs,
        error,
    )


def target_sha(version: str, refs: dict[str, str]) -> str | None:
    """The commit ``version`` names on the remote: HEAD, a branch, a tag, or a sha (as is)."""
    for name in (
        (version,)
        if version == "HEAD"
        else (f"refs/heads/{version}", f"refs/tags/{version}", version)
    ):
        if name in refs:
            return refs[name]
    return version.lower() if _SHA.match(version) else None


def same_commit(a: str | None, b: str | None) -> bool:
    """Whether two shas name one commit (either may be abbreviated)."""
    return bool(a and b) and ((a or "").startswith(b or "") or (b or "").startswith(a or ""))


@register("git")
class Git(Module):
    """Clone or update a git checkout on the host (the host's git)."""

    args = {
        "repo": Arg(
            "str",
            required=True,
            aliases=("name",),
            description="The repository: URL, user@host:path or a local path.",
        ),
        "dest": Arg("path", description="Where the checkout goes (required unless clone=false)."),
        "version": Arg(
            "str", default="HEAD", description="Branch, tag or commit sha to check out."
        ),
        "remote": Arg("str", default="origin", description="The remote's name."),
        "clone": Arg("bool", default=True, description="false: do not clone a missing checkout."),
        "update": Arg(
            "bool", default=True, description="false: leave an existing checkout at its commit."
        ),
        "force": Arg(
            "bool", default=False, description="Discard local modifications to tracked files."
        ),
        "depth": Arg("int", description="Shallow clone with this many commits."),
        "bare": Arg("bool", default=False, description="A bare repository."),
        "single_branch": Arg(
            "bool", default=False, description="Clone only the history of version's branch."
        ),
        "recursive": Arg("bool", default=True, description="Clone submodules too."),
        "track_submodules": Arg(
            "bool", default=False, description="Accepted; submodules follow the superproject."
        ),
        "refspec": Arg("str", description="Extra refspec to fetch (e.g. refs/pull/*)."),
        "reference": Arg("str", description="Borrow objects from this local repository."),
        "executable": Arg("path", description="The git program (default: git on PATH)."),
        "accept_hostkey": Arg(
            "bool",
            default=False,
            description="ssh: accept any host key (StrictHostKeyChecking=no).",
        ),
        "accept_newhostkey": Arg(
            "bool", default=False, description="ssh: accept a host key not yet known."
        ),
        "key_file": Arg("path", description="ssh: the private key on the host."),
        "ssh_opts": Arg("str", description="ssh: more options for the ssh command."),
        "umask": Arg("raw", description="umask for the clone and update (octal)."),
        "verify_commit": Arg(
            "bool", default=False, description="Fail unless the commit has a valid GPG signature."
        ),
        "gpg_allowlist": Arg(
            "list", elements="str", default=[], description="Accepted; any valid signature passes."
        ),
        "archive": Arg(
            "path", description="Also write an archive (zip, tar, tar.gz) of the checkout here."
        ),
        "archive_prefix": Arg("str", description="Prefix for the paths in archive."),
        "separate_git_dir": Arg("path", description="Keep the .git directory here."),
    }
    returns = {
        "before": "the commit before (null when cloned)",
        "after": "the commit now",
        "remote_url_changed": "whether the remote's URL was updated",
        "warnings": "notes, e.g. about a shallow clone",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        if not args["dest"]:
            if args["clone"]:
                raise ModuleError("the destination directory must be specified unless clone=no")
            return self._ls_remote_only(args, ctx)
        found = parse_probe(ctx.run(self._probe(args)).out)
        after = target_sha(args["version"], found.refs)
        if found.remote_error is not None and not (found.exists and not args["update"]):
            raise ModuleError(
                f"Failed to ask {args['repo']} for {args['version']}: {found.remote_error.strip()}"
            )
        if after is None and (args["update"] or not found.exists):
            raise ModuleError(
                f"Failed to find {args['version']} in {args['repo']} (no such "
                "branch, tag or commit)"
            )
        if not found.exists:
            return self._clone(args, ctx, found, after)
        return self._update(args, ctx, found, after)

    def _clone(
        self, args: dict[str, Any], ctx: ModuleContext, found: Checkout, after: str | None
    ) -> Result:
        if found.occupied:
            raise ModuleError(
                f"Destination path {args['dest']} exists and is not an empty directory"
            )
        values: dict[str, Any] = {"before": None, "after": after, "remote_url_changed": False}
        if not args["clone"]:
            return Result(values=values)
        if not ctx.check:
            values["after"] = self._apply(args, ctx, _clone_steps(args, after))
        return Result(changed=True, values=values)

    def _update(
        self, args: dict[str, Any], ctx: ModuleContext, found: Checkout, after: str | None
    ) -> Result:
        moved = found.url is not None and found.url != args["repo"]
        values: dict[str, Any] = {
            "before": found.head,
            "after": found.head,
            "remote_url_changed": moved,
        }
        if not args["update"]:
            return Result(values=values)
        if found.dirty and not args["force"]:
            return Result.fail(
                f"Local modifications exist in the destination: {args['dest']} (force=no).",
                **values,
            )
        behind = not same_commit(found.head, after)
        if not (behind or found.dirty or moved):
            return Result(values={**values, "after": found.head})
        values["after"] = after
        if not ctx.check:
            values["after"] = self._apply(
                args, ctx, _update_steps(args, after, moved, behind or bool(found.dirty))
            )
        return Result(changed=True, values=values)

    def _apply(self, args: dict[str, Any], ctx: ModuleContext, steps: list[str]) -> str:
        """Run ``steps`` (then verify_commit and archive); the new HEAD."""
        dest = quote(args["dest"])
        steps = list(steps)
        if args["verify_commit"]:
            steps.append(f"_g -C {dest} verify-commit HEAD")
        if args["archive"]:
            steps.append(_archive_step(args))
        umask = f"umask {quote(str(args['umask']))}\n" if args["umask"] is not None else ""
        script = (
            f"{umask}{self._function(args)}\n"
            + " &&\n".join(steps)
            + f' && echo "A|$(_g -C {dest} rev-parse HEAD)"'
        )
        res = ctx.run(script)
        if res.rc != 0:
            raise ModuleError(
                f"git failed (exit status {res.rc}): {res.err.strip() or res.out.strip()}"
            )
        return next(line[2:] for line in res.out.splitlines() if line.startswith("A|"))

    def _function(self, args: dict[str, Any]) -> str:
        """``_g``: git with the ssh settings and no password prompt."""
        ssh = ["ssh"]
        if args["key_file"]:
            ssh += ["-i", args["key_file"], "-o", "IdentitiesOnly=yes"]
        if args["accept_hostkey"]:
            ssh += ["-o", "StrictHostKeyChecking=no"]
        elif args["accept_newhostkey"]:
            ssh += ["-o", "StrictHostKeyChecking=accept-new"]
        if args["ssh_opts"]:
            ssh += shlex.split(args["ssh_opts"])
        env = ["GIT_TERMINAL_PROMPT=0"]
        if len(ssh) > 1:
            env.append(f"GIT_SSH_COMMAND={quote(shlex.join(ssh))}")
        return f'_g() {{ env {" ".join(env)} {quote(args["executable"] or "git")} "$@"; }}'

    def _probe(self, args: dict[str, Any]) -> str:
        version = args["version"]
        refs = ["HEAD"] if version == "HEAD" else [version, f"{version}^{{}}"]
        return (
            self._function(args)
            + "\n"
            + _PROBE.format(
                dest=quote(args["dest"]),
                bare=str(args["bare"]).lower(),
                remote=quote(args["remote"]),
                end=_END,
                repo=quote(args["repo"]),
                refs=" ".join(map(quote, refs)),
            )
        )

    def _ls_remote_only(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        res = ctx.run(
            f"{self._function(args)}\n_g ls-remote {quote(args['repo'])} {quote(args['version'])}"
        )
        if res.rc != 0:
            raise ModuleError(f"Failed to ask {args['repo']}: {res.err.strip()}")
        sha = res.out.split("\t")[0].strip() or None
        return Result(values={"before": None, "after": sha, "remote_url_changed": False})


def _is_named(version: str) -> bool:
    return version != "HEAD" and not _SHA.match(version)


def _clone_steps(args: dict[str, Any], after: str | None) -> list[str]:
    version = args["version"]
    words = ["_g", "clone", "--origin", quote(args["remote"])]
    if args["bare"]:
        words.append("--bare")
    if args["depth"]:
        words += ["--depth", str(int(args["depth"])), "--no-single-branch"]
    if args["single_branch"]:
        words.append("--single-branch")
    if _is_named(version):
        words += ["--branch", quote(version)]
    if args["recursive"] and not args["bare"]:
        words.append("--recurse-submodules")
    if args["reference"]:
        words += ["--reference", quote(args["reference"])]
    if args["separate_git_dir"]:
        words += ["--separate-git-dir", quote(args["separate_git_dir"])]
    steps = [" ".join([*words, "--", quote(args["repo"]), quote(args["dest"])])]
    if _SHA.match(version) and not args["bare"] and after:
        steps.append(f"_g -C {quote(args['dest'])} checkout -q --force {quote(after)}")
    return steps


def _update_steps(
    args: dict[str, Any], after: str | None, moved: bool, checkout: bool
) -> list[str]:
    dest, remote, version = quote(args["dest"]), quote(args["remote"]), args["version"]
    steps = []
    if moved:
        steps.append(f"_g -C {dest} remote set-url {remote} {quote(args['repo'])}")
    if not checkout:
        return steps or [":"]
    heads = f"+refs/heads/*:refs/{'heads' if args['bare'] else 'remotes/' + args['remote']}/*"
    fetch = [f"_g -C {dest} fetch -q --tags", remote, quote(heads)]
    if args["depth"]:
        fetch.insert(1, f"--depth {int(args['depth'])}")
    if args["refspec"]:
        fetch.append(quote(args["refspec"]))
    steps.append(" ".join(fetch))
    if args["bare"]:
        return steps
    if _is_named(version) and after is not None:
        branch = f"refs/remotes/{args['remote']}/{version}"
        steps.append(
            f"if _g -C {dest} rev-parse -q --verify {quote(branch)} >/dev/null; then "
            f"_g -C {dest} checkout -q --force -B {quote(version)} {quote(branch)}; "
            f"else _g -C {dest} checkout -q --force {quote(after)}; fi"
        )
    elif version == "HEAD":
        steps.append(f"_g -C {dest} reset -q --hard {quote(after or 'HEAD')}")
    else:
        steps.append(f"_g -C {dest} checkout -q --force {quote(after or version)}")
    if args["recursive"]:
        steps.append(f"_g -C {dest} submodule update -q --init --recursive")
    return steps


def _archive_step(args: dict[str, Any]) -> str:
    path = args["archive"]
    fmt = (
        "zip"
        if path.endswith(".zip")
        else "tar.gz"
        if path.endswith((".tar.gz", ".tgz"))
        else "tar"
    )
    prefix = f" --prefix={quote(args['archive_prefix'])}" if args["archive_prefix"] else ""
    return f"_g -C {quote(args['dest'])} archive --format={fmt}{prefix} -o {quote(path)} HEAD"
