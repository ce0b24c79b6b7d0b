"""Temporal's JSON payload converter, with dataclasses encoded and decoded cheaply.

Every workflow input, activity input and result Relay exchanges with Temporal is a dataclass
(``workflows.contract``). The SDK's converter rebuilds one from JSON by resolving its field
types with ``typing.get_type_hints`` for every value it decodes; Relay's modules use
``from __future__ import annotations``, so that compiles each field's annotation string anew:
70% of decoding a run's ``FinishRunInput`` (3.4 ms of 4.8 ms), and a large share of the
worker's CPU per run. ``CachedFieldTypes`` resolves them once per class and otherwise decodes as
the SDK does — same values, same errors for a mismatched union member — so histories replay
identically: only the work of reading a payload changes, never its bytes.

Encoding, the SDK turns a dataclass into a dict with ``dataclasses.asdict``, which deep-copies
every value inside it — a run's whole definition on each start (2.5 ms for a 15-step one).
``ShallowDataclassEncoder`` hands JSON the dataclass's fields as they are and lets it walk
them: the same bytes (keys are sorted either way), 7× faster.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any

from temporalio.converter import (
    AdvancedJSONEncoder,
    CompositePayloadConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    value_to_type,
)


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    """(name, resolved type, whether ``__init__`` takes it) per field of dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name], f.init) for f in dataclasses.fields(cls))


class CachedFieldTypes(JSONTypeConverter):
    """Decodes a dataclass from its JSON object with its field types resolved once."""

    def to_typed_value(self, hint: type, value: Any) -> Any:
        if not (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
            return JSONTypeConverter.Unhandled
        if not isinstance(value, dict):
            # As the SDK: a TypeError, so a union's next member is tried.
            raise TypeError(f"Cannot convert to dataclass {hint}, value is {type(value)} not dict")
        given: dict[str, Any] = {}
        after_init: dict[str, Any] = {}
        for name, field_type, in_init in _fields(hint):
            if name not in value:
                continue  # a missing required field fails in the constructor, as the SDK's
            try:
                converted = value_to_type(field_type, value[name], [self])
            except Exception as err:
                raise TypeError(f"Failed converting field {name} on dataclass {hint}") from err
            (given if in_init else after_init)[name] = converted
        decoded = hint(**given)
        for name, converted in after_init.items():
            object.__setattr__(decoded, name, converted)
        return decoded


class ShallowDataclassEncoder(AdvancedJSONEncoder):
    """The SDK's encoder, a dataclass given to JSON as its fields rather than a deep copy."""

    def default(self, o: Any) -> Any:
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return {field.name: getattr(o, field.name) for field in dataclasses.fields(o)}
        return super().default(o)


class RelayPayloadConverter(CompositePayloadConverter):
    """Temporal's default payload converters, its JSON one with ``ShallowDataclassEncoder`` and
    ``CachedFieldTypes``."""

    def __init__(self) -> None:
        json = JSONPlainPayloadConverter(
            encoder=ShallowDataclassEncoder, custom_type_converters=[CachedFieldTypes()]
        )
        super().__init__(
            *(
                json if isinstance(converter, JSONPlainPayloadConverter) else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )
