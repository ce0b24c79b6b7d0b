"""The real API served over HTTP on a loopback port, for tests that need real sockets (a client
that sees the response the moment it is sent, a CLI, a browser)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Whether nothing holds ``port`` on loopback now (a ``free_port`` picked a while ago may
    have been taken since)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` on this test's event loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    serve = asyncio.create_task(server.serve())
    for _ in range(1000):  # uvicorn only offers a flag to poll
        if server.started or serve.done():
            break
        await asyncio.sleep(0.01)
    if serve.done():
        serve.result()  # the server could not start: raise why
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serve
