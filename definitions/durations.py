"""Durations and instants as written in definitions.

Pure: no clock, no environment — "now" is always the caller's. Accepts the forms found in the
reference systems' documents (ISO-8601 ``PT48H``, shorthand ``48h``, plain seconds, unit dicts),
so their examples load unchanged — down to milliseconds (``"100ms"``, ``"1.5s"``, ``PT0.1S``,
``{"milliseconds": 100}``): retry intervals of 100 ms are common.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from definitions.errors import DefinitionError

_NUMBER = r"\d+(?:\.\d+)?"
# Weeks, days and the time part; years and months are caught separately so the error can say
# why they are refused (their length depends on the calendar, which a timer cannot know).
_ISO = re.compile(
    rf"^(?P<sign>[+-])?P(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?(?:(?P<seconds>{_NUMBER})S)?)?$",
    re.IGNORECASE,
)
_ISO_CALENDAR = re.compile(rf"^[+-]?P(?:{_NUMBER}[YMWD])*{_NUMBER}[YM]", re.IGNORECASE)

_UNITS = {
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds", "seconds": "seconds",
    "ms": "milliseconds", "msec": "milliseconds", "msecs": "milliseconds",
    "millisecond": "milliseconds", "milliseconds": "milliseconds",
}  # fmt: skip
_SHORTHAND_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]+)\s*,?", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(rf"^[+-]?{_NUMBER}$")
_DICT_KEYS = frozenset({"weeks", "days", "hours", "minutes", "seconds", "milliseconds"})
_MAX_TEXT = 100  # a duration is a short string; refuse to scan anything longer

_EXAMPLES = 'e.g. "PT48H", "P2D", "48h", "1h30m", "2 days", "100ms", 3600 or {"hours": 48}'


def parse_duration(value: Any, path: str = "") -> timedelta:
    """Parse a duration written as ISO-8601, shorthand text, seconds or a unit dict.

    Negative durations are allowed (``"-24h"``: an offset before an instant). Raises
    ``DefinitionError`` at ``path`` for anything else, including ISO years and months.
    """
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):  # bool is an int subclass; True seconds is surely a mistake
        raise DefinitionError.at(path, f"expected a duration ({_EXAMPLES}), got a boolean")
    if isinstance(value, int | float):
        return _checked(lambda: timedelta(seconds=value), value, path)
    if isinstance(value, dict):
        return _from_dict(value, path)
    if isinstance(value, str):
        return _from_text(value, path)
    raise DefinitionError.at(path, f"expected a duration ({_EXAMPLES}), got {type(value).__name__}")


def _from_dict(value: dict[Any, Any], path: str) -> timedelta:
    unknown = sorted(str(k) for k in value if k not in _DICT_KEYS)
    if unknown or not value:
        raise DefinitionError.at(
            path,
            "a duration object takes only weeks, days, hours, minutes, seconds, milliseconds; "
            f"got {value!r}",
        )
    parts: dict[str, float] = {}
    for key, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise DefinitionError.at(path, f"duration field {key!r} must be a number")
        parts[key] = amount
    return _checked(lambda: timedelta(**parts), value, path)


def _from_text(value: str, path: str) -> timedelta:
    text = value.strip()
    if not text or len(text) > _MAX_TEXT:
        raise DefinitionError.at(path, f"expected a duration ({_EXAMPLES}), got {value!r}")
    if text[0] in "+-pP" and text.lstrip("+-")[:1] in ("P", "p"):
        return _from_iso(text, value, path)
    if _PLAIN_NUMBER.match(text):
        return _checked(lambda: timedelta(seconds=float(text)), value, path)
    sign = 1
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    parts: dict[str, float] = {}
    position = 0
    while position < len(text):
        match = _SHORTHAND_PART.match(text, position)
        unit = _UNITS.get(match.group(2).lower()) if match else None
        if match is None or unit is None or unit in parts:
            raise DefinitionError.at(path, f"expected a duration ({_EXAMPLES}), got {value!r}")
        parts[unit] = float(match.group(1))
        position = match.end()
    if not parts:
        raise DefinitionError.at(path, f"expected a duration ({_EXAMPLES}), got {value!r}")
    return _checked(lambda: sign * timedelta(**parts), value, path)


def _from_iso(text: str, original: str, path: str) -> timedelta:
    if _ISO_CALENDAR.match(text):
        raise DefinitionError.at(
            path,
            f"{original!r}: months and years have no fixed length; write the duration in days "
            '(e.g. "P30D")',
        )
    match = _ISO.match(text)
    if match is None or text.upper().endswith(("P", "T")):
        raise DefinitionError.at(path, f"{original!r} is not an ISO-8601 duration ({_EXAMPLES})")
    parts = {k: float(v) for k, v in match.groupdict().items() if k != "sign" and v is not None}
    sign = -1 if match.group("sign") == "-" else 1
    return _checked(lambda: sign * timedelta(**parts), original, path)


def _checked(build: Any, original: Any, path: str) -> timedelta:
    # timedelta raises OverflowError past ~2.7 million years; report it like any other bad value.
    try:
        result: timedelta = build()
    except (OverflowError, ValueError) as exc:
        raise DefinitionError.at(path, f"duration {original!r} is out of range") from exc
    return result


def parse_instant(value: Any, path: str = "") -> datetime:
    """Parse an ISO-8601 instant (or a date/datetime) into a timezone-aware UTC datetime.

    ``"Z"`` and offsets are honoured; a naive value is taken as UTC; a plain date is midnight UTC.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip()
        # Fast refusal keeps parse attempts cheap when callers probe arbitrary strings.
        if 10 <= len(text) <= 40 and text[:4].isdigit() and text[4:5] == "-":
            try:
                return parse_instant(datetime.fromisoformat(text), path)
            except ValueError:
                pass
        raise DefinitionError.at(
            path, f'expected an ISO-8601 date or time (e.g. "2026-01-05T09:00:00Z"), got {value!r}'
        )
    raise DefinitionError.at(path, f"expected an ISO-8601 date or time, got {type(value).__name__}")
