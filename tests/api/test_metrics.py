"""``GET /metrics`` is scrapeable without a key and counts what users did, tenant-free."""

from __future__ import annotations

from tests.api.conftest import Stack, finished

GREETING = {
    "name": "Greet new leads",
    "trigger": {"type": "event", "event": "lead.created"},
    "steps": [
        {"id": "hello", "type": "send_email", "to": "{{ email }}", "subject": "Hi", "body": "Hi"}
    ],
}


def _samples(text: str) -> dict[str, float]:
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def test_metrics_count_runs_workflows_deliveries_and_events_without_a_key(
    stack: Stack,
) -> None:
    async with stack.api_as(None) as anonymous:
        before = _samples((await anonymous.get("/metrics")).text)
        await stack.create_active(GREETING)
        accepted = await stack.api.post(
            "/v1/events", json={"type": "lead.created", "data": {"email": "ann@example.com"}}
        )
        await stack.wait_run(accepted.json()["runs"][0]["id"], finished)
        response = await anonymous.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE relay_runs gauge" in response.text
    after = _samples(response.text)

    def grew(sample: str) -> float:
        return after.get(sample, 0) - before.get(sample, 0)

    assert grew('relay_runs{status="completed"}') == 1
    assert grew('relay_workflows{status="active"}') == 1
    assert grew('relay_deliveries{channel="email",status="delivered"}') == 1
    assert grew("relay_events_stored") == 1
    assert "ann@example.com" not in response.text
    assert stack.tenant_id not in response.text
