"""The value shapes node keys take in the JSON Schema (``definitions.schema``), and the few keys
several families share. A family module declares its own keys' schema parts with these.

``Step`` (a step of ``steps`` or a node of ``nodes``) is assembled by ``definitions.schema`` from
every node type's parts, so the models here that contain steps name it as a forward reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic.json_schema import SkipJsonSchema

from definitions.actions import AUTH_FIELDS
from definitions.conditions import OPERATOR_ALIASES, OPERATORS
from definitions.nodes.spec import Param

if TYPE_CHECKING:
    Step = Any  # assembled by definitions.schema; resolved there by model_rebuild

OPERATOR_NAMES = sorted(OPERATORS | set(OPERATOR_ALIASES) | {"AND", "OR", "and", "or"})

Absent = SkipJsonSchema[None]
"""An optional key: it may be left out, but it is never ``null``."""


def optional(description: str, **extra: Any) -> Any:
    return Field(default=None, description=description, json_schema_extra=extra or None)


def required(description: str, **extra: Any) -> Any:
    return Field(description=description, json_schema_extra=extra or None)


def param(annotation: Any, field: FieldInfo | None = None) -> Param:
    """A key's schema part; without ``field`` it is optional and undescribed."""
    return annotation, field if field is not None else FieldInfo(default=None)


class Condition(BaseModel):
    """A condition (SPEC §2.1): a leaf ``{field, operator, value}``, ``and``/``or``/``not``, a
    typed tree ``{type, conditions}``, or a group ``{operator: AND|OR, rules}``; a list of them
    means AND."""

    model_config = ConfigDict(extra="allow")

    field: str | Absent = optional("a dot path into the run context: lead.owner.email")
    operator: str | Absent = optional("how to compare", enum=OPERATOR_NAMES)
    value: Any = optional("what to compare with (a template is rendered first)")
    ignore_case: bool | Absent = optional("compare text case-insensitively")
    and_: list[Condition | list[Condition]] | Absent = Field(default=None, alias="and")
    or_: list[Condition | list[Condition]] | Absent = Field(default=None, alias="or")
    not_: Condition | list[Condition] | Absent = Field(default=None, alias="not")
    type: str | Absent = optional("typed tree", enum=["and", "or", "not"])
    conditions: list[Condition] | Condition | Absent = optional("the typed tree's children")
    rules: list[Condition] | Absent = optional("a group's leaves")


ConditionInput = Condition | list[Condition]
Duration = str | float | dict[str, float]
"""``"PT48H"``, ``"48h"``, ``"2d"``, seconds, or ``{"hours": 48}``."""
Reference = str | int
"""A node id."""
SubFlow = list["Step | Reference"] | Reference
Template = str
"""A value given as a template (``"{{ lead.tags }}"``), known when the step runs."""
RecordFilter = dict[str, Any] | Template
"""The record store's filter: ``{"status": "open", "score": {"$gte": 7}}``."""
Names = list[str] | str
"""Names as a list, or one name (comma-separated: several)."""


class Retry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_attempts: Annotated[int, Field(ge=1, le=100)] | Absent = None
    initial_interval: Duration | Absent = None
    backoff: Annotated[float, Field(ge=1)] | Absent = None
    max_interval: Duration | Absent = None


class Variant(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    weight: float | Absent = optional("relative weight, default 1")
    steps: list[Step] | Absent = None


class Case(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str | Absent = None
    when: ConditionInput | Absent = optional("the case matches when this holds")
    equals: Any = optional("the case matches when the switch's value equals this")
    steps: list[Step] | Absent = None


class HttpAuth(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = required("basic: username + password; bearer: token", enum=sorted(AUTH_FIELDS))
    username: str | Absent = None
    password: str | Absent = optional('a secret, ideally: "{{ secrets.API_PASSWORD }}"')
    token: str | Absent = optional('a secret, ideally: "{{ secrets.API_TOKEN }}"')


class ExportEmail(BaseModel):
    model_config = ConfigDict(extra="allow")

    to: str | list[str] = required("who receives the download link")
    subject: str | Absent = optional("default: Your <record type> export is ready")


# Keys more than one family reads, described once for all of them.
BODY = param(Any, optional("an email/SMS text, an HTTP body, or a for_each's sub-flow"))
CONDITION = param(ConditionInput | Absent, optional("a condition, wait_condition or goal's test"))
VALUE = param(Any, optional("a switch's value (cases compare with equals), or a goal's value"))
INPUT = param(Any, optional("a sub_workflow's input, or an activity step's argument (any JSON)"))
DATA = param(Any, optional("another name for fields; a notification's extra data"))
