"""Timeouts and retry policies, per activity kind, in one place."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from definitions.models import Node, RetrySpec

DEFAULT_RETRY = RetrySpec()  # 5 attempts, 1 s, ×2, capped at 1 min

# Per attempt; a step's own ``timeout`` overrides it.
ACTION_TIMEOUTS: dict[str, timedelta] = {
    "send_email": timedelta(seconds=60),
    "send_sms": timedelta(seconds=30),
    "http_request": timedelta(seconds=45),
}
DEFAULT_ACTION_TIMEOUT = timedelta(seconds=60)

# The actions that deliver something (``activities.effects``) heartbeat while they run, so a
# worker killed mid-attempt is noticed within ``EFFECT_HEARTBEAT_TIMEOUT`` and the attempt
# retried elsewhere — not after its whole start-to-close timeout (45-60 s).
EFFECT_TYPES = frozenset({"send_email", "send_sms", "http_request", "slack"})
EFFECT_HEARTBEAT_TIMEOUT = timedelta(seconds=4)
HEARTBEAT_EVERY = 1.0
"""Seconds between an effect's heartbeats (its claim is renewed every ``CLAIM_RENEW_AFTER``)."""
HEARTBEAT_THROTTLE = timedelta(seconds=HEARTBEAT_EVERY)
"""The worker sends heartbeats to Temporal at most this often. The SDK's default throttles
them to 0.8 of the heartbeat timeout (3.2 s of 4 s): a heartbeat 0.8 s late on a loaded
machine had Temporal give a live attempt up. Every second leaves 3 s."""
CLAIM_LEASE = EFFECT_HEARTBEAT_TIMEOUT
"""How long an effect's claim on its key outlives its holder's last renewal: a crashed
holder's claim lapses about when Temporal gives its attempt up, and the retry may send."""
CLAIM_RENEW_AFTER = 2.0
"""Seconds after the claim was last extended (taken, marked sent, renewed) that its holder
renews it: a write less per effect than renewing every heartbeat, with CLAIM_LEASE's
remaining 2 s (and a grace second) for the renewal to commit on a busy database."""
# A run's next workflow task goes first to the worker that ran its last one (its cache); when
# that worker is dead, the task waits this long before any worker may take it (default 10 s).
STICKY_QUEUE_TIMEOUT = timedelta(seconds=2)
# How long a worker may hold a run's workflow task (Temporal's default is 10 s). A short action
# runs as a local activity inside that task (``LOCAL_ACTION_TYPES``), so a worker killed mid-call
# is noticed only when the task times out: after 5 s, not 10, the run is taken up by another
# worker (``benchmarks.worker_kill_recovery``). The SDK keeps a task open across a longer local
# call by completing it and taking the next one at 4/5 of this (3 history events each time).
WORKFLOW_TASK_TIMEOUT = timedelta(seconds=5)
CLAIM_POLL = 0.2
"""Seconds between looks at a key another attempt is sending."""


def effect_budget(attempt_timeout: timedelta) -> float:
    """Seconds an attempt may spend sending: its timeout, less what recording the outcome
    needs (a fifth, at most 2 s), so the attempt ends before Temporal gives up on it."""
    total = attempt_timeout.total_seconds()
    return max(total - min(2.0, total / 5), 0.05)


# Recording runs as local activities against our own database: retried until it succeeds, so a
# database outage pauses runs instead of losing what they did.
RECORDING_TIMEOUT = timedelta(seconds=30)
RECORDING_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


# Reads of our own database (a sub-workflow's definition): quick, retried a few times.
LOOKUP_TIMEOUT = timedelta(seconds=30)
LOOKUP_RETRY = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=10))

# A run continues-as-new (one logical run, a fresh history) past this many events, or when the
# server suggests it — far below Temporal's 51,200-event limit, so a loop over 10,000 items or a
# run that cycles for months never approaches it.
CONTINUE_AS_NEW_AFTER_EVENTS = 10_000

# A walk that visits this many nodes within one workflow task, or a run this many steps in all,
# is cycling without a pause (a ``wait`` of no time, or skipped by its ``when``; a condition
# already true): the run fails naming the node, before Temporal's deadlock detector fires.
VISITS_PER_TASK = 5_000
VISITS_PER_RUN = 1_000_000
VISIT_BUDGET_PATCH = "relay-visit-budget"
# 5,000 visits take a spinning workflow task past the deadlock detector's 2 s once a few spin
# at once on a loaded worker (they share one interpreter lock): the task fails and is retried
# forever instead of failing the run, and the worker's memory grows (issue 13, item 10;
# ``benchmarks.worker_memory --kind spin``). A step visited *again* within one workflow task
# (the same node in the same loop iteration) is the mark of a cycle — a long chain of set and
# branch steps visits each once, a for_each's iterations are different steps — so runs started
# since this patch fail at this many.
REVISITS_PER_TASK = 500
REVISIT_BUDGET_PATCH = "relay-revisit-budget"
# A for_each refuses more items than its max_items (definitions.nodes.loops.MAX_LOOP_ITEMS
# by default); runs recorded before the cap loop over whatever they had.
LOOP_CAP_PATCH = "relay-loop-cap"

# Steps that need no activity (set, branches) are queued and written with the next database
# call; a loop writes them once this many are queued, so a long loop of such steps neither
# holds them all in memory nor runs in one endless workflow task.
RECORD_STEPS_BATCH = 100


# Actions that run as local activities: in the worker running the run's workflow task, with no
# round trip through the server — no activity task scheduled, dispatched, polled, started and
# completed, no second workflow task to take the result (a webhook → HTTP call → set run's
# history falls from 12-14 events and two workflow tasks to 9 and one, the patch's marker and
# its search-attribute upsert included; 7 for a run started with ``PATCHES``). Safe where a
# rerun is harmless, since a local activity runs again when its workflow task is retried (a
# worker died before completing it):
# the record actions are idempotent by their key, and the effects send through the claim of
# ``activities.effects``, which adopts a delivered key's receipt and never resends an unknown
# one. The attempt's start-to-close timeout still bounds the real call (``effect_budget``).
# Not local: ``export`` (long work and a file), a team's own ``activity`` (its own task queue),
# and any step whose attempt may last longer than ``LOCAL_ACTION_LIMIT`` — a local activity
# holds the run's workflow task open (the SDK heartbeats it, 3 events each 4 s) and a worker
# dying mid-attempt is noticed at the workflow task's timeout (``WORKFLOW_TASK_TIMEOUT``, 5 s);
# for a long call a round trip is worth the effect heartbeat's 4 s and fewer events.
LOCAL_ACTION_TYPES = frozenset(
    {
        "http_request", "send_email", "send_sms", "slack",
        "create_record", "update_record", "delete_record", "query_records", "add_tag",
        "remove_tag", "add_to_list", "remove_from_list", "add_note", "notify",
    }
)  # fmt: skip
LOCAL_ACTION_LIMIT = timedelta(seconds=60)
LOCAL_ACTIONS_PATCH = "relay-local-actions"
"""Runs recorded before actions ran locally replay their action steps as activities."""
RESCHEDULE_PATCH = "relay-reschedule-aware-waits"
"""The patch id of reschedule-aware waits: runs recorded before them wait as they did."""
PAST_MOVE_PATCH = "relay-reschedule-past-if-past"
"""The patch id under which a wait moved into the past follows its ``if_past``; runs recorded
before it went on at once whatever ``if_past`` said."""

REAIM_BEFORE = timedelta(seconds=10)
"""A wait for an instant (or with a timeout) more than twice this away sets its timer to fire
this long before it, then another for what is left. Temporal counts a timer from when the
workflow task that sets it completes, and a worker busy starting runs (a burst of events, each
run parked in a wait) completes it up to a second after the wait computed what was left: the
wait would end that much late, days later when nothing is busy. Aimed again shortly before the
instant, it ends as late as the worker is busy then (``benchmarks.timer_lateness``); one
workflow task more."""
REAIMED_WAITS_PATCH = "relay-reaimed-waits"
"""The patch id of waits aimed again before their instant: runs recorded before wait on one
timer."""

PATCHES = (
    VISIT_BUDGET_PATCH, REVISIT_BUDGET_PATCH, LOOP_CAP_PATCH, LOCAL_ACTIONS_PATCH,
    RESCHEDULE_PATCH, PAST_MOVE_PATCH, REAIMED_WAITS_PATCH,
)  # fmt: skip
"""Every change above, which a run started now has from its start (``RunInput.patches``).

A change behind ``workflow.patched`` costs every run that reaches it a marker in its history
and, as the SDK records the patch in the ``TemporalChangeVersion`` search attribute, an upsert
— one more visibility write on the server, for each run of a webhook → HTTP call workflow. A
run that starts with the list knows them without asking; runs recorded before the list ask
(``Run.patched``). A change added later is added here and asked for by every run started
before it."""


def runs_locally(node: Node) -> bool:
    """Whether ``node``'s action may run as a local activity (``LOCAL_ACTION_TYPES``)."""
    return node.type in LOCAL_ACTION_TYPES and action_timeout(node) <= LOCAL_ACTION_LIMIT


def action_retry(node: Node) -> tuple[RetryPolicy, int]:
    spec = node.retry or DEFAULT_RETRY
    policy = RetryPolicy(
        initial_interval=timedelta(seconds=spec.initial_interval),
        backoff_coefficient=spec.backoff,
        maximum_interval=timedelta(seconds=spec.max_interval),
        maximum_attempts=spec.max_attempts,
    )
    return policy, spec.max_attempts


def action_heartbeat(node: Node) -> timedelta | None:
    return EFFECT_HEARTBEAT_TIMEOUT if node.type in EFFECT_TYPES else None


def action_timeout(node: Node) -> timedelta:
    if node.timeout is not None:
        return timedelta(seconds=node.timeout)
    return ACTION_TIMEOUTS.get(node.type, DEFAULT_ACTION_TIMEOUT)
