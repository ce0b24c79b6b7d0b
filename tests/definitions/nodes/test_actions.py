"""Actions that reach out (definitions.nodes.actions): HTTP, Slack and activity steps' own fields,
checked at validation, and their aliases."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import load_definition


def action(config: dict[str, Any], type_: str = "http_request") -> list[tuple[str, str]]:
    document = {"name": "n", "steps": [{"id": "a", "type": type_, **config}]}
    try:
        load_definition(document)
    except DefinitionError as exc:
        return [(p.path, p.message) for p in exc.problems]
    return []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            {"method": "TRACE"},
            [("steps[0].method", "method must be one of DELETE, GET, HEAD, PATCH, POST, PUT")],
        ),
        ({"method": "{{ verb }}"}, []),
        ({"body_format": "xml"}, [("steps[0].body_format", "body_format is 'json' or 'form'")]),
        (
            {"body_format": "form", "body": [1]},
            [("steps[0].body", "a form body is an object of field names and values")],
        ),
        ({"body_format": "form", "body": {"a": "1"}}, []),
        (
            {"auth": {"type": "digest"}},
            [("steps[0].auth", "auth is {\"type\": 'basic' or 'bearer', ...}")],
        ),
        (
            {"auth": {"type": "basic", "username": "u"}},
            [("steps[0].auth.password", "basic auth needs 'password'")],
        ),
        ({"auth": {"type": "bearer", "token": "{{ secrets.API_TOKEN }}"}}, []),
        ({"preset": "zapier"}, [("steps[0].preset", "preset is one of scheduling_webhook")]),
        (
            {"expect": [200, "ok"]},
            [("steps[0].expect", "expect is a list of HTTP status codes, e.g. [200, 201]")],
        ),
        ({"expect": [200, 404]}, []),
        ({"receiver_dedupes": True}, []),
        ({"receiver_dedupes": False}, []),
        (
            {"receiver_dedupes": "yes"},
            [("steps[0].receiver_dedupes", "receiver_dedupes is true or false")],
        ),
        (
            {"receiver_dedupes": "{{ dedupes }}"},
            [("steps[0].receiver_dedupes", "receiver_dedupes is true or false")],
        ),
    ],
)
def test_http_request_fields_are_checked_at_validation(
    config: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert action({"url": "https://example.com", **config}) == expected


def test_slack_needs_a_url_and_text_or_blocks_and_accepts_its_aliases() -> None:
    assert action({}, "slack") == [
        ("steps[0].url", "slack needs 'url'"),
        ("steps[0].text", "slack needs 'text' or 'blocks'"),
    ]
    document = {"name": "n", "steps": [{"id": "a", "type": "slack_message",
                "webhook_url": "https://hooks.slack.com/services/T/B/X", "message": "Deal won"}]}  # fmt: skip
    node = load_definition(document).nodes[0]
    assert (node.type, node.config) == (
        "slack",
        {"url": "https://hooks.slack.com/services/T/B/X", "text": "Deal won"},
    )


def test_only_http_steps_say_whether_their_receiver_deduplicates() -> None:
    # Slack's incoming webhooks do not honour Idempotency-Key: a resend would post twice.
    assert action({"url": "https://example.com", "receiver_dedupes": 1}, "call_webhook") == [
        ("steps[0].receiver_dedupes", "receiver_dedupes is true or false")
    ]
    slack = {"url": "https://hooks.slack.com/x", "text": "hi", "receiver_dedupes": True}
    assert action(slack, "slack") == [
        ("steps[0].receiver_dedupes", "a slack step has no key 'receiver_dedupes'")
    ]


def test_activity_needs_the_activitys_name_and_not_a_template() -> None:
    assert action({}, "activity") == [
        ("steps[0].activity", "an activity step needs the activity's name ('name')")
    ]
    assert action({"name": "{{ which }}"}, "activity") == [
        ("steps[0].activity", "the activity's name cannot be a template")
    ]
    step = {"name": "charge_card", "task_queue": "payments", "input": {"n": "{{ n }}"},
            "timeout": "30s", "retry": {"max_attempts": 2}}  # fmt: skip
    node = load_definition({"name": "n", "steps": [{"id": "a", "type": "activity", **step}]}).nodes[
        0
    ]
    assert (node.name, node.timeout, node.retry and node.retry.max_attempts) == (
        "charge_card",
        30,
        2,
    )
    assert node.config == {"task_queue": "payments", "input": {"n": "{{ n }}"}}
