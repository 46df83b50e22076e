"""Pure date logic for reminders, escalation and digests, in Asia/Shanghai.

No database, no Django models: functions take dates and a `Config` and say which stage is due.
Deadlines are calendar days (a task due 2026-03-31 may be finished any time that day), so every
decision is made on the local date of the moment the sweep runs, never on UTC.

Semantics chosen so that a missed sweep makes a message late but never loses it, and an already
passed stage is not sent on top of a later one:

- Two tracks per task. The *agency* track: reminders N days before (14, 7, 1) and the nudge (催办)
  one day overdue. The *coordinator* track: yellow (7 days overdue) and red (30 days) escalation.
- On a given day each track has at most one stage: the latest one whose day has come. A stage
  is keyed on (due date, offset), so the ledger sends it once; an approved extension gives a new
  due date, hence new keys, and the schedule starts again from the new date.
- A stage more than `catchup_days` late is dropped: importing a document with deadlines years
  ago must not escalate every one of them at once.
"""

import datetime
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Config:
    reminder_days: tuple[int, ...] = (14, 7, 1)
    nudge_days: int = 1
    yellow_days: int = 7
    red_days: int = 30
    round_reminder_days: tuple[int, ...] = (3, 1)
    catchup_days: int = 14
    digest_hour: int = 8
    due_soon_days: int = 14

    @classmethod
    def from_settings(cls) -> "Config":
        return cls(
            reminder_days=tuple(sorted(set(settings.NOTIFY_REMINDER_DAYS), reverse=True)),
            nudge_days=settings.NOTIFY_NUDGE_DAYS,
            yellow_days=settings.NOTIFY_YELLOW_DAYS,
            red_days=settings.NOTIFY_RED_DAYS,
            round_reminder_days=tuple(sorted(set(settings.NOTIFY_ROUND_REMINDER_DAYS), reverse=True)),
            catchup_days=settings.NOTIFY_CATCHUP_DAYS,
            digest_hour=settings.NOTIFY_DIGEST_HOUR,
            due_soon_days=settings.NOTIFY_DUE_SOON_DAYS,
        )


@dataclass(frozen=True)
class Stage:
    kind: str  # a Notification.Kind value
    offset: int  # days relative to the due date: -7 is a week before, 30 is a month overdue
    due_date: datetime.date

    @property
    def period(self) -> str:
        return f"{self.due_date.isoformat()}:{self.offset:+d}"

    def days_late(self, today: datetime.date) -> int:
        return (today - self.due_date).days - self.offset


# Kind values, repeated here so this module stays free of model imports.
REMINDER = "reminder_before"
NUDGE = "nudge_overdue"
YELLOW = "escalation_yellow"
RED = "escalation_red"
ROUND_REMINDER = "round_reminder"
ROUND_MISSED = "round_missed"


def local_time(at: datetime.datetime) -> datetime.datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    return at.astimezone(TZ)


def local_date(at: datetime.datetime) -> datetime.date:
    return local_time(at).date()


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight of a local day, as an aware moment."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=TZ)


def iso_week(day: datetime.date) -> str:
    """The digest period: '2026-W01'. ISO years differ from calendar years around New Year."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _latest(stages: Sequence[Stage], today: datetime.date, catchup_days: int) -> Stage | None:
    due = [s for s in stages if s.days_late(today) >= 0]
    if not due:
        return None
    latest = max(due, key=lambda s: s.offset)
    return latest if latest.days_late(today) <= catchup_days else None


def agency_stage(due_date: datetime.date, today: datetime.date, config: Config) -> Stage | None:
    """The reminder or nudge owed to the assigned agencies today, if any.

    Reminders run up to and including the due date (the last day to finish); from the first day
    overdue only the nudge applies, so a reminder missed on the last day is not sent afterwards."""
    if today <= due_date:
        stages = [Stage(REMINDER, -days, due_date) for days in config.reminder_days]
    else:
        stages = [Stage(NUDGE, config.nudge_days, due_date)]
    return _latest(stages, today, config.catchup_days)


def coordinator_stage(due_date: datetime.date, today: datetime.date, config: Config) -> Stage | None:
    """The yellow or red escalation owed to the document's coordinators today, if any."""
    stages = [Stage(YELLOW, config.yellow_days, due_date), Stage(RED, config.red_days, due_date)]
    return _latest(stages, today, config.catchup_days)


def round_stage(due_date: datetime.date, today: datetime.date, config: Config) -> Stage | None:
    """Round reminders (3 and 1 days before) while it is not yet past; "missed" the day after."""
    if today <= due_date:
        stages = [Stage(ROUND_REMINDER, -days, due_date) for days in config.round_reminder_days]
    else:
        stages = [Stage(ROUND_MISSED, 1, due_date)]
    return _latest(stages, today, config.catchup_days)


def task_window(today: datetime.date, config: Config) -> tuple[datetime.date, datetime.date]:
    """Due dates for which any task stage can be owed today: what the sweep reads (by index)."""
    latest_offset = max(config.nudge_days, config.yellow_days, config.red_days)
    earliest_offset = -max(config.reminder_days, default=0)
    return (
        today - datetime.timedelta(days=latest_offset + config.catchup_days),
        today - datetime.timedelta(days=earliest_offset),
    )


def round_window(today: datetime.date, config: Config) -> tuple[datetime.date, datetime.date]:
    return (
        today - datetime.timedelta(days=1 + config.catchup_days),
        today + datetime.timedelta(days=max(config.round_reminder_days, default=0)),
    )


def digest_due(at: datetime.datetime, weekday: int, config: Config) -> bool:
    """A user's digest is due on their weekday from the digest hour on (a late run still sends)."""
    local = local_time(at)
    return local.weekday() == weekday and local.hour >= config.digest_hour


def retry_delay(attempts: int, *, base: int, cap: int) -> int:
    """Exponential backoff in seconds after the n-th failed attempt: base, 2·base, 4·base … cap."""
    return int(min(cap, base * 2 ** max(0, attempts - 1)))
