"""``GET /metrics``: Prometheus text exposition of what the database knows, unauthenticated.

Only fleet-wide counts by status and channel — no tenant ids, names or recipients — so the
endpoint can be scraped without a key, like ``/healthz``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import Deps
from storage.db import in_thread, session_scope
from storage.metrics import fleet_counts

router = APIRouter(tags=["health"])

_FAMILIES = {
    "runs": ("relay_runs", "Runs by status.", ("status",)),
    "workflows": ("relay_workflows", "Workflows by lifecycle status.", ("status",)),
    "deliveries": (
        "relay_deliveries",
        "Outbound deliveries by channel and status.",
        ("channel", "status"),
    ),
    "events": ("relay_events_stored", "Events stored (retention removes old ones).", ()),
}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(deps: Deps) -> PlainTextResponse:
    counts = await in_thread(_counts, deps)
    lines: list[str] = []
    for key, (name, help_text, labels) in _FAMILIES.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for values, count in counts[key]:
            label_text = ",".join(
                f'{label}="{_escape(value)}"' for label, value in zip(labels, values, strict=True)
            )
            lines.append(f"{name}{{{label_text}}} {count}" if label_text else f"{name} {count}")
    if deps.pace is not None:  # this process's own counts since it started
        lines += [
            "# HELP relay_intake_waiting Requests held now, until the workers catch up.",
            "# TYPE relay_intake_waiting gauge",
            f"relay_intake_waiting {deps.pace.waiting}",
            "# HELP relay_intake_held_total Requests held while the workers were behind.",
            "# TYPE relay_intake_held_total counter",
            f"relay_intake_held_total {deps.pace.held}",
            "# HELP relay_intake_held_seconds_total Seconds those requests were held.",
            "# TYPE relay_intake_held_seconds_total counter",
            f"relay_intake_held_seconds_total {deps.pace.held_seconds:.3f}",
        ]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def _counts(deps: Deps) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    with session_scope(deps.engine) as session:
        return fleet_counts(session)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
