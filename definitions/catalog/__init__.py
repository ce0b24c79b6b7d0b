"""The event catalog: what an event type's ``data`` looks like, the fields derived from it and
the addresses its recipient roles stand for (SPEC §2.3, §2.5).

An entry is plain data. Tenants store their own (``storage.event_types``); the built-in ones for
the reference documents' event families live in ``definitions.catalog.builtins``, and a tenant's
entry of the same type replaces the built-in one. Pure: the API renders, validates and checks
here, with the entry as an argument.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from definitions.condition_operators import value_kind
from definitions.context import RESERVED, event_context
from definitions.errors import DefinitionError, Problem, TemplateRenderError, join_path
from definitions.locating import pydantic_problems
from definitions.sample_data import sample_from_schema
from definitions.templates import check_template_syntax, render

ROLES = ("organizer", "invitee")
"""The roles ``send_email``'s ``recipient`` names; ``both`` is the two together."""
MAX_DATA_PROBLEMS = 20
"""How many schema violations one event reports: enough to fix it, not a wall of text."""


class EventTypeSpec(BaseModel):
    """One catalog entry."""

    type: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    schema_: dict[str, Any] | None = Field(
        default=None,
        alias="schema",
        description="JSON Schema (2020-12) of the event's data; none: any data is accepted",
    )
    derived: dict[str, str] = Field(
        default_factory=dict,
        description="field name → template computed from the event (e.g. invitee_domain)",
    )
    roles: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="recipient role (organizer, invitee) → template(s) giving its address",
    )
    builtin: bool = False

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def public(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def parse_event_type(document: Any, event_type: str | None = None) -> EventTypeSpec:
    """A submitted entry, checked: shape, the schema itself, template syntax, role names.

    ``event_type`` (from the URL) wins over the document's own ``type``. Raises
    ``DefinitionError`` with every problem, at paths into the document.
    """
    if not isinstance(document, dict):
        raise DefinitionError.at("", "an event type is a JSON object")
    body = {k: v for k, v in document.items() if k != "builtin"}
    if event_type is not None:
        body["type"] = event_type
    try:
        spec = EventTypeSpec.model_validate(body)
    except ValidationError as exc:
        raise DefinitionError(pydantic_problems(exc, "", {})) from exc
    problems = _schema_problems(spec.schema_)
    for name, template in spec.derived.items():
        path = join_path("derived", name)
        if not name.isidentifier() or name in RESERVED:
            problems.append(
                Problem(path, "a derived field is a plain name the engine does not own")
            )
        if error := check_template_syntax(template):
            problems.append(Problem(path, f"template error: {error}"))
    for role, templates in spec.roles.items():
        path = join_path("roles", role)
        if role not in ROLES:
            problems.append(Problem(path, f"a role is one of {', '.join(ROLES)}"))
        for template in [templates] if isinstance(templates, str) else templates:
            if error := check_template_syntax(template):
                problems.append(Problem(path, f"template error: {error}"))
    if problems:
        raise DefinitionError(problems)
    return spec


def _schema_problems(schema: dict[str, Any] | None) -> list[Problem]:
    if schema is None:
        return []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = join_path("schema", ".".join(str(p) for p in exc.path)) if exc.path else "schema"
        return [Problem(where, f"not a valid JSON Schema: {exc.message}")]
    if schema.get("type", "object") != "object":
        return [Problem("schema.type", "an event's data is an object")]
    return []


def data_problems(spec: EventTypeSpec | None, data: dict[str, Any]) -> list[Problem]:
    """Where ``data`` violates the entry's schema (paths relative to the data); [] without one.

    Remote ``$ref``s are not fetched: ``jsonschema`` resolves only references inside the schema.
    """
    if spec is None or spec.schema_ is None:
        return []
    validator = Draft202012Validator(spec.schema_)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = "data"
        for part in error.path:
            path = join_path(path, part if isinstance(part, int) else str(part))
        problems.append(Problem(path, error.message))
        if len(problems) == MAX_DATA_PROBLEMS:
            break
    return problems


def derive(spec: EventTypeSpec | None, event: dict[str, Any]) -> dict[str, Any]:
    """The entry's derived fields computed from ``event`` (the trigger as stored).

    A field whose template cannot render is left out: like a missing variable, it must not
    refuse the event.
    """
    if spec is None or not spec.derived:
        return {}
    context = event_context(event)
    values: dict[str, Any] = {}
    for name, template in spec.derived.items():
        try:
            value = render(template, context)
        except TemplateRenderError:
            continue
        if value not in (None, ""):
            values[name] = value
    return values


def derived_kinds(spec: EventTypeSpec) -> dict[str, str]:
    """Each derived field → the kind of value it gives for the entry's sample data (``is_weekend``
    is a bool, ``booking_hour`` a number), so an editor can offer it the right operators. A field
    that gives nothing for the sample is left out: its kind is unknown."""
    if not spec.derived:
        return {}
    data = sample_from_schema(spec.schema_, "data") if spec.schema_ else {}
    values = derive(spec, {"type": spec.type, "data": data if isinstance(data, dict) else {}})
    kinds = {name: value_kind(value) for name, value in values.items()}
    return {name: kind for name, kind in kinds.items() if kind not in (None, "null")}


def role_addresses(spec: EventTypeSpec | None, event: dict[str, Any]) -> dict[str, list[str]]:
    """Each role of the entry → the addresses its templates give for ``event`` (maybe none)."""
    if spec is None or not spec.roles:
        return {}
    context = event_context(event)
    addresses: dict[str, list[str]] = {}
    for role, templates in spec.roles.items():
        found: list[str] = []
        for template in [templates] if isinstance(templates, str) else templates:
            try:
                value = render(template, context)
            except TemplateRenderError:
                continue
            for item in value if isinstance(value, list) else [value]:
                if item not in (None, "") and str(item) not in found:
                    found.append(str(item))
        addresses[role] = found
    return addresses
