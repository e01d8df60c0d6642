"""Conditions with templates inside their string constants: ``when: "'{{ x }}' == 'a'"``.

Ansible (through 2.22, with a deprecation warning) evaluates such a condition as an
expression whose string constants are rendered first, so old playbooks compare the
rendered text. pbe does the same: the condition is compiled as an expression in which
each constant holding ``{{``/``{%`` becomes a call that renders that constant, and only
that constant (the call refuses any other text), at evaluation time. The rendered text is
a value in the expression, never code: a host's data inside it stays data.

A condition that is one whole template (``"{{ x == 'a' }}"``) or that does not parse as an
expression (``"{{ n }} == 3"``, an error in Ansible too) is not handled here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.visitor import NodeTransformer

INLINE = "__pbe_inline_constant__"
_MARKERS = ("{{", "{%", "{#")


class _Constants(NodeTransformer):
    """Replaces each string constant with template markers by a call rendering it."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Const(self, node: nodes.Const) -> nodes.Node:  # noqa: N802 - jinja's visitor
        if isinstance(node.value, str) and any(m in node.value for m in _MARKERS):
            self.found.add(node.value)
            name = nodes.Name(INLINE, "load", lineno=node.lineno)
            return nodes.Call(name, [node], [], None, None, lineno=node.lineno)
        return node


def _whole_template(tree: nodes.Template) -> bool:
    body = tree.body
    return (
        len(body) == 1
        and isinstance(body[0], nodes.Output)
        and len(body[0].nodes) == 1
        and not isinstance(body[0].nodes[0], nodes.TemplateData)
    )


def compile_condition(
    env: jinja2.Environment, condition: str
) -> tuple[jinja2.Template, frozenset[str]] | None:
    """The condition as an expression with its templated constants made calls, and those
    constants; None when it is one whole template, has no such constant, or does not
    parse as an expression."""
    try:
        if _whole_template(env.parse(condition.strip())):
            return None
        tree = env.parse("{{ (" + condition.strip() + ") }}")
    except jinja2.TemplateSyntaxError:
        return None
    constants = _Constants()
    tree = constants.visit(tree)
    if not constants.found:
        return None
    code = env.compile(tree)
    return env.template_class.from_code(env, code, env.globals), frozenset(constants.found)


class WithInline(Mapping[str, Any]):
    """The variables of one condition's evaluation, plus the call that renders exactly
    its own templated constants (``render`` renders trusted text)."""

    def __init__(
        self, variables: Mapping[str, Any], allowed: frozenset[str], render: Callable[[str], str]
    ) -> None:
        self._vars = variables
        self._allowed = allowed
        self._render = render

    def _inline(self, text: Any) -> str:
        if not isinstance(text, str) or text not in self._allowed:
            raise ValueError("only a condition's own constants are rendered inline")
        return self._render(text)

    def __getitem__(self, key: str) -> Any:
        return self._inline if key == INLINE else self._vars[key]

    def __contains__(self, key: object) -> bool:
        return key == INLINE or key in self._vars

    def __iter__(self) -> Iterator[str]:
        return iter(self._vars)

    def __len__(self) -> int:
        return len(self._vars)
