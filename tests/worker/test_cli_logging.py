"""The processes `relay` starts never log an outbound request's URL, which can carry secrets."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.helpers.peers import RecordingHttpServer
from worker.cli import configure_logging


def test_an_outbound_request_url_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the level the processes run at
    configure_logging()
    with RecordingHttpServer() as server:
        httpx.post(server.url("/services/T000/B000/webhook-secret"), json={"text": "hi"})
    assert server.requests, "the request was made"
    assert "webhook-secret" not in caplog.text
