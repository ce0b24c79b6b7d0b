"""A small run of the fault suite: the API killed with -9 while it ingests a burst loses no
accepted event, leaves no phantom or stuck run, and no effect is missing or repeated."""

from __future__ import annotations

from benchmarks.faults import run_scenario


async def test_killing_the_api_during_ingest_loses_nothing(database_url: str) -> None:
    figures = await run_scenario("api_kill", database_url, events=12, wait_s=120)

    assert figures.accepted == figures.runs == 12
    assert (figures.lost, figures.phantom, figures.stuck) == (0, 0, 0)
    assert (figures.missing, figures.repeated) == (0, 0)
    assert figures.recover_s is not None
