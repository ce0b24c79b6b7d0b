"""Domain errors of the definition language.

Every problem carries a path into the submitted document (``steps[1].to``) so the API can answer
422 with one entry per problem instead of a single opaque message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, at ``path`` (dots for keys, ``[i]`` for list items)."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class DefinitionError(ValueError):
    """A document (definition, condition, template, duration) that cannot be used as written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path or '<root>'}: {p.message}" for p in problems))

    @classmethod
    def at(cls, path: str, message: str) -> DefinitionError:
        return cls([Problem(path, message)])


class TemplateRenderError(ValueError):
    """A template that failed while rendering (syntax, sandbox violation, output too large).

    Raised at run time; the interpreter treats it as a permanent step failure.
    """


def join_path(base: str, key: str | int) -> str:
    """``join_path("steps", 1) == "steps[1]"``, ``join_path("steps[1]", "to") == "steps[1].to"``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key
