"""``relay validate FILE`` and ``relay schema``: what a person sees, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from definitions.documents import dump_yaml
from definitions.schema import definition_json_schema
from worker.cli import main

GOOD: dict[str, Any] = {
    "name": "Welcome",
    "trigger": {"event": "user.signed_up"},
    "steps": [{"id": "hi", "type": "email", "to": "{{ email }}", "subject": "Hi", "body": "Hello"}],
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_valid_file_exits_0_with_a_summary(tmp_path, capsys):
    path = write(tmp_path, "good.json", json.dumps(GOOD))
    status, out, err = run(capsys, "validate", path)
    assert status == 0
    assert out == f"{path}: valid (1 nodes, 1 edges; 0 error(s), 0 warning(s))\n"
    assert err == ""


def test_yaml_files_validate_too(tmp_path, capsys):
    path = write(tmp_path, "good.yaml", dump_yaml(GOOD))
    assert run(capsys, "validate", path)[0] == 0


def test_warnings_are_printed_but_do_not_fail(tmp_path, capsys):
    document = json.loads(json.dumps(GOOD))
    document["steps"][0]["body"] = "{{ steps.nope.output }}"
    path = write(tmp_path, "warn.json", json.dumps(document))
    status, out, err = run(capsys, "validate", path)
    assert status == 0
    assert err == f"{path}: warning: steps[0].body: steps.nope: no step has the id 'nope'\n"
    assert "1 warning(s)" in out


def test_errors_exit_1_with_each_problem_and_its_path(tmp_path, capsys):
    document = json.loads(json.dumps(GOOD))
    document["steps"][0]["type"] = "fax"
    document["steps"][0]["body"] = "{{ vars.x }}"
    path = write(tmp_path, "bad.json", json.dumps(document))
    status, out, err = run(capsys, "validate", path)
    assert status == 1
    assert err.splitlines() == [
        f"{path}: error: steps[0].type: unknown node type 'fax' (activity, add_note, add_tag, "
        "add_to_list, condition, create_record, delete_record, export, for_each, goal, http_request, "
        "notify, parallel, query_records, remove_from_list, remove_tag, send_email, send_sms, "
        "set, slack, split, stop, sub_workflow, switch, update_record, wait, wait_condition, "
        "wait_for_event)",
        f"{path}: warning: steps[0].body: vars.x is never set: no set step or output names it",
    ]
    assert out == f"{path}: invalid (1 error(s), 1 warning(s))\n"


@pytest.mark.parametrize(("name", "text"), [("bad.json", "{"), ("bad.yaml", "a: [")])
def test_a_file_that_does_not_parse_exits_1(tmp_path, capsys, name, text):
    path = write(tmp_path, name, text)
    status, _, err = run(capsys, "validate", path)
    assert status == 1
    assert "error: <root>: not valid" in err


def test_a_missing_file_exits_2(tmp_path, capsys):
    status, _, err = run(capsys, "validate", str(tmp_path / "nope.json"))
    assert status == 2 and "No such file" in err


def test_schema_prints_or_writes_the_json_schema(tmp_path, capsys):
    status, out, _ = run(capsys, "schema")
    assert status == 0 and json.loads(out) == definition_json_schema()
    target = tmp_path / "s.json"
    assert run(capsys, "schema", "-o", str(target))[0] == 0
    assert json.loads(target.read_text(encoding="utf-8")) == definition_json_schema()
