"""The benchmarks' stack: an API whose port was taken before it started listens on another."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from benchmarks.stack import Stack
from storage.db import upgrade


def test_an_api_port_taken_since_it_was_picked_is_exchanged_for_a_free_one(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/relay.db"
    upgrade(url)
    stack = Stack(tmp_path, url)
    picked = stack.api_ports[0]
    with socket.socket() as taken:  # as the dev server's own services may take it
        taken.bind(("127.0.0.1", picked))
        taken.listen()
        try:
            stack.start_api()
            assert stack.api_ports[0] != picked
            answer = httpx.get(f"{stack.api_url}/healthz", timeout=30)
            assert answer.status_code == 200
        finally:
            stack.stop()
