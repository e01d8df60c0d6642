"""The one probe layer: every question a task has about a host's files, asked in ONE command.

A ``Probe`` collects questions (paths, the chain of ancestors a ``mkdir -p`` would walk, the
task's user and umask, owner/group names, a tree listing), answers what the check run's
prediction already knows, and asks the host the rest with one ``sh`` command, parsed by one
parser. Paths and link targets travel hex-encoded, so names with newlines or invalid UTF-8
come back intact. Modules (``stat``, ``file``, the file writer, text edits) use it instead of
scripts of their own, so a host is never asked the same thing twice in another format.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Protocol

from ...errors import ModuleError
from ...transport.base import CommandResult
from ...transport.shell import quote
from . import selinux
from .accounts import AccountsPrediction
from .filestate import FileState
from .selinux import SeContext

ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
_KINDS = {
    "regular file": "file",
    "regular empty file": "file",
    "directory": "directory",
    "symbolic link": "link",
}

# _q TAG PATH FLAGS [SUMCMD]; FLAGS: L follow links, A access for the running user,
# S checksum with SUMCMD, E whether a directory is empty, M mime type and charset of PATH
# itself (`file`, when the host has it), K only when PATH is a symlink (else just
# "TAG|same"), N a path that cannot be stat'ed (permission) is absent, as a file writer's
# exists() sees it (else "TAG|error|HEX"). A link loop on the way leads nowhere: absent,
# as a dangling link's target is. One record per line.
PRELUDE = r"""export LC_ALL=C; _gone=
_h() { od -An -tx1 | tr -d ' \n'; }
_q() {
  _t=$1 _p=$2 _f=$3 _l=
  case $_f in *K*) [ -L "$_p" ] || { echo "$_t|same"; return 0; } ;; esac
  case $_f in *L*) _l=-L ;; esac
  _fmt="$_t|st|%F|%a|%u|%g|%U|%G|%s|%.9X|%.9Y|%.9Z|%h|%i|%d|%b|%o|%t|%T"
  if _o=$(stat $_l -c "$_fmt" -- "$_p" 2>&1)
  then printf '%s\n' "$_o"
  else
    case $_o in
      *"No such file"*|*"Not a directory"*|*"Too many levels"*)
        echo "$_t|absent"; _gone="$_gone|$_t" ;;
      *) case $_f in *N*) echo "$_t|absent"; _gone="$_gone|$_t" ;;
         *) printf '%s|error|' "$_t"; printf '%s' "$_o" | _h; echo ;; esac ;;
    esac
    return 0
  fi
  if [ -L "$_p" ]; then
    [ -n "$_l" ] || { printf '%s|lnk|' "$_t"; readlink -- "$_p" | _h; echo; }
    printf '%s|real|' "$_t"; readlink -f -- "$_p" | _h; echo
  fi
  case $_f in *A*)
    _a=; [ -r "$_p" ] && _a=r; [ -w "$_p" ] && _a=${_a}w; [ -x "$_p" ] && _a=${_a}x
    echo "$_t|acc|$_a" ;;
  esac
  case $_f in *S*)
    if [ -f "$_p" ] && [ -r "$_p" ] && { [ -n "$_l" ] || [ ! -L "$_p" ]; }; then
      _s=$($4 < "$_p") && echo "$_t|sum|${_s%% *}"
    fi ;;
  esac
  case $_f in *M*)
    if command -v file >/dev/null 2>&1; then
      _m=$(file -b --mime-type --mime-encoding -- "$_p" 2>/dev/null)
      printf '%s|mime|%s\n' "$_t" "$_m"
    fi ;;
  esac
  case $_f in *E*)
    if [ -d "$_p" ] && [ ! -L "$_p" ]; then
      _e=empty
      for _x in "$_p"/* "$_p"/.[!.]* "$_p"/..?*; do
        if [ -e "$_x" ] || [ -L "$_x" ]; then _e=full; break; fi
      done
      echo "$_t|$_e"
    fi ;;
  esac
  return 0
}
_c() { _b=$1; shift; for _x in "$@"; do
  _r=$(_q "a$_b" "$_x" LA); printf '%s\n' "$_r"
  [ "$_r" = "a$_b|absent" ] && [ ! -L "$_x" ] || break; _b=$((_b+1))
done; }
"""
# One `id` (not one per field: each is a process on the host), after the umask.
ENV = "printf 'env|%s|' \"$(umask)\"; id"
# A tree's entries, under the real path when PATH is a symlink (that is where other tasks
# record what they change): the root (hex), then NUL-terminated records.
_LISTING = r"""
_r={path}; [ -L "$_r" ] && _r=$(readlink -f -- "$_r")
printf 'lroot|'; printf '%s' "$_r" | _h; echo
printf '\n@@pbe-list@@\000'
case $_r in /*|./*) ;; *) _r=./$_r ;; esac
find -P "$_r" -mindepth 1 -printf '%y|%m|%U|%G|%u|%g|{context}%p\0' 2>/dev/null
{sums}:
"""
_SUMS_LIST = (
    "printf '\\000@@pbe-sums@@\\000'; find -P \"$_r\" -mindepth 1 -type f -readable "
    "-exec sha1sum -z -- {} + 2>/dev/null\n"
)
LIST_MARK = b"\n@@pbe-list@@\0"
CONTENT_MARK = b"\n@@pbe-content@@\0"
_CONTENT = "\nprintf '\\n@@pbe-content@@\\000'; if [ -f {word} ]; then exec cat -- {word}; fi"
SUMS_MARK = b"\0@@pbe-sums@@\0"


@dataclass(frozen=True, slots=True)
class Env:
    """Who the task's commands run as on the host, and the umask new files get."""

    uid: int
    gid: int
    groups: frozenset[int]
    umask: int
    user: str
    group: str
    group_names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, umask: str, ids: str) -> Env:
        """``umask`` and ``id``'s ``uid=0(root) gid=0(root) groups=0(root),4(adm)`` (pure;
        an id without a name stands as its number)."""
        fields = dict(part.split("=", 1) for part in ids.split() if "=" in part)
        uid, user = _id_name(fields.get("uid", ""))
        gid, group = _id_name(fields.get("gid", ""))
        pairs = [_id_name(g) for g in fields.get("groups", "").split(",") if g]
        return cls(
            uid,
            gid,
            frozenset(n for n, _ in pairs) | {gid},
            int(umask, 8),
            user,
            group,
            frozenset(name for _, name in pairs) | {group},
        )

    def is_me(self, owner: str) -> bool:
        return owner in (self.user, str(self.uid))

    def owns(self, state: FileState) -> bool:
        return state.uid == self.uid if state.uid is not None else state.owner == self.user

    def member(self, state: FileState) -> bool:
        """Whether the file's group is one of the user's."""
        if state.gid is not None:
            return state.gid in self.groups
        return state.group is not None and self.in_group(state.group)

    def in_group(self, group: str) -> bool:
        """Whether ``group`` (a name or a gid) is one of the user's groups."""
        return group in self.group_names or (group.isdigit() and int(group) in self.groups)


def _id_name(text: str) -> tuple[int, str]:
    """``1000(me)`` -> (1000, "me"); ``1000`` -> (1000, "1000")."""
    number, _, name = text.partition("(")
    if not number.isdigit():
        raise ModuleError(f"cannot read the user's ids on the host: {text!r}")
    return int(number), name.rstrip(")") or number


@dataclass(frozen=True, slots=True)
class Entry:
    """One probed path: its ``FileState`` plus what only stat(1) and test(1) can add."""

    state: FileState
    ftype: str = ""  # stat's %F: "fifo", "socket", ...
    atime: float | None = None
    ctime: float | None = None
    inode: int | None = None
    dev: int | None = None
    blocks: int | None = None  # of 512 bytes
    block_size: int | None = None  # the preferred size for I/O
    device_type: int | None = None  # st_rdev
    real: str | None = None  # readlink -f, for links
    access: str | None = None  # subset of "rwx" for the running user
    empty: bool | None = None  # directories probed with E
    mime: str | None = None  # `file -b --mime-type --mime-encoding`, with M
    predicted: bool = False  # answered from the check run's prediction

    @property
    def kind(self) -> str:
        return self.state.kind


@dataclass(frozen=True, slots=True)
class Node:
    """One entry of a ``find`` listing below a directory."""

    path: str
    kind: str  # find's %y: d f l p s c b
    bits: int
    uid: int
    gid: int
    owner: str
    group: str
    checksum: str | None = None  # sha1, in check runs (records keep the content's sum)
    secontext: str | None = None  # SELinux context, when asked for

    def as_state(self) -> FileState:
        kind = {"d": "directory", "f": "file", "l": "link"}.get(self.kind, "other")
        return FileState(
            self.path,
            kind,
            mode=f"{self.bits:04o}",
            uid=self.uid,
            gid=self.gid,
            owner=self.owner,
            group=self.group,
            checksum=self.checksum,
        )


@dataclass
class Answers:
    entries: dict[str, Entry] = field(default_factory=dict)
    ancestors: list[Entry] = field(default_factory=list)
    env: Env | None = None
    owner: tuple[int | None, str] | None = None  # no uid: an account a check run adds
    group: tuple[int | None, str] | None = None
    nodes: list[Node] = field(default_factory=list)
    unknown_checksum: bool = False  # a predicted file whose bytes the prediction lacks
    blocker: str | None = None  # a directory `rm -rf` could not empty
    selinux: dict[str, SeContext] = field(default_factory=dict)  # tag -> where SELinux is on
    records: dict[str, list[list[str]]] = field(default_factory=dict)  # every TAG|... line
    content: bytes | None = None  # ``content``'s file, when it is a regular file


def access_for(state: FileState, env: Env) -> str:
    """What ``test -r/-w/-x`` would say of a predicted entry (no ACLs, as chmod sees it)."""
    if not state.exists or state.mode is None:
        return ""
    bits = int(state.mode, 8)
    if env.uid == 0:
        x = state.kind == "directory" or bool(bits & 0o111)
        return "rw" + ("x" if x else "")
    if state.uid == env.uid:
        three = bits >> 6 & 7
    elif state.gid in env.groups:
        three = bits >> 3 & 7
    else:
        three = bits & 7
    return "".join(c for c, b in (("r", 4), ("w", 2), ("x", 1)) if three & b)


def resolve(path: str, target: str) -> str:
    """Where a symlink at ``path`` with ``target`` points (lexically, as the kernel would)."""
    joined = target if target.startswith("/") else str(PurePosixPath(path).parent / target)
    parts: list[str] = []
    for part in joined.split("/"):
        if part == "..":
            if parts and parts[-1] not in ("", ".."):
                parts.pop()
        elif part not in ("", ".") or not parts:
            parts.append(part)
    return "/".join(parts) or "/"


class Identity:
    """Where the user, groups and umask the commands run with are kept once known. The
    executor keeps one per host and become user for the whole run: every command runs from
    the host's one persistent shell (or under the same become), whose credentials and umask
    no task changes (a task's `umask` or new group applies to its own child process only)."""

    def __init__(self) -> None:
        self.env: Env | None = None
        self.homes: dict[str, str | None] = {}  # "" the user's own; None: no such user


class ProbeCache:
    """One task's answers, so a module (and the helpers it calls) never asks the host the
    same question twice: entries by (path, flags, algorithm), dropped when any command runs
    (a probe stores its own answers after its command); and the user and umask
    (``Identity``), which no command changes."""

    def __init__(self, identity: Identity | None = None) -> None:
        self.entries: dict[tuple[str, str, str], Entry] = {}
        self.identity = identity or Identity()

    @property
    def env(self) -> Env | None:
        return self.identity.env

    @env.setter
    def env(self, env: Env | None) -> None:
        self.identity.env = env

    def forget(self) -> None:
        self.entries.clear()


class Files(Protocol):
    """What a probe needs of the remote-files layer (``remotefs.RemoteFiles``)."""

    check: bool
    cache: ProbeCache

    def known(self, path: str) -> FileState | None: ...

    def accounts(self) -> AccountsPrediction | None: ...

    def query(self, script: str, stdin: bytes | None = None) -> CommandResult: ...


class Probe:
    """Questions about one host's files, answered with at most one remote command."""

    def __init__(self, files: Files, algorithm: str = "sha1") -> None:
        self.files = files
        self.algorithm = algorithm
        self._asked: dict[str, tuple[str, str, str]] = {}  # tag -> cache key
        self._host: list[str] = []
        self._answers = Answers()
        self._need_env = False
        self._listing: str | None = None
        self._content: str | None = None
        self._sums = False
        self._contexts = False
        self._link_access: dict[str, str] = {}
        self._chain: list[str] = []
        self._stdin: bytes | None = None

    # -- questions -------------------------------------------------------------------------

    def path(self, tag: str, path: str, flags: str = "") -> None:
        """lstat (or stat with L) of ``path``; see ``PRELUDE`` for the flags."""
        if "A" in flags:
            self._need_env = True
        known = self._predicted(path, "L" in flags)
        if isinstance(known, Entry):
            entry = self._finish_predicted(known, flags)
            if known.kind == "link" and known.state.target is not None:
                entry = replace(entry, real=resolve(path, known.state.target))
                if "A" in flags:  # test -r/-w/-x answer for what a link points to
                    self._link_access[tag] = f"{tag}_t"
                    self.path(f"{tag}_t", entry.real or "", "LA")
            self._answers.entries[tag] = entry
        elif known is not None:  # a predicted link whose target the host must tell
            self._ask(tag, known, flags.replace("K", ""))
        else:
            self._ask(tag, path, flags)

    def ancestors(self, path: str, when_absent: tuple[str, ...] = ()) -> None:
        """Parent, grandparent, ... up to the first that exists (followed, with access).
        The walk stops at the entry its own stat found, so one another host creates
        meanwhile never leaves the chain ending in an absent entry. ``when_absent``: the
        host walks only when one of these questions, asked before, found its path absent
        (a stat saved where the chain only serves to create the path; their own answers
        decide, so a path another host changes meanwhile cannot leave the chain out)."""
        self._need_env = True
        chain = [str(p) for p in PurePosixPath(path).parents]
        for index, parent in enumerate(chain):
            known = self._predicted(parent, True)
            if not isinstance(known, Entry):
                self._chain = chain
                walk = "_c " + " ".join([str(index), *map(quote, chain[index:])])
                if when_absent and all(t in self._asked for t in when_absent):
                    cases = "|".join(f'*"|{tag}|"*' for tag in when_absent)
                    walk = f'case "$_gone|" in {cases}) {walk} ;; esac'
                self._host.append(walk)
                return
            self._answers.ancestors.append(self._finish_predicted(known, "A"))
            if known.state.exists:
                return

    def owner(self, name: str) -> None:
        """The uid of user ``name`` (a check run's predicted accounts answer first)."""
        if (known := self._accounts("user", name)) is not None:
            self._answers.owner = (known[1], name) if known[0] else None
            return
        self._host.append(
            f'_u={quote(name)}; if _o=$(id -u -- "$_u" 2>/dev/null); then '
            'printf \'own|%s|%s\\n\' "$_o" "$(id -un -- "$_u")"; fi'
        )

    def group(self, name: str) -> None:
        if (known := self._accounts("group", name)) is not None:
            self._answers.group = (known[1], name) if known[0] else None
            return
        self._host.append(f"printf 'grp|%s\\n' \"$(getent group -- {quote(name)} | head -n1)\"")

    def blockers(self, path: str) -> None:
        """The first non-empty directory at or below ``path`` the user could not empty. One
        that vanishes while ``find`` looks (another host removing the same tree) fails its
        access tests too: only one still there afterwards counts."""
        self._host.append(
            f"printf 'blk|'; [ \"$(id -u)\" = 0 ] || find -P "
            f"{quote(find_start(path))} -type d ! -empty \\( ! -readable -o "
            "! -writable -o ! -executable \\) -exec test -d {} \\; -print -quit "
            "2>/dev/null | _h; echo"
        )

    def selinux(self, tag: str, path: str, follow: bool = False) -> None:
        """Where SELinux is on: the context of ``path`` and the policy's default for it."""
        self._host.append(selinux.probe(quote(path), follow=follow, tag=f"Z{tag}"))

    def mime_of(self, tag: str, content: bytes) -> None:
        """``file``'s mime type of bytes the host does not hold yet (a check run's
        prediction), sent on the command's standard input."""
        self._stdin = content
        self._host.append(
            "if command -v file >/dev/null 2>&1; then printf '%s|mime|%s\\n' "
            f'{tag} "$(file -b --mime-type --mime-encoding - 2>/dev/null | '
            f"head -n1)\"; else echo '{tag}|mime|'; fi; cat >/dev/null"
        )

    def mime_if_unchanged(self, tag: str, path: str, sha1: str) -> None:
        """``file``'s mime type of ``path`` as the host holds it, answered only when its bytes
        still have the ``sha1`` a check run predicts (an attribute change, a hard link to
        it); an empty answer when the host has no ``file``; none when the bytes differ."""
        p = quote(path)
        self._host.append(
            f"if ! command -v file >/dev/null 2>&1; then echo '{tag}|mime|'; "
            f"elif [ \"$(sha1sum < {p} 2>/dev/null | cut -d' ' -f1)\" = {quote(sha1)} ]; then "
            f"printf '%s|mime|%s\\n' {tag} \"$(file -b --mime-type --mime-encoding -- {p} "
            '2>/dev/null | head -n1)"; fi'
        )

    def listing(self, path: str, checksums: bool = False, contexts: bool = False) -> None:
        """Everything below ``path`` (not following links), for ``recurse``; with
        ``checksums`` the sha1 of each readable regular file too, with ``contexts`` the
        SELinux context of each entry."""
        self._listing = path
        self._sums = checksums
        self._contexts = contexts

    def _accounts(self, kind: str, name: str) -> tuple[bool, int | None] | None:
        """What an earlier task of the check run would do to this account, if anything."""
        accounts = self.files.accounts()
        if accounts is None:
            return None
        return accounts.user(name) if kind == "user" else accounts.group(name)

    # -- the round trip --------------------------------------------------------------------

    def script(self, fragment: str) -> None:
        """Shell of a module's own, run in order with the questions: it may set variables
        a later ``word`` question uses (a resolved path), and its ``TAG|...`` lines land in
        ``Answers.records``. It must not print a line starting with another question's tag."""
        self._host.append(fragment)

    def word(self, tag: str, word: str, flags: str = "") -> None:
        """``path`` for a shell word the host expands (``"$r"``): never predicted or cached."""
        self._host.append(f"_q {tag} {word} {flags or '-'}")
        self._answers.entries[tag] = Entry(FileState(""))

    def content(self, word: str) -> None:
        """The bytes of the regular file at the shell word ``word``, read last (``Answers.
        content``; None when it is not a regular file). Not with ``listing``."""
        self._content = word

    def env(self) -> None:
        """The task's user, groups and umask (``Answers.env``)."""
        self._need_env = True

    def run(self, failed: Callable[[CommandResult], str] | None = None) -> Answers:
        """Ask the host; ``failed`` words the error when the command fails (a ``script``
        that exits, an unreadable ``content``)."""
        cache = self.files.cache
        if self._need_env and cache.env is None:
            self._host.append(ENV)
        if self._host or self._listing is not None:
            self._parse(self._remote(failed))
        for tag, key in self._asked.items():
            if tag in self._answers.entries:
                cache.entries[key] = self._answers.entries[tag]
        if self._need_env:
            self._answers.env = cache.env = self._answers.env or cache.env
        env = self._answers.env
        if env is not None:
            self._answers.entries = {
                t: _with_access(e, env) for t, e in self._answers.entries.items()
            }
            self._answers.ancestors = [_with_access(e, env) for e in self._answers.ancestors]
        for tag, target_tag in self._link_access.items():
            target = self._answers.entries.pop(target_tag)
            self._answers.entries[tag] = replace(
                self._answers.entries[tag], access=target.access if target.state.exists else ""
            )
        return self._answers

    def _remote(self, failed: Callable[[CommandResult], str] | None) -> bytes:
        script = PRELUDE + "\n".join(self._host)
        if self._listing is not None:
            script += _LISTING.format(
                path=quote(self._listing),
                sums=_SUMS_LIST * self._sums,
                context="%Z|" * self._contexts,
            )
        if self._content is not None:
            word = self._content
            script += _CONTENT.format(word=word)
        res = self.files.query(script, stdin=self._stdin)
        if res.rc != 0:
            raise ModuleError(
                failed(res)
                if failed
                else f"cannot inspect the host's files: {res.err.strip() or res.rc}"
            )
        return res.stdout

    def _ask(self, tag: str, path: str, flags: str) -> None:
        key = (path, flags, self.algorithm)
        if "K" not in flags and (cached := self.files.cache.entries.get(key)) is not None:
            self._answers.entries[tag] = cached
            return
        self._asked[tag] = key
        command = _SUMS[self.algorithm] if "S" in flags else ""
        self._host.append(f"_q {tag} {quote(path)} {flags or '-'} {command}".rstrip())
        self._answers.entries[tag] = Entry(FileState(path))  # replaced by the host's answer

    def _predicted(self, path: str, follow: bool) -> Entry | str | None:
        """A predicted Entry, a path the host must stat instead (link target), or None."""
        if not self.files.check:
            return None
        for hops in range(40):
            known = self.files.known(path)
            if known is None:
                return path if hops else None
            if not (follow and known.kind == "link" and known.target):
                return Entry(known, predicted=True, real=path if hops else None)
            path = resolve(path, known.target)
        raise ModuleError(f"too many levels of symbolic links: {path}")

    def _finish_predicted(self, entry: Entry, flags: str) -> Entry:
        """Checksum a predicted file from its predicted bytes; flag it when they are unknown."""
        state = entry.state
        if "S" not in flags or state.kind != "file":
            return entry
        if state.content is not None:
            digest: str | None = hashlib.new(self.algorithm, state.content).hexdigest()
        else:
            digest = state.checksum if self.algorithm == "sha1" else None
        self._answers.unknown_checksum |= digest is None
        return replace(entry, state=replace(state, checksum=digest))

    def _parse(self, output: bytes) -> None:
        if self._content is not None:
            output, mark, content = output.partition(CONTENT_MARK)
            if not mark:
                raise ModuleError("cannot inspect the host's files: unexpected reply")
            self._answers.content = content
        text, _, listing = output.partition(LIST_MARK)
        records = self._answers.records = parse_records(text.decode("utf-8", "replace"))
        if self._listing is not None:
            root = unhex(records["lroot"][0][0]) if "lroot" in records else self._listing
            self._answers.nodes = self._overlay(parse_listing(root, listing, self._contexts))
        for tag, entry in list(self._answers.entries.items()):
            if entry.predicted and (rows := records.get(tag)):
                self._answers.entries[tag] = replace(entry, mime=rows[0][1])
            if entry.predicted or tag not in records:
                continue
            if records[tag] == [["same"]]:  # K: not a symlink, nothing more to learn
                del self._answers.entries[tag]
            else:
                self._answers.entries[tag] = parse_entry(entry.state.path, records[tag])
        for index in range(len(self._chain)):
            if f"a{index}" in records:
                self._answers.ancestors.append(
                    parse_entry(self._chain[index], records[f"a{index}"])
                )
        self._parse_ids(records)
        self._parse_contexts(records)

    def _overlay(self, nodes: list[Node]) -> list[Node]:
        """In a check run, what earlier tasks would have done below the tree wins."""
        if not self.files.check:
            return nodes
        out = []
        for node in nodes:
            known = self.files.known(node.path)
            if known is None:
                out.append(node)
            elif known.exists:
                out.append(_merge(node, known))
        return out

    def _parse_contexts(self, records: dict[str, list[list[str]]]) -> None:
        for key, rows in records.items():
            if key.startswith("Z") and (se := selinux.parse_line("|".join([key, *rows[0]]))):
                self._answers.selinux[key[1:]] = se

    def _parse_ids(self, records: dict[str, list[list[str]]]) -> None:
        if rows := records.get("env"):
            self._answers.env = Env.parse(rows[0][0], "|".join(rows[0][1:]))
        if (rows := records.get("blk")) and rows[0][0]:
            self._answers.blocker = unhex(rows[0][0]).removesuffix("\n")
        if (rows := records.get("own")) and rows[0][0]:
            self._answers.owner = (int(rows[0][0]), rows[0][1])
        if (rows := records.get("grp")) and rows[0][0]:
            parts = "|".join(rows[0]).split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                self._answers.group = (int(parts[2]), parts[0])


_SUMS = {name: f"{name}sum" for name in ALGORITHMS}


def _merge(node: Node, known: FileState) -> Node:
    """A listed entry as an earlier task of the check run would leave it."""
    letter = {"directory": "d", "file": "f", "link": "l"}.get(known.kind, node.kind)
    return replace(
        node,
        kind=letter,
        bits=int(known.mode, 8) if known.mode else node.bits,
        uid=node.uid if known.uid is None else known.uid,
        gid=node.gid if known.gid is None else known.gid,
        owner=known.owner or node.owner,
        group=known.group or node.group,
        checksum=known.checksum,
    )


def find_start(path: str) -> str:
    """A path ``find`` will not mistake for an option."""
    return path if path.startswith(("/", "./")) else "./" + path


def _with_access(entry: Entry, env: Env) -> Entry:
    """A predicted entry, completed (see ``complete``) and with its ``test -r/-w/-x``."""
    if not entry.predicted or not entry.state.exists:
        return entry
    state = complete(entry.state, env)
    access = entry.access if entry.access is not None else access_for(state, env)
    return replace(entry, state=state, access=access)


def complete(state: FileState, env: Env) -> FileState:
    """Fill what another module's record left out: an entry an earlier task of the check
    run created without naming an owner belongs to the task's user (its ids taken from the
    names when they are the user's), and has the mode a new entry of its kind gets."""
    owner, group = state.owner or env.user, state.group or env.group
    uid = state.uid if state.uid is not None else env.uid if owner == env.user else None
    gid = state.gid if state.gid is not None else env.gid if group == env.group else None
    mode = state.mode
    if mode is None:
        mode = format(
            0o777 & ~env.umask
            if state.kind == "directory"
            else 0o777
            if state.kind == "link"
            else 0o666 & ~env.umask,
            "04o",
        )
    return replace(state, owner=owner, group=group, uid=uid, gid=gid, mode=mode)


def parse_records(text: str) -> dict[str, list[list[str]]]:
    """``TAG|field|...`` lines by tag (pure)."""
    records: dict[str, list[list[str]]] = {}
    for line in text.splitlines():
        fields = line.split("|")
        records.setdefault(fields[0], []).append(fields[1:])
    return records


def unhex(value: str) -> str:
    """A path the host sent through ``_h`` (hex), as text (any bytes survive)."""
    return bytes.fromhex(value).decode("utf-8", "surrogateescape")


def parse_entry(path: str, rows: list[list[str]]) -> Entry:
    """One path's records from ``_q`` (pure; unit-tested)."""
    entry = Entry(FileState(path))
    state = entry.state
    for row in rows:
        kind, rest = row[0], row[1:]
        if kind == "error":
            reason = unhex(rest[0]).strip().rsplit(": ", 1)[-1]  # after "stat: cannot statx 'p'"
            raise ModuleError(f"cannot stat {path}: {reason}")
        if kind == "st":
            ftype, mode, uid, gid, owner, group, size, atime, mtime, ctime, nlink, ino, dev = rest[
                :13
            ]
            state = replace(
                state,
                kind=_KINDS.get(ftype, "other"),
                mode=mode.zfill(4),
                uid=int(uid),
                gid=int(gid),
                owner=owner,
                group=group,
                size=int(size),
                mtime=float(mtime),
                nlink=int(nlink),
            )
            entry = replace(
                entry,
                ftype=ftype,
                atime=float(atime),
                ctime=float(ctime),
                inode=int(ino),
                dev=int(dev),
            )
            if len(rest) >= 17:  # recordings made before pbe asked for them have not
                blocks, block_size, major, minor = rest[13:17]
                entry = replace(
                    entry,
                    blocks=int(blocks),
                    block_size=int(block_size),
                    device_type=os.makedev(int(major, 16), int(minor, 16)),
                )
        elif kind == "lnk":
            state = replace(state, target=unhex(rest[0]).removesuffix("\n"))
        elif kind == "real":
            entry = replace(entry, real=unhex(rest[0]).removesuffix("\n"))
        elif kind == "acc":
            entry = replace(entry, access=rest[0])
        elif kind == "sum":
            state = replace(state, checksum=rest[0])
        elif kind in ("empty", "full"):
            entry = replace(entry, empty=kind == "empty")
        elif kind == "mime":
            entry = replace(entry, mime="|".join(rest))
    return replace(entry, state=state)


def parse_listing(root: str, data: bytes, contexts: bool = False) -> list[Node]:
    """``find -printf '%y|%m|%U|%G|%u|%g|%p\\0'`` records (with ``contexts``, ``%Z|``
    before ``%p``; then, optionally, ``sha1sum -z`` records after ``SUMS_MARK``), with
    paths mapped back onto ``root``. Pure; unit-tested."""
    start = find_start(root).rstrip("/")
    base = root.rstrip("/") if root != "/" else ""
    listing, _, sums = data.partition(SUMS_MARK)

    def local(found: str) -> str:
        return base + found[len(start) :] if start else found

    checksums = {}
    for record in sums.split(b"\0"):
        text = record.decode("utf-8", "surrogateescape")
        if len(text) > 42:
            checksums[local(text[42:])] = text[:40]
    nodes = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        fields = record.decode("utf-8", "surrogateescape").split("|", 6 + contexts)
        kind, bits, uid, gid, owner, group = fields[:6]
        path = local(fields[-1])
        nodes.append(
            Node(
                path,
                kind,
                int(bits, 8),
                int(uid),
                int(gid),
                owner,
                group,
                checksums.get(path),
                fields[6] if contexts else None,
            )
        )
    return nodes
