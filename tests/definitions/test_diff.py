"""Diffs of canonical definitions: what runs differently, not how it was written."""

from typing import Any

from definitions.diff import diff_definitions
from definitions.normalise import normalise_definition


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    return normalise_definition(document).definition.canonical()


BASE = {
    "name": "Drip",
    "trigger": {"event": "user.signed_up"},
    "steps": [
        {"id": "hi", "type": "send_email", "to": "{{ email }}", "subject": "Hi", "body": "Welcome"},
        {"id": "pause", "type": "wait", "duration": "2d"},
        {"id": "tips", "type": "send_email", "to": "{{ email }}", "subject": "Tips", "body": "..."},
    ],
}


def test_the_same_graph_written_differently_has_no_diff():
    aliased = {
        "name": "Drip",
        "trigger": "user_signed_up",
        "actions": [
            {
                "id": "hi",
                "action_type": "email",
                "to_email": "{{ email }}",
                "subject": "Hi",
                "message": "Welcome",
            },
            {"id": "pause", "type": "delay", "delay": "2d"},
            {"id": "tips", "type": "email", "to": "{{ email }}", "subject": "Tips", "text": "..."},
        ],
    }
    diff = diff_definitions(canonical(BASE), canonical(aliased))
    assert diff["changed"] is False
    assert diff["nodes"] == {"added": [], "removed": [], "changed": []}


def test_changed_node_fields_are_listed_by_key_with_both_values():
    edited = {**BASE, "steps": [dict(s) for s in BASE["steps"]]}
    edited["steps"][0].update(subject="Hello", retry=3)
    edited["steps"][1]["duration"] = "3d"
    diff = diff_definitions(canonical(BASE), canonical(edited))
    assert diff["nodes"]["changed"] == [
        {
            "id": "hi",
            "keys": ["retry", "config.subject"],
            "from": {"retry": None, "config.subject": "Hi"},
            "to": {
                "retry": {
                    "max_attempts": 3,
                    "initial_interval": 1.0,
                    "backoff": 2.0,
                    "max_interval": 60.0,
                },
                "config.subject": "Hello",
            },
        },
        {
            "id": "pause",
            "keys": ["config.duration"],
            "from": {"config.duration": "2d"},
            "to": {"config.duration": "3d"},
        },
    ]
    assert diff["edges"] == {"added": [], "removed": []}


def test_a_removed_step_removes_its_node_and_rewires_the_edges():
    shorter = {**BASE, "steps": [BASE["steps"][0], BASE["steps"][2]]}
    diff = diff_definitions(canonical(BASE), canonical(shorter))
    assert [n["id"] for n in diff["nodes"]["removed"]] == ["pause"]
    assert diff["nodes"]["added"] == []
    assert diff["edges"] == {
        "added": [{"from": "hi", "to": "tips"}],
        "removed": [{"from": "hi", "to": "pause"}, {"from": "pause", "to": "tips"}],
    }


def test_trigger_settings_and_name_changes():
    edited = {
        **BASE,
        "name": "Drip v2",
        "trigger": {"event": "user.signed_up", "cancel_on": ["user.deleted"]},
        "settings": {"on_error": "stop"},
    }
    diff = diff_definitions(canonical(BASE), canonical(edited))
    assert diff["fields"] == {"name": {"from": "Drip", "to": "Drip v2"}}
    assert diff["trigger"] == {
        "keys": ["cancel_on"],
        "from": {"cancel_on": []},
        "to": {"cancel_on": ["user.deleted"]},
    }
    assert diff["settings"] == {
        "keys": ["on_error"],
        "from": {"on_error": "continue"},
        "to": {"on_error": "stop"},
    }
    assert diff["changed"] is True


def test_a_relabelled_edge_is_one_removed_and_one_added():
    def branch(label: str) -> dict[str, Any]:
        return {
            "name": "b",
            "nodes": [
                {
                    "id": "check",
                    "type": "condition",
                    "condition": {"field": "x", "operator": "exists"},
                },
                {"id": "yes", "type": "stop"},
            ],
            "edges": [
                {"from": "trigger", "to": "check"},
                {"from": "check", "to": "yes", "when": label},
            ],
        }

    diff = diff_definitions(canonical(branch("true")), canonical(branch("false")))
    assert diff["edges"] == {
        "added": [{"from": "check", "to": "yes", "when": "false"}],
        "removed": [{"from": "check", "to": "yes", "when": "true"}],
    }
