"""``relay event send``: post one event to the API and print the runs it started."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from worker.settings import Settings

API_KEY_VARIABLE = "RELAY_API_KEY"


def send_event(
    settings: Settings,
    event_type: str,
    *,
    entity: str | None = None,
    data: str | None = None,
    event_id: str | None = None,
    api_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """0 when the API accepted the event, 1 when it refused it, 2 when it could not be sent.

    ``data`` is JSON text or ``@FILE``; the API key comes from ``RELAY_API_KEY`` or the dev
    stack's ``.relay/dev-api-key``.
    """
    try:
        payload = _data(data)
        key = api_key(settings)
    except (OSError, ValueError) as exc:
        print(f"relay event send: {exc}", file=sys.stderr)
        return 2
    event: dict[str, Any] = {"type": event_type, "data": payload}
    if entity:
        event["entity"] = entity
    if event_id:
        event["id"] = event_id
    base = api_url or f"http://{settings.api_host}:{settings.api_port}"
    try:
        with httpx.Client(base_url=base, transport=transport, timeout=30) as client:
            response = client.post(
                "/v1/events", json=event, headers={"Authorization": f"Bearer {key}"}
            )
    except httpx.HTTPError as exc:
        print(f"relay event send: cannot reach the API at {base}: {exc}", file=sys.stderr)
        return 2
    if response.status_code != 202:
        _print_problem(response)
        return 1
    accepted = response.json()
    runs = accepted["runs"]
    print(f"event {accepted['event_id']}: {len(runs)} run(s)")
    for run in runs:
        print(f"  {run['status']:<10} {run['id']}  workflow {run['workflow_id']} v{run['version']}")
    for run_id in accepted.get("signalled", []):
        print(f"  {'signalled':<10} {run_id}")
    return 0


def _data(data: str | None) -> dict[str, Any]:
    if not data:
        return {}
    text = Path(data[1:]).read_text() if data.startswith("@") else data
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--data is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("--data is a JSON object")
    return value


def api_key(settings: Settings) -> str:
    """The API key the CLI authenticates with: ``RELAY_API_KEY``, else the dev stack's key."""
    key = os.environ.get(API_KEY_VARIABLE)
    if key:
        return key.strip()
    path = settings.state_dir / "dev-api-key"
    if not path.exists():
        raise ValueError(f"set {API_KEY_VARIABLE} (or run `relay dev`, which writes {path})")
    return path.read_text().strip()


def _print_problem(response: httpx.Response) -> None:
    try:
        body = response.json()
    except ValueError:
        print(f"relay event send: HTTP {response.status_code}", file=sys.stderr)
        return
    print(f"relay event send: {body.get('title')}: {body.get('detail')}", file=sys.stderr)
    for error in body.get("errors") or []:
        print(f"  {error.get('path') or '<body>'}: {error.get('message')}", file=sys.stderr)
