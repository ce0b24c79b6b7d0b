"""Each request is logged once, without webhook tokens or query strings."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import Stack


async def test_requests_are_logged_without_tokens_or_query_strings(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="relay.api.access")
    await stack.api.get('/v1/records/contact?filter={"email": "ann@example.com"}')
    async with stack.api_as(None) as anonymous:
        await anonymous.post("/v1/hooks/wf_123/tok_s3cret", json={})

    lines = [r.getMessage() for r in caplog.records if r.name == "relay.api.access"]
    assert any(line.startswith("GET /v1/records/contact?… 200 ") for line in lines), lines
    assert any(line.startswith("POST /v1/hooks/wf_123/*** 404 ") for line in lines), lines
    assert "ann@example.com" not in caplog.text
    assert "tok_s3cret" not in caplog.text
