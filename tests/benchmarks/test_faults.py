"""Small runs of the fault suite: the API killed with -9 while it ingests a burst loses no
accepted event, leaves no phantom or stuck run, and no effect is missing or repeated; a
receiver that deduplicates gets the requests it left unanswered again, and every step ends."""

from __future__ import annotations

from benchmarks.faults import run_scenario


async def test_killing_the_api_during_ingest_loses_nothing(database_url: str) -> None:
    figures = await run_scenario("api_kill", database_url, events=12, wait_s=120)

    assert figures.accepted == figures.runs == 12
    assert (figures.lost, figures.phantom, figures.stuck) == (0, 0, 0)
    assert (figures.missing, figures.repeated) == (0, 0)
    assert figures.recover_s is not None


async def test_a_receiver_that_deduplicates_gets_unanswered_requests_again_and_every_step_ends(
    database_url: str,
) -> None:
    # slow_receiver answers each call's first request after the step's timeout: without
    # receiver_dedupes each step fails timeout/outcome_unknown; with it, each is sent again
    # under its key and answered from the receiver's memory.
    figures = await run_scenario(
        "slow_receiver", database_url, events=4, wait_s=120, receiver_dedupes=True
    )

    assert figures.runs == 4
    assert figures.steps == {"completed": 12}
    assert (figures.missing, figures.repeated, figures.untrue) == (0, 0, 0)
    assert figures.resent == figures.deduped >= 12  # a loaded machine may time a resend out too
