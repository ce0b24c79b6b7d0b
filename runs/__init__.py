"""Run intake and control: the service the API and the worker both call.

- ``intake``: accepting an event — store it, apply ``cancel_on``, enroll the listening workflows
  (``enrollment``), stop runaway chains, start the runs by priority, signal the waiting runs
  (``signals``);
- ``starting``: starting one run idempotently (its row, then its Temporal execution), with rate
  admission; manual runs;
- ``control``: cancelling and retrying a run;
- ``schedules``: the Temporal Schedule a workflow with a schedule trigger owns;
- ``deps`` and ``errors``: what the service needs from outside, and the typed errors it raises
  (the API maps them to problem+json in ``api.errors``).

Nothing here knows HTTP: callers pass plain values and get dataclasses back.
"""
