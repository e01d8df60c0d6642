"""find: list files on the host by name, type, age, size, mode and content.

One ``find -printf`` round trip lists every entry below the paths (to the depth asked,
NUL-separated so any name survives), and the selection happens on the controller with
Ansible's rules: names match ``patterns``/``excludes`` (shell globs, or Python regexes
with ``use_regex``) on the base name, ``hidden`` entries are those whose name starts with
a dot, ``age``/``size`` bound the times and sizes, and entries are reported as ``lstat``
sees them. ``contains`` and ``get_checksum`` cost one more round trip, over the regular
files still selected: their content is read on the controller and matched with Python's
``re`` (each line with ``re.match``, or the whole file with ``re.search``), exactly as
Ansible does on the host.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import time
from dataclasses import dataclass
from typing import Any

from ..errors import ModuleError
from ..transport.shell import quote
from . import register
from .base import Arg, Module, ModuleContext
from .result import Result
from .util.modes import PERMISSION_FLAGS, ModeError, parse_mode
from .util.probe import ALGORITHMS

# Two NUL-terminated records per entry: the attributes ending in the link target (which
# may hold any character but NUL), then the path.
_FORMAT = "F|%y|%m|%U|%G|%u|%g|%s|%b|%A@|%T@|%C@|%n|%i|%D|%d|%l\\0%p\\0"
# With follow, -L reports what links point to; -xtype l still tells a link apart.
_LINK_FORMAT = "F|l|777|%U|%G|%u|%g|-1|0|%A@|%T@|%C@|1|%i|%D|%d|%l\\0%p\\0"
# _l INDEX PATH: announce the path (hex, as the host expanded ~), say whether it is a
# directory to search; the caller's find then lists it from "$_p".
_PRELUDE = r"""_l() {
  _p=$2
  case $_p in '~') _p=$HOME ;; '~/'*) _p=$HOME/${_p#??} ;; esac
  printf 'P|%s|' "$1"; printf '%s' "$_p" | od -An -tx1 | tr -d ' \n'; printf '\0'
  if [ ! -d "$_p" ]; then printf 'X|\0'; return 1; fi
  case $_p in /*|./*) ;; *) _p=./$_p ;; esac
}
"""
_FIND = (
    'if _l {index} {path}; then {{ _e=$(find {mode} "$_p" -mindepth 1 -maxdepth '
    '{depth} {expr} 2>&1 >&3); }} 3>&1; [ -z "$_e" ] || printf \'E|%s\\0\' "$_e"; fi'
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_TYPES = {"f": "file", "d": "directory", "l": "link"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry ``find -printf`` reported, as lstat sees it."""

    path: str
    kind: str  # find's %y: f d l p s c b
    bits: int
    uid: int
    gid: int
    owner: str
    group: str
    size: int
    blocks: int
    atime: float
    mtime: float
    ctime: float
    nlink: int
    inode: int
    dev: int
    depth: int

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    def as_dict(self) -> dict[str, Any]:
        """Ansible's per-file dictionary (stat-like keys)."""
        out: dict[str, Any] = {
            "path": self.path,
            "mode": f"{self.bits & 0o7777:04o}",
            "isdir": self.kind == "d",
            "ischr": self.kind == "c",
            "isblk": self.kind == "b",
            "isreg": self.kind == "f",
            "isfifo": self.kind == "p",
            "islnk": self.kind == "l",
            "issock": self.kind == "s",
            "uid": self.uid,
            "gid": self.gid,
            "size": self.size,
            "inode": self.inode,
            "dev": self.dev,
            "nlink": self.nlink,
            "atime": self.atime,
            "mtime": self.mtime,
            "ctime": self.ctime,
            "gr_name": self.group,
            "pw_name": self.owner,
            "blocks": self.blocks,
            "disk_usage_bytes": self.blocks * 512,
        }
        out.update({key: bool(self.bits & bit) for key, bit in PERMISSION_FLAGS})
        return out


@dataclass
class Listing:
    """What the host said about one of the ``paths``."""

    path: str
    entries: list[Entry]
    missing: bool = False
    errors: str = ""


# -- parsing (pure) --------------------------------------------------------------------------


def parse_listing(data: bytes, paths: list[str]) -> list[Listing]:
    """The listing script's NUL-separated records, per path asked (pure; unit-tested)."""
    out: list[Listing] = []
    records = iter(data.split(b"\0"))
    for record in records:
        text = record.decode("utf-8", "surrogateescape")
        tag, _, rest = text.partition("|")
        if tag == "P":
            index, _, shown = rest.partition("|")
            out.append(Listing(_expanded(paths[int(index)], shown), []))
        elif tag == "X" and out:
            out[-1].missing = True
        elif tag == "E" and out:
            out[-1].errors = rest
        elif tag == "F" and out:
            found = next(records, b"").decode("utf-8", "surrogateescape")
            out[-1].entries.append(_entry(rest, found, out[-1].path))
    return out


_FIND_ERROR = re.compile(r"^find: [‘'`](.*)[’']: (.*)$")
_ERRNOS = {
    "No such file or directory": 2,
    "Permission denied": 13,
    "Not a directory": 20,
    "Too many levels of symbolic links": 40,
}


def access_errors(text: str) -> list[tuple[str, str]]:
    """(path, reason) for each path ``find`` could not read, the reason as Ansible's find
    gives it (Python's ``[Errno 13] Permission denied: 'PATH'``); other lines as they are,
    under an empty path."""
    out = []
    for line in text.strip().splitlines():
        match = _FIND_ERROR.match(line)
        if match is None:
            out.append(("", line))
            continue
        path, why = match.groups()
        errno = _ERRNOS.get(why)
        out.append((path, f"[Errno {errno}] {why}: '{path}'" if errno else f"{why}: '{path}'"))
    return out


def _expanded(asked: str, shown_hex: str) -> str:
    """The path as the host expanded it (``~``), so entries are reported under it."""
    try:
        return bytes.fromhex(shown_hex).decode("utf-8", "surrogateescape") or asked
    except ValueError:
        return asked


def _entry(fields_text: str, found: str, root: str) -> Entry:
    fields = fields_text.split("|", 15)
    if len(fields) != 16:
        raise ModuleError(f"find: unexpected output from the host: {fields_text[:200]!r}")
    kind, mode, uid, gid, owner, group, size, blocks, at, mt, ct, nlink, ino, dev, depth, target = (
        fields
    )
    size_of = len(target.encode("utf-8", "surrogateescape")) if size == "-1" else int(size)
    return Entry(
        _report_path(root, found),
        kind,
        int(mode, 8),
        int(uid),
        int(gid),
        owner,
        group,
        size_of,
        int(blocks),
        float(at),
        float(mt),
        float(ct),
        int(nlink),
        int(ino),
        int(dev),
        int(depth),
    )


def _report_path(root: str, found: str) -> str:
    """``find`` prints the start it was given (``./x`` for a relative one) joined with the
    entry; Ansible reports ``normpath(join(root, name))``."""
    start = root if root.startswith(("/", "./")) else "./" + root
    return (
        posixpath.normpath(root + found[len(start) :])
        if found.startswith(start)
        else posixpath.normpath(found)
    )


# -- selecting (pure) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rules:
    """The selection arguments, checked and converted once."""

    patterns: tuple[str, ...]
    excludes: tuple[str, ...]
    use_regex: bool
    file_type: str
    hidden: bool
    recurse: bool
    depth: int | None
    age: float | None
    age_stamp: str
    size: int | None
    mode: int | None
    exact_mode: bool

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Rules:
        patterns = tuple(map(str, args["patterns"] or []))
        excludes = tuple(map(str, args["excludes"] or []))
        if args["use_regex"]:
            for pattern in (*patterns, *excludes):
                _regex(pattern, "patterns/excludes")
        depth = args["depth"] if args["recurse"] else 1
        if depth is not None and depth < 1:
            raise ModuleError(f"depth must be at least 1, not {depth}")
        return cls(
            patterns,
            excludes,
            bool(args["use_regex"]),
            args["file_type"],
            bool(args["hidden"]),
            bool(args["recurse"]),
            depth,
            _seconds(args["age"]),
            args["age_stamp"],
            _bytes(args["size"]),
            _mode(args["mode"]),
            bool(args["exact_mode"]),
        )

    def listing_depth(self) -> int | None:
        """How deep the host lists: like Ansible's walk, a directory at the last level is
        still read (its entries count as examined) but nothing in it is selected."""
        if not self.recurse:
            return 1
        return None if self.depth is None else self.depth + 1

    def name_ok(self, name: str) -> bool:
        if self.use_regex:

            def hit(p: str) -> bool:
                return _regex(p, "patterns").match(name) is not None
        else:

            def hit(p: str) -> bool:
                return fnmatch.fnmatch(name, p)

        if self.patterns and not any(hit(p) for p in self.patterns):
            return False
        return not any(hit(p) for p in self.excludes)

    def age_ok(self, entry: Entry, now: float) -> bool:
        if self.age is None:
            return True
        stamp = {"atime": entry.atime, "ctime": entry.ctime}.get(self.age_stamp, entry.mtime)
        age = now - stamp
        return age >= self.age if self.age >= 0 else age <= -self.age

    def size_ok(self, entry: Entry) -> bool:
        if self.size is None or entry.kind != "f":
            return True
        return entry.size >= self.size if self.size >= 0 else entry.size <= -self.size

    def mode_ok(self, entry: Entry) -> bool:
        if self.mode is None:
            return True
        bits = entry.bits & 0o7777
        return bits == self.mode if self.exact_mode else bits & self.mode == self.mode

    def type_ok(self, entry: Entry) -> bool:
        return self.file_type == "any" or _TYPES.get(entry.kind) == self.file_type

    def select(self, entry: Entry, now: float) -> bool:
        """Everything but ``contains``, which needs the content."""
        if not self.hidden and entry.name.startswith("."):
            return False
        return (
            self.type_ok(entry)
            and self.name_ok(entry.name)
            and self.age_ok(entry, now)
            and self.size_ok(entry)
            and self.mode_ok(entry)
        )


def _regex(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ModuleError(f"{what}: invalid regular expression {pattern!r}: {exc}") from None


def _seconds(age: str | None) -> float | None:
    if age is None:
        return None
    match = re.fullmatch(r"(-?\d+)([smhdw]?)", age.strip().lower())
    if not match:
        raise ModuleError(
            f"failed to process age {age!r}: give a number with an optional "
            "unit s, m, h, d or w (e.g. 2d, -1h)"
        )
    return float(int(match.group(1)) * _UNITS[match.group(2) or "s"])


def _bytes(size: str | None) -> int | None:
    if size is None:
        return None
    match = re.fullmatch(r"(-?\d+)([bkmgt]?)", size.strip().lower())
    if not match:
        raise ModuleError(
            f"failed to process size {size!r}: give a number with an optional "
            "unit b, k, m, g or t (e.g. 10m, -1k)"
        )
    return int(match.group(1)) * _SIZES[match.group(2) or "b"]


def _mode(mode: str | None) -> int | None:
    if mode is None:
        return None
    try:
        return parse_mode(mode)
    except ModeError as exc:
        raise ModuleError(f"mode: {exc}") from None


def walked(listing: Listing, rules: Rules) -> tuple[list[Entry], int]:
    """The entries a walk to ``depth`` may select, and how many it examined."""
    limit = rules.depth
    visible = [e for e in listing.entries if limit is None or e.depth <= limit]
    return visible, len(listing.entries)


class _Undecodable(Exception):
    """A file ``contains`` could not read in the encoding (or the encoding is unknown):
    Ansible skips its path, with the reason."""


def content_matches(
    data: bytes, pattern: re.Pattern[str], encoding: str | None, whole: bool
) -> bool:
    """Ansible's ``contains``: ``re.match`` on each line, or ``re.search`` on the whole
    file with ``read_whole_file``; _Undecodable when the bytes are not in ``encoding``."""
    try:
        text = data.decode(encoding or "utf-8")
    except LookupError:
        raise _Undecodable(f"unknown encoding: {encoding}") from None
    except UnicodeDecodeError:
        raise _Undecodable from None
    if whole:
        return pattern.search(text) is not None
    return any(pattern.match(line) for line in text.splitlines(keepends=True))


# -- the module --------------------------------------------------------------------------------


@register("find")
class Find(Module):
    """Find files on the host by name, type, age, size, mode or content."""

    args = {
        "paths": Arg(
            "list",
            required=True,
            elements="path",
            aliases=("name", "path"),
            description="Directories to search.",
        ),
        "patterns": Arg(
            "list",
            default=[],
            elements="str",
            aliases=("pattern",),
            description="Base names to select: shell globs, or Python regexes "
            "(re.match) with use_regex; any may match.",
        ),
        "excludes": Arg(
            "list",
            elements="str",
            aliases=("exclude",),
            description="Base names to leave out, in the same syntax.",
        ),
        "use_regex": Arg(
            "bool",
            default=False,
            description="patterns and excludes are Python regexes (re.match on "
            "the base name) instead of shell globs.",
        ),
        "contains": Arg(
            "str",
            description="A Python regex a line of the file must match "
            "(from its start); regular files only.",
        ),
        "read_whole_file": Arg(
            "bool",
            default=False,
            description="Search the whole file for contains (re.search) "
            "instead of matching each line.",
        ),
        "encoding": Arg("str", description="Encoding of the files contains reads (default utf-8)."),
        "file_type": Arg(
            "str",
            default="file",
            choices=("any", "directory", "file", "link"),
            description="The kind of entry to select (as lstat sees it).",
        ),
        "recurse": Arg("bool", default=False, description="Descend into directories."),
        "depth": Arg("int", description="How many levels to descend with recurse (default: all)."),
        "hidden": Arg("bool", default=False, description="Select names starting with a dot."),
        "follow": Arg("bool", default=False, description="Descend into symlinked directories."),
        "age": Arg(
            "str",
            description="Select entries at least this old (2d, 4w ...), or at "
            "most this old when negative (-1h).",
        ),
        "age_stamp": Arg(
            "str",
            default="mtime",
            choices=("atime", "ctime", "mtime"),
            description="The time age compares.",
        ),
        "size": Arg(
            "str",
            description="Select files at least this large (10m, 1g ...), or "
            "at most this large when negative (-1k).",
        ),
        "mode": Arg("mode", description="Select entries with this mode (octal or symbolic)."),
        "exact_mode": Arg(
            "bool", default=True, description="Match the mode exactly; false: at least these bits."
        ),
        "get_checksum": Arg(
            "bool", default=False, description="Add the checksum of each regular file selected."
        ),
        "checksum_algorithm": Arg(
            "str",
            default="sha1",
            choices=ALGORITHMS,
            aliases=("checksum", "checksum_algo"),
            description="The hash used for checksum.",
        ),
        "limit": Arg("int", description="Stop after this many matches (in name order)."),
    }
    returns = {
        "files": "the entries selected, each a stat-like dictionary (path, mode, "
        "isreg/isdir/islnk ..., uid, gid, pw_name, gr_name, size, times, "
        "inode, dev, nlink, blocks, checksum with get_checksum)",
        "matched": "how many were selected",
        "examined": "how many were looked at",
        "skipped_paths": "paths that could not be searched, with the reason",
        "msg": "All paths examined, or why not",
    }

    def run(self, args: dict[str, Any], ctx: ModuleContext) -> Result:
        rules = Rules.from_args(args)
        contains = _regex(args["contains"], "contains") if args["contains"] else None
        listings = self._list(ctx, [str(p) for p in args["paths"]], rules, args["follow"])
        now = time.time()
        found: list[Entry] = []
        roots: dict[str, str] = {}  # an entry's path -> the path it was found under
        examined = 0
        skipped: dict[str, str] = {}
        warnings: list[str] = []
        for listing in listings:
            if listing.missing:
                skipped[listing.path] = f"'{listing.path}' is not a directory"
                warnings.append(
                    f"Skipped '{listing.path}' path due to this access issue: "
                    f"{skipped[listing.path]}\n"
                )
                continue
            for path, reason in access_errors(listing.errors):
                if not path:  # a line find printed that names no path
                    warnings.append(reason)
                    continue
                skipped[path] = reason
                warnings.append(f"Skipped '{path}' path due to this access issue: {reason}\n")
            visible, count = walked(listing, rules)
            examined += count
            selected = [e for e in sorted(visible, key=lambda e: e.path) if rules.select(e, now)]
            roots.update(dict.fromkeys((e.path for e in selected), listing.path))
            found.extend(selected)
        if contains is not None and args["file_type"] == "file":
            found = self._containing(ctx, found, args, contains, (roots, skipped, warnings))
        files = self._finish(ctx, found, args)
        return self._result(ctx, args, files, examined, skipped, warnings)

    def _containing(
        self,
        ctx: ModuleContext,
        found: list[Entry],
        args: dict[str, Any],
        contains: re.Pattern[str],
        report: tuple[dict[str, str], dict[str, str], list[str]],
    ) -> list[Entry]:
        """The files whose content ``contains`` finds, from one more round trip; one it
        cannot decode skips the path it was found under, with a warning, as in Ansible."""
        roots, skipped, warnings = report
        blobs = _read_files(ctx, [e.path for e in found if e.kind == "f"])
        kept: list[Entry] = []
        for entry in found:
            try:
                if entry.kind != "f" or content_matches(
                    blobs.get(entry.path, b""), contains, args["encoding"], args["read_whole_file"]
                ):
                    kept.append(entry)
            except _Undecodable as exc:
                encoding = args["encoding"] or "utf-8 (Python default)"
                why = str(exc) or (
                    f"Failed to decode the file '{entry.path}' with encoding: {encoding}"
                )
                skipped[roots[entry.path]] = why
                warnings.append(why)
        return kept

    def _list(
        self, ctx: ModuleContext, paths: list[str], rules: Rules, follow: bool
    ) -> list[Listing]:
        depth = rules.listing_depth()
        expr = f"-printf '{_FORMAT}'"
        if follow:
            expr = f"\\( -xtype l -printf '{_LINK_FORMAT}' \\) -o {expr}"
        script = _PRELUDE + "\n".join(
            _FIND.format(
                index=i,
                path=quote(p),
                mode="-L" if follow else "-H",
                depth=2147483647 if depth is None else depth,
                expr=expr,
            )
            for i, p in enumerate(paths)
        )
        res = ctx.run(script)
        if res.rc != 0:
            raise ModuleError(f"find failed on the host: {(res.err or res.out).strip()}")
        return parse_listing(res.stdout, paths)

    def _finish(
        self,
        ctx: ModuleContext,
        found: list[Entry],
        args: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """The entries' dictionaries, to ``limit``, with checksums from one more round
        trip."""
        limit = args["limit"]
        if limit is not None:
            found = found[:limit]
        files = [e.as_dict() for e in found]
        if args["get_checksum"]:
            sums = _checksums(
                ctx, [e.path for e in found if e.kind == "f"], args["checksum_algorithm"]
            )
            for item in files:
                if item["path"] in sums:
                    item["checksum"] = sums[item["path"]]
        return files

    def _result(
        self,
        ctx: ModuleContext,
        args: dict[str, Any],
        files: list[dict[str, Any]],
        examined: int,
        skipped: dict[str, str],
        warnings: list[str],
    ) -> Result:
        limited = args["limit"] is not None and len(files) >= args["limit"]
        msg = (
            "Not all paths examined, check warnings for details"
            if skipped
            else "Limit of matches reached"
            if limited
            else "All paths examined"
        )
        values: dict[str, Any] = {
            "files": files,
            "matched": len(files),
            "examined": examined,
            "skipped_paths": skipped,
        }
        if warnings:
            values["warnings"] = warnings
        unknown = ctx.check and any(
            may_change_matches(root, changed, Rules.from_args(args))
            for root in map(str, args["paths"])
            for changed in ctx.files.changed_below(root)
        )
        return Result(msg=msg, values=values, unknown=unknown)


def may_change_matches(root: str, changed: str, rules: Rules) -> bool:
    """Whether a path an earlier task of the check run changes under ``root`` can change
    what find selects there: the root itself, a name the patterns could select, or (when
    find recurses) a directory whose contents may come or go (pure)."""
    rel = changed[len(root.rstrip("/")) :].strip("/")
    if not rel:
        return True
    depth = rel.count("/") + 1
    limit = rules.listing_depth()
    if limit is not None and depth > limit:
        return False
    name = rel.rsplit("/", 1)[-1]
    if (rules.hidden or not name.startswith(".")) and rules.name_ok(name):
        return True
    return rules.recurse and (limit is None or depth < limit)


def _read_files(ctx: ModuleContext, paths: list[str]) -> dict[str, bytes]:
    """Each readable file's bytes, in one round trip: a size line, then that many bytes
    (unreadable files are left out)."""
    if not paths:
        return {}
    script = (
        'for f; do if [ -r "$f" ] && n=$(wc -c < "$f"); then '
        'printf \'%s\\n\' "$n"; head -c "$n" -- "$f"; else echo -1; fi; done'
    )
    res = ctx.run(f"set -- {' '.join(quote(p) for p in paths)}; {script}")
    return split_sized(res.stdout, paths)


def split_sized(data: bytes, paths: list[str]) -> dict[str, bytes]:
    """``SIZE\\nBYTES`` frames, one per path (pure; unit-tested)."""
    out: dict[str, bytes] = {}
    pos = 0
    for path in paths:
        end = data.find(b"\n", pos)
        if end < 0:
            break
        size = int(data[pos:end] or b"-1")
        pos = end + 1
        if size >= 0:
            out[path] = data[pos : pos + size]
            pos += size
    return out


def _checksums(ctx: ModuleContext, paths: list[str], algorithm: str) -> dict[str, str]:
    if not paths:
        return {}
    res = ctx.run(f"{algorithm}sum -z -- {' '.join(quote(p) for p in paths)} 2>/dev/null")
    sums: dict[str, str] = {}
    for record in res.stdout.split(b"\0"):
        text = record.decode("utf-8", "surrogateescape")
        digest, sep, name = text.partition("  ")
        if sep:
            sums[name] = digest
    return sums
