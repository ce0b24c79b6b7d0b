"""The record-store actions and export (definitions.nodes.records): what each needs, checked at the
path it was written at."""

import pytest

from tests.definitions.nodes.documents import graph, problems, steps


def test_an_erp_record_action_without_its_fields_points_at_its_config():
    document = graph([{"id": "a", "type": "action", "action": "update_field", "config": {}}], [])
    assert problems(document) == [
        (
            "nodes[0].config.fields",
            "update_record needs 'fields' or 'update_booking_fields' or 'values' or 'data' or "
            "'field'",
        )
    ]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"type": "create_record", "title": "t"},
         [("steps[0].record_type",
           "create_record needs 'record_type' or 'entity_type' or 'entity'")]),
        ({"type": "add_tag"}, [("steps[0].tag", "add_tag needs 'tag' or 'tags'")]),
        ({"type": "add_to_list"}, [("steps[0].list", "add_to_list needs 'list'")]),
        ({"type": "add_note"},
         [("steps[0].note", "add_note needs 'note' or 'body' or 'text' or 'content'")]),
        ({"type": "notify", "message": "m"}, [("steps[0].recipient", "notify needs 'recipient'")]),
        ({"type": "query_records", "record_type": "invoice", "filter": {"n": {"$gte": [1]}}},
         [("steps[0].filter.n.$gte", "$gte takes a number or a string")]),
        ({"type": "query_records", "record_type": "invoice", "sort": "a..b"},
         [("steps[0].sort", "'a..b' is not a field path (like 'owner.email')")]),
        ({"type": "update_booking", "update_booking_fields": {"start_time": "x"}},
         [("steps[0].update_booking_fields",
           "a booking update may change only cancellation_reason, custom_answers, meeting_id, "
           "meeting_link, meeting_password, status, not start_time")]),
    ],
)  # fmt: skip
def test_record_actions_need_their_fields(step, expected):
    assert problems(steps({"id": "a", **step})) == expected
