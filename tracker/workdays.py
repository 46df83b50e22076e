"""Working days under the official calendar: public holidays and the weekend days worked in their
place (调休), from the maintained chinese-calendar package. A year it does not know yet (the State
Council publishes each year's arrangement late in the year before) falls back to Monday–Friday,
and `known` says so, for the pages to warn."""

import datetime

import chinese_calendar


def known(year: int) -> bool:
    """Whether the official arrangement of `year` is in the installed calendar."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    """The working day `n` working days after `day` (before it for a negative n); 0 is `day` itself,
    moved forward to a working day if it is not one."""
    step = 1 if n >= 0 else -1
    if n == 0:
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
        return day
    remaining = abs(n)
    while remaining:
        day += datetime.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative when end is before start)."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)
    return count
