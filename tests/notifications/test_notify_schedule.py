import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from notifications import schedule
from notifications.schedule import NUDGE, RED, REMINDER, ROUND_MISSED, ROUND_REMINDER, YELLOW, Config

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
C = Config()
D = datetime.date


def _stage(fn, due, today):
    stage = fn(due, today, C)
    return (stage.kind, stage.offset) if stage else None


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 3, 16), None),  # 15 days before
        (D(2026, 3, 17), (REMINDER, -14)),
        (D(2026, 3, 23), (REMINDER, -14)),  # still the 14-day stage: late at worst, never lost
        (D(2026, 3, 24), (REMINDER, -7)),
        (D(2026, 3, 30), (REMINDER, -1)),
        (D(2026, 3, 31), (REMINDER, -1)),  # the due date itself is the last day to finish
        (D(2026, 4, 1), (NUDGE, 1)),  # an unsent 1-day reminder is not sent after the deadline
        (D(2026, 4, 15), (NUDGE, 1)),  # 14 days late: still within the catch-up window
        (D(2026, 4, 16), None),  # beyond it
    ],
)
def test_agency_stage(today, expected):
    assert _stage(schedule.agency_stage, D(2026, 3, 31), today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2026, 4, 6), None),
        (D(2026, 4, 7), (YELLOW, 7)),
        (D(2026, 4, 21), (YELLOW, 7)),  # 14 days late: still sent
        (D(2026, 4, 22), None),  # more than NOTIFY_CATCHUP_DAYS late: dropped
        (D(2026, 4, 30), (RED, 30)),  # red supersedes a yellow that was never sent
        (D(2026, 5, 14), (RED, 30)),
        (D(2026, 5, 15), None),
    ],
)
def test_coordinator_stage(today, expected):
    assert _stage(schedule.coordinator_stage, D(2026, 3, 31), today) == expected


def test_round_stage():
    due = D(2026, 2, 1)
    assert _stage(schedule.round_stage, due, D(2026, 1, 28)) is None
    assert _stage(schedule.round_stage, due, D(2026, 1, 29)) == (ROUND_REMINDER, -3)
    assert _stage(schedule.round_stage, due, D(2026, 1, 31)) == (ROUND_REMINDER, -1)
    assert _stage(schedule.round_stage, due, D(2026, 2, 1)) == (ROUND_REMINDER, -1)
    assert _stage(schedule.round_stage, due, D(2026, 2, 2)) == (ROUND_MISSED, 1)


def test_period_keys_on_due_date():
    a = schedule.agency_stage(D(2026, 3, 31), D(2026, 3, 24), C)
    b = schedule.agency_stage(D(2026, 4, 30), D(2026, 4, 23), C)
    assert a.period == "2026-03-31:-7"
    assert b.period == "2026-04-30:-7"  # an extension gives a new key: the reminder comes again


def test_month_end_across_local_midnight():
    """2026-01-31 23:59 and 2026-02-01 00:01 in Shanghai are both 31 January in UTC: the local date
    decides, so the 1-day reminder of a task due 2026-02-01 turns into its due-day reminder and a
    task due 2026-01-31 becomes overdue exactly at local midnight."""
    with time_machine.travel(datetime.datetime(2026, 1, 31, 23, 59, tzinfo=SH), tick=False):
        today = schedule.local_date(timezone.now())
        assert timezone.now().astimezone(datetime.UTC).date() == D(2026, 1, 31)
        assert today == D(2026, 1, 31)
        assert _stage(schedule.agency_stage, D(2026, 1, 31), today) == (REMINDER, -1)
        assert _stage(schedule.agency_stage, D(2026, 2, 14), today) == (REMINDER, -14)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 0, 1, tzinfo=SH), tick=False):
        today = schedule.local_date(timezone.now())
        assert timezone.now().astimezone(datetime.UTC).date() == D(2026, 1, 31)
        assert today == D(2026, 2, 1)
        assert _stage(schedule.agency_stage, D(2026, 1, 31), today) == (NUDGE, 1)
        assert _stage(schedule.agency_stage, D(2026, 2, 15), today) == (REMINDER, -14)


def test_leap_february_and_year_end():
    # 2028 is a leap year: 7 days before 2028-03-06 is 2028-02-28, 1 day before 03-01 is 02-29.
    assert _stage(schedule.agency_stage, D(2028, 3, 1), D(2028, 2, 29)) == (REMINDER, -1)
    assert _stage(schedule.agency_stage, D(2028, 3, 6), D(2028, 2, 28)) == (REMINDER, -7)
    assert _stage(schedule.coordinator_stage, D(2026, 12, 25), D(2027, 1, 1)) == (YELLOW, 7)


def test_iso_week_around_new_year():
    assert schedule.iso_week(D(2026, 1, 1)) == "2026-W01"
    assert schedule.iso_week(D(2026, 12, 31)) == "2026-W53"
    assert schedule.iso_week(D(2027, 1, 3)) == "2026-W53"
    assert schedule.iso_week(D(2027, 1, 4)) == "2027-W01"


def test_digest_due_uses_local_hour():
    monday_7 = datetime.datetime(2026, 3, 2, 7, 59, tzinfo=SH)
    monday_8 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=SH)
    assert not schedule.digest_due(monday_7, 0, C)
    assert schedule.digest_due(monday_8, 0, C)
    assert schedule.digest_due(monday_8 + datetime.timedelta(hours=5), 0, C)  # a late run still sends
    assert not schedule.digest_due(monday_8, 1, C)
    # Monday 08:00 in Shanghai is Monday 00:00 UTC, Sunday 23:59 UTC is Monday 07:59 local.
    assert schedule.digest_due(datetime.datetime(2026, 3, 2, 0, 0, tzinfo=datetime.UTC), 0, C)


def test_naive_datetime_refused():
    with pytest.raises(ValueError):
        schedule.local_date(datetime.datetime(2026, 1, 1))


def test_task_window_covers_every_stage():
    start, end = schedule.task_window(D(2026, 3, 1), C)
    assert start == D(2026, 3, 1) - datetime.timedelta(days=30 + 14)
    assert end == D(2026, 3, 15)


def test_retry_delay_backs_off_and_caps():
    assert [schedule.retry_delay(n, base=60, cap=600) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]
