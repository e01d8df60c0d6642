"""``pbe validate`` output: human text, GitHub Actions annotations, or JSON data."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import Problem

VALIDATE_FORMATS = ("human", "github", "json")


def problem_dict(problem: Problem) -> dict[str, Any]:
    loc = problem.location
    return {
        "severity": problem.severity,
        "message": problem.message,
        "hint": problem.hint,
        "file": loc.file if loc else None,
        "line": loc.line if loc and loc.line else None,
        "col": loc.col if loc and loc.col else None,
    }


def as_json(playbook: str, problems: Sequence[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    doc = {
        "version": 1,
        "playbook": playbook,
        "ok": errors == 0,
        "errors": errors,
        "warnings": len(problems) - errors,
        "problems": [problem_dict(p) for p in problems],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def as_github(problems: Sequence[Problem], env: Mapping[str, str] = os.environ) -> str:
    """One workflow command per problem: ``::error file=F,line=L,col=C::message``."""
    workspace = env.get("GITHUB_WORKSPACE")
    lines = []
    for problem in problems:
        level = "warning" if problem.severity == "warning" else "error"
        props = []
        if (loc := problem.location) is not None:
            props.append(f"file={_property(_relative(loc.file, workspace))}")
            if loc.line:
                props += [f"line={loc.line}", f"col={max(loc.col, 1)}"]
        props.append("title=pbe validate")
        message = problem.message + (f"\nhint: {problem.hint}" if problem.hint else "")
        lines.append(f"::{level} {','.join(props)}::{_data(message)}\n")
    return "".join(lines)


def as_human(problems: Sequence[Problem]) -> str:
    return "".join(f"{p}\n" for p in problems)


def _relative(path: str, workspace: str | None) -> str:
    """Annotations need paths relative to the repository (the workspace, else cwd)."""
    base = Path(workspace or os.getcwd()).resolve()
    try:
        return str(Path(path).resolve().relative_to(base))
    except (ValueError, OSError):
        return path


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
