"""Runs over time (/v1/stats/series, /v1/workflows/{id}/series): buckets of the period with
their runs by outcome, in SQL that SQLite and PostgreSQL both run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Stack, finished, problem
from tests.helpers.peers import RecordingHttpServer, unused_port


def calls(url: str) -> dict[str, object]:
    return {
        "name": "Call out",
        "trigger": {"type": "event", "event": "ping.sent"},
        "steps": [{"id": "call", "type": "http_request", "url": "{{ target }}",
                   "retry": {"max_attempts": 1}, "on_error": "stop"}],
    }  # fmt: skip


async def test_runs_are_counted_in_the_bucket_they_started_in(stack: Stack) -> None:
    with RecordingHttpServer() as peer:
        workflow = await stack.create_active(calls(peer.url("/")))
        dead = f"http://127.0.0.1:{unused_port()}/"
        for target in (peer.url("/a"), peer.url("/b"), dead):
            sent = await stack.api.post(
                "/v1/events", json={"type": "ping.sent", "data": {"target": target}}
            )
            await stack.wait_run(sent.json()["runs"][0]["id"], finished)

    now = datetime.now(UTC)
    period = {
        "from": (now - timedelta(days=3)).isoformat(),
        "to": (now + timedelta(minutes=1)).isoformat(),
    }
    body = (
        await stack.api.get(
            f"/v1/workflows/{workflow['id']}/series", params={**period, "buckets": 3}
        )
    ).json()
    assert len(body["buckets"]) == 3
    assert body["buckets"][0]["from"] == body["from"]
    assert body["buckets"][-1]["to"] == body["to"]
    assert [(b["runs"], b["succeeded"], b["failed"]) for b in body["buckets"]] == [
        (0, 0, 0), (0, 0, 0), (3, 2, 1)
    ]  # fmt: skip
    assert body["buckets"][2]["success_rate"] == round(2 / 3, 4)
    assert body["buckets"][0]["success_rate"] is None

    tenant = (await stack.api.get("/v1/stats/series", params={**period, "buckets": 1})).json()
    assert [(b["runs"], b["succeeded"], b["failed"], b["open"]) for b in tenant["buckets"]] == [
        (3, 2, 1, 0)
    ]
    assert tenant["per_workflow"] is None
    trends = (
        await stack.api.get(
            "/v1/stats/series", params={**period, "buckets": 3, "per_workflow": "true"}
        )
    ).json()["per_workflow"]
    assert trends == {workflow["id"]: [0, 0, 3]}
    default = (await stack.api.get("/v1/stats/series")).json()
    assert len(default["buckets"]) == 30
    assert sum(b["runs"] for b in default["buckets"]) == 3


async def test_series_refuse_bad_periods_and_other_tenants_workflows(stack: Stack) -> None:
    problem(await stack.api.get("/v1/stats/series", params={"buckets": 0}), 422)
    now = datetime.now(UTC).isoformat()
    problem(await stack.api.get("/v1/stats/series", params={"from": now, "to": now}), 422)
    problem(await stack.api.get("/v1/workflows/wf_nope/series"), 404)
