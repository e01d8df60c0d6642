"""A program's words expanded the way Ansible expands them before running it, by ``sh``.

Ansible's ``command`` (``expand_argument_vars``) and every ``validate`` command are split
into words without a shell, and each word then gets Python's ``expandvars`` and
``expanduser`` on the host: ``$NAME`` and ``${NAME}`` become the value of that environment
variable (a word keeps them as written when it is unset, unlike a shell), then a leading
``~`` or ``~user`` becomes that home directory (an unknown user leaves the word alone).
pbe has no Python on the host, so the same rules run as a few lines of ``sh``: variables
are looked up with ``printenv`` (the host's environment, with the task's ``environment``),
homes with ``$HOME`` and ``getent``. Words with nothing to expand cost nothing.
"""

from __future__ import annotations

import re
import shlex
import uuid
from collections.abc import Mapping, Sequence

from ...errors import ModuleError

__all__ = ["ValidateFailed", "command_line", "validate_line"]

_VAR = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)

# _e NAME TEXT: append NAME's value to $_r when the environment has it (a value's trailing
# newlines kept), else TEXT, the reference as written.
# _u: a leading ~ or ~user in $_r becomes that home (trailing slashes dropped, "" -> /);
# an unknown or numeric user name leaves the word as it is.
_FUNCTIONS = r"""_e() {
  if _t=$(printenv -- "$1" && echo x); then _r=$_r${_t%??}; else _r=$_r$2; fi
}
_u() {
  case $_r in '~'*) ;; *) return 0 ;; esac
  _n=${_r#?}; _n=${_n%%/*}; _s=${_r#?}; _s=${_s#"$_n"}
  if [ -z "$_n" ]; then
    if _h=$(printenv HOME && echo x); then _h=${_h%??}
    else _h=$(getent passwd "$(id -u)") || return 0; _h=$(printf '%s' "$_h" | cut -d: -f6); fi
  else
    case $_n in *[!0-9]*) ;; *) return 0 ;; esac
    _h=$(getent passwd -- "$_n") || return 0; _h=$(printf '%s' "$_h" | cut -d: -f6)
  fi
  while :; do case $_h in */) _h=${_h%/} ;; *) break ;; esac; done
  _r=$_h$_s; [ -n "$_r" ] || _r=/
}"""


def _literal_pieces(text: str, out: list[tuple[str, str]]) -> None:
    """``text`` as ("lit", text) and ("var", reference) pieces."""
    at = 0
    for match in _VAR.finditer(text):
        if match.group(1) == "{}":  # names nothing: Python leaves it
            continue
        out.append(("lit", text[at : match.start()]))
        out.append(("var", match.group(0)))
        at = match.end()
    out.append(("lit", text[at:]))


def _pieces(word: str, refs: Mapping[str, str], expand: bool) -> list[tuple[str, str]]:
    """A word as literal text, variable references and ``refs`` (placeholders standing
    for a shell expression that is inserted as it is, never expanded)."""
    out: list[tuple[str, str]] = []
    pattern = "|".join(map(re.escape, refs)) if refs else None
    segments = re.split(f"({pattern})", word) if pattern else [word]
    for segment in segments:
        if segment in refs:
            out.append(("sh", refs[segment]))
        elif expand:
            _literal_pieces(segment, out)
        else:
            out.append(("lit", segment))
    return [p for p in out if p != ("lit", "")]


def _name(reference: str) -> str:
    return reference[2:-1] if reference.startswith("${") else reference[1:]


def _home_first(pieces: list[tuple[str, str]]) -> bool:
    """Whether the expanded word may start with ``~`` (a literal ``~`` or a variable)."""
    if not pieces:
        return False
    kind, text = pieces[0]
    return kind == "var" or (kind == "lit" and text.startswith("~"))


def _needs_shell(pieces: list[tuple[str, str]], expand: bool) -> bool:
    return expand and _home_first(pieces) or any(kind == "var" for kind, _ in pieces)


def _word(pieces: list[tuple[str, str]]) -> str:
    """The word as one shell word (literals and ``refs`` only)."""
    if not pieces:
        return "''"
    return "".join(shlex.quote(text) if kind == "lit" else f'"{text}"' for kind, text in pieces)


def _build(pieces: list[tuple[str, str]], expand: bool) -> list[str]:
    """Lines that leave the expanded word in ``$_r``."""
    lines = ["_r="]
    for kind, text in pieces:
        if kind == "var":
            lines.append(f"_e {shlex.quote(_name(text))} {shlex.quote(text)}")
        elif kind == "sh":
            lines.append(f'_r=${{_r}}"{text}"')
        else:
            lines.append(f"_r=${{_r}}{shlex.quote(text)}")
    if expand and _home_first(pieces):
        lines.append("_u")
    return lines


def command_line(
    argv: Sequence[str], *, expand: bool = True, refs: Mapping[str, str] | None = None
) -> str:
    """A shell command that runs ``argv`` as one program (no shell syntax in its words),
    each word expanded like Ansible's when ``expand``. ``refs`` maps placeholder text in
    the words to shell expressions (``"$t"``) put there verbatim. Without anything to
    expand the command is one line of quoted words; otherwise a short script."""
    refs = refs or {}
    words = [_pieces(word, refs, expand) for word in argv]
    if not any(_needs_shell(pieces, expand) for pieces in words):
        return " ".join(_word(pieces) for pieces in words)
    lines = [_FUNCTIONS, "set --"]
    for pieces in words:
        if _needs_shell(pieces, expand):
            lines += [*_build(pieces, expand), 'set -- "$@" "$_r"']
        else:
            lines.append(f'set -- "$@" {_word(pieces)}')
    lines.append('"$@"')
    return "\n".join(lines)


class ValidateFailed(ModuleError):
    """A ``validate`` command refused the new content; the old file is untouched."""

    def __init__(self, rc: int, stdout: str, stderr: str) -> None:
        super().__init__(f"failed to validate: rc:{rc} error:{stderr}")
        self.rc, self.stdout, self.stderr = rc, stdout, stderr

    def __reduce__(self) -> tuple[object, ...]:
        return (self.__class__, (self.rc, self.stdout, self.stderr))


def validate_line(validate: str, variable: str) -> str:
    """The command for a ``validate`` argument: ``%s`` is the new file (the shell variable
    ``variable`` holds its path, which is never expanded), the rest is split like a
    command line and its words expanded as ``command`` expands them, as Ansible runs it."""
    if "%s" not in validate:
        raise ModuleError(f"validate must contain %s: {validate}")
    placeholder = f"pbe-validate-{uuid.uuid4().hex}"
    try:
        formatted = validate % placeholder
        argv = shlex.split(formatted)
    except (TypeError, ValueError) as exc:
        raise ModuleError(f"validate {validate!r}: {exc}") from None
    if not argv:
        raise ModuleError(f"validate must contain %s: {validate}")
    return command_line(argv, refs={placeholder: f"${variable}"})
