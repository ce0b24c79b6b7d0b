"""Versions: show one, diff two, roll back to one; and duplicating a workflow as a new draft."""

from __future__ import annotations

from typing import Any

from tests.api.authoring.conftest import Authoring
from tests.api.conftest import problem


def welcome(subject: str = "Welcome", **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": "Welcome",
        "trigger": {"type": "event", "event": "user.signed_up"},
        "steps": [
            {"id": "hi", "type": "email", "to": "{{ email }}", "subject": subject, "body": "Hi"},
            {"id": "pause", "type": "wait", "duration": "2d"},
        ],
    }
    return document | changes


async def _versions(authoring: Authoring, subjects: list[str]) -> str:
    """A workflow with one version per subject; returns its id."""
    workflow_id: str = (await authoring.create(welcome(subjects[0])))["id"]
    for subject in subjects[1:]:
        response = await authoring.api.put(f"/v1/workflows/{workflow_id}", json=welcome(subject))
        assert response.status_code == 200, response.text
    return workflow_id


# ------------------------------------------------------------------------------- show


async def test_a_version_shows_its_canonical_and_submitted_documents(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One", "Two"])
    response = await authoring.api.get(f"/v1/workflows/{workflow_id}/versions/1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["source"] == welcome("One")
    assert body["definition"]["nodes"][0]["type"] == "send_email"  # canonical, alias resolved
    listed = (await authoring.api.get(f"/v1/workflows/{workflow_id}/versions")).json()
    assert [v["version"] for v in listed] == [2, 1]
    assert listed[1] == body


async def test_an_unknown_version_is_404_and_a_non_version_422(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One"])
    problem(await authoring.api.get(f"/v1/workflows/{workflow_id}/versions/2"), 404)
    problem(await authoring.api.get("/v1/workflows/wf_nope/versions/1"), 404)
    for number in ("0", "x", "99999999999999999999"):
        problem(await authoring.api.get(f"/v1/workflows/{workflow_id}/versions/{number}"), 422)


# ------------------------------------------------------------------------------- messages


async def test_each_way_to_make_a_version_takes_a_message_the_list_shows(
    authoring: Authoring,
) -> None:
    created = await authoring.api.post("/v1/workflows?message=First draft", json=welcome("One"))
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    url = f"/v1/workflows/{workflow_id}"
    put = await authoring.api.put(url, params={"message": "  Friendlier subject "}, json=welcome())
    assert put.status_code == 200, put.text
    patched = await authoring.api.patch(url, params={"message": "Named"}, json={"name": "Hello"})
    assert patched.status_code == 200, patched.text
    assert (await authoring.api.put(url, json=welcome("Two"))).status_code == 200
    rollback = f"{url}/rollback"
    assert (await authoring.api.post(rollback, json={"version": 1})).status_code == 200
    answer = await authoring.api.post(rollback, json={"version": 2, "message": "Back to v2"})
    assert answer.status_code == 200, answer.text
    listed = (await authoring.api.get(f"{url}/versions")).json()
    assert [(v["version"], v["message"]) for v in listed] == [
        (6, "Back to v2"),
        (5, "Rollback to version 1"),
        (4, None),
        (3, "Named"),
        (2, "Friendlier subject"),
        (1, "First draft"),
    ]


async def test_a_message_too_long_or_unstorable_is_422(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One"])
    url = f"/v1/workflows/{workflow_id}"
    for message in ("x" * 501, "nul\x00"):
        answer = problem(
            await authoring.api.put(url, params={"message": message}, json=welcome()), 422
        )
        assert any("message" in str(e["path"]) for e in answer["errors"]), answer
        body = {"version": 1, "message": message}
        problem(await authoring.api.post(f"{url}/rollback", json=body), 422)
    assert len((await authoring.api.get(f"{url}/versions")).json()) == 1


# ------------------------------------------------------------------------------- diff


async def test_diff_lists_changed_nodes_with_their_keys(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One", "Two"])
    response = await authoring.api.get(f"/v1/workflows/{workflow_id}/diff?from=1&to=2")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "from": 1,
        "to": 2,
        "changed": True,
        "fields": {},
        "trigger": None,
        "settings": None,
        "nodes": {
            "added": [],
            "removed": [],
            "changed": [
                {
                    "id": "hi",
                    "keys": ["config.subject"],
                    "from": {"config.subject": "One"},
                    "to": {"config.subject": "Two"},
                }
            ],
        },
        "edges": {"added": [], "removed": []},
    }


async def test_diff_shows_added_and_removed_nodes_edges_and_trigger(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One"])
    second = welcome("One", trigger={"type": "event", "event": "user.invited"})
    second["steps"][1:] = [{"id": "bye", "type": "stop"}]
    assert (await authoring.api.put(f"/v1/workflows/{workflow_id}", json=second)).status_code == 200
    body = (await authoring.api.get(f"/v1/workflows/{workflow_id}/diff")).json()  # latest two
    assert (body["from"], body["to"]) == (1, 2)
    assert body["trigger"] == {
        "keys": ["event"],
        "from": {"event": "user.signed_up"},
        "to": {"event": "user.invited"},
    }
    assert body["nodes"]["added"] == [{"id": "bye", "type": "stop", "config": {}}]
    assert [n["id"] for n in body["nodes"]["removed"]] == ["pause"]
    assert body["nodes"]["changed"] == []
    assert body["edges"] == {
        "added": [{"from": "hi", "to": "bye"}],
        "removed": [{"from": "hi", "to": "pause"}],
    }


async def test_a_version_diffed_with_itself_has_no_changes(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One"])
    body = (await authoring.api.get(f"/v1/workflows/{workflow_id}/diff?from=1&to=1")).json()
    assert body["changed"] is False
    problem(await authoring.api.get(f"/v1/workflows/{workflow_id}/diff?from=1&to=7"), 404)
    problem(await authoring.api.get(f"/v1/workflows/{workflow_id}/diff?from=0"), 422)


# ------------------------------------------------------------------------------- rollback


async def test_rollback_makes_a_new_version_equal_to_the_old_one(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One", "Two"])
    response = await authoring.api.post(
        f"/v1/workflows/{workflow_id}/rollback", json={"version": 1}
    )
    assert response.status_code == 200, response.text
    rolled = response.json()
    assert rolled["version"] == 3
    first = (await authoring.api.get(f"/v1/workflows/{workflow_id}/versions/1")).json()
    third = (await authoring.api.get(f"/v1/workflows/{workflow_id}/versions/3")).json()
    assert (third["definition"], third["source"]) == (first["definition"], first["source"])
    assert rolled["definition"] == first["definition"]
    diff = (await authoring.api.get(f"/v1/workflows/{workflow_id}/diff?from=1&to=3")).json()
    assert diff["changed"] is False


async def test_rolling_back_an_active_workflow_activates_the_new_version(
    authoring: Authoring,
) -> None:
    workflow_id = await _versions(authoring, ["One"])
    assert (await authoring.api.post(f"/v1/workflows/{workflow_id}/activate")).status_code == 200
    await authoring.api.put(f"/v1/workflows/{workflow_id}", json=welcome("Two"))
    rolled = (
        await authoring.api.post(f"/v1/workflows/{workflow_id}/rollback", json={"version": 1})
    ).json()
    assert (rolled["status"], rolled["version"], rolled["active_version"]) == ("active", 3, 3)


async def test_rollback_refuses_unknown_versions_bad_bodies_and_archived_workflows(
    authoring: Authoring,
) -> None:
    workflow_id = await _versions(authoring, ["One"])
    url = f"/v1/workflows/{workflow_id}/rollback"
    problem(await authoring.api.post(url, json={"version": 5}), 404)
    problem(await authoring.api.post(url, json={"version": 0}), 422)
    problem(await authoring.api.post(url, json={"version": 2**40}), 422)
    problem(await authoring.api.post(url, json={}), 422)
    problem(await authoring.api.post(url, json={"version": 1, "extra": True}), 422)
    await authoring.api.post(f"/v1/workflows/{workflow_id}/archive")
    problem(await authoring.api.post(url, json={"version": 1}), 409)


# ------------------------------------------------------------------------------- duplicate


async def test_duplicate_is_a_new_draft_named_as_a_copy(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One", "Two"])
    await authoring.api.post(f"/v1/workflows/{workflow_id}/activate")
    response = await authoring.api.post(f"/v1/workflows/{workflow_id}/duplicate")
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["id"] != workflow_id
    assert (copy["name"], copy["status"], copy["version"]) == ("Welcome (copy)", "draft", 1)
    assert copy["active_version"] is None
    source = (await authoring.api.get(f"/v1/workflows/{copy['id']}/versions/1")).json()["source"]
    assert source == welcome("Two") | {"name": "Welcome (copy)"}


async def test_duplicate_takes_a_name_and_checks_it(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One"])
    url = f"/v1/workflows/{workflow_id}/duplicate"
    named = await authoring.api.post(url, json={"name": "Welcome, EU"})
    assert named.status_code == 201 and named.json()["name"] == "Welcome, EU"
    problem(await authoring.api.post(url, json={"name": ""}), 422)
    problem(await authoring.api.post(url, json={"title": "x"}), 422)


async def test_a_long_name_still_fits_once_marked_as_a_copy(authoring: Authoring) -> None:
    long = "W" * 200
    workflow_id = (await authoring.create(welcome(name=long)))["id"]
    copy = (await authoring.api.post(f"/v1/workflows/{workflow_id}/duplicate")).json()
    assert copy["name"].endswith(" (copy)") and len(copy["name"]) == 200


# ------------------------------------------------------------------------------- tenancy


async def test_version_routes_need_a_key_and_hide_other_tenants(authoring: Authoring) -> None:
    workflow_id = await _versions(authoring, ["One", "Two"])
    calls = [
        ("GET", f"/v1/workflows/{workflow_id}/versions/1", None),
        ("GET", f"/v1/workflows/{workflow_id}/diff?from=1&to=2", None),
        ("POST", f"/v1/workflows/{workflow_id}/rollback", {"version": 1}),
        ("POST", f"/v1/workflows/{workflow_id}/duplicate", None),
    ]
    async with authoring.anonymous() as anonymous, authoring.other_tenant() as other:
        for method, url, body in calls:
            problem(await anonymous.request(method, url, json=body), 401)
            problem(await other.request(method, url, json=body), 404)
    versions = (await authoring.api.get(f"/v1/workflows/{workflow_id}/versions")).json()
    assert len(versions) == 2  # the other tenant's rollback made nothing
