"""Simulation wall time: the 30-day, 10-step drip, and the ERP invoice reminder.

The test server is started first (not timed); every figure is a simulation on a server that is
up. The invoice reminder is measured both ways: one simulation whose event carries 100
invoices (its ``for_each`` runs 100 iterations), and 100 simulations of one invoice each.

    .venv/bin/python -m benchmarks.simulation [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta
from typing import Any

from definitions.library import get_template
from definitions.loading import load_definition
from worker.simulator import Simulator
from workflows.simulation import simulation_request


def drip() -> dict[str, Any]:
    """Ten emails three days apart, over 27 days, then a last wait to day 30."""
    steps: list[dict[str, Any]] = []
    for index in range(10):
        steps.append({"id": f"mail{index}", "type": "send_email", "to": "{{ email }}",
                      "subject": f"Day {index * 3}", "body": "Hello {{ name }}"})  # fmt: skip
        steps.append({"id": f"wait{index}", "type": "wait", "duration": "3d"})
    return {"name": "Drip", "trigger": {"event": "user.signed_up"}, "steps": steps}


def invoices(count: int) -> dict[str, Any]:
    template = get_template("invoice_reminder")
    assert template is not None
    one = template.sample_data["invoices"][0]
    items = [{**one, "number": f"INV-{i:04d}", "reminder_count": i % 5} for i in range(count)]
    return {**template.sample_data, "invoices": items}


async def timed(simulator: Simulator, document: dict[str, Any], data: dict[str, Any]) -> float:
    request = simulation_request(load_definition(document), {"data": data})
    started = time.perf_counter()
    report = await simulator.simulate(request)
    assert report["status"] == "completed", report["status"]
    return time.perf_counter() - started


async def main(repeat: int) -> None:
    # No clock refreshes: they would restart the server between the measured simulations.
    simulator = Simulator(max_drift=timedelta(days=100_000), refresh_early=False)
    reminder = get_template("invoice_reminder")
    assert reminder is not None
    try:
        await timed(simulator, drip(), {"email": "a@example.com"})  # the server is up
        drips = [await timed(simulator, drip(), {"email": "a@example.com"}) for _ in range(repeat)]
        batch = [await timed(simulator, reminder.document(), invoices(100)) for _ in range(repeat)]
        started = time.perf_counter()
        for _ in range(100):
            await timed(simulator, reminder.document(), invoices(1))
        each = time.perf_counter() - started
    finally:
        await simulator.close()
    print(f"30-day 10-step drip:                      median {statistics.median(drips):.3f} s "
          f"(min {min(drips):.3f}, max {max(drips):.3f}, {repeat} runs)")  # fmt: skip
    print(f"invoice reminder, 1 simulation × 100 invoices: median {statistics.median(batch):.3f} s")
    print(f"invoice reminder, 100 simulations × 1 invoice: {each:.2f} s in all, "
          f"{each / 100 * 1000:.0f} ms each")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
