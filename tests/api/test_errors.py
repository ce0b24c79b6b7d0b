"""Bad input gets a clear problem+json answer, loses nothing, and never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Stack, problem

VALID = {
    "name": "Welcome",
    "trigger": {"type": "event", "event": "user.signed_up"},
    "steps": [
        {"id": "hi", "type": "send_email", "to": "{{ email }}", "subject": "Welcome", "body": "Hi"}
    ],
}


def paths(body: dict[str, Any]) -> list[str]:
    return [e["path"] for e in body["errors"]]


# ------------------------------------------------------------------ invalid definitions → 422


async def test_every_problem_of_a_definition_is_listed_with_its_path(stack: Stack) -> None:
    response = await stack.api.post(
        "/v1/workflows",
        json={
            "name": "Broken",
            "trigger": {"type": "event", "event": "x"},
            "steps": [
                {"id": "mail", "type": "send_email", "subject": "no recipient", "body": "b"},
                {"id": "odd", "type": "teleport"},
                {"id": "later", "type": "wait", "duration": "soonish"},
            ],
        },
    )
    body = problem(response, 422)
    assert body["title"] == "Invalid definition"
    missing_to, unknown_type, bad_duration = body["errors"]
    assert missing_to["path"] == "steps[0].to"
    assert "'to'" in missing_to["message"]
    assert unknown_type["path"] == "steps[1].type"
    assert "teleport" in unknown_type["message"]
    assert bad_duration["path"] == "steps[2].duration"


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"name": "x", "steps": "x"}, "steps"),
        ({"steps": []}, "name"),
        ({"name": "x", "settings": "loud", "steps": []}, "settings"),
        (
            {
                "name": "x",
                "nodes": [{"id": "a", "type": "stop"}],
                "edges": [{"from": "a", "to": "b"}],
            },
            "edges[0].to",
        ),
        (
            {
                "name": "x",
                "trigger": {
                    "type": "event",
                    "event": "e",
                    "filter": {"field": "a", "operator": "resembles", "value": 1},
                },
                "steps": [],
            },
            "trigger.filter.operator",
        ),
        (
            {
                "name": "x",
                "trigger": {
                    "type": "event",
                    "event": "e",
                    "filter": {"field": "a", "operator": "regex", "value": "(("},
                },
                "steps": [],
            },
            "trigger.filter.value",
        ),
        (
            {"name": "x", "steps": [{"type": "send_email", "to": "{{ oops", "subject": "s"}]},
            "steps[0].to",
        ),
        (
            {
                "name": "x",
                "steps": [
                    {
                        "type": "condition",
                        "condition": {"field": "a", "operator": "eq", "value": 1},
                        "then": [{"type": 5}],
                    }
                ],
            },
            "steps[0].then[0].type",
        ),
        ({"name": "x", "steps": [{"id": ["a"], "type": "stop"}]}, "steps[0].id"),
    ],
)
async def test_wrong_shapes_are_422_at_their_path(
    stack: Stack, document: dict[str, Any], path: str
) -> None:
    body = problem(await stack.api.post("/v1/workflows", json=document), 422)
    assert path in paths(body)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"name": "x", "steps": [}', "not valid JSON"),
        (b"[1, 2]", "dictionary"),
        (b'"a string"', "dictionary"),
        (b"", "required"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_422(
    stack: Stack, content: bytes, message: str
) -> None:
    response = await stack.api.post(
        "/v1/workflows", content=content, headers={"content-type": "application/json"}
    )
    body = problem(response, 422)
    assert message in body["errors"][0]["message"]
    assert body["errors"][0]["path"] == ""


async def test_an_invalid_replacement_keeps_the_current_version(stack: Stack) -> None:
    created = (await stack.api.post("/v1/workflows", json=VALID)).json()
    broken = {**VALID, "steps": [{"type": "send_email"}]}
    problem(await stack.api.put(f"/v1/workflows/{created['id']}", json=broken), 422)
    problem(await stack.api.patch(f"/v1/workflows/{created['id']}", json={"steps": "x"}), 422)
    after = (await stack.api.get(f"/v1/workflows/{created['id']}")).json()
    assert after["version"] == 1
    assert after["definition"] == created["definition"]
    versions = (await stack.api.get(f"/v1/workflows/{created['id']}/versions")).json()
    assert [v["version"] for v in versions] == [1]


# ------------------------------------------------------------------------ invalid events → 422


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"data": {}}, "type"),
        ({"type": ""}, "type"),
        ({"type": "a", "data": [1, 2]}, "data"),
        ({"type": "a", "data": "text"}, "data"),
        ({"type": "a", "occurred_at": "yesterday"}, "occurred_at"),
        ({"type": "a", "occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at"),
        ({"type": "a", "id": "x" * 201}, "id"),
        ({"type": "a", "entity": "e" * 201}, "entity"),
        ({"type": "a", "colour": "red"}, "colour"),
    ],
)
async def test_an_invalid_event_is_422_at_its_path(
    stack: Stack, event: dict[str, Any], path: str
) -> None:
    body = problem(await stack.api.post("/v1/events", json=event), 422)
    assert paths(body) == [path]


async def test_an_invalid_event_in_a_list_is_reported_at_its_index(stack: Stack) -> None:
    events = [{"type": "a"}, {"type": "b", "data": 7}, {"no": "type"}]
    body = problem(await stack.api.post("/v1/events", json=events), 422)
    assert paths(body) == ["[1].data", "[2].type", "[2].no"]


async def test_a_body_that_is_not_an_event_is_422(stack: Stack) -> None:
    for content in (b"42", b"null", b"{", b'"event"'):
        response = await stack.api.post(
            "/v1/events", content=content, headers={"content-type": "application/json"}
        )
        problem(response, 422)


# ------------------------------------------------------------------------ unknown ids → 404

UNKNOWN = "wf_does_not_exist"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/v1/workflows/{UNKNOWN}", None),
        ("PUT", f"/v1/workflows/{UNKNOWN}", VALID),
        ("PATCH", f"/v1/workflows/{UNKNOWN}", {"name": "x"}),
        ("DELETE", f"/v1/workflows/{UNKNOWN}", None),
        ("POST", f"/v1/workflows/{UNKNOWN}/activate", None),
        ("POST", f"/v1/workflows/{UNKNOWN}/pause", None),
        ("POST", f"/v1/workflows/{UNKNOWN}/archive", None),
        ("GET", f"/v1/workflows/{UNKNOWN}/versions", None),
        ("POST", f"/v1/workflows/{UNKNOWN}/execute", {"input": {}}),
        ("GET", f"/v1/workflows/{UNKNOWN}/runs", None),
        ("GET", "/v1/runs/run_does_not_exist", None),
    ],
)
async def test_unknown_ids_are_404(stack: Stack, method: str, path: str, body: Any) -> None:
    assert "not" in problem(await stack.api.request(method, path, json=body), 404)["detail"]


# ---------------------------------------------------------------------- lists: cursor, limit


@pytest.mark.parametrize("route", ["/v1/workflows", "/v1/runs", "/v1/deliveries"])
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "WzEsMl0",  # [1, 2]
        "WyIyMDIwLTAxLTAxIiwgWzFdXQ",  # ["2020-01-01", [1]]
        "WyIyMDIwLTAxLTAxIiwgImEiLCAzXQ",  # three items
        "bnVsbA",  # null
    ],
)
async def test_a_bad_cursor_is_400(stack: Stack, route: str, cursor: str) -> None:
    body = problem(await stack.api.get(route, params={"cursor": cursor}), 400)
    assert body["title"] == "Invalid cursor"


@pytest.mark.parametrize("route", ["/v1/workflows", "/v1/runs", "/v1/deliveries"])
@pytest.mark.parametrize("limit", ["0", "-1", "201", "ten"])
async def test_a_limit_out_of_range_is_422(stack: Stack, route: str, limit: str) -> None:
    body = problem(await stack.api.get(route, params={"limit": limit}), 422)
    assert paths(body) == ["query.limit"]


async def test_unknown_filter_values_are_422(stack: Stack) -> None:
    problem(await stack.api.get("/v1/workflows", params={"status": "sleeping"}), 422)
    problem(await stack.api.get("/v1/runs", params={"status": "sleeping"}), 422)
    problem(await stack.api.get("/v1/runs", params={"since": "last week"}), 422)
    problem(await stack.api.get("/v1/runs", params={"until": "9999-12-31T23:59:59-01:00"}), 422)


# ------------------------------------------------------------------------- hostile input


def _nested(depth: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"field": "a", "operator": "eq", "value": 1}
    for _ in range(depth):
        condition = {"not": condition}
    return condition


async def test_hostile_definitions_never_500(stack: Stack) -> None:
    step = {"type": "send_email", "to": "a@example.com", "subject": "s"}
    hostile: list[dict[str, Any]] = [
        {**VALID, "name": "x" * 100_000},
        {**VALID, "name": "\u202e\U0001f600 Ünïcödé \u0000"},
        {**VALID, "steps": [{**step, "subject": "y" * 1_000_000}]},
        {**VALID, "steps": [{**step, "when": _nested(300)}]},
        {**VALID, "steps": [step] * 2000},
        {**VALID, "trigger": {"type": "event", "event": "e" * 5000}},
        {**VALID, "steps": [{**step, "id": "i" * 5000}]},
        {**VALID, "steps": [{**step, "retry": {"max_attempts": 10**30}}]},
        {**VALID, "steps": [{"type": "wait", "duration": {"hours": 1e308}}]},
        {**VALID, "trigger": {"type": "event", "event": "e", "priority": 10**30}},
    ]
    for document in hostile:
        response = await stack.api.post("/v1/workflows", json=document)
        assert response.status_code in (201, 422), response.text[:500]
        if response.status_code == 201:  # what was accepted can be read back
            read = await stack.api.get(f"/v1/workflows/{response.json()['id']}")
            assert read.status_code == 200


@pytest.mark.parametrize(
    "content",
    [
        b'{"name": "x", "steps": [], "deep": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"name": "x", "steps": [], "deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"name": NaN, "steps": []}',
        b'{"name": "x", "steps": [{"type": "http_request", "url": "http://x", "timeout": 1e400}]}',
        b'{"name": "\\ud800", "steps": []}',
        b'{"name": "x", "steps": [], "n": ' + b"9" * 5000 + b"}",
        b"\xff\xfe\x00",
    ],
)
async def test_hostile_json_never_500(stack: Stack, content: bytes) -> None:
    response = await stack.api.post(
        "/v1/workflows", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_definition_nested_too_deep_is_422_at_the_path(stack: Stack) -> None:
    step = {"type": "send_email", "to": "a@example.com", "subject": "s", "when": _nested(100)}
    body = problem(await stack.api.post("/v1/workflows", json={**VALID, "steps": [step]}), 422)
    assert body["errors"][0]["path"].startswith("steps[0].when.not.not")
    assert "deeper" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"type": "a", "data": {"x": NaN}}',
        b'{"type": "a", "data": {"x": Infinity}}',
        b'{"type": "a", "data": {"x": "\\ud800"}}',
        b'{"type": "a", "data": {"x": "nul \\u0000 byte"}}',
        b'{"type": "a\\u0000", "data": {}}',
        b'{"type": "a", "data": ' + json.dumps(_nested(100)).encode() + b"}",
        b'{"type": "a", "data": ' + b'{"a": ' * 70_000 + b"1" + b"}" * 70_000 + b"}",
        b"[" + b'{"type": "a"},' * 600 + b'{"type": "a"}]',
    ],
)
async def test_hostile_events_are_refused_not_500(stack: Stack, content: bytes) -> None:
    response = await stack.api.post(
        "/v1/events", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"


async def test_odd_but_valid_event_data_is_accepted(stack: Stack) -> None:
    data = {"emoji": "\U0001f680", "rtl": "\u202eabc", "big": 10**40, "tiny": 1e-300, "": ""}
    response = await stack.api.post("/v1/events", json={"type": "ünïcödé.event", "data": data})
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"input": [1]},
        {"input": {}, "idempotency_key": ""},
        {"input": {}, "idempotency_key": "k" * 201},
        {"input": {}, "entity": "e" * 201},
        {"input": {}, "surprise": True},
        {"input": {"x": "\u0000"}},
    ],
)
async def test_invalid_execute_bodies_are_422(stack: Stack, body: dict[str, Any]) -> None:
    created = (await stack.api.post("/v1/workflows", json=VALID)).json()
    problem(await stack.api.post(f"/v1/workflows/{created['id']}/execute", json=body), 422)
    assert (await stack.api.get("/v1/runs", params={"workflow_id": created["id"]})).json()[
        "items"
    ] == []


@pytest.mark.parametrize(
    "ident", ["a%00b", "x" * 5000, "%F0%9F%98%80", "..%2F..%2Fetc", "'; DROP TABLE runs; --"]
)
@pytest.mark.parametrize("route", ["/v1/workflows/{}", "/v1/workflows/{}/runs", "/v1/runs/{}"])
async def test_odd_ids_in_paths_are_refused_not_500(stack: Stack, route: str, ident: str) -> None:
    response = await stack.api.get(route.format(ident))
    assert response.status_code in (404, 422), response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("/v1/runs", {"entity": "a\x00"}),
        ("/v1/runs", {"workflow_id": "\x00"}),
        ("/v1/workflows", {"trigger_type": "manual\x00"}),
        ("/v1/deliveries", {"run_id": "r\x00"}),
        ("/v1/runs", {"cursor": "WyIyMDIwLTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgImFcdTAwMDAiXQ"}),
    ],
)
async def test_a_nul_in_a_query_is_refused_not_500(
    stack: Stack, route: str, params: dict[str, str]
) -> None:
    response = await stack.api.get(route, params=params)
    assert response.status_code in (400, 422), response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
