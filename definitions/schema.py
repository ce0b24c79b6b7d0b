"""The JSON Schema of the definition language, for editors: completion and early errors.

It describes the document a person *writes* — steps or nodes + edges, the canonical names and
their aliases — not the canonical graph ``definitions.models`` stores. It is deliberately
permissive where the normaliser is (extra keys are allowed; a node's type-specific fields may sit
on the node or in its ``config``): a document the schema refuses is one Relay refuses too, while
the reverse is validation's job (``POST /v1/workflows/validate``, ``relay validate``).

``schema/relay-definition.schema.json`` is this module's output (``relay schema``); a test keeps
the two equal.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from definitions.condition_operators import operator_catalog
from definitions.models import TRIGGER_TYPES
from definitions.nodes import FAMILIES, REGISTRY, type_aliases
from definitions.nodes.fields import (
    Absent,
    Case,
    Condition,
    ConditionInput,
    Duration,
    Reference,
    Retry,
    Variant,
    optional,
)
from definitions.nodes.spec import NodeType, Param
from definitions.schedules import OVERLAP_POLICIES
from definitions.triggers import DATE_RELATIVE_KINDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
NODE_TYPE_NAMES = sorted(set(REGISTRY) | set(type_aliases()) | {"action"})
"""Every type a node may be written with: canonical names, aliases, and the ERP form's
``"action"`` (whose real type is then in ``action``)."""
TRIGGER_TYPE_NAMES = sorted(TRIGGER_TYPES | DATE_RELATIVE_KINDS)


def _one_of_required(*keys: str) -> dict[str, Any]:
    return {"anyOf": [{"required": [key]} for key in keys]}


_COMMON: dict[str, Param] = {
    "id": (
        Reference | Absent,
        optional("unique in the workflow; steps.<id>.output reads its result"),
    ),
    "type": (str | Absent, optional("what the step does", enum=NODE_TYPE_NAMES)),
    "action": (str | Absent, optional('the action, when type is "action"', enum=NODE_TYPE_NAMES)),
    "node_type": (str | Absent, optional("another name for type", enum=NODE_TYPE_NAMES)),
    "action_type": (str | Absent, optional("another name for type", enum=NODE_TYPE_NAMES)),
    "name": (str | Absent, optional("a label for people")),
    "when": (ConditionInput | Absent, optional("skip the step unless this holds")),
    "retry": (Retry | int | Absent, optional("retry policy, or a number of attempts")),
    "timeout": (Duration | Absent, optional("per attempt; for waits, how long to wait")),
    "on_error": (str | Absent, optional("continue (default), stop, or the id of a node to go to")),
    "output": (str | Absent, optional("a variable name for the step's result")),
    "config": (dict[str, Any] | Absent, optional("the type-specific fields, if not on the step")),
}
"""The keys every step has; each node type adds its own (``NodeType.schema``)."""


def _step_params() -> dict[str, Param]:
    """The common keys, then every node type's, in registry order; a key two types share is
    the same declaration (``definitions.nodes.fields``)."""
    params = dict(_COMMON)
    for declared in REGISTRY.values():
        for key, part in declared.schema.items():
            if key in params and params[key] is not part:
                raise ValueError(f"{declared.name} declares {key!r} differently from another type")
            params.setdefault(key, part)
    return params


def _step_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        # Every field is named by its alias: several keys are Python keywords (from, as, else).
        f"{key}_": (Annotated[annotation, Field(alias=key)], info)
        for key, (annotation, info) in _step_params().items()
    }
    return create_model(
        "Step",
        __config__=ConfigDict(
            extra="allow", json_schema_extra=_one_of_required("type", "node_type", "action_type")
        ),
        __doc__=(
            "A step of ``steps`` or a node of ``nodes``. Its type-specific fields may be written "
            "on\nthe step itself or inside ``config``. A sub-flow (``then``, ``else``, "
            "``body``, ``default``,\n``on_timeout``) is a list of steps, or the id(s) of "
            "graph nodes (the first is the entry)."
        ),
        **fields,
    )


if TYPE_CHECKING:  # built from the registry at import; to a type checker, a model
    Step = BaseModel
else:
    Step = _step_model()


class Edge(BaseModel):
    model_config = ConfigDict(
        extra="allow", json_schema_extra=_one_of_required("from", "source", "source_node")
    )

    from_: Reference | Absent = Field(
        default=None, alias="from", description="a node id, or trigger"
    )
    to: Reference | Absent = optional("a node id")
    when: str | bool | Absent = optional(
        "the branch: true, false, error, received, timeout, body, branch, default, a case or "
        "variant name; none for the next step"
    )


class Trigger(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str | Absent = optional("what starts a run", enum=TRIGGER_TYPE_NAMES)
    event: str | Absent = optional('an event type; a glob like "deal.*" is allowed')
    filter: ConditionInput | Absent = optional("start only for events where this holds")
    entity: str | Absent = optional('the run\'s entity, a template: "{{ booking_id }}"')
    priority: int | Absent = None
    cancel_on: list[str] | Absent = optional("event types that cancel this entity's runs")
    cron: str | list[str] | Absent = optional('schedule: "0 9 * * MON" (5 fields) or "@daily"')
    every: str | int | dict[str, Any] | Absent = optional('schedule: an interval, "PT1H"')
    calendar: dict[str, Any] | list[dict[str, Any]] | Absent = optional(
        'schedule: {"hour": 9, "day_of_week": "MON-FRI"}'
    )
    timezone: str | Absent = optional("schedule: an IANA time zone: Europe/Berlin")
    overlap: str | Absent = optional(
        "schedule: when a run is due while one is open", enum=sorted(OVERLAP_POLICIES)
    )
    start: dict[str, Any] | Absent = optional(
        'begin with a wait: {"before": "24h", "field": "start_time"}, after, or '
        '{"anniversary": "birthday"}'
    )
    delay: str | int | dict[str, Any] | Absent = optional("begin with a wait of this long")
    config: dict[str, Any] | Absent = None


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")

    on_error: str | Absent = optional("a failed action's default", enum=["continue", "stop"])
    timezone: str | Absent = optional("an IANA time zone: Europe/Paris")


class RelayDefinition(BaseModel):
    """A Relay workflow definition (SPEC §2): a trigger, then steps or nodes + edges."""

    model_config = ConfigDict(
        extra="allow",
        title="Relay workflow definition",
        json_schema_extra=_one_of_required("steps", "actions", "nodes"),
    )

    schema_: str | Absent = Field(default=None, alias="$schema")
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    trigger: Trigger | str | Absent = optional("an object, or just the event type; none: manual")
    steps: list[Step] | Absent = optional("run top to bottom")
    actions: list[Step] | Absent = optional("another name for steps")
    nodes: list[Step] | Absent = optional("a graph's nodes, joined by edges")
    edges: list[Edge] | Absent = optional('{"from", "to", "when"}; "trigger" is the start')
    settings: Settings | Absent = None


for _model in (Condition, Variant, Case, Step):
    _model.model_rebuild(_types_namespace={"Step": Step})


def definition_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a definition document."""
    schema = _tidy(RelayDefinition.model_json_schema(by_alias=True))
    return {"$schema": SCHEMA_DIALECT, **schema}


def definition_json_schema_text() -> str:
    """The schema as committed to ``schema/relay-definition.schema.json``."""
    return json.dumps(definition_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _tidy(value: Any) -> Any:
    """Drop the ``"default": null`` of keys that are simply optional, and pydantic's titles."""
    if isinstance(value, dict):
        return {
            key: _tidy(item)
            for key, item in value.items()
            if not (key == "default" and item is None)
            and not (key == "title" and isinstance(item, str) and "properties" not in value)
        }
    if isinstance(value, list):
        return [_tidy(item) for item in value]
    return value


# --------------------------------------------------------------------------- node types

_FLOW_KEYS_BY_LABEL = {
    "default": "default",
    "timeout": "on_timeout",
    "body": "body",
    "branch": "branches",
}
"""A sub-flow written inline on a node, by the label of the edge it stands for."""
_COMMON_STEP_KEYS = ("when", "retry", "timeout", "on_error", "output")


def _flow_keys(declared: NodeType) -> list[str]:
    """The keys holding sub-flows: a graph editor draws them as labelled edges instead."""
    keys = [key for _, inline in declared.inline_branches for key in inline]
    keys += [
        key
        for label, key in _FLOW_KEYS_BY_LABEL.items()
        if label in declared.leaving and key in declared.keys
    ]
    return keys


def _params_schema(title: str, params: dict[str, Param]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        f"{key}_": (Annotated[annotation, Field(alias=key)], info)
        for key, (annotation, info) in params.items()
    }
    model = create_model(title, __config__=ConfigDict(extra="allow"), **fields)
    schema: dict[str, Any] = _tidy(model.model_json_schema(by_alias=True))
    return schema


def node_type_catalog() -> dict[str, Any]:
    """Every node type as an editor offers it: its family, the edge labels leaving it, the keys
    it cannot do without and the JSON Schema of its configuration; the keys every step has
    (``common``), the trigger's schema and what each condition operator compares
    (``operators``). The same declarations as ``definition_json_schema``."""
    every = _step_params()
    types = []
    for family in FAMILIES:
        for declared in family.TYPES:
            flows = _flow_keys(declared)
            # Its own declarations in their written order, then the keys it shares.
            order = [*declared.schema, *sorted(declared.keys - set(declared.schema))]
            own = {key: every[key] for key in order if key in every}
            params = {k: v for k, v in own.items() if k not in flows and k not in _COMMON}
            types.append(
                {
                    "name": declared.name,
                    "family": family.__name__.rpartition(".")[2],
                    "kind": declared.kind,
                    "aliases": sorted(declared.aliases),
                    "labels": sorted(label for label in declared.leaving if label),
                    "plain_edge": None in declared.leaving,
                    "branch_list": declared.branch_list,
                    "needs": [list(group) for group in declared.needs],
                    "flow_keys": flows,
                    "schema": _params_schema(declared.name, params),
                }
            )
    common = {key: _COMMON[key] for key in _COMMON_STEP_KEYS}
    return {
        "types": types,
        "common": _params_schema("common", common),
        "trigger": _tidy(Trigger.model_json_schema(by_alias=True)),
        "operators": operator_catalog(),
    }
