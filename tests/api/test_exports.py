"""Exports end to end: a run's export step makes a CSV the tenant lists, reads and downloads,
and whose link it is emailed; another tenant sees none of it."""

from __future__ import annotations

from tests.api.conftest import Stack, finished, problem


async def test_a_run_exports_records_the_tenant_downloads_and_is_emailed_the_link(
    stack: Stack,
) -> None:
    for record_id, data in (
        ("l1", {"name": "Ann", "status": "qualified", "phone": "+1 555 0100"}),
        ("l2", {"name": "Bo, Jr.", "status": "qualified", "phone": "=cmd|' /C calc'!A0"}),
        ("l3", {"name": "Cy", "status": "new"}),
    ):
        created = await stack.api.post("/v1/records/lead", json={"id": record_id, "data": data})
        assert created.status_code == 201, created.text
    await stack.create_active(
        {
            "name": "Lead report",
            "trigger": {"type": "event", "event": "report.requested"},
            "steps": [
                {"id": "export", "type": "export", "record_type": "lead",
                 "filter": {"status": "qualified"}, "columns": ["id", "name", "phone"],
                 "sort": "id", "email": {"to": "{{ email }}", "subject": "Lead report"}},
            ],
        }
    )  # fmt: skip
    sent = await stack.api.post(
        "/v1/events", json={"type": "report.requested", "data": {"email": "ann@acme.com"}}
    )
    run = await stack.wait_run(sent.json()["runs"][0]["id"], finished)
    assert run["status"] == "completed", run

    [listed] = (await stack.api.get("/v1/exports")).json()["items"]
    export_id = listed["id"]
    described = (await stack.api.get(f"/v1/exports/{export_id}")).json()
    assert described == listed
    assert {k: described[k] for k in ("record_type", "filter", "columns", "rows", "truncated")} == {
        "record_type": "lead", "filter": {"status": "qualified"},
        "columns": ["id", "name", "phone"], "rows": 2, "truncated": False,
    }  # fmt: skip
    assert described["run_id"] == run["id"]
    assert described["download"] == f"/v1/exports/{export_id}/download"

    download = await stack.api.get(described["download"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="lead-{export_id}.csv"'
    )
    assert download.text == (
        "id,name,phone\r\nl1,Ann,'+1 555 0100\r\nl2,\"Bo, Jr.\",'=cmd|' /C calc'!A0\r\n"
    )

    [email] = stack.smtp.messages
    assert email.message["Subject"] == "Lead report"
    assert f"/v1/exports/{export_id}/download" in email.message.get_content()

    assert (await stack.api.get("/v1/exports", params={"record_type": "deal"})).json() == {
        "items": [], "next_cursor": None,
    }  # fmt: skip
    async with stack.other_tenant() as other:
        problem(await other.get(f"/v1/exports/{export_id}"), 404)
        problem(await other.get(f"/v1/exports/{export_id}/download"), 404)
        assert (await other.get("/v1/exports")).json()["items"] == []
    problem(await stack.api.get("/v1/exports/exp_nope/download"), 404)
    problem(await stack.api.get("/v1/exports", params={"cursor": "garbage"}), 400)


async def test_an_export_step_with_a_bad_filter_is_refused_with_its_path(stack: Stack) -> None:
    refused = await stack.api.post(
        "/v1/workflows",
        json={
            "name": "Broken report",
            "trigger": {"type": "event", "event": "report.requested"},
            "steps": [{"id": "export", "type": "enqueue_export", "entity_type": "lead",
                       "filters": {"score": {"$between": [1, 2]}}}],
        },
    )  # fmt: skip
    body = problem(refused, 422)
    assert [error["path"] for error in body["errors"]] == ["steps[0].filters.score.$between"]
