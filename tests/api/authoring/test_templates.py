"""The template library over HTTP: list and filter it, create drafts from it, count its use."""

from __future__ import annotations

from typing import Any

from definitions.library import TEMPLATES
from tests.api.authoring.conftest import Authoring
from tests.api.conftest import problem


async def _listed(authoring: Authoring, query: str = "") -> list[dict[str, Any]]:
    response = await authoring.api.get(f"/v1/templates{query}")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _from_template(authoring: Authoring, body: dict[str, Any]) -> dict[str, Any]:
    response = await authoring.api.post("/v1/workflows/from-template", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_list_has_every_template_with_its_category_and_no_uses_yet(
    authoring: Authoring,
) -> None:
    items = await _listed(authoring)
    assert [i["id"] for i in items] == [t.id for t in TEMPLATES]
    first = items[0]
    assert first["name"] == "Invoice reminder" and first["category"] == "billing"
    assert first["description"] and first["definition"]["steps"] and first["sample_data"]
    assert {i["usage_count"] for i in items} == {0}


async def test_each_template_comes_with_its_graph_for_a_preview(authoring: Authoring) -> None:
    for item in await _listed(authoring):
        graph = item["graph"]
        ids = [node["id"] for node in graph["nodes"]]
        assert ids[0] == "trigger"
        assert {step["id"] for step in item["definition"]["steps"]} <= set(ids)
        assert all(edge["from"] in ids and edge["to"] in ids for edge in graph["edges"])
        assert {n["visits"] for n in graph["nodes"]} == {0}


async def test_the_list_filters_by_category_and_refuses_an_unknown_one(
    authoring: Authoring,
) -> None:
    items = await _listed(authoring, "?category=follow_up")
    assert {i["id"] for i in items} == {"appointment_thank_you", "booking_follow_up"}
    problem(await authoring.api.get("/v1/templates?category=nope"), 422)


async def test_the_list_needs_an_api_key(authoring: Authoring) -> None:
    async with authoring.anonymous() as anonymous:
        problem(await anonymous.get("/v1/templates"), 401)


async def test_a_draft_from_a_template_is_its_definition_named_and_overridden(
    authoring: Authoring,
) -> None:
    overrides = {"steps": [{"id": "thank", "type": "send_email", "to": "{{ customer.email }}",
                            "subject": "Merci", "body": "Merci!"}]}  # fmt: skip
    created = await _from_template(
        authoring,
        {"template_id": "payment_thank_you", "name": "Merci", "overrides": overrides},
    )
    assert created["status"] == "draft" and created["name"] == "Merci"
    assert created["trigger_type"] == "event"
    (node,) = created["definition"]["nodes"]
    assert node["config"]["subject"] == "Merci"
    assert created["definition"]["settings"]["template"] == "payment_thank_you"


async def test_usage_counts_this_tenants_workflows_created_from_each_template(
    authoring: Authoring,
) -> None:
    for _ in range(2):
        await _from_template(authoring, {"template_id": "ticket_escalation"})
    workflow = await _from_template(authoring, {"template_id": "weekly_report"})
    # later edits do not change where a workflow came from
    response = await authoring.api.patch(
        f"/v1/workflows/{workflow['id']}", json={"settings": {"template": None}}
    )
    assert response.status_code == 200, response.text
    counts = {i["id"]: i["usage_count"] for i in await _listed(authoring)}
    assert counts["ticket_escalation"] == 2 and counts["weekly_report"] == 1
    assert counts["invoice_reminder"] == 0
    async with authoring.other_tenant() as other:
        response = await other.get("/v1/templates?category=support")
    assert [i["usage_count"] for i in response.json()["items"]] == [0]


async def test_an_unknown_template_is_404(authoring: Authoring) -> None:
    response = await authoring.api.post("/v1/workflows/from-template", json={"template_id": "x"})
    problem(response, 404)


async def test_overrides_that_break_the_definition_are_422_at_their_paths(
    authoring: Authoring,
) -> None:
    response = await authoring.api.post(
        "/v1/workflows/from-template",
        json={
            "template_id": "contract_renewal",
            "overrides": {
                "trigger": {"type": "schedule"},
                "steps": [{"id": "remind", "type": "send_email", "subject": "s", "body": "b"}],
            },
        },
    )
    body = problem(response, 422)
    assert {e["path"] for e in body["errors"]} == {"trigger.type", "steps[0].to"}
    assert (await authoring.api.get("/v1/workflows")).json()["items"] == []
