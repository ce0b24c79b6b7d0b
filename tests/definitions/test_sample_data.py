"""Sample event data from a JSON Schema: deterministic, and accepted by the schema."""

from definitions.models import Trigger
from definitions.sample_data import SAMPLE_INSTANT, sample_from_schema, trigger_sample

BOOKING = {
    "type": "object",
    "required": ["booking_id", "invitee_email", "start_time"],
    "properties": {
        "booking_id": {"type": "string"},
        "invitee_email": {"type": "string"},
        "invitee_phone": {"type": "string"},
        "start_time": {"type": "string", "format": "date-time"},
        "seats": {"type": "integer", "minimum": 2},
        "price": {"type": "number", "maximum": 1},
        "paid": {"type": "boolean"},
        "status": {"enum": ["confirmed", "cancelled"]},
        "plan": {"type": "string", "default": "pro"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "owner": {"$ref": "#/$defs/person"},
        "note": {"type": ["null", "string"], "maxLength": 4},
    },
    "$defs": {"person": {"type": "object", "properties": {"name": {"examples": ["Ann"]}}}},
}


def test_every_property_gets_a_value_of_its_type_and_hints():
    assert sample_from_schema(BOOKING) == {
        "booking_id": "sample booking_id",
        "invitee_email": "ann@example.com",
        "invitee_phone": "+15550001234",
        "start_time": SAMPLE_INSTANT,
        "seats": 2,
        "price": 1,
        "paid": True,
        "status": "confirmed",
        "plan": "pro",
        "tags": ["sample tags"],
        "owner": {"name": "Ann"},
        "note": "samp",
    }


def test_the_same_schema_always_gives_the_same_data():
    assert sample_from_schema(BOOKING) == sample_from_schema(BOOKING)


def test_combinators_and_unknown_shapes():
    assert sample_from_schema({"anyOf": [{"type": "null"}, {"type": "integer"}]}) == 1
    assert sample_from_schema(
        {"allOf": [{"properties": {"a": {"const": 1}}}, {"properties": {"b": {"type": "boolean"}}}]}
    ) == {"a": 1, "b": True}
    assert sample_from_schema({"$ref": "#/$defs/missing"}) is None
    assert sample_from_schema(True) is None


def test_a_trigger_sample_wins_then_its_schema_then_nothing_and_a_catalog_schema_over_all():
    sample = Trigger(event="booking.created", sample={"booking_id": "bk_1"})
    schema = Trigger(event="booking.created", schema=BOOKING)
    assert trigger_sample(sample) == {"booking_id": "bk_1"}
    assert trigger_sample(schema)["invitee_email"] == "ann@example.com"
    assert trigger_sample(Trigger(event="booking.created")) == {}
    catalog = {"type": "object", "properties": {"from_catalog": {"const": True}}}
    assert trigger_sample(sample, catalog) == {"from_catalog": True}
