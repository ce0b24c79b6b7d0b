"""POST /v1/workflows/validate and /{id}/validate: a report of errors and warnings, no side effects."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from storage.db import session_scope
from storage.models import Workflow, WorkflowVersion
from tests.api.authoring.conftest import Authoring
from tests.api.conftest import problem


def reminder(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": "Reminder",
        "trigger": {"type": "event", "event": "booking.created"},
        "steps": [
            {"id": "wait", "type": "wait", "until": "{{ start_time }}", "offset": "-24h"},
            {
                "id": "remind",
                "type": "send_email",
                "to": "{{ invitee_email }}",
                "subject": "See you, {{ invitee_name }}",
                "body": "Starts at {{ start_time }}.",
            },
        ],
    }
    return document | changes


def _rows(authoring: Authoring) -> tuple[int, int]:
    with session_scope(authoring.engine) as session:
        workflows = session.exec(select(func.count()).select_from(Workflow)).one()
        versions = session.exec(select(func.count()).select_from(WorkflowVersion)).one()
    return workflows, versions


async def test_a_valid_draft_reports_valid_with_no_errors_or_warnings(authoring: Authoring) -> None:
    before = _rows(authoring)
    response = await authoring.api.post("/v1/workflows/validate", json=reminder())
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "errors": [], "warnings": []}
    assert _rows(authoring) == before  # nothing stored


async def test_errors_are_a_report_with_paths_not_a_422(authoring: Authoring) -> None:
    document = reminder()
    document["steps"][1]["type"] = "send_emial"
    document["steps"][0]["offset"] = "sometime"
    response = await authoring.api.post("/v1/workflows/validate", json=document)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False
    assert {e["path"] for e in body["errors"]} == {"steps[0].offset", "steps[1].type"}
    assert all(e["message"] for e in body["errors"])


async def test_warnings_do_not_make_a_document_invalid(authoring: Authoring) -> None:
    document = reminder()
    document["steps"][1]["body"] = "Your code: {{ steps.fetch.output.code }} {{ vars.total }}"
    body = (await authoring.api.post("/v1/workflows/validate", json=document)).json()
    assert body["valid"] is True and body["errors"] == []
    assert body["warnings"] == [
        {"path": "steps[1].body", "message": "steps.fetch: no step has the id 'fetch'"},
        {
            "path": "steps[1].body",
            "message": "vars.total is never set: no set step or output names it",
        },
    ]


async def test_a_document_that_does_not_normalise_is_reported_too(authoring: Authoring) -> None:
    for document, path in (([1, 2], ""), ({"name": "n"}, "steps"), ({"steps": []}, "name")):
        body = (await authoring.api.post("/v1/workflows/validate", json=document)).json()
        assert body["valid"] is False
        assert path in [e["path"] for e in body["errors"]], body


async def test_unstorable_values_are_reported_as_errors(authoring: Authoring) -> None:
    document = reminder(description="nul \x00 here")
    body = (await authoring.api.post("/v1/workflows/validate", json=document)).json()
    assert body == {
        "valid": False,
        "errors": [{"path": "description", "message": "contains a NUL character"}],
        "warnings": [],
    }


async def test_yaml_drafts_validate_and_bad_yaml_is_a_report(authoring: Authoring) -> None:
    headers = {"content-type": "application/yaml"}
    text = "name: Y\ntrigger: {type: manual}\nsteps:\n  - {id: s, type: stop}\n"
    response = await authoring.api.post("/v1/workflows/validate", content=text, headers=headers)
    assert response.json() == {"valid": True, "errors": [], "warnings": []}
    broken = "name: Y\nsteps:\n  - id: [\n"
    response = await authoring.api.post("/v1/workflows/validate", content=broken, headers=headers)
    assert response.status_code == 200
    ((error,),) = [response.json()["errors"]]
    assert error["message"].startswith("not valid YAML at line")


async def test_a_stored_workflow_validates_its_latest_version(authoring: Authoring) -> None:
    created = await authoring.create(reminder())
    response = await authoring.api.post(f"/v1/workflows/{created['id']}/validate")
    assert response.status_code == 200, response.text
    assert response.json() == {"valid": True, "errors": [], "warnings": []}
    patched = {
        "steps": reminder()["steps"][:1]
        + [{"id": "x", "type": "set", "values": {"a": "{{ vars.b }}"}}]
    }
    assert (
        await authoring.api.patch(f"/v1/workflows/{created['id']}", json=patched)
    ).status_code == 200
    body = (await authoring.api.post(f"/v1/workflows/{created['id']}/validate")).json()
    assert body["valid"] is True
    assert body["warnings"] == [
        {
            "path": "steps[1].values.a",
            "message": "vars.b is never set: no set step or output names it",
        }
    ]


async def test_validate_needs_a_key_and_hides_other_tenants_workflows(
    authoring: Authoring,
) -> None:
    created = await authoring.create(reminder())
    async with authoring.anonymous() as anonymous:
        problem(await anonymous.post("/v1/workflows/validate", json=reminder()), 401)
        problem(await anonymous.post(f"/v1/workflows/{created['id']}/validate"), 401)
    async with authoring.other_tenant() as other:
        problem(await other.post(f"/v1/workflows/{created['id']}/validate"), 404)
    problem(await authoring.api.post("/v1/workflows/wf_nope/validate"), 404)


async def test_an_unsupported_media_type_is_415(authoring: Authoring) -> None:
    response = await authoring.api.post(
        "/v1/workflows/validate", content="name: x", headers={"content-type": "text/plain"}
    )
    problem(response, 415)


async def test_a_template_name_the_catalog_event_does_not_carry_is_a_warning_with_the_close_one(
    authoring: Authoring,
) -> None:
    document = reminder()
    document["steps"][1]["subject"] = "See you, {{ invitee_nmae }}"
    body = (await authoring.api.post("/v1/workflows/validate", json=document)).json()
    assert body["valid"] is True
    assert body["warnings"] == [
        {
            "path": "steps[1].subject",
            "message": "no context provides 'invitee_nmae': the event has no such field; "
            "did you mean 'invitee_name'?",
        }
    ]
