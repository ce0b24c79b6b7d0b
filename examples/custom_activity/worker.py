"""A team's own worker: one activity, ``charge_card``, on its own task queue.

Relay calls it from a workflow step::

    {"id": "charge", "type": "activity", "name": "charge_card", "task_queue": "payments",
     "input": {"customer": "{{ customer_id }}", "amount": "{{ amount }}"},
     "timeout": "30s", "retry": {"max_attempts": 3}}

Run it next to ``relay dev``: ``.venv/bin/python -m examples.custom_activity.worker``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

TASK_QUEUE = "payments"


@activity.defn(name="charge_card")
async def charge_card(request: dict[str, Any]) -> dict[str, Any]:
    """Charge ``amount`` to ``customer``; the step's ``input`` is ``request``, the returned
    dict becomes the step's output (``steps.charge.output.charge_id``)."""
    amount = float(request.get("amount") or 0)
    if amount <= 0:
        # Non-retryable: Relay fails the step at once instead of retrying a hopeless call.
        raise ApplicationError("amount must be positive", type="invalid_amount", non_retryable=True)
    info = activity.info()
    # The same on every retry of this step: what a payment provider's idempotency key wants.
    key = hashlib.sha256(f"{info.workflow_id}/{info.activity_id}".encode()).hexdigest()[:16]
    return {
        "charge_id": f"ch_{key}",
        "customer": request.get("customer"),
        "amount": amount,
        "currency": request.get("currency", "usd"),
        "status": "succeeded",
    }


def build_worker(client: Client, task_queue: str = TASK_QUEUE) -> Worker:
    return Worker(client, task_queue=task_queue, activities=[charge_card])


async def main() -> None:
    client = await Client.connect(
        os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"),
        namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
    )
    async with build_worker(client, os.environ.get("TASK_QUEUE", TASK_QUEUE)):
        print(f"charge_card is waiting for work on task queue {TASK_QUEUE!r}; Ctrl-C stops it")
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
