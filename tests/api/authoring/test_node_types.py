"""GET /v1/node-types (what the visual builder's palette and forms are made of) and
POST /v1/workflows/validate?canonical=true (what it draws of an imported document)."""

from __future__ import annotations

from definitions.nodes import REGISTRY
from tests.api.authoring.conftest import Authoring
from tests.api.authoring.test_validate import reminder


async def test_every_node_type_is_listed_with_its_family_edges_and_config_schema(
    authoring: Authoring,
) -> None:
    async with authoring.anonymous() as anonymous:  # no tenant's data: no key needed
        response = await anonymous.get("/v1/node-types")
    assert response.status_code == 200, response.text
    body = response.json()
    types = {t["name"]: t for t in body["types"]}
    assert list(types) == list(REGISTRY)

    email = types["send_email"]
    assert (email["family"], email["kind"], email["labels"], email["plain_edge"]) == (
        "actions", "action", ["error"], True,
    )  # fmt: skip
    assert ["to", "recipient"] in email["needs"]
    assert list(email["schema"]["properties"])[:3] == ["to", "cc", "bcc"]
    assert "email" in email["aliases"]

    condition = types["condition"]
    assert condition["labels"] == ["error", "false", "true"]
    assert not condition["plain_edge"]
    # Its then/else are edges on a graph, not form fields.
    assert set(condition["flow_keys"]) >= {"then", "else"}
    assert list(condition["schema"]["properties"]) == ["condition"]

    assert types["switch"]["branch_list"] == "cases"
    assert types["split"]["branch_list"] == "variants"
    assert types["wait_for_event"]["labels"] == ["received", "timeout"]
    assert types["for_each"]["labels"] == ["body"]
    assert "body" not in types["for_each"]["schema"]["properties"]
    assert types["wait"]["schema"]["properties"]["if_past"]["enum"] == ["continue", "skip"]
    assert {t["family"] for t in body["types"]} == {
        "actions", "records", "branching", "waits", "loops", "calls", "control",
    }  # fmt: skip
    assert list(body["common"]["properties"]) == ["when", "retry", "timeout", "on_error", "output"]
    assert "start" in body["trigger"]["properties"]
    # What each condition operator compares, for the condition widget.
    operators = {o["name"]: o for o in body["operators"]}
    assert operators["between"] == {
        "name": "between", "label": "is between", "kinds": ["number", "instant"],
        "value": "pair", "ignore_case": False,
    }  # fmt: skip
    assert "bool" not in operators["contains"]["kinds"]


async def test_validate_gives_the_canonical_form_on_request(authoring: Authoring) -> None:
    document = reminder()
    document["steps"][1]["position"] = {"x": 10, "y": 20}
    plain = (await authoring.api.post("/v1/workflows/validate", json=document)).json()
    assert "definition" not in plain
    response = await authoring.api.post("/v1/workflows/validate?canonical=true", json=document)
    body = response.json()
    assert body["valid"] is True
    canonical = body["definition"]
    assert [n["id"] for n in canonical["nodes"]] == ["wait", "remind"]
    assert canonical["edges"] == [
        {"from": "trigger", "to": "wait"},
        {"from": "wait", "to": "remind"},
    ]
    assert canonical["nodes"][1]["config"]["to"] == "{{ invitee_email }}"

    # A document that does not normalise has no canonical form, only its problems.
    broken = (
        await authoring.api.post("/v1/workflows/validate?canonical=true", json={"name": "x"})
    ).json()
    assert broken["valid"] is False and "definition" not in broken
