"""The flow picture: the graph's counts are the runs' paths; the SVG is a well-formed picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.analytics_runs import Seeded, seed_runs, stop_waiting
from tests.api.conftest import Stack, problem
from tests.helpers.peers import RecordingHttpServer

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def seeded(stack: Stack) -> AsyncIterator[Seeded]:
    with RecordingHttpServer() as peer:
        seeded = await seed_runs(stack, peer)
        yield seeded
        await stop_waiting(stack, seeded)


def _from_paths(seeded: Seeded) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Visits per node and moves along each (from, to) pair, read off every run's path."""
    visits: Counter[str] = Counter()
    moves: Counter[tuple[str, str]] = Counter()
    for run in seeded.runs:
        path = ["trigger", *run["path"]]
        visits.update(path[1:])
        moves.update(zip(path, path[1:], strict=False))
    return visits, moves


async def test_the_graphs_counts_equal_the_runs_paths(stack: Stack, seeded: Seeded) -> None:
    response = await stack.api.get(f"/v1/workflows/{seeded.workflow['id']}/graph")
    assert response.status_code == 200, response.text
    graph = response.json()
    visits, moves = _from_paths(seeded)
    assert graph["runs"] == len(seeded.runs) == 9
    nodes = {n["id"]: n["visits"] for n in graph["nodes"]}
    assert nodes == {"trigger": 9, **{n: visits[n] for n in nodes if n != "trigger"}}
    assert sum(nodes.values()) == 9 + sum(visits.values())
    edges = {(e["from"], e["to"], e["when"]): e["count"] for e in graph["edges"]}
    assert edges == {
        ("trigger", "ab", None): moves["trigger", "ab"],
        ("ab", "call_a", "A"): moves["ab", "call_a"],
        ("ab", "call_b", "B"): moves["ab", "call_b"],
        ("call_a", "check", None): moves["call_a", "check"],
        ("call_b", "check", None): moves["call_b", "check"],
        ("check", "hold", "true"): moves["check", "hold"],
    }
    assert moves["check", "hold"] == 2  # the two waiting runs


async def test_the_svg_is_a_well_formed_picture_with_labels_and_counts(
    stack: Stack, seeded: Seeded
) -> None:
    response = await stack.api.get(
        f"/v1/workflows/{seeded.workflow['id']}/graph", params={"format": "svg"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"trigger", "ab", "call_a", "check", "hold", "won", "9 runs", "2 visits"} <= set(texts)
    assert "true · 2" in texts  # the branch label with its count
    assert len(list(root.iter(f"{SVG}path"))) >= 6 + 1  # six edges and the arrow head


async def test_mermaid_and_bad_requests(stack: Stack, seeded: Seeded) -> None:
    path = f"/v1/workflows/{seeded.workflow['id']}/graph"
    mermaid = await stack.api.get(path, params={"format": "mermaid"})
    assert mermaid.status_code == 200
    assert mermaid.text.startswith("flowchart TD\n")
    assert '-->|"true · 2"|' in mermaid.text
    problem(await stack.api.get(path, params={"format": "png"}), 422)
    problem(await stack.api.get("/v1/workflows/wf_nope/graph"), 404)
    async with stack.other_tenant() as other:
        problem(await other.get(path), 404)


async def test_an_older_versions_flow_is_drawn_on_request(stack: Stack) -> None:
    step = {
        "id": "hello",
        "type": "send_email",
        "to": "a@example.com",
        "subject": "Hi",
        "body": ".",
    }
    first = {"name": "Two versions", "trigger": {"type": "manual"}, "steps": [step]}
    workflow = await stack.create_active(first)
    second = {**first, "steps": [step, {**step, "id": "again"}]}
    assert (await stack.api.put(f"/v1/workflows/{workflow['id']}", json=second)).status_code == 200
    path = f"/v1/workflows/{workflow['id']}/graph"

    def nodes(graph: dict[str, Any]) -> list[str]:
        return [n["id"] for n in graph["nodes"]]

    latest, older = [
        (await stack.api.get(path, params=params)).json() for params in ({}, {"version": 1})
    ]
    assert (latest["version"], nodes(latest)) == (2, ["trigger", "hello", "again"])
    assert (older["version"], nodes(older)) == (1, ["trigger", "hello"])
    problem(await stack.api.get(path, params={"version": 9}), 404)
