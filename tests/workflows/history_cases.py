"""The runs whose real histories are committed under ``histories/`` and replayed by the suite.

Together they cover every node type and edge label the interpreter runs. Regenerate with
``.venv/bin/python -m tests.workflows.record_histories`` — only when a change is *meant* to be
incompatible with running workflows (and then with a versioning plan for the runs in flight).
"""

from __future__ import annotations

from typing import Any

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "actions_and_wait": (
        {
            "name": "Actions and a wait",
            "steps": [
                {
                    "id": "email",
                    "type": "send_email",
                    "to": "{{ email }}",
                    "subject": "Hi {{ name }}",
                    "body": "Welcome",
                },
                {"id": "pause", "type": "wait", "duration": "1d"},
                {"id": "sms", "type": "send_sms", "to": "+15551234567", "body": "Hi {{ name }}"},
                {
                    "id": "hook",
                    "type": "http_request",
                    "url": "{{ url }}",
                    "body": {"name": "{{ name }}"},
                },
            ],
        },
        {"email": "ann@example.com", "name": "Ann"},
    ),
    "condition_when_and_stop": (
        {
            "name": "Branches",
            "nodes": [
                {
                    "id": "check",
                    "type": "condition",
                    "condition": {"field": "score", "operator": "gte", "value": 50},
                },
                {
                    "id": "skipme",
                    "type": "http_request",
                    "url": "{{ url }}",
                    "when": {"field": "vip", "operator": "eq", "value": True},
                },
                {"id": "end", "type": "stop", "status": "completed"},
                {"id": "low", "type": "http_request", "url": "{{ url }}"},
            ],
            "edges": [
                {"from": "trigger", "to": "check"},
                {"from": "check", "to": "skipme", "when": "true"},
                {"from": "skipme", "to": "end"},
                {"from": "check", "to": "low", "when": "false"},
            ],
        },
        {"score": 80, "vip": False},
    ),
    "until_and_failures": (
        {
            "name": "Waits until, failures",
            "steps": [
                {"id": "wait", "type": "wait", "until": "{{ start_time }}", "offset": "-1h"},
                {
                    "id": "fails",
                    "type": "http_request",
                    "url": "{{ url }}/missing",
                    "on_error": "continue",
                },
                {
                    "id": "stops",
                    "type": "http_request",
                    "url": "{{ url }}/missing",
                    "on_error": "stop",
                },
            ],
        },
        {"start_time": "2020-01-01T00:00:00Z"},
    ),
    "error_edge": (
        {
            "name": "Error edge",
            "nodes": [
                {"id": "call", "type": "http_request", "url": "{{ url }}/missing"},
                {"id": "fallback", "type": "http_request", "url": "{{ url }}/fallback"},
            ],
            "edges": [
                {"from": "trigger", "to": "call"},
                {"from": "call", "to": "fallback", "when": "error"},
            ],
        },
        {},
    ),
}
