"""Periods of recurring rounds (定期调度) and of assessment (考核): which period a day falls in, and
when its round is due. Plain date arithmetic; tracker.services.recurring_rounds_run opens and closes
the rounds, tracker.assessment scores the agencies per period."""

import calendar
import datetime
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    key: str  # "2026-03", "2026-Q1", "2026-H1", "2026"
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
    elif every == "year":
        first_month, months, key = 1, 12, str(day.year)
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


_KEY = re.compile(r"^(?P<year>20\d\d)(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])|H(?P<half>[12])))?$")


def period_from_key(key: str) -> Period:
    """The period a key names; ValueError for anything else (keys arrive from URLs)."""
    match = _KEY.match(key)
    if match is None:
        raise ValueError(f"not a period: {key!r}")
    year = int(match["year"])
    if match["month"]:
        return period_of(datetime.date(year, int(match["month"]), 1), "month")
    if match["quarter"]:
        return period_of(datetime.date(year, 3 * int(match["quarter"]) - 2, 1), "quarter")
    if match["half"]:
        return period_of(datetime.date(year, 6 * int(match["half"]) - 5, 1), "half_year")
    return period_of(datetime.date(year, 1, 1), "year")
