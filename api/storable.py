"""Field types and checks for free-form client input, so that what the API accepts it can also
store and echo (``JsonObject``, ``Text``, ``Key``, ``UtcDatetime``, ``check_document``).

Pydantic checks shapes; these check what shapes cannot say: a document nested thousands of
levels deep, ``NaN``, a NUL character or a lone surrogate all parse as JSON, yet the database,
Temporal's payload converter or the JSON the API answers with would fail on them later — as a
500, or worse, after the value was stored.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from definitions.errors import DefinitionError, Problem, join_path

MAX_DEPTH = 64
"""How deeply a submitted document may nest: far beyond any real automation or payload, and
far below the depth at which serialising it fails."""


def json_problem(value: Any, path: str = "", depth: int = 1) -> Problem | None:
    """The first thing in ``value`` that cannot be stored and echoed as JSON, if any."""
    if depth > MAX_DEPTH:
        return Problem(path, f"nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        return _text_problem(value, path)
    if isinstance(value, float) and not math.isfinite(value):
        return Problem(path, "is not a finite number")
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = join_path(path, key)
        if isinstance(key, str) and (problem := _text_problem(key, where)):
            return problem
        if problem := json_problem(item, where, depth + 1):
            return problem
    return None


def check_document(document: Any) -> None:
    """Raise ``DefinitionError`` (422 with the path) if ``document`` cannot be stored."""
    if problem := json_problem(document):
        raise DefinitionError([problem])


def _text_problem(text: str, path: str) -> Problem | None:
    if "\x00" in text:
        return Problem(path, "contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Problem(path, "is not valid Unicode (a lone surrogate)")
    return None


def _invalid(problem: Problem) -> PydanticCustomError:
    message = problem.message[:1].upper() + problem.message[1:]
    where = f" at {problem.path}" if problem.path else ""
    return PydanticCustomError(
        "unstorable", "{message}{where}", {"message": message, "where": where}
    )


def _storable_json(value: Any) -> Any:
    if problem := json_problem(value):
        raise _invalid(problem)
    return value


def storable_text(value: str) -> str:
    """``value`` if it can be stored and echoed; a 422 saying why otherwise."""
    if problem := _text_problem(value, ""):
        raise _invalid(problem)
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00-01:00 has no UTC equivalent
        raise PydanticCustomError("datetime_range", "The instant is out of range") from exc


JsonObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
"""A free-form JSON object (event data, run input) that can be stored and echoed."""
Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(storable_text)]
"""An identifier-like string: an event type, id, entity, filter value."""
Key = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(storable_text)]
VersionMessage = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(storable_text)
]
"""A version's message: a line or two of prose."""
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
"""An instant, naive ones read as UTC."""
