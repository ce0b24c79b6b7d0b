"""Which events an event trigger takes, and which of them may start a run (SPEC §2.5, §3).

- ``event`` is an exact type or a glob: ``*`` (every type), ``deal.*`` (a prefix of whole
  segments) or ``*.created`` (a suffix). Globs are matched from the event's side: an event of
  type ``a.b.c`` can only match ``a.b.c``, ``a.*``, ``a.b.*``, ``*.c``, ``*.b.c`` and ``*`` —
  a handful of strings looked up together in the index on the stored trigger type, so matching
  costs the same however many workflows listen to other types.
- ``dedupe_key``: a template giving the key one run is started per (default: the event id).
- ``reenroll``: ``always`` (default), ``once`` per entity, or ``{"after": "P30D"}`` — per entity,
  no second run within the period after the last one started.
- ``cancel_on``: event types (globs too) that cancel the workflow's open runs for the entity.
- ``rate_limit``: ``{"max": 100, "per": "PT1H", "over": "defer"}`` — at most ``max`` runs start
  in each fixed window of ``per`` (aligned to the Unix epoch, so ``P1D`` is a UTC day); the
  events over it start their run at the next window with room (``defer``, the default) or
  start none (``drop``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.models import Trigger
from definitions.templates import check_template_syntax

ANY = "*"


def event_patterns(event_type: str) -> list[str]:
    """Every trigger ``event`` that matches ``event_type``: itself and the globs covering it."""
    parts = event_type.split(".")
    patterns = [event_type, ANY]
    for cut in range(1, len(parts)):
        patterns.append(".".join(parts[:cut]) + ".*")
        patterns.append("*." + ".".join(parts[cut:]))
    return list(dict.fromkeys(patterns))


def pattern_matches(pattern: str, event_type: str) -> bool:
    return pattern in event_patterns(event_type)


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is no event type or supported glob; None when it is one."""
    if "*" not in pattern or pattern == ANY:
        return None
    body = pattern[2:] if pattern.startswith("*.") else pattern[:-2]
    if (pattern.startswith("*.") or pattern.endswith(".*")) and body and "*" not in body:
        return None
    return "a glob is *, a prefix like deal.* or a suffix like *.created (whole segments)"


def reenroll_period(value: Any) -> timedelta | None:
    """The ``after`` period of a ``reenroll`` setting; None for ``always``/``once``."""
    if isinstance(value, dict) and "after" in value:
        return parse_duration(value["after"])
    return None


def reenroll_mode(value: Any) -> str:
    """``always``, ``once`` or ``after``."""
    if isinstance(value, dict):
        return "after"
    return value if value in ("once", "always") else "always"


@dataclass(frozen=True)
class RateLimit:
    max: int
    per: timedelta
    over: str = "defer"

    def window_start(self, at: datetime) -> datetime:
        """The start of the window ``at`` falls in."""
        seconds = int(self.per.total_seconds())
        offset = int((at - _EPOCH).total_seconds()) // seconds * seconds
        return _EPOCH + timedelta(seconds=offset)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RATE_LIMIT_OVER = ("defer", "drop")


def rate_limit(trigger: dict[str, Any]) -> RateLimit | None:
    """The trigger's ``rate_limit`` (already validated), or None."""
    value = trigger.get("rate_limit")
    if not isinstance(value, dict):
        return None
    return RateLimit(int(value["max"]), parse_duration(value["per"]), value.get("over", "defer"))


def option_problems(trigger: Trigger, where: Callable[[str], str]) -> list[Problem]:
    """Problems of the options above; ``where`` turns canonical paths into submitted ones."""
    extra = trigger.model_extra or {}
    problems: list[Problem] = []
    if trigger.event and (message := pattern_problem(trigger.event)):
        problems.append(Problem(where("trigger.event"), message))
    for index, pattern in enumerate(trigger.cancel_on):
        if message := pattern_problem(pattern):
            problems.append(Problem(where(join_path("trigger.cancel_on", index)), message))
    key = extra.get("dedupe_key")
    if key is not None:
        if not isinstance(key, str) or not key.strip():
            problems.append(Problem(where("trigger.dedupe_key"), "a template, like {{ id }}"))
        elif error := check_template_syntax(key):
            problems.append(Problem(where("trigger.dedupe_key"), f"template error: {error}"))
    problems += _reenroll_problems(extra.get("reenroll"), where("trigger.reenroll"))
    if "rate_limit" in extra:
        problems += _rate_limit_problems(extra["rate_limit"], where("trigger.rate_limit"))
    return problems


def _reenroll_problems(value: Any, path: str) -> list[Problem]:
    if value is None or value in ("always", "once"):
        return []
    if not (isinstance(value, dict) and set(value) == {"after"}):
        return [Problem(path, 'reenroll is "always", "once" or {"after": "P30D"}')]
    try:
        period = parse_duration(value["after"], join_path(path, "after"))
    except DefinitionError as exc:
        return exc.problems
    if period <= timedelta(0):
        return [Problem(join_path(path, "after"), "the period is positive")]
    return []


def _rate_limit_problems(value: Any, path: str) -> list[Problem]:
    shape = 'rate_limit is {"max": 100, "per": "PT1H", "over": "defer" or "drop"}'
    if not isinstance(value, dict):
        return [Problem(path, shape)]
    problems = [
        Problem(join_path(path, key), f"unknown key; {shape}")
        for key in value
        if key not in ("max", "per", "over")
    ]
    count = value.get("max")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        problems.append(Problem(join_path(path, "max"), "a whole number of runs, at least 1"))
    if "per" not in value:
        problems.append(Problem(join_path(path, "per"), "a period, like PT1H or P1D"))
    else:
        try:
            period = parse_duration(value["per"], join_path(path, "per"))
        except DefinitionError as exc:
            problems += exc.problems
        else:
            if period < timedelta(seconds=1) or period % timedelta(seconds=1):
                problems.append(Problem(join_path(path, "per"), "whole seconds, at least one"))
    if value.get("over", "defer") not in RATE_LIMIT_OVER:
        problems.append(Problem(join_path(path, "over"), '"defer" (the default) or "drop"'))
    return problems
