"""POST /v1/workflows/render-template: the builder's live preview of one template, rendered by
the engine's sandbox against the event a simulation of the draft would start with."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from api.app import create_app
from api.deps import DEFAULT_MAX_BODY_BYTES, ApiDeps
from definitions.template_bounds import MAX_OPERATIONS
from storage.db import session_scope
from storage.tenants import issue_key
from tests.api.conftest import api_client, new_tenant, problem

ROUTE = "/v1/workflows/render-template"
BOOKING = {"name": "Reminder", "trigger": {"event": "booking.created"}, "nodes": [], "edges": []}


@pytest.fixture
def tenant(engine: Engine) -> tuple[str, str]:
    return new_tenant(engine)


@pytest.fixture
async def api(engine: Engine, tenant: tuple[str, str]) -> AsyncIterator[Any]:
    async def no_temporal() -> Any:
        raise AssertionError("a preview never talks to Temporal")

    deps = ApiDeps(engine=engine, connect_temporal=no_temporal, task_queue="unused")
    async with api_client(create_app(deps), tenant[1]) as client:
        yield client


async def preview(api: Any, template: str, **body: Any) -> dict[str, Any]:
    response = await api.post(ROUTE, json={"template": template, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_the_template_renders_against_the_given_data_with_the_catalogs_fields(
    api: Any,
) -> None:
    data = {"invitee_name": "Ann", "invitee_email": "ann@acme.example"}
    body = await preview(
        api,
        "Hi {{ invitee_name }} ({{ invitee_domain }}), from {{ tenant.name }} · {{ workflow.name }}",
        definition=BOOKING,
        data=data,
    )
    # invitee_domain is the booking type's derived field; the tenant's profile is readable.
    assert body == {
        "text": "Hi Ann (acme.example), from Acme · Reminder",
        "value": "Hi Ann (acme.example), from Acme · Reminder",
        "sample_data": False,
    }
    # One expression gives its native value; the text is its JSON.
    native = await preview(api, "{{ [attendee_count, 2] }}", data={"attendee_count": 3})
    assert (native["value"], native["text"]) == ([3, 2], "[3, 2]")
    # Secrets are never read: the reference stays as written.
    secret = await preview(api, "Bearer {{ secrets.CRM_TOKEN }}", data={})
    assert secret["text"] == "Bearer {{ secrets.CRM_TOKEN }}"


async def test_without_data_the_simulators_sample_stands_in(api: Any) -> None:
    sample = (await api.get("/v1/event-types/contact.created/sample")).json()["data"]
    lead = {"name": "Welcome", "trigger": {"event": "contact.created"}}
    body = await preview(api, "{{ contact.name }} <{{ contact.email }}>", definition=lead)
    assert body["text"] == f"{sample['contact']['name']} <{sample['contact']['email']}>"
    assert body["sample_data"] is True
    # The trigger's own sample wins over the catalog, as in a simulation.
    own = {"name": "W", "trigger": {"event": "contact.created", "sample": {"first_name": "Zed"}}}
    assert (await preview(api, "Hi {{ first_name }}", definition=own))["text"] == "Hi Zed"
    # event_type names the type when there is no draft.
    typed = await preview(api, "{{ contact.email }}", event_type="contact.created")
    assert typed["text"] == sample["contact"]["email"]


async def test_a_draft_with_errors_elsewhere_still_previews(api: Any) -> None:
    draft = {"trigger": {"event": "booking.created"}, "nodes": [{"id": "x"}], "edges": "?"}
    body = await preview(api, "{{ invitee_name }}!", definition=draft, data={"invitee_name": "A"})
    assert body["text"] == "A!"
    bad = await api.post(ROUTE, json={"template": "x", "definition": {"trigger": {"event": 3}}})
    assert problem(bad, 422)["errors"][0]["path"] == "definition.trigger"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Hi {{ invitee_name", "syntax error on line 1"),
        ("{{ ''.__class__.__mro__ }}", "not allowed"),
        ("{{ 'x' * 10**9 }}", "not allowed: repetition would exceed the output limit"),
        (
            "{% for i in range(10**5) %}{% for j in range(10**5) %}{% endfor %}{% endfor %}",
            f"more than {MAX_OPERATIONS} operations",
        ),
        (
            "{% for i in range(10**5) %}{% for j in range(10**5) %}ab{% endfor %}{% endfor %}",
            "output exceeds 100000 characters",
        ),
        ("{{ start_time | date('%d %b') }}", "is not a date or time"),
    ],
)
async def test_a_template_that_cannot_render_is_a_422_with_the_renderers_message(
    api: Any, template: str, message: str
) -> None:
    began = time.monotonic()
    response = await api.post(ROUTE, json={"template": template, "data": {"start_time": "soon"}})
    body = problem(response, 422)
    assert time.monotonic() - began < 5  # bounded: the sandbox stops hostile work early
    assert body["title"] == "Template error"
    assert message in body["detail"]
    assert body["errors"] == [{"path": "template", "message": body["detail"]}]


async def test_oversized_requests_are_refused(api: Any) -> None:
    huge = await api.post(ROUTE, json={"template": "x" * (DEFAULT_MAX_BODY_BYTES + 1)})
    assert str(DEFAULT_MAX_BODY_BYTES) in problem(huge, 413)["detail"]
    long = await api.post(ROUTE, json={"template": "{{ a }}" * 20_000})
    assert problem(long, 422)["errors"][0]["path"].endswith("template")


async def test_only_editors_preview(engine: Engine, tenant: tuple[str, str]) -> None:
    with session_scope(engine) as session:
        viewer = issue_key(session, tenant[0], name="viewer", role="viewer")
    deps = ApiDeps(engine=engine, connect_temporal=None, task_queue="unused")  # type: ignore[arg-type]
    async with api_client(create_app(deps), viewer) as client:
        problem(await client.post(ROUTE, json={"template": "x"}), 403)
