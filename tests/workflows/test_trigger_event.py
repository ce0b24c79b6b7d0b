"""The trigger event as a run receives it, and the run's entity."""

from __future__ import annotations

import pytest

from workflows.trigger_event import TriggerEvent, run_entity


def test_the_trigger_dict_has_the_six_event_keys_and_the_run_parts_only_when_set() -> None:
    event = TriggerEvent("booking.created", "e1", "2030-01-01T00:00:00+00:00", "b1", {"x": 1})

    assert event.as_dict() == {
        "type": "booking.created",
        "id": "e1",
        "occurred_at": "2030-01-01T00:00:00+00:00",
        "entity": "b1",
        "data": {"x": 1},
        "previous": None,
    }
    event.chain, event.derived = {"depth": 1}, {"is_weekend": False}
    assert event.as_dict()["chain"] == {"depth": 1}
    assert "chain" not in event.signalled() and "derived" not in event.signalled()
    assert TriggerEvent.from_dict(event.as_dict()) == event


@pytest.mark.parametrize(
    ("template", "event", "entity"),
    [
        ("{{ booking_id }}", {"entity": "other", "data": {"booking_id": "b7"}}, "b7"),
        ("{{ missing }}", {"entity": "e1", "data": {}}, "e1"),
        (None, {"entity": "e1", "data": {}}, "e1"),
        (None, {"entity": "", "data": {}}, None),
        ("{{ id }}", {"data": {"id": "x" * 300}}, "x" * 200),
    ],
)
def test_the_run_entity_is_the_rendered_template_else_the_events_own(
    template: str | None, event: dict[str, object], entity: str | None
) -> None:
    assert run_entity(template, {"type": "t", "id": "1", **event}) == entity
