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

The collector's thresholds stay Python's. Letting the young generation reach 10,000 objects
before a pass (not 700) cut it further, to 1.6% and 0.3%, but a worker holding 10,000 waiting
runs then took 525 MB instead of 270 (``benchmarks/timer_lateness.py``): garbage that lives
longer spreads over more of the allocator's memory, which the process then keeps.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Freeze everything alive now, after a full collection (so no garbage is frozen with it).
    Call once, when the process has imported and built everything it serves with and before
    it serves."""
    gc.collect()
    gc.freeze()
