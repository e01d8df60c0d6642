"""Lookups: ``lookup('file', ...)``/``query(...)`` in templates and the ``with_<name>`` loops.

Lookups run on the controller. Paths are relative to the role (when inside one), then the
playbook's ``files/`` (or ``templates/``) directory, then the playbook directory.

``LOOKUPS`` holds pbe's own lookups (this module, ``lookups_loops`` and ``lookups_files``);
each template environment gets its own table on top of it (``lookup_table``), where the
``lookup_plugins/`` of the playbook and its roles are added for that run (``plugins``).
A lookup returns data: plain ``str``, never ``TrustedStr``, so what it reads is never
rendered again (``values``).
"""

from __future__ import annotations

import glob
import grp
import os
import pwd
import re
import stat
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2

from .. import settings
from . import lookups_files, lookups_loops  # noqa: F401 - they register themselves
from .lines import Lines, with_trailing_newlines
from .lookup_base import (
    LOOKUPS,
    Lookup,
    LookupFailed,
    files_dir,
    lookup,
    options,
    search,
    search_bases,
    search_dir,
    template_files,
    template_vars,
)
from .values import type_name


@lookup("file")
def _file(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Each file's text; ``rstrip`` (default on) and ``lstrip`` trim its whitespace."""
    out = []
    for term in terms:
        text = search(variables, "files", term).read_text(encoding="utf-8")
        if kw.get("rstrip", True):
            text = text.rstrip()
        if kw.get("lstrip", False):
            text = text.lstrip()
        out.append(text)
    return out


@lookup("env")
def _env(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    return [os.environ.get(str(t), kw.get("default", "")) for t in terms]


@lookup("config")
def _config(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """The value in force for an Ansible setting pbe reads (``ansible.cfg``, ``ANSIBLE_*``,
    else what pbe does); ``on_missing`` (``error``, ``warn``, ``skip``) says what another
    name does, as in Ansible. Paths are given as text, as Ansible gives them."""
    current = settings.current()
    out = []
    for term in terms:
        if str(term) in settings.BY_NAME:
            value = current[str(term)]
            if isinstance(value, tuple):
                value = [str(v) if isinstance(v, Path) else v for v in value]
            out.append(str(value) if isinstance(value, Path) else value)
        elif kw.get("on_missing", "error") == "error":
            raise LookupFailed(
                f"config: pbe does not read the setting `{term}` (see docs/configuration.md)"
            )
    return out


@lookup("pipe")
def _pipe(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    out = []
    for term in terms:
        proc = subprocess.run(
            str(term),
            shell=True,
            capture_output=True,
            text=True,  # noqa: S602
            check=False,
        )
        if proc.returncode != 0:
            raise LookupFailed(
                f"pipe lookup `{term}` failed (rc={proc.returncode}): {proc.stderr.strip()}"
            )
        out.append(proc.stdout.rstrip("\n"))
    return out


@lookup("vars")
def _vars(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    out = []
    for term in terms:
        if not isinstance(term, str):
            raise LookupFailed(f"vars: a variable name must be a string, not {type(term).__name__}")
        if term in variables:
            out.append(variables[term])
        elif "default" in kw:
            out.append(kw["default"])
        else:
            raise LookupFailed(f"no variable named `{term}`")
    return out


@lookup("items")
def _items(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for term in terms:
        out.extend(term if isinstance(term, (list, Lines)) else [term])
    return out


@lookup("list")
def _list(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    return list(terms)


@lookup("dict")
def _dict(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    out = []
    for term in terms:
        if not isinstance(term, Mapping):
            raise LookupFailed(
                f"the 'dict' lookup plugin expects a dictionary, got {type_name(term)}"
            )
        out += [{"key": k, "value": v} for k, v in term.items()]
    return out


@lookup("fileglob")
def _fileglob(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Files matching each pattern: an absolute one as it is; a relative one in the first
    directory along the lookup search path (the role's files/, tasks/ and root, then the
    playbook's files/ and dir) that holds its directory part, or, with no directory part,
    in the first of them where it matches."""
    out: list[Any] = []
    for term in terms:
        pattern = str(term)
        head, tail = os.path.split(pattern)
        if os.path.isabs(pattern):
            places = [Path(head)]
        elif head:
            places = [d] if (d := search_dir(variables, "files", head)) is not None else []
        else:
            places = search_bases(variables, "files")
        for place in places:
            found = sorted(p for p in glob.glob(str(place / tail)) if os.path.isfile(p))
            if found:
                out += found
                break
    return out


@lookup("filetree")
def _filetree(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Every directory, file and link below each term (a controller directory, looked for
    as ``fileglob`` looks), as community.general's filetree gives them: ``root``, ``path``
    (relative), ``state``, ``src`` (a file's full path, a link's target), ``mode``,
    ``owner``, ``group``, ``uid``, ``gid``, ``size``, ``mtime``, ``ctime``. A path listed by
    an earlier term is not listed again; a term that is not there gives nothing."""
    out: list[Any] = []
    seen: set[str] = set()
    for term in terms:
        text = os.path.expanduser(str(term))
        found = Path(text) if os.path.isabs(text) else search_dir(variables, "files", text)
        if found is None:  # a relative term found nowhere lists nothing
            continue
        root = str(found)
        for top, dirs, files in os.walk(root):
            dirs.sort()
            for name in (*dirs, *sorted(files)):
                full = os.path.join(top, name)
                rel = os.path.relpath(full, root)
                if rel not in seen:
                    seen.add(rel)
                    out.append(_tree_entry(root, rel, full))
    return out


def _tree_entry(root: str, rel: str, full: str) -> dict[str, Any]:
    st = os.lstat(full)
    entry: dict[str, Any] = {"root": root, "path": rel}
    if stat.S_ISLNK(st.st_mode):
        entry.update(state="link", src=os.readlink(full))
    elif stat.S_ISDIR(st.st_mode):
        entry["state"] = "directory"
    else:
        entry.update(state="file", src=full)
    entry.update(
        mode="0" + format(stat.S_IMODE(st.st_mode), "03o"),
        owner=_name_of(pwd.getpwuid, st.st_uid),
        group=_name_of(grp.getgrgid, st.st_gid),
        uid=st.st_uid,
        gid=st.st_gid,
        size=st.st_size,
        mtime=st.st_mtime,
        ctime=st.st_ctime,
    )
    return entry


def _name_of(find: Callable[[int], Any], number: int) -> str:
    try:
        return str(find(number)[0])
    except KeyError:
        return str(number)


lookup("community.general.filetree")(_filetree)


_SEQ = re.compile(
    r"^(?:(?P<start>-?\w+)-)?(?P<end>-?\w+)(?:/(?P<stride>-?\w+))?"
    r"(?::(?P<format>.+))?$"
)
_SEQ_KEYS = ("start", "end", "count", "stride", "format")


@lookup("sequence")
def _sequence(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Numbers from ``start`` to ``end`` (or ``count`` of them) by ``stride``, each through
    the printf-style ``format``; ``start=1 end=10 stride=2 format=h%02d`` or ``1-10/2:h%02d``."""
    out: list[Any] = []
    for term in terms:
        spec = _sequence_spec(term, kw)
        start, end, stride = spec["start"], spec["end"], spec["stride"]
        if end is None:  # count=0
            continue
        stop = end + (1 if stride > 0 else -1)
        out += [_seq_format(spec["format"], i) for i in range(start, stop, stride)]
    return out


def _sequence_spec(term: Any, kw: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    text = str(term).strip()
    if "=" in text:
        for part in text.split():
            key, _, value = part.partition("=")
            raw[key] = value
    elif text:
        match = _SEQ.match(text)
        if not match:
            raise LookupFailed(f"cannot parse sequence `{text}`")
        raw.update({k: v for k, v in match.groupdict().items() if v is not None})
    raw.update(kw)
    unknown = [k for k in raw if k not in _SEQ_KEYS]
    if unknown:
        raise LookupFailed(f"unrecognized arguments to with_sequence: {unknown}")
    spec: dict[str, Any] = {k: _seq_int(raw, k) for k in ("start", "end", "count", "stride")}
    spec["format"] = str(raw.get("format", "%d"))
    return _seq_bounds(spec)


def _seq_int(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key, {"start": 1, "stride": 1}.get(key))
    if value is None or isinstance(value, int):
        return value
    try:
        return int(str(value), 0)
    except ValueError:
        raise LookupFailed(
            f"with_sequence's {key} has an invalid value: {value!r} is not an integer"
        ) from None


def _seq_bounds(spec: dict[str, Any]) -> dict[str, Any]:
    """``end`` from ``count`` (``None`` for none at all), checked against the stride."""
    start, stride, count = spec["start"], spec["stride"], spec.pop("count")
    if count is not None and spec["end"] is not None:
        raise LookupFailed("can't specify both count and end in with_sequence")
    if count is None and spec["end"] is None:
        raise LookupFailed("must specify count or end in with_sequence")
    if stride == 0:
        raise LookupFailed("with_sequence: stride must not be 0")
    if count is not None:
        spec["end"] = start + (count - 1) * stride if count > 0 else None
        return spec
    if stride > 0 and spec["end"] < start:
        raise LookupFailed("to count backwards make stride negative")
    if stride < 0 and spec["end"] > start:
        raise LookupFailed("to count forward don't make stride negative")
    return spec


def _seq_format(form: str, number: int) -> str:
    try:
        return form % number
    except (TypeError, ValueError):
        raise LookupFailed(f"bad formatting string: {form}") from None


_TEMPLATE = {
    "convert_data": True,  # accepted: deprecated in Ansible, which no longer uses it
    "jinja2_native": True,  # accepted: likewise
    "template_vars": {},
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
    "trim_blocks": True,
}


@lookup("template")
def _template(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """Render template files explicitly with the task's variables (a loop or a template).

    As the template module, what a file includes is looked up beside it first, then in
    templates/ (the role's, the playbook's)."""
    render = getattr(variables, "render_text", None)
    if render is None:
        raise LookupFailed("the template lookup needs the task's variables")
    opts = options(_TEMPLATE, kw, "template")
    if not isinstance(opts["template_vars"], Mapping):
        raise LookupFailed("template: template_vars must be a dictionary")
    syntax = {k: v for k, v in opts.items() if k.endswith("_string") or k == "trim_blocks"}
    syntax["trim_blocks"] = bool(syntax["trim_blocks"])
    out = []
    for term in terms:
        path = search(variables, "templates", term)

        def beside(name: str, here: Path = path.parent) -> Path:
            local = here / name
            return local if local.is_file() else search(variables, "templates", name)

        extra = {**template_vars(path), **opts["template_vars"]}
        source = path.read_text(encoding="utf-8")
        with template_files(beside):
            out.append(with_trailing_newlines(render(source, syntax, extra), source, "\n"))
    return out


@lookup("first_found")
def _first_found(terms: list[Any], variables: Mapping[str, Any], kw: dict[str, Any]) -> list[Any]:
    """The first file found, each name searched like the task's own files (``vars/`` for
    include_vars, ``templates/`` for template, else ``files/``; the role's, then the
    playbook's); a term may be a mapping of ``files``, ``paths`` and ``skip``."""
    skip = [bool(kw.get("skip"))]
    names = _first_found_names(terms or [kw], kw, skip)
    kind = files_dir()
    for name in names:
        try:
            return [str(search(variables, kind, name))]
        except LookupFailed:
            continue
    if skip[-1]:
        return []
    raise LookupFailed(f"none of these files was found: {', '.join(map(str, names))}")


def _first_found_names(terms: list[Any], kw: Mapping[str, Any], skip: list[bool]) -> list[str]:
    names: list[str] = []
    for term in terms:
        if isinstance(term, Mapping):
            files = _split(term.get("files", kw.get("files", [])), ",;")
            paths = _split(term.get("paths", kw.get("paths", [])), ",:;")
            if "skip" in term:
                skip.append(bool(term["skip"]))
            names += [os.path.join(p, f) for p in paths for f in files] if paths else files
        elif isinstance(term, (list, tuple, Lines)):
            names += _first_found_names(list(term), kw, skip)
        elif term is not None:
            paths = _split(kw.get("paths", []), ",:;")
            names += [os.path.join(p, str(term)) for p in paths] if paths else [str(term)]
    return names


def _split(value: Any, separators: str) -> list[str]:
    """A list option, or a string Ansible splits at ``separators`` (deprecated there)."""
    if isinstance(value, (list, tuple, Lines)):
        return [str(v) for v in value]
    return [v for v in re.split(f"[{re.escape(separators)}]", str(value)) if v] if value else []


def lookup_table(env: jinja2.Environment | None) -> dict[str, Lookup]:
    """The lookups a template environment knows: pbe's, plus the run's plugins."""
    table: dict[str, Lookup] | None = getattr(env, "pbe_lookups", None)
    return LOOKUPS if table is None else table


def known(env: jinja2.Environment | None, name: str) -> bool:
    return name.removeprefix("ansible.builtin.") in lookup_table(env)


def run_lookup(
    name: str,
    terms: list[Any],
    variables: Mapping[str, Any],
    kwargs: dict[str, Any],
    env: jinja2.Environment | None = None,
) -> list[Any]:
    table = lookup_table(env)
    func = table.get(name.removeprefix("ansible.builtin."))
    if func is None:
        raise LookupFailed(f"unknown lookup `{name}` (pbe has: {', '.join(sorted(table))})")
    return func(terms, variables, dict(kwargs))


def install(env: jinja2.Environment) -> None:
    """``lookup()``, ``query()`` and ``q()`` as template globals, and the environment's own
    lookup table (plugins are added to it, never to the shared ``LOOKUPS``)."""
    env.extend(pbe_lookups=dict(LOOKUPS))

    @jinja2.pass_context
    def query(context: Any, name: str, *terms: Any, **kwargs: Any) -> list[Any]:
        kwargs.pop("wantlist", None)
        errors = kwargs.pop("errors", "strict")
        try:
            return run_lookup(name, list(terms), context.parent, kwargs, context.environment)
        except LookupFailed:
            if errors in ("ignore", "warn"):  # Ansible: [] from query, None from lookup
                return []
            raise

    @jinja2.pass_context
    def lookup_(context: Any, name: str, *terms: Any, **kwargs: Any) -> Any:
        wantlist = kwargs.get("wantlist", False)
        values = query(context, name, *terms, **kwargs)
        if wantlist:
            return values
        if not values and kwargs.get("errors") in ("ignore", "warn"):
            return None
        if len(values) == 1:
            return values[0]
        if values and all(isinstance(v, str) for v in values):
            return ",".join(values)  # Ansible's old shape: strings joined, anything else a list
        return values

    env.globals.update(lookup=lookup_, query=query, q=query)
