"""Where a canonical field was written in the submitted document.

The normaliser records, for each canonical path, the path the user wrote it at; these helpers
read that record and turn pydantic's errors into ``Problem``s at submitted paths.
"""

from __future__ import annotations

from collections.abc import Mapping

from definitions.errors import Problem, join_path


def locate(field_paths: Mapping[str, str], canonical_path: str) -> str:
    """The submitted path of a canonical one: its longest recorded prefix, then the rest as is.

    With no record at all (a canonical document validated directly) the path is its own.
    """
    prefix = canonical_path
    while prefix:
        if prefix in field_paths:
            return field_paths[prefix] + canonical_path[len(prefix) :]
        cut = max(prefix.rfind("."), prefix.rfind("["))
        if cut <= 0:
            break
        prefix = prefix[:cut]
    return canonical_path


def pydantic_problems(
    exc: ValueError, base: str, where: Mapping[str, str] | None = None
) -> list[Problem]:
    """One problem per pydantic error, at ``base`` + the error's location."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [Problem(base, str(exc))]
    problems = []
    for error in errors():
        loc = [p for p in error["loc"] if p != "__root__"]
        head = (where or {}).get(str(loc[0])) if loc else None
        path = head or (join_path(base, loc[0]) if loc else base)
        for part in loc[1:]:
            path = join_path(path, part if isinstance(part, int) else str(part))
        problems.append(Problem(path, str(error["msg"])))
    return problems
