"""A tiny run of the timer benchmark: every parked run's wait ends and the run completes, and
the benchmark says how late, how much memory each process held, and, from Temporal's
histories, where the lateness arose."""

from __future__ import annotations

import re

import pytest

from benchmarks.timer_lateness import main


async def test_every_parked_wait_ends_and_its_lateness_is_told(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await main(runs=20, spread=2, lead=15, workers=1, database_url=database_url, codec=True)

    printed = capsys.readouterr().out
    assert "20 runs waiting" in printed
    assert "parked after their instant: 0; completed 20 of 20" in printed
    assert re.search(r"RSS MB \{'temporal': [\d.]+, 'worker0': [\d.]+, 'api0': [\d.]+\}", printed)
    for what in ("waits ended", "runs went on"):
        assert re.search(rf"lateness, 20 {what}: p50 -?\d+ ms  p99 -?\d+ ms  max -?\d+ ms", printed)
    # Each run's one wait, read back from its history: set, fired and taken.
    phases = (
        r"set p50 -?\d+ max -?\d+ ms; fired p50 -?\d+ max -?\d+ ms; taken p50 -?\d+ max -?\d+ ms"
    )
    assert re.search(rf"the 20 latest waits \(20\), late by: {phases}", printed)
    assert re.search(rf"a sample of all waits \(20\), late by: {phases}", printed)
