"""How long building a definition takes as it grows: normalising and validating must stay
linear in its size (an edge lookup that scanned a list made 10,000 steps take minutes).

    python -m benchmarks.definition_size [--sizes 1000,2000,5000]

Prints seconds per size and the time per step; a linear build keeps that last column flat.
"""

from __future__ import annotations

import argparse
import time

from definitions.loading import load_definition


def build(size: int) -> float:
    document = {
        "name": "size",
        "trigger": {"type": "event", "event": "order.created"},
        "steps": [{"id": f"s{i}", "type": "set", "values": {"n": "{{ n }}"}} for i in range(size)],
    }
    started = time.perf_counter()
    load_definition(document)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,2000,5000")
    sizes = [int(part) for part in parser.parse_args().sizes.split(",")]
    print(f"{'steps':>7} {'seconds':>8} {'ms/step':>8}")
    for size in sizes:
        seconds = min(build(size) for _ in range(3))
        print(f"{size:>7} {seconds:>8.3f} {1000 * seconds / size:>8.3f}")


if __name__ == "__main__":
    main()
