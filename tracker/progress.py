"""Schedule against progress (序时进度): how much of a task's time has gone, how much of its work is
reported done, and whether it is behind. One plain function, used by the task page, the lists and
the board; the time is counted in working days where the document says so."""

import datetime
from dataclasses import dataclass

from django.conf import settings

from . import workdays


@dataclass(frozen=True)
class Schedule:
    state: str  # "on_schedule" | "behind" | "overdue" | "no_due_date"
    elapsed: int | None  # percent of the time gone, 0–100
    done: int | None  # percent reported done (the latest report), None if nothing reported
    behind_by: int = 0  # points of time gone beyond the work done

    @property
    def behind(self) -> bool:
        return self.state == "behind"


def schedule(
    *,
    start: datetime.date,
    due: datetime.date | None,
    today: datetime.date,
    done: int | None,
    working_days: bool = False,
) -> Schedule:
    """Behind means the time gone runs SCHEDULE_BEHIND_POINTS (percentage points) or more ahead of the
    work reported done; a task with nothing reported counts as 0 % done once its time is running."""
    if due is None:
        return Schedule("no_due_date", None, done)
    if today > due:
        return Schedule("overdue", 100, done, 100 - (done or 0))
    if working_days:
        total, gone = workdays.working_days_between(start, due), workdays.working_days_between(start, today)
    else:
        total, gone = (due - start).days, (today - start).days
    elapsed = 100 if total <= 0 else max(0, min(100, round(100 * gone / total)))
    lag = elapsed - (done or 0)
    state = "behind" if lag >= settings.SCHEDULE_BEHIND_POINTS else "on_schedule"
    return Schedule(state, elapsed, done, max(lag, 0))
