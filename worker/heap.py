"""The garbage collector tuned for a long-running ``relay worker`` or ``relay api`` process.

Python's collector counts container objects allocated since its last pass and, past 700,
scans the youngest generation; every so often it scans the oldest, which in a started worker
or API holds about 200,000 objects that live as long as the process (modules, classes,
SQLAlchemy's and pydantic's compiled machinery). Under load that took 4.5-5% of a worker's and
of the API's CPU, more than half of it on full scans of objects that can never be garbage
(``benchmarks/end_to_end.py``, PostgreSQL, ``http`` at c10 and c50, timed by the collector's
own callbacks). Once a process has built what it serves with, ``settle`` moves them out of the
collector's sight (``gc.freeze``) and lets the young generation grow larger before a pass: a
request's or a run's garbage is mostly freed by reference counting anyway, and cycles are
still collected, a little later. Measured the same way: 1.6% of a worker's CPU, 0.3% of the
API's.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations (less deallocations) of container objects between scans of the youngest
generation (Python's default: 700). The older generations keep their default ratios."""


def settle() -> None:
    """Freeze everything alive now, after a full collection (so no garbage is frozen with
    it), and raise the youngest generation's threshold. Call once, when the process has
    imported and built everything it serves with and before it serves."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
