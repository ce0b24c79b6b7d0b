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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from definitions.actions import AUTH_FIELDS, BODY_FORMATS, PRESETS
from definitions.aliases import NODE_TYPE_ALIASES
from definitions.conditions import OPERATOR_ALIASES, OPERATORS
from definitions.exports import FORMATS as EXPORT_FORMATS
from definitions.exports import MAX_COLUMNS, MAX_ROWS
from definitions.models import NODE_TYPES, STOP_STATUSES, TRIGGER_TYPES
from definitions.schedules import OVERLAP_POLICIES
from definitions.triggers import DATE_RELATIVE_KINDS
from definitions.validation import PLANNED_NODE_TYPES, PLANNED_TRIGGER_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
NODE_TYPE_NAMES = sorted(NODE_TYPES | PLANNED_NODE_TYPES | set(NODE_TYPE_ALIASES) | {"action"})
"""Every type a node may be written with: canonical names, aliases, and the ERP form's
``"action"`` (whose real type is then in ``action``)."""
TRIGGER_TYPE_NAMES = sorted(TRIGGER_TYPES | PLANNED_TRIGGER_TYPES | DATE_RELATIVE_KINDS)
OPERATOR_NAMES = sorted(OPERATORS | set(OPERATOR_ALIASES) | {"AND", "OR", "and", "or"})

Absent = SkipJsonSchema[None]
"""An optional key: it may be left out, but it is never ``null``."""


def _optional(description: str, **extra: Any) -> Any:
    return Field(default=None, description=description, json_schema_extra=extra or None)


def _required(description: str, **extra: Any) -> Any:
    return Field(description=description, json_schema_extra=extra or None)


def _one_of_required(*keys: str) -> dict[str, Any]:
    return {"anyOf": [{"required": [key]} for key in keys]}


class Condition(BaseModel):
    """A condition (SPEC §2.1): a leaf ``{field, operator, value}``, ``and``/``or``/``not``, a
    typed tree ``{type, conditions}``, or a group ``{operator: AND|OR, rules}``; a list of them
    means AND."""

    model_config = ConfigDict(extra="allow")

    field: str | Absent = _optional("a dot path into the run context: lead.owner.email")
    operator: str | Absent = _optional("how to compare", enum=OPERATOR_NAMES)
    value: Any = _optional("what to compare with (a template is rendered first)")
    ignore_case: bool | Absent = _optional("compare text case-insensitively")
    and_: list[Condition | list[Condition]] | Absent = Field(default=None, alias="and")
    or_: list[Condition | list[Condition]] | Absent = Field(default=None, alias="or")
    not_: Condition | list[Condition] | Absent = Field(default=None, alias="not")
    type: str | Absent = _optional("typed tree", enum=["and", "or", "not"])
    conditions: list[Condition] | Condition | Absent = _optional("the typed tree's children")
    rules: list[Condition] | Absent = _optional("a group's leaves")


ConditionInput = Condition | list[Condition]
Duration = str | float | dict[str, float]
"""``"PT48H"``, ``"48h"``, ``"2d"``, seconds, or ``{"hours": 48}``."""
Reference = str | int
"""A node id."""


class Retry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_attempts: Annotated[int, Field(ge=1, le=100)] | Absent = None
    initial_interval: Duration | Absent = None
    backoff: Annotated[float, Field(ge=1)] | Absent = None
    max_interval: Duration | Absent = None


class Variant(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    weight: float | Absent = _optional("relative weight, default 1")
    steps: list[Step] | Absent = None


class Case(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | Absent = None
    when: ConditionInput | Absent = _optional("the case matches when this holds")
    equals: Any = _optional("the case matches when the switch's value equals this")
    steps: list[Step] | Absent = None


SubFlow = list["Step | Reference"] | Reference
Template = str
"""A value given as a template (``"{{ lead.tags }}"``), known when the step runs."""
RecordFilter = dict[str, Any] | Template
"""The record store's filter: ``{"status": "open", "score": {"$gte": 7}}``."""
Names = list[str] | str
"""Names as a list, or one name (comma-separated: several)."""


class HttpAuth(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = _required("basic: username + password; bearer: token", enum=sorted(AUTH_FIELDS))
    username: str | Absent = None
    password: str | Absent = _optional('a secret, ideally: "{{ secrets.API_PASSWORD }}"')
    token: str | Absent = _optional('a secret, ideally: "{{ secrets.API_TOKEN }}"')


class ExportEmail(BaseModel):
    model_config = ConfigDict(extra="allow")

    to: str | list[str] = _required("who receives the download link")
    subject: str | Absent = _optional("default: Your <record type> export is ready")


class Step(BaseModel):
    """A step of ``steps`` or a node of ``nodes``. Its type-specific fields may be written on
    the step itself or inside ``config``. A sub-flow (``then``, ``else``, ``body``, ``default``,
    ``on_timeout``) is a list of steps, or the id(s) of graph nodes (the first is the entry)."""

    model_config = ConfigDict(
        extra="allow", json_schema_extra=_one_of_required("type", "node_type", "action_type")
    )

    id: Reference | Absent = _optional("unique in the workflow; steps.<id>.output reads its result")
    type: str | Absent = _optional("what the step does", enum=NODE_TYPE_NAMES)
    action: str | Absent = _optional('the action, when type is "action"', enum=NODE_TYPE_NAMES)
    node_type: str | Absent = _optional("another name for type", enum=NODE_TYPE_NAMES)
    action_type: str | Absent = _optional("another name for type", enum=NODE_TYPE_NAMES)
    name: str | Absent = _optional("a label for people")
    when: ConditionInput | Absent = _optional("skip the step unless this holds")
    retry: Retry | int | Absent = _optional("retry policy, or a number of attempts")
    timeout: Duration | Absent = _optional("per attempt; for waits, how long to wait")
    on_error: str | Absent = _optional("continue (default), stop, or the id of a node to go to")
    output: str | Absent = _optional("a variable name for the step's result")
    config: dict[str, Any] | Absent = _optional("the type-specific fields, if not on the step")
    # The fields of the common types, for completion; the rest are validation's to check.
    to: str | list[str] | Absent = _optional("recipient(s): an email address or E.164 number")
    cc: str | list[str] | Absent = None
    bcc: str | list[str] | Absent = None
    from_: str | Absent = Field(default=None, alias="from")
    subject: str | Absent = None
    body: Any = _optional("an email/SMS text, an HTTP body, or a for_each's sub-flow")
    html: str | Absent = None
    template: str | Absent = _optional("a stored email template's name")
    variables: dict[str, Any] | Absent = None
    recipient: str | Absent = _optional(
        "send_email/send_sms: a role of the event type (custom: custom_email/custom_phone); "
        "notify: the user id or email the notification is for",
        examples=["organizer", "invitee", "both", "custom"],
    )
    url: str | Absent = _optional("where an http_request or slack step sends: https://…")
    method: str | Absent = _optional(
        "HTTP method", enum=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    )
    headers: dict[str, str] | Absent = None
    query: dict[str, Any] | Absent = None
    duration: Duration | Absent = _optional("how long a wait lasts")
    until: str | Absent = _optional("a wait's instant (a template)")
    offset: Duration | Absent = _optional('before (-) or after that instant: "-24h"')
    if_past: str | Absent = _optional("when until is past", enum=["continue", "skip"])
    event: str | Absent = _optional("the event type a wait_for_event waits for")
    condition: ConditionInput | Absent = _optional("a condition, wait_condition or goal's test")
    items: str | list[Any] | Absent = _optional('a for_each\'s list: "{{ invoices }}"')
    as_: str | Absent = Field(default=None, alias="as", description="a for_each's item variable")
    concurrency: Annotated[int, Field(ge=1)] | Absent = _optional("a for_each's iterations at once")
    max_items: Annotated[int, Field(ge=1, le=100_000)] | Absent = _optional(
        "the most items a for_each takes (default 10000): more fail the step"
    )
    join: str | Absent = _optional("a parallel's join", enum=["all", "any"])
    branches: list[Any] | Absent = _optional("a parallel's branches: lists of steps")
    cases: list[Case] | dict[str, Any] | Absent = _optional("a switch's cases")
    default: SubFlow | Absent = _optional("a switch's fallback")
    value: Any = _optional("a switch's value (cases compare with equals), or a goal's value")
    variants: list[Variant] | Absent = _optional("a split's weighted variants")
    values: dict[str, Any] | Absent = _optional("a set step's variables")
    status: str | Absent = _optional(
        "how a stop ends the run (on a create_record step: a field of the record)",
        examples=sorted(STOP_STATUSES),
    )
    workflow_id: str | Absent = _optional("the workflow a sub_workflow runs")
    input: Any = _optional("a sub_workflow's input, or an activity step's argument (any JSON)")
    then: SubFlow | Absent = _optional("a condition's true branch")
    else_: SubFlow | Absent = Field(default=None, alias="else", description="the false branch")
    on_timeout: SubFlow | Absent = _optional("where a wait goes when it times out")
    # http_request (webhook, call_webhook) and slack
    webhook_url: str | Absent = _optional("another name for url")
    webhook_data: Any = _optional("fields merged into a preset's body (another name for body)")
    body_format: str | Absent = _optional(
        "send the body as JSON (default) or as an HTML form", enum=sorted(BODY_FORMATS)
    )
    auth: HttpAuth | Absent = _optional('{"type": "bearer", "token": "{{ secrets.TOKEN }}"}')
    preset: str | Absent = _optional(
        "a body shape: scheduling_webhook sends the event, workflow, run and timestamp",
        enum=sorted(PRESETS),
    )
    expect: list[Annotated[int, Field(ge=100, le=599)]] | Absent = _optional(
        "the statuses that count as success, e.g. [200, 201] (default: any 2xx)"
    )
    request_timeout: float | Absent = _optional("seconds to wait for the answer (default 30)")
    follow_redirects: bool | Absent = _optional("follow redirects, each checked (default no)")
    text: str | Absent = _optional("a Slack message's text")
    blocks: list[dict[str, Any]] | Template | Absent = _optional("Slack Block Kit blocks")
    channel: str | Absent = _optional("a Slack channel, where the webhook allows another")
    # activity: a team's own activity
    activity: str | Absent = _optional("the activity's registered name")
    task_queue: str | Absent = _optional("the task queue its worker polls (default: Relay's)")
    # the record store's actions (create_record, update_record, query_records, add_tag…)
    record_type: str | Absent = _optional("the record type: contact, lead, deal, task…")
    entity_type: str | Absent = _optional("another name for record_type")
    entity: str | Absent = _optional("another name for record_type")
    record_id: str | Absent = _optional("the record acted on (default: the run's entity)")
    entity_id: str | Absent = _optional("another name for record_id")
    fields: dict[str, Any] | Template | Absent = _optional(
        "the record's fields to set (an update merges; null removes a field)"
    )
    update_booking_fields: dict[str, Any] | Absent = _optional("a booking update's fields")
    field: str | Absent = _optional("update_field: the one field to set (to value)")
    data: Any = _optional("another name for fields; a notification's extra data")
    filter: RecordFilter | Absent = _optional(
        'query_records/export: {"status": "open", "score": {"$gte": 7}} ($eq $ne $gt $gte $lt '
        "$lte $in $nin $contains $exists; dotted paths)"
    )
    filters: RecordFilter | Absent = _optional("another name for filter")
    sort: str | Absent = _optional('a field to order by, "-" in front for descending: "-score"')
    limit: Annotated[int, Field(ge=1, le=MAX_ROWS)] | Template | Absent = _optional(
        "at most this many records"
    )
    tag: str | Absent = _optional("add_tag/remove_tag: the tag")
    tags: Names | Absent = _optional("tags (add_tag: several; create_record: the new record's)")
    list_: str | Absent = Field(
        default=None, alias="list", description="add_to_list/remove_from_list: the list"
    )
    lists: Names | Absent = _optional("create_record: the lists the new record is on")
    title: str | Absent = _optional("create_task: the task's title")
    description: str | Absent = _optional("create_task/create_ticket: the details")
    assignee: str | Absent = _optional("create_task: who does it")
    due_date: str | Absent = _optional('create_task: an ISO date, or "{{ today + 2 }}"')
    due_days: int | Template | Absent = _optional("create_task: due this many days from today")
    priority: str | int | Absent = _optional("create_task: low, normal, high…")
    note: str | Absent = _optional("add_note: the note's text")
    content: str | Absent = _optional("add_note: another name for note")
    visibility: str | Absent = _optional("add_note: who may see it", examples=["internal"])
    # notify: an in-app notification
    message: str | Absent = _optional("a notification's text (for email/SMS: the body)")
    link: str | Absent = _optional('where the notification leads: "/leads/{{ lead.id }}"')
    notification_type: str | Absent = _optional("a notification's kind", examples=["in_app"])
    # export (enqueue_export): a CSV of records, stored and linked
    columns: list[str] | Template | Absent = _optional(
        f"field paths to export (default: id and every data key; at most {MAX_COLUMNS})"
    )
    format: str | Absent = _optional("the export's format", enum=list(EXPORT_FORMATS))
    export_type: str | Absent = _optional("another name for format", enum=list(EXPORT_FORMATS))
    email: ExportEmail | Absent = _optional("email the download link: {to, subject}")
    email_to: str | list[str] | Absent = _optional("another way to give email.to")


class Edge(BaseModel):
    model_config = ConfigDict(
        extra="allow", json_schema_extra=_one_of_required("from", "source", "source_node")
    )

    from_: Reference | Absent = Field(
        default=None, alias="from", description="a node id, or trigger"
    )
    to: Reference | Absent = _optional("a node id")
    when: str | bool | Absent = _optional(
        "the branch: true, false, error, received, timeout, body, branch, default, a case or "
        "variant name; none for the next step"
    )


class Trigger(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str | Absent = _optional("what starts a run", enum=TRIGGER_TYPE_NAMES)
    event: str | Absent = _optional('an event type; a glob like "deal.*" is allowed')
    filter: ConditionInput | Absent = _optional("start only for events where this holds")
    entity: str | Absent = _optional('the run\'s entity, a template: "{{ booking_id }}"')
    priority: int | Absent = None
    cancel_on: list[str] | Absent = _optional("event types that cancel this entity's runs")
    cron: str | list[str] | Absent = _optional('schedule: "0 9 * * MON" (5 fields) or "@daily"')
    every: str | int | dict[str, Any] | Absent = _optional('schedule: an interval, "PT1H"')
    calendar: dict[str, Any] | list[dict[str, Any]] | Absent = _optional(
        'schedule: {"hour": 9, "day_of_week": "MON-FRI"}'
    )
    timezone: str | Absent = _optional("schedule: an IANA time zone: Europe/Berlin")
    overlap: str | Absent = _optional(
        "schedule: when a run is due while one is open", enum=sorted(OVERLAP_POLICIES)
    )
    start: dict[str, Any] | Absent = _optional(
        'begin with a wait: {"before": "24h", "field": "start_time"}, after, or '
        '{"anniversary": "birthday"}'
    )
    delay: str | int | dict[str, Any] | Absent = _optional("begin with a wait of this long")
    config: dict[str, Any] | Absent = None


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")

    on_error: str | Absent = _optional("a failed action's default", enum=["continue", "stop"])
    timezone: str | Absent = _optional("an IANA time zone: Europe/Paris")


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
    trigger: Trigger | str | Absent = _optional("an object, or just the event type; none: manual")
    steps: list[Step] | Absent = _optional("run top to bottom")
    actions: list[Step] | Absent = _optional("another name for steps")
    nodes: list[Step] | Absent = _optional("a graph's nodes, joined by edges")
    edges: list[Edge] | Absent = _optional('{"from", "to", "when"}; "trigger" is the start')
    settings: Settings | Absent = None


for _model in (Condition, Variant, Case, Step):
    _model.model_rebuild()


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
