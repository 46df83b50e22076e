"""Periods of recurring rounds (定期调度): which period a day falls in, and when its round is due.
Plain date arithmetic; tracker.services.recurring_rounds_run opens and closes the rounds."""

import calendar
import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    key: str  # "2026-03", "2026-Q1", "2026-H1"
    start: datetime.date
    end: datetime.date


def period_of(day: datetime.date, every: str) -> Period:
    if every == "month":
        first_month, months, key = day.month, 1, f"{day.year}-{day.month:02d}"
    elif every == "quarter":
        quarter = (day.month - 1) // 3
        first_month, months, key = 3 * quarter + 1, 3, f"{day.year}-Q{quarter + 1}"
    elif every == "half_year":
        half = (day.month - 1) // 6
        first_month, months, key = 6 * half + 1, 6, f"{day.year}-H{half + 1}"
    else:
        raise ValueError(f"unknown cadence {every!r}")
    last_month = first_month + months - 1
    start = datetime.date(day.year, first_month, 1)
    end = datetime.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(key, start, end)


def due_date(period: Period, day: int | None) -> datetime.date:
    """Day `day` of the period's last month (每月5日前, 每季度末月10日前), else the period's last day."""
    if not day:
        return period.end
    return period.end.replace(day=min(day, period.end.day))
