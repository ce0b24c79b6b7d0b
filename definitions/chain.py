"""Chains of runs: a run's record change (or an event it posts) starts other runs, whose changes
start others… A loop between workflows would never end, so every event a run emits carries the
run's chain depth, a run started by it is one deeper, and past a limit none starts.

An event from outside (an API client, a webhook) has depth 0; the run it starts has depth 1,
and so do runs with no recorded chain (manual, scheduled, or started before chains existed).
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_CHAIN_DEPTH = 10


def run_depth(run_trigger: dict[str, Any] | None) -> int:
    """The chain depth of a run, from the trigger stored on its row."""
    chain = (run_trigger or {}).get("chain") or {}
    return int(chain.get("depth", 1))


def emitted_chain(run_id: str, run_trigger: dict[str, Any] | None) -> dict[str, Any]:
    """The ``chain`` of an event that run ``run_id`` emits."""
    return {"depth": run_depth(run_trigger), "origin_run": run_id}


def started_chain(event_chain: dict[str, Any] | None) -> dict[str, Any]:
    """The ``chain`` of a run started by an event with ``event_chain`` (None: from outside)."""
    chain = event_chain or {}
    started: dict[str, Any] = {"depth": int(chain.get("depth", 0)) + 1}
    if chain.get("origin_run"):
        started["origin_run"] = chain["origin_run"]
    return started
