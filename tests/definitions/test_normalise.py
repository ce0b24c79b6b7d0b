"""Every accepted input shape → the canonical graph (SPEC §2, §2.4, §2.5)."""

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import load_definition
from definitions.nodes import NODE_TYPES, type_aliases
from definitions.normalise import MAX_NODES, locate, normalise_definition

EMAIL = {"to": "{{ invitee_email }}", "subject": "Hi", "body": "Hello"}
LEAF = {"field": "lead.score", "operator": "gte", "value": 80}
LEAF_TREE = {**LEAF, "ignore_case": False}


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    return normalise_definition(document).definition.canonical()


def edges(document: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(e["from"], e["to"], e.get("when")) for e in canonical(document)["edges"]]


def node(document: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in canonical(document)["nodes"] if n["id"] == node_id)


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        normalise_definition(document)
    return [(p.path, p.message) for p in caught.value.problems]


# --------------------------------------------------------------------------- steps form


def test_steps_chain_from_the_trigger_in_order():
    document = {
        "name": "n",
        "steps": [{"id": "s1", "type": "send_email", **EMAIL}, {"id": "s2", "type": "stop"}],
    }
    assert edges(document) == [("trigger", "s1", None), ("s1", "s2", None)]
    assert [n["id"] for n in canonical(document)["nodes"]] == ["s1", "s2"]


def test_actions_is_the_scheduling_documents_name_for_steps():
    document = {"name": "n", "actions": [{"id": "a", "type": "stop"}]}
    assert edges(document) == [("trigger", "a", None)]
    assert normalise_definition(document).source_paths == {"a": "actions[0]"}


def test_missing_ids_are_generated_from_the_type():
    document = {
        "name": "n",
        "steps": [{"type": "send_email", **EMAIL}, {"type": "delay", "duration": "1h"}],
    }
    assert [n["id"] for n in canonical(document)["nodes"]] == ["send_email_1", "wait_2"]
    assert edges(document) == [("trigger", "send_email_1", None), ("send_email_1", "wait_2", None)]


def test_a_generated_id_never_takes_one_written_later_in_the_document():
    document = {
        "name": "n",
        "steps": [{"type": "send_email", **EMAIL}, {"id": "send_email_1", "type": "stop"}],
    }
    assert [n["id"] for n in canonical(document)["nodes"]] == ["send_email_2", "send_email_1"]


@pytest.mark.parametrize("key", ["order", "ordering"])
def test_steps_run_by_their_order_field_and_keep_their_submitted_paths(key):
    document = {
        "name": "n",
        "steps": [
            {"id": "second", "type": "stop", key: 2},
            {"id": "first", "type": "send_email", key: 1, **EMAIL},
        ],
    }
    normalised = normalise_definition(document)
    assert edges(document) == [("trigger", "first", None), ("first", "second", None)]
    assert normalised.source_paths == {"first": "steps[1]", "second": "steps[0]"}


def test_inactive_steps_are_dropped_and_the_chain_closes_over_them():
    document = {
        "name": "n",
        "steps": [
            {"id": "a", "type": "send_email", **EMAIL},
            {"id": "off", "type": "send_sms", "is_active": False},
            {"id": "b", "type": "stop"},
        ],
    }
    assert [n["id"] for n in canonical(document)["nodes"]] == ["a", "b"]
    assert edges(document) == [("trigger", "a", None), ("a", "b", None)]


def test_condition_then_and_else_lists_rejoin_the_next_step():
    document = {
        "name": "n",
        "steps": [
            {
                "id": "c",
                "type": "condition",
                "condition": LEAF,
                "then": [{"id": "hot", "type": "send_email", **EMAIL}],
                "else": [{"id": "cold", "type": "send_sms", "to": "+15550001111", "body": "b"}],
            },
            {"id": "after", "type": "stop"},
        ],
    }
    assert edges(document) == [
        ("trigger", "c", None),
        ("c", "hot", "true"),
        ("c", "cold", "false"),
        ("hot", "after", None),
        ("cold", "after", None),
    ]
    assert node(document, "c")["config"] == {"condition": LEAF_TREE}
    assert normalise_definition(document).source_paths["cold"] == "steps[0].else[0]"


def test_an_empty_branch_goes_straight_to_the_next_step_by_its_label():
    document = {
        "name": "n",
        "steps": [
            {
                "id": "c",
                "type": "if",
                "condition": LEAF,
                "then": [{"id": "a", "type": "send_email", **EMAIL}],
            },
            {"id": "after", "type": "stop"},
        ],
    }
    assert edges(document) == [
        ("trigger", "c", None),
        ("c", "a", "true"),
        ("a", "after", None),
        ("c", "after", "false"),
    ]


def test_a_nested_condition_without_branches_keeps_its_labels_when_rejoining():
    document = {
        "name": "n",
        "steps": [
            {
                "id": "outer",
                "type": "condition",
                "condition": LEAF,
                "then": [{"id": "inner", "type": "condition", "condition": LEAF}],
            },
            {"id": "after", "type": "stop"},
        ],
    }
    assert edges(document) == [
        ("trigger", "outer", None),
        ("outer", "inner", "true"),
        ("inner", "after", "true"),
        ("inner", "after", "false"),
        ("outer", "after", "false"),
    ]


def test_then_may_name_the_ids_of_later_steps():
    document = {
        "name": "n",
        "steps": [
            {"id": "c", "type": "condition", "condition": LEAF, "then": ["vip"]},
            {"id": "normal", "type": "send_email", **EMAIL},
            {"id": "vip", "type": "stop"},
        ],
    }
    assert edges(document) == [
        ("trigger", "c", None),
        ("c", "vip", "true"),
        ("c", "normal", "false"),
        ("normal", "vip", None),
    ]


def test_nothing_follows_an_unconditional_stop_but_a_conditional_one_continues():
    branch_stop = {
        "name": "n",
        "steps": [
            {
                "id": "c",
                "type": "condition",
                "condition": LEAF,
                "then": [{"id": "end", "type": "end"}],
            },
            {"id": "after", "type": "stop"},
        ],
    }
    assert ("end", "after", None) not in edges(branch_stop)
    assert ("c", "after", "false") in edges(branch_stop)
    guarded = {
        "name": "n",
        "steps": [{"id": "halt", "type": "stop", "when": LEAF}, {"id": "after", "type": "stop"}],
    }
    assert ("halt", "after", None) in edges(guarded)


def test_step_conditions_become_when():
    groups = [{"operator": "OR", "rules": [LEAF, {"field": "x", "operator": "equals", "value": 1}]}]
    document = {
        "name": "n",
        "steps": [{"id": "a", "type": "send_email", **EMAIL, "conditions": groups}],
    }
    assert node(document, "a")["when"] == {
        "and": [
            {"or": [LEAF_TREE, {"field": "x", "operator": "eq", "value": 1, "ignore_case": False}]}
        ]
    }


# --------------------------------------------------------------------------- graph form


def test_graph_with_from_to_when():
    document = {
        "name": "n",
        "nodes": [
            {"id": "c", "type": "condition", "condition": LEAF},
            {"id": "a", "type": "send_email", **EMAIL},
            {"id": "b", "type": "stop"},
        ],
        "edges": [
            {"from": "trigger", "to": "c"},
            {"from": "c", "to": "a", "when": "true"},
            {"from": "c", "to": "b", "when": "false"},
        ],
    }
    assert edges(document) == [("trigger", "c", None), ("c", "a", "true"), ("c", "b", "false")]


def test_graph_with_source_and_target():
    document = {
        "name": "n",
        "nodes": [{"id": "a", "type": "send_email", **EMAIL}, {"id": "b", "type": "stop"}],
        "edges": [{"source": "trigger", "target": "a"}, {"source": "a", "target": "b"}],
    }
    assert edges(document) == [("trigger", "a", None), ("a", "b", None)]


def test_marketing_nodes_and_edges_with_yes_no_branches():
    document = {
        "name": "Welcome Campaign",
        "nodes": [
            {
                "node_id": "check",
                "node_type": "condition",
                "label": "Opened?",
                "configuration": {"condition": LEAF},
            },
            {
                "node_id": "mail",
                "node_type": "send_email",
                "position_x": 100,
                "position_y": 100,
                "configuration": {
                    "to": "{{ contact.email }}",
                    "template_id": 123,
                    "subject": "Welcome!",
                },
            },
            {"node_id": "done", "node_type": "goal", "configuration": {}},
        ],
        "edges": [
            {
                "source_node": "check",
                "target_node": "mail",
                "condition_type": "yes",
                "label": "Yes, opened",
            },
            {"source_node": "check", "target_node": "done", "condition_type": "no"},
        ],
    }
    result = canonical(document)
    assert edges(document) == [
        ("check", "mail", "true"),
        ("check", "done", "false"),
        ("trigger", "check", None),
    ]
    mail = node(document, "mail")
    assert mail["config"] == {"to": "{{ contact.email }}", "template": 123, "subject": "Welcome!"}
    assert node(document, "check")["name"] == "Opened?"
    assert [n["type"] for n in result["nodes"]] == ["condition", "send_email", "goal"]


def test_an_edge_label_that_is_display_text_is_not_a_branch():
    document = {
        "name": "n",
        "nodes": [
            {"node_id": "a", "node_type": "send_email", **EMAIL},
            {"node_id": "b", "node_type": "stop"},
        ],
        "edges": [{"source_node": "a", "target_node": "b", "label": "After sending"}],
    }
    assert ("a", "b", None) in edges(document)
    document["edges"][0]["label"] = "No"
    assert ("a", "b", "false") in edges(document)


def test_erp_action_nodes_and_condition_branches():
    document = {
        "name": "n",
        "nodes": [
            {
                "id": "node_3",
                "type": "condition",
                "condition": {
                    "field": "{{invoice.reminder_count}}",
                    "operator": "less_than",
                    "value": 3,
                },
                "true_branch": ["node_4"],
                "false_branch": ["node_5"],
            },
            {
                "id": "node_4",
                "type": "action",
                "action": "send_email",
                "config": {"to": "{{invoice.customer.email}}", "template": "invoice_reminder"},
            },
            {
                "id": "node_5",
                "type": "action",
                "action": "create_ticket",
                "config": {"subject": "Escalate"},
            },
        ],
        "edges": [
            {"from": "node_3", "to": "node_4", "condition": "true"},
            {"from": "node_3", "to": "node_5", "condition": False},
        ],
    }
    assert edges(document) == [
        ("node_3", "node_4", "true"),
        ("node_3", "node_5", "false"),
        ("trigger", "node_3", None),
    ]
    assert node(document, "node_3")["config"] == {
        "condition": {
            "field": "invoice.reminder_count",
            "operator": "lt",
            "value": 3,
            "ignore_case": False,
        }
    }
    assert node(document, "node_4") == {
        "id": "node_4",
        "type": "send_email",
        "config": {"to": "{{invoice.customer.email}}", "template": "invoice_reminder"},
    }
    assert node(document, "node_5")["config"] == {"subject": "Escalate", "record_type": "ticket"}


def test_a_graph_without_trigger_edge_starts_at_the_node_nobody_points_to():
    document = {
        "name": "n",
        "nodes": [{"id": "b", "type": "stop"}, {"id": "a", "type": "send_email", **EMAIL}],
        "edges": [{"from": "a", "to": "b"}],
    }
    assert edges(document) == [("a", "b", None), ("trigger", "a", None)]


def test_numeric_ids_from_a_database_export_become_text():
    document = {
        "name": "n",
        "nodes": [{"id": 1, "type": "send_email", **EMAIL}, {"id": 2, "type": "stop"}],
        "edges": [{"from": "trigger", "to": 1}, {"from": 1, "to": 2}],
    }
    assert edges(document) == [("trigger", "1", None), ("1", "2", None)]


def test_graph_duplicate_edges_collapse_into_one():
    document = {
        "name": "n",
        "nodes": [{"id": "a", "type": "stop"}],
        "edges": [{"from": "trigger", "to": "a"}, {"source": "trigger", "target": "a"}],
    }
    assert edges(document) == [("trigger", "a", None)]


# --------------------------------------------------------------------------- aliases

SPEC_TYPE_ALIASES = {
    "email": "send_email",
    "sms": "send_sms",
    "webhook": "http_request",
    "call_webhook": "http_request",
    "slack_message": "slack",
    "send_notification": "notify",
    "internal_notification": "notify",
    "create_task": "create_record",
    "create_deal": "create_record",
    "create_ticket": "create_record",
    "update_field": "update_record",
    "update_contact": "update_record",
    "update_deal": "update_record",
    "update_booking": "update_record",
    "contact_tag_added": "add_tag",
    "calculate": "set",
    "transform": "set",
    "enqueue_export": "export",
    "if": "condition",
    "if_else": "condition",
    "delay": "wait",
    "wait_time": "wait",
    "wait_until": "wait",
    "loop": "for_each",
    "ab_split": "split",
    "end": "stop",
}


@pytest.mark.parametrize(("alias", "expected"), sorted(SPEC_TYPE_ALIASES.items()))
def test_every_spec_type_alias_maps_to_its_canonical_name(alias, expected):
    for key in ("type", "node_type", "action_type"):
        document = {"name": "n", "steps": [{"id": "x", key: alias}]}
        assert node(document, "x")["type"] == expected
    erp = {"name": "n", "nodes": [{"id": "x", "type": "action", "action": alias.upper()}]}
    assert node(erp, "x")["type"] == expected


def test_every_alias_names_a_type_of_the_language():
    assert type_aliases() and set(type_aliases().values()) <= NODE_TYPES


@pytest.mark.parametrize(
    ("alias", "record_type"),
    [
        ("create_task", "task"),
        ("create_deal", "deal"),
        ("create_ticket", "ticket"),
        ("update_contact", "contact"),
    ],
)
def test_record_aliases_keep_the_record_type_they_name(alias, record_type):
    document = {"name": "n", "steps": [{"id": "x", "type": alias, "title": "t"}]}
    assert node(document, "x")["config"] == {"title": "t", "record_type": record_type}


def test_meeting_engine_email_keys_and_template_body():
    step = {
        "id": "x",
        "action_type": "send_email",
        "action_config": {
            "subject": "Appointment Reminder",
            "template": "Hi {{contact.name}}, your appointment is at {{appointment.start_time}}",
            "to_email": "{{contact.email}}",
            "from_email": "noreply@firm.com",
        },
    }
    assert node({"name": "n", "steps": [step]}, "x")["config"] == {
        "subject": "Appointment Reminder",
        "body": "Hi {{contact.name}}, your appointment is at {{appointment.start_time}}",
        "to": "{{contact.email}}",
        "from": "noreply@firm.com",
    }


def test_a_template_name_stays_a_template_and_a_body_is_never_overwritten():
    named = {"id": "x", "type": "send_email", "to": "a@b.c", "template": "welcome_email"}
    assert node({"name": "n", "steps": [named]}, "x")["config"]["template"] == "welcome_email"
    both = {"id": "x", "type": "send_email", "to": "a@b.c", "body": "B", "template": "Hi {{ x }}"}
    assert node({"name": "n", "steps": [both]}, "x")["config"] == {
        "to": "a@b.c",
        "body": "B",
        "template": "Hi {{ x }}",
    }


def test_scheduling_document_message_and_webhook_keys():
    document = {
        "name": "n",
        "actions": [
            {
                "id": "mail",
                "action_type": "send_email",
                "recipient": "invitee",
                "subject": "S",
                "message": "Body",
            },
            {"id": "text", "action_type": "send_sms", "to_phone": "+15550001111", "message": "SMS"},
            {
                "id": "hook",
                "action_type": "webhook",
                "webhook_url": "https://example.com/h",
                "webhook_data": {"k": "v"},
            },
        ],
    }
    assert node(document, "mail")["config"] == {
        "recipient": "invitee",
        "subject": "S",
        "body": "Body",
    }
    assert node(document, "text")["config"] == {"to": "+15550001111", "body": "SMS"}
    assert node(document, "hook")["config"] == {"url": "https://example.com/h", "body": {"k": "v"}}


@pytest.mark.parametrize(
    ("config", "duration"),
    [
        ({"wait_type": "time", "wait_duration_hours": 48}, {"hours": 48}),
        ({"wait_duration_days": 2}, {"days": 2}),
        ({"delay_minutes": 30}, {"minutes": 30}),
        ({"delay_hours": 1}, {"hours": 1}),
        ({"delay": "PT48H"}, "PT48H"),
    ],
)
def test_wait_aliases_become_a_duration(config, duration):
    document = {"name": "n", "steps": [{"id": "w", "type": "wait_time", "configuration": config}]}
    assert node(document, "w")["config"] == {"duration": duration}


def test_loop_aliases_become_items_and_as():
    document = {
        "name": "n",
        "steps": [
            {"id": "l", "type": "loop", "collection": "{{ invoices }}", "item_variable": "invoice"}
        ],
    }
    assert node(document, "l") == {
        "id": "l",
        "type": "for_each",
        "config": {"items": "{{ invoices }}", "as": "invoice", "concurrency": 1},
    }


def test_description_of_a_create_task_step_is_configuration():
    document = {
        "name": "n",
        "steps": [{"id": "t", "type": "create_task", "title": "T", "description": "D"}],
    }
    assert node(document, "t")["config"]["description"] == "D"


def test_allow_failure_means_continue_on_error():
    document = {
        "name": "n",
        "steps": [{"id": "a", "type": "webhook", "url": "https://x", "allow_failure": True}],
    }
    assert node(document, "a")["on_error"] == "continue"
    document["steps"][0]["on_error"] = "stop"  # an explicit on_error wins
    assert node(document, "a")["on_error"] == "stop"


def test_retry_and_timeout_durations_become_seconds():
    document = {
        "name": "n",
        "steps": [
            {
                "id": "a",
                "type": "webhook",
                "url": "https://x",
                "timeout": "PT2M",
                "retry": {"max_attempts": 3, "initial_interval": "2s", "max_interval": "1m"},
            },
            {"id": "b", "type": "webhook", "url": "https://x", "timeout": 30, "retry": 4},
        ],
    }
    a, b = node(document, "a"), node(document, "b")
    assert a["timeout"] == 120.0
    assert a["retry"] == {
        "max_attempts": 3,
        "initial_interval": 2.0,
        "backoff": 2.0,
        "max_interval": 60.0,
    }
    assert b["timeout"] == 30.0 and b["retry"]["max_attempts"] == 4


def test_output_and_the_erp_outputs_list():
    document = {
        "name": "n",
        "steps": [
            {"id": "a", "type": "webhook", "url": "https://x", "output": "reply"},
            {"id": "b", "type": "webhook", "url": "https://x", "outputs": ["answer"]},
        ],
    }
    assert node(document, "a")["output"] == "reply" and node(document, "b")["output"] == "answer"


# --------------------------------------------------------------------------- triggers


def trigger(document_trigger: Any, key: str = "trigger") -> dict[str, Any]:
    return canonical({"name": "n", key: document_trigger, "steps": [{"id": "s", "type": "stop"}]})[
        "trigger"
    ]


def test_a_string_trigger_is_an_event_type_and_underscores_become_dots():
    assert trigger("booking_created") == {
        "type": "event",
        "event": "booking.created",
        "priority": 0,
        "cancel_on": [],
    }
    assert trigger("deal.*")["event"] == "deal.*"
    assert trigger("contact_created", key="trigger_type")["event"] == "contact.created"


def test_trigger_type_manual_and_no_trigger_are_manual():
    assert trigger("manual")["type"] == "manual"
    assert trigger({"trigger_type": "manual", "configuration": {}}) == {
        "type": "manual",
        "priority": 0,
        "cancel_on": [],
    }
    assert canonical({"name": "n", "steps": []})["trigger"]["type"] == "manual"


def test_marketing_trigger_type_and_configuration():
    # The configuration's tag filters the events (definitions.triggers.CONFIGURATION_FILTERS).
    assert trigger({"trigger_type": "contact_tag_added", "configuration": {"tag": "vip"}}) == {
        "type": "event",
        "event": "contact.tag_added",
        "filter": {
            "and": [{"field": "tag", "operator": "eq", "value": "vip", "ignore_case": False}]
        },
        "priority": 0,
        "cancel_on": [],
    }


def test_schedule_trigger_config_is_flattened():
    assert trigger({"type": "schedule", "config": {"cron": "0 9 * * *"}}) == {
        "type": "schedule",
        "cron": "0 9 * * *",
        "priority": 0,
        "cancel_on": [],
    }


def test_trigger_conditions_become_the_filter_and_cancel_on_is_canonical():
    result = trigger(
        {
            "event_type": "lead.created",
            "conditions": {"and": [LEAF]},
            "cancel_on": ["booking_cancelled"],
        }
    )
    assert result["filter"] == {"and": [LEAF_TREE]}
    assert result["cancel_on"] == ["booking.cancelled"]
    assert "event_type" not in result and "conditions" not in result


# --------------------------------------------------------------------------- problems


def test_a_non_object_document_is_refused():
    assert problems(["steps"]) == [("", "a definition must be a JSON object")]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"name": "n", "steps": {"id": "a"}}, [("steps", "must be a list of steps")]),
        ({"name": "n", "nodes": "a"}, [("nodes", "must be a list of nodes")]),
        (
            {"name": "n", "nodes": [], "edges": {"from": "a"}},
            [("edges", "must be a list of edges")],
        ),
        ({"name": "n"}, [("steps", "a definition needs 'steps' or 'nodes' + 'edges'")]),
        ({"steps": []}, [("name", "a definition needs a name")]),
        (
            {"name": "n", "steps": [], "nodes": []},
            [("nodes", "use either 'steps' or 'nodes', not both")],
        ),
        ({"name": "n", "steps": ["send_email"]}, [("steps[0]", "must be an object")]),
        ({"name": "n", "steps": [{"id": "a"}]}, [("steps[0].type", "a node needs a type")]),
        (
            {"name": "n", "nodes": [{"id": "a", "type": "action"}]},
            [("nodes[0].action", "a node needs a type")],
        ),
        (
            {"name": "n", "steps": [{"id": "trigger", "type": "stop"}]},
            [("steps[0].id", "invalid node id 'trigger'")],
        ),
        (
            {"name": "n", "steps": [{"id": "a.b", "type": "stop"}]},
            [("steps[0].id", "invalid node id 'a.b'")],
        ),
        (
            {
                "name": "n",
                "nodes": [
                    {"node_id": "a", "node_type": "stop"},
                    {"node_id": "a", "node_type": "stop"},
                ],
            },
            [("nodes[1].node_id", "duplicate node id 'a'")],
        ),
        (
            {"name": "n", "steps": [{"id": "a", "type": "stop", "then": []}]},
            [("steps[0].then", "only condition nodes have then/else")],
        ),
        (
            {"name": "n", "nodes": [], "edges": [{"from": "a"}]},
            [("edges[0]", "an edge needs 'from' and 'to' node ids")],
        ),
        (
            {"name": "n", "nodes": [], "edges": [{"from": "a", "to": "b", "condition_type": 3}]},
            [("edges[0].condition_type", "an edge label must be a string")],
        ),
        (
            {"name": "n", "trigger": 5, "steps": []},
            [("trigger", "must be an object or an event type")],
        ),
        ({"name": "n", "steps": [], "settings": "fast"}, [("settings", "must be an object")]),
    ],
)
def test_malformed_documents_are_refused_at_the_submitted_path(document, expected):
    assert problems(document) == expected


def test_typed_problems_point_into_the_submitted_document():
    document = {
        "name": "n",
        "trigger": {"event": "a.b", "priority": "high"},
        "steps": [
            {
                "id": "a",
                "type": "webhook",
                "url": "https://x",
                "timeout": "soon",
                "retry": {"max_attempts": 0},
                "output": 5,
            },
        ],
        "settings": {"on_error": "explode"},
    }
    paths = [path for path, _ in problems(document)]
    assert paths == [
        "trigger.priority",
        "steps[0].retry.max_attempts",
        "steps[0].timeout",
        "steps[0].output",
        "settings.on_error",
    ]


def test_condition_problems_point_at_the_key_the_document_used():
    bad = {"field": "a", "operator": "bogus"}
    assert [
        p
        for p, _ in problems(
            {"name": "n", "steps": [{"id": "a", "type": "stop", "conditions": bad}]}
        )
    ] == ["steps[0].conditions.operator"]
    assert [
        p for p, _ in problems({"name": "n", "steps": [{"id": "c", "type": "if", "when": [bad]}]})
    ] == ["steps[0].when[0].operator"]
    erp = {"name": "n", "nodes": [{"id": "c", "type": "condition", "config": {"condition": bad}}]}
    assert [p for p, _ in problems(erp)] == ["nodes[0].config.condition.operator"]
    trigger_doc = {
        "name": "n",
        "trigger": {"event": "a.b", "conditions": {"and": [LEAF, bad]}},
        "steps": [],
    }
    assert [p for p, _ in problems(trigger_doc)] == ["trigger.conditions.and[1].operator"]


def test_field_paths_locate_canonical_fields_in_the_submitted_document():
    document = {
        "name": "n",
        "nodes": [
            {"node_id": "m", "node_type": "send_email", "configuration": {"to_email": "x@y.z"}}
        ],
        "edges": [{"source_node": "trigger", "target_node": "m", "condition_type": "yes"}],
    }
    normalised = normalise_definition(document)
    assert normalised.locate("nodes[0].config.to") == "nodes[0].configuration.to_email"
    assert normalised.locate("nodes[0].config.subject") == "nodes[0].configuration.subject"
    assert normalised.locate("nodes[0].type") == "nodes[0].node_type"
    assert normalised.locate("edges[0].when") == "edges[0].condition_type"
    assert locate({}, "nodes[0].config.to") == "nodes[0].config.to"


# --------------------------------------------------------------------------- idempotence

EXAMPLES: list[dict[str, Any]] = [
    {
        "name": "Meeting reminder",
        "description": "Email the invitee 24 hours before the meeting",
        "trigger": {
            "type": "event",
            "event": "booking.created",
            "filter": {"field": "event_type_name", "operator": "eq", "value": "Discovery Call"},
            "entity": "{{ booking_id }}",
            "cancel_on": ["booking.cancelled"],
        },
        "steps": [
            {
                "id": "wait",
                "type": "wait",
                "until": "{{ start_time }}",
                "offset": "-24h",
                "if_past": "skip",
            },
            {
                "id": "remind",
                "type": "send_email",
                "to": "{{ invitee_email }}",
                "subject": "See you tomorrow, {{ invitee_name }}",
                "body": "Your {{ event_type_name }} is at {{ start_time }}.",
            },
        ],
        "settings": {"on_error": "continue", "timezone": "UTC"},
    },
    {
        "name": "branches",
        "trigger": "booking_created",
        "steps": [
            {
                "type": "if",
                "conditions": [{"operator": "AND", "rules": [LEAF]}],
                "then": [{"type": "email", **EMAIL, "retry": 3, "timeout": "1m"}],
                "else": [{"type": "end"}],
            },
            {"type": "webhook", "webhook_url": "https://x", "allow_failure": True, "order": 2},
        ],
    },
    {
        "name": "marketing",
        "trigger": {"trigger_type": "contact_created", "configuration": {}},
        "nodes": [
            {
                "node_id": "a",
                "node_type": "send_email",
                "configuration": {"to": "{{ contact.email }}", "subject": "Hi"},
            },
            {
                "node_id": "b",
                "node_type": "wait_time",
                "configuration": {"wait_type": "time", "wait_duration_hours": 48},
            },
        ],
        "edges": [{"source_node": "a", "target_node": "b"}],
    },
    {
        "name": "erp",
        "trigger": {"type": "schedule", "config": {"cron": "0 9 * * *"}},
        "nodes": [
            {
                "id": "c",
                "type": "condition",
                "condition": {"type": "and", "conditions": [LEAF]},
                "true_branch": ["d"],
                "false_branch": ["e"],
            },
            {
                "id": "d",
                "type": "action",
                "action": "send_email",
                "config": {"to": "a@b.c", "template": "t"},
            },
            {"id": "e", "type": "action", "action": "create_ticket", "config": {"subject": "s"}},
        ],
        "edges": [{"from": "trigger", "to": "c"}, {"from": "c", "to": "d", "condition": "true"}],
    },
]


@pytest.mark.parametrize("document", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_normalising_the_canonical_form_again_changes_nothing(document):
    first = canonical(document)
    assert canonical(first) == first


def test_a_condition_node_takes_no_guard_besides_its_condition():
    document = {"name": "n", "steps": [{"id": "c", "type": "if", "condition": LEAF, "when": LEAF}]}
    assert problems(document) == [
        ("steps[0].when", "a condition node branches on 'condition'; it takes no guard")
    ]


def test_a_definition_has_a_bounded_number_of_steps():
    steps = [{"id": f"s{i}", "type": "set", "values": {"n": i}} for i in range(MAX_NODES + 50)]
    with pytest.raises(DefinitionError) as raised:
        load_definition({"name": "huge", "steps": steps})
    # One problem, at the first step too many, not one per extra step.
    assert [p.as_dict() for p in raised.value.problems] == [
        {"path": f"steps[{MAX_NODES}]", "message": f"a definition holds at most {MAX_NODES} steps"}
    ]
    assert len(load_definition({"name": "big", "steps": steps[:MAX_NODES]}).nodes) == MAX_NODES
