"""sub_workflow (definitions.nodes.calls): its aliases and checks."""

from tests.definitions.nodes.documents import (
    config,
    loads,
    problems,
    steps,
)


def test_sub_workflow_with_its_aliases():
    document = steps(
        {
            "id": "child",
            "type": "sub_workflow",
            "workflow": 42,
            "version": 3,
            "inputs": {"id": "{{ lead.id }}"},
        }
    )
    assert config(document, "child") == {
        "workflow_id": "42",
        "version": 3,
        "input": {"id": "{{ lead.id }}"},
    }
    assert loads(document)


def test_sub_workflow_problems():
    document = steps({"id": "child", "type": "sub_workflow", "version": 0, "input": ["x"]})
    assert problems(document) == [
        ("steps[0].workflow_id", "sub_workflow needs the 'workflow_id' to run"),
        ("steps[0].version", "a version is a whole number, at least 1"),
        ("steps[0].input", "input is an object of names and values"),
    ]
