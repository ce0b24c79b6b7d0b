"""The entry points for a submitted definition document: ``load_definition`` (normalise and
validate, refusing the document with every problem) and ``check_definition`` (every error and
warning, never raising — what ``POST /v1/workflows/validate`` and ``relay validate`` show)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from definitions.catalog import EventTypeSpec
from definitions.catalog.fields import event_fields, schema_warnings
from definitions.errors import DefinitionError, Problem
from definitions.models import Definition
from definitions.normalise import normalise_definition
from definitions.scope import name_warnings
from definitions.validation import validate
from definitions.validation_values import value_warnings


def load_definition(document: Any) -> Definition:
    """Normalise and validate; raises ``DefinitionError`` with every problem found."""
    normalised = normalise_definition(document)
    problems = validate(normalised.definition, normalised.field_paths)
    if problems:
        raise DefinitionError(problems)
    return normalised.definition


@dataclass(frozen=True)
class Report:
    """What ``check_definition`` found: errors refuse the document, warnings only advise."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    definition: Definition | None = None
    """The normalised definition, when the document normalised at all."""
    paths: dict[str, str] | None = None
    """Canonical path → submitted path, with the definition."""

    @property
    def valid(self) -> bool:
        return not self.errors


def check_definition(
    document: Any, event_types: Callable[[str], EventTypeSpec | None] | None = None
) -> Report:
    """Every error and warning of a submitted document, at submitted paths; never raises.

    ``event_types`` looks up the catalog entry of the trigger's event type (the caller's
    catalog: definitions stay pure); with it, conditions are checked against its schema.
    """
    try:
        normalised = normalise_definition(document)
    except DefinitionError as exc:
        return Report(errors=exc.problems)
    definition, paths = normalised.definition, normalised.field_paths
    event = definition.trigger.event
    spec = event_types(event) if event_types is not None and event and "*" not in event else None
    warnings = name_warnings(definition, paths, event_fields(spec))
    warnings += value_warnings(definition, paths) + schema_warnings(definition, spec, paths)
    return Report(validate(definition, paths), warnings, definition, dict(paths))
