"""POST /v1/schedules/preview: a schedule trigger's next fire times, in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from definitions.schedules import next_fire_times
from tests.api.authoring.conftest import Authoring
from tests.api.conftest import problem

BERLIN = ZoneInfo("Europe/Berlin")


def test_weekday_mornings_in_berlin_across_the_change_to_summer_time() -> None:
    friday = datetime(2026, 3, 27, 12, tzinfo=UTC)
    times = next_fire_times({"cron": "0 9 * * MON-FRI", "timezone": "Europe/Berlin"}, friday)
    assert [t.astimezone(BERLIN).strftime("%a %d %H:%M") for t in times] == [
        "Mon 30 09:00", "Tue 31 09:00", "Wed 01 09:00", "Thu 02 09:00", "Fri 03 09:00",
    ]  # fmt: skip
    assert times[0] == datetime(2026, 3, 30, 7, tzinfo=UTC)  # UTC+2 from 29 March


def test_a_local_time_skipped_by_summer_time_does_not_fire_and_macros_calendars_intervals_do() -> (
    None
):
    friday = datetime(2026, 3, 27, 12, tzinfo=UTC)
    nightly = next_fire_times({"cron": "30 2 * * *", "timezone": "Europe/Berlin"}, friday, 3)
    assert [t.astimezone(BERLIN).day for t in nightly] == [28, 30, 31]  # no 02:30 on the 29th
    assert next_fire_times({"cron": "@monthly"}, friday, 2) == [
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 5, 1, tzinfo=UTC),
    ]
    assert next_fire_times({"calendar": {"hour": 9, "day_of_week": "MON"}}, friday, 1) == [
        datetime(2026, 3, 30, 9, tzinfo=UTC)
    ]
    assert next_fire_times({"every": "PT1H"}, friday, 2) == [
        datetime(2026, 3, 27, 13, tzinfo=UTC),
        datetime(2026, 3, 27, 14, tzinfo=UTC),
    ]
    both = next_fire_times({"cron": ["0 12 * * *", "0 6 * * *"]}, friday, 3)
    assert [t.hour for t in both] == [6, 12, 6]  # not 12:00 itself: strictly after


async def test_the_route_answers_five_times_by_default_and_422_for_a_bad_schedule(
    authoring: Authoring,
) -> None:
    body = {"trigger": {"cron": "0 9 * * MON", "timezone": "America/New_York"}}
    answer = await authoring.api.post("/v1/schedules/preview", json=body)
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["timezone"] == "America/New_York" and len(preview["times"]) == 5
    times = [datetime.fromisoformat(t) for t in preview["times"]]
    assert times == sorted(times) and times[0] > datetime.now(UTC)
    local = [t.astimezone(ZoneInfo("America/New_York")) for t in times]
    assert {(t.strftime("%a"), t.hour, t.minute) for t in local} == {("Mon", 9, 0)}
    bad = {"trigger": {"cron": "0 25 * * *", "timezone": "Mars/Olympus"}, "count": 3}
    errors = problem(await authoring.api.post("/v1/schedules/preview", json=bad), 422)["errors"]
    assert {e["path"] for e in errors} >= {"trigger.cron", "trigger.timezone"}, errors
    problem(await authoring.api.post("/v1/schedules/preview", json={"trigger": {}}), 422)
    problem(await authoring.api.post("/v1/schedules/preview", json={"trigger": 1}), 422)
