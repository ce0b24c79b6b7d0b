"""The garbage collector told what a long-running ``relay worker`` or ``relay api`` process
keeps for good.

Every so often Python's collector scans its oldest generation, which in a started worker or API
holds about 200,000 objects that live as long as the process (modules, classes, SQLAlchemy's
and pydantic's compiled machinery). Under load the collector took 4.5-5% of a worker's and of
the API's CPU, over half of it in those full scans of objects that can never be garbage
(``benchmarks/end_to_end.py``, PostgreSQL, ``http`` at c10 and c50, timed by the collector's
own callbacks). Once a process has built what it serves with, ``settle`` moves them out of the
collector's sight (``gc.freeze``): measured the same way, 2.4% of a worker's CPU and 3.0% of the
API's.

The API also lets the young generation reach ``API_YOUNG_THRESHOLD`` objects before a pass (not
Python's 700): its collector then took 0.3% of its CPU, for up to 12 MB more after bursts of events
(``benchmarks/api_memory.py``: 182-193 MB against 181, level from round to round). A worker keeps
Python's threshold: holding 10,000 waiting runs it took 525 MB with the larger one instead of
270 (``benchmarks/timer_lateness.py``), past its 300 MB limit — garbage that lives longer is
spread over more of the allocator's memory, which the process then keeps.
"""

from __future__ import annotations

import gc

API_YOUNG_THRESHOLD = 10_000
"""Allocations (less deallocations) of container objects between the API's scans of its
youngest generation."""


def settle(young_threshold: int | None = None) -> None:
    """Freeze everything alive now, after a full collection (so no garbage is frozen with it),
    and set the youngest generation's threshold when given (the older ones keep their ratios).
    Call once, when the process has imported and built everything it serves with and before
    it serves."""
    gc.collect()
    gc.freeze()
    if young_threshold is not None:
        _, middle, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, oldest)
