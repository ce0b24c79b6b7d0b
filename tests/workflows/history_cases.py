"""The runs whose real histories are committed under ``histories/`` and replayed by the suite.

Together they cover every node type and edge label the interpreter runs. Regenerate with
``.venv/bin/python -m tests.workflows.record_histories`` — only when a change is *meant* to be
incompatible with running workflows (and then with a versioning plan for the runs in flight).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from definitions.loading import load_definition
from workflows.contract import MigrateRequest


@dataclass
class HistoryCase:
    document: dict[str, Any]
    data: dict[str, Any]
    script: list[int] = field(default_factory=lambda: [404] * 4)
    """Statuses the HTTP peer answers first, in order (then 200)."""
    entity: str | None = None
    script_events: list[tuple[str, dict[str, Any] | float | str | MigrateRequest]] = field(
        default_factory=list
    )
    """(node id, event, seconds, ``"cancel"`` or a migration): once that node is waiting,
    signal the event, skip time, cancel the run or ask it to move to another version."""
    execution: int = 0
    """Which execution of the run is committed (1: the one after the first continue-as-new)."""
    born_patched: bool = False
    """Started as runs are now, with every patch from the start (``RunInput.patches``): its
    history has no patch markers; without, it asks Temporal as runs recorded before did."""
    sealed: bool = False
    """Recorded through the payload codec (``REPLAY_CODEC_KEY``), as every Relay client and
    worker runs: the history holds ciphertext, and replays only with the codec."""


REPLAY_CODEC_KEY = "rq_G07gATZ57uaWtRQMzaEjaGj5YqV-DTZYja1XmdUM="
"""A key for the committed sealed histories only (it protects nothing else)."""


CHILD = "__CHILD_WORKFLOW_ID__"
"""Replaced by the id of a child workflow the recorder stores first."""

CHILD_DEFINITION = {
    "name": "Child",
    "steps": [{"id": "double", "type": "set", "values": {"doubled": "{{ n * 2 }}"}}],
}

_LEGACY: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
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

CASES: dict[str, HistoryCase] = {
    name: HistoryCase(doc, data) for name, (doc, data) in _LEGACY.items()
}

CASES["sealed_actions"] = HistoryCase(
    {
        "name": "Actions through the codec",
        "steps": [
            {"id": "email", "type": "send_email", "to": "{{ email }}",
             "subject": "Hi {{ name }}", "body": "Welcome, {{ name }}"},
            {"id": "pause", "type": "wait", "duration": "1d"},
            {"id": "sms", "type": "send_sms", "to": "{{ phone }}", "body": "Hi {{ name }}"},
            {"id": "hook", "type": "http_request", "url": "{{ url }}", "body": {"name": "{{ name }}"}},
        ],
    },
    {"email": "sealed.ann@example.com", "name": "Ann Sealed", "phone": "+15557654321"},
    sealed=True,
)  # fmt: skip

CASES["switch_set_stop"] = HistoryCase(
    {
        "name": "Switch, set, stop",
        "nodes": [
            {"id": "calc", "type": "set", "values": {"total": "{{ amount * 2 }}"}},
            {
                "id": "tier",
                "type": "switch",
                "value": "{{ plan }}",
                "cases": [
                    {"name": "gold", "equals": "gold"},
                    {"name": "silver", "equals": "silver"},
                ],
            },
            {
                "id": "gold_hook",
                "type": "http_request",
                "url": "{{ url }}/gold",
                "body": {"t": "{{ vars.total }}"},
            },
            {"id": "other", "type": "stop", "status": "completed"},
        ],
        "edges": [
            {"from": "trigger", "to": "calc"},
            {"from": "calc", "to": "tier"},
            {"from": "tier", "to": "gold_hook", "when": "gold"},
            {"from": "tier", "to": "other", "when": "default"},
        ],
    },
    {"amount": 21, "plan": "gold"},
    script=[],
)
CASES["loops"] = HistoryCase(
    {
        "name": "Loops",
        "steps": [
            {
                "id": "one_by_one",
                "type": "for_each",
                "items": "{{ items }}",
                "as": "item",
                "body": [
                    {
                        "id": "call",
                        "type": "http_request",
                        "url": "{{ url }}/one",
                        "body": {"n": "{{ item }}"},
                    }
                ],
            },
            {
                "id": "together",
                "type": "for_each",
                "items": "{{ items }}",
                "concurrency": 3,
                "body": [
                    {
                        "id": "call2",
                        "type": "http_request",
                        "url": "{{ url }}/many",
                        "body": {"n": "{{ item }}"},
                    }
                ],
            },
        ],
    },
    {"items": [1, 2, 3]},
    script=[],
)
CASES["parallel_and_split"] = HistoryCase(
    {
        "name": "Parallel and split",
        "steps": [
            {
                "id": "both",
                "type": "parallel",
                "branches": [
                    [{"id": "left", "type": "http_request", "url": "{{ url }}/left"}],
                    [{"id": "right", "type": "http_request", "url": "{{ url }}/right"}],
                ],
            },
            {
                "id": "race",
                "type": "parallel",
                "join": "any",
                "branches": [
                    [{"id": "fast", "type": "http_request", "url": "{{ url }}/fast"}],
                    [{"id": "slow", "type": "wait", "duration": "1d"}],
                ],
            },
            {
                "id": "ab",
                "type": "split",
                "variants": [
                    {
                        "name": "A",
                        "weight": 50,
                        "steps": [{"id": "a", "type": "http_request", "url": "{{ url }}/a"}],
                    },
                    {
                        "name": "B",
                        "weight": 50,
                        "steps": [{"id": "b", "type": "http_request", "url": "{{ url }}/b"}],
                    },
                ],
            },
        ],
    },
    {},
    script=[],
)
CASES["events_and_goal"] = HistoryCase(
    {
        "name": "Events and a goal",
        "nodes": [
            {"id": "paid", "type": "wait_for_event", "event": "invoice.paid", "timeout": "P7D"},
            {
                "id": "never",
                "type": "wait_for_event",
                "event": "invoice.refunded",
                "timeout": "P1D",
            },
            {
                "id": "vip",
                "type": "wait_condition",
                "condition": {"field": "tier", "operator": "eq", "value": "vip"},
                "timeout": "P30D",
            },
            {"id": "pause", "type": "wait", "duration": "P10D"},
            {
                "id": "won",
                "type": "goal",
                "condition": {"field": "status", "operator": "eq", "value": "customer"},
            },
        ],
        "edges": [
            {"from": "trigger", "to": "paid"},
            {"from": "paid", "to": "never", "when": "received"},
            {"from": "never", "to": "vip", "when": "timeout"},
            {"from": "vip", "to": "pause"},
        ],
    },
    {},
    script=[],
    entity="cust-1",
    script_events=[
        (
            "paid",
            {
                "type": "invoice.paid",
                "id": "e1",
                "occurred_at": "2026-01-01T00:00:00+00:00",
                "entity": "cust-1",
                "data": {"amount": 10},
                "previous": None,
            },
        ),
        ("never", 2 * 86400.0),
        (
            "vip",
            {
                "type": "customer.updated",
                "id": "e2",
                "occurred_at": "2026-01-02T00:00:00+00:00",
                "entity": "cust-1",
                "data": {"tier": "vip"},
                "previous": None,
            },
        ),
        (
            "pause",
            {
                "type": "customer.updated",
                "id": "e3",
                "occurred_at": "2026-01-03T00:00:00+00:00",
                "entity": "cust-1",
                "data": {"status": "customer"},
                "previous": None,
            },
        ),
    ],  # fmt: skip
)
CASES["sub_workflow"] = HistoryCase(
    {
        "name": "Parent",
        "steps": [
            {"id": "child", "type": "sub_workflow", "workflow_id": CHILD, "input": {"n": 21}},
            {
                "id": "report",
                "type": "http_request",
                "url": "{{ url }}/report",
                "body": {"doubled": "{{ steps.child.output.vars.doubled }}"},
            },
        ],
    },
    {},
    script=[],
)
CASES["cancelled"] = HistoryCase(
    {
        "name": "Cancelled while waiting",
        "nodes": [
            {"id": "hook", "type": "http_request", "url": "{{ url }}"},
            {"id": "both", "type": "parallel", "branches": [
                [{"id": "pause", "type": "wait", "duration": "1d"}],
                [{"id": "reply", "type": "wait_for_event", "event": "reply.received",
                  "timeout": "P7D"}],
            ]},
            {"id": "after", "type": "http_request", "url": "{{ url }}/after"},
        ],
        "edges": [
            {"from": "trigger", "to": "hook"},
            {"from": "hook", "to": "both"},
            {"from": "both", "to": "after"},
        ],
    },
    {},
    script=[],
    entity="lead-1",
    script_events=[("reply", "cancel")],
)  # fmt: skip
CASES["date_trigger_and_reschedule"] = HistoryCase(
    {
        "name": "Reminder before a meeting that moves",
        "trigger": {
            "event": "booking.created",
            "start": {"before": "24h", "field": "start_time", "if_past": "skip"},
        },
        "steps": [
            {"id": "remind", "type": "http_request", "url": "{{ url }}/remind"},
            {"id": "wait", "type": "wait", "until": "{{ end_time }}", "offset": "1h",
             "reschedule_on": ["booking.rescheduled"]},
            {"id": "thanks", "type": "http_request", "url": "{{ url }}/thanks"},
        ],
    },
    # Far apart, so that skipping four years lands between the moved reminder and the end
    # (the time-skipping server times a run out after ten simulated years).
    {"start_time": "2030-01-10T15:00:00Z", "end_time": "2031-01-01T16:00:00Z"},
    script=[],
    entity="booking-9",
    script_events=[
        ("trigger", {"type": "booking.rescheduled", "id": "m1",
                     "occurred_at": "2026-01-01T00:00:00+00:00", "entity": "booking-9",
                     "data": {"start_time": "2030-01-12T15:00:00Z"}, "previous": None}),
        ("trigger", 4 * 365 * 86400.0),
        ("wait", {"type": "booking.rescheduled", "id": "m2",
                  "occurred_at": "2026-01-02T00:00:00+00:00", "entity": "booking-9",
                  "data": {"end_time": "2031-03-01T16:00:00Z"}, "previous": None}),
    ],
)  # fmt: skip
CASES["custom_activity"] = HistoryCase(
    {
        "name": "Custom activity",
        "steps": [
            # Any activity by name; one registered on the recorder's worker stands in for a
            # team's own (examples/custom_activity runs on a queue of its own).
            {
                "id": "lookup",
                "type": "activity",
                "name": "relay.load_definition",
                "input": {"tenant_id": "t_test", "workflow_id": CHILD},
                "timeout": "30s",
                "retry": {"max_attempts": 2},
                "output": "child",
            },
            {
                "id": "report",
                "type": "http_request",
                "url": "{{ url }}/report",
                "body": {"name": "{{ child.name }}"},
            },
        ],
    },
    {},
    script=[],
)
CASES["reschedule_into_the_past"] = HistoryCase(
    {
        "name": "Meeting moved into the past",
        "trigger": {"event": "booking.created"},
        "steps": [
            # Moved into the past, a wait goes on at once (if_past continue)…
            {"id": "before", "type": "wait", "until": "{{ start_time }}", "offset": "-24h"},
            {"id": "remind", "type": "http_request", "url": "{{ url }}/remind"},
            # …or ends the run skipped (if_past skip), under its own patch.
            {"id": "after", "type": "wait", "until": "{{ end_time }}", "offset": "1h",
             "if_past": "skip"},
            {"id": "thanks", "type": "http_request", "url": "{{ url }}/thanks"},
        ],
    },
    {"start_time": "2030-01-10T15:00:00Z", "end_time": "2030-01-10T16:00:00Z"},
    script=[],
    entity="booking-7",
    script_events=[
        ("before", {"type": "booking.rescheduled", "id": "p1",
                    "occurred_at": "2026-01-01T00:00:00+00:00", "entity": "booking-7",
                    "data": {"start_time": "2020-01-10T15:00:00Z"}, "previous": None}),
        ("after", {"type": "booking.rescheduled", "id": "p2",
                   "occurred_at": "2026-01-01T00:00:00+00:00", "entity": "booking-7",
                   "data": {"end_time": "2020-01-10T16:00:00Z"}, "previous": None}),
    ],
)  # fmt: skip


_BEFORE_THE_FIX = {
    "name": "Follow-up with a broken second call",
    "steps": [
        {"id": "first", "type": "http_request", "url": "{{ url }}/first"},
        {"id": "pause", "type": "wait", "duration": "1d"},
        {"id": "second", "type": "http_request", "url": "{{ url }}/second-broken"},
    ],
}
_FIXED = {
    "name": "Follow-up with a broken second call",
    "steps": [
        {"id": "pause", "type": "wait", "duration": "2d"},
        {"id": "second", "type": "http_request", "url": "{{ url }}/second"},
        {"id": "third", "type": "http_request", "url": "{{ url }}/third"},
    ],
}
_MOVE = MigrateRequest("m_replay", 2, load_definition(_FIXED).canonical())
# A run moved to another version (workflows.moves) at its wait: the execution that takes the
# signal and continues-as-new onto version 2, and the one that goes on there (its wait
# recomputed from when it began).
CASES["migrated"] = HistoryCase(_BEFORE_THE_FIX, {}, script=[], script_events=[("pause", _MOVE)])
CASES["migrated_onward"] = HistoryCase(
    _BEFORE_THE_FIX, {}, script=[], script_events=[("pause", _MOVE)], execution=1
)

# Short actions run as local activities (``workflows.policies.runs_locally``): an email, an HTTP
# call answered 503 then 404 (retried locally, then failed and continued past), and an HTTP
# call whose 5-minute timeout keeps it an ordinary activity.
CASES["local_actions"] = HistoryCase(
    {
        "name": "Local actions",
        "steps": [
            {"id": "email", "type": "send_email", "to": "{{ email }}", "subject": "Hi",
             "body": "Welcome"},
            {"id": "flaky", "type": "http_request", "url": "{{ url }}", "on_error": "continue",
             "retry": {"max_attempts": 3, "initial_interval": 0.1}},
            {"id": "long", "type": "http_request", "url": "{{ url }}", "timeout": "5m"},
            {"id": "done", "type": "set", "values": {"ok": True}},
        ],
    },
    {"email": "ann@example.com"},
    script=[503, 404],
)  # fmt: skip

# Runs started with every patch from their start (``workflows.policies.PATCHES``): the same
# local actions and wait moved into the past, with no patch marker nor search-attribute upsert.
CASES["local_actions_born_patched"] = replace(CASES["local_actions"], born_patched=True)
CASES["reschedule_into_the_past_born_patched"] = replace(
    CASES["reschedule_into_the_past"], born_patched=True
)

# Waits aimed again before their instant (``workflows.policies.REAIM_BEFORE``): a day's wait,
# a wait for an instant the entity's events move, and waits for events and a condition with
# timeouts, each on a timer to ten seconds before its instant and then one for what is left.
CASES["actions_and_wait_born_patched"] = replace(CASES["actions_and_wait"], born_patched=True)
CASES["date_trigger_and_reschedule_born_patched"] = replace(
    CASES["date_trigger_and_reschedule"], born_patched=True
)
CASES["events_and_goal_born_patched"] = replace(CASES["events_and_goal"], born_patched=True)
