"""``relay runs list`` and ``relay runs show``: a tenant's runs, read from the API as tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from worker.send_event import api_key
from worker.settings import Settings

OUTPUT_SHOWN = 60
"""A step's output is cut to this many characters in ``runs show`` (the API has it whole)."""


def list_runs(
    settings: Settings,
    *,
    workflow: str | None = None,
    status: str | None = None,
    failed_steps: bool = False,
    limit: int = 20,
    api_url: str | None = None,
) -> int:
    """The newest runs, one a line; 0 when listed, 1 when the API refused, 2 when unreachable.
    A run's steps column puts its failed steps first, in capitals: a run that went on past a
    failed step ended ``completed`` but did not succeed."""
    params: dict[str, Any] = {"limit": limit}
    if workflow:
        params["workflow_id"] = workflow
    if status:
        params["status"] = status
    if failed_steps:
        params["has_failed_steps"] = "true"
    body = _get(settings, "/v1/runs", params, api_url)
    if body is None:
        return 2
    if "items" not in body:
        return _refused(body)
    runs = body["items"]
    if not runs:
        print("no runs")
        return 0
    print(
        table(
            ("RUN", "WORKFLOW", "VERSION", "STATUS", "STEPS", "STARTED", "DURATION", "ENTITY"),
            [
                (
                    run["id"],
                    run["workflow_id"],
                    f"v{run['version']}",
                    run["status"],
                    step_counts(run),
                    _when(run["started_at"]),
                    _duration(run.get("duration_ms")),
                    run.get("entity") or "",
                )
                for run in runs
            ],
        )
    )
    if body.get("next_cursor"):
        print(f"(newest {len(runs)} shown; --limit shows more)")
    return 0


def show_run(settings: Settings, run_id: str, *, api_url: str | None = None) -> int:
    """One run: its facts, then its steps in the order taken."""
    run = _get(settings, f"/v1/runs/{run_id}", {}, api_url)
    if run is None:
        return 2
    if "id" not in run:
        return _refused(run)
    trigger = run.get("trigger") or {}
    facts = [
        ("run", run["id"]),
        ("workflow", f"{run['workflow_id']} v{run['version']}"),
        ("status", run["status"]),
        ("steps", step_counts(run, long=True)),
        ("entity", run.get("entity")),
        ("trigger", " ".join(str(v) for v in (trigger.get("type"), trigger.get("event_id")) if v)),
        ("started", _when(run["started_at"])),
        ("completed", _when(run.get("completed_at"))),
        ("duration", _duration(run.get("duration_ms"))),
        ("variant", run.get("variant")),
        ("goal", run.get("goal")),
        ("retry of", run.get("retry_of")),
        ("error", _error(run.get("error"))),
    ]
    for name, value in facts:
        if value:
            print(f"{name:<10} {value}")
    steps = run.get("steps") or []
    if steps:
        print()
        print(
            table(
                ("STEP", "TYPE", "STATUS", "ATTEMPTS", "STARTED", "DURATION", "OUTPUT / ERROR"),
                [
                    (
                        step.get("step_key") or step["node_id"],
                        step["type"],
                        step["status"],
                        str(step["attempts"]),
                        _when(step.get("started_at")),
                        _duration(step.get("duration_ms")),
                        _error(step.get("error")) or _short(step.get("output")),
                    )
                    for step in steps
                ],
            )
        )
    return 0


def step_counts(run: dict[str, Any], *, long: bool = False) -> str:
    """``2 FAILED, 3 ok, 1 skipped`` (``long``: ``… 3 completed …``): failed steps first and
    loud, only the counts there are."""
    parts = [
        f"{run.get('steps_failed') or 0} FAILED",
        f"{run.get('steps_completed') or 0} {'completed' if long else 'ok'}",
        f"{run.get('steps_skipped') or 0} skipped",
    ]
    shown = [part for part in parts if not part.startswith("0 ")]
    return ", ".join(shown) or "none"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last one left ragged."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def _get(
    settings: Settings, path: str, params: dict[str, Any], api_url: str | None
) -> dict[str, Any] | None:
    """The API's JSON answer (a problem document when it refused), or None when it could not
    be asked (the reason printed)."""
    base = api_url or f"http://{settings.api_host}:{settings.api_port}"
    try:
        key = api_key(settings)
        with httpx.Client(base_url=base, timeout=30) as client:
            response = client.get(path, params=params, headers={"Authorization": f"Bearer {key}"})
        body: dict[str, Any] = response.json()
    except ValueError as exc:
        print(f"relay runs: {exc}", file=sys.stderr)
        return None
    except httpx.HTTPError as exc:
        print(f"relay runs: cannot reach the API at {base}: {exc}", file=sys.stderr)
        return None
    return body


def _refused(problem: dict[str, Any]) -> int:
    print(f"relay runs: {problem.get('title')}: {problem.get('detail')}", file=sys.stderr)
    for error in problem.get("errors") or []:
        print(f"  {error.get('path') or '<query>'}: {error.get('message')}", file=sys.stderr)
    return 1


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def _error(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    return f"{error.get('type') or 'error'}: {error.get('message') or ''}".strip()


def _short(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= OUTPUT_SHOWN else text[: OUTPUT_SHOWN - 1] + "…"
