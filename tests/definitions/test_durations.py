from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from definitions.durations import parse_duration, parse_instant
from definitions.errors import DefinitionError

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT48H", 48 * H),
        ("P30D", timedelta(days=30)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("P2W", timedelta(weeks=2)),
        ("-PT24H", -24 * H),
        ("PT90S", timedelta(seconds=90)),
        ("PT1.5H", timedelta(minutes=90)),
        ("pt15m", timedelta(minutes=15)),
        ("48h", 48 * H),
        ("2d", timedelta(days=2)),
        ("30m", timedelta(minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("1w", timedelta(weeks=1)),
        ("-24h", -24 * H),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("1 day", timedelta(days=1)),
        ("2 hours", 2 * H),
        ("1 day, 2 hours", timedelta(days=1, hours=2)),
        ("3600", H),
        (3600, H),
        (1.5, timedelta(seconds=1.5)),
        ({"hours": 48}, 48 * H),
        ({"weeks": 1, "days": 1, "minutes": 5, "seconds": 1}, timedelta(days=8, seconds=301)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)
def test_parse_duration_accepts_documented_forms(value, expected):
    assert parse_duration(value) == expected


MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100ms", 100 * MS),
        ("100 ms", 100 * MS),
        ("250msec", 250 * MS),
        ("1 millisecond", MS),
        ("100 milliseconds", 100 * MS),
        ("1.5s", 1500 * MS),
        ("0.25 seconds", 250 * MS),
        ("1s500ms", 1500 * MS),
        ("1m 30s 250ms", timedelta(seconds=90.25)),
        ("-100ms", -100 * MS),
        ("PT0.1S", 100 * MS),
        ("PT1.5S", 1500 * MS),
        ("pt0.001s", MS),
        ("0.1", 100 * MS),
        (0.1, 100 * MS),
        ({"milliseconds": 100}, 100 * MS),
        ({"seconds": 1, "milliseconds": 500}, 1500 * MS),
    ],
)
def test_parse_duration_accepts_sub_second_units(value, expected):
    assert parse_duration(value) == expected


def test_minutes_and_milliseconds_are_not_confused():
    assert (parse_duration("1m"), parse_duration("1ms")) == (timedelta(minutes=1), MS)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "100mss",
        "1ms1ms",
        "P",
        "PT",
        "P1DT",
        "h",
        "48x",
        "1h1h",
        "soon",
        "x" * 200,
        True,
        None,
        [1],
        {},
        {"months": 1},
        {"hours": "2"},
        {"hours": True},
        10**20,
    ],
)
def test_parse_duration_rejects_everything_else(value):
    with pytest.raises(DefinitionError) as error:
        parse_duration(value, "steps[0].duration")
    assert error.value.problems[0].path == "steps[0].duration"


@pytest.mark.parametrize("value", ["P1M", "P1Y", "P1Y2M3D", "-P2M"])
def test_parse_duration_refuses_months_and_years_and_says_use_days(value):
    with pytest.raises(DefinitionError, match="days"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05T09:00:00Z", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("2026-01-05T09:00:00+02:00", datetime(2026, 1, 5, 7, tzinfo=UTC)),
        ("2026-01-05T09:00:00", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("2026-01-05 09:00", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        ("2026-01-05", datetime(2026, 1, 5, tzinfo=UTC)),
        (date(2026, 1, 5), datetime(2026, 1, 5, tzinfo=UTC)),
        (datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 9, tzinfo=UTC)),
        (
            datetime(2026, 1, 5, 9, tzinfo=timezone(timedelta(hours=-5))),
            datetime(2026, 1, 5, 14, tzinfo=UTC),
        ),
    ],
)
def test_parse_instant_returns_aware_utc(value, expected):
    result = parse_instant(value)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01", "05/01/2026", "", 1736067600, None])
def test_parse_instant_rejects_non_iso(value):
    with pytest.raises(DefinitionError) as error:
        parse_instant(value, "trigger.at")
    assert error.value.problems[0].path == "trigger.at"
