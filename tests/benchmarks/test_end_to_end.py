"""A tiny run of the end-to-end benchmark: every webhook it posts ends in a completed run, and
each round reports its rates, latencies, every process's CPU and memory, and the machine's CPU."""

from __future__ import annotations

from benchmarks.end_to_end import run


async def test_every_accepted_webhook_finishes_and_the_round_is_measured(
    database_url: str,
) -> None:
    rounds = await run(["set", "http"], [2], database_url=database_url, duration=2, warmup=2)

    assert [(r.workload, r.concurrency) for r in rounds] == [("set", 2), ("http", 2)]
    for figures in rounds:
        assert figures.accepted > 0
        assert (figures.lost, figures.unfinished) == (0, 0)
        assert figures.finished_per_s > 0
        assert 0 < figures.effect_p50_ms <= figures.effect_p99_ms
        assert 0 < figures.request_p50_ms <= figures.request_p99_ms
        assert set(figures.cpu_percent) == set(figures.rss_mb) == {"temporal", "worker0", "api0"}
        assert all(rss > 0 for rss in figures.rss_mb.values())
        # The whole machine was busy at least with the stack's busiest process.
        assert 0 < figures.machine_busy_percent <= 100
        assert 0 <= figures.steal_percent <= 100 - figures.machine_busy_percent
        assert figures.machine_cpu_ms_per_run >= max(figures.cpu_ms_per_run.values())
        # The load generator is part of the machine, not of the stack.
        assert 0 < figures.load_cpu_ms_per_run <= figures.machine_cpu_ms_per_run
        assert figures.history_events > 0 and figures.workflow_tasks >= 1
        # Measured as relay dev runs: every payload sealed by the codec.
        assert figures.codec and figures.sealed_runs == figures.sampled_runs > 0
    # The HTTP call runs in the run's one workflow task (a local activity).
    assert [r.workflow_tasks for r in rounds] == [1, 1]
